"""osmnx GraphML (``ox.save_graphml``): nodes with x/y in the graph's ``crs``, edges with OSM tags and WKT geometry.

osmnx writes a MultiDiGraph: one edge per direction for a two-way street (the second one marked
``reversed=True``), one edge, in the allowed direction, for a one-way street, and ``oneway`` as True/False
(its own decision, from the ``oneway`` tag and roundabouts). Here each edge's OSM tags go through the NL
rules of :mod:`geodata.roads.osm_tags` relative to the way's own direction (``reversed`` says when the edge
runs against it), and the two directions of one street — edges between the same two nodes over the same
geometry — become one edge whose per-mode directions are the union of both: nothing is counted twice,
and bike contraflow (``oneway:bicycle=no``, ``cycleway=opposite*``) and walking against a one-way street
are added where osmnx has no edge for them. Tags osmnx does not keep by default (``oneway:bicycle``,
``cycleway*``, ``bicycle``, ``foot``, ``motorroad``) are used when the graph has them (add them to
``ox.settings.useful_tags_way`` before downloading). ``geometry`` is optional: without it an edge is the
straight line between its nodes, and at least as long as osmnx's ``length``. Lengths are measured in RD New.
A graph made with ``network_type="walk"`` has both directions on every street, so its car and bike
directions are not one-way anywhere: use ``"all"`` (or ``"drive"``/``"bike"``) for those modes.
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geodata.crs import RD_NEW, parse_crs
from geodata.errors import InputError
from geodata.roads.model import Rule, StreetNetwork, edge_frame
from geodata.roads.osm_tags import file_rules


def _load(path: Path) -> Any:
    # late import: networkx, ~2 s of -X importtime under load on the shared 2-core machine, only when a GraphML file is read
    import networkx as nx

    try:
        graph = nx.read_graphml(path, node_type=str, force_multigraph=True)
    except (nx.NetworkXError, ET.ParseError, ValueError, KeyError, IndexError) as exc:
        raise InputError.single(
            "NETWORK_UNREADABLE",
            f"GraphML-bestand '{path.name}' is niet leesbaar: {exc}",
            f"GraphML file '{path.name}' cannot be read: {exc}",
            file=path,
        ) from exc
    return graph


def _crs(graph: Any, path: Path, assume_crs: str | None) -> CRS:
    text = graph.graph.get("crs") or assume_crs
    if text is None:
        raise InputError.single(
            "CRS_MISSING",
            f"GraphML-bestand '{path.name}' zegt niet in welk coördinatenstelsel x/y staan (graafattribuut crs). Geef het op met --network-crs.",
            f"GraphML file '{path.name}' does not say which coordinate system x/y are in (graph attribute crs). Give it with --network-crs.",
            file=path,
        )
    return parse_crs(str(text), source=str(path))


def _node_xy(graph: Any, path: Path) -> tuple[list[str], np.ndarray]:
    ids = list(graph.nodes)
    xy = np.empty((len(ids), 2))
    for i, node in enumerate(ids):
        data = graph.nodes[node]
        try:
            xy[i] = (float(data["x"]), float(data["y"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError.single(
                "NETWORK_GRAPHML_NODE",
                f"Knooppunt {node} in '{path.name}' heeft geen bruikbare x en y.",
                f"Node {node} in '{path.name}' has no usable x and y.",
                file=path,
                column="x, y",
            ) from exc
    return ids, xy


def _edge_rule(data: dict[str, object]) -> tuple[Rule | None, bool]:
    """The edge's rule relative to its way's own direction, and whether the edge runs against that direction."""
    raw = dict(data)
    if str(raw.get("oneway", "")).strip() == "False":
        # osmnx writes False where the way is not one-way by tag or roundabout: leave it unsaid, so that
        # OSM's implied one-way motorways stay one-way.
        raw.pop("oneway")
    # a list ("[False, True]": osmnx merged ways of both directions) leaves the edge's own direction as the way's
    reversed_edge = str(data.get("reversed", "")).strip() == "True"
    return file_rules(raw), reversed_edge


def _swap(flags: tuple[bool, ...]) -> tuple[bool, ...]:
    return tuple(flags[i + 1 - 2 * (i % 2)] for i in range(len(flags)))


def read_graphml(
    path: str | os.PathLike[str],
    *,
    assume_crs: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> StreetNetwork:
    """Read an osmnx GraphML file into a network; see the module docstring for the conventions."""
    p = Path(path)
    graph = _load(p)
    to_rd = Transformer.from_crs(_crs(graph, p, assume_crs), RD_NEW, always_xy=True)
    ids, xy = _node_xy(graph, p)
    x, y = to_rd.transform(xy[:, 0], xy[:, 1])
    node_xy = np.column_stack([np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")])
    number = {node: i for i, node in enumerate(ids)}
    us, vs, rules, wkts, lengths = [], [], [], [], []
    for u, v, data in graph.edges(data=True):
        rule, against = _edge_rule(data)
        if rule is None:
            continue
        if against:
            rule = (rule[0], rule[1], _swap(rule[2]))
        us.append(number[u])
        vs.append(number[v])
        rules.append(rule)
        wkts.append(data.get("geometry"))
        lengths.append(pd.to_numeric(data.get("length"), errors="coerce"))
    u_arr, v_arr = np.array(us, dtype=np.int64), np.array(vs, dtype=np.int64)
    geoms = _geometries(wkts, u_arr, v_arr, node_xy, to_rd, p)
    length = np.asarray(shapely.length(geoms), dtype="float64")
    no_geometry = np.array([w is None for w in wkts], dtype=bool)
    stated = np.array(lengths, dtype="float64")
    length = np.where(no_geometry & np.isfinite(stated), np.fmax(length, stated), length)
    if bbox is not None and len(geoms):
        inside = shapely.intersects(geoms, shapely.box(*bbox))
        u_arr, v_arr, length, geoms = u_arr[inside], v_arr[inside], length[inside], geoms[inside]
        rules = [r for r, keep in zip(rules, inside, strict=True) if keep]
    u_arr, v_arr, length, rules = _merge_directions(u_arr, v_arr, length, geoms, rules)
    used, inverse = np.unique(np.r_[u_arr, v_arr], return_inverse=True)
    nodes = pd.DataFrame(
        {
            "x": node_xy[used, 0],
            "y": node_xy[used, 1],
            "osm_id": np.array([_osm_id(ids[i]) for i in used], dtype=np.int64),
        }
    )
    n = len(u_arr)
    edges = edge_frame(inverse[:n], inverse[n:], length, rules)
    return StreetNetwork(nodes, edges, p.name, "graphml", "graphml")


def _osm_id(node: str) -> int:
    try:
        return int(node)
    except ValueError:
        return -1


def _geometries(
    wkts: list[object], u: np.ndarray, v: np.ndarray, node_xy: np.ndarray, to_rd: Transformer, path: Path
) -> np.ndarray:
    """Each edge's line in RD New: its WKT geometry, or the straight line between its nodes."""
    geoms = np.empty(len(wkts), dtype=object)
    given = np.array([w is not None for w in wkts], dtype=bool)
    if given.any():
        try:
            parsed = shapely.from_wkt(np.array([str(w) for w in np.array(wkts, dtype=object)[given]], dtype=object))
        except shapely.errors.GEOSException as exc:
            raise InputError.single(
                "NETWORK_GRAPHML_GEOMETRY",
                f"Een randgeometrie in '{path.name}' is geen geldige WKT: {exc}",
                f"An edge geometry in '{path.name}' is not valid WKT: {exc}",
                file=path,
                column="geometry",
            ) from exc
        geoms[given] = shapely.transform(parsed, lambda c: np.column_stack(to_rd.transform(c[:, 0], c[:, 1])))
    straight = ~given
    if straight.any():
        pairs = np.stack([node_xy[u[straight]], node_xy[v[straight]]], axis=1)
        geoms[straight] = shapely.linestrings(pairs)
    return geoms


