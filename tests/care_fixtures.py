"""Tiny synthetic care fixtures: the 3×3 test grid recoded as Utrecht-like codes, with people in it."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from conftest import grid_buurten
from pyproj import Transformer

from etl.rules import CareReference
from geodata.postcodes import PostcodeTable, pc4_frame

TO_WGS = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
# Youth per buurt, row-major from the south-west; r3c3 (BU03440303) has nobody living there.
YOUTH = (100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 0.0)


def utrecht_grid(origin: tuple[float, float] = (136000.0, 455000.0)) -> gpd.GeoDataFrame:
    """grid_buurten() with codes BU0344rrcc / WK0344rr / GM0344, inhabitants and youth per buurt."""
    gdf = grid_buurten(origin=origin)
    gdf["buurtcode"] = gdf["buurtcode"].str.replace("BU9999", "BU0344")
    gdf["wijkcode"] = gdf["wijkcode"].str.replace("WK9999", "WK0344")
    gdf["gemeentecode"] = "GM0344"
    gdf["aantal_inwoners"] = [y * 5 for y in YOUTH]
    gdf["youth_population"] = list(YOUTH)
    return gdf


def utrecht_grid_wijken(gdf: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    b = utrecht_grid() if gdf is None else gdf
    w = b.dissolve(by="wijkcode", as_index=False, aggfunc={"wijknaam": "first", "youth_population": "sum"})
    return w[["wijkcode", "wijknaam", "youth_population", "geometry"]]


# A PC4 table for the grid in the 4pp file's own columns (WGS84, as the real file): (pc4, woonplaats, gemeente,
# soort, x, y in RD — turned into lat/lon here, so the reader's projection back to RD is what is tested).
GRID_PC4 = (
    ("9991", "Teststad", "Teststad", "Adres", 136150.0, 455150.0),  # inside r2c2 (BU03440202)
    ("9992", "Teststad", "Teststad", "Postbus", 136150.0, 455150.0 + 0.5),  # PO boxes only
    ("9993", "Elders", "Elders", "Adres", 150000.0, 455000.0),  # 13,700 m east of the grid
    ("9994", "Teststad", "Teststad", "Adres", 136050.0, 455050.0),  # 9994 and 9995 share one point:
    ("9995", "Teststad", "Teststad", "Adres", 136050.0, 455050.0),  # a stand-in, not a centre
    ("9996", "Teststad", "Teststad", "Adres + Postbus", 136250.0, 455250.0),  # inside r3c3 (BU03440303)
)


def grid_postcodes() -> PostcodeTable:
    rows = []
    for pc4, place, gemeente, soort, x, y in GRID_PC4:
        lat, lon = latlon(x, y, 7)
        rows.append(
            {
                "id": pc4,
                "postcode": pc4,
                "woonplaats": place,
                "alternatieve_schrijfwijzen": "",
                "gemeente": gemeente,
                "provincie": "Test",
                "netnummer": "",
                "latitude": f"{lat:.7f}",
                "longitude": f"{lon:.7f}",
                "soort": soort,
            }
        )
    return PostcodeTable.of(pc4_frame(pd.DataFrame(rows), name="grid_pc4.csv"), name="grid_pc4.csv", year=2014)


def reference(gdf: gpd.GeoDataFrame | None = None) -> CareReference:
    b = utrecht_grid() if gdf is None else gdf
    ref = CareReference.from_frames(b, utrecht_grid_wijken(b), year=2024, source="test grid")
    return ref.with_places(postcodes=grid_postcodes())


def latlon(x: float, y: float, digits: int = 6) -> tuple[float, float]:
    lon, lat = TO_WGS.transform(x, y)
    return round(lat, digits), round(lon, digits)


def text_frame(text: str, sep: str = ";") -> pd.DataFrame:
    """A CSV text as the loaders would give it (all strings, '' for empty)."""
    from geodata.tables import read_table_bytes

    return read_table_bytes(text.replace(";", sep).encode("utf-8"), name="test.csv")
