"""Read a street network (OpenStreetMap .osm/.osm.pbf, or a GeoPackage/GeoParquet of edges) into one routable form.

The result is a :class:`StreetNetwork`: junction nodes in RD New and street edges between them, each edge
saying per mode (walk, bike, car) in which direction it may be used, plus the car speed where the source
gives one. Turning that into travel times per mode (and snapping, shortest paths) is `etl.travel`'s job.

Access rules per mode follow the OpenStreetMap conventions for the Netherlands:

* car: roads from motorway down to service roads; never cycleways, footways, paths, steps or tracks;
  ``access``/``vehicle``/``motor_vehicle``/``motorcar`` = no/private/agricultural/forestry close a road;
  ``oneway`` (and roundabouts, motorways) is respected.
* bike: all roads except motorways and trunk roads (*autowegen*), plus cycleways, paths and tracks;
  footways and pedestrian streets only with ``bicycle=yes/designated/permissive``; ``oneway`` applies
  unless ``oneway:bicycle=no`` or a contraflow ``cycleway=opposite*``.
* walk: everything except motorways and trunk roads; cycleways too (RVV 1990 art. 4: pedestrians use
  the cycle path where there is no footway); ``foot=no`` closes a way; oneway does not apply on foot.

A more specific tag beats a general one (``motorcar`` over ``motor_vehicle`` over ``vehicle`` over
``access``); ``yes/designated/permissive/destination/customers`` open a way for that mode.
"""

from __future__ import annotations

import ast
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geodata.crs import RD_NEW, WGS84, ensure_rd
from geodata.errors import InputError, Problem
from geodata.io import list_layers, read_vector

MODES: tuple[str, ...] = ("walk", "bike", "car")
OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz", ".o5m")
EDGE_SUFFIXES = (".gpkg", ".parquet", ".geoparquet", ".geojson", ".json", ".fgb", ".shp", ".zip")

# Default car speeds (km/h) where a road has no usable maxspeed tag. Within the built-up area Utrecht
# applies 30 km/h as the norm; these are the exceptions by road class.
CAR_HIGHWAY_KMH: Mapping[str, float] = {
    "motorway": 100.0,  # NL daytime limit on motorways since 2020
    "motorway_link": 50.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "living_street": 15.0,  # erf: walking pace, in practice about 15 km/h
    "service": 15.0,
}

# Zone and symbolic maxspeed values used in the Netherlands (km/h).
_MAXSPEED_NAMED: Mapping[str, float] = {
    "nl:urban": 50.0,
    "nl:rural": 80.0,
    "nl:motorway": 130.0,
    "nl:trunk": 100.0,
    "nl:living_street": 15.0,
    "nl:zone30": 30.0,
    "nl:zone60": 60.0,
    "nl:bicycle_road": 30.0,
    "walk": 15.0,
}

_CAR_HIGHWAYS = frozenset(
    {
        "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
        "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential", "living_street",
        "service", "road",
    }
)
_BIKE_HIGHWAYS = frozenset(
    {
        "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
        "unclassified", "residential", "living_street", "service", "road", "track", "cycleway", "path",
    }
)
_WALK_HIGHWAYS = frozenset(
    {
        "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
        "unclassified", "residential", "living_street", "service", "road", "track", "cycleway", "path",
        "footway", "pedestrian", "steps", "bridleway", "corridor",
    }
)
ROUTABLE_HIGHWAYS = _CAR_HIGHWAYS | _BIKE_HIGHWAYS | _WALK_HIGHWAYS
# Roads where a mode is barred by class, but an explicit tag may still open them.
_OPENABLE = {
    "bike": frozenset({"footway", "pedestrian", "steps", "bridleway", "trunk", "trunk_link"}),
    "walk": frozenset({"trunk", "trunk_link"}),
    "car": frozenset(),
}
_YES = frozenset({"yes", "designated", "permissive", "destination", "customers", "delivery", "official"})
_NO = frozenset({"no", "private", "agricultural", "forestry", "use_sidepath", "dismount", "discouraged"})
# From general to specific: the last tag present decides.
_ACCESS_KEYS = {
    "car": ("access", "vehicle", "motor_vehicle", "motorcar"),
    "bike": ("access", "vehicle", "bicycle"),
    "walk": ("access", "foot"),
}
# Tags read from OSM ways and (when present as columns) from edge files.
TAG_KEYS = (
    "highway", "maxspeed", "maxspeed:forward", "maxspeed:backward", "oneway", "oneway:bicycle",
    "oneway:foot", "junction", "cycleway", "cycleway:left", "cycleway:right", "cycleway:both", "access",
    "vehicle", "motor_vehicle", "motorcar", "bicycle", "foot", "area",
)


