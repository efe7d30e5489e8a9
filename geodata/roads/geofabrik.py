"""Geofabrik's free OpenStreetMap shapefiles / GeoPackages, layer ``gis_osm_roads_free_1`` (column ``fclass``).

Source: Geofabrik, *OpenStreetMap Data in Layered GIS Format*, free shapefiles (roads: codes 5111-5199;
``busway`` 5125 since 2022). Each ``fclass`` stands for an OSM ``highway`` value; the NL rules of
:mod:`geodata.roads.osm_tags` then decide the modes, exactly as for an OSM extract:

| code | fclass | OSM highway | walk | bike | car |
|---|---|---|---|---|---|
| 5111/5131 | motorway, motorway_link | motorway(_link) | – | – | ✓ |
| 5112/5132 | trunk, trunk_link | trunk(_link) (*autoweg*) | – | – | ✓ |
| 5113-5115, 5133-5135 | primary … tertiary (+ _link) | same | ✓ | ✓ | ✓ |
| 5121, 5122 | unclassified, residential | same | ✓ | ✓ | ✓ |
| 5123 | living_street | living_street (*erf*) | ✓ | ✓ | ✓ |
| 5141 | service | service | ✓ | ✓ | ✓ |
| 5199 | unknown | road | ✓ | ✓ | ✓ |
| 5124 | pedestrian | pedestrian | ✓ | – | – |
| 5125 | busway | busway | – | – | – |
| 5142-5147 | track, track_grade1…5 | track | ✓ | ✓ | – |
| 5151 | bridleway | bridleway | ✓ | – | – |
| 5152 | cycleway | cycleway | ✓ (RVV art. 4) | ✓ | – |
| 5153 | footway | footway | ✓ | – | – |
| 5154 | path | path | ✓ | ✓ | – |
| 5155 | steps | steps | ✓ | – | – |

``oneway``: F = only along the line as digitised, T = only against it, B (or blank) = both — except that a
motorway counts as one-way, as OSM implies. Oneway never applies on foot. ``maxspeed`` 0 = unknown.
``bridge``/``tunnel`` (T/F) and ``layer`` are kept on the edges; they do not decide connectivity: whole
ways are cut where lines share a vertex (as OSM ways share nodes), and lines crossing without one (a
bridge over a road) do not meet. The free layer carries no access, ``motorroad`` or ``oneway:bicycle``
tags: a column with such a tag, when a file has it, is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.roads.junctions import line_frames
from geodata.roads.model import Rule, StreetNetwork
from geodata.roads.osm_tags import TAG_KEYS, file_tags, rules_per_row, way_rules

FCLASS_HIGHWAY: Mapping[str, str] = {
    "motorway": "motorway",
    "trunk": "trunk",
    "primary": "primary",
    "secondary": "secondary",
    "tertiary": "tertiary",
    "unclassified": "unclassified",
    "residential": "residential",
    "living_street": "living_street",
    "pedestrian": "pedestrian",
    "busway": "busway",
    "motorway_link": "motorway_link",
    "trunk_link": "trunk_link",
    "primary_link": "primary_link",
    "secondary_link": "secondary_link",
    "tertiary_link": "tertiary_link",
    "service": "service",
    "track": "track",
    "track_grade1": "track",
    "track_grade2": "track",
    "track_grade3": "track",
    "track_grade4": "track",
    "track_grade5": "track",
    "bridleway": "bridleway",
    "cycleway": "cycleway",
    "footway": "footway",
    "path": "path",
    "steps": "steps",
    "unknown": "road",
}
_ONEWAY = {"F": "yes", "T": "-1"}  # B and blank: not one-way, so OSM's implied rules apply
_EXTRA_TAGS = tuple(k for k in TAG_KEYS if k not in {"highway", "oneway", "maxspeed"})


def _rule(row: Mapping[str, object]) -> Rule | None:
    fclass = str(row.get("fclass") or "").strip().lower()
    highway = FCLASS_HIGHWAY.get(fclass)
    if highway is None:
        return None
    tags = file_tags({k: row.get(k) for k in _EXTRA_TAGS})
    tags["highway"] = highway
    oneway = _ONEWAY.get(str(row.get("oneway") or "").strip().upper())
    if oneway is not None:
        tags["oneway"] = oneway
    speed = pd.to_numeric(pd.Series([row.get("maxspeed")]), errors="coerce").iloc[0]
    if pd.notna(speed) and speed > 0:  # 0 = unknown
        tags["maxspeed"] = str(speed)
    return way_rules(tags)


def _flag(values: pd.Series) -> np.ndarray:
    """Geofabrik's T/F (and other yes/no spellings) as booleans; blank is F."""
    text = values.astype(str).str.strip().str.lower()
    return np.asarray(text.isin(["t", "true", "1", "yes", "y", "ja", "j"]), dtype=bool)


def read_geofabrik(gdf: gpd.GeoDataFrame, path: Path) -> StreetNetwork:
    """Geofabrik roads → network: fclass mapped to OSM highway, NL rules, ways cut at shared vertices."""
    cols = {str(c).lower(): c for c in gdf.columns}
    wanted = ["fclass", "oneway", "maxspeed", *_EXTRA_TAGS]
    frame = pd.DataFrame({k: gdf[cols[k]] for k in wanted if k in cols})
    rules = rules_per_row(frame, _rule)
    attrs = {
        "bridge": _flag(gdf[cols["bridge"]]) if "bridge" in cols else np.zeros(len(gdf), dtype=bool),
        "tunnel": _flag(gdf[cols["tunnel"]]) if "tunnel" in cols else np.zeros(len(gdf), dtype=bool),
        "layer": pd.to_numeric(gdf[cols["layer"]], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
        if "layer" in cols
        else np.zeros(len(gdf), dtype=np.int64),
    }
    nodes, edges = line_frames(gdf.geometry.to_numpy(), rules, line_attrs=attrs)
    unknown = frame["fclass"].astype(str).str.strip().str.lower()
    unknown = unknown[~unknown.isin(list(FCLASS_HIGHWAY))]
    notes = []
    if not any(k in cols for k in ("access", "motorroad", "oneway:bicycle")):
        notes.append(
            "Geofabrik: geen toegangs-, motorroad- of oneway:bicycle-gegevens in dit schema; elke weg van een klasse telt als "
            "open / Geofabrik: no access, motorroad or oneway:bicycle data in this schema; every road of a class counts as open"
        )
    if len(unknown):
        counts = ", ".join(f"{k} ({v})" for k, v in unknown.value_counts().items())
        notes.append(f"Geofabrik: onbekende fclass overgeslagen: {counts} / unknown fclass skipped: {counts}")
    return StreetNetwork(nodes, edges, path.name, "edges", "geofabrik", tuple(notes))
