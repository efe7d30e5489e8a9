"""Read a street network from any road file a Dutch GIS team holds into one routable form (the public entry point).

Schemas, recognised by file type and columns (``geodata.roads.detect``), each with its own reader:
OpenStreetMap PBF/XML (``geodata.roads.osm``), Geofabrik's free shapefile/GeoPackage
(``geodata.roads.geofabrik``), NWB Wegen (``geodata.roads.nwb``, with NDW speeds from
``geodata.roads.nwb_speeds``), osmnx GraphML (``geodata.roads.graphml``), lines with OSM tag columns
(``geodata.roads.osm_lines``) and lines with per-mode columns (``geodata.roads.generic``). A line file that
fits none is refused. The result is a :class:`StreetNetwork`: junction nodes in RD New and street edges
between them, each saying per mode (walk, bike, car) in which direction it may be used, plus the car speed
where the source gives one, and the schema it was read with. Turning that into travel times per mode
(snapping, shortest paths) is `etl.travel`'s job. The NL access rules: ``geodata.roads.osm_tags``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from geodata.roads.detect import detect_schema, read_network
from geodata.roads.linefile import EDGE_SUFFIXES
from geodata.roads.model import DEFAULT_MODE, FLAG_COLS, MODE_NL, MODES, SCHEMA_LABELS, StreetNetwork
from geodata.roads.osm import OSM_SUFFIXES, is_osm_file, read_osm
from geodata.roads.osm_tags import ROUTABLE_HIGHWAYS, TAG_KEYS, parse_maxspeed, way_rules
from geodata.roads.speeds import CAR_HIGHWAY_KMH, Speeds, car_speed_kmh

__all__ = [
    "CAR_HIGHWAY_KMH",
    "DEFAULT_MODE",
    "EDGE_SUFFIXES",
    "FLAG_COLS",
    "MODES",
    "MODE_NL",
    "OSM_SUFFIXES",
    "ROUTABLE_HIGHWAYS",
    "SCHEMA_LABELS",
    "TAG_KEYS",
    "Speeds",
    "StreetNetwork",
    "car_speed_kmh",
    "describe",
    "detect_schema",
    "is_osm_file",
    "parse_maxspeed",
    "read_edges",
    "read_network",
    "read_osm",
    "way_rules",
]


def read_edges(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    assume_crs: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> StreetNetwork:
    """Read a line file (Geofabrik, NWB Wegen, OSM-tag or per-mode lines); refused when it fits no schema."""
    if not Path(path).name.lower().endswith(EDGE_SUFFIXES):
        raise ValueError(f"not a line file: {path}")
    return read_network(path, layer=layer, assume_crs=assume_crs, bbox=bbox)


def describe(summary: Mapping[str, object] | None) -> list[str]:
    """Lines for the build output: the schema read, the edges each mode may use, the reader's notes."""
    if not summary:
        return []
    per_mode = summary.get("edges_per_mode") or {}
    counts = ", ".join(f"{m} {per_mode.get(m, 0)}" for m in MODES) if isinstance(per_mode, Mapping) else ""
    lines = [
        f"netwerk / network: {summary.get('source')} — schema {summary.get('schema')} ({summary.get('schema_label')}); "
        f"lijnen per vervoerwijze / edges per mode: {counts}"
    ]
    notes = summary.get("notes") or []
    lines += [f"netwerk / network: {note}" for note in notes] if isinstance(notes, list) else []
    return lines
