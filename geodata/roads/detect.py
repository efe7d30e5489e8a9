"""Which road-file schema a file is, from its type and columns, and the reader for it (like CBS boundaries by columns)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd

from geodata.errors import InputError
from geodata.roads.generic import read_generic
from geodata.roads.geofabrik import read_geofabrik
from geodata.roads.graphml import read_graphml
from geodata.roads.linefile import EDGE_SUFFIXES, clip, column_map, found_columns, read_lines
from geodata.roads.model import MODES, StreetNetwork
from geodata.roads.nwb import read_nwb
from geodata.roads.nwb_speeds import read_nwb_speeds
from geodata.roads.osm import is_osm_file, read_osm
from geodata.roads.osm_lines import read_osm_lines

# How each line schema is recognised, for the refusal message (Dutch / English).
EXPECTED = (
    "NWB Wegen: WVK_ID, BST_CODE, RIJRICHTNG, WEGBEHSRT, JTE_ID_BEG, JTE_ID_END",
    "lijnen met OSM-tags / lines with OSM tags: highway",
    "Geofabrik (gis_osm_roads_free_1): fclass",
    "lijnen per vervoerwijze / per-mode lines: walk, bike, car (car_kmh)",
)


def detect_schema(columns: Iterable[object]) -> str | None:
    """The line schema the columns fit (nwb, osm_lines, geofabrik, generic), or None."""
    cols = column_map(columns)
    if {"wvk_id", "bst_code"} <= set(cols):
        return "nwb"
    if "highway" in cols:
        return "osm_lines"
    if "fclass" in cols:
        return "geofabrik"
    if any(m in cols for m in MODES):
        return "generic"
    return None


def unknown_schema_error(gdf: gpd.GeoDataFrame, path: Path) -> InputError:
    expected = "; ".join(EXPECTED)
    found = found_columns(gdf)
    return InputError.single(
        "NETWORK_SCHEMA_UNKNOWN",
        f"'{path.name}' is geen bekend wegenbestand: welke vervoerwijze welke lijn mag gebruiken staat er niet in. "
        f"Gevonden kolommen: {found}. Verwacht een van: {expected}; of een OpenStreetMap-bestand (.osm.pbf, .osm) "
        "of osmnx-GraphML (.graphml).",
        f"'{path.name}' is not a known road file: it does not say which mode may use which line. Columns found: "
        f"{found}. Expected one of: {expected}; or an OpenStreetMap file (.osm.pbf, .osm) or osmnx GraphML (.graphml).",
        file=path,
    )


def read_network(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    assume_crs: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    speeds_file: str | os.PathLike[str] | None = None,
) -> StreetNetwork:
    """Read a road file of any known schema; ``bbox`` (RD New xmin, ymin, xmax, ymax) keeps only streets touching it.

    ``speeds_file`` (NDW maximum speeds by WVK_ID) is for NWB Wegen only; with another schema it is refused.
    """
    p = Path(path)
    if not p.exists():
        raise InputError.single(
            "NETWORK_NOT_FOUND",
            f"Netwerkbestand '{p}' bestaat niet.",
            f"Network file '{p}' does not exist.",
            file=p,
        )
    name = p.name.lower()
    if name.endswith(".graphml"):
        _no_speeds("graphml", speeds_file)
        return read_graphml(p, assume_crs=assume_crs, bbox=bbox)
    if is_osm_file(p):
        _no_speeds("OpenStreetMap", speeds_file)
        return read_osm(p, bbox=bbox)
    if not name.endswith(EDGE_SUFFIXES):
        raise InputError.single(
            "NETWORK_FORMAT",
            f"'{p.name}' is geen bekend netwerkformaat; gebruik .osm.pbf / .osm (OpenStreetMap), .graphml (osmnx) of "
            "een GeoPackage/shapefile/GeoParquet met lijnen (Geofabrik, NWB Wegen, OSM-tags of kolommen per vervoerwijze).",
            f"'{p.name}' is not a known network format; use .osm.pbf / .osm (OpenStreetMap), .graphml (osmnx) or a "
            "GeoPackage/shapefile/GeoParquet of lines (Geofabrik, NWB Wegen, OSM tags or per-mode columns).",
            file=p,
        )
    gdf = read_lines(p, layer=layer, assume_crs=assume_crs)
    schema = detect_schema(gdf.columns)
    if schema is None:
        raise unknown_schema_error(gdf, p)
    if schema != "nwb":
        _no_speeds(schema, speeds_file)
    gdf = clip(gdf, bbox)
    if schema == "nwb":
        speeds = read_nwb_speeds(Path(speeds_file)) if speeds_file is not None else None
        return read_nwb(gdf, p, speeds=speeds, speeds_name=Path(speeds_file).name if speeds_file else None)
    if schema == "geofabrik":
        return read_geofabrik(gdf, p)
    if schema == "osm_lines":
        return read_osm_lines(gdf, p)
    return read_generic(gdf, p)


def _no_speeds(schema: str, speeds: str | os.PathLike[str] | None) -> None:
    """NDW speeds are keyed by NWB wegvak: another schema has nothing to join them to."""
    if speeds is None:
        return
    speeds_file = Path(speeds)
    raise InputError.single(
        "NETWORK_SPEEDS_UNUSED",
        f"--network-speeds ({speeds_file.name}) geldt alleen voor NWB Wegen; dit netwerk is {schema} en heeft eigen snelheden.",
        f"--network-speeds ({speeds_file.name}) is for NWB Wegen only; this network is {schema} and has speeds of its own.",
        file=speeds_file,
        column="--network-speeds",
    )
