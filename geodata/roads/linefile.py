"""Read the street lines of a vector file (GeoPackage, shapefile or its zip, GeoJSON, GeoParquet) in RD New."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.crs import ensure_rd
from geodata.errors import InputError, Problem
from geodata.io import list_layers, read_vector

EDGE_SUFFIXES = (".gpkg", ".parquet", ".geoparquet", ".geojson", ".json", ".fgb", ".shp", ".zip")
# Layers a multi-layer file is known to keep its streets in: Geofabrik's roads layer (its shapefile zip
# holds some twenty layers), osmnx's save_graph_geopackage, PDOK's NWB Wegen GeoPackage.
_STREET_LAYERS = (
    "gis_osm_roads_free_1",
    "gis_osm_roads_free",
    "gis_osm_roads_07_1",
    "edges",
    "wegvakken",
    "nwb_wegvakken",
)
_LINES = frozenset({"LineString", "MultiLineString"})


def pick_layer(path: Path, layer: str | None) -> str | None:
    """The layer to read: the one asked for, the only one, or the one known to hold streets."""
    if layer is not None or path.suffix.lower() not in {".gpkg", ".zip"}:
        return layer  # the other formats hold one layer
    layers = list_layers(path)
    if len(layers) <= 1:
        return None
    for name in _STREET_LAYERS:
        if name in layers:
            return name
    raise InputError.single(
        "NETWORK_LAYER",
        f"'{path.name}' heeft meerdere lagen ({', '.join(layers)}); kies de straten met --network-layer.",
        f"'{path.name}' has several layers ({', '.join(layers)}); choose the streets with --network-layer.",
        file=path,
    )


def read_lines(path: Path, *, layer: str | None, assume_crs: str | None) -> gpd.GeoDataFrame:
    """The file's street lines in RD New, empty geometries dropped; anything but lines is refused."""
    gdf = read_vector(path, layer=pick_layer(path, layer))
    gdf = ensure_rd(gdf, assume_crs=assume_crs, source=str(path))
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    kinds = set(gdf.geom_type)
    if not kinds <= _LINES:
        other = ", ".join(sorted(kinds - _LINES))
        raise InputError.single(
            "NETWORK_GEOMETRY",
            f"'{path.name}' moet lijnen (straten) bevatten, niet {other}.",
            f"'{path.name}' must hold lines (streets), not {other}.",
            file=path,
        )
    return gdf.reset_index(drop=True)


def clip(gdf: gpd.GeoDataFrame, bbox: tuple[float, float, float, float] | None) -> gpd.GeoDataFrame:
    """Only the lines touching the box (RD New xmin, ymin, xmax, ymax); all of them without one."""
    if bbox is None:
        return gdf
    return gdf[gdf.intersects(shapely.box(*bbox))].reset_index(drop=True)


def column_map(columns: Iterable[object]) -> dict[str, str]:
    """Lower-case name → the file's own spelling (NWB comes in upper case from Rijkswaterstaat, lower from PDOK)."""
    return {str(c).lower(): str(c) for c in columns if str(c) != "geometry"}


def found_columns(gdf: pd.DataFrame) -> str:
    return ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name) or "(geen/none)"


def whole_number_problems(gdf: pd.DataFrame, columns: Iterable[str], path: Path) -> list[Problem]:
    """Node ids must be whole numbers on every line; one problem per bad cell (the first 20)."""
    problems: list[Problem] = []
    for col in columns:
        values = pd.to_numeric(gdf[col], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() | (values.fillna(0) % 1 != 0).to_numpy())
        for row in bad[: 20 - len(problems)]:
            problems.append(
                Problem(
                    "NETWORK_NODE_ID",
                    f"Knooppunt-id '{gdf[col].iloc[row]}' is geen geheel getal.",
                    f"Node id '{gdf[col].iloc[row]}' is not a whole number.",
                    path.name,
                    int(row) + 2,
                    col,
                )
            )
    return problems
