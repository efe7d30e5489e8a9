"""What-if from a session's own teams: equals a build with those teams, per user, and never touches the atlas."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point
from travel_grid import (
    BIKE_MIN_PER_BLOCK,
    INTRA_MIN,
    centre,
    code,
    grid_buurten_youth,
    grid_edges,
    grid_network,
    grid_teams,
    grid_wijken,
)

from dashboard.scenario import OwnTeams, own_teams, teams_digest, whatif_result
from dashboard.session import SessionStore
from dashboard.uploads import APPLIED
from etl.atlas import Atlas, write_atlas
from etl.reach import add_travel, travel_metrics
from etl.travel import DetourFactors, TravelOptions, build_mode_graphs, origin_team_costs, representative_origins
from etl.whatif import Scenario, apply_scenario, rebase, whatif_base
from geodata.errors import InputError
from geodata.network import Speeds

OPTIONS = TravelOptions(thresholds_min=(0.4, 0.8), decay="step:0.8=1")


def my_teams() -> gpd.GeoDataFrame:
    """The atlas's teams as a planner changed them: BT-B moved to the middle, SP-S gone, a new buurtteam without FTE."""
    teams = grid_teams()
    teams = teams[teams["team_id"] != "SP-S"].copy()
    teams.loc[teams["team_id"] == "BT-B", "geometry"] = Point(centre(1, 1))
    new = gpd.GeoDataFrame(
        {
            "team_id": ["EIGEN-1"],
            "naam": ["Eigen buurtteam"],
            "organisatie": ["Lokalis"],
            "soort": ["buurtteam"],
            "capaciteit_fte": [np.nan],
            "is_demo": [False],
        },
        geometry=[Point(centre(2, 0))],
        crs="EPSG:28992",
    )
    return gpd.GeoDataFrame(pd.concat([teams, new], ignore_index=True), geometry="geometry", crs="EPSG:28992")


def _costs(teams: gpd.GeoDataFrame, graphs: object) -> object:
    origins = representative_origins(grid_buurten_youth())
    return origin_team_costs(
        origin_xy=origins[["x", "y"]].to_numpy(),
        team_ids=teams["team_id"].astype(str).tolist(),
        team_xy=np.column_stack([teams.geometry.x, teams.geometry.y]),
        speeds=Speeds(),
        detour=DetourFactors(),
        graphs=graphs,  # type: ignore[arg-type]
    )


def _build(teams: gpd.GeoDataFrame, graphs: object) -> object:
    """The naive reference: every team searched from scratch, as a build does."""
    gdf = grid_buurten_youth()
    return travel_metrics(
        gdf_buurten=gdf,
        gdf_teams=teams,
        origins=representative_origins(gdf),
        costs=_costs(teams, graphs),  # type: ignore[arg-type]
        options=OPTIONS,
    )


def test_rebase_equals_a_build_with_the_own_teams(tmp_path: Path) -> None:
    graphs = build_mode_graphs(grid_network(tmp_path), speeds=Speeds())
    gdf = grid_buurten_youth()
    shared = whatif_base(
        gdf_buurten=gdf,
        gdf_teams=grid_teams(),
        origins=representative_origins(gdf),
        costs=_costs(grid_teams(), graphs),
        options=OPTIONS,
    )  # type: ignore[arg-type]
    mine = my_teams()
    based = rebase(shared, gdf_teams=mine)
    reference = _build(mine, graphs)
    pd.testing.assert_frame_equal(based.baseline.buurten, reference.buurten)  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(based.baseline.coverage, reference.coverage)  # type: ignore[attr-defined]
    # By hand: buurtteams at (0,0), (1,1) and (2,0); (2,2) is two blocks from (1,1), (1,1) has its own.
    b = based.baseline.buurten.set_index("buurtcode")
    assert b.loc[code(2, 2), "tt_buurtteam_bike_min"] == pytest.approx(2 * BIKE_MIN_PER_BLOCK, abs=1e-5)
    assert b.loc[code(1, 1), "nearest_buurtteam_bike"] == "BT-B"
    assert b.loc[code(2, 0), "nearest_buurtteam_bike"] == "EIGEN-1"
    # The shared base is untouched: still the atlas's four teams, BT-B at (2,2).
    assert shared.gdf_teams["team_id"].tolist() == ["BT-A", "BT-B", "SP-K", "SP-S"]
    assert shared.baseline.buurten.set_index("buurtcode").loc[code(2, 2), "tt_buurtteam_bike_min"] == 0.0
    # A scenario on the own teams equals a build of the teams it leaves.
    result = apply_scenario(based, Scenario(remove=("EIGEN-1",)))
    pd.testing.assert_frame_equal(
        result.buurten, _build(mine[mine["team_id"] != "EIGEN-1"].reset_index(drop=True), graphs).buurten
    )  # type: ignore[attr-defined]
    # Teams without a capaciteit_fte column still give travel times.
    bare = rebase(shared, gdf_teams=mine.drop(columns=["capaciteit_fte"]))
    pd.testing.assert_series_equal(
        bare.baseline.buurten["tt_buurtteam_bike_min"], reference.buurten["tt_buurtteam_bike_min"]
    )  # type: ignore[attr-defined]


