"""What-if: add, move or remove teams or change a capacity, and see the change per buurt and wijk in well under a second.

Load once, apply many::

    base = load_whatif_base("atlas")                       # reads the atlas and its travel_cache.npz
    scenario = parse_scenario(add=["Nieuw team,136500,456200,Lokalis,buurtteam"], remove=["BT-03"])
    result = apply_scenario(base, scenario)                # new metrics + change per buurt and wijk
    print(format_summary(result))

Only the teams that are new or moved are searched on the network (one reverse Dijkstra per team and mode
on the cached graphs); every other column of the origin×team matrices is reused, and all metrics are then
recomputed by the same function the build uses (`etl.reach.travel_metrics`). The result therefore equals
a full rebuild with the changed teams.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from etl import atlas_schema as schema
from etl.access import parse_decay
from etl.coverage import coverage_column
from etl.numbers import DEFAULT_LANG, Lang, format_count, format_minutes, format_number, format_percent, format_points
from etl.reach import (
    TravelResult,
    check_teams,
    provider_of_origins,
    team_xy,
    travel_metrics,
)
from etl.rules.columns import SOORT_BUURTTEAM, SOORT_SPECIALIST, TEAM_SOORTEN
from etl.store import is_url, open_store
from etl.travel import CACHE_FILE, METHOD_LABELS, TravelCosts, TravelOptions, costs_from_npz, reused_columns, with_teams
from geodata.crs import LONLAT_TO_RD, RD_BOUNDS, RD_NEW
from geodata.errors import InputError, Problem

WHATIF_ID_PREFIX = "whatif-"


@dataclass(frozen=True)
class NewTeam:
    """A team to add; x/y in RD New metres or WGS84 longitude/latitude; capacity None = the median of its kind."""

    naam: str
    x: float
    y: float
    organisatie: str
    soort: str
    capaciteit: float | None = None


@dataclass(frozen=True)
class Move:
    team_id: str
    x: float
    y: float


@dataclass(frozen=True)
class CapacityChange:
    team_id: str
    capaciteit: float


@dataclass(frozen=True)
class Scenario:
    """Changes to the team list, applied in the order remove → move → capacity → add."""

    add: tuple[NewTeam, ...] = ()
    move: tuple[Move, ...] = ()
    remove: tuple[str, ...] = ()
    capacity: tuple[CapacityChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.add or self.move or self.remove or self.capacity)


@dataclass(frozen=True)
class WhatIfBase:
    """Everything a what-if needs, loaded once: buurten, teams, origins, the cost structure and the baseline metrics."""

    gdf_buurten: gpd.GeoDataFrame
    gdf_teams: gpd.GeoDataFrame
    origins: pd.DataFrame
    costs: TravelCosts
    options: TravelOptions
    baseline: TravelResult


@dataclass(frozen=True)
class WhatIfResult:
    """New teams and metrics, and the change against the baseline.

    ``buurten``/``wijken``: the new metric columns (as in the atlas) per buurtcode/wijkcode.
    ``buurten_change``/``wijken_change``: per code, ``{column}_change`` = after − before for every numeric
    metric and ``{column}_changed`` (bool) for every nearest-team column. ``summary``: a JSON-able dict
    (see :func:`format_summary`).
    """

    scenario: Scenario
    teams: gpd.GeoDataFrame
    result: TravelResult
    buurten_change: pd.DataFrame
    wijken_change: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def buurten(self) -> pd.DataFrame:
        return self.result.buurten

    @property
    def wijken(self) -> pd.DataFrame:
        return self.result.wijken

    @property
    def coverage(self) -> pd.DataFrame:
        return self.result.coverage


# ---------------------------------------------------------------- loading


def whatif_base(
    *,
    gdf_buurten: gpd.GeoDataFrame,
    gdf_teams: gpd.GeoDataFrame,
    origins: pd.DataFrame,
    costs: TravelCosts,
    options: TravelOptions,
) -> WhatIfBase:
    """A base from frames in memory (the build's, or a test's); computes the baseline metrics once."""
    baseline = travel_metrics(
        gdf_buurten=gdf_buurten, gdf_teams=gdf_teams, origins=origins, costs=costs, options=options
    )
    return WhatIfBase(gdf_buurten, gdf_teams, origins, costs, options, baseline)


def rebase(base: WhatIfBase, *, gdf_teams: gpd.GeoDataFrame, source: str = "teams") -> WhatIfBase:
    """The same base with another team list as its starting point (a user's own teams), never changing ``base``.

    Columns of teams with the same id and location are reused; the others are searched on the cached
    network, so the new baseline equals a build with ``gdf_teams``. Bad teams are an InputError.
    """
    teams = gdf_teams.copy() if gdf_teams.crs is not None else gdf_teams.set_crs(RD_NEW)
    teams = teams.to_crs(RD_NEW).reset_index(drop=True)
    supply = base.options.access_supply
    if supply not in teams.columns:
        teams[supply] = np.nan  # optional in a teams file: such teams count for travel times, not for access
    problems = check_teams(teams, supply=supply, source=source)
    if problems:
        raise InputError(problems)
    costs = with_teams(base.costs, team_ids=teams["team_id"].astype(str).tolist(), team_xy=team_xy(teams))
    return whatif_base(
        gdf_buurten=base.gdf_buurten, gdf_teams=teams, origins=base.origins, costs=costs, options=base.options
    )


def _stale(location: str, why_nl: str, why_en: str) -> InputError:
    return InputError.single(
        "WHATIF_CACHE",
        f"{why_nl} Bouw de atlas opnieuw met 'buurtdekking build'.",
        f"{why_en} Rebuild the atlas with 'buurtdekking build'.",
        file=location if is_url(location) else Path(location) / CACHE_FILE,
    )


def load_whatif_base(store_url: str | os.PathLike[str]) -> WhatIfBase:
    """Read buurten, teams and the travel cache of a built atlas (a directory or a store URL); refuses a cache that does not belong to it."""

    store = open_store(store_url)
    location = store.location
    listed = (store.manifest().get("files") or {}).get(CACHE_FILE)
    try:
        data = store.read_file(CACHE_FILE) if listed is not None else None
    except InputError:
        data = None
    if listed is None or data is None:
        raise _stale(
            location,
            "Deze atlas heeft geen reistijdcache (gebouwd zonder teams?).",
            "This atlas has no travel cache (built without teams?).",
        )
    if hashlib.sha256(data).hexdigest() != listed.get("sha256"):
        raise _stale(
            location, "De reistijdcache hoort niet bij deze atlas.", "The travel cache does not belong to this atlas."
        )
    try:
        costs, origins, header = costs_from_npz(data)
    except InputError as exc:
        if exc.problems and exc.problems[0].code == "CACHE_VERSION":
            raise _stale(
                location,
                "De reistijdcache is gemaakt door een oudere versie van buurtdekking (zonder methode per vervoerswijze en binnenbuurtafstand).",
                "The travel cache was made by an older version of buurtdekking (without a method per mode and the intrazonal distance).",
            ) from exc
        raise
    recorded = header.get("options", {})
    default = TravelOptions()
    options = TravelOptions(
        speeds=costs.speeds,
        detour=costs.detour,
        thresholds_min=tuple(float(t) for t in recorded.get("thresholds_min", default.thresholds_min)),
        coverage_mode=recorded.get("coverage_mode", default.coverage_mode),
        seam_margin_min=float(recorded.get("seam_margin_min", 2.0)),
        decay=recorded.get("decay", default.decay),
        access_mode=recorded.get("access_mode", default.access_mode),
        access_supply=recorded.get("access_supply", "capaciteit_fte"),
        matrix_limit_min=recorded.get("matrix_limit_min"),
    )
    atlas = store.read_atlas(["buurten", "teams"])
    gdf_buurten = atlas["buurten"]
    gdf_teams = atlas["teams"]
    if list(gdf_teams["team_id"].astype(str)) != [str(t) for t in costs.team_ids]:
        raise _stale(
            location,
            "De teams in de atlas verschillen van die in de reistijdcache.",
            "The atlas teams differ from those in the travel cache.",
        )
    return whatif_base(gdf_buurten=gdf_buurten, gdf_teams=gdf_teams, origins=origins, costs=costs, options=options)


# ---------------------------------------------------------------- parsing (CLI, dashboard forms)


def _number(text: str, *, what: str, source: str, column: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError.single(
            "WHATIF_NUMBER",
            f"{what}: '{text}' is geen getal.",
            f"{what}: '{text}' is not a number.",
            file=source,
            column=column,
        )
    return value


def _fields(text: str, *, n_min: int, n_max: int, usage: str, source: str) -> list[str]:
    parts = [p.strip() for p in text.split(",")]
    if not (n_min <= len(parts) <= n_max) or any(not p for p in parts[:n_min]):
        raise InputError.single(
            "WHATIF_FORMAT",
            f"'{text}' heeft niet de vorm \"{usage}\".",
            f"'{text}' is not of the form \"{usage}\".",
            file=source,
        )
    return parts


def parse_scenario(
    *, add: Iterable[str] = (), move: Iterable[str] = (), remove: Iterable[str] = (), capacity: Iterable[str] = ()
) -> Scenario:
    """Scenario from the CLI's strings: add "naam,x,y,organisatie,soort[,capaciteit]", move "team_id,x,y",
    remove "team_id", capacity "team_id,capaciteit". Decimal commas are not possible inside these (use a point)."""
    adds = []
    for text in add:
        p = _fields(text, n_min=5, n_max=6, usage="naam,x,y,organisatie,soort[,capaciteit]", source="--add")
        cap = _number(p[5], what="capaciteit", source="--add", column="capaciteit") if len(p) == 6 and p[5] else None
        adds.append(
            NewTeam(
                naam=p[0],
                x=_number(p[1], what="x", source="--add", column="x"),
                y=_number(p[2], what="y", source="--add", column="y"),
                organisatie=p[3],
                soort=p[4].lower(),
                capaciteit=cap,
            )
        )
    moves = []
    for text in move:
        p = _fields(text, n_min=3, n_max=3, usage="team_id,x,y", source="--move")
        moves.append(
            Move(
                p[0],
                _number(p[1], what="x", source="--move", column="x"),
                _number(p[2], what="y", source="--move", column="y"),
            )
        )
    caps = []
    for text in capacity:
        p = _fields(text, n_min=2, n_max=2, usage="team_id,capaciteit", source="--capacity")
        caps.append(CapacityChange(p[0], _number(p[1], what="capaciteit", source="--capacity", column="capaciteit")))
    removes = tuple(t.strip() for t in remove if t.strip())
    return Scenario(add=tuple(adds), move=tuple(moves), remove=removes, capacity=tuple(caps))


# ---------------------------------------------------------------- applying


def to_rd(x: float, y: float, *, source: str) -> tuple[float, float]:
    """RD New metres as given, or WGS84 longitude/latitude (in the Netherlands) converted to RD New."""
    xmin, ymin, xmax, ymax = RD_BOUNDS
    if xmin <= x <= xmax and ymin <= y <= ymax and not (abs(x) <= 180 and abs(y) <= 90):
        return x, y
    if 2.5 <= x <= 7.5 and 50.5 <= y <= 54.0:
        rx, ry = LONLAT_TO_RD.transform(x, y)
        return float(rx), float(ry)
    raise InputError.single(
        "WHATIF_LOCATION",
        f"Locatie ({x}, {y}) ligt niet in Nederland; geef RD New-meters (x, y) of lengte- en breedtegraad.",
        f"Location ({x}, {y}) is not in the Netherlands; give RD New metres (x, y) or longitude, latitude.",
        file=source,
    )


def _unknown(team_id: str, known: Sequence[str], source: str) -> Problem:
    close = difflib.get_close_matches(team_id, known, n=3)
    hint_nl = f" Bedoelt u {', '.join(close)}?" if close else ""
    hint_en = f" Did you mean {', '.join(close)}?" if close else ""
    return Problem(
        "WHATIF_TEAM_UNKNOWN",
        f"Team '{team_id}' bestaat niet.{hint_nl}",
        f"Team '{team_id}' does not exist.{hint_en}",
        source,
        None,
        "team_id",
    )


def scenario_teams(
    gdf_teams: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    supply: str = "capaciteit_fte",
    gdf_buurten: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The team list after the scenario (a new frame): removed dropped, moved relocated, capacities set, new teams appended.

    Column ``whatif`` says what happened to each team (added | moved | capacity | NA). A new team without
    a capacity gets the median capacity of the existing teams of its soort.
    """
    ids = gdf_teams["team_id"].astype(str).tolist()
    known = set(ids)
    problems: list[Problem] = []
    for tid in scenario.remove:
        if tid not in known:
            problems.append(_unknown(tid, ids, "--remove"))
    for mv in scenario.move:
        if mv.team_id not in known:
            problems.append(_unknown(mv.team_id, ids, "--move"))
        elif mv.team_id in scenario.remove:
            problems.append(
                Problem(
                    "WHATIF_CONFLICT",
                    f"Team '{mv.team_id}' wordt zowel verplaatst als verwijderd.",
                    f"Team '{mv.team_id}' is both moved and removed.",
                    "--move",
                    None,
                    "team_id",
                )
            )
    for cap in scenario.capacity:
        if cap.team_id not in known:
            problems.append(_unknown(cap.team_id, ids, "--capacity"))
        if cap.capaciteit < 0:
            problems.append(
                Problem(
                    "WHATIF_CAPACITY",
                    f"Capaciteit {cap.capaciteit} moet ≥ 0 zijn.",
                    f"Capacity {cap.capaciteit} must be ≥ 0.",
                    "--capacity",
                    None,
                    "capaciteit",
                )
            )
    for new in scenario.add:
        if new.soort not in TEAM_SOORTEN:
            problems.append(
                Problem(
                    "WHATIF_SOORT",
                    f"soort '{new.soort}' is geen buurtteam of specialistisch.",
                    f"soort '{new.soort}' is neither buurtteam nor specialistisch.",
                    "--add",
                    None,
                    "soort",
                )
            )
        if new.capaciteit is not None and new.capaciteit < 0:
            problems.append(
                Problem(
                    "WHATIF_CAPACITY",
                    f"Capaciteit {new.capaciteit} moet ≥ 0 zijn.",
                    f"Capacity {new.capaciteit} must be ≥ 0.",
                    "--add",
                    None,
                    "capaciteit",
                )
            )
    if problems:
        raise InputError(problems)

    out = gdf_teams.copy()
    out["whatif"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out = out[~out["team_id"].astype(str).isin(set(scenario.remove))]
    position = {tid: i for i, tid in zip(out.index, out["team_id"].astype(str), strict=True)}
    geometry = out.geometry.name
    for mv in scenario.move:
        x, y = to_rd(mv.x, mv.y, source="--move")
        out.loc[position[mv.team_id], geometry] = Point(x, y)
        out.loc[position[mv.team_id], "whatif"] = "moved"
    for cap in scenario.capacity:
        if cap.team_id in position:
            out.loc[position[cap.team_id], supply] = cap.capaciteit
            moved = any(m.team_id == cap.team_id for m in scenario.move)
            out.loc[position[cap.team_id], "whatif"] = "moved+capacity" if moved else "capacity"
    rows = []
    used = set(ids)
    counter = 0
    soort = gdf_teams["soort"].astype(str).str.lower()
    capacity_all = pd.to_numeric(gdf_teams[supply], errors="coerce")
    for new in scenario.add:
        counter += 1
        while f"{WHATIF_ID_PREFIX}{counter}" in used:
            counter += 1
        tid = f"{WHATIF_ID_PREFIX}{counter}"
        used.add(tid)
        x, y = to_rd(new.x, new.y, source="--add")
        median = capacity_all[soort == new.soort].median()
        capaciteit = new.capaciteit if new.capaciteit is not None else (float(median) if pd.notna(median) else 0.0)
        rows.append(
            {
                "team_id": tid,
                "naam": new.naam,
                "organisatie": new.organisatie,
                "soort": new.soort,
                supply: capaciteit,
                "locatie_bron": "whatif",
                "whatif": "added",
                geometry: Point(x, y),
            }
        )
    if rows:
        added = gpd.GeoDataFrame(rows, geometry=geometry, crs=out.crs)
        out = pd.concat([out, added], ignore_index=True)
        out = gpd.GeoDataFrame(out, geometry=geometry, crs=gdf_teams.crs)
    out = out.reset_index(drop=True)
    if gdf_buurten is not None and {"buurtcode", "wijkcode"} <= set(out.columns):
        changed = out["whatif"].isin(["moved", "added", "moved+capacity"]).fillna(False).to_numpy()
        if changed.any():
            hit = gpd.sjoin(
                out.loc[changed, [geometry]],
                gdf_buurten[["buurtcode", "wijkcode", "geometry"]],
                how="left",
                predicate="within",
            )
            hit = hit[~hit.index.duplicated(keep="first")]
            out.loc[changed, "buurtcode"] = hit["buurtcode"].to_numpy()
            out.loc[changed, "wijkcode"] = hit["wijkcode"].to_numpy()
    return out


def _differs(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray) -> np.ndarray:
    """Element-wise 'changed' for ids and flags (1-D or 2-D); a value appearing or vanishing counts as a change."""
    av = a.to_numpy(dtype=object) if isinstance(a, pd.Series) else np.asarray(a, dtype=object)
    bv = b.to_numpy(dtype=object) if isinstance(b, pd.Series) else np.asarray(b, dtype=object)
    a_na, b_na = pd.isna(av), pd.isna(bv)
    both = ~a_na & ~b_na
    equal = np.zeros(av.shape, dtype=bool)
    equal[both] = np.asarray(av[both] == bv[both], dtype=bool)
    return np.asarray(~(equal | (a_na & b_na)), dtype=bool)


def _change(before: pd.DataFrame, after: pd.DataFrame, *, key: str) -> pd.DataFrame:
    if not np.array_equal(before[key].to_numpy(), after[key].to_numpy()):
        after = after.set_index(key).reindex(before[key]).reset_index()
    compared = [c for c in before.columns if c != key and not c.startswith("travel_method")]
    # numbers as one float block, ids/flags/qualities as one object block: a what-if compares ~100 columns
    dtypes = before.dtypes
    flags = [
        c for c in compared if pd.api.types.is_bool_dtype(dtypes[c]) or not pd.api.types.is_numeric_dtype(dtypes[c])
    ]
    numbers = [c for c in compared if c not in set(flags)]
    diff = after[numbers].to_numpy(dtype="float64") - before[numbers].to_numpy(dtype="float64")
    changed = _differs(
        np.column_stack([after[c].to_numpy(dtype=object) for c in flags])
        if flags
        else np.zeros((len(before), 0), dtype=object),
        np.column_stack([before[c].to_numpy(dtype=object) for c in flags])
        if flags
        else np.zeros((len(before), 0), dtype=object),
    )
    number_pos = {c: i for i, c in enumerate(numbers)}
    flag_pos = {c: i for i, c in enumerate(flags)}
    cols: dict[str, Any] = {key: before[key].to_numpy()}
    for col in compared:  # in the order of the columns, as before
        if col in flag_pos:
            cols[f"{col}_changed"] = changed[:, flag_pos[col]]
        else:
            cols[f"{col}_change"] = diff[:, number_pos[col]]
    return pd.DataFrame(cols)


def _mean(values: np.ndarray, youth: np.ndarray) -> float:
    v = np.asarray(values, dtype="float64")
    ok = ~np.isnan(v) & (youth > 0)
    return float((v[ok] * youth[ok]).sum() / youth[ok].sum()) if ok.any() else math.nan


def _gemeente_shares(coverage: pd.DataFrame, *, mode: str) -> dict[float, float]:
    """Share of all youth (every gemeente together) within each threshold of a buurtteam."""
    sel = coverage[
        (coverage["niveau"].to_numpy() == "gemeente")
        & (coverage["target"].to_numpy() == "buurtteam")
        & (coverage["mode"].to_numpy() == mode)
    ]
    sums = sel.groupby("threshold_min")[["youth_within", "youth_total"]].sum()
    return {
        float(t): (float(r.youth_within) / float(r.youth_total) if r.youth_total > 0 else math.nan)
        for t, r in sums.iterrows()
    }


def _summary(
    base: WhatIfBase, new: TravelResult, teams: gpd.GeoDataFrame, scenario: Scenario, seconds: float
) -> dict[str, Any]:
    before, after = base.baseline.buurten, new.buurten
    codes = before["buurtcode"].astype(str).to_numpy()
    youth = (
        base.origins.groupby(base.origins["buurtcode"].astype(str))["weight"]
        .sum()
        .reindex(codes)
        .fillna(0.0)
        .to_numpy()
    )
    opts = base.options
    mode = opts.coverage_mode

    def col(frame: pd.DataFrame, name: str) -> np.ndarray:
        return np.asarray(frame[name].to_numpy(dtype="float64"), dtype="float64")

    per_mode: dict[str, Any] = {}
    for m in base.costs.modes:
        changed = _differs(after[schema.nearest_team("buurtteam", m)], before[schema.nearest_team("buurtteam", m)])
        per_mode[m] = {
            "buurten_new_nearest_buurtteam": int(changed.sum()),
            "youth_new_nearest_buurtteam": round(float(youth[changed].sum()), 1),
            "mean_tt_buurtteam_min": {
                "before": _mean(col(before, schema.travel_time("buurtteam", m)), youth),
                "after": _mean(col(after, schema.travel_time("buurtteam", m)), youth),
            },
            "mean_tt_spec_contract_min": {
                "before": _mean(col(before, schema.travel_time("spec_contract", m)), youth),
                "after": _mean(col(after, schema.travel_time("spec_contract", m)), youth),
            },
            "seam_buurten": {
                "before": int(before[schema.seam(m)].fillna(False).to_numpy(dtype=bool).sum()),
                "after": int(after[schema.seam(m)].fillna(False).to_numpy(dtype=bool).sum()),
            },
        }
    shares_before = _gemeente_shares(base.baseline.coverage, mode=mode)
    shares_after = _gemeente_shares(new.coverage, mode=mode)
    cov = [
        {
            "threshold_min": t,
            "share_before": shares_before.get(float(t), math.nan),
            "share_after": shares_after.get(float(t), math.nan),
        }
        for t in opts.thresholds_min
    ]
    name = schema.travel_time("buurtteam", mode)
    b_t, a_t = col(before, name), col(after, name)
    delta = a_t - b_t
    moved_rows = np.flatnonzero(np.abs(np.nan_to_num(delta)) > 1e-9)
    order = moved_rows[np.argsort(-np.abs(delta[moved_rows]), kind="stable")][:8]
    names = (
        base.gdf_buurten["buurtnaam"].astype("string").to_numpy(dtype=object)
        if "buurtnaam" in base.gdf_buurten.columns
        else None
    )
    largest = [
        {
            "buurtcode": str(codes[i]),
            "buurtnaam": None if names is None or pd.isna(names[i]) else str(names[i]),
            "before_min": float(b_t[i]),
            "after_min": float(a_t[i]),
        }
        for i in order
    ]
    whatif = teams["whatif"].astype("string")
    return {
        "method": base.costs.method,
        "method_label": METHOD_LABELS[base.costs.method],
        "method_per_mode": dict(base.costs.mode_method),
        "seconds": round(seconds, 4),
        "teams": {
            "added": teams.loc[whatif == "added", "team_id"].astype(str).tolist(),
            "moved": [m.team_id for m in scenario.move],
            "removed": list(scenario.remove),
            "capacity": [c.team_id for c in scenario.capacity],
            "n_before": len(base.gdf_teams),
            "n_after": len(teams),
        },
        "coverage_mode": mode,
        "coverage_gemeente_buurtteam": cov,
        "per_mode": per_mode,
        "largest_changes_tt_buurtteam": largest,
        "access_e2sfca_gemeente_mean": {
            "before": _mean(col(before, "access_e2sfca"), youth),
            "after": _mean(col(after, "access_e2sfca"), youth),
        },
    }


# Float32 minutes read back may fall a hair under the time they stand for: search a little further.
_BOUND_SLACK_MIN = 1e-3


def search_limits(base: WhatIfBase, teams: gpd.GeoDataFrame) -> dict[str, float | None]:
    """Per mode, how far the search from a new or moved team must go for the metrics to come out exact.

    A new team changes a buurt's nearest team only where it is at least as fast as the nearest unchanged
    team of the same set (buurtteams; specialists of any provider; of the buurt's own provider), and
    E2SFCA (its mode only) ignores times beyond the decay's ``max_cost``. Beyond the largest of these
    times over all origins nothing can change, so the search stops there. None: search everything (a set
    with no unchanged team left somewhere).
    """
    costs = base.costs
    reuse = reused_columns(costs, team_ids=teams["team_id"].astype(str).tolist(), team_xy=team_xy(teams))
    fresh = reuse < 0
    if not fresh.any():
        return dict.fromkeys(costs.modes)
    soort = teams["soort"].astype(str).str.strip().str.lower().to_numpy(dtype=object)
    org = teams["organisatie"].astype(str).str.strip().to_numpy(dtype=object)
    kept_cols, kept_soort, kept_org = reuse[~fresh], soort[~fresh], org[~fresh]
    provider = provider_of_origins(base.origins, base.gdf_buurten)
    wanted = sorted({(str(s), str(o)) for s, o in zip(soort[fresh], org[fresh], strict=True)})
    max_cost = parse_decay(base.options.decay).max_cost
    limits: dict[str, float | None] = {}
    for mode in costs.modes:
        times = costs.time_min[mode][:, kept_cols]

        def kept_min(mask: np.ndarray, times: np.ndarray = times) -> np.ndarray:
            if not mask.any():
                return np.full(len(times), np.inf)
            return np.asarray(times[:, mask].min(axis=1), dtype="float64")

        needs: list[float] = []
        for s, o in wanted:
            if s == SOORT_BUURTTEAM:
                needs.append(float(kept_min(kept_soort == SOORT_BUURTTEAM).max(initial=0.0)))
                continue
            needs.append(float(kept_min(kept_soort == SOORT_SPECIALIST).max(initial=0.0)))
            rows = provider == o
            if rows.any():
                needs.append(float(kept_min((kept_soort == SOORT_SPECIALIST) & (kept_org == o))[rows].max(initial=0.0)))
        bound = max(needs, default=0.0)
        if mode == base.options.access_mode:
            bound = max(bound, max_cost)
        limits[mode] = bound + _BOUND_SLACK_MIN if math.isfinite(bound) else None
    return limits


def apply_scenario(base: WhatIfBase, scenario: Scenario) -> WhatIfResult:
    """Apply a scenario to the base: new team list, new metrics (as a rebuild would give), change and summary."""
    started = time.perf_counter()
    teams = scenario_teams(base.gdf_teams, scenario, supply=base.options.access_supply, gdf_buurten=base.gdf_buurten)
    problems = check_teams(teams, supply=base.options.access_supply, source="scenario")
    if problems:
        raise InputError(problems)
    costs = with_teams(
        base.costs,
        team_ids=teams["team_id"].astype(str).tolist(),
        team_xy=team_xy(teams),
        search_limit_min=search_limits(base, teams),
    )
    result = travel_metrics(
        gdf_buurten=base.gdf_buurten, gdf_teams=teams, origins=base.origins, costs=costs, options=base.options
    )
    buurten_change = _change(base.baseline.buurten, result.buurten, key="buurtcode")
    wijken_change = _change(base.baseline.wijken, result.wijken, key="wijkcode")
    seconds = time.perf_counter() - started
    summary = _summary(base, result, teams, scenario, seconds)
    return WhatIfResult(scenario, teams, result, buurten_change, wijken_change, summary)


# ---------------------------------------------------------------- reporting


def format_summary(result: WhatIfResult, *, lang: Lang = DEFAULT_LANG) -> str:
    """The summary as text for a terminal (Dutch / English); numbers in ``lang``'s notation (Dutch: decimal comma)."""
    s = result.summary
    t = s["teams"]
    per_mode = s.get("method_per_mode") or {}
    mixed = (
        ", ".join(f"{m}: {METHOD_LABELS[v]}" for m, v in per_mode.items()) if len(set(per_mode.values())) > 1 else ""
    )

    def count(value: object) -> str:
        return format_count(value, lang=lang)

    def minutes(value: object) -> str:
        return format_minutes(value, lang=lang)

    lines = [
        f"What-if ({s['method_label']}; {format_number(s['seconds'] * 1000, lang=lang)} ms)"
        + (f"\n  {mixed}" if mixed else ""),
        f"Teams: {count(t['n_before'])} → {count(t['n_after'])}"
        + (f"; toegevoegd/added {', '.join(t['added'])}" if t["added"] else "")
        + (f"; verplaatst/moved {', '.join(t['moved'])}" if t["moved"] else "")
        + (f"; verwijderd/removed {', '.join(t['removed'])}" if t["removed"] else "")
        + (f"; capaciteit/capacity {', '.join(t['capacity'])}" if t["capacity"] else ""),
        "",
        f"Bereik buurtteam per {s['coverage_mode']} (jeugd in gemeente) / reach of a buurtteam by {s['coverage_mode']} (youth in gemeente):",
    ]
    for row in s["coverage_gemeente_buurtteam"]:
        b, a = row["share_before"], row["share_after"]
        # a threshold shows as few decimals as it has (10 → '10', 7.5 → '7,5'), as it was typed
        limit = format_number(row["threshold_min"], decimals=6, trim=True, lang=lang)
        lines.append(
            f"  ≤ {limit} min: {format_percent(b, decimals=1, lang=lang)} → {format_percent(a, decimals=1, lang=lang)} "
            f"({format_points(a - b, lang=lang)})"
        )
    lines += ["", "Gemiddelde reistijd (jeugdgewogen) / mean travel time (youth-weighted):"]
    for mode, d in s["per_mode"].items():
        bt, sc = d["mean_tt_buurtteam_min"], d["mean_tt_spec_contract_min"]
        lines.append(
            f"  {mode:<5} buurtteam {minutes(bt['before'])} → {minutes(bt['after'])}; "
            f"specialist (contract) {minutes(sc['before'])} → {minutes(sc['after'])}; "
            f"nieuw dichtstbijzijnd buurtteam/new nearest buurtteam: {count(d['buurten_new_nearest_buurtteam'])} buurten "
            f"({count(d['youth_new_nearest_buurtteam'])} jeugdigen/youth); "
            f"naden/seams {count(d['seam_buurten']['before'])} → {count(d['seam_buurten']['after'])}"
        )
    acc = s["access_e2sfca_gemeente_mean"]
    lines.append(
        "\nE2SFCA-toegang buurtteams (gemiddeld) / access (mean): "
        f"{format_number(acc['before'], decimals=3, lang=lang)} → {format_number(acc['after'], decimals=3, lang=lang)}"
    )
    if s["largest_changes_tt_buurtteam"]:
        lines += ["", f"Grootste verschillen reistijd buurtteam ({s['coverage_mode']}) / largest changes:"]
        for row in s["largest_changes_tt_buurtteam"]:
            name = f" {row['buurtnaam']}" if row["buurtnaam"] else ""
            lines.append(f"  {row['buurtcode']}{name}: {minutes(row['before_min'])} → {minutes(row['after_min'])}")
    else:
        lines += [
            "",
            "Geen buurt verandert van reistijd naar een buurtteam / no buurt changes its travel time to a buurtteam.",
        ]
    return "\n".join(lines)


__all__ = [
    "CapacityChange",
    "Move",
    "NewTeam",
    "Scenario",
    "WhatIfBase",
    "WhatIfResult",
    "apply_scenario",
    "coverage_column",
    "format_summary",
    "load_whatif_base",
    "parse_scenario",
    "rebase",
    "scenario_teams",
    "whatif_base",
]
