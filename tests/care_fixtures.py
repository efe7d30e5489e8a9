"""Tiny synthetic care fixtures: the 3×3 test grid recoded as Utrecht-like codes, with people in it."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from conftest import grid_buurten
from pyproj import Transformer

from etl.rules import CareReference

TO_WGS = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
# Youth per buurt, row-major from the south-west; r3c3 (BU03440303) has nobody living there.
YOUTH = (100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 0.0)


def utrecht_grid() -> gpd.GeoDataFrame:
    """grid_buurten() with codes BU0344rrcc / WK0344rr / GM0344, inhabitants and youth per buurt."""
    gdf = grid_buurten()
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


def reference(gdf: gpd.GeoDataFrame | None = None) -> CareReference:
    b = utrecht_grid() if gdf is None else gdf
    return CareReference.from_frames(b, utrecht_grid_wijken(b), year=2024, source="test grid")


def latlon(x: float, y: float) -> tuple[float, float]:
    lon, lat = TO_WGS.transform(x, y)
    return round(lat, 6), round(lon, 6)


def text_frame(text: str, sep: str = ";") -> pd.DataFrame:
    """A CSV text as the loaders would give it (all strings, '' for empty)."""
    from geodata.tables import read_table_bytes

    return read_table_bytes(text.replace(";", sep).encode("utf-8"), name="test.csv")
