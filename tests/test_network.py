"""Reading street networks: OSM XML and PBF (pyosmium), edge files (GeoPackage/GeoParquet), access rules and speeds."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point, box

from geodata.errors import InputError
from geodata.network import Speeds, StreetNetwork, car_speed_kmh, parse_maxspeed, read_network, way_rules

# ---------------------------------------------------------------- a tiny OSM extract near Utrecht

NODES = {
    1: (5.100, 52.090),
    2: (5.101, 52.090),
    3: (5.102, 52.090),
    4: (5.101, 52.091),
    5: (5.102, 52.091),
    6: (5.100, 52.092),
    7: (5.1005, 52.0925),  # shape node of way 16 only: not a junction
    8: (5.101, 52.093),
}
WAYS: dict[int, tuple[list[int], dict[str, str]]] = {
    10: ([1, 2, 3], {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no", "name": "Eenrichtingstraat"}),
    11: ([2, 4], {"highway": "cycleway"}),
    12: ([3, 5], {"highway": "footway"}),
    13: ([4, 6], {"highway": "motorway"}),
    14: ([1, 4], {"building": "yes"}),
    15: ([5, 6], {"highway": "residential", "access": "private"}),
    16: ([6, 7, 8], {"highway": "tertiary", "maxspeed": "50"}),
    17: ([1, 5], {"highway": "construction"}),
    18: ([8, 99], {"highway": "residential"}),  # node 99 is not in the extract
}


def write_osm_xml(path: Path) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="buurtdekking-test">']
    for nid, (lon, lat) in NODES.items():
        lines.append(f'  <node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    for wid, (refs, tags) in WAYS.items():
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_osm_pbf(path: Path) -> Path:
    import osmium
    from osmium.osm import mutable

    writer = osmium.SimpleWriter(str(path))
    try:
        for nid, loc in NODES.items():
            writer.add_node(mutable.Node(id=nid, location=loc, version=1))
        for wid, (refs, tags) in WAYS.items():
            writer.add_way(mutable.Way(id=wid, nodes=refs, tags=tags, version=1))
    finally:
        writer.close()
    return path


def _edge(net: StreetNetwork, a: int, b: int) -> pd.Series:
    ids = net.nodes["osm_id"].to_numpy()
    u, v = int(np.flatnonzero(ids == a)[0]), int(np.flatnonzero(ids == b)[0])
    rows = net.edges[(net.edges["u"] == u) & (net.edges["v"] == v)]
    assert len(rows) == 1, f"expected one edge {a}→{b}, got {len(rows)}"
    return rows.iloc[0]


def _rd(lon: float, lat: float) -> tuple[float, float]:
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True).transform(lon, lat)
    return float(x), float(y)


def _dist(a: int, b: int) -> float:
    (x1, y1), (x2, y2) = _rd(*NODES[a]), _rd(*NODES[b])
    return math.hypot(x2 - x1, y2 - y1)


@pytest.fixture(params=["osm", "pbf"])
def osm_network(request: pytest.FixtureRequest, tmp_path: Path) -> StreetNetwork:
    if request.param == "osm":
        return read_network(write_osm_xml(tmp_path / "tiny.osm"))
    return read_network(write_osm_pbf(tmp_path / "tiny.osm.pbf"))


def test_osm_ways_are_split_at_junctions_and_shape_nodes_dropped(osm_network: StreetNetwork) -> None:
    net = osm_network
    assert net.kind == "osm"
    # junctions: 1, 2, 3 (way 10 ends/shared), 4, 5, 6, 8; node 7 is only a shape point
    assert sorted(net.nodes["osm_id"]) == [1, 2, 3, 4, 5, 6, 8]
    pairs = {
        (int(net.nodes["osm_id"].iloc[u]), int(net.nodes["osm_id"].iloc[v]))
        for u, v in zip(net.edges["u"], net.edges["v"], strict=True)
    }
    # building, private road, construction and the way cut by a missing node are gone
    assert pairs == {(1, 2), (2, 3), (2, 4), (3, 5), (4, 6), (6, 8)}
    assert _edge(net, 6, 8)["length_m"] == pytest.approx(_dist(6, 7) + _dist(7, 8), abs=1e-6)
    assert _edge(net, 1, 2)["length_m"] == pytest.approx(_dist(1, 2), abs=1e-6)
    x, y = _rd(*NODES[1])
    node1 = net.nodes[net.nodes["osm_id"] == 1].iloc[0]
    assert (node1["x"], node1["y"]) == pytest.approx((x, y))


def test_osm_access_rules_per_mode(osm_network: StreetNetwork) -> None:
    net = osm_network
    oneway = _edge(net, 1, 2)
    assert (oneway["car_fw"], oneway["car_bw"]) == (True, False)  # oneway=yes for cars
    assert (oneway["bike_fw"], oneway["bike_bw"]) == (True, True)  # oneway:bicycle=no
    assert (oneway["walk_fw"], oneway["walk_bw"]) == (True, True)
    flags = ["walk_fw", "walk_bw", "bike_fw", "bike_bw", "car_fw", "car_bw"]
    # no cars on a cycleway
    assert tuple(_edge(net, 2, 4)[flags]) == (True, True, True, True, False, False)
    assert tuple(_edge(net, 3, 5)[flags]) == (True, True, False, False, False, False)
    # a motorway is implied oneway, and closed to bikes and walkers
    assert tuple(_edge(net, 4, 6)[flags]) == (False, False, False, False, True, False)
    assert _edge(net, 6, 8)["maxspeed_kmh"] == 50.0
    assert net.summary()["edges_per_mode"] == {"walk": 5, "bike": 4, "car": 4}


def test_osm_xml_and_pbf_give_the_same_network(tmp_path: Path) -> None:
    a = read_network(write_osm_xml(tmp_path / "tiny.osm"))
    b = read_network(write_osm_pbf(tmp_path / "tiny.osm.pbf"))
    pd.testing.assert_frame_equal(a.nodes, b.nodes)
    pd.testing.assert_frame_equal(a.edges, b.edges)


def test_osm_bbox_keeps_only_streets_touching_it(tmp_path: Path) -> None:
    path = write_osm_xml(tmp_path / "tiny.osm")
    x1, y1 = _rd(*NODES[1])
    x3, y3 = _rd(*NODES[3])
    net = read_network(path, bbox=(x1 - 5, y1 - 5, x3 + 5, y3 + 5))
    # way 10 lies in the box; the cycleway (2-4) and footway (3-5) start in it; ways 13 and 16 are outside
    assert set(net.nodes["osm_id"]) == {1, 2, 3, 4, 5}


def test_unreadable_osm_file_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"this is not a pbf")
    with pytest.raises(InputError) as err:
        read_network(bad)
    assert err.value.problems[0].code == "NETWORK_UNREADABLE"
    assert err.value.problems[0].file == str(bad)


# ---------------------------------------------------------------- tags → rules


@pytest.mark.parametrize(
    ("tags", "flags"),
    [
        # walk_fw, walk_bw, bike_fw, bike_bw, car_fw, car_bw
        ({"highway": "residential"}, (True, True, True, True, True, True)),
        ({"highway": "residential", "oneway": "-1"}, (True, True, False, True, False, True)),
        ({"highway": "primary", "junction": "roundabout"}, (True, True, True, False, True, False)),
        (
            {"highway": "residential", "oneway": "yes", "cycleway": "opposite_lane"},
            (True, True, True, True, True, False),
        ),
        ({"highway": "cycleway", "oneway": "yes"}, (True, True, True, False, False, False)),
        ({"highway": "footway", "bicycle": "yes"}, (True, True, True, True, False, False)),
        ({"highway": "pedestrian"}, (True, True, False, False, False, False)),
        ({"highway": "trunk"}, (False, False, False, False, True, True)),
        ({"highway": "motorway", "foot": "yes"}, (False, False, False, False, True, False)),
        ({"highway": "residential", "motor_vehicle": "no"}, (True, True, True, True, False, False)),
        ({"highway": "residential", "access": "no", "bicycle": "yes"}, (False, False, True, True, False, False)),
        ({"highway": "service", "access": "private", "foot": "yes"}, (True, True, False, False, False, False)),
        ({"highway": "residential", "bicycle": "dismount"}, (True, True, False, False, True, True)),
        ({"highway": "track", "motor_vehicle": "agricultural"}, (True, True, True, True, False, False)),
    ],
)
def test_way_rules(tags: dict[str, str], flags: tuple[bool, ...]) -> None:
    rules = way_rules(tags)
    assert rules is not None
    assert rules[2] == flags


@pytest.mark.parametrize(
    "tags",
    [
        {"building": "yes"},
        {"highway": "proposed"},
        {"highway": "residential", "access": "no"},
        {"highway": "pedestrian", "area": "yes"},
    ],
)
def test_ways_no_mode_may_use_are_dropped(tags: dict[str, str]) -> None:
    assert way_rules(tags) is None


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        ("30 mph", 30 * 1.609344),
        ("NL:zone30", 30.0),
        ("NL:urban", 50.0),
        ("80;60", 60.0),
        ("walk", 15.0),
        ("none", math.nan),
        (None, math.nan),
        (70, 70.0),
    ],
)
def test_parse_maxspeed(value: object, kmh: float) -> None:
    got = parse_maxspeed(value)
    assert (math.isnan(got) and math.isnan(kmh)) or got == pytest.approx(kmh)


def test_car_speeds_maxspeed_then_class_default_then_urban_default_capped() -> None:
    edges = pd.DataFrame(
        {
            "highway": ["residential", "motorway", "living_street", "primary"],
            "maxspeed_kmh": [np.nan, 130.0, np.nan, 50.0],
        }
    )
    assert car_speed_kmh(edges, Speeds()).tolist() == [30.0, 100.0, 15.0, 50.0]
    assert car_speed_kmh(edges, Speeds(car_default_kmh=50.0, car_max_kmh=120.0)).tolist() == [50.0, 120.0, 15.0, 50.0]


def test_speeds_must_be_positive() -> None:
    with pytest.raises(InputError) as err:
        Speeds(bike_kmh=0.0)
    assert err.value.problems[0].code == "SPEED_INVALID"


# ---------------------------------------------------------------- edge files


def _square_lines() -> gpd.GeoDataFrame:
    x, y = 136000.0, 455000.0
    lines = [
        LineString([(x, y), (x + 100, y)]),
        LineString([(x + 100, y), (x + 100, y + 100)]),
        LineString([(x + 100, y + 100), (x, y + 100)]),
        LineString([(x, y + 100), (x, y)]),
        LineString([(x + 50, y - 50), (x + 50, y + 150)]),  # crosses two sides mid-way: no junction there
    ]
    return gpd.GeoDataFrame(
        {"highway": ["residential", "cycleway", "residential", "residential", "footway"]},
        geometry=lines,
        crs="EPSG:28992",
    )


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet"])
def test_edge_file_lines_meet_at_shared_end_points(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"edges{suffix}"
    gdf = _square_lines()
    if suffix == ".gpkg":
        gdf.to_file(path)
    else:
        gdf.to_parquet(path)
    net = read_network(path)
    assert net.kind == "edges"
    assert len(net.nodes) == 6  # 4 corners + 2 ends of the crossing footway
    assert len(net.edges) == 5
    assert net.edges["length_m"].tolist() == pytest.approx([100.0, 100.0, 100.0, 100.0, 200.0])
    cyc = net.edges.iloc[1]
    assert (cyc["car_fw"], cyc["bike_fw"]) == (False, True)


def test_edge_file_in_wgs84_is_measured_in_metres(tmp_path: Path) -> None:
    path = tmp_path / "edges_wgs84.gpkg"
    _square_lines().to_crs("EPSG:4326").to_file(path)
    net = read_network(path)
    assert net.edges["length_m"].iloc[0] == pytest.approx(100.0, abs=0.01)


def test_osmnx_style_edges_with_node_ids_and_list_tags(tmp_path: Path) -> None:
    x, y = 136000.0, 455000.0
    gdf = gpd.GeoDataFrame(
        {
            "u": [1, 2, 2],
            "v": [2, 1, 3],
            "key": [0, 0, 0],
            "highway": ["['residential', 'tertiary']", "['residential', 'tertiary']", "secondary"],
            "oneway": [False, False, True],
            "maxspeed": ["['50', '30']", "['50', '30']", None],
        },
        geometry=[
            LineString([(x, y), (x + 80, y)]),
            LineString([(x + 80, y), (x, y)]),
            LineString([(x + 80, y), (x + 80, y + 60)]),
        ],
        crs="EPSG:28992",
    )
    path = tmp_path / "osmnx.gpkg"
    gdf.to_file(path, layer="edges")
    gpd.GeoDataFrame({"osmid": [1]}, geometry=[Point(x, y)], crs="EPSG:28992").to_file(path, layer="nodes")
    net = read_network(path)
    assert sorted(net.nodes["osm_id"]) == [1, 2, 3]
    assert net.edges["highway"].tolist() == ["residential", "residential", "secondary"]
    assert net.edges["maxspeed_kmh"].iloc[0] == 30.0
    third = net.edges.iloc[2]
    assert (third["car_fw"], third["car_bw"]) == (True, False)


def test_mode_override_columns(tmp_path: Path) -> None:
    gdf = _square_lines().drop(columns="highway")
    gdf["walk"] = True
    gdf["bike"] = "ja"
    gdf["car"] = [False, True, True, True, False]
    gdf["car_kmh"] = [np.nan, 50.0, np.nan, np.nan, np.nan]
    path = tmp_path / "plain.gpkg"
    gdf.to_file(path)
    net = read_network(path)
    assert net.schema == "generic"
    assert net.edges["car_fw"].tolist() == [False, True, True, True, False]
    assert net.edges[["walk_fw", "walk_bw", "bike_fw", "bike_bw"]].all().all()
    assert net.edges["maxspeed_kmh"].iloc[1] == 50.0


def test_per_mode_lines_must_say_every_mode(tmp_path: Path) -> None:
    # a car column alone used to leave walk and bike allowed on every line; now the file is refused
    gdf = _square_lines().drop(columns="highway")
    gdf["car"] = [False, True, True, True, False]
    path = tmp_path / "car_only.gpkg"
    gdf.to_file(path)
    with pytest.raises(InputError) as err:
        read_network(path)
    problem = err.value.problems[0]
    assert problem.code == "NETWORK_MODE_COLUMNS"
    assert "walk, bike is missing" in problem.en


def test_edge_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_network(tmp_path / "missing.gpkg")
    assert err.value.problems[0].code == "NETWORK_NOT_FOUND"
    other = tmp_path / "streets.txt"
    other.write_text("x")
    with pytest.raises(InputError) as err:
        read_network(other)
    assert err.value.problems[0].code == "NETWORK_FORMAT"
    polys = tmp_path / "polys.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:28992").to_file(polys)
    with pytest.raises(InputError) as err:
        read_network(polys)
    assert err.value.problems[0].code == "NETWORK_GEOMETRY"
    bad_ids = tmp_path / "bad_ids.gpkg"
    gpd.GeoDataFrame(
        {"u": ["1", "x"], "v": ["2", "3"], "highway": "residential"},
        geometry=[LineString([(0, 0), (1, 0)])] * 2,
        crs="EPSG:28992",
    ).to_file(bad_ids)
    with pytest.raises(InputError) as err:
        read_network(bad_ids)
    problem = err.value.problems[0]
    assert (problem.code, problem.row, problem.column) == ("NETWORK_NODE_ID", 3, "u")
    two = tmp_path / "two_layers.gpkg"
    _square_lines().to_file(two, layer="a")
    _square_lines().to_file(two, layer="b")
    with pytest.raises(InputError) as err:
        read_network(two)
    assert err.value.problems[0].code == "NETWORK_LAYER"
    assert len(read_network(two, layer="b").edges) == 5