def _merge_directions(
    u: np.ndarray, v: np.ndarray, length: np.ndarray, geoms: np.ndarray, rules: list[Rule]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Rule]]:
    """One edge per street: the edges between the same nodes over the same line, their directions united."""
    merged: dict[tuple[int, int, bytes], int] = {}
    out_u: list[int] = []
    out_v: list[int] = []
    out_len: list[float] = []
    out_rules: list[Rule] = []
    flags_of: list[list[bool]] = []
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bounds = np.searchsorted(index, np.arange(len(geoms) + 1))
    for i in range(len(u)):
        a, b = (int(u[i]), int(v[i])) if u[i] <= v[i] else (int(v[i]), int(u[i]))
        line = np.round(coords[bounds[i] : bounds[i + 1]], 2)
        flags = list(rules[i][2])
        # orient every line from its lower node; a loop (a == b) from whichever end reads first
        if u[i] > v[i] or (a == b and line[::-1].tobytes() < line.tobytes()):
            line = line[::-1]
            flags = list(_swap(rules[i][2]))
        key = (a, b, line.tobytes())
        at = merged.get(key)
        if at is None:
            merged[key] = len(out_u)
            out_u.append(a)
            out_v.append(b)
            out_len.append(float(length[i]))
            out_rules.append(rules[i])
            flags_of.append(flags)
        else:
            flags_of[at] = [x or y for x, y in zip(flags_of[at], flags, strict=True)]
            if not math.isnan(rules[i][1]) and (math.isnan(out_rules[at][1]) or rules[i][1] < out_rules[at][1]):
                out_rules[at] = (out_rules[at][0], rules[i][1], out_rules[at][2])
    final = [(r[0], r[1], tuple(f)) for r, f in zip(out_rules, flags_of, strict=True)]
    return np.array(out_u, dtype=np.int64), np.array(out_v, dtype=np.int64), np.array(out_len, dtype="float64"), final
