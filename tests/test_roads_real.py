"""The real Utrecht cycleways (Geofabrik's schema) read as they come, and converted into the other schemas' shapes."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString

from geodata.errors import InputError
from geodata.network import StreetNetwork, read_network

pytestmark = pytest.mark.integration

CYCLEWAYS = "osm/utrecht_cycleways_geofabrik_schema.geojson"


@pytest.fixture(scope="module")
def cycleways_path(data_dir: Path) -> Path:
    path = data_dir / CYCLEWAYS
    if not path.exists():
        pytest.fail(f"{path} not found")
    return path


@pytest.fixture(scope="module")
def parts(cycleways_path: Path) -> gpd.GeoDataFrame:
    """The cycleways as single lines (3 of the 3,350 are multi-lines: 3,353 parts), in RD New."""
    return gpd.read_file(cycleways_path).explode(ignore_index=True)


def _one_way(net: StreetNetwork, mode: str) -> pd.Series:
    return net.edges[f"{mode}_fw"] != net.edges[f"{mode}_bw"]


def test_real_geofabrik_file(cycleways_path: Path, parts: gpd.GeoDataFrame) -> None:
    net = read_network(cycleways_path)
    assert net.schema == "geofabrik"
    per_mode = net.edges_per_mode()
    # cycleways only: bikes everywhere, no cars, and pedestrians on every cycle path (RVV 1990 art. 4: the
    # cycle path where there is no footway — the same rule as for OSM extracts)
    assert per_mode["car"] == 0
    assert per_mode["bike"] == len(net.edges) > len(parts)  # whole ways cut where they share vertices
    assert per_mode["walk"] == per_mode["bike"]
    assert net.usable_modes() == ("walk", "bike")
    # cutting keeps every metre: the edges are as long as the lines
    assert net.edges["length_m"].sum() == pytest.approx(parts.length.sum(), rel=1e-9)
    # the one-way cycle paths (oneway F) are one-way for bikes, along their lines; never for walking
    one_way_m = net.edges.loc[_one_way(net, "bike"), "length_m"].sum()
    assert one_way_m == pytest.approx(parts.loc[parts["oneway"] == "F"].length.sum(), rel=1e-9)
    assert not _one_way(net, "walk").any()
    assert net.edges.loc[_one_way(net, "bike"), "bike_fw"].all()
    assert int(net.edges["bridge"].sum()) > 0


def _end_ids(parts: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A junction id per distinct end point (to the centimetre), as NWB and osmnx number their nodes."""
    start = shapely.get_coordinates(shapely.get_point(parts.geometry.to_numpy(), 0))
    end = shapely.get_coordinates(shapely.get_point(parts.geometry.to_numpy(), -1))
    keys = np.round(np.r_[start, end] * 100).astype(np.int64)
    _, ids = np.unique(keys, axis=0, return_inverse=True)
    ids = ids.reshape(-1) + 1
    return ids[: len(parts)], ids[len(parts) :]


def test_real_cycleways_as_nwb_fietspaden(tmp_path: Path, parts: gpd.GeoDataFrame) -> None:
    beg, end = _end_ids(parts)
    nwb = gpd.GeoDataFrame(
        {
            "WVK_ID": np.arange(1, len(parts) + 1),
            "JTE_ID_BEG": beg,
            "JTE_ID_END": end,
            "WEGBEHSRT": "G",
            "BST_CODE": "FP",
            "RIJRICHTNG": np.where(parts["oneway"] == "F", "H", "B"),
            "STT_NAAM": parts["name"],
        },
        geometry=parts.geometry.to_numpy(),
        crs=parts.crs,
    )
    path = tmp_path / "nwb_fietspaden.gpkg"
    nwb.to_file(path, layer="wegvakken")
    net = read_network(path)
    assert net.schema == "nwb"
    # one edge per wegvak; FP: bike and walk, no car
    assert net.edges_per_mode() == {"walk": len(parts), "bike": len(parts), "car": 0}
    assert int(_one_way(net, "bike").sum()) == int((parts["oneway"] == "F").sum())
    assert len(net.nodes) == len(np.union1d(beg, end))


