"""Reach of care per buurt and wijk — travel to the nearest teams, seams, coverage and E2SFCA access — and its build stage.

:func:`travel_metrics` is the one pure function that turns a cost structure (`etl.travel`) and a team
list into atlas columns and tables; the build (:func:`add_travel`) and the what-if (`etl.whatif`) both call
it, so a what-if equals a rebuild with the changed teams.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from etl import atlas_schema as schema
from etl.access import PER, e2sfca, parse_decay, relative_to_mean
from etl.atlas import Atlas, input_record
from etl.atlas_schema import TARGETS
from etl.coverage import coverage_column, coverage_table
from etl.quality import (
    QUALITY_VALUES,
    fallback_notes,
    far_snap_notes,
    far_snaps,
    labels,
    origin_ranks,
    quality_column,
    quality_counts,
    snap_summary,
    worst_per_group,
)
from etl.rules.columns import SOORT_BUURTTEAM, SOORT_SPECIALIST, TEAM_SOORTEN
from etl.travel import (
    CACHE_FILE,
    FAR_SNAP_M,
    METHOD_LABELS,
    Nearest,
    TravelCosts,
    TravelOptions,
    build_mode_graphs,
    costs_to_npz,
    floor,
    floored_times,
    nearest_team,
    origin_team_costs,
    read_origins,
    representative_origins,
    usable_graphs,
    weighted_origins,
)
from geodata.errors import InputError, Problem
from geodata.network import DEFAULT_MODE, MODES, read_network

TEAM_COLUMNS = ("team_id", "organisatie", "soort")


@dataclass(frozen=True)
class TravelResult:
    """Per buurt and per wijk metric columns (keyed by code), the coverage table and per-team load."""

    buurten: pd.DataFrame
    wijken: pd.DataFrame
    coverage: pd.DataFrame
    team_load: pd.DataFrame
    notes: tuple[str, ...] = ()


def buurt_columns(
    *,
    modes: tuple[str, ...] = MODES,
    thresholds_min: tuple[float, ...] = TravelOptions.thresholds_min,
    coverage_mode: str = DEFAULT_MODE,
) -> list[str]:
    """The metric columns :func:`travel_metrics` puts on buurten, in order."""
    cols: list[str] = []
    for mode in modes:
        for target in TARGETS:
            cols += [
                schema.travel_distance(target, mode),
                schema.travel_time(target, mode),
                schema.nearest_team(target, mode),
            ]
        cols += [schema.seam(mode), schema.seam_gain(mode)]
        cols += [
            *(quality_column(mode, target) for target in TARGETS),
            quality_column(mode),
            schema.travel_method(mode),
        ]
    cols += [coverage_column(coverage_mode, t) for t in thresholds_min]
    cols += ["access_e2sfca", "access_e2sfca_rel", "access_e2sfca_spec", "access_e2sfca_spec_rel", "travel_method"]
    return cols


# ---------------------------------------------------------------- validation


def check_teams(gdf_teams: pd.DataFrame, *, supply: str, source: str = "teams") -> list[Problem]:
    """Teams need team_id, organisatie, soort (buurtteam|specialistisch), a point location and a capacity."""
    problems: list[Problem] = []
    missing = [c for c in (*TEAM_COLUMNS, supply) if c not in gdf_teams.columns]
    if missing:
        return [
            Problem(
                "TEAMS_COLUMNS",
                f"De teams missen kolom(men) {', '.join(missing)}.",
                f"The teams lack column(s) {', '.join(missing)}.",
                source,
            )
        ]
    ids = gdf_teams["team_id"].astype(str)
    for row in np.flatnonzero(ids.duplicated(keep="first").to_numpy())[:10]:
        problems.append(
            Problem(
                "TEAM_ID_DUPLICATE",
                f"team_id '{ids.iloc[row]}' komt vaker voor.",
                f"team_id '{ids.iloc[row]}' occurs more than once.",
                source,
                int(row) + 2,
                "team_id",
            )
        )
    soort = gdf_teams["soort"].astype("string").str.strip().str.lower()
    for row in np.flatnonzero(~soort.isin(TEAM_SOORTEN).fillna(True).to_numpy())[:10]:
        problems.append(
            Problem(
                "TEAM_SOORT",
                f"soort '{gdf_teams['soort'].iloc[row]}' is geen buurtteam of specialistisch.",
                f"soort '{gdf_teams['soort'].iloc[row]}' is neither buurtteam nor specialistisch.",
                source,
                int(row) + 2,
                "soort",
            )
        )
    # A missing capacity is allowed (the teams contract says so): such a team still counts for the
    # nearest-team times and adds no supply to E2SFCA (see capacity_notes). Text or a negative is wrong.
    raw = gdf_teams[supply]
    capacity = pd.to_numeric(raw, errors="coerce")
    unreadable = capacity.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
    for row in np.flatnonzero((unreadable | (capacity < 0)).to_numpy())[:10]:
        problems.append(
            Problem(
                "TEAM_CAPACITY",
                f"{supply} '{gdf_teams[supply].iloc[row]}' moet een getal ≥ 0 zijn.",
                f"{supply} '{gdf_teams[supply].iloc[row]}' must be a number ≥ 0.",
                source,
                int(row) + 2,
                supply,
            )
        )
    if isinstance(gdf_teams, gpd.GeoDataFrame):
        geom = gdf_teams.geometry
        bad = ~(geom.notna() & ~geom.is_empty & (geom.geom_type == "Point"))
        for row in np.flatnonzero(bad.to_numpy())[:10]:
            problems.append(
                Problem(
                    "TEAM_LOCATION",
                    "Team zonder puntlocatie.",
                    "Team without a point location.",
                    source,
                    int(row) + 2,
                    "geometry",
                )
            )
    return problems


def capacity_notes(gdf_teams: pd.DataFrame, *, supply: str) -> list[str]:
    """Name the teams without a capacity: they count for travel times but add nothing to access."""
    missing = gdf_teams.loc[pd.to_numeric(gdf_teams[supply], errors="coerce").isna(), "team_id"].astype(str).tolist()
    if not missing:
        return []
    listed = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
    return [
        f"{len(missing)} team(s) zonder {supply}: telt mee voor reistijden, niet voor toegang (E2SFCA): {listed} / "
        f"{len(missing)} team(s) without {supply}: counted for travel times, not for access (E2SFCA): {listed}"
    ]


def team_xy(gdf_teams: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([gdf_teams.geometry.x.to_numpy(), gdf_teams.geometry.y.to_numpy()])


# ---------------------------------------------------------------- the metrics


def provider_of_origins(origins: pd.DataFrame, gdf_buurten: pd.DataFrame) -> np.ndarray:
    """The contracted provider of each origin's buurt (None where unknown)."""
    if "provider" not in gdf_buurten.columns:
        return np.full(len(origins), None, dtype=object)
    provider = gdf_buurten.set_index(gdf_buurten["buurtcode"].astype(str))["provider"]
    values = provider.reindex(origins["buurtcode"].astype(str)).to_numpy(dtype=object)
    return np.array([v if isinstance(v, str) and v.strip() else None for v in values], dtype=object)


