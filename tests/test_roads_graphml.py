"""osmnx GraphML: a real ox.save_graphml file from a tiny OSM extract (ox.graph_from_xml), read with its direction conventions."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from geodata.errors import InputError
from geodata.network import Speeds, StreetNetwork, car_speed_kmh, read_network

ox = pytest.importorskip("osmnx")

NODES = {
    1: (5.100, 52.090),
    2: (5.1005, 52.0903),  # shape node of way 10 only: osmnx's simplification keeps it in the geometry
    3: (5.101, 52.090),
    4: (5.102, 52.090),
    5: (5.103, 52.090),
    6: (5.101, 52.091),
    7: (5.100, 52.091),
    8: (5.101, 52.092),
    9: (5.0995, 52.0895),  # where way 17 becomes way 18: osmnx merges the two into one edge
    10: (5.099, 52.089),
}
WAYS: dict[int, tuple[list[int], dict[str, str]]] = {
    10: ([1, 2, 3], {"highway": "residential"}),
    11: ([3, 4], {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}),
    12: ([4, 5], {"highway": "tertiary", "oneway": "-1", "maxspeed": "50"}),
    13: ([5, 6], {"highway": "primary", "motorroad": "yes"}),
    14: ([3, 6], {"highway": "cycleway"}),
    15: ([6, 8], {"highway": "motorway"}),  # no oneway tag: osmnx writes both directions, OSM implies one-way
    16: ([1, 7], {"highway": "footway"}),
    17: ([1, 9], {"highway": "residential"}),
    18: ([9, 10], {"highway": "track"}),
}
FLAGS = ["walk_fw", "walk_bw", "bike_fw", "bike_bw", "car_fw", "car_bw"]


def write_osm_xml(path: Path) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="buurtdekking-test">']
    lines += [f'  <node id="{n}" version="1" lat="{lat}" lon="{lon}"/>' for n, (lon, lat) in NODES.items()]
    for wid, (refs, tags) in WAYS.items():
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def osmnx_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> nx.MultiDiGraph:
    # the tags the reader uses beyond osmnx's defaults, as a user would add them before downloading
    monkeypatch.setattr(ox.settings, "useful_tags_way", [*ox.settings.useful_tags_way, "oneway:bicycle", "motorroad"])
    return ox.graph_from_xml(write_osm_xml(tmp_path / "tiny.osm"), retain_all=True, simplify=True)


@pytest.fixture(params=["wgs84", "utm"])
def graphml(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[StreetNetwork, nx.MultiDiGraph]:
    graph = osmnx_graph(tmp_path, monkeypatch)
    if request.param == "utm":  # ox.project_graph: x/y, geometries and the crs attribute in UTM 31N
        graph = ox.project_graph(graph, to_crs="EPSG:32631")
    path = tmp_path / "tiny.graphml"
    ox.save_graphml(graph, path)
    return read_network(path), graph


def _rd(n: int) -> tuple[float, float]:
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True).transform(*NODES[n])
    return float(x), float(y)


def _dist(a: int, b: int) -> float:
    (x1, y1), (x2, y2) = _rd(a), _rd(b)
    return math.hypot(x2 - x1, y2 - y1)


def _between(net: StreetNetwork, a: int, b: int) -> pd.Series:
    """The one edge between OSM nodes a and b, its flags oriented a → b."""
    ids = net.nodes["osm_id"].to_numpy()
    u, v = int(np.flatnonzero(ids == a)[0]), int(np.flatnonzero(ids == b)[0])
    fw = net.edges[(net.edges["u"] == u) & (net.edges["v"] == v)]
    bw = net.edges[(net.edges["u"] == v) & (net.edges["v"] == u)]
    assert len(fw) + len(bw) == 1, f"expected one edge between {a} and {b}, got {len(fw) + len(bw)}"
    if len(fw):
        return fw.iloc[0]
    row = bw.iloc[0].copy()
    for m in ("walk", "bike", "car"):
        row[f"{m}_fw"], row[f"{m}_bw"] = bw.iloc[0][f"{m}_bw"], bw.iloc[0][f"{m}_fw"]
    return row


def test_osmnx_writes_one_edge_per_direction_and_the_reader_merges_them(
    graphml: tuple[StreetNetwork, nx.MultiDiGraph],
) -> None:
    net, graph = graphml
    assert net.schema == "graphml"
    # osmnx: nodes 2 and 9 are simplified away, ways 17 and 18 become one edge 1-10; two directed edges for
    # each two-way street (10, 13, 14, 15, 16, 17+18), one for each one-way (11, 12): 14
    assert graph.number_of_edges() == 14
    assert sorted(net.nodes["osm_id"]) == [1, 3, 4, 5, 6, 7, 8, 10]
    assert len(net.edges) == 8  # one per street: nothing counted twice


def test_directions_and_modes_from_osm_tags(graphml: tuple[StreetNetwork, nx.MultiDiGraph]) -> None:
    net, _ = graphml
    assert tuple(_between(net, 1, 3)[FLAGS]) == (True,) * 6
    # one-way 3→4 for cars; bikes both ways (oneway:bicycle=no, an edge osmnx does not have); walking both
    assert tuple(_between(net, 3, 4)[FLAGS]) == (True, True, True, True, True, False)
    # oneway=-1 on 4-5: osmnx stores the edge 5→4; cars and bikes only 5→4
    assert tuple(_between(net, 5, 4)[FLAGS]) == (True, True, True, False, True, False)
    # motorroad=yes: cars only
    assert tuple(_between(net, 5, 6)[FLAGS]) == (False, False, False, False, True, True)
    assert tuple(_between(net, 3, 6)[FLAGS]) == (True, True, True, True, False, False)
    # a motorway is one-way along its way (6→8) although osmnx wrote both directions
    assert tuple(_between(net, 6, 8)[FLAGS]) == (False, False, False, False, True, False)
    assert tuple(_between(net, 1, 7)[FLAGS]) == (True, True, False, False, False, False)
    # residential merged with a track (highway ['residential', 'track']): a mode only where both allow it
    assert tuple(_between(net, 1, 10)[FLAGS]) == (True, True, True, True, False, False)
    # walk: 10, 11, 12, 14, 16, 17+18; bike: 10, 11, 12, 14, 17+18; car: 10, 11, 12, 13, 15
    assert net.edges_per_mode() == {"walk": 6, "bike": 5, "car": 5}


def test_geometry_lengths_and_car_time(graphml: tuple[StreetNetwork, nx.MultiDiGraph]) -> None:
    net, _ = graphml
    # way 10 bends at its shape node 2: the WKT geometry keeps it, measured in RD New
    assert _between(net, 1, 3)["length_m"] == pytest.approx(_dist(1, 2) + _dist(2, 3), abs=0.01)
    tertiary = _between(net, 5, 4)
    assert tertiary["length_m"] == pytest.approx(_dist(4, 5), abs=0.01)
    assert tertiary["maxspeed_kmh"] == 50.0
    # time at 50 km/h: length / (50 / 3.6 m/s); 0.001° of longitude at 52.09° N is about 68.3 m → about 4.9 s
    seconds = tertiary["length_m"] / (car_speed_kmh(pd.DataFrame([tertiary]), Speeds())[0] / 3.6)
    assert seconds == pytest.approx(_dist(4, 5) / (50 / 3.6), abs=0.001)
    assert 4.8 < seconds < 5.0
    x, y = _rd(3)
    node3 = net.nodes[net.nodes["osm_id"] == 3].iloc[0]
    assert (node3["x"], node3["y"]) == pytest.approx((x, y), abs=0.01)


def test_edges_without_geometry_are_straight_and_crs_is_required(tmp_path: Path) -> None:
    # a GraphML in osmnx's format written by networkx alone: no geometry attributes, strings everywhere
    graph = nx.MultiDiGraph(crs="epsg:4326")
    for n in (1, 3):
        graph.add_node(str(n), x=str(NODES[n][0]), y=str(NODES[n][1]))
    graph.add_edge("1", "3", highway="residential", oneway="False", reversed="False", length="68.3")
    graph.add_edge("3", "1", highway="residential", oneway="False", reversed="True", length="68.3")
    path = tmp_path / "plain.graphml"
    nx.write_graphml(graph, path)
    net = read_network(path)
    assert len(net.edges) == 1
    assert net.edges["length_m"].iloc[0] == pytest.approx(_dist(1, 3), abs=0.01)
    graph.graph.pop("crs")
    nx.write_graphml(graph, path)
    with pytest.raises(InputError) as err:
        read_network(path)
    assert err.value.problems[0].code == "CRS_MISSING"
    assert len(read_network(path, assume_crs="EPSG:4326").edges) == 1


def test_unreadable_graphml(tmp_path: Path) -> None:
    bad = tmp_path / "broken.graphml"
    bad.write_text("<graphml><graph", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_network(bad)
    assert err.value.problems[0].code == "NETWORK_UNREADABLE"