def test_real_cycleways_as_osmnx_graphml(tmp_path: Path, parts: gpd.GeoDataFrame) -> None:
    ox = pytest.importorskip("osmnx")
    wgs = parts.to_crs("EPSG:4326")
    beg, end = _end_ids(parts)
    start = shapely.get_coordinates(shapely.get_point(wgs.geometry.to_numpy(), 0))
    stop = shapely.get_coordinates(shapely.get_point(wgs.geometry.to_numpy(), -1))
    node_xy = {
        **{int(i): xy for i, xy in zip(beg, start, strict=True)},
        **{int(i): xy for i, xy in zip(end, stop, strict=True)},
    }
    nodes = gpd.GeoDataFrame(
        {"x": [xy[0] for xy in node_xy.values()], "y": [xy[1] for xy in node_xy.values()]},
        geometry=gpd.points_from_xy([xy[0] for xy in node_xy.values()], [xy[1] for xy in node_xy.values()]),
        index=pd.Index(list(node_xy), name="osmid"),
        crs="EPSG:4326",
    )
    # osmnx's conventions: a one-way way is one edge in its direction; a two-way way two edges, the second
    # one reversed=True along the reversed line
    rows, index, seen = [], [], {}
    for i, (line, oneway) in enumerate(zip(wgs.geometry, wgs["oneway"], strict=True)):
        directions = [(beg[i], end[i], line, False)]
        if oneway != "F":
            directions.append((end[i], beg[i], LineString(line.coords[::-1]), True))
        for u, v, geom, rev in directions:
            key = seen.get((u, v), 0)
            seen[(u, v)] = key + 1
            index.append((int(u), int(v), key))
            rows.append(
                {
                    "osmid": 1000 + i,
                    "highway": "cycleway",
                    "oneway": oneway == "F",
                    "reversed": rev,
                    "length": 1.0,
                    "geometry": geom,
                }
            )
    edges = gpd.GeoDataFrame(
        rows, index=pd.MultiIndex.from_tuples(index, names=["u", "v", "key"]), geometry="geometry", crs="EPSG:4326"
    )
    graph = ox.graph_from_gdfs(nodes, edges)
    path = tmp_path / "cycleways.graphml"
    ox.save_graphml(graph, path)
    net = read_network(path)
    assert net.schema == "graphml"
    # the two directions of each two-way cycle path are one edge again: one per line
    assert net.edges_per_mode() == {"walk": len(parts), "bike": len(parts), "car": 0}
    assert int(_one_way(net, "bike").sum()) == int((parts["oneway"] == "F").sum())
    assert net.edges["length_m"].sum() == pytest.approx(parts.length.sum(), rel=1e-6)


def test_real_cycleways_as_per_mode_lines(tmp_path: Path, cycleways_path: Path, parts: gpd.GeoDataFrame) -> None:
    generic = gpd.GeoDataFrame(
        {"walk": True, "bike": True, "car": False, "oneway": np.where(parts["oneway"] == "F", "yes", "no")},
        geometry=parts.geometry.to_numpy(),
        crs=parts.crs,
    )
    path = tmp_path / "per_mode.gpkg"
    generic.to_file(path)
    net = read_network(path)
    assert net.schema == "generic"
    # the same lines cut the same way as the Geofabrik file: the same edges per mode
    assert net.edges_per_mode() == read_network(cycleways_path).edges_per_mode()
    assert net.edges_per_mode()["car"] == 0


def test_real_cycleways_without_mode_columns_are_refused(tmp_path: Path, parts: gpd.GeoDataFrame) -> None:
    # the file as someone might have cut it down: no fclass, no highway, no modes — refused, not "every mode"
    path = tmp_path / "stripped.gpkg"
    parts[["osm_id", "name", "geometry"]].to_file(path)
    with pytest.raises(InputError) as err:
        read_network(path)
    assert err.value.problems[0].code == "NETWORK_SCHEMA_UNKNOWN"
    assert "Columns found: osm_id, name." in err.value.problems[0].en


def test_build_output_says_which_schema(
    tmp_path: Path, data_dir: Path, default_atlas: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main
    from etl.atlas import read_manifest

    xmin, ymin, xmax, ymax = gpd.read_file(default_atlas / "atlas.gpkg", layer="buurten").total_bounds + np.array(
        [-2000, -2000, 2000, 2000]
    )
    spacing = 500.0
    xs, ys = np.arange(xmin, xmax + spacing, spacing), np.arange(ymin, ymax + spacing, spacing)
    lines = [LineString([(x, y), (x + spacing, y)]) for y in ys for x in xs[:-1]]
    lines += [LineString([(x, y), (x, y + spacing)]) for x in xs for y in ys[:-1]]
    grid = tmp_path / "grid.gpkg"
    gpd.GeoDataFrame({"highway": ["residential"] * len(lines)}, geometry=lines, crs="EPSG:28992").to_file(grid)
    out = tmp_path / "atlas"
    capsys.readouterr()
    assert main(["build", "--data-dir", str(data_dir), "--out", str(out), "--network", str(grid)]) == 0
    err = capsys.readouterr().err
    assert "netwerk / network: grid.gpkg — schema osm_lines" in err
    network = read_manifest(out)["methods"]["travel"]["network"]
    assert network["schema"] == "osm_lines"
    assert network["usable_modes"] == ["walk", "bike", "car"]
