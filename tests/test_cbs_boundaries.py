"""CBS boundaries of every schema family, read into the canonical schema: tiny fixtures, exact values."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Polygon, box

from geodata.cbs import MISSING_SUFFIX, read_boundaries
from geodata.errors import InputError

X0, Y0 = 136000.0, 455000.0


def squares(n: int) -> list[Polygon]:
    return [box(X0 + i * 100, Y0, X0 + (i + 1) * 100, Y0 + 100) for i in range(n)]


def shapefile_era_frame() -> gpd.GeoDataFrame:
    """Three buurten in the UPPERCASE shapefile schema, with each kind of CBS sentinel."""
    return gpd.GeoDataFrame(
        {
            "BU_CODE": ["BU03440111", "BU03440112", "BU03449999"],
            "BU_NAAM": ["Welgelegen", "Oog in Al", "Water"],
            "WK_CODE": ["WK034401", "WK034401", "WK034499"],
            "GM_CODE": ["GM0344", "GM0344", "GM0344"],
            "GM_NAAM": ["Utrecht", "Utrecht", "Utrecht"],
            "WATER": ["NEE", "NEE", "JA"],
            "AANT_INW": [1800, -99999997, 0],
            "P_00_14_JR": [11, -99999999, -99997],
            "P_15_24_JR": [13, 10, -99999],
        },
        geometry=squares(3),
        crs="EPSG:28992",
    )


def test_shapefile_era_uppercase_with_sentinels(tmp_path: Path) -> None:
    path = tmp_path / "buurt_2019.shp"
    pyogrio.write_dataframe(shapefile_era_frame(), path)
    bnd = read_boundaries(path)
    b = bnd.buurten.set_index("buurtcode")
    assert bnd.family.startswith("cbs-shapefile")
    assert bnd.year == 2019
    assert list(b.index) == ["BU03440111", "BU03440112", "BU03449999"]
    assert b.loc["BU03440112", "buurtnaam"] == "Oog in Al"
    assert b.loc["BU03440111", "wijkcode"] == "WK034401"
    assert b.loc["BU03440111", "gemeentenaam"] == "Utrecht"
    # Sentinels become missing, and "secret" stays distinguishable from "unknown".
    assert b.loc["BU03440111", "aantal_inwoners"] == 1800
    assert np.isnan(b.loc["BU03440112", "aantal_inwoners"])
    assert b.loc["BU03440112", "aantal_inwoners" + MISSING_SUFFIX] == "geheim"
    assert pd.isna(b.loc["BU03440111", "aantal_inwoners" + MISSING_SUFFIX])
    assert b.loc["BU03440112", "pct_0_14" + MISSING_SUFFIX] == "onbekend"
    assert b.loc["BU03449999", "pct_0_14" + MISSING_SUFFIX] == "geheim"  # short -99997 style
    assert b.loc["BU03449999", "pct_15_24" + MISSING_SUFFIX] == "onbekend"  # short -99999 style
    assert b.loc["BU03440112", "pct_15_24"] == 10
    assert b["water"].tolist() == [False, False, True]
    assert bnd.buurten.crs.to_epsg() == 28992
    # No wijk layer in the file: wijken are the dissolved buurten.
    assert bnd.wijken["wijkcode"].tolist() == ["WK034401", "WK034499"]
    assert bnd.wijken["n_buurten"].tolist() == [2, 1]
    assert bnd.wijken.geometry.iloc[0].area == pytest.approx(20000.0)


def test_zipped_shapefile(tmp_path: Path) -> None:
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    pyogrio.write_dataframe(shapefile_era_frame(), shp_dir / "buurt_2019.shp")
    archive = tmp_path / "wijkbuurtkaart_2019.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, arcname=f"buurt_2019/{f.name}")
    bnd = read_boundaries(archive)
    assert len(bnd.buurten) == 3
    assert bnd.buurten["aantal_inwoners" + MISSING_SUFFIX].tolist()[1] == "geheim"


def test_shapefile_text_columns_with_sentinels(tmp_path: Path) -> None:
    """Older DBFs store numbers as text; sentinel strings must still become missing values."""
    gdf = shapefile_era_frame()
    gdf["AANT_INW"] = ["1800", "-99999997", "0"]
    path = tmp_path / "buurt_2015.shp"
    pyogrio.write_dataframe(gdf, path)
    b = read_boundaries(path).buurten
    assert b["aantal_inwoners"].tolist()[0] == 1800
    assert np.isnan(b["aantal_inwoners"].tolist()[1])
    assert b["aantal_inwoners" + MISSING_SUFFIX].tolist()[1] == "geheim"


def test_pdok_2021_lowercase_in_wgs84_geojson(tmp_path: Path) -> None:
    rd = gpd.GeoDataFrame(
        {
            "buurtcode": ["BU02330000", "BU02339997"],
            "buurtnaam": ["Ermelo", None],
            "wijkcode": ["WK023300", "WK023399"],
            "wijknaam": ["Ermelo", None],
            "gemeentecode": ["GM0233", "GM0233"],
            "gemeentenaam": ["Ermelo", "Ermelo"],
            "water": ["NEE", "JA"],
            "aantal_inwoners": [10830, -99999999],
            "percentage_personen_0_tot_15_jaar": [16.0, -99999999],
            "jaarstatcode": ["2021BU02330000", "2021BU02339997"],
        },
        geometry=squares(2),
        crs="EPSG:28992",
    )
    path = tmp_path / "buurten.geojson"
    rd.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    bnd = read_boundaries(path, gemeenten=["GM0233"])
    b = bnd.buurten
    assert bnd.family.startswith("pdok-2021")
    assert bnd.year == 2021
    assert b.crs.to_epsg() == 28992
    # Back in RD New within centimetres of where the squares were drawn.
    assert b.geometry.iloc[0].bounds == pytest.approx((X0, Y0, X0 + 100, Y0 + 100), abs=0.05)
    assert b["pct_0_14"].tolist()[0] == 16.0
    assert b["water"].tolist() == [False, True]
    marker = b["aantal_inwoners" + MISSING_SUFFIX]
    assert pd.isna(marker.iloc[0])
    assert marker.iloc[1] == "onbekend"


def test_real_pdok_2021_sample(data_dir: Path) -> None:
    bnd = read_boundaries(data_dir / "cbs/schema_sample_pdok2021_buurten_ermelo.gpkg", gemeenten=["GM0233"])
    b = bnd.buurten.set_index("buurtcode")
    assert len(b) == 17
    assert bool(b.loc["BU02339997", "water"]) is True
    assert b["water"].sum() == 1
    assert b.loc["BU02339997", "mannen" + MISSING_SUFFIX] == "onbekend"
    assert b.loc["BU02330000", "mannen"] == 5215
    assert sorted(bnd.wijken["wijkcode"]) == ["WK023300", "WK023301", "WK023399"]


def test_gebiedsindelingen_statcode_with_wijk_layer(tmp_path: Path) -> None:
    buurten = gpd.GeoDataFrame(
        {
            "statcode": ["BU03440111", "BU03440112", "BU03440211"],
            "jrstatcode": ["2024BU03440111", "2024BU03440112", "2024BU03440211"],
            "statnaam": ["Welgelegen", "Oog in Al", "Pijlsweerd-Noord"],
            "rubriek": ["buurt"] * 3,
        },
        geometry=squares(3),
        crs="EPSG:28992",
    )
    wijken = gpd.GeoDataFrame(
        {"statcode": ["WK034401", "WK034402"], "statnaam": ["West", "Noordwest"]},
        geometry=[box(X0, Y0, X0 + 200, Y0 + 100), box(X0 + 200, Y0, X0 + 300, Y0 + 100)],
        crs="EPSG:28992",
    )
    path = tmp_path / "gebieden.gpkg"
    pyogrio.write_dataframe(wijken, path, layer="wijk_2024")
    pyogrio.write_dataframe(buurten, path, layer="buurt_2024", append=True)
    bnd = read_boundaries(path)
    b = bnd.buurten.set_index("buurtcode")
    assert bnd.family.startswith("cbs-gebiedsindelingen")
    assert bnd.layers == {"buurten": "buurt_2024", "wijken": "wijk_2024"}
    assert bnd.year == 2024
    # wijkcode and gemeentecode derived from the buurtcode (BU + 4 gemeente + 2 wijk + 2 buurt digits).
    assert b.loc["BU03440211", "wijkcode"] == "WK034402"
    assert b.loc["BU03440211", "gemeentecode"] == "GM0344"
    assert b.loc["BU03440211", "wijknaam"] == "Noordwest"
    assert b.loc["BU03440111", "gemeentenaam"] == "Utrecht"  # from the project's gemeente table
    assert bnd.wijken.set_index("wijkcode")["n_buurten"].to_dict() == {"WK034401": 2, "WK034402": 1}


def test_geoparquet(tmp_path: Path) -> None:
    path = tmp_path / "buurten_2022.parquet"
    shapefile_era_frame().to_parquet(path)
    bnd = read_boundaries(path)
    assert len(bnd.buurten) == 3
    assert bnd.year == 2022


def test_file_without_crs_is_an_error_unless_given(tmp_path: Path) -> None:
    gdf = shapefile_era_frame().set_crs(None, allow_override=True)
    path = tmp_path / "buurt.shp"
    with pytest.warns(UserWarning, match="crs"):  # writing a CRS-less file is exactly what we test
        pyogrio.write_dataframe(gdf, path)
    with pytest.raises(InputError) as err:
        read_boundaries(path)
    problem = err.value.problems[0]
    assert problem.code == "CRS_MISSING"
    assert "--crs" in problem.nl
    assert "--crs" in problem.en
    assert problem.file == str(path)
    bnd = read_boundaries(path, assume_crs="EPSG:28992")
    assert bnd.buurten.crs.to_epsg() == 28992
    assert bnd.buurten.geometry.iloc[0].bounds == (X0, Y0, X0 + 100, Y0 + 100)


def test_invalid_polygon_is_repaired_and_reported(tmp_path: Path) -> None:
    gdf = shapefile_era_frame()
    bowtie = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100), (X0, Y0)])
    gdf.loc[1, "geometry"] = bowtie
    path = tmp_path / "buurt.gpkg"
    pyogrio.write_dataframe(gdf, path)
    bnd = read_boundaries(path)
    repaired = bnd.buurten.set_index("buurtcode").loc["BU03440112", "geometry"]
    assert repaired.is_valid
    assert repaired.area == pytest.approx(5000.0)  # the two triangles of the bow tie
    assert any("BU03440112" in note and "Self-intersection" in note for note in bnd.notes)


def test_unknown_schema_lists_columns_found_and_expected(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"naam": ["x"], "code": ["y"]}, geometry=squares(1), crs="EPSG:28992")
    path = tmp_path / "iets.gpkg"
    pyogrio.write_dataframe(gdf, path)
    with pytest.raises(InputError) as err:
        read_boundaries(path)
    problem = err.value.problems[0]
    assert problem.code == "SCHEMA_UNKNOWN"
    for text in (problem.nl, problem.en):
        assert "naam, code" in text
        assert "BU_CODE".lower() in text.lower()
        assert "buurtcode" in text
        assert "statcode" in text


def test_gemeente_filter_several_and_missing(tmp_path: Path) -> None:
    gdf = shapefile_era_frame()
    gdf.loc[2, ["BU_CODE", "WK_CODE", "GM_CODE", "GM_NAAM"]] = ["BU05990101", "WK059901", "GM0599", "Rotterdam"]
    path = tmp_path / "buurt.gpkg"
    pyogrio.write_dataframe(gdf, path)
    assert len(read_boundaries(path).buurten) == 2
    assert len(read_boundaries(path, gemeenten=["GM0344", "0599"]).buurten) == 3
    with pytest.raises(InputError) as err:
        read_boundaries(path, gemeenten=["GM0363"])
    assert err.value.problems[0].code == "GEMEENTE_NOT_IN_FILE"
    assert "GM0344" in err.value.problems[0].en
    with pytest.raises(InputError) as err:
        read_boundaries(path, gemeenten=["Utrecht"])
    assert err.value.problems[0].code == "GEMEENTE_INVALID"


def test_layer_option_and_missing_layer(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(shapefile_era_frame().iloc[:1], path, layer="oud")
    pyogrio.write_dataframe(shapefile_era_frame(), path, layer="nieuw", append=True)
    assert len(read_boundaries(path, layer="nieuw").buurten) == 3
    with pytest.raises(InputError) as err:
        read_boundaries(path, layer="buurten")
    assert err.value.problems[0].code == "LAYER_NOT_FOUND"
    assert "oud, nieuw" in err.value.problems[0].nl


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_boundaries(tmp_path / "nope.gpkg")
    assert err.value.problems[0].code == "FILE_NOT_FOUND"
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"this is not a geopackage")
    with pytest.raises(InputError) as err:
        read_boundaries(junk)
    assert err.value.problems[0].code == "FILE_UNREADABLE"


def test_duplicate_buurtcode_is_an_error(tmp_path: Path) -> None:
    gdf = shapefile_era_frame()
    gdf.loc[1, "BU_CODE"] = "BU03440111"
    path = tmp_path / "dup.gpkg"
    pyogrio.write_dataframe(gdf, path)
    with pytest.raises(InputError) as err:
        read_boundaries(path)
    assert err.value.problems[0].code == "CODE_DUPLICATE"
    assert "BU03440111" in err.value.problems[0].nl


def test_invalid_code_names_row_and_column(tmp_path: Path) -> None:
    gdf = shapefile_era_frame()
    gdf.loc[2, "BU_CODE"] = "BUXX"
    path = tmp_path / "bad.gpkg"
    pyogrio.write_dataframe(gdf, path)
    with pytest.raises(InputError) as err:
        read_boundaries(path)
    problem = err.value.problems[0]
    assert problem.code == "CODE_INVALID"
    assert problem.row == 4  # header is row 1
    assert problem.column == "buurtcode"
    assert "BUXX" in problem.en
