"""Geofabrik free shapefile / GeoPackage roads (gis_osm_roads_free_1): fclass → OSM highway → NL rules, oneway F/T/B, splitting at shared vertices."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from geodata.network import Speeds, StreetNetwork, car_speed_kmh, read_network
from geodata.roads.geofabrik import FCLASS_HIGHWAY

X, Y = 136000.0, 455000.0
FLAGS = ["walk_fw", "walk_bw", "bike_fw", "bike_bw", "car_fw", "car_bw"]


def _p(dx: float, dy: float) -> tuple[float, float]:
    return (X + dx, Y + dy)


# name, fclass, oneway, maxspeed, bridge, layer, vertices (metres from X, Y)
LINES = [
    ("A", "residential", "B", 0, "F", 0, [(0, 0), (100, 0), (200, 0)]),  # shared vertex (100, 0) with B
    ("B", "residential", "F", 0, "F", 0, [(100, -100), (100, 0), (100, 100)]),  # crosses A mid-way at a shared vertex
    ("C", "cycleway", "B", 0, "T", 1, [(50, -50), (50, 50)]),  # a bridge over A: crosses at (50, 0), no shared vertex
    ("D", "motorway", "B", 0, "F", 0, [(200, 0), (500, 0)]),  # oneway B on a motorway: OSM implies one-way
    ("E", "footway", "", 0, "F", 0, [(0, 0), (0, -100)]),  # blank oneway
    ("F", "track_grade2", "B", 0, "F", 0, [(200, 0), (200, 100)]),
    ("G", "busway", "B", 0, "F", 0, [(0, 0), (-100, 0)]),  # no mode: dropped
    ("I", "tertiary", "T", 30, "F", 0, [(500, 0), (500, 300)]),  # only against the digitised direction
]


def roads_gdf() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "osm_id": [str(1000 + i) for i in range(len(LINES))],
            "code": 5100,
            "fclass": [r[1] for r in LINES],
            "name": [r[0] for r in LINES],
            "ref": None,
            "oneway": [r[2] for r in LINES],
            "maxspeed": [r[3] for r in LINES],
            "layer": [r[5] for r in LINES],
            "bridge": [r[4] for r in LINES],
            "tunnel": "F",
        },
        geometry=[LineString([_p(*v) for v in r[6]]) for r in LINES],
        crs="EPSG:28992",
    )


def _node(net: StreetNetwork, dx: float, dy: float) -> int:
    hits = np.flatnonzero(np.hypot(net.nodes["x"] - (X + dx), net.nodes["y"] - (Y + dy)) < 0.01)
    assert len(hits) == 1, f"expected one node at ({dx}, {dy}), got {len(hits)}"
    return int(hits[0])


def _edge(net: StreetNetwork, a: tuple[float, float], b: tuple[float, float]) -> pd.Series:
    u, v = _node(net, *a), _node(net, *b)
    rows = net.edges[(net.edges["u"] == u) & (net.edges["v"] == v)]
    assert len(rows) == 1, f"expected one edge {a}→{b}, got {len(rows)}"
    return rows.iloc[0]


@pytest.fixture
def geofabrik(tmp_path: Path) -> StreetNetwork:
    path = tmp_path / "roads.gpkg"
    roads_gdf().to_file(path, layer="gis_osm_roads_free_1")
    return read_network(path)


def test_schema_is_recognised_by_fclass(geofabrik: StreetNetwork) -> None:
    assert geofabrik.schema == "geofabrik"
    assert geofabrik.summary()["schema"] == "geofabrik"
    assert "Geofabrik" in geofabrik.schema_label


def test_ways_are_cut_where_they_share_a_vertex_and_a_bridge_stays_apart(geofabrik: StreetNetwork) -> None:
    net = geofabrik
    # nodes: A's ends and its vertex shared with B (0,0) (100,0) (200,0); B's ends (100,±100); C's ends
    # (50,±50); D's far end (500,0); E's end (0,-100); F's end (200,100); I's end (500,300) = 11. G (busway)
    # is dropped, so (-100, 0) is no node; C crosses A at (50, 0) without a shared vertex: no node there.
    assert len(net.nodes) == 11
    with pytest.raises(AssertionError):
        _node(net, 50, 0)
    # edges: A and B in two each (4), C, D, E, F, I (5) = 9
    assert len(net.edges) == 9
    # the crossing connects: node (100, 0) has the four half-streets of A and B
    mid = _node(net, 100, 0)
    assert int(((net.edges["u"] == mid) | (net.edges["v"] == mid)).sum()) == 4
    # the bridge's ends touch nothing else
    for end in ((50, -50), (50, 50)):
        n = _node(net, *end)
        assert int(((net.edges["u"] == n) | (net.edges["v"] == n)).sum()) == 1
    bridge = _edge(net, (50, -50), (50, 50))
    assert (bool(bridge["bridge"]), int(bridge["layer"])) == (True, 1)
    assert _edge(net, (0, 0), (100, 0))["length_m"] == pytest.approx(100.0)
    assert _edge(net, (100, 0), (100, 100))["length_m"] == pytest.approx(100.0)


def test_modes_and_directions_per_fclass_and_oneway(geofabrik: StreetNetwork) -> None:
    net = geofabrik
    # residential, B: every mode both ways
    assert tuple(_edge(net, (0, 0), (100, 0))[FLAGS]) == (True,) * 6
    # residential, F: bike and car only along the line as digitised (south → north); walking both ways
    assert tuple(_edge(net, (100, -100), (100, 0))[FLAGS]) == (True, True, True, False, True, False)
    assert tuple(_edge(net, (100, 0), (100, 100))[FLAGS]) == (True, True, True, False, True, False)
    # cycleway: bike both ways, walk too (RVV art. 4), no car
    assert tuple(_edge(net, (50, -50), (50, 50))[FLAGS]) == (True, True, True, True, False, False)
    # motorway with B: car only, one-way along the line (OSM implies oneway on motorways)
    assert tuple(_edge(net, (200, 0), (500, 0))[FLAGS]) == (False, False, False, False, True, False)
    # footway with a blank oneway: walk only
    assert tuple(_edge(net, (0, 0), (0, -100))[FLAGS]) == (True, True, False, False, False, False)
    # track_grade2 → track: walk and bike, no car
    assert tuple(_edge(net, (200, 0), (200, 100))[FLAGS]) == (True, True, True, True, False, False)
    # tertiary with T: bike and car only against the digitised direction (north → south)
    assert tuple(_edge(net, (500, 0), (500, 300))[FLAGS]) == (True, True, False, True, False, True)
    # A (2 edges), B (2), C, E, F, I walkable = 8; bikeable: A, B, C, F, I = 7; car: A, B, D, I = 6
    assert net.edges_per_mode() == {"walk": 8, "bike": 7, "car": 6}
    assert net.usable_modes() == ("walk", "bike", "car")


def test_maxspeed_zero_is_unknown_and_car_times(geofabrik: StreetNetwork) -> None:
    net = geofabrik
    motorway = _edge(net, (200, 0), (500, 0))
    tertiary = _edge(net, (500, 0), (500, 300))
    assert np.isnan(motorway["maxspeed_kmh"])  # maxspeed 0 = unknown
    assert tertiary["maxspeed_kmh"] == 30.0
    kmh = car_speed_kmh(pd.DataFrame([motorway, tertiary]), Speeds())
    # motorway without maxspeed: the class default 100 km/h; 300 m / (100 / 3.6 m/s) = 10.8 s
    # tertiary at its maxspeed 30 km/h: 300 m / (30 / 3.6 m/s) = 36 s
    seconds = np.array([motorway["length_m"], tertiary["length_m"]]) / (kmh / 3.6)
    assert seconds.tolist() == pytest.approx([10.8, 36.0])


def test_shapefile_zip_with_many_layers_reads_the_roads(tmp_path: Path) -> None:
    # Geofabrik's download is a zip of some twenty shapefiles; the roads are gis_osm_roads_free_1
    folder = tmp_path / "shp"
    folder.mkdir()
    roads_gdf().to_file(folder / "gis_osm_roads_free_1.shp")
    gpd.GeoDataFrame(
        {"osm_id": ["1"], "fclass": ["house"]}, geometry=[box(X, Y, X + 10, Y + 10)], crs="EPSG:28992"
    ).to_file(folder / "gis_osm_buildings_a_free_1.shp")
    zipped = tmp_path / "utrecht-latest-free.shp.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    net = read_network(zipped)
    assert net.schema == "geofabrik"
    assert (len(net.nodes), len(net.edges)) == (11, 9)
    assert net.edges_per_mode() == {"walk": 8, "bike": 7, "car": 6}


def test_wgs84_file_is_measured_in_metres(tmp_path: Path) -> None:
    # Geofabrik ships EPSG:4326; splitting and lengths happen in RD New
    path = tmp_path / "roads_wgs84.gpkg"
    roads_gdf().to_crs("EPSG:4326").to_file(path, layer="gis_osm_roads_free_1")
    net = read_network(path)
    assert (len(net.nodes), len(net.edges)) == (11, 9)
    assert sorted(net.edges["length_m"].round(2)) == pytest.approx(
        [100, 100, 100, 100, 100, 100, 100, 300, 300], abs=0.02
    )


def test_every_documented_fclass_has_a_highway() -> None:
    # Geofabrik's roads codes 5111-5199 (free shapefile documentation), busway 5125 since 2022
    documented = {
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "living_street",
        "pedestrian",
        "busway",
        "motorway_link",
        "trunk_link",
        "primary_link",
        "secondary_link",
        "tertiary_link",
        "service",
        "track",
        "track_grade1",
        "track_grade2",
        "track_grade3",
        "track_grade4",
        "track_grade5",
        "bridleway",
        "cycleway",
        "footway",
        "path",
        "steps",
        "unknown",
    }
    assert set(FCLASS_HIGHWAY) == documented


def test_unknown_fclass_is_skipped_with_a_note(tmp_path: Path) -> None:
    gdf = roads_gdf()
    gdf.loc[0, "fclass"] = "racetrack"
    path = tmp_path / "odd.gpkg"
    gdf.to_file(path)
    net = read_network(path)
    assert any("racetrack (1)" in note for note in net.notes)
    # without A, B shares no vertex with anything: B (one 200 m edge), C, D, E, F, I = 6
    assert len(net.edges) == 6
    assert _edge(net, (100, -100), (100, 100))["length_m"] == pytest.approx(200.0)