def _nearest_per_target(
    costs: TravelCosts, *, mode: str, soort: np.ndarray, organisatie: np.ndarray, provider: np.ndarray
) -> tuple[dict[str, Nearest], dict[str, np.ndarray]]:
    """Per target the nearest team of each origin, and per origin whether the target has any team for it."""
    is_bt = soort == SOORT_BUURTTEAM
    is_spec = soort == SOORT_SPECIALIST
    out = {
        "buurtteam": nearest_team(costs, mode=mode, team_mask=is_bt),
        "spec_any": nearest_team(costs, mode=mode, team_mask=is_spec),
    }
    n = costs.n_origins
    has = {
        "buurtteam": np.full(n, bool(is_bt.any())),
        "spec_any": np.full(n, bool(is_spec.any())),
        "spec_contract": np.zeros(n, dtype=bool),
    }
    contract = Nearest(
        np.full(n, np.inf, dtype="float32"), np.full(n, np.inf, dtype="float32"), np.full(n, -1, dtype=np.int64)
    )
    for name in sorted({p for p in provider if p is not None}):
        rows = np.flatnonzero(provider == name)
        members = is_spec & (organisatie == name)
        has["spec_contract"][rows] = bool(members.any())
        got = nearest_team(costs, mode=mode, team_mask=members, rows=rows)
        contract.time_min[rows], contract.dist_m[rows], contract.team[rows] = got.time_min, got.dist_m, got.team
    out["spec_contract"] = contract
    return out, has