@dataclass(frozen=True)
class Speeds:
    """Travel speeds per mode in km/h; car speeds come from ``maxspeed`` where tagged.

    ``car_default_kmh`` is used for roads without a usable maxspeed (the urban norm), except the road
    classes in ``car_highway_kmh``; ``car_max_kmh`` caps every car speed (maxspeed tags hold the legal
    maximum, which for motorways is higher than the daytime limit).
    """

    walk_kmh: float = 5.0
    bike_kmh: float = 15.0
    car_default_kmh: float = 30.0
    car_max_kmh: float = 100.0
    car_highway_kmh: Mapping[str, float] = field(default_factory=lambda: dict(CAR_HIGHWAY_KMH))

    def __post_init__(self) -> None:
        for name in ("walk_kmh", "bike_kmh", "car_default_kmh", "car_max_kmh"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InputError.single(
                    "SPEED_INVALID",
                    f"Snelheid {name} = {value!r} moet een positief getal zijn (km/u).",
                    f"Speed {name} = {value!r} must be a positive number (km/h).",
                    column=name,
                )

    def base_kmh(self, mode: str) -> float:
        """The mode's speed off the network (walk, bike) or on an unknown road (car)."""
        return {"walk": self.walk_kmh, "bike": self.bike_kmh, "car": self.car_default_kmh}[mode]

    def to_dict(self) -> dict[str, object]:
        return {
            "walk_kmh": self.walk_kmh,
            "bike_kmh": self.bike_kmh,
            "car_default_kmh": self.car_default_kmh,
            "car_max_kmh": self.car_max_kmh,
            "car_highway_kmh": dict(self.car_highway_kmh),
        }


@dataclass(frozen=True)
class StreetNetwork:
    """Junction nodes (RD New metres) and the street edges between them.

    ``nodes``: x, y (float), osm_id (int64, -1 when the source has none); row position = node number.
    ``edges``: u, v (node numbers), length_m, highway, maxspeed_kmh (NaN when unknown), and per mode
    ``{mode}_fw`` / ``{mode}_bw`` (bool): may the mode travel u→v / v→u.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    source: str
    kind: str  # "osm" or "edges"

    def summary(self) -> dict[str, object]:
        """Counts for the manifest: nodes, edges and the edges each mode may use."""
        return {
            "source": self.source,
            "kind": self.kind,
            "nodes": len(self.nodes),
            "edges": len(self.edges),
            "edges_per_mode": {
                m: int((self.edges[f"{m}_fw"] | self.edges[f"{m}_bw"]).sum()) for m in MODES
            },
        }


# ---------------------------------------------------------------- tags → access, oneway, speed


def parse_maxspeed(value: object) -> float:
    """A maxspeed tag in km/h ('50', '30 mph', 'NL:zone30', '50;30' → the lowest), NaN when unusable."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    if isinstance(value, int | float):
        return float(value) if value > 0 else math.nan
    speeds = []
    for part in str(value).replace(",", ";").split(";"):
        text = part.strip().lower()
        if not text:
            continue
        if text in _MAXSPEED_NAMED:
            speeds.append(_MAXSPEED_NAMED[text])
            continue
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?", text)
        if match:
            number = float(match.group(1))
            if number > 0:
                speeds.append(number * 1.609344 if match.group(2) == "mph" else number)
    return min(speeds) if speeds else math.nan


def _first(value: object) -> str | None:
    """One tag value from what a file holds: a string, a list, or a list written as text (osmnx)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple | np.ndarray):
        return _first(value[0]) if len(value) else None
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        return _first(parsed)
    return text or None


def _allowed(mode: str, highway: str, tags: Mapping[str, str]) -> bool:
    """Whether a mode may use a way at all, from its class and the most specific access tag."""
    if mode == "car":
        by_class = highway in _CAR_HIGHWAYS
    elif mode == "bike":
        by_class = highway in _BIKE_HIGHWAYS
    else:
        by_class = highway in _WALK_HIGHWAYS
    decided: bool | None = None
    for key in _ACCESS_KEYS[mode]:
        value = tags.get(key)
        if value is None:
            continue
        value = value.split(";")[0].strip().lower()
        if value in _YES:
            decided = True
        elif value in _NO:
            decided = False
    if decided is None:
        return by_class
    if decided and not by_class:
        return highway in _OPENABLE[mode]
    return decided


def _direction(value: str | None) -> int | None:
    """oneway value → 1 (forward only), -1 (backward only), 0 (both), None (not said)."""
    if value is None:
        return None
    text = value.strip().lower()
    if text in {"yes", "true", "1"}:
        return 1
    if text in {"-1", "reverse"}:
        return -1
    if text in {"no", "false", "0"}:
        return 0
    return None


def _oneway(mode: str, highway: str, tags: Mapping[str, str]) -> int:
    if mode == "walk":
        return _direction(tags.get("oneway:foot")) or 0
    general = _direction(tags.get("oneway"))
    if general is None:
        implied = highway in {"motorway", "motorway_link"} or tags.get("junction") in {"roundabout", "circular"}
        general = 1 if implied else 0
    if mode == "bike":
        own = _direction(tags.get("oneway:bicycle"))
        if own is not None:
            return own
        contraflow = any(
            str(tags.get(k, "")).startswith("opposite") for k in ("cycleway", "cycleway:left", "cycleway:right", "cycleway:both")
        )
        return 0 if contraflow else general
    return general


def way_rules(tags: Mapping[str, str]) -> tuple[str, float, tuple[bool, ...]] | None:
    """(highway, maxspeed km/h, (walk_fw, walk_bw, bike_fw, bike_bw, car_fw, car_bw)) for one way.

    None when no mode may use it (not a street, an area, under construction, closed to all).
    """
    highway = (tags.get("highway") or "").strip().lower()
    if highway not in ROUTABLE_HIGHWAYS or tags.get("area") == "yes":
        return None
    flags: list[bool] = []
    for mode in MODES:
        if not _allowed(mode, highway, tags):
            flags += [False, False]
            continue
        direction = _oneway(mode, highway, tags)
        flags += [direction >= 0, direction <= 0]
    if not any(flags):
        return None
    maxspeed = parse_maxspeed(tags.get("maxspeed"))
    if math.isnan(maxspeed):
        directional = [parse_maxspeed(tags.get(k)) for k in ("maxspeed:forward", "maxspeed:backward")]
        known = [s for s in directional if not math.isnan(s)]
        maxspeed = min(known) if known else math.nan
    return highway, maxspeed, tuple(flags)


def car_speed_kmh(edges: pd.DataFrame, speeds: Speeds) -> np.ndarray:
    """Car speed per edge: maxspeed where known, else the class default or the urban default; capped."""
    default = edges["highway"].map(lambda h: speeds.car_highway_kmh.get(str(h), speeds.car_default_kmh))
    kmh = edges["maxspeed_kmh"].astype("float64").fillna(default.astype("float64")).to_numpy(dtype="float64")
    return np.asarray(np.minimum(kmh, speeds.car_max_kmh), dtype="float64")


# ---------------------------------------------------------------- reading


def is_osm_file(path: str | os.PathLike[str]) -> bool:
    name = Path(path).name.lower()
    return name.endswith(OSM_SUFFIXES)


def read_network(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    assume_crs: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> StreetNetwork:
    """Read an OSM extract or an edges file; ``bbox`` (RD New xmin, ymin, xmax, ymax) keeps only streets touching it."""
    p = Path(path)
    if not p.exists():
        raise InputError.single(
            "NETWORK_NOT_FOUND",
            f"Netwerkbestand '{p}' bestaat niet.",
            f"Network file '{p}' does not exist.",
            file=p,
        )
    if is_osm_file(p):
        return read_osm(p, bbox=bbox)
    if p.name.lower().endswith(EDGE_SUFFIXES):
        return read_edges(p, layer=layer, assume_crs=assume_crs, bbox=bbox)
    raise InputError.single(
        "NETWORK_FORMAT",
        f"'{p.name}' is geen bekend netwerkformaat; gebruik .osm.pbf / .osm (OpenStreetMap) of een "
        "GeoPackage/GeoParquet met lijnen (straten).",
        f"'{p.name}' is not a known network format; use .osm.pbf / .osm (OpenStreetMap) or a "
        "GeoPackage/GeoParquet of lines (streets).",
        file=p,
    )


@dataclass
class _Ways:
    """Way pieces collected from a file, flat: node refs and coordinates, piece sizes, and each piece's rules."""

    refs: list[int] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    rule: list[int] = field(default_factory=list)
    rules: list[tuple[str, float, tuple[bool, ...]]] = field(default_factory=list)


# OSM stores coordinates as integers; this one marks a node whose location is unknown (not in the extract).
_UNDEFINED_COORDINATE = 2147483647
_TAG_SET = frozenset(TAG_KEYS)


def read_osm(path: str | os.PathLike[str], *, bbox: tuple[float, float, float, float] | None = None) -> StreetNetwork:
    """Read the routable ways of an OpenStreetMap file with pyosmium and split them at junctions.

    Ways are cut where a node has no location (it lies outside the extract). Tag combinations repeat a
    lot, so their rules are worked out once each.
    """
    import osmium

    p = Path(path)
    ways = _Ways()
    rule_of: dict[tuple[tuple[str, str], ...], int] = {}
    try:
        processor = (
            osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for obj in processor:
            if not isinstance(obj, osmium.osm.Way):
                continue
            key = tuple(sorted((t.k, t.v) for t in obj.tags if t.k in _TAG_SET))
            index = rule_of.get(key)
            if index is None:
                rules = way_rules(dict(key))
                index = rule_of[key] = len(ways.rules) if rules is not None else -1
                if rules is not None:
                    ways.rules.append(rules)
            if index < 0:
                continue
            run = 0
            for node in obj.nodes:
                x = node.x
                if x == _UNDEFINED_COORDINATE:
                    run = _close_run(ways, run, index)
                    continue
                ways.refs.append(node.ref)
                ways.lon.append(x)
                ways.lat.append(node.y)
                run += 1
            _close_run(ways, run, index)
    except RuntimeError as exc:  # osmium reports unreadable files as RuntimeError
        raise InputError.single(
            "NETWORK_UNREADABLE",
            f"OpenStreetMap-bestand '{p.name}' is niet leesbaar: {exc}",
            f"OpenStreetMap file '{p.name}' cannot be read: {exc}",
            file=p,
        ) from exc
    refs = np.array(ways.refs, dtype=np.int64)
    lon = np.array(ways.lon, dtype="float64") / 1e7
    lat = np.array(ways.lat, dtype="float64") / 1e7
    sizes = np.array(ways.sizes, dtype=np.int64)
    piece_rule = np.array(ways.rule, dtype=np.int64)
    if bbox is not None and len(sizes):
        box = _lonlat_box(bbox)
        inside = (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        keep_piece = np.add.reduceat(inside, starts) > 0
        keep = np.repeat(keep_piece, sizes)
        refs, lon, lat = refs[keep], lon[keep], lat[keep]
        sizes, piece_rule = sizes[keep_piece], piece_rule[keep_piece]
    x, y = Transformer.from_crs(WGS84, RD_NEW, always_xy=True).transform(lon, lat)
    xy = np.column_stack([np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")])
    return _split_at_junctions(refs, xy, sizes, piece_rule, ways.rules, source=p.name, kind="osm")


def _close_run(ways: _Ways, run: int, rule: int) -> int:
    """End a run of located nodes: keep it as a way piece when it has ≥ 2 nodes, else drop its node."""
    if run >= 2:
        ways.sizes.append(run)
        ways.rule.append(rule)
    elif run == 1:
        ways.refs.pop()
        ways.lon.pop()
        ways.lat.pop()
    return 0


def _lonlat_box(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    to_ll = Transformer.from_crs(RD_NEW, WGS84, always_xy=True)
    xs = [bbox[0], bbox[2], bbox[0], bbox[2]]
    ys = [bbox[1], bbox[1], bbox[3], bbox[3]]
    lon, lat = to_ll.transform(xs, ys)
    return min(lon), min(lat), max(lon), max(lat)


def _split_at_junctions(
    refs: np.ndarray,
    xy: np.ndarray,
    sizes: np.ndarray,
    piece_rule: np.ndarray,
    rules: list[tuple[str, float, tuple[bool, ...]]],
    *,
    source: str,
    kind: str,
) -> StreetNetwork:
    """Edges run between junctions: nodes shared by ways (or repeated in one), and way ends."""
    flag_cols = [f"{m}_{d}" for m in MODES for d in ("fw", "bw")]
    if len(sizes) == 0:
        return StreetNetwork(
            pd.DataFrame({"x": [], "y": [], "osm_id": pd.Series([], dtype="int64")}),
            pd.DataFrame(columns=["u", "v", "length_m", "highway", "maxspeed_kmh", *flag_cols]),
            source,
            kind,
        )
    way_of = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    ends = starts + sizes - 1
    _, inverse, counts = np.unique(refs, return_inverse=True, return_counts=True)
    junction = counts[inverse] >= 2
    junction[starts] = True
    junction[ends] = True
    # Segment k joins position k and k + 1 inside one way; it belongs to the edge opened by the last
    # junction at or before k.
    seg = np.ones(len(refs), dtype=bool)
    seg[ends] = False
    seg_pos = np.flatnonzero(seg)
    edge_no = np.cumsum(junction) - 1
    seg_edge = edge_no[seg_pos]
    seg_len = np.hypot(*(xy[seg_pos + 1] - xy[seg_pos]).T)
    open_pos = np.flatnonzero(junction & seg)  # junctions that start an edge
    n_edges = len(open_pos)
    # edge numbers of opening junctions are 0..n_edges-1 only if closing-only junctions (way ends) are
    # skipped: renumber via the opening positions.
    renumber = np.full(int(edge_no[-1]) + 1, -1, dtype=np.int64)
    renumber[edge_no[open_pos]] = np.arange(n_edges)
    seg_edge = renumber[seg_edge]
    length = np.bincount(seg_edge, weights=seg_len, minlength=n_edges)
    close_pos = np.flatnonzero(junction)
    # the closing junction of an edge is the next junction position after its opening one
    next_j = close_pos[np.searchsorted(close_pos, open_pos, side="right")]
    u_ref, v_ref = refs[open_pos], refs[next_j]
    node_refs, first_pos = np.unique(refs[junction], return_index=True)
    junction_pos = np.flatnonzero(junction)[first_pos]
    nodes = pd.DataFrame({"x": xy[junction_pos, 0], "y": xy[junction_pos, 1], "osm_id": node_refs})
    rule_idx = piece_rule[way_of[open_pos]]
    flags = np.array([r[2] for r in rules], dtype=bool).reshape(-1, len(flag_cols))[rule_idx]
    edges = pd.DataFrame(
        {
            "u": np.searchsorted(node_refs, u_ref),
            "v": np.searchsorted(node_refs, v_ref),
            "length_m": length,
            "highway": np.array([r[0] for r in rules], dtype=object)[rule_idx],
            "maxspeed_kmh": np.array([r[1] for r in rules], dtype="float64")[rule_idx],
        }
    )
    for i, col in enumerate(flag_cols):
        edges[col] = flags[:, i]
    return StreetNetwork(nodes, edges, source, kind)


def _pick_edge_layer(path: Path, layer: str | None) -> str | None:
    if layer is not None or path.suffix.lower() != ".gpkg":
        return layer
    layers = list_layers(path)
    if "edges" in layers:  # osmnx save_graph_geopackage writes 'nodes' and 'edges'
        return "edges"
    return layers[0] if len(layers) == 1 else _ambiguous_layer(path, layers)


def _ambiguous_layer(path: Path, layers: list[str]) -> str:
    raise InputError.single(
        "NETWORK_LAYER",
        f"'{path.name}' heeft meerdere lagen ({', '.join(layers)}); kies de straten met --network-layer.",
        f"'{path.name}' has several layers ({', '.join(layers)}); choose the streets with --network-layer.",
        file=path,
    )


def read_edges(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    assume_crs: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> StreetNetwork:
    """Read street lines from a GeoPackage/GeoParquet/GeoJSON (e.g. osmnx's ``save_graph_geopackage``).

    Optional columns: ``u``/``v`` node ids (else lines meet where their end points coincide to the
    centimetre), OSM tags as columns (``highway``, ``oneway``, ``maxspeed``, ``access``, ``bicycle``, …),
    and per-mode overrides ``walk``/``bike``/``car`` (bool) and ``car_kmh`` (number). Without a
    ``highway`` column every mode may use every line (both ways unless ``oneway``).
    """
    p = Path(path)
    gdf = read_vector(p, layer=_pick_edge_layer(p, layer))
    gdf = ensure_rd(gdf, assume_crs=assume_crs, source=str(p))
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    kinds = set(gdf.geom_type)
    if not kinds <= {"LineString", "MultiLineString"}:
        raise InputError.single(
            "NETWORK_GEOMETRY",
            f"'{p.name}' moet lijnen (straten) bevatten, niet {', '.join(sorted(kinds - {'LineString', 'MultiLineString'}))}.",
            f"'{p.name}' must hold lines (streets), not {', '.join(sorted(kinds - {'LineString', 'MultiLineString'}))}.",
            file=p,
        )
    has_ids = {"u", "v"} <= set(gdf.columns)
    if not has_ids:
        gdf = gdf.explode(index_parts=False, ignore_index=True)
    if bbox is not None:
        gdf = gdf[gdf.intersects(shapely.box(*bbox))]
    gdf = gdf.reset_index(drop=True)
    problems = _check_edge_columns(gdf, p)
    if problems:
        raise InputError(problems)
    rules = [_edge_rules(row) for row in _tag_rows(gdf)]
    keep = np.array([r is not None for r in rules], dtype=bool)
    gdf = gdf[keep].reset_index(drop=True)
    kept = [r for r in rules if r is not None]
    flag_cols = [f"{m}_{d}" for m in MODES for d in ("fw", "bw")]
    flags = np.array([r[2] for r in kept], dtype=bool).reshape(-1, len(flag_cols))
    length = gdf.geometry.length.to_numpy()
    start = shapely.get_point(gdf.geometry.to_numpy(), 0)
    end = shapely.get_point(gdf.geometry.to_numpy(), -1)
    sx, sy = shapely.get_x(start), shapely.get_y(start)
    ex, ey = shapely.get_x(end), shapely.get_y(end)
    if has_ids:
        u_key = pd.to_numeric(gdf["u"], errors="coerce").to_numpy(dtype="float64")
        v_key = pd.to_numeric(gdf["v"], errors="coerce").to_numpy(dtype="float64")
    else:
        # end points that coincide to the centimetre are the same junction
        u_key = np.round(sx * 100) * 1e9 + np.round(sy * 100)
        v_key = np.round(ex * 100) * 1e9 + np.round(ey * 100)
    keys, first, inverse = np.unique(np.r_[u_key, v_key], return_index=True, return_inverse=True)
    n = len(gdf)
    all_x, all_y = np.r_[sx, ex], np.r_[sy, ey]
    nodes = pd.DataFrame(
        {
            "x": all_x[first],
            "y": all_y[first],
            "osm_id": keys.astype("int64") if has_ids else np.full(len(keys), -1, dtype="int64"),
        }
    )
    edges = pd.DataFrame(
        {
            "u": inverse[:n],
            "v": inverse[n:],
            "length_m": length,
            "highway": [r[0] for r in kept],
            "maxspeed_kmh": np.array([r[1] for r in kept], dtype="float64"),
        }
    )
    for i, col in enumerate(flag_cols):
        edges[col] = flags[:, i] if len(flags) else np.zeros(0, dtype=bool)
    return StreetNetwork(nodes, edges, p.name, "edges")


def _check_edge_columns(gdf: gpd.GeoDataFrame, path: Path) -> list[Problem]:
    """Node ids u and v, when given, must be whole numbers on every line."""
    problems: list[Problem] = []
    if not {"u", "v"} <= set(gdf.columns):
        return problems
    for col in ("u", "v"):
        values = pd.to_numeric(gdf[col], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() | (values.fillna(0) % 1 != 0).to_numpy())
        for row in bad[:20]:
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


def _tag_rows(gdf: gpd.GeoDataFrame) -> Iterable[dict[str, object]]:
    cols = [c for c in (*TAG_KEYS, "walk", "bike", "car", "car_kmh") if c in gdf.columns]
    frame = pd.DataFrame(gdf[cols]) if cols else pd.DataFrame(index=gdf.index)
    for values in frame.itertuples(index=False, name=None):
        yield dict(zip(cols, values, strict=True))


def _as_bool(value: object) -> bool | None:
    text = _first(value)
    if text is None:
        return None
    low = text.lower()
    if low in {"1", "true", "yes", "ja", "y"}:
        return True
    if low in {"0", "false", "no", "nee", "n"}:
        return False
    return None


def _all_values(value: object) -> str | None:
    """Every value of a (list) tag joined with ';' — an osmnx edge merging ways keeps all their maxspeeds."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            return _first(value)
    if isinstance(value, list | tuple | np.ndarray):
        parts = [p for v in value if (p := _first(v)) is not None]
        return ";".join(parts) or None
    return _first(value)


def _edge_rules(row: Mapping[str, object]) -> tuple[str, float, tuple[bool, ...]] | None:
    tags = {k: v for k in TAG_KEYS if (v := _first(row.get(k))) is not None}
    if (speeds := _all_values(row.get("maxspeed"))) is not None:
        tags["maxspeed"] = speeds  # the lowest of them counts
    if "oneway" in tags:
        # osmnx writes oneway as a bool; OSM writes yes/no/-1
        low = tags["oneway"].lower()
        tags["oneway"] = {"true": "yes", "false": "no"}.get(low, low)
    if "highway" in tags:
        rules = way_rules(tags)
    else:
        general = _direction(tags.get("oneway")) or 0
        rules = ("road", parse_maxspeed(tags.get("maxspeed")), (True, True, general >= 0, general <= 0, general >= 0, general <= 0))
    overrides = {m: _as_bool(row.get(m)) for m in MODES}
    if any(v is not None for v in overrides.values()):
        highway, maxspeed, flags = rules if rules is not None else ("road", math.nan, (False,) * 6)
        general = _direction(tags.get("oneway")) or 0
        new_flags = list(flags)
        for i, mode in enumerate(MODES):
            allowed = overrides[mode]
            if allowed is None:
                continue
            direction = 0 if mode == "walk" else general
            new_flags[2 * i] = allowed and direction >= 0
            new_flags[2 * i + 1] = allowed and direction <= 0
        rules = (highway, maxspeed, tuple(new_flags)) if any(new_flags) else None
    car_kmh = row.get("car_kmh")
    if rules is not None and car_kmh is not None:
        kmh = parse_maxspeed(car_kmh)
        if not math.isnan(kmh):
            rules = (rules[0], kmh, rules[2])
    return rules
