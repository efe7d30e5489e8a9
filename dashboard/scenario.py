"""Per-user what-if scenarios: the URL text form, the starting teams (the atlas's or the session's own), and results
from etl.whatif cached per worker (never written to the atlas)."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from dashboard.session import StateStore
from dashboard.uploads import APPLIED
from etl.store import open_store, store_key
from etl.whatif import WhatIfBase, WhatIfResult, apply_scenario, load_whatif_base, parse_scenario, rebase
from geodata.crs import RD_NEW
from geodata.errors import InputError, Problem

# In the URL a scenario is its steps joined by ";": "add:naam,x,y,organisatie,soort", "move:team_id,x,y",
# "remove:team_id" (x, y in RD New metres) — the same strings as `buurtdekking whatif --add/--move/--remove`.
STEP_SEPARATOR = ";"
KINDS = ("add", "move", "remove")
TEAM_KEY_COLUMNS = ("team_id", "naam", "organisatie", "soort", "capaciteit_fte")


@dataclass(frozen=True)
class Step:
    kind: str
    text: str

    def encode(self) -> str:
        return f"{self.kind}:{self.text}"


def decode(scenario: str) -> list[Step]:
    """Steps from the URL text; an unknown kind is an InputError naming the step."""
    steps = []
    for i, raw in enumerate(s for s in (scenario or "").split(STEP_SEPARATOR) if s.strip()):
        kind, _, text = raw.partition(":")
        if kind not in KINDS or not text.strip():
            raise InputError.single(
                "WHATIF_STEP",
                f"Stap {i + 1} van het scenario ('{raw}') begint niet met add:, move: of remove:.",
                f"Step {i + 1} of the scenario ('{raw}') does not start with add:, move: or remove:.",
                file="URL",
                column="scenario",
            )
        steps.append(Step(kind, text.strip()))
    return steps


def encode(steps: list[Step]) -> str:
    return STEP_SEPARATOR.join(s.encode() for s in steps)


@dataclass(frozen=True, eq=False)
class OwnTeams:
    """A session's applied teams (RD New), equal and hashed by content so that cached what-ifs are keyed by it.

    Only a request that carries the same teams finds a cached result, and a what-if is a pure function of
    atlas, teams and scenario, so the per-worker cache never hands one user's teams to another.
    """

    frame: gpd.GeoDataFrame
    name: str
    digest: str

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OwnTeams) and other.digest == self.digest


def teams_digest(gdf_teams: gpd.GeoDataFrame) -> str:
    """sha256 of what a what-if depends on: per team (in order) id, name, organisation, kind, capacity, x, y."""
    rd = gdf_teams.to_crs(RD_NEW) if gdf_teams.crs is not None else gdf_teams
    h = hashlib.sha256()
    columns = [
        rd[c].astype("string").fillna("") if c in rd else pd.Series("", index=rd.index) for c in TEAM_KEY_COLUMNS
    ]
    for *fields, x, y in zip(*columns, rd.geometry.x.round(3), rd.geometry.y.round(3), strict=True):
        h.update(("\x1f".join([*map(str, fields), f"{x:.3f}", f"{y:.3f}"]) + "\n").encode())
    return h.hexdigest()


def own_teams(store: StateStore, sid: str) -> OwnTeams | None:
    """The teams this session applied on the own-data page, or None (then the what-if starts from the atlas)."""
    found = store.get(sid, APPLIED + "teams")
    if found is None:
        return None
    frame, meta = found
    gdf = frame if isinstance(frame, gpd.GeoDataFrame) else gpd.GeoDataFrame(frame)
    if gdf.crs is None:
        gdf = gdf.set_crs(RD_NEW)
    return OwnTeams(frame=gdf, name=str(meta.get("name") or "upload"), digest=teams_digest(gdf))


def _version(atlas_dir: str) -> str:
    return open_store(atlas_dir).version()


@functools.lru_cache(maxsize=6)
def _base(atlas_dir: str, version: str, teams: OwnTeams | None = None) -> WhatIfBase:
    shared = load_whatif_base(atlas_dir) if teams is None else _base(atlas_dir, version, None)
    # A user's own teams: the atlas's cost structure, with only their new or moved teams searched.
    return shared if teams is None else rebase(shared, gdf_teams=teams.frame, source=teams.name)


def whatif_base(atlas_dir: str, teams: OwnTeams | None = None) -> WhatIfBase:
    """The what-if base of this atlas (cost structure, baseline) with the atlas's teams or ``teams``, once per worker."""
    return _base(store_key(atlas_dir), _version(atlas_dir), teams)


@functools.lru_cache(maxsize=64)
def _result(atlas_dir: str, version: str, scenario: str, teams: OwnTeams | None = None) -> WhatIfResult:
    steps = decode(scenario)
    parsed = parse_scenario(
        add=[s.text for s in steps if s.kind == "add"],
        move=[s.text for s in steps if s.kind == "move"],
        remove=[s.text for s in steps if s.kind == "remove"],
    )
    return apply_scenario(_base(atlas_dir, version, teams), parsed)


def whatif_result(atlas_dir: str, scenario: str, teams: OwnTeams | None = None) -> WhatIfResult:
    """The scenario's result: a pure function of atlas, starting teams and scenario text, so cached results are safe."""
    return _result(store_key(atlas_dir), _version(atlas_dir), scenario, teams)


def available(atlas_dir: str, teams: OwnTeams | None = None) -> Problem | None:
    """None when a what-if is possible for this atlas (and these teams), else why not."""
    try:
        whatif_base(atlas_dir, teams)
    except InputError as exc:
        return exc.problems[0]
    return None


def change_frame(result: WhatIfResult, *, column: str) -> pd.DataFrame:
    """Per buurt: travel time before, after and the change (minutes) for one metric column."""
    after = result.buurten.set_index("buurtcode")[column].astype("float64")
    change = result.buurten_change.set_index("buurtcode")[f"{column}_change"].astype("float64")
    return pd.DataFrame(
        {"after": after, "change": change.reindex(after.index), "before": after - change.reindex(after.index)}
    )
