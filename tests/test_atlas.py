"""The atlas writer: round trip of every layer, manifest contents, and atomic replacement on failure."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

import geodata.io
from etl.atlas import Atlas, read_atlas, sha256_file, write_atlas


def small_atlas(gdf_grid: gpd.GeoDataFrame) -> Atlas:
    table = pd.DataFrame({"buurtcode": ["BU99990101", "BU99990102"], "periode": ["2024", "2024"], "aantal": [7, 0]})
    teams = gpd.GeoDataFrame({"team_id": ["T1"]}, geometry=[Point(136050, 455050)], crs="EPSG:28992")
    return Atlas({"buurten": gdf_grid, "teams": teams, "tabel": table}, {"cbs_year": 2024})


def test_round_trip_every_layer(tmp_path: Path, gdf_grid: gpd.GeoDataFrame) -> None:
    atlas = small_atlas(gdf_grid)
    write_atlas(atlas, tmp_path)
    back = read_atlas(tmp_path)
    assert set(back.layers) == {"buurten", "teams", "tabel"}
    b = back["buurten"]
    assert isinstance(b, gpd.GeoDataFrame)
    assert b.crs.to_epsg() == 28992
    pd.testing.assert_frame_equal(
        pd.DataFrame(b.drop(columns="geometry")), pd.DataFrame(gdf_grid.drop(columns="geometry")), check_dtype=False
    )
    assert b.geometry.geom_equals_exact(gdf_grid.geometry, tolerance=0).all()
    assert back["tabel"]["aantal"].tolist() == [7, 0]
    assert not isinstance(back["tabel"], gpd.GeoDataFrame)
    assert back.manifest["cbs_year"] == 2024
    assert back.manifest["layers"]["buurten"]["rows"] == 9
    assert back.manifest["layers"]["buurten"]["crs"] == "EPSG:28992"
    assert back.manifest["atlas_sha256"] == sha256_file(tmp_path / "atlas.gpkg")


def test_geopackage_is_standard_for_qgis(tmp_path: Path, gdf_grid: gpd.GeoDataFrame) -> None:
    write_atlas(small_atlas(gdf_grid), tmp_path)
    with sqlite3.connect(tmp_path / "atlas.gpkg") as con:
        application_id = con.execute("PRAGMA application_id").fetchone()[0]
        contents = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
        srs = dict(con.execute("SELECT table_name, srs_id FROM gpkg_geometry_columns").fetchall())
    assert application_id == 0x47504B47  # 'GPKG'
    assert contents == {"buurten": "features", "teams": "features", "tabel": "attributes"}
    assert srs == {"buurten": 28992, "teams": 28992}


def test_failed_write_leaves_previous_atlas_untouched(
    tmp_path: Path, gdf_grid: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_atlas(small_atlas(gdf_grid), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    real = geodata.io.write_layer

    def failing(frame: pd.DataFrame, path: Path, *, layer: str) -> None:
        if layer == "tabel":
            raise OSError("disk full")
        real(frame, path, layer=layer)

    monkeypatch.setattr(geodata.io, "write_layer", failing)
    changed = Atlas({**small_atlas(gdf_grid).layers, "buurten": gdf_grid.iloc[:2]}, {"cbs_year": 2025})
    with pytest.raises(OSError, match="disk full"):
        write_atlas(changed, tmp_path)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # same files, same bytes: no temp file left behind either
    assert json.loads((tmp_path / "manifest.json").read_text())["cbs_year"] == 2024


def test_reading_a_missing_atlas_says_how_to_build(tmp_path: Path) -> None:
    from geodata.errors import InputError

    with pytest.raises(InputError) as err:
        read_atlas(tmp_path)
    assert "buurtdekking build" in err.value.problems[0].nl
    assert "make run" in err.value.problems[0].en
