"""Read the routable ways of an OpenStreetMap file (.osm.pbf, .osm and the other formats pyosmium reads)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pyproj import Transformer

from geodata.crs import RD_NEW, WGS84
from geodata.errors import InputError
from geodata.roads.junctions import split_at_junctions
from geodata.roads.model import Rule, StreetNetwork
from geodata.roads.osm_tags import TAG_KEYS, way_rules

OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz", ".o5m")
# OSM stores coordinates as integers; this one marks a node whose location is unknown (not in the extract).
_UNDEFINED_COORDINATE = 2147483647
_TAG_SET = frozenset(TAG_KEYS)


def is_osm_file(path: str | os.PathLike[str]) -> bool:
    return Path(path).name.lower().endswith(OSM_SUFFIXES)


@dataclass
class _Ways:
    """Way pieces collected from a file, flat: node refs and coordinates, piece sizes, and each piece's rules."""

    refs: list[int] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    rule: list[int] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)


def read_osm(path: str | os.PathLike[str], *, bbox: tuple[float, float, float, float] | None = None) -> StreetNetwork:
    """Read the routable ways of an OpenStreetMap file with pyosmium and split them at junctions.

    Ways are cut where a node has no location (it lies outside the extract). Tag combinations repeat a
    lot, so their rules are worked out once each.
    """
    # late import: osmium (its C++ library), ~0.3 s of -X importtime under load on the shared 2-core machine, only for an OSM file
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
    nodes, edges = split_at_junctions(refs, xy, sizes, piece_rule, ways.rules)
    name = p.name.lower()
    schema = (
        "osm_xml"
        if name.endswith((".osm", ".osm.bz2", ".osm.gz"))
        else "osm_o5m"
        if name.endswith(".o5m")
        else "osm_pbf"
    )
    return StreetNetwork(nodes, edges, p.name, "osm", schema)


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
