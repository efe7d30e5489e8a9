"""The origin×team cost structure: hand-derived times on a street grid, straight-line fallback, bounds, nearest, cache."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box
from travel_grid import (
    BIKE_MIN_PER_BLOCK,
    CAR_MIN_PER_BLOCK,
    WALK_MIN_PER_BLOCK,
    blocks,
    centre,
    grid_buurten_youth,
    grid_network,
    grid_teams,
)

from etl.travel import (
    BASE,
    METHOD_NETWORK,
    METHOD_STRAIGHT,
    DetourFactors,
    Snap,
    TravelCosts,
    TravelOptions,
    build_mode_graphs,
    costs_from_npz,
    costs_to_npz,
    decode,
    encode,
    mode_graph,
    nearest_on_network,
    nearest_team,
    origin_team_costs,
    read_origins,
    representative_origins,
    weighted_origins,
    with_teams,
)
from geodata.errors import InputError
from geodata.network import MODES, Speeds, read_edges

CELLS = [(r, c) for r in range(3) for c in range(3)]
TEAM_CELLS = [(0, 0), (2, 2), (2, 0), (0, 2)]
PER_BLOCK = {"walk": WALK_MIN_PER_BLOCK, "bike": BIKE_MIN_PER_BLOCK, "car": CAR_MIN_PER_BLOCK}


def _grid_costs(tmp_path: Path, **kwargs: object) -> TravelCosts:
    graphs = build_mode_graphs(grid_network(tmp_path), speeds=Speeds())
    origins = representative_origins(grid_buurten_youth())
    teams = grid_teams()
    return origin_team_costs(
        origin_xy=origins[["x", "y"]].to_numpy(),
        team_ids=teams["team_id"].tolist(),
        team_xy=np.column_stack([teams.geometry.x, teams.geometry.y]),
        speeds=Speeds(),
        detour=DetourFactors(),
        graphs=graphs,
        **kwargs,  # type: ignore[arg-type]
    )


def test_representative_points_are_the_grid_centres() -> None:
    origins = representative_origins(grid_buurten_youth())
    assert origins[["x", "y"]].to_numpy().tolist() == [list(centre(r, c)) for r, c in CELLS]
    assert origins["weight"].tolist() == [10.0 * (i + 1) for i in range(9)]


@pytest.mark.parametrize("mode", MODES)
def test_grid_times_and_distances_are_blocks_times_speed(tmp_path: Path, mode: str) -> None:
    costs = _grid_costs(tmp_path)
    assert costs.method == METHOD_NETWORK
    expected_blocks = np.array([[blocks(o, t) for t in TEAM_CELLS] for o in CELLS], dtype=float)
    np.testing.assert_allclose(costs.dist_m[mode], 100.0 * expected_blocks, atol=1e-3)
    np.testing.assert_allclose(costs.time_min[mode], PER_BLOCK[mode] * expected_blocks, atol=1e-5)


def test_nearest_team_with_ties_to_the_shorter_route_then_the_first_team(tmp_path: Path) -> None:
    costs = _grid_costs(tmp_path)
    buurtteams = np.array([True, True, False, False])
    near = nearest_team(costs, mode="bike", team_mask=buurtteams)
    # blocks to BT-A at (0,0) and BT-B at (2,2); a tie (equal time and length) goes to the first column
    expected = [min(blocks(o, (0, 0)), blocks(o, (2, 2))) for o in CELLS]
    np.testing.assert_allclose(near.time_min, [BIKE_MIN_PER_BLOCK * b for b in expected], atol=1e-5)
    assert near.team.tolist() == [0 if blocks(o, (0, 0)) <= blocks(o, (2, 2)) else 1 for o in CELLS]
    none = nearest_team(costs, mode="bike", team_mask=np.zeros(4, dtype=bool))
    assert none.team.tolist() == [-1] * 9
    assert np.isinf(none.time_min).all()


def test_snap_legs_are_added_at_the_base_speed(tmp_path: Path) -> None:
    graphs = build_mode_graphs(grid_network(tmp_path), speeds=Speeds())
    x, y = centre(0, 0)
    costs = origin_team_costs(
        origin_xy=np.array([[x - 20.0, y]]),  # 20 m west of junction (0,0)
        team_ids=["T"],
        team_xy=np.array([[centre(0, 1)[0], centre(0, 1)[1] + 30.0]]),  # 30 m north of junction (0,1)
        speeds=Speeds(),
        detour=DetourFactors(),
        graphs=graphs,
    )
    # 20 m leg + 100 m street + 30 m leg = 150 m; bike 150/250 min, walk 150/83.33, car 150/500
    assert costs.dist_m["bike"][0, 0] == pytest.approx(150.0)
    assert costs.time_min["bike"][0, 0] == pytest.approx(0.6, abs=1e-5)
    assert costs.time_min["walk"][0, 0] == pytest.approx(1.8, abs=1e-5)
    assert costs.time_min["car"][0, 0] == pytest.approx(0.3, abs=1e-5)


def test_oneway_for_cars_makes_them_go_round(tmp_path: Path) -> None:
    x, y = 136000.0, 455000.0
    lines = [
        LineString([(x, y), (x + 100, y)]),  # A → B, oneway for cars
        LineString([(x + 100, y), (x + 100, y + 100)]),  # B - C
        LineString([(x + 100, y + 100), (x, y + 100)]),  # C - D
        LineString([(x, y + 100), (x, y)]),  # D - A
    ]
    gdf = gpd.GeoDataFrame(
        {"highway": ["residential"] * 4, "oneway": ["yes", "no", "no", "no"]}, geometry=lines, crs="EPSG:28992"
    )
    path = tmp_path / "square.gpkg"
    gdf.to_file(path)
    graphs = build_mode_graphs(read_edges(path), speeds=Speeds())
    costs = origin_team_costs(
        origin_xy=np.array([[x, y], [x + 100, y]]),
        team_ids=["at_B", "at_A"],
        team_xy=np.array([[x + 100, y], [x, y]]),
        speeds=Speeds(),
        detour=DetourFactors(),
        graphs=graphs,
    )
    # car A→B straight (100 m), B→A round via C and D (300 m); in OSM oneway binds bikes too (unless
    # oneway:bicycle=no); walkers may go both ways
    assert costs.dist_m["car"][0, 0] == pytest.approx(100.0)
    assert costs.dist_m["car"][1, 1] == pytest.approx(300.0)
    assert costs.dist_m["bike"][1, 1] == pytest.approx(300.0)
    assert costs.dist_m["walk"][1, 1] == pytest.approx(100.0)


def test_straight_line_fallback_uses_the_detour_factor(tmp_path: Path) -> None:
    origins = representative_origins(grid_buurten_youth())
    teams = grid_teams()
    costs = origin_team_costs(
        origin_xy=origins[["x", "y"]].to_numpy(),
        team_ids=teams["team_id"].tolist(),
        team_xy=np.column_stack([teams.geometry.x, teams.geometry.y]),
        speeds=Speeds(),
        detour=DetourFactors(),
    )
    assert costs.method == METHOD_STRAIGHT
    # buurt (0,2) to SP-K at (2,0): √(200² + 200²) × 1.25 m; bike 250 m/min, walk 83⅓, car 500 (urban 30 km/h)
    row, col = 2, 2
    dist = math.hypot(200.0, 200.0) * 1.25
    assert costs.dist_m["bike"][row, col] == pytest.approx(dist, rel=1e-6)
    assert costs.time_min["bike"][row, col] == pytest.approx(dist / 250.0, rel=1e-6)
    assert costs.time_min["walk"][row, col] == pytest.approx(dist / (5000.0 / 60.0), rel=1e-6)
    assert costs.dist_m["car"][row, col] == pytest.approx(math.hypot(200.0, 200.0) * 1.35, rel=1e-6)
    assert costs.time_min["car"][row, col] == pytest.approx(math.hypot(200.0, 200.0) * 1.35 / 500.0, rel=1e-6)


def test_a_bounded_matrix_still_answers_nearest_exactly(tmp_path: Path) -> None:
    full = _grid_costs(tmp_path)
    bounded = _grid_costs(tmp_path, limit_min=0.5)  # about one block by bike
    t = bounded.time_min["bike"]
    assert np.isinf(t[full.time_min["bike"] > 0.5 + 1e-6]).all()
    np.testing.assert_array_equal(t[np.isfinite(t)], full.time_min["bike"][np.isfinite(t)])
    for mask in (
        np.array([True, True, False, False]),
        np.array([False, False, True, True]),
        np.array([False, False, True, False]),
    ):
        a = nearest_team(full, mode="bike", team_mask=mask)
        b = nearest_team(bounded, mode="bike", team_mask=mask)
        np.testing.assert_array_equal(a.time_min, b.time_min)
        np.testing.assert_array_equal(a.dist_m, b.dist_m)


def test_with_teams_reuses_unchanged_columns_and_equals_a_fresh_build(tmp_path: Path) -> None:
    base = _grid_costs(tmp_path)
    ids = ["BT-A", "SP-K", "SP-S", "NEW"]  # BT-B removed, SP-K moved, NEW added
    xy = np.array([centre(0, 0), (centre(1, 1)[0] + 10.0, centre(1, 1)[1]), centre(0, 2), centre(1, 0)])
    changed = with_teams(base, team_ids=ids, team_xy=xy)
    fresh = origin_team_costs(
        origin_xy=base.origin_xy, team_ids=ids, team_xy=xy, speeds=Speeds(), detour=DetourFactors(), graphs=base.graphs
    )
    for mode in MODES:
        np.testing.assert_array_equal(changed.time_min[mode], fresh.time_min[mode])
        np.testing.assert_array_equal(changed.dist_m[mode], fresh.dist_m[mode])
    assert changed.team_ids.tolist() == ids


def _random_graph(seed: int, n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, (n, 2))
    tail = rng.integers(0, n, 4 * n)
    head = rng.integers(0, n, 4 * n)
    # a ring both ways keeps it strongly connected; random one-way chords make it interesting
    ring = np.arange(n)
    tail = np.r_[tail, ring, (ring + 1) % n]
    head = np.r_[head, (ring + 1) % n, ring]
    length = np.hypot(*(xy[tail] - xy[head]).T) + 1.0
    return xy, tail, head, length


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matrix_and_multi_source_search_match_a_naive_networkx_reference(seed: int) -> None:
    xy, tail, head, length = _random_graph(seed)
    kmh = 15.0
    graph = mode_graph(mode="bike", node_xy=xy, tail=tail, head=head, weight=encode(length, kmh), connector_kmh=kmh)
    rng = np.random.default_rng(seed + 100)
    origins = rng.uniform(0, 1000, (25, 2))
    teams = rng.uniform(0, 1000, (7, 2))
    costs = origin_team_costs(
        origin_xy=origins,
        team_ids=[f"t{j}" for j in range(7)],
        team_xy=teams,
        speeds=Speeds(bike_kmh=kmh),
        detour=DetourFactors(),
        graphs={"bike": graph},
        modes=("bike",),
    )
    # the naive way: networkx single-source Dijkstra from every origin on the same weights
    g = nx.DiGraph()
    for a, b, w in zip(tail.tolist(), head.tolist(), encode(length, kmh).tolist(), strict=True):
        if a != b and (not g.has_edge(a, b) or g[a][b]["w"] > w):
            g.add_edge(a, b, w=w)
    o_snap, t_snap = costs.origin_snap["bike"], costs.team_snap["bike"]  # type: ignore[index]
    for i in range(len(origins)):
        reach = nx.single_source_dijkstra_path_length(g, int(o_snap.nodes[i]), weight="w")
        enc = np.array([reach[int(t_snap.nodes[j])] + o_snap.leg_enc[i] + t_snap.leg_enc[j] for j in range(7)])
        t, d = decode(enc)
        np.testing.assert_array_equal(costs.time_min["bike"][i], t)
        np.testing.assert_array_equal(costs.dist_m["bike"][i], d)
    enc, which = nearest_on_network(graph, origin=o_snap, team=t_snap)
    t, _ = decode(enc)
    np.testing.assert_array_equal(t, costs.time_min["bike"].min(axis=1))
    chosen = costs.time_min["bike"][np.arange(len(origins)), which]
    np.testing.assert_array_equal(chosen, costs.time_min["bike"].min(axis=1))


def test_encode_decode_round_trip() -> None:
    enc = encode(np.array([100.0, 1234.5, 0.001]), 15.0)
    t, d = decode(enc)
    assert t.tolist() == pytest.approx([0.4, 1234.5 / 250.0, 1e-3 / 60.0], abs=1e-6)  # ≥ 1 ms per arc
    assert d.tolist() == pytest.approx([100.0, 1234.5, 0.0], abs=0.05)
    assert np.isinf(decode(np.array([np.inf]))[0]).all()
    assert enc[0] == 24000 * BASE + 1000


def test_snap_uses_the_largest_strongly_connected_part() -> None:
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [1000.0, 0.0], [1001.0, 0.0]])
    tail = np.array([0, 1, 1, 2, 3])
    head = np.array([1, 0, 2, 1, 4])  # 3 → 4 one way only: not strongly connected
    graph = mode_graph(
        mode="walk", node_xy=xy, tail=tail, head=head, weight=encode(np.full(5, 100.0), 5.0), connector_kmh=5.0
    )
    assert sorted(graph.snap_nodes.tolist()) == [0, 1, 2]


def test_cache_round_trip(tmp_path: Path) -> None:
    origins = representative_origins(grid_buurten_youth())
    floor_m = origins["intrazonal_m"].to_numpy()
    for costs in (
        _grid_costs(tmp_path, origin_intrazonal_m=floor_m),
        _grid_costs(tmp_path, limit_min=0.5, origin_intrazonal_m=floor_m),
    ):
        data = costs_to_npz(costs, origins=origins, meta={"options": {"x": 1}})
        back, back_origins, header = costs_from_npz(data)
        assert header["options"] == {"x": 1}
        assert back.method == costs.method
        assert back.mode_method == costs.mode_method
        np.testing.assert_array_equal(back.origin_intrazonal_m, floor_m)  # type: ignore[arg-type]
        assert back.limit_min == costs.limit_min
        assert back.team_ids.tolist() == costs.team_ids.tolist()
        for mode in MODES:
            np.testing.assert_array_equal(back.time_min[mode], costs.time_min[mode])
            np.testing.assert_array_equal(back.dist_m[mode], costs.dist_m[mode])
            assert (back.graphs[mode].reverse != costs.graphs[mode].reverse).nnz == 0  # type: ignore[index]
        pd.testing.assert_frame_equal(back_origins, origins, check_dtype=False)
        # a what-if on the loaded cache searches the same graphs (origin 1 is buurt (0,1): one block)
        moved = with_teams(back, team_ids=["BT-A"], team_xy=np.array([centre(1, 1)]))
        assert moved.time_min["bike"][1, 0] == pytest.approx(BIKE_MIN_PER_BLOCK, abs=1e-5)
    path = tmp_path / "straight.npz"
    straight = origin_team_costs(
        origin_xy=np.zeros((2, 2)), team_ids=["a"], team_xy=np.ones((1, 2)), speeds=Speeds(), detour=DetourFactors()
    )
    path.write_bytes(
        costs_to_npz(
            straight,
            origins=pd.DataFrame({"buurtcode": ["b1", "b2"], "x": [0.0, 0.0], "y": [0.0, 0.0], "weight": [1.0, 2.0]}),
            meta={},
        )
    )
    back, _, _ = costs_from_npz(path)
    assert back.graphs is None
    np.testing.assert_array_equal(back.time_min["walk"], straight.time_min["walk"])


# ---------------------------------------------------------------- weighted origins


def test_weighted_origins_scale_to_buurt_youth_and_fill_gaps() -> None:
    gdf_buurten = grid_buurten_youth()
    x, y = centre(0, 0)
    points = gpd.GeoDataFrame(
        {"weight": [1.0, 3.0, 5.0, -99997.0, 2.0]},
        geometry=[
            Point(x - 20, y),
            Point(x + 20, y),
            Point(centre(1, 1)),
            Point(centre(1, 1)[0] + 10, centre(1, 1)[1]),
            Point(0, 0),
        ],
        crs="EPSG:28992",
    )
    origins, notes = weighted_origins(points, gdf_buurten)
    first = origins[origins["buurtcode"] == "BU99990101"]
    assert first["weight"].tolist() == [2.5, 7.5]  # 10 youth split 1 : 3
    middle = origins[origins["buurtcode"] == "BU99990202"]
    # CBS's secret −99997 is a small count, 2 (the midpoint of 0–4), not 0: 50 youth split 5 : 2
    assert middle["weight"].tolist() == pytest.approx([50.0 * 5 / 7, 50.0 * 2 / 7])
    # the other 7 buurten keep their representative point with all their youth
    others = origins[~origins["buurtcode"].isin(["BU99990101", "BU99990202"])]
    assert len(others) == 7
    assert others["weight"].sum() == pytest.approx(450.0 - 10.0 - 50.0)
    assert origins["weight"].sum() == pytest.approx(450.0)
    assert len(notes) == 2  # one point outside every buurt; 7 buurten without points


def test_read_origins_from_grid_cells(tmp_path: Path) -> None:
    x, y = centre(0, 0)
    cells = gpd.GeoDataFrame(
        {"n_0_17": [4, 6], "label": ["a", "b"]},
        geometry=[box(x - 50, y - 50, x, y), box(x, y, x + 50, y + 50)],
        crs="EPSG:28992",
    )
    path = tmp_path / "cells.gpkg"
    cells.to_file(path)
    got = read_origins(path, weight="n_0_17")
    assert got.geometry.geom_type.unique().tolist() == ["Point"]
    assert got["weight"].tolist() == [4.0, 6.0]
    with pytest.raises(InputError) as err:
        read_origins(path)
    assert err.value.problems[0].code == "ORIGINS_WEIGHT_UNKNOWN"
    assert "n_0_17" in err.value.problems[0].en
    with pytest.raises(InputError) as err:
        read_origins(path, weight="label")
    assert (err.value.problems[0].code, err.value.problems[0].row) == ("ORIGINS_WEIGHT_INVALID", 2)


def test_travel_options_are_validated() -> None:
    with pytest.raises(InputError):
        TravelOptions(coverage_mode="boat")
    with pytest.raises(InputError):
        TravelOptions(thresholds_min=(10.0, -5.0))
    with pytest.raises(InputError):
        DetourFactors(bike=0.9)


def test_origins_on_junctions_have_no_snap_leg(tmp_path: Path) -> None:
    costs = _grid_costs(tmp_path)
    snap = costs.origin_snap["walk"]  # type: ignore[index]
    assert isinstance(snap, Snap)
    assert snap.leg_m.tolist() == [0.0] * 9


@pytest.mark.parametrize("limit", [0.7, 2.5, 6.0])
def test_bounded_searches_on_graph_regions_equal_the_whole_graph(limit: float) -> None:
    from etl.travel import _regions, network_columns, snap_points

    rng = np.random.default_rng(42)
    n = 60
    gx, gy = np.meshgrid(np.arange(n), np.arange(n))
    xy = np.column_stack(
        [gx.ravel() * 80.0 + rng.uniform(-20, 20, n * n), gy.ravel() * 80.0 + rng.uniform(-20, 20, n * n)]
    )
    idx = np.arange(n * n).reshape(n, n)
    a = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    b = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    one_way = rng.random(len(a)) < 0.2
    tail, head = np.r_[a, b[~one_way]], np.r_[b, a[~one_way]]
    length = np.hypot(*(xy[tail] - xy[head]).T) * rng.uniform(1.0, 1.4, len(tail))  # curvy streets
    kmh = rng.choice([15.0, 30.0, 50.0], len(tail))  # mixed speeds, as for cars
    graph = mode_graph(mode="car", node_xy=xy, tail=tail, head=head, weight=encode(length, kmh), connector_kmh=30.0)
    origin = snap_points(graph, rng.uniform(0, 4700, (200, 2)))
    team = snap_points(graph, rng.uniform(0, 4700, (25, 2)))
    sources = np.unique(team.nodes)
    regions = _regions(graph, sources, math.floor(limit * 60000))
    if limit < 1:  # small enough for the regions to be a fraction of the graph
        assert all(region is not None and len(region) < graph.n_nodes / 2 for _, region in regions)
    t, d = network_columns(graph, origin=origin, team=team, limit_min=limit)
    full_t, full_d = network_columns(graph, origin=origin, team=team)
    beyond = full_t > np.float32(limit) + 1e-6
    np.testing.assert_array_equal(t, np.where(beyond, np.inf, full_t))
    np.testing.assert_array_equal(d, np.where(beyond, np.inf, full_d))