def test_rebase_refuses_bad_teams_naming_the_file(tmp_path: Path) -> None:
    gdf = grid_buurten_youth()
    shared = whatif_base(
        gdf_buurten=gdf,
        gdf_teams=grid_teams(),
        origins=representative_origins(gdf),
        costs=_costs(grid_teams(), None),
        options=OPTIONS,
    )  # type: ignore[arg-type]
    bad = my_teams()
    bad.loc[0, "soort"] = "wijkteam"
    with pytest.raises(InputError) as err:
        rebase(shared, gdf_teams=bad, source="mijn_teams.csv")
    assert err.value.problems[0].code == "TEAM_SOORT"
    assert err.value.problems[0].file == "mijn_teams.csv"


class _Opts:
    def __init__(self, travel: TravelOptions) -> None:
        self.travel = travel


def _atlas(tmp_path: Path) -> Path:
    network = tmp_path / "streets.gpkg"
    grid_edges().to_file(network, layer="edges")
    atlas = Atlas(
        {"buurten": grid_buurten_youth(), "wijken": grid_wijken(), "teams": grid_teams()},
        {"notes": [], "methods": {}, "inputs": []},
    )
    atlas = add_travel(atlas, _Opts(TravelOptions(network=network, thresholds_min=(0.4, 0.8), decay="step:0.8=1")))
    out = tmp_path / "atlas"
    write_atlas(atlas, out)
    return out


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_each_session_starts_from_its_own_teams_and_the_atlas_stays(tmp_path: Path) -> None:
    atlas = _atlas(tmp_path)
    before = _digests(atlas)
    store = SessionStore(root=tmp_path / "sessions", key=b"k" * 32)
    store.put("anna", APPLIED + "teams", my_teams(), {"kind": "teams", "name": "mijn_teams.csv"})
    anna, bob = own_teams(store, "anna"), own_teams(store, "bob")
    assert bob is None
    assert anna is not None
    assert anna.name == "mijn_teams.csv"

    mine = whatif_result(str(atlas), "", anna)
    shared = whatif_result(str(atlas), "", bob)
    assert mine.teams["team_id"].tolist() == ["BT-A", "BT-B", "SP-K", "EIGEN-1"]
    assert shared.teams["team_id"].tolist() == ["BT-A", "BT-B", "SP-K", "SP-S"]
    tt = "tt_buurtteam_bike_min"
    assert mine.buurten.set_index("buurtcode").loc[code(2, 2), tt] == pytest.approx(2 * BIKE_MIN_PER_BLOCK, abs=1e-5)
    # BT-B stands in (2,2)'s own centre: the intrazonal floor of a 100 m buurt by bike (travel_grid), not 0
    assert shared.buurten.set_index("buurtcode").loc[code(2, 2), tt] == pytest.approx(INTRA_MIN["bike"], abs=1e-5)

    # Anna's own team can be changed in her scenario; for Bob it does not exist.
    gone = whatif_result(str(atlas), "remove:EIGEN-1", anna)
    assert gone.summary["teams"]["removed"] == ["EIGEN-1"]
    # (2,0) loses its own team: from the intrazonal floor to two blocks
    assert gone.buurten_change.set_index("buurtcode").loc[code(2, 0), f"{tt}_change"] == pytest.approx(
        2 * BIKE_MIN_PER_BLOCK - INTRA_MIN["bike"], abs=1e-5
    )
    with pytest.raises(InputError) as err:
        whatif_result(str(atlas), "remove:EIGEN-1", bob)
    assert err.value.problems[0].code == "WHATIF_TEAM_UNKNOWN"
    assert _digests(atlas) == before  # nothing of Anna's reached the shared atlas


def test_own_teams_are_keyed_by_content() -> None:
    a, b = my_teams(), my_teams()
    assert teams_digest(a) == teams_digest(b)
    assert OwnTeams(a, "x.csv", teams_digest(a)) == OwnTeams(b, "y.csv", teams_digest(b))
    b.loc[0, "geometry"] = Point(centre(0, 1))
    assert teams_digest(a) != teams_digest(b)
    c = my_teams()
    c.loc[0, "capaciteit_fte"] = 9.0
    assert teams_digest(a) != teams_digest(c)
