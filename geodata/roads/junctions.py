"""Split street pieces into edges at their junctions: node ids shared by pieces (or repeated in one), and piece ends.

OSM ways carry node ids; line files get them from their vertices, rounded to the centimetre, so that two
lines meet where they share a vertex — and only there: lines that cross without a shared vertex (a bridge
over a road) stay apart, as in OpenStreetMap itself.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import shapely

from geodata.roads.model import Rule, edge_frame, empty_frames


def split_at_junctions(
    refs: np.ndarray,
    xy: np.ndarray,
    sizes: np.ndarray,
    piece_rule: np.ndarray,
    rules: list[Rule],
    *,
    piece_attrs: Mapping[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Edges run between junctions: nodes shared by pieces (or repeated in one), and piece ends.

    ``refs``/``xy``: node id and RD position of every vertex, pieces one after another; ``sizes``: vertices
    per piece; ``piece_rule``: each piece's number in ``rules``; ``piece_attrs``: per-piece columns carried
    onto the edges cut from it. Returns (nodes, edges); nodes' ``osm_id`` is the node id.
    """
    if len(sizes) == 0:
        return empty_frames()
    way_of = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    ends = starts + sizes - 1
    _, inverse, counts = np.unique(refs, return_inverse=True, return_counts=True)
    junction = counts[inverse] >= 2
    junction[starts] = True
    junction[ends] = True
    # Segment k joins position k and k + 1 inside one piece; it belongs to the edge opened by the last
    # junction at or before k.
    seg = np.ones(len(refs), dtype=bool)
    seg[ends] = False
    seg_pos = np.flatnonzero(seg)
    edge_no = np.cumsum(junction) - 1
    seg_edge = edge_no[seg_pos]
    seg_len = np.hypot(*(xy[seg_pos + 1] - xy[seg_pos]).T)
    open_pos = np.flatnonzero(junction & seg)  # junctions that start an edge
    n_edges = len(open_pos)
    # edge numbers of opening junctions are 0..n_edges-1 only if closing-only junctions (piece ends) are
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
    nodes = pd.DataFrame({"x": xy[junction_pos, 0], "y": xy[junction_pos, 1], "osm_id": node_refs.astype(np.int64)})
    piece = way_of[open_pos]
    edges = edge_frame(
        np.searchsorted(node_refs, u_ref), np.searchsorted(node_refs, v_ref), length, rules, piece_rule[piece]
    )
    for name, values in (piece_attrs or {}).items():
        edges[name] = np.asarray(values)[piece]
    return nodes, edges


def vertex_pieces(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Line strings → (vertex ids, vertex xy, vertices per piece, line number of each piece).

    A vertex's id is its position rounded to the centimetre, so lines sharing a vertex share a node;
    repeated consecutive vertices are dropped and lines left with fewer than two vertices skipped.
    """
    coords, line = shapely.get_coordinates(geoms, return_index=True)
    if len(coords) == 0:
        return np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros(0, np.int64)
    cx = np.round(coords[:, 0] * 100).astype(np.int64)
    cy = np.round(coords[:, 1] * 100).astype(np.int64)
    span_x, span_y = int(cx.max() - cx.min()) + 1, int(cy.max() - cy.min()) + 1
    if span_x * span_y < 2**62:
        key = (cx - cx.min()) * span_y + (cy - cy.min())
    else:  # coordinates too spread out to pack into one integer
        key = np.unique(np.column_stack([cx, cy]), axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)
    repeat = np.r_[False, (key[1:] == key[:-1]) & (line[1:] == line[:-1])]
    key, coords, line = key[~repeat], coords[~repeat], line[~repeat]
    per_line = np.bincount(line, minlength=len(geoms))
    keep_line = per_line >= 2
    keep = keep_line[line]
    return key[keep], coords[keep, :2], per_line[keep_line], np.flatnonzero(keep_line)


def edges_between_ids(
    u_key: np.ndarray,
    v_key: np.ndarray,
    start_xy: np.ndarray,
    end_xy: np.ndarray,
    length: np.ndarray,
    rules: list[Rule],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One edge per line from its given end-node ids (osmnx u/v, NWB junction ids); a node sits where it first appears."""
    n = len(u_key)
    if n == 0:
        return empty_frames()
    keys, first, inverse = np.unique(np.r_[u_key, v_key], return_index=True, return_inverse=True)
    all_xy = np.r_[start_xy, end_xy]
    nodes = pd.DataFrame({"x": all_xy[first, 0], "y": all_xy[first, 1], "osm_id": keys.astype(np.int64)})
    return nodes, edge_frame(inverse[:n], inverse[n:], length, rules)


def line_frames(
    geoms: np.ndarray,
    rules: list[Rule | None],
    *,
    node_ids: tuple[np.ndarray, np.ndarray] | None = None,
    line_attrs: Mapping[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes and edges from street lines and one rule per line (None: no mode may use it).

    With ``node_ids`` (the ids of each line's first and last node) every line is one edge; without, lines
    are cut at every vertex they share (multi-lines into their parts first) and nodes get ``osm_id`` -1.
    """
    keep = np.array([r is not None for r in rules], dtype=bool)
    kept: list[Rule] = [r for r in rules if r is not None]
    geoms = np.asarray(geoms)[keep]
    attrs = {k: np.asarray(v)[keep] for k, v in (line_attrs or {}).items()}
    if node_ids is not None:
        start, end, length = line_ends(geoms)
        nodes, edges = edges_between_ids(node_ids[0][keep], node_ids[1][keep], start, end, length, kept)
        for name, values in attrs.items():
            edges[name] = values
        return nodes, edges
    parts, part_line = shapely.get_parts(geoms, return_index=True)
    refs, xy, sizes, piece_part = vertex_pieces(parts)
    piece_line = part_line[piece_part]
    nodes, edges = split_at_junctions(
        refs, xy, sizes, piece_line, kept, piece_attrs={k: v[piece_line] for k, v in attrs.items()}
    )
    nodes["osm_id"] = np.full(len(nodes), -1, dtype=np.int64)
    return nodes, edges


def line_ends(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start xy, end xy and length of each (multi)line: the first point of its first part, the last of its last."""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    n = len(geoms)
    first = np.searchsorted(index, np.arange(n), side="left")
    last = np.searchsorted(index, np.arange(n), side="right") - 1
    return coords[first, :2], coords[last, :2], np.asarray(shapely.length(geoms), dtype="float64")
