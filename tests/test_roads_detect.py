"""Which schema a road file is, the refusal of a file that fits none, motorroad=yes in every reader, and what the network reports."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString

from geodata.errors import InputError
from geodata.network import describe, detect_schema, read_network, way_rules

X, Y = 136000.0, 455000.0
FLAGS = ["walk_fw", "walk_bw", "bike_fw", "bike_bw", "car_fw", "car_bw"]


@pytest.mark.parametrize(
    ("columns", "schema"),
    [
        (
            ["WVK_ID", "WVK_BEGDAT", "JTE_ID_BEG", "JTE_ID_END", "WEGBEHSRT", "BST_CODE", "RIJRICHTNG", "geometry"],
            "nwb",
        ),
        (["wvk_id", "jte_id_beg", "jte_id_end", "wegbehsrt", "bst_code", "rijrichtng"], "nwb"),
        (["osm_id", "code", "fclass", "name", "ref", "oneway", "maxspeed", "layer", "bridge", "tunnel"], "geofabrik"),
        (["u", "v", "key", "osmid", "highway", "oneway", "length"], "osm_lines"),
        (["walk", "bike", "car", "car_kmh"], "generic"),
        (["Walk", "BIKE", "car"], "generic"),
        (["osm_id", "name", "geometry"], None),
        (["u", "v"], None),
    ],
)
def test_detect_schema(columns: list[str], schema: str | None) -> None:
    assert detect_schema(columns) == schema


def _lines(**columns: object) -> gpd.GeoDataFrame:
    geometry = [LineString([(X, Y), (X + 100, Y)]), LineString([(X + 100, Y), (X + 100, Y + 100)])]
    return gpd.GeoDataFrame(dict(columns), geometry=geometry, crs="EPSG:28992")


def test_a_file_that_fits_no_schema_is_refused_with_its_columns(tmp_path: Path) -> None:
    # the shape of the bug: lines with no mode information used to be open to every mode
    path = tmp_path / "streets.geojson"
    _lines(osm_id=["1", "2"], name=["Oudegracht", "Neude"]).to_file(path)
    with pytest.raises(InputError) as err:
        read_network(path)
    problem = err.value.problems[0]
    assert problem.code == "NETWORK_SCHEMA_UNKNOWN"
    assert problem.file == str(path)
    assert "Columns found: osm_id, name." in problem.en
    assert "Gevonden kolommen: osm_id, name." in problem.nl
    for expected in ("fclass", "WVK_ID, BST_CODE", "highway", "walk, bike, car", ".graphml", ".osm.pbf"):
        assert expected in problem.en
        assert expected in problem.nl


def test_node_ids_alone_are_no_schema(tmp_path: Path) -> None:
    path = tmp_path / "ids.gpkg"
    _lines(u=[1, 2], v=[2, 3]).to_file(path)
    with pytest.raises(InputError) as err:
        read_network(path)
    assert err.value.problems[0].code == "NETWORK_SCHEMA_UNKNOWN"


def test_blank_mode_cell_is_refused_with_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "modes.gpkg"
    _lines(walk=["ja", "ja"], bike=["ja", None], car=["nee", "nee"]).to_file(path)
    with pytest.raises(InputError) as err:
        read_network(path)
    problem = err.value.problems[0]
    assert (problem.code, problem.row, problem.column) == ("NETWORK_MODE_VALUE", 3, "bike")


def test_osm_tag_lines_meet_at_a_shared_vertex_mid_way(tmp_path: Path) -> None:
    # two whole streets crossing at a vertex both have: 4 half-streets meeting in one node; a third line
    # crossing without a vertex there stays apart
    lines = [
        LineString([(X, Y), (X + 100, Y), (X + 200, Y)]),
        LineString([(X + 100, Y - 100), (X + 100, Y), (X + 100, Y + 100)]),
        LineString([(X + 50, Y - 50), (X + 50, Y + 50)]),
    ]
    path = tmp_path / "whole_ways.gpkg"
    gpd.GeoDataFrame({"highway": ["residential", "residential", "footway"]}, geometry=lines, crs="EPSG:28992").to_file(
        path
    )
    net = read_network(path)
    assert net.schema == "osm_lines"
    # nodes: 5 of the cross (4 ends + the shared vertex) + 2 footway ends = 7; edges: 2 + 2 + 1 = 5
    assert (len(net.nodes), len(net.edges)) == (7, 5)
    assert sorted(net.edges["length_m"].round(6)) == [100.0, 100.0, 100.0, 100.0, 100.0]


def test_motorroad_closes_a_road_to_bike_and_walk() -> None:
    rules = way_rules({"highway": "primary", "motorroad": "yes"})
    assert rules is not None
    assert rules[2] == (False, False, False, False, True, True)
    # an explicit bicycle=yes does not reopen an autoweg
    rules = way_rules({"highway": "secondary", "motorroad": "yes", "bicycle": "yes", "foot": "yes"})
    assert rules is not None
    assert rules[2] == (False, False, False, False, True, True)


@pytest.mark.parametrize("suffix", [".osm.pbf", ".gpkg", ".geofabrik.gpkg"])
def test_motorroad_in_pbf_and_line_files(tmp_path: Path, suffix: str) -> None:
    if suffix == ".osm.pbf":
        import osmium
        from osmium.osm import mutable

        path = tmp_path / "autoweg.osm.pbf"
        writer = osmium.SimpleWriter(str(path))
        try:
            writer.add_node(mutable.Node(id=1, location=(5.10, 52.09), version=1))
            writer.add_node(mutable.Node(id=2, location=(5.11, 52.09), version=1))
            writer.add_way(mutable.Way(id=10, nodes=[1, 2], tags={"highway": "primary", "motorroad": "yes"}, version=1))
        finally:
            writer.close()
    elif suffix == ".gpkg":
        path = tmp_path / "autoweg.gpkg"
        _lines(highway=["primary", "primary"], motorroad=["yes", "no"]).to_file(path)
    else:
        path = tmp_path / "autoweg_geofabrik.gpkg"
        _lines(fclass=["primary", "primary"], oneway=["B", "B"], motorroad=["yes", None]).to_file(path)
    net = read_network(path)
    assert tuple(net.edges.iloc[0][FLAGS]) == (False, False, False, False, True, True)
    if suffix != ".osm.pbf":  # the second line is no autoweg
        assert tuple(net.edges.iloc[1][FLAGS]) == (True,) * 6


def test_summary_says_schema_modes_and_notes(tmp_path: Path) -> None:
    path = tmp_path / "paths.gpkg"
    _lines(fclass=["cycleway", "footway"], oneway=["B", "B"]).to_file(path, layer="gis_osm_roads_free_1")
    net = read_network(path)
    summary = net.summary()
    assert summary["schema"] == "geofabrik"
    assert summary["edges_per_mode"] == {"walk": 2, "bike": 1, "car": 0}
    assert summary["usable_modes"] == ["walk", "bike"]
    assert net.usable_modes() == ("walk", "bike")
    assert summary["notes"]
    lines = describe(summary)
    assert lines[0].startswith("netwerk / network: paths.gpkg — schema geofabrik (Geofabrik")
    assert "walk 2, bike 1, car 0" in lines[0]
    assert len(lines) == 1 + len(net.notes)
    assert describe(None) == []
