"""The routable form every road-file reader returns: junction nodes, street edges with per-mode directions, the schema read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

MODES: tuple[str, ...] = ("walk", "bike", "car")
# The mode coverage and access are measured in unless a build says otherwise; the app and exports open on it.
DEFAULT_MODE = "bike"
MODE_NL = {"walk": "lopen", "bike": "fiets", "car": "auto"}
FLAG_COLS: tuple[str, ...] = tuple(f"{m}_{d}" for m in MODES for d in ("fw", "bw"))
# (highway class, maxspeed km/h or NaN, (walk_fw, walk_bw, bike_fw, bike_bw, car_fw, car_bw))
Rule = tuple[str, float, tuple[bool, ...]]

# Stable schema ids (manifest `methods.travel.network.schema`) and their labels, Dutch / English.
SCHEMA_LABELS: Mapping[str, str] = {
    "osm_pbf": "OpenStreetMap PBF / OpenStreetMap PBF",
    "osm_xml": "OpenStreetMap XML / OpenStreetMap XML",
    "osm_o5m": "OpenStreetMap o5m / OpenStreetMap o5m",
    "geofabrik": "Geofabrik gratis shapefile/GeoPackage (gis_osm_roads_free) / Geofabrik free shapefile/GeoPackage (gis_osm_roads_free)",
    "nwb": "NWB Wegen (Rijkswaterstaat) / NWB Wegen (Rijkswaterstaat, Dutch national road file)",
    "graphml": "osmnx GraphML / osmnx GraphML",
    "osm_lines": "lijnen met OSM-tags (bv. osmnx-GeoPackage) / lines with OSM tags (e.g. osmnx GeoPackage)",
    "generic": "lijnen met kolommen per vervoerwijze (walk/bike/car) / lines with per-mode columns (walk/bike/car)",
}


@dataclass(frozen=True)
class StreetNetwork:
    """Junction nodes (RD New metres) and the street edges between them, as read with one schema.

    ``nodes``: x, y (float), osm_id (int64, -1 when the source has no node ids); row position = node number.
    ``edges``: u, v (node numbers), length_m, highway, maxspeed_kmh (NaN when unknown), and per mode
    ``{mode}_fw`` / ``{mode}_bw`` (bool): may the mode travel u→v / v→u. Some schemas add columns
    (Geofabrik: bridge, tunnel, layer). ``notes`` say, Dutch / English, what the reader assumed.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    source: str
    kind: str  # "osm", "graphml" or "edges"
    schema: str = "generic"
    notes: tuple[str, ...] = ()

    @property
    def schema_label(self) -> str:
        return SCHEMA_LABELS.get(self.schema, self.schema)

    def edges_per_mode(self) -> dict[str, int]:
        """How many edges each mode may use in at least one direction."""
        return {m: int((self.edges[f"{m}_fw"] | self.edges[f"{m}_bw"]).sum()) for m in MODES}

    def usable_modes(self) -> tuple[str, ...]:
        """The modes with at least one usable edge; a mode left out cannot be routed on this network."""
        per_mode = self.edges_per_mode()
        return tuple(m for m in MODES if per_mode[m] > 0)

    def summary(self) -> dict[str, object]:
        """For the manifest: source, schema, counts, the edges each mode may use, the reader's notes."""
        return {
            "source": self.source,
            "kind": self.kind,
            "schema": self.schema,
            "schema_label": self.schema_label,
            "nodes": len(self.nodes),
            "edges": len(self.edges),
            "edges_per_mode": self.edges_per_mode(),
            "usable_modes": list(self.usable_modes()),
            "notes": list(self.notes),
        }


def empty_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes and edges of a network without streets, with the columns and dtypes of a real one."""
    nodes = pd.DataFrame(
        {
            "x": pd.Series([], dtype="float64"),
            "y": pd.Series([], dtype="float64"),
            "osm_id": pd.Series([], dtype="int64"),
        }
    )
    edges = pd.DataFrame(
        {
            "u": pd.Series([], dtype="int64"),
            "v": pd.Series([], dtype="int64"),
            "length_m": pd.Series([], dtype="float64"),
            "highway": pd.Series([], dtype=object),
            "maxspeed_kmh": pd.Series([], dtype="float64"),
            **{c: pd.Series([], dtype=bool) for c in FLAG_COLS},
        }
    )
    return nodes, edges


def edge_frame(
    u: np.ndarray, v: np.ndarray, length: np.ndarray, rules: list[Rule] | np.ndarray, rule_idx: np.ndarray | None = None
) -> pd.DataFrame:
    """Edges from node numbers, lengths and one rule per edge (or rule numbers into ``rules``)."""
    table = list(rules)
    idx = np.arange(len(table)) if rule_idx is None else np.asarray(rule_idx, dtype=np.int64)
    if len(idx) == 0:
        return empty_frames()[1]
    highway = np.array([r[0] for r in table], dtype=object)[idx]
    maxspeed = np.array([r[1] for r in table], dtype="float64")[idx]
    flags = np.array([r[2] for r in table], dtype=bool).reshape(-1, len(FLAG_COLS))[idx]
    edges = pd.DataFrame(
        {
            "u": np.asarray(u, dtype=np.int64),
            "v": np.asarray(v, dtype=np.int64),
            "length_m": np.asarray(length, dtype="float64"),
            "highway": highway,
            "maxspeed_kmh": maxspeed,
        }
    )
    for i, col in enumerate(FLAG_COLS):
        edges[col] = flags[:, i]
    return edges