def _finite(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype="float64")
    return np.where(np.isfinite(v), v, np.nan)


@dataclass(frozen=True)
class _Groups:
    """Origins grouped by area (buurt or wijk): the area codes and each origin's group number (numpy only: fast)."""

    index: pd.Index
    of: np.ndarray

    @classmethod
    def of_codes(cls, codes: np.ndarray, index: pd.Index) -> _Groups:
        return cls(index, index.get_indexer(pd.Index(codes.astype(str))))

    def weighted_mean(self, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Weighted mean per group, ignoring NaN; a group whose weights are all 0 gets the plain mean."""
        v = _finite(values)
        w = np.nan_to_num(np.asarray(weights, dtype="float64"))
        ok = ~np.isnan(v) & (self.of >= 0)
        g, n = self.of[ok], len(self.index)
        wsum = np.bincount(g, weights=w[ok], minlength=n)
        wv = np.bincount(g, weights=w[ok] * v[ok], minlength=n)
        count = np.bincount(g, minlength=n)
        plain = np.bincount(g, weights=v[ok], minlength=n)
        mean = np.full(n, np.nan)
        np.divide(plain, count, out=mean, where=count > 0)
        np.divide(wv, wsum, out=mean, where=wsum > 0)
        return mean

    def total(self, weights: np.ndarray) -> np.ndarray:
        ok = self.of >= 0
        return np.asarray(
            np.bincount(self.of[ok], weights=np.nan_to_num(weights[ok]), minlength=len(self.index)), dtype="float64"
        )

    def share(self, part: np.ndarray, weights: np.ndarray) -> np.ndarray:
        total = self.total(weights)
        out = np.full(len(total), np.nan)
        np.divide(self.total(part), total, out=out, where=total > 0)
        return out

    def dominant(self, team: np.ndarray, weights: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Per group the team that is nearest for most of its youth (then most origins, then the first team)."""
        n, k = len(self.index), len(ids)
        out = np.full(n, None, dtype=object)
        ok = (team >= 0) & (self.of >= 0)
        if k == 0 or not ok.any():
            return out
        cell = self.of[ok] * k + team[ok]
        w = np.bincount(cell, weights=np.nan_to_num(weights[ok]), minlength=n * k).reshape(n, k)
        c = np.bincount(cell, minlength=n * k).reshape(n, k)
        best_w = np.where(c > 0, w, -1.0)
        top = best_w == best_w.max(axis=1, keepdims=True)
        pick = np.argmax(np.where(top & (c > 0), c, -1), axis=1)
        has = c.sum(axis=1) > 0
        out[has] = ids[pick[has]]
        return out


def travel_metrics(
    *,
    gdf_buurten: pd.DataFrame,
    gdf_teams: pd.DataFrame,
    origins: pd.DataFrame,
    costs: TravelCosts,
    options: TravelOptions,
) -> TravelResult:
    """All travel, coverage and access metrics for one team list on one cost structure.

    ``gdf_buurten``: buurtcode, wijkcode, gemeentecode, youth_population and (optional) provider.
    ``gdf_teams``: team_id, naam, organisatie, soort, the supply column; in the order of ``costs.team_ids``.
    ``origins``: buurtcode and weight (youth) per row of the cost matrices.
    Per buurt and wijk, times and distances are youth-weighted means over the origins (a single
    representative point per buurt by default); the nearest team of a buurt is the one nearest for most
    of its youth; coverage shares count youth within each threshold; the seam flag compares the buurt's
    contracted provider with the nearest specialist team of any provider.
    """
    if list(gdf_teams["team_id"].astype(str)) != [str(t) for t in costs.team_ids]:
        raise ValueError("teams and cost structure disagree on the team list")
    notes: list[str] = []
    modes = costs.modes
    ids = gdf_teams["team_id"].astype(str).to_numpy(dtype=object)
    soort = gdf_teams["soort"].astype(str).str.strip().str.lower().to_numpy(dtype=object)
    organisatie = gdf_teams["organisatie"].astype(str).str.strip().to_numpy(dtype=object)
    supply = pd.to_numeric(gdf_teams[options.access_supply], errors="coerce").fillna(0.0).to_numpy(dtype="float64")
    provider = provider_of_origins(origins, gdf_buurten)
    weight = origins["weight"].to_numpy(dtype="float64")
    buurt_of = origins["buurtcode"].astype(str).to_numpy(dtype=object)
    buurt_index = pd.Index(gdf_buurten["buurtcode"].astype(str), name="buurtcode")
    wijk_of_buurt = pd.Series(gdf_buurten["wijkcode"].astype(str).to_numpy(), index=buurt_index)
    wijk_of = wijk_of_buurt.reindex(buurt_of).to_numpy(dtype=object)
    wijk_index = pd.Index(sorted(set(wijk_of_buurt)), name="wijkcode")
    if all(p is None for p in provider):
        notes.append(
            "geen contractaanbieder per buurt: spec_contract leeg / no contracted provider per buurt: spec_contract empty"
        )

    buurts = _Groups.of_codes(buurt_of, buurt_index)
    wijks = _Groups.of_codes(wijk_of, wijk_index)
    youth_b = buurts.total(weight)
    wijk_pos = wijk_index.get_indexer(pd.Index(wijk_of_buurt.to_numpy(dtype=str)))
    b_cols: dict[str, Any] = {}
    w_cols: dict[str, Any] = {}
    per_origin: dict[tuple[str, str], np.ndarray] = {}
    nearest_by_mode: dict[str, dict[str, Nearest]] = {}
    for mode in modes:
        found, has_set = _nearest_per_target(costs, mode=mode, soort=soort, organisatie=organisatie, provider=provider)
        nearest_by_mode[mode] = found
        method = costs.method_of(mode)
        worst_b = np.zeros(len(buurt_index), dtype=np.int64)
        worst_w = np.zeros(len(wijk_index), dtype=np.int64)
        for target in TARGETS:
            near = found[target]
            rank = origin_ranks(costs, mode=mode, near=near, has_set=has_set[target])
            rank_b = worst_per_group(rank, buurts.of, weight, len(buurt_index))
            rank_w = worst_per_group(rank, wijks.of, weight, len(wijk_index))
            worst_b, worst_w = np.maximum(worst_b, rank_b), np.maximum(worst_w, rank_w)
            b_cols[quality_column(mode, target)] = labels(rank_b, method=method)
            w_cols[quality_column(mode, target)] = labels(rank_w, method=method)
            per_origin[(target, mode)] = _finite(near.time_min)
            b_cols[schema.travel_distance(target, mode)] = buurts.weighted_mean(near.dist_m, weight)
            b_cols[schema.travel_time(target, mode)] = buurts.weighted_mean(near.time_min, weight)
            b_cols[schema.nearest_team(target, mode)] = pd.array(
                buurts.dominant(near.team, weight, ids), dtype="string"
            )
            w_cols[schema.travel_distance(target, mode)] = wijks.weighted_mean(near.dist_m, weight)
            w_cols[schema.travel_time(target, mode)] = wijks.weighted_mean(near.time_min, weight)
        gain: np.ndarray = (
            b_cols[schema.travel_time("spec_contract", mode)] - b_cols[schema.travel_time("spec_any", mode)]
        )
        known = ~np.isnan(gain)
        seam = np.where(known, gain > options.seam_margin_min, False)
        b_cols[schema.seam(mode)] = pd.arrays.BooleanArray(seam, ~known)
        b_cols[schema.seam_gain(mode)] = gain
        # per wijk: the share of youth living in seam buurten (of those where a seam can be judged)
        judged = known & (wijk_pos >= 0)
        in_seam = np.bincount(wijk_pos[judged], weights=youth_b[judged] * seam[judged], minlength=len(wijk_index))
        total = np.bincount(wijk_pos[judged], weights=youth_b[judged], minlength=len(wijk_index))
        w_cols[schema.seam_share(mode)] = np.divide(
            in_seam, total, out=np.full(len(wijk_index), np.nan), where=total > 0
        )
        b_cols[quality_column(mode)] = labels(worst_b, method=method)
        w_cols[quality_column(mode)] = labels(worst_w, method=method)
        b_cols[schema.travel_method(mode)] = np.full(len(buurt_index), method, dtype=object)
        w_cols[schema.travel_method(mode)] = np.full(len(wijk_index), method, dtype=object)

    areas = gdf_buurten[
        [c for c in ("buurtcode", "wijkcode", "gemeentecode", "provider") if c in gdf_buurten.columns]
    ].copy()
    areas["buurtcode"] = areas["buurtcode"].astype(str)
    cov_times = {(t, m): per_origin[(t, m)] for m in modes for t in ("buurtteam", "spec_contract")}
    table = coverage_table(
        origins=origins,
        areas=areas,
        times=cov_times,
        thresholds_min=options.thresholds_min,
        method=dict(costs.mode_method),
    )
    # the same shares as the table's buurt and wijk rows, as columns (float32-precision thresholds there too)
    reach_t = np.nan_to_num(per_origin[("buurtteam", options.coverage_mode)], nan=np.inf)
    for t in options.thresholds_min:
        within = weight * (reach_t <= float(np.float32(t)))
        b_cols[coverage_column(options.coverage_mode, t)] = buurts.share(within, weight)
        w_cols[coverage_column(options.coverage_mode, t)] = wijks.share(within, weight)

    # E2SFCA: buurtteams for everyone; specialist teams only of the buurt's contracted provider.
    decay = parse_decay(options.decay)
    times = floored_times(costs, options.access_mode)
    is_bt, is_spec = soort == SOORT_BUURTTEAM, soort == SOORT_SPECIALIST
    bt = e2sfca(time_min=times[:, is_bt], demand=weight, supply=supply[is_bt], decay=decay)
    allowed = provider[:, None] == organisatie[None, is_spec]
    sp = e2sfca(time_min=times[:, is_spec], demand=weight, supply=supply[is_spec], decay=decay, allowed=allowed)
    access_bt = bt.access * PER
    access_sp = np.where(provider != None, sp.access * PER, np.nan)  # noqa: E711 - element-wise
    for name, values in (("access_e2sfca", access_bt), ("access_e2sfca_spec", access_sp)):
        rel = relative_to_mean(values, weight)
        b_cols[name] = buurts.weighted_mean(values, weight)
        b_cols[f"{name}_rel"] = buurts.weighted_mean(rel, weight)
        w_cols[name] = wijks.weighted_mean(values, weight)
        w_cols[f"{name}_rel"] = wijks.weighted_mean(rel, weight)

    b_cols["travel_method"] = pd.array([costs.method] * len(buurt_index), dtype="string")
    w_cols["travel_method"] = pd.array([costs.method] * len(wijk_index), dtype="string")
    order = buurt_columns(
        modes=modes, thresholds_min=tuple(options.thresholds_min), coverage_mode=options.coverage_mode
    )
    buurten = pd.DataFrame({"buurtcode": buurt_index.to_numpy(dtype=object), **{c: b_cols[c] for c in order}})
    wijken = pd.DataFrame({"wijkcode": wijk_index.to_numpy(dtype=object), **w_cols})

    near_access = nearest_by_mode[options.access_mode]
    load = pd.DataFrame(
        {
            "team_id": ids.astype(str),
            "naam": gdf_teams["naam"].astype("string").to_numpy() if "naam" in gdf_teams.columns else pd.NA,
            "organisatie": organisatie.astype(str),
            "soort": soort.astype(str),
            "capaciteit": supply,
        }
    )
    catchment = np.full(len(ids), np.nan)
    ratio = np.full(len(ids), np.nan)
    catchment[is_bt], ratio[is_bt] = bt.catchment_demand, bt.ratio * PER
    catchment[is_spec], ratio[is_spec] = sp.catchment_demand, sp.ratio * PER
    youth_nearest = np.zeros(len(ids))
    for target, members in (("buurtteam", is_bt), ("spec_contract", is_spec)):
        team = near_access[target].team
        got = np.bincount(team[team >= 0], weights=np.nan_to_num(weight[team >= 0]), minlength=len(ids))
        youth_nearest[members] = got[members]
    load["catchment_youth"] = catchment
    load["capacity_per_1000_youth"] = ratio
    load["youth_nearest"] = youth_nearest
    load["youth_per_capacity"] = np.divide(youth_nearest, supply, out=np.full(len(ids), np.nan), where=supply > 0)
    load["mode"] = options.access_mode
    load["method"] = costs.method_of(options.access_mode)
    return TravelResult(buurten=buurten, wijken=wijken, coverage=table, team_load=load, notes=tuple(notes))


# ---------------------------------------------------------------- the build stage


def _origins_for(
    gdf_buurten: gpd.GeoDataFrame, options: TravelOptions
) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    if options.origins is None:
        return representative_origins(gdf_buurten), {"kind": "representative_point", "n": len(gdf_buurten)}, []
    points = read_origins(options.origins, layer=options.origins_layer, weight=options.origins_weight)
    origins, notes = weighted_origins(points, gdf_buurten)
    notes = list(points.attrs.get("notes", [])) + notes
    info = {
        "kind": "weighted_points",
        "file": options.origins.name,
        "weight_column": str(points["weight_column"].iloc[0]) if len(points) else options.origins_weight,
        "n": len(origins),
        "weights_scaled_to": "youth_population per buurt",
    }
    return origins, info, notes


def _clip_box(
    gdf_buurten: gpd.GeoDataFrame, gdf_teams: gpd.GeoDataFrame, buffer_m: float | None
) -> tuple[float, float, float, float] | None:
    if buffer_m is None:
        return None
    xmin, ymin, xmax, ymax = gdf_buurten.total_bounds
    if len(gdf_teams):
        txmin, tymin, txmax, tymax = gdf_teams.total_bounds
        xmin, ymin, xmax, ymax = min(xmin, txmin), min(ymin, tymin), max(xmax, txmax), max(ymax, tymax)
    return (xmin - buffer_m, ymin - buffer_m, xmax + buffer_m, ymax + buffer_m)


def compute_costs(
    *, gdf_buurten: gpd.GeoDataFrame, gdf_teams: gpd.GeoDataFrame, origins: pd.DataFrame, options: TravelOptions
) -> tuple[TravelCosts, dict[str, Any] | None]:
    """The cost structure for the build: on the network file when given, else straight line. Returns (costs, network summary).

    A mode the network leaves without usable streets, or whose usable part lies farther than 500 m from
    every origin or every team, falls back to the straight-line estimate (a documented choice: the other
    modes keep their network figures, and every output labels that mode an estimate); the summary's
    ``fallback`` says which and why. Every origin's intrazonal distance is the floor of its costs.
    """
    graphs = None
    summary = None
    if options.network is not None:
        network = read_network(
            options.network,
            layer=options.network_layer,
            assume_crs=options.network_crs,
            bbox=_clip_box(gdf_buurten, gdf_teams, options.clip_buffer_m),
            speeds_file=options.network_speeds,
        )
        if len(network.edges) == 0:
            raise InputError.single(
                "NETWORK_EMPTY",
                f"Het netwerk '{options.network.name}' heeft geen straten in het gebied (buurten + {options.clip_buffer_m or 0:g} m).",
                f"Network '{options.network.name}' has no streets in the area (buurten + {options.clip_buffer_m or 0:g} m).",
                file=options.network,
            )
        graphs = build_mode_graphs(network, speeds=options.speeds)
        summary = {
            **network.summary(),
            "arcs_per_mode": {m: g.n_arcs for m, g in graphs.items()},
            "clip_buffer_m": options.clip_buffer_m,
        }
        graphs, fallback = usable_graphs(
            graphs, origin_xy=origins[["x", "y"]].to_numpy(dtype="float64"), team_xy=team_xy(gdf_teams)
        )
        summary["routed_modes"], summary["fallback"] = list(graphs), fallback
    costs = origin_team_costs(
        origin_xy=origins[["x", "y"]].to_numpy(dtype="float64"),
        team_ids=gdf_teams["team_id"].astype(str).tolist(),
        team_xy=team_xy(gdf_teams),
        speeds=options.speeds,
        detour=options.detour,
        graphs=graphs,
        limit_min=options.matrix_limit_min,
        origin_intrazonal_m=origins["intrazonal_m"].to_numpy(dtype="float64")
        if "intrazonal_m" in origins.columns
        else None,
    )
    return costs, summary


def _intrazonal_summary(origins: pd.DataFrame, costs: TravelCosts) -> dict[str, Any]:
    """How the intrazonal floor was set, and what it comes to (m; per mode in minutes) over the origins."""
    d = (
        origins["intrazonal_m"].to_numpy(dtype="float64")
        if "intrazonal_m" in origins.columns
        else np.zeros(len(origins))
    )
    return {
        "distance": "(2/3)·√(A/π): mean distance to the centre of a disc of the buurt's land area A (opp_land_ha, else polygon area); "
        "a grid square's own area for --origins squares; 0 for --origins points",
        "cost": "every origin's cost ≥ intrazonal distance × the mode's detour factor at the mode's base speed",
        "detour_factors": costs.detour.to_dict(),
        "distance_m_median": round(float(np.median(d)), 1) if len(d) else None,
        "distance_m_max": round(float(np.max(d)), 1) if len(d) else None,
        "time_min_median": {m: round(float(np.median(floor(costs, m)[0])), 3) for m in costs.modes} if len(d) else None,
    }


def _names(frame: pd.DataFrame, key: str, name: str) -> dict[str, str]:
    if name not in frame.columns:
        return {}
    return {str(k): ("" if pd.isna(v) else str(v)) for k, v in zip(frame[key], frame[name], strict=True)}


def options_record(options: TravelOptions) -> dict[str, Any]:
    """The option values a what-if needs to recompute exactly what the build computed."""
    return {
        "thresholds_min": list(options.thresholds_min),
        "coverage_mode": options.coverage_mode,
        "seam_margin_min": options.seam_margin_min,
        "decay": options.decay,
        "access_mode": options.access_mode,
        "access_supply": options.access_supply,
        "matrix_limit_min": options.matrix_limit_min,
    }


def merge_columns(frame: pd.DataFrame, metrics: pd.DataFrame, *, key: str) -> pd.DataFrame:
    """Replace (or add) the metric columns on a layer, matched by code, keeping the geometry last."""
    cols = [c for c in metrics.columns if c != key]
    out = frame.drop(columns=[c for c in cols if c in frame.columns])
    aligned = metrics.set_index(key).reindex(out[key].astype(str))
    aligned.index = out.index
    geometry = out.geometry.name if isinstance(out, gpd.GeoDataFrame) else None
    if geometry is None:
        return pd.concat([out, aligned[cols]], axis=1)
    merged = pd.concat([out.drop(columns=geometry), aligned[cols], out[[geometry]]], axis=1)
    return gpd.GeoDataFrame(merged, geometry=geometry, crs=out.crs)


class _HasTravel(Protocol):
    @property
    def travel(self) -> TravelOptions: ...


def add_travel(atlas: Atlas, opts: _HasTravel) -> Atlas:
    """Build stage: travel times, seams, coverage and access on buurten and wijken; tables coverage and team_load."""
    options = opts.travel
    if not options.enabled:
        return atlas
    notes = list(atlas.manifest.get("notes", []))
    if "teams" not in atlas.layers:
        notes.append("geen teams: reistijden overgeslagen / no teams: travel times skipped")
        return atlas.with_manifest(notes=notes)
    gdf_buurten: gpd.GeoDataFrame = atlas["buurten"]
    gdf_teams: gpd.GeoDataFrame = atlas["teams"]
    problems = check_teams(gdf_teams, supply=options.access_supply)
    if problems:
        raise InputError(problems)
    notes += capacity_notes(gdf_teams, supply=options.access_supply)
    origins, origin_info, o_notes = _origins_for(gdf_buurten, options)
    costs, network_summary = compute_costs(
        gdf_buurten=gdf_buurten, gdf_teams=gdf_teams, origins=origins, options=options
    )
    result = travel_metrics(gdf_buurten=gdf_buurten, gdf_teams=gdf_teams, origins=origins, costs=costs, options=options)
    fallback = (network_summary or {}).get("fallback", {})
    far = far_snaps(
        costs,
        origins=origins,
        buurt_names=_names(gdf_buurten, "buurtcode", "buurtnaam"),
        team_ids=list(costs.team_ids),
        team_names=_names(gdf_teams, "team_id", "naam"),
    )
    t_notes = fallback_notes(
        fallback, source=options.network.name if options.network is not None else ""
    ) + far_snap_notes(far)
    buurten = merge_columns(gdf_buurten, result.buurten, key="buurtcode")
    wijken = merge_columns(atlas["wijken"], result.wijken, key="wijkcode")
    inputs = list(atlas.manifest.get("inputs", []))
    if options.network is not None:
        inputs.append(input_record("network", options.network))
    if options.network_speeds is not None:
        inputs.append(input_record("network_speeds", options.network_speeds))
    if options.origins is not None:
        inputs.append(input_record("origins", options.origins))
    decay = parse_decay(options.decay)
    method = {
        "method": costs.method,
        "method_label": METHOD_LABELS[costs.method],
        "method_per_mode": dict(costs.mode_method),
        "fallback": {
            "rule": "a mode without usable streets, or whose usable network lies farther than 500 m from every origin or every team, "
            "is computed by the straight line × detour factor (not refused), labelled per row (travel_method_{mode}, travel_quality_*)",
            "modes": dict(fallback),
        },
        "modes": list(costs.modes),
        "speeds_kmh": options.speeds.to_dict(),
        "detour_factors": options.detour.to_dict(),
        "detour_factors_note": "hemelsbreed en binnen de buurt / straight-line modes and the intrazonal distance",
        "network": network_summary,
        "snapping": snap_summary(costs),
        "far_snaps": far,
        "intrazonal": _intrazonal_summary(origins, costs),
        "quality": {
            "columns": "travel_quality_{target}_{mode}, travel_quality_{mode} (worst of the targets)",
            "values": list(QUALITY_VALUES),
            "far_snap_m": FAR_SNAP_M,
            "buurten_per_mode": quality_counts(result.buurten, costs.modes),
        },
        "notes": t_notes,
        "origins": origin_info,
        "teams": {
            "n": len(gdf_teams),
            "per_soort": {str(k): int(v) for k, v in gdf_teams["soort"].astype(str).value_counts().items()},
            # travel to fictitious demo teams is itself demo: the app labels it so
            "is_demo": bool(gdf_teams["is_demo"].fillna(False).astype(bool).any())
            if "is_demo" in gdf_teams.columns
            else False,
        },
        "thresholds_min": list(options.thresholds_min),
        "coverage_mode": options.coverage_mode,
        "seam_margin_min": options.seam_margin_min,
        "access": {
            "measure": "E2SFCA (PySAL access, enhanced_two_stage_fca)",
            "mode": options.access_mode,
            "supply": options.access_supply,
            "demand": "youth_population (0-17, estimate)",
            "decay": decay.describe(),
            "max_cost_min": decay.max_cost,
            "unit": f"{options.access_supply} per {PER:g} youth",
        },
        "matrix_limit_min": options.matrix_limit_min,
        "date": dt.date.today().isoformat(),
        "cache": CACHE_FILE,
    }
    methods = {**atlas.manifest.get("methods", {}), "travel": method}
    cache = costs_to_npz(
        costs,
        origins=origins,
        meta={"options": options_record(options), "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
    )
    out = atlas.with_layers(buurten=buurten, wijken=wijken, coverage=result.coverage, team_load=result.team_load)
    out = out.with_manifest(methods=methods, inputs=inputs, notes=notes + o_notes + t_notes + list(result.notes))
    return out.with_files(**{CACHE_FILE: cache})
