"""CRS handling: compute and measure in RD New (EPSG:28992); WGS84 (EPSG:4326) only for the browser."""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geodata.errors import InputError

RD_NEW = "EPSG:28992"
WGS84 = "EPSG:4326"

# RD New is only defined over the Netherlands; this is its published area of use, in metres.
RD_BOUNDS = (-7000.0, 289000.0, 300000.0, 629000.0)
# Longitude/latitude (WGS84) → RD New x/y, for points typed or looked up one by one; made once, it is reused.
LONLAT_TO_RD = Transformer.from_crs(WGS84, RD_NEW, always_xy=True)


def parse_crs(value: str | int | CRS, *, source: str = "--crs") -> CRS:
    """Turn a user's CRS (``28992``, ``EPSG:4326``, WKT, PROJ string) into a pyproj CRS."""
    try:
        return CRS.from_user_input(value)
    except CRSError as exc:
        raise InputError.single(
            "CRS_INVALID",
            f"'{value}' is geen geldig coördinatenstelsel; gebruik bijvoorbeeld EPSG:28992 of EPSG:4326.",
            f"'{value}' is not a valid coordinate reference system; use e.g. EPSG:28992 or EPSG:4326.",
            file=source,
        ) from exc


def ensure_rd(
    gdf: gpd.GeoDataFrame, *, assume_crs: str | int | CRS | None = None, source: str | None = None
) -> gpd.GeoDataFrame:
    """Return a copy in RD New; a frame without CRS is an error unless ``assume_crs`` says what it is."""
    if gdf.crs is None:
        if assume_crs is None:
            raise InputError.single(
                "CRS_MISSING",
                "Het bestand heeft geen coördinatenstelsel (CRS). Geef het op met --crs, bijvoorbeeld --crs EPSG:28992.",
                "The file has no coordinate reference system (CRS). Give it with --crs, for example --crs EPSG:28992.",
                file=source,
            )
        gdf = gdf.set_crs(parse_crs(assume_crs), allow_override=True)
    if CRS.from_user_input(gdf.crs).equals(CRS.from_user_input(RD_NEW)):
        return gdf.copy()
    return gdf.to_crs(RD_NEW)


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject for display in a web map (MapLibre wants longitude/latitude)."""
    return gdf.to_crs(WGS84)


def require_same_crs(*frames: gpd.GeoDataFrame) -> None:
    """Refuse to combine frames in different CRSes: a silent mismatch puts points in the wrong buurt."""
    crses = {str(CRS.from_user_input(f.crs)) if f.crs is not None else None for f in frames}
    if len(crses) > 1:
        raise ValueError(f"CRS mismatch between frames: {sorted(map(str, crses))}")
