"""How sure each travel figure is: per-mode fallback, snap statistics, far-snap notes, quality columns, intrazonal floor.

Hand-derived on the street grid of travel_grid (junctions 100 m apart through the buurt centres; bike 0.4 min
a block, walk 1.2, car 0.2) and its intrazonal floor (INTRA_MIN: a 100 m buurt, (2/3)·√(10,000/π) = 37.6 m).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from travel_grid import (
    BIKE_MIN_PER_BLOCK,
    FAR_CODE,
    INTRA_DIST_M,
    INTRA_MIN,
    INTRAZONAL_M,
    WALK_MIN_PER_BLOCK,
    X0,
    Y0,
    centre,
    code,
    grid_buurten_with_far,
    grid_buurten_youth,
    grid_edges,
    grid_network,
    grid_teams,
    grid_teams_with_far,
    grid_wijken,
)

from etl.atlas import Atlas, read_manifest, write_atlas
from etl.intrazonal import disc_mean_distance_m
from etl.quality import QUALITY_ESTIMATE, QUALITY_FAR_SNAP, QUALITY_NETWORK, QUALITY_UNREACHABLE, labels, origin_ranks
from etl.reach import add_travel, travel_metrics
from etl.travel import (
    CACHE_FILE,
    METHOD_MIXED,
    DetourFactors,
    Nearest,
    TravelOptions,
    build_mode_graphs,
    nearest_team,
    origin_team_costs,
    representative_origins,
    usable_graphs,
)
from etl.whatif import Move, Scenario, apply_scenario, load_whatif_base, scenario_teams
from geodata.errors import InputError
from geodata.network import Speeds, read_edges

OPTIONS = TravelOptions(thresholds_min=(0.4, 0.8), decay="step:0.8=1")


class _Opts:
    def __init__(self, travel: TravelOptions) -> None:
        self.travel = travel


def _edges_file(tmp_path: Path, **columns: object) -> Path:
    gdf = grid_edges()
    for name, value in columns.items():
        gdf[name] = value
    path = tmp_path / "streets.gpkg"
    gdf.to_file(path, layer="edges")
    return path


def _atlas(buurten: gpd.GeoDataFrame | None = None, teams: gpd.GeoDataFrame | None = None) -> Atlas:
    return Atlas(
        {
            "buurten": grid_buurten_youth() if buurten is None else buurten,
            "wijken": grid_wijken(),
            "teams": grid_teams() if teams is None else teams,
        },
        {"notes": [], "methods": {}, "inputs": []},
    )


# ---------------------------------------------------------------- A. a mode without usable streets falls back


def test_a_network_without_car_streets_gives_car_the_straight_line_with_a_note(tmp_path: Path) -> None:
    network = _edges_file(tmp_path, car=False)  # the generic schema: car=false on every line
    atlas = add_travel(_atlas(), _Opts(TravelOptions(network=network, thresholds_min=(0.4, 0.8), decay="step:0.8=1")))
    b = atlas["buurten"].set_index("buurtcode")
    assert set(b["travel_method_car"]) == {"straight_line"}
    assert set(b["travel_method_bike"]) == set(b["travel_method_walk"]) == {"network"}
    assert set(b["travel_method"]) == {METHOD_MIXED}
    assert set(b["travel_quality_car"]) == {QUALITY_ESTIMATE}
    assert set(b["travel_quality_bike"]) == {QUALITY_NETWORK}
    # car by the straight line: (0,1) → BT-A 100 m × 1.35 = 135 m at 30 km/h (500 m/min) = 0.27 min;
    # (1,1) → BT-A √2 × 100 × 1.35 = 190.9 m → 0.3818 min (BT-B as far: the tie goes to BT-A)
    assert b.loc[code(0, 1), "tt_buurtteam_car_min"] == pytest.approx(0.27, abs=1e-5)
    assert b.loc[code(1, 1), "dist_buurtteam_car_m"] == pytest.approx(math.hypot(100, 100) * 1.35, abs=1e-3)
    assert b.loc[code(1, 1), "nearest_buurtteam_car"] == "BT-A"
    # bike stays on the network: (1,1) two blocks from BT-A
    assert b.loc[code(1, 1), "tt_buurtteam_bike_min"] == pytest.approx(2 * BIKE_MIN_PER_BLOCK, abs=1e-5)
    travel = atlas.manifest["methods"]["travel"]
    assert travel["method_per_mode"] == {"walk": "network", "bike": "network", "car": "straight_line"}
    assert travel["fallback"]["modes"] == {"car": "no_edges"}
    assert travel["network"]["edges_per_mode"]["car"] == 0
    assert travel["snapping"]["car"] == {"method": "straight_line"}
    note = next(n for n in atlas.manifest["notes"] if n.startswith("auto:") and "/ car:" in n)
    assert "streets.gpkg" in note
    assert "straight line × detour factor" in note
    assert "hemelsbreed" in note
    c = atlas["coverage"]
    assert set(c.loc[c["mode"] == "car", "method"]) == {"straight_line"}
    assert set(c.loc[c["mode"] == "bike", "method"]) == {"network"}


def test_the_mixed_cache_round_trips_and_a_whatif_equals_a_rebuild(tmp_path: Path) -> None:
    network = _edges_file(tmp_path, car=False)
    options = TravelOptions(network=network, thresholds_min=(0.4, 0.8), decay="step:0.8=1")
    out = tmp_path / "atlas"
    write_atlas(add_travel(_atlas(), _Opts(options)), out)
    base = load_whatif_base(out)
    assert dict(base.costs.mode_method) == {"walk": "network", "bike": "network", "car": "straight_line"}
    scenario = Scenario(move=(Move("BT-B", *centre(1, 1)),))
    result = apply_scenario(base, scenario)
    assert result.summary["method_per_mode"]["car"] == "straight_line"
    rebuilt = add_travel(_atlas(teams=result.teams.drop(columns=["whatif"])), _Opts(options))
    cols = list(result.buurten.columns[1:])
    pd.testing.assert_frame_equal(
        result.buurten.set_index("buurtcode"), rebuilt["buurten"].set_index("buurtcode")[cols], check_names=False
    )


def test_a_mode_whose_network_is_far_from_every_origin_or_team_falls_back(tmp_path: Path) -> None:
    shifted = grid_edges()
    shifted["geometry"] = shifted.translate(xoff=5000.0)
    path = tmp_path / "shifted.gpkg"
    shifted.to_file(path, layer="edges")
    graphs = build_mode_graphs(read_edges(path), speeds=Speeds())
    origins = representative_origins(grid_buurten_youth())[["x", "y"]].to_numpy()
    # the streets lie 5 km east of every buurt: no figure of any mode would be a network figure
    kept, reasons = usable_graphs(graphs, origin_xy=origins, team_xy=origins[:1] + np.array([5000.0, 0.0]))
    assert kept == {}
    assert reasons == {"walk": "far_from_origins", "bike": "far_from_origins", "car": "far_from_origins"}
    # origins on the streets, the only team 5 km away from them
    kept, reasons = usable_graphs(graphs, origin_xy=origins + np.array([5000.0, 0.0]), team_xy=origins[:1])
    assert kept == {}
    assert reasons == {"walk": "far_from_teams", "bike": "far_from_teams", "car": "far_from_teams"}
    kept, reasons = usable_graphs(
        graphs, origin_xy=origins + np.array([5000.0, 0.0]), team_xy=origins[:1] + np.array([5000.0, 0.0])
    )
    assert set(kept) == {"walk", "bike", "car"}
    assert reasons == {}


# ---------------------------------------------------------------- B, C. snap statistics and far-snap notes


def test_far_snaps_are_counted_named_and_flag_only_the_figures_they_touch(tmp_path: Path) -> None:
    network = _edges_file(tmp_path)
    atlas = add_travel(
        _atlas(grid_buurten_with_far(), grid_teams_with_far()),
        _Opts(TravelOptions(network=network, thresholds_min=(0.4, 0.8), decay="step:0.8=1")),
    )
    b = atlas["buurten"].set_index("buurtcode")
    # the far buurt: 700 m leg at 15 km/h + two blocks to BT-A = 900 m, 3.6 min; on foot 10.8 min
    assert b.loc[FAR_CODE, "dist_buurtteam_bike_m"] == pytest.approx(900.0, abs=1e-3)
    assert b.loc[FAR_CODE, "tt_buurtteam_bike_min"] == pytest.approx(3.6, abs=1e-5)
    assert b.loc[FAR_CODE, "tt_buurtteam_walk_min"] == pytest.approx(10.8, abs=1e-5)
    for mode in ("walk", "bike", "car"):
        assert b.loc[FAR_CODE, f"travel_quality_buurtteam_{mode}"] == QUALITY_FAR_SNAP
        assert b.loc[FAR_CODE, f"travel_quality_{mode}"] == QUALITY_FAR_SNAP
        # SP-FAR is never a buurt's nearest team, so no other buurt is flagged by it
        assert set(b.drop(index=FAR_CODE)[f"travel_quality_{mode}"]) == {QUALITY_NETWORK}
    w = atlas["wijken"].set_index("wijkcode")
    assert w.loc["WK999901", "travel_quality_bike"] == QUALITY_FAR_SNAP  # the far buurt is in wijk 1
    assert w.loc["WK999902", "travel_quality_bike"] == QUALITY_NETWORK
    travel = atlas.manifest["methods"]["travel"]
    snap = travel["snapping"]["bike"]
    # origins: nine legs of 0 m and one of 700 m → median 0, p95 = 0.55 × 700 = 385 (linear between the
    # 9th and 10th), max 700; teams: four of 0 m and SP-FAR 600 m → p95 = 0.8 × 600 = 480
    assert snap["origins"] == {"n": 10, "leg_m_median": 0.0, "leg_m_p95": 385.0, "leg_m_max": 700.0, "far_n": 1}
    assert snap["teams"] == {"n": 5, "leg_m_median": 0.0, "leg_m_p95": 480.0, "leg_m_max": 600.0, "far_n": 1}
    assert snap["origins_reaching_no_team"] == 0
    assert snap["teams_reached_by_no_origin"] == 0
    far = travel["far_snaps"]["bike"]
    assert far["buurten"] == [{"buurtcode": FAR_CODE, "buurtnaam": "Verre buurt", "leg_m": 700.0}]
    assert far["teams"] == [{"team_id": "SP-FAR", "naam": "Specialist ver weg", "leg_m": 600.0}]
    note = next(
        n for n in atlas.manifest["notes"] if n.startswith("fiets:") and "/ bike: snapped farther than 500 m" in n
    )
    assert f"{FAR_CODE} Verre buurt (700 m)" in note
    assert "SP-FAR Specialist ver weg (600 m)" in note
    assert travel["notes"] == [n for n in atlas.manifest["notes"] if "500 m" in n]
    assert travel["quality"]["buurten_per_mode"]["bike"] == {QUALITY_NETWORK: 9, QUALITY_FAR_SNAP: 1}


def test_snap_statistics_count_what_a_bounded_matrix_cannot_reach(tmp_path: Path) -> None:
    network = _edges_file(tmp_path)
    atlas = add_travel(
        _atlas(),
        _Opts(TravelOptions(network=network, thresholds_min=(0.4, 0.8), decay="step:0.8=1", matrix_limit_min=0.5)),
    )
    snap = atlas.manifest["methods"]["travel"]["snapping"]
    # teams at the four corners. Bike, 0.4 min a block: only the centre (1,1), two blocks from every
    # corner, has no team within 0.5 min. Walk, 1.2 min a block: only the four corners themselves (the
    # intrazonal floor is not part of the matrix). Car, 0.2 min a block: everyone within two blocks.
    assert (snap["bike"]["origins_reaching_no_team"], snap["bike"]["teams_reached_by_no_origin"]) == (1, 0)
    assert (snap["walk"]["origins_reaching_no_team"], snap["walk"]["teams_reached_by_no_origin"]) == (5, 0)
    assert (snap["car"]["origins_reaching_no_team"], snap["car"]["teams_reached_by_no_origin"]) == (0, 0)
    assert snap["bike"]["limit_min"] == 0.5
    # the nearest team is still exact beyond the bound: (1,1) two blocks by bike
    b = atlas["buurten"].set_index("buurtcode")
    assert b.loc[code(1, 1), "tt_buurtteam_bike_min"] == pytest.approx(2 * BIKE_MIN_PER_BLOCK, abs=1e-5)
    assert b.loc[code(1, 1), "travel_quality_buurtteam_bike"] == QUALITY_NETWORK


def test_origin_ranks_by_hand(tmp_path: Path) -> None:
    """Network: no team reached → unreachable (3); a leg > 500 m of the origin or its team → far (2); else 1; no set → 0."""
    graphs = build_mode_graphs(grid_network(tmp_path), speeds=Speeds())
    xy = np.array([centre(0, 0), (X0 + 950.0, Y0 + 50.0), centre(1, 1), centre(2, 2)])
    costs = origin_team_costs(
        origin_xy=xy,
        team_ids=["T0", "TFAR"],
        team_xy=np.array([centre(0, 0), (X0 + 50.0, Y0 + 850.0)]),
        speeds=Speeds(),
        detour=DetourFactors(),
        graphs=graphs,
    )
    near = Nearest(
        np.array([0.0, 3.6, np.inf, 1.0], dtype="float32"), np.zeros(4, dtype="float32"), np.array([0, 0, -1, 1])
    )
    rank = origin_ranks(costs, mode="bike", near=near, has_set=np.array([True, True, True, True]))
    # origin 0 on a junction to T0 → 1; origin 1 700 m from the network → 2; origin 2 reaches none → 3;
    # origin 3 on a junction, but its team TFAR is 600 m from the network → 2
    assert rank.tolist() == [1, 2, 3, 2]
    assert origin_ranks(costs, mode="bike", near=near, has_set=np.array([False, True, True, True])).tolist()[0] == 0
    assert list(labels(np.array([0, 1, 2, 3]), method="network")) == [
        None,
        QUALITY_NETWORK,
        QUALITY_FAR_SNAP,
        QUALITY_UNREACHABLE,
    ]
    assert list(labels(np.array([0, 1]), method="straight_line")) == [None, QUALITY_ESTIMATE]


def test_without_a_contracted_provider_the_contract_quality_is_empty(tmp_path: Path) -> None:
    buurten = grid_buurten_youth()
    buurten.loc[buurten["wijkcode"] == "WK999903", "provider"] = None
    atlas = add_travel(_atlas(buurten), _Opts(OPTIONS))
    b = atlas["buurten"].set_index("buurtcode")
    assert pd.isna(b.loc[code(2, 2), "travel_quality_spec_contract_bike"])
    assert b.loc[code(2, 2), "travel_quality_buurtteam_bike"] == QUALITY_ESTIMATE
    assert b.loc[code(2, 2), "travel_quality_bike"] == QUALITY_ESTIMATE  # the worst of the targets that exist


# ---------------------------------------------------------------- F. intrazonal time


def test_intrazonal_distance_of_a_100_m_buurt_by_hand() -> None:
    # A = 10,000 m²: (2/3)·√(A/π) = (2/3)·56.4190 = 37.6126 m
    assert disc_mean_distance_m(10_000.0) == pytest.approx(INTRAZONAL_M, abs=1e-4)
    origins = representative_origins(grid_buurten_youth())
    np.testing.assert_allclose(origins["intrazonal_m"], INTRAZONAL_M, atol=1e-4)


@pytest.mark.parametrize("method", ["network", "straight_line"])
def test_a_team_in_the_buurt_centre_costs_the_intrazonal_time_not_zero(tmp_path: Path, method: str) -> None:
    network = _edges_file(tmp_path) if method == "network" else None
    atlas = add_travel(_atlas(), _Opts(TravelOptions(network=network, thresholds_min=(0.4, 0.8), decay="step:0.8=1")))
    b = atlas["buurten"].set_index("buurtcode")
    # BT-A stands in the centre of (0,0): 37.6 m × 1.25 = 47.0 m on foot at 5 km/h = 0.5642 min (33.8 s),
    # by bike 0.1881 min; by car 37.6 × 1.35 = 50.8 m at 30 km/h = 0.1016 min
    for mode in ("walk", "bike", "car"):
        assert b.loc[code(0, 0), f"tt_buurtteam_{mode}_min"] == pytest.approx(INTRA_MIN[mode], abs=1e-5)
        # (network lengths are encoded to the decimetre: 47.0 m)
        assert b.loc[code(0, 0), f"dist_buurtteam_{mode}_m"] == pytest.approx(
            INTRA_DIST_M[mode], abs=0.05 if method == "network" else 1e-3
        )
        assert b.loc[code(0, 0), f"nearest_buurtteam_{mode}"] == "BT-A"
    assert b.loc[code(0, 0), "tt_buurtteam_walk_min"] * 60 == pytest.approx(33.85, abs=0.01)
    # one block away it does not bind: (0,1) on the network 0.4 min by bike; straight line 125 m = 0.5 min
    expected = BIKE_MIN_PER_BLOCK if method == "network" else 100 * 1.25 / 250
    assert b.loc[code(0, 1), "tt_buurtteam_bike_min"] == pytest.approx(expected, abs=1e-5)
    # the seam margin now compares against the floor: walking from (0,2) SP-S is in its centre (0.564
    # min), the contracted SP-K four blocks (4.8 min on the network)
    if method == "network":
        assert b.loc[code(0, 2), "seam_gain_walk_min"] == pytest.approx(
            4 * WALK_MIN_PER_BLOCK - INTRA_MIN["walk"], abs=1e-5
        )


def test_the_floor_never_changes_which_team_is_nearest() -> None:
    # one origin at (0,0)'s centre with its 37.6 m floor; Y 20 m away is listed first, X stands on the point.
    # Both are within the floor (47.0 m by bike), yet the nearest is X, the shorter straight line.
    x, y = centre(0, 0)
    costs = origin_team_costs(
        origin_xy=np.array([[x, y]]),
        team_ids=["Y", "X"],
        team_xy=np.array([[x + 20.0, y], [x, y]]),
        speeds=Speeds(),
        detour=DetourFactors(),
        origin_intrazonal_m=np.array([INTRAZONAL_M]),
    )
    near = nearest_team(costs, mode="bike", team_mask=np.array([True, True]))
    assert near.team.tolist() == [1]
    assert near.time_min[0] == pytest.approx(INTRA_MIN["bike"], abs=1e-5)
    assert near.dist_m[0] == pytest.approx(INTRA_DIST_M["bike"], abs=1e-3)
    # the matrix itself keeps the routes (25 m and 0 m): the floor is applied where a figure is read
    assert costs.dist_m["bike"][0].tolist() == pytest.approx([25.0, 0.0])


def test_e2sfca_sees_the_floored_times(tmp_path: Path) -> None:
    # decay step 0.15 min = 1: BT-A's own buurt (0,0) is 0.188 min from it by bike — outside the catchment
    # — while on the raw matrix (0 min) it would be inside; with no youth in reach BT-A gives no access.
    atlas = add_travel(
        _atlas(), _Opts(TravelOptions(network=_edges_file(tmp_path), thresholds_min=(0.4,), decay="step:0.15=1"))
    )
    b = atlas["buurten"].set_index("buurtcode")
    assert b.loc[code(0, 0), "access_e2sfca"] == 0.0
    assert atlas["team_load"].set_index("team_id").loc["BT-A", "catchment_youth"] == 0.0


# ---------------------------------------------------------------- G. the cache and the what-if


def test_an_old_cache_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    out = tmp_path / "atlas"
    write_atlas(add_travel(_atlas(), _Opts(OPTIONS)), out)
    cache = out / CACHE_FILE
    with np.load(cache, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = json.loads(str(arrays["header"]))
    header["version"] = 1
    arrays["header"] = np.array(json.dumps(header))
    np.savez_compressed(cache, **arrays)  # type: ignore[arg-type]
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    import hashlib

    manifest["files"][CACHE_FILE]["sha256"] = hashlib.sha256(cache.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    assert read_manifest(out)["files"][CACHE_FILE]["sha256"] == manifest["files"][CACHE_FILE]["sha256"]
    with pytest.raises(InputError) as err:
        load_whatif_base(out)
    problem = err.value.problems[0]
    assert problem.code == "WHATIF_CACHE"
    assert "older version" in problem.en
    assert "buurtdekking build" in problem.en
    assert "oudere versie" in problem.nl


def test_a_whatif_moving_a_team_far_from_the_network_equals_a_rebuild(tmp_path: Path) -> None:
    network = _edges_file(tmp_path)
    options = TravelOptions(network=network, thresholds_min=(0.4, 0.8), decay="step:0.8=1")
    out = tmp_path / "atlas"
    write_atlas(add_travel(_atlas(), _Opts(options)), out)
    base = load_whatif_base(out)
    # SP-S, Spoor030's only specialist team, to 600 m east of junction (0,2): wijk 3 (Spoor030) still has it
    # as its contracted team, now with a far snap; as the nearest of any provider SP-K always wins (≤ 4 blocks
    # = 1.6 min by bike against ≥ 600 m = 2.4 min), so only the contract figures of wijk 3 are flagged
    scenario = Scenario(move=(Move("SP-S", X0 + 850.0, Y0 + 50.0),))
    result = apply_scenario(base, scenario)
    teams = scenario_teams(base.gdf_teams, scenario)
    rebuilt = add_travel(_atlas(teams=teams.drop(columns=["whatif"])), _Opts(options))
    cols = list(result.buurten.columns[1:])
    pd.testing.assert_frame_equal(
        result.buurten.set_index("buurtcode"), rebuilt["buurten"].set_index("buurtcode")[cols], check_names=False
    )
    pd.testing.assert_frame_equal(
        result.wijken.set_index("wijkcode"),
        rebuilt["wijken"].set_index("wijkcode")[list(result.wijken.columns[1:])],
        check_names=False,
    )
    b = result.buurten.set_index("buurtcode")
    row_3 = {code(2, c) for c in range(3)}
    assert set(b.index[b["travel_quality_spec_contract_bike"] == QUALITY_FAR_SNAP]) == row_3
    assert set(b["travel_quality_spec_any_bike"]) == {QUALITY_NETWORK}
    assert set(b.index[b["travel_quality_bike"] == QUALITY_FAR_SNAP]) == row_3
    changed = result.buurten_change.set_index("buurtcode")["travel_quality_bike_changed"]
    assert set(changed.index[changed]) == row_3


def test_travel_metrics_without_a_floor_keep_the_raw_routes(tmp_path: Path) -> None:
    gdf = grid_buurten_youth()
    teams = grid_teams()
    origins = representative_origins(gdf).drop(columns="intrazonal_m")
    costs = origin_team_costs(
        origin_xy=origins[["x", "y"]].to_numpy(),
        team_ids=teams["team_id"].tolist(),
        team_xy=np.column_stack([teams.geometry.x, teams.geometry.y]),
        speeds=Speeds(),
        detour=DetourFactors(),
        graphs=build_mode_graphs(grid_network(tmp_path), speeds=Speeds()),
    )
    res = travel_metrics(gdf_buurten=gdf, gdf_teams=teams, origins=origins, costs=costs, options=OPTIONS)
    assert res.buurten.set_index("buurtcode").loc[code(0, 0), "tt_buurtteam_bike_min"] == 0.0


def test_a_network_build_with_an_empty_team_list_has_no_figures_and_no_quality(tmp_path: Path) -> None:
    teams = grid_teams().iloc[0:0]
    atlas = add_travel(_atlas(teams=teams), _Opts(TravelOptions(network=_edges_file(tmp_path))))
    b = atlas["buurten"]
    assert b["tt_buurtteam_bike_min"].isna().all()
    assert b["travel_quality_bike"].isna().all()
    snap = atlas.manifest["methods"]["travel"]["snapping"]["bike"]
    assert snap["teams"]["n"] == 0
    assert snap["origins_reaching_no_team"] == 9
