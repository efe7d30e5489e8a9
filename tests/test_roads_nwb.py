"""NWB Wegen: junction ids as nodes, modes per BST_CODE and road manager, RIJRICHTNG, car speeds from NDW or by manager and class."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from geodata.errors import InputError
from geodata.network import Speeds, StreetNetwork, car_speed_kmh, read_network
from geodata.roads.nwb import BST

X, Y = 136000.0, 455000.0
FLAGS = ["walk_fw", "walk_bw", "bike_fw", "bike_bw", "car_fw", "car_bw"]
JUNCTIONS = {1: (0, 0), 2: (300, 0), 3: (300, 300), 4: (0, 300), 5: (600, 0), 6: (600, 300)}
# WVK_ID, JTE_ID_BEG, JTE_ID_END, BST_CODE, RIJRICHTNG, WEGBEHSRT
WEGVAKKEN = [
    (101, 1, 2, "HR", "B", "G"),  # gemeente road: every mode, both ways
    (102, 2, 3, "FP", "H", "G"),  # fietspad, one-way along: bike 2→3, walk both, no car
    (103, 3, 4, "VP", "B", "G"),  # voetpad: walk only
    (104, 2, 5, "HR", "H", "R"),  # rijksweg: car only, 2→5
    (105, 4, 1, "RB", "T", "P"),  # provincial road, only against the digitised line: 1→4
    (106, 1, 5, "BU", "B", "G"),  # busbaan: no mode, dropped
    (107, 5, 6, "VWG", "O", "R"),  # ventweg beside a rijksweg: every mode, O = both
    (108, 6, 3, "OPR", "B", "G"),  # toerit: car only
]


def _line(a: int, b: int) -> LineString:
    (x1, y1), (x2, y2) = JUNCTIONS[a], JUNCTIONS[b]
    # a bend half-way: the length is still the sum of the two legs
    return LineString([(X + x1, Y + y1), (X + (x1 + x2) / 2, Y + (y1 + y2) / 2), (X + x2, Y + y2)])


def nwb_gdf(*, lower: bool = False) -> gpd.GeoDataFrame:
    cols = ["WVK_ID", "JTE_ID_BEG", "JTE_ID_END", "BST_CODE", "RIJRICHTNG", "WEGBEHSRT"]
    frame = pd.DataFrame(WEGVAKKEN, columns=cols)
    frame["WVK_BEGDAT"] = "2020-01-01"
    frame["WEGNUMMER"] = ["", "", "", "012", "", "", "012", ""]
    frame["STT_NAAM"] = [f"Weg {w[0]}" for w in WEGVAKKEN]
    if lower:
        frame.columns = [c.lower() for c in frame.columns]
    return gpd.GeoDataFrame(frame, geometry=[_line(w[1], w[2]) for w in WEGVAKKEN], crs="EPSG:28992")


def _edge(net: StreetNetwork, a: int, b: int) -> pd.Series:
    ids = net.nodes["osm_id"].to_numpy()
    u, v = int(np.flatnonzero(ids == a)[0]), int(np.flatnonzero(ids == b)[0])
    rows = net.edges[(net.edges["u"] == u) & (net.edges["v"] == v)]
    assert len(rows) == 1, f"expected one edge {a}→{b}, got {len(rows)}"
    return rows.iloc[0]


@pytest.fixture
def nwb(tmp_path: Path) -> StreetNetwork:
    path = tmp_path / "nwb_wegvakken.gpkg"
    nwb_gdf().to_file(path, layer="wegvakken")
    return read_network(path)


def test_schema_and_junction_ids_are_the_nodes(nwb: StreetNetwork) -> None:
    assert nwb.schema == "nwb"
    # the six junctions (the busbaan joins no new one); one edge per wegvak except the busbaan: 7
    assert sorted(nwb.nodes["osm_id"]) == [1, 2, 3, 4, 5, 6]
    assert len(nwb.edges) == 7
    x, y = JUNCTIONS[3]
    node3 = nwb.nodes[nwb.nodes["osm_id"] == 3].iloc[0]
    assert (node3["x"], node3["y"]) == pytest.approx((X + x, Y + y))
    assert _edge(nwb, 1, 2)["length_m"] == pytest.approx(300.0)


def test_modes_per_bst_code_manager_and_rijrichting(nwb: StreetNetwork) -> None:
    assert tuple(_edge(nwb, 1, 2)[FLAGS]) == (True,) * 6
    assert tuple(_edge(nwb, 2, 3)[FLAGS]) == (True, True, True, False, False, False)
    assert tuple(_edge(nwb, 3, 4)[FLAGS]) == (True, True, False, False, False, False)
    assert tuple(_edge(nwb, 2, 5)[FLAGS]) == (False, False, False, False, True, False)
    # T on the line 4→1: bike and car may only go 1→4, that is against the edge
    assert tuple(_edge(nwb, 4, 1)[FLAGS]) == (True, True, False, True, False, True)
    assert tuple(_edge(nwb, 5, 6)[FLAGS]) == (True,) * 6
    assert tuple(_edge(nwb, 6, 3)[FLAGS]) == (False, False, False, False, True, True)
    # walk: 101, 102, 103, 105, 107 = 5; bike: 101, 102, 105, 107 = 4; car: 101, 104, 105, 107, 108 = 5
    assert nwb.edges_per_mode() == {"walk": 5, "bike": 4, "car": 5}


def test_car_speeds_by_manager_and_class_without_ndw(nwb: StreetNetwork) -> None:
    assert any("road manager and class" in n and "no NDW" in n for n in nwb.notes)
    edges = pd.DataFrame([_edge(nwb, a, b) for a, b in ((1, 2), (2, 5), (4, 1), (6, 3), (5, 6))])
    seconds = edges["length_m"].to_numpy() / (car_speed_kmh(edges, Speeds()) / 3.6)
    # 300 m each: gemeente road at the urban default 30 km/h → 36 s; rijksweg 100 → 10.8 s; provincial 80 →
    # 13.5 s; toerit 50 → 21.6 s; ventweg at the urban default 30 → 36 s
    assert seconds.tolist() == pytest.approx([36.0, 10.8, 13.5, 21.6, 36.0])


def test_ndw_speeds_by_wvk_id(tmp_path: Path) -> None:
    path = tmp_path / "nwb.gpkg"
    nwb_gdf().to_file(path)
    speeds = tmp_path / "maximumsnelheden.csv"
    # 104 has a day (80) and a night (120) limit: the lowest counts; 999 is not in the NWB file; 102 is a
    # fietspad (no car); 'onbekend' is unknown
    speeds.write_text("WVK_ID;MAXSHD\n104;80\n104;120\n101;50\n999;70\n102;onbekend\n105;0\n", encoding="utf-8")
    net = read_network(path, speeds_file=speeds)
    edges = pd.DataFrame([_edge(net, a, b) for a, b in ((1, 2), (2, 5), (4, 1))])
    assert edges["maxspeed_kmh"].tolist() == [50.0, 80.0, 80.0]  # 105: 0 = unknown → provincial 80
    seconds = edges["length_m"].to_numpy() / (car_speed_kmh(edges, Speeds()) / 3.6)
    # 300 m at 50 → 21.6 s, at 80 → 13.5 s
    assert seconds.tolist() == pytest.approx([21.6, 13.5, 13.5])
    # car wegvakken 101, 104, 105, 107, 108; NDW knows 101 and 104
    assert any("(maximumsnelheden.csv) for 2 of 5 car wegvakken" in n for n in net.notes)


def test_lower_case_pdok_columns(tmp_path: Path) -> None:
    path = tmp_path / "nwb_pdok.gpkg"
    nwb_gdf(lower=True).to_file(path)
    net = read_network(path)
    assert net.schema == "nwb"
    assert net.edges_per_mode() == {"walk": 5, "bike": 4, "car": 5}


def test_every_documented_code_has_modes() -> None:
    # the BST code list published with NWB Wegen (RB the default since 2020, blank before)
    documented = {
        "RB",
        "",
        "HR",
        "PAR",
        "VWG",
        "MRB",
        "NRB",
        "TRB",
        "OPR",
        "AFR",
        "PST",
        "VBD",
        "VBI",
        "VBS",
        "VBR",
        "VBK",
        "VBW",
        "DST",
        "PKP",
        "PKB",
        "BST",
        "YYY",
        "BU",
        "FP",
        "TN",
        "VP",
        "OVB",
        "CADO",
        "RP",
        "VV",
        "PP",
        "PC",
        "PR",
        "VD",
    }
    assert set(BST) == documented
    assert BST["FP"].modes("G") == (True, True, False)
    assert BST["HR"].modes("R") == (False, False, True)
    assert BST["HR"].modes("P") == (True, True, True)
    assert BST["BU"].modes("G") == (False, False, False)


def test_unknown_code_is_skipped_with_a_note(tmp_path: Path) -> None:
    gdf = nwb_gdf()
    gdf.loc[2, "BST_CODE"] = "XX"
    path = tmp_path / "odd.gpkg"
    gdf.to_file(path)
    net = read_network(path)
    assert any("'XX' (1)" in n for n in net.notes)
    assert len(net.edges) == 6


def test_missing_nwb_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "half.gpkg"
    nwb_gdf().drop(columns=["RIJRICHTNG", "JTE_ID_END"]).to_file(path)
    with pytest.raises(InputError) as err:
        read_network(path)
    problem = err.value.problems[0]
    assert problem.code == "NETWORK_NWB_COLUMNS"
    assert "JTE_ID_END, RIJRICHTNG" in problem.en


def test_speeds_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "nwb.gpkg"
    nwb_gdf().to_file(path)
    bad = tmp_path / "speeds.csv"
    bad.write_text("WVK_ID;RICHTING\n101;H\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_network(path, speeds_file=bad)
    assert err.value.problems[0].code == "NETWORK_SPEEDS_COLUMNS"
    assert "WVK_ID, RICHTING" in err.value.problems[0].en
    # NDW speeds are keyed by wegvak: another schema cannot use them
    other = tmp_path / "osm_lines.gpkg"
    gpd.GeoDataFrame({"highway": ["residential"]}, geometry=[_line(1, 2)], crs="EPSG:28992").to_file(other)
    good = tmp_path / "good.csv"
    good.write_text("WVK_ID,MAXSHD\n101,50\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_network(other, speeds_file=good)
    assert err.value.problems[0].code == "NETWORK_SPEEDS_UNUSED"
