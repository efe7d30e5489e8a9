"""Travel time and distance from origins to care teams per mode: the origin×team cost structure and nearest-team queries.

Two methods, and every result says which one produced it:

* ``network`` — shortest *fastest* routes on a street network (`geodata.network`). Per mode the streets
  become a directed graph (scipy CSR) with one weight per arc that encodes time and length together:
  ``time_ms × 10⁸ + length_dm`` (integers, exact in float64 up to 25 h of travel). Dijkstra on that weight
  finds the fastest route and, among equally fast routes, the shortest — and both time and length come back
  from one search. Origins and teams are snapped to the nearest node of the mode's largest strongly
  connected component; the straight leg to that node is travelled at the mode's base speed.
  The graph is stored reversed (arc b→a for every street arc a→b), so one Dijkstra *from a team* gives the
  time *to* that team from every node: one search per team fills a matrix column (bounded by
  ``limit_min`` when given), and one multi-source search (``min_only=True``) answers "nearest team of a
  set" for every origin at once.
* ``straight_line`` — without a network: straight-line distance × a detour factor per mode (documented in
  :class:`DetourFactors`), at the mode's base speed.

The method is chosen per mode: a network that leaves a mode without usable streets, or whose usable part
lies farther than ``FAR_SNAP_M`` from every origin or from every team, gives that mode the straight-line
estimate (``TravelCosts.mode_method``), and every output says so. Every origin also has an intrazonal
floor (`etl.intrazonal`): no travel from it costs less than the mean distance within its buurt or cell.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from etl.cbs_grid import SECRET, SECRET_WEIGHT, cbs_count, grid_weight, is_cbs_grid, secret_note
from etl.intrazonal import buurt_intrazonal_m, disc_mean_distance_m
from geodata.crs import ensure_rd
from geodata.errors import InputError
from geodata.io import read_vector
from geodata.network import DEFAULT_MODE, MODES, Speeds, StreetNetwork, car_speed_kmh

METHOD_NETWORK = "network"
METHOD_STRAIGHT = "straight_line"
# Some modes on the network, others on the straight line (a network without streets for a mode).
METHOD_MIXED = "mixed"
METHOD_LABELS = {
    METHOD_NETWORK: "netwerk / street network",
    METHOD_STRAIGHT: "hemelsbreed × omwegfactor / straight line × detour factor",
    METHOD_MIXED: "per vervoerswijze netwerk of hemelsbreed × omwegfactor / per mode street network or straight line × detour factor",
}
# A snap leg (origin or team to its network node) longer than this makes the figure a 'far snap'; a mode
# whose network lies farther than this from every origin or from every team falls back to the straight line.
FAR_SNAP_M = 500.0
# Encoded arc weight: time in ms times BASE plus length in decimetres (< 10,000 km per route).
BASE = 1e8
_MS_PER_MIN = 60_000.0
# Dijkstra output per batch of sources is (batch × nodes) float64; keep it near 32 MB.
_BATCH_CELLS = 4_000_000


@dataclass(frozen=True)
class DetourFactors:
    """Route length ÷ straight-line distance per mode, used only without a network.

    walk 1.25 and bike 1.25: Dutch cycle-network design asks a detour factor below 1.2 for main routes
    (CROW); door to door, with the last metres on side streets, 1.25 is the conservative middle.
    car 1.35: the average road detour measured for 300 European cities is 1.343 (Environment and
    Planning B, 2023, "radial physical detours").
    """

    walk: float = 1.25
    bike: float = 1.25
    car: float = 1.35

    def __post_init__(self) -> None:
        for mode in MODES:
            value = getattr(self, mode)
            if not (math.isfinite(value) and value >= 1.0):
                raise InputError.single(
                    "DETOUR_INVALID",
                    f"Omrijfactor voor {mode} = {value} moet ≥ 1 zijn.",
                    f"Detour factor for {mode} = {value} must be ≥ 1.",
                    column=f"detour_{mode}",
                )

    def of(self, mode: str) -> float:
        return float(getattr(self, mode))

    def to_dict(self) -> dict[str, float]:
        return {m: self.of(m) for m in MODES}


@dataclass(frozen=True)
class TravelOptions:
    """What `buurtdekking build` can be told about travel, coverage and access (``BuildOptions.travel``)."""

    network: Path | None = None
    network_layer: str | None = None
    network_crs: str | None = None
    network_speeds: Path | None = None  # NDW maximum speeds by WVK_ID, for an NWB Wegen network
    origins: Path | None = None
    origins_layer: str | None = None
    origins_weight: str | None = None
    speeds: Speeds = field(default_factory=Speeds)
    detour: DetourFactors = field(default_factory=DetourFactors)
    thresholds_min: tuple[float, ...] = (10.0, 15.0, 20.0)
    coverage_mode: str = DEFAULT_MODE
    seam_margin_min: float = 2.0
    decay: str = "step:10=1,20=0.68,30=0.22"
    access_mode: str = DEFAULT_MODE
    access_supply: str = "capaciteit_fte"
    # Bound on the origin×team matrix (minutes); None = complete. Nearest-team answers stay exact either way.
    matrix_limit_min: float | None = None
    clip_buffer_m: float | None = 5000.0
    enabled: bool = True

    def __post_init__(self) -> None:
        problems = []
        for mode_field in ("coverage_mode", "access_mode"):
            if getattr(self, mode_field) not in MODES:
                problems.append((mode_field, f"'{getattr(self, mode_field)}' (kies/choose {', '.join(MODES)})"))
        if not self.thresholds_min or any(not (math.isfinite(t) and t > 0) for t in self.thresholds_min):
            problems.append(("thresholds_min", f"{self.thresholds_min!r} (positieve minuten/positive minutes)"))
        if not (math.isfinite(self.seam_margin_min) and self.seam_margin_min >= 0):
            problems.append(("seam_margin_min", f"{self.seam_margin_min!r} (≥ 0)"))
        if self.matrix_limit_min is not None and not self.matrix_limit_min > 0:
            problems.append(("matrix_limit_min", f"{self.matrix_limit_min!r} (> 0)"))
        if problems:
            name, detail = problems[0]
            raise InputError.single(
                "TRAVEL_OPTION_INVALID",
                f"Ongeldige reistijdoptie {name}: {detail}.",
                f"Invalid travel option {name}: {detail}.",
                column=name,
            )


# ---------------------------------------------------------------- graphs per mode


@dataclass(frozen=True)
class ModeGraph:
    """One mode's street graph, reversed for searches from teams, with what is needed to snap points to it."""

    mode: str
    reverse: csr_matrix
    node_xy: np.ndarray
    snap_nodes: np.ndarray
    connector_kmh: float
    tree: cKDTree = field(repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        return int(self.reverse.shape[0])

    @property
    def n_arcs(self) -> int:
        return int(self.reverse.nnz)

    @cached_property
    def reach_m_per_ms(self) -> float:
        """The most straight-line metres any arc spans per ms of its time: a route of T ms stays within T × this."""
        coo = self.reverse.tocoo()
        if coo.nnz == 0:
            return 0.0
        chord = np.hypot(*(self.node_xy[coo.row] - self.node_xy[coo.col]).T)
        return float(np.max(chord / np.floor(coo.data / BASE)))


def mode_graph(
    *, mode: str, node_xy: np.ndarray, tail: np.ndarray, head: np.ndarray, weight: np.ndarray, connector_kmh: float
) -> ModeGraph:
    """A ModeGraph from street arcs tail→head with encoded weights (parallel arcs: the cheapest wins)."""
    n = len(node_xy)
    keep = tail != head
    tail, head, weight = tail[keep], head[keep], weight[keep]
    # scipy sums duplicate entries; keep only the cheapest of parallel arcs.
    order = np.lexsort((weight, head, tail))
    tail, head, weight = tail[order], head[order], weight[order]
    first = np.ones(len(tail), dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    tail, head, weight = tail[first], head[first], weight[first]
    reverse = csr_matrix((weight, (head, tail)), shape=(n, n))
    reverse.sort_indices()
    if n:
        n_comp, labels = connected_components(reverse, directed=True, connection="strong")
        largest = np.bincount(labels).argmax() if n_comp else 0
        touched = np.zeros(n, dtype=bool)
        touched[tail] = True
        touched[head] = True
        snap_nodes = np.flatnonzero((labels == largest) & touched)
    else:
        snap_nodes = np.zeros(0, dtype=np.int64)
    return ModeGraph(
        mode=mode,
        reverse=reverse,
        node_xy=np.asarray(node_xy, dtype="float64"),
        snap_nodes=snap_nodes.astype(np.int64),
        connector_kmh=float(connector_kmh),
        tree=cKDTree(node_xy[snap_nodes]) if len(snap_nodes) else cKDTree(np.zeros((0, 2))),
    )


def encode(length_m: np.ndarray, kmh: np.ndarray | float, *, min_ms: float = 1.0) -> np.ndarray:
    """Weights time_ms × BASE + length_dm (integers as float64); street arcs take at least 1 ms."""
    length = np.asarray(length_m, dtype="float64")
    time_ms = np.maximum(np.round(length / (np.asarray(kmh, dtype="float64") / 3.6) * 1000.0), min_ms)
    return np.asarray(time_ms * BASE + np.round(length * 10.0), dtype="float64")


def decode(enc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encoded route weights → (minutes, metres) as float32; unreachable (inf) stays inf."""
    enc = np.asarray(enc, dtype="float64")
    finite = np.isfinite(enc)
    time_ms = np.where(finite, np.floor(np.where(finite, enc, 0.0) / BASE), np.inf)
    dm = np.where(finite, enc - np.where(finite, time_ms, 0.0) * BASE, np.inf)
    return (time_ms / _MS_PER_MIN).astype("float32"), (dm / 10.0).astype("float32")


def build_mode_graphs(network: StreetNetwork, *, speeds: Speeds, modes: Sequence[str] = MODES) -> dict[str, ModeGraph]:
    """One reversed, encoded graph per mode that may use some street of the network.

    A mode without a single usable street is left out: the build then gives it the straight-line estimate
    and says so (see :func:`usable_graphs`), rather than refusing the whole network.
    """
    edges = network.edges
    node_xy = network.nodes[["x", "y"]].to_numpy(dtype="float64")
    u = edges["u"].to_numpy(dtype=np.int64)
    v = edges["v"].to_numpy(dtype=np.int64)
    length = edges["length_m"].to_numpy(dtype="float64")
    graphs = {}
    for mode in modes:
        fw = edges[f"{mode}_fw"].to_numpy(dtype=bool)
        bw = edges[f"{mode}_bw"].to_numpy(dtype=bool)
        if not (fw.any() or bw.any()):
            continue
        kmh: np.ndarray | float = car_speed_kmh(edges, speeds) if mode == "car" else speeds.base_kmh(mode)
        weight = encode(length, kmh)
        graphs[mode] = mode_graph(
            mode=mode,
            node_xy=node_xy,
            tail=np.r_[u[fw], v[bw]],
            head=np.r_[v[fw], u[bw]],
            weight=np.r_[weight[fw], weight[bw]],
            connector_kmh=speeds.base_kmh(mode),
        )
    return graphs


def usable_graphs(
    graphs: Mapping[str, ModeGraph], *, origin_xy: np.ndarray, team_xy: np.ndarray, modes: Sequence[str] = MODES
) -> tuple[dict[str, ModeGraph], dict[str, str]]:
    """The graphs a build routes on, and per other mode why it falls back to the straight line.

    A mode falls back when the network has no street it may use, or when its usable part (the largest
    strongly connected component) lies farther than ``FAR_SNAP_M`` from every origin or from every team:
    then no figure of that mode would be a network figure worth the name. Reasons are codes:
    ``no_edges`` | ``far_from_origins`` | ``far_from_teams``.
    """
    keep: dict[str, ModeGraph] = {}
    reasons: dict[str, str] = {}
    for mode in modes:
        graph = graphs.get(mode)
        if graph is None or len(graph.snap_nodes) == 0:
            reasons[mode] = "no_edges"
            continue
        o_leg = snap_points(graph, origin_xy).leg_m
        t_leg = snap_points(graph, team_xy).leg_m
        if len(o_leg) and float(o_leg.min()) > FAR_SNAP_M:
            reasons[mode] = "far_from_origins"
        elif len(t_leg) and float(t_leg.min()) > FAR_SNAP_M:
            reasons[mode] = "far_from_teams"
        else:
            keep[mode] = graph
    return keep, reasons


@dataclass(frozen=True)
class Snap:
    """Points snapped to a mode graph: node per point, the straight leg (m) and its encoded cost."""

    nodes: np.ndarray
    leg_m: np.ndarray
    leg_enc: np.ndarray


def snap_points(graph: ModeGraph, xy: np.ndarray) -> Snap:
    """Nearest node of the mode's largest strongly connected component for each point."""
    points = np.asarray(xy, dtype="float64").reshape(-1, 2)
    if len(points) == 0:
        return Snap(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))
    leg, idx = graph.tree.query(points)
    nodes = graph.snap_nodes[idx]
    return Snap(nodes.astype(np.int64), np.asarray(leg, dtype="float64"), encode(leg, graph.connector_kmh, min_ms=0.0))


# ---------------------------------------------------------------- the cost structure


@dataclass(frozen=True)
class TravelCosts:
    """Origin × team travel time (min) and distance (m) per mode, float32, inf where beyond ``limit_min``.

    Columns follow ``team_ids``; with a network the graphs and snaps are kept so that teams can be added
    or moved later (what-if) by searching only from the changed teams. ``graphs``, ``origin_snap`` and
    ``team_snap`` hold the modes routed on the network; ``mode_method`` says per mode which method made
    its figures. The matrices are the raw routes; ``origin_intrazonal_m`` (straight-line metres per
    origin) is the floor that :func:`floor` turns into a minimum cost per origin and mode — applied where
    a figure is read (:func:`nearest_team`, :func:`floored_times`), so that which team is nearest is still
    decided by the routes themselves.
    """

    mode_method: Mapping[str, str]
    origin_xy: np.ndarray
    team_ids: np.ndarray
    team_xy: np.ndarray
    time_min: Mapping[str, np.ndarray]
    dist_m: Mapping[str, np.ndarray]
    speeds: Speeds
    detour: DetourFactors
    limit_min: float | None = None
    graphs: Mapping[str, ModeGraph] | None = None
    origin_snap: Mapping[str, Snap] | None = None
    team_snap: Mapping[str, Snap] | None = None
    origin_intrazonal_m: np.ndarray | None = None

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(self.time_min)

    @property
    def method(self) -> str:
        """``network`` or ``straight_line`` when every mode has it, else ``mixed``."""
        methods = set(self.mode_method.values())
        return methods.pop() if len(methods) == 1 else METHOD_MIXED

    def method_of(self, mode: str) -> str:
        return self.mode_method[mode]

    def routed(self, mode: str) -> bool:
        """Whether ``mode`` is computed on the network (graph and snaps at hand)."""
        return (
            self.graphs is not None
            and mode in self.graphs
            and self.origin_snap is not None
            and mode in self.origin_snap
            and self.team_snap is not None
            and mode in self.team_snap
        )

    @property
    def n_origins(self) -> int:
        return len(self.origin_xy)

    @property
    def n_teams(self) -> int:
        return len(self.team_ids)


def floor(costs: TravelCosts, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Per origin the least time (min) and distance (m) any travel from it may cost: its intrazonal distance.

    The intrazonal distance (straight line, `etl.intrazonal`) × the mode's detour factor, at the mode's base
    speed — on the network too, as the route within a buurt is no straighter than elsewhere. Float32 like
    the matrices, computed the way each method computes its own figures.
    """
    n = costs.n_origins
    if costs.origin_intrazonal_m is None:
        return np.zeros(n, dtype="float32"), np.zeros(n, dtype="float32")
    dist = np.asarray(costs.origin_intrazonal_m, dtype="float64") * costs.detour.of(mode)
    kmh = costs.speeds.base_kmh(mode)
    if costs.routed(mode):
        return decode(encode(dist, kmh, min_ms=0.0))
    return (dist / (kmh * 1000.0 / 60.0)).astype("float32"), dist.astype("float32")


def floored_times(costs: TravelCosts, mode: str) -> np.ndarray:
    """The origin × team minutes with each origin's intrazonal floor applied (for E2SFCA)."""
    t_floor, _ = floor(costs, mode)
    return np.asarray(np.maximum(costs.time_min[mode], t_floor[:, None]), dtype="float32")


def empty_costs(
    *,
    origin_xy: np.ndarray,
    speeds: Speeds,
    detour: DetourFactors,
    graphs: Mapping[str, ModeGraph] | None = None,
    limit_min: float | None = None,
    modes: Sequence[str] = MODES,
    origin_intrazonal_m: np.ndarray | None = None,
) -> TravelCosts:
    """The cost structure with origins (and snaps) but no teams yet; modes without a graph go straight line."""
    xy = np.asarray(origin_xy, dtype="float64").reshape(-1, 2)
    n = len(xy)
    empty = {m: np.zeros((n, 0), dtype="float32") for m in modes}
    routed = [m for m in modes if graphs is not None and m in graphs]
    intrazonal = None if origin_intrazonal_m is None else np.asarray(origin_intrazonal_m, dtype="float64").reshape(-1)
    if intrazonal is not None and len(intrazonal) != n:
        raise ValueError("origin_intrazonal_m and origin_xy differ in length")
    return TravelCosts(
        mode_method={m: METHOD_NETWORK if m in routed else METHOD_STRAIGHT for m in modes},
        origin_xy=xy,
        team_ids=np.zeros(0, dtype=object),
        team_xy=np.zeros((0, 2)),
        time_min=empty,
        dist_m=dict(empty),
        speeds=speeds,
        detour=detour,
        limit_min=limit_min,
        graphs={m: graphs[m] for m in routed} if graphs is not None else None,
        origin_snap={m: snap_points(graphs[m], xy) for m in routed} if graphs is not None else None,
        team_snap={m: snap_points(graphs[m], np.zeros((0, 2))) for m in routed} if graphs is not None else None,
        origin_intrazonal_m=intrazonal,
    )


def origin_team_costs(
    *,
    origin_xy: np.ndarray,
    team_ids: Sequence[str],
    team_xy: np.ndarray,
    speeds: Speeds,
    detour: DetourFactors,
    graphs: Mapping[str, ModeGraph] | None = None,
    limit_min: float | None = None,
    modes: Sequence[str] = MODES,
    origin_intrazonal_m: np.ndarray | None = None,
) -> TravelCosts:
    """The full origin × team cost structure (network for the modes in ``graphs``, else straight line)."""
    base = empty_costs(
        origin_xy=origin_xy,
        speeds=speeds,
        detour=detour,
        graphs=graphs,
        limit_min=limit_min,
        modes=modes,
        origin_intrazonal_m=origin_intrazonal_m,
    )
    return with_teams(base, team_ids=team_ids, team_xy=team_xy)


def reused_columns(costs: TravelCosts, *, team_ids: Sequence[str], team_xy: np.ndarray) -> np.ndarray:
    """Per team of a new list, its column in ``costs`` when unchanged (same id, same location), else -1."""
    old = {str(tid): j for j, tid in enumerate(costs.team_ids)}
    xy = np.asarray(team_xy, dtype="float64").reshape(-1, 2)
    reuse = np.full(len(xy), -1, dtype=np.int64)
    for k, tid in enumerate(team_ids):
        j = old.get(str(tid), -1)
        if j >= 0 and np.array_equal(costs.team_xy[j], xy[k]):
            reuse[k] = j
    return reuse


def with_teams(
    costs: TravelCosts,
    *,
    team_ids: Sequence[str],
    team_xy: np.ndarray,
    search_limit_min: Mapping[str, float | None] | None = None,
) -> TravelCosts:
    """The cost structure for a new team list: columns of unchanged teams are reused, new or moved teams searched.

    A team is unchanged when its id and location are the same; the column order follows ``team_ids``.
    ``search_limit_min`` (per mode) bounds the searches for the new columns further — for a caller that
    knows no time beyond it can change its results (see `etl.whatif`); entries beyond it are inf.
    """
    ids = np.asarray(list(team_ids), dtype=object)
    xy = np.asarray(team_xy, dtype="float64").reshape(-1, 2)
    if len(ids) != len(xy):
        raise ValueError("team_ids and team_xy differ in length")
    reuse = reused_columns(costs, team_ids=list(ids), team_xy=xy)
    kept = reuse >= 0
    fresh = np.flatnonzero(~kept)

    def limit_for(mode: str) -> float | None:
        own = None if search_limit_min is None else search_limit_min.get(mode)
        bounds = [b for b in (costs.limit_min, own) if b is not None and math.isfinite(b)]
        return min(bounds) if bounds else None

    def one_mode(mode: str) -> tuple[np.ndarray, np.ndarray, Snap | None]:
        t = np.full((costs.n_origins, len(ids)), np.inf, dtype="float32")
        d = np.full((costs.n_origins, len(ids)), np.inf, dtype="float32")
        t[:, kept] = costs.time_min[mode][:, reuse[kept]]
        d[:, kept] = costs.dist_m[mode][:, reuse[kept]]
        if not costs.routed(mode) or costs.graphs is None or costs.origin_snap is None or costs.team_snap is None:
            if len(fresh):
                t[:, fresh], d[:, fresh] = straight_line_columns(
                    costs.origin_xy, xy[fresh], kmh=costs.speeds.base_kmh(mode), detour=costs.detour.of(mode)
                )
            return t, d, None
        graph = costs.graphs[mode]
        new_snap = snap_points(graph, xy[fresh])
        old_snap = costs.team_snap[mode]
        nodes = np.zeros(len(ids), dtype=np.int64)
        leg_m = np.zeros(len(ids))
        leg_enc = np.zeros(len(ids))
        nodes[kept], leg_m[kept], leg_enc[kept] = (
            old_snap.nodes[reuse[kept]],
            old_snap.leg_m[reuse[kept]],
            old_snap.leg_enc[reuse[kept]],
        )
        nodes[fresh], leg_m[fresh], leg_enc[fresh] = new_snap.nodes, new_snap.leg_m, new_snap.leg_enc
        if len(fresh):
            t[:, fresh], d[:, fresh] = network_columns(
                graph, origin=costs.origin_snap[mode], team=new_snap, limit_min=limit_for(mode)
            )
        return t, d, Snap(nodes, leg_m, leg_enc)

    modes = list(costs.modes)
    # serial on purpose: scipy's Dijkstra holds the GIL, threads only add contention (measured)
    done = [one_mode(m) for m in modes]
    time_min = {m: r[0] for m, r in zip(modes, done, strict=True)}
    dist_m = {m: r[1] for m, r in zip(modes, done, strict=True)}
    team_snap = (
        {m: r[2] for m, r in zip(modes, done, strict=True) if r[2] is not None} if costs.team_snap is not None else None
    )
    return replace(costs, team_ids=ids, team_xy=xy, time_min=time_min, dist_m=dist_m, team_snap=team_snap)


def straight_line_columns(
    origin_xy: np.ndarray, team_xy: np.ndarray, *, kmh: float, detour: float
) -> tuple[np.ndarray, np.ndarray]:
    """Straight-line distance × detour factor (m) and that distance at ``kmh`` (min), origins × teams."""
    o = np.asarray(origin_xy, dtype="float64")
    t = np.asarray(team_xy, dtype="float64")
    dist = np.hypot(o[:, None, 0] - t[None, :, 0], o[:, None, 1] - t[None, :, 1]) * detour
    minutes = dist / (kmh * 1000.0 / 60.0)
    return minutes.astype("float32"), dist.astype("float32")


def network_columns(
    graph: ModeGraph, *, origin: Snap, team: Snap, limit_min: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Fastest-route time (min) and its length (m) from every origin to each team: one reverse search per team node.

    With ``limit_min`` each search stops at that time; pairs beyond it are inf. Such a route cannot leave
    the disc of radius limit × ``graph.reach_m_per_ms`` around its team, so teams are grouped in tiles and
    each tile searches only the part of the graph within that radius of its teams — the same routes, on a
    graph a fraction of the size (scipy initialises a full-length row per search).
    """
    n_o, n_t = len(origin.nodes), len(team.nodes)
    t_out = np.full((n_o, n_t), np.inf, dtype="float32")
    d_out = np.full((n_o, n_t), np.inf, dtype="float32")
    if n_t == 0 or n_o == 0:
        return t_out, d_out
    limit_ms = None if limit_min is None else math.floor(limit_min * _MS_PER_MIN)
    limit_enc = np.inf if limit_ms is None else (limit_ms + 1) * BASE
    # one search per distinct team node; teams sharing a node share it
    sources, column_of = np.unique(team.nodes, return_inverse=True)
    cols_of_source = np.split(
        np.argsort(column_of, kind="stable"), np.cumsum(np.bincount(column_of, minlength=len(sources)))[:-1]
    )
    for nodes, region in _regions(graph, sources, limit_ms):
        if region is None:
            sub, at_node, origin_pos = graph.reverse, sources[nodes], origin.nodes
        else:
            pos = np.full(graph.n_nodes, -1, dtype=np.int64)
            pos[region] = np.arange(len(region))
            sub, at_node, origin_pos = graph.reverse[region][:, region], pos[sources[nodes]], pos[origin.nodes]
        # only origins whose node lies in the region can be reached; the rest stay inf
        rows = np.flatnonzero(origin_pos >= 0)
        batch = max(1, _BATCH_CELLS // max(sub.shape[0], 1))
        for start in range(0, len(nodes), batch):
            chunk = nodes[start : start + batch]
            dist = dijkstra(sub, directed=True, indices=at_node[start : start + batch], limit=limit_enc)
            at_origins = dist[:, origin_pos[rows]]  # (chunk, rows): the network part
            cols = np.concatenate([cols_of_source[k] for k in chunk])
            which = np.repeat(np.arange(len(chunk)), [len(cols_of_source[k]) for k in chunk])
            enc = at_origins[which].T + origin.leg_enc[rows, None] + team.leg_enc[None, cols]
            if limit_ms is not None:
                enc = np.where(enc < limit_enc, enc, np.inf)
            t_out[np.ix_(rows, cols)], d_out[np.ix_(rows, cols)] = decode(enc)
    return t_out, d_out


def _regions(graph: ModeGraph, sources: np.ndarray, limit_ms: int | None) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Groups of source positions with the graph nodes their bounded searches can reach (None: all nodes)."""
    everything: list[tuple[np.ndarray, np.ndarray | None]] = [(np.arange(len(sources)), None)]
    radius = None if limit_ms is None else limit_ms * graph.reach_m_per_ms + 1.0
    if radius is None or not math.isfinite(radius):
        return everything
    xy = graph.node_xy[sources]
    tiles = np.floor((xy - xy.min(axis=0)) / max(2.0 * radius, 1.0)).astype(np.int64)
    _, tile_of = np.unique(tiles, axis=0, return_inverse=True)
    out: list[tuple[np.ndarray, np.ndarray | None]] = []
    for t in range(int(tile_of.max()) + 1):
        members = np.flatnonzero(tile_of.ravel() == t)
        lo = xy[members].min(axis=0) - radius
        hi = xy[members].max(axis=0) + radius
        inside = np.all((graph.node_xy >= lo) & (graph.node_xy <= hi), axis=1)
        if inside.sum() > 0.5 * graph.n_nodes:
            return everything  # regions this large save nothing
        out.append((members, np.flatnonzero(inside)))
    return out


# ---------------------------------------------------------------- nearest of a set


@dataclass(frozen=True)
class Nearest:
    """Per origin: time (min) and distance (m) to the nearest team of a set, and that team's column (-1: none)."""

    time_min: np.ndarray
    dist_m: np.ndarray
    team: np.ndarray


def nearest_team(costs: TravelCosts, *, mode: str, team_mask: np.ndarray, rows: np.ndarray | None = None) -> Nearest:
    """The fastest team among ``team_mask`` for each origin (or for ``rows``); ties go to the shorter route, then the first team.

    Read from the matrix; an origin with no team of the set inside a bounded matrix is answered by one
    multi-source network search, so the answer is exact either way. The team is chosen on the routes; its
    time and distance are then raised to the origin's intrazonal floor (:func:`floor`) where they fall below.
    """
    mask = np.asarray(team_mask, dtype=bool)
    rows_idx = np.arange(costs.n_origins) if rows is None else np.asarray(rows, dtype=np.int64)
    n = len(rows_idx)
    out_t = np.full(n, np.inf, dtype="float32")
    out_d = np.full(n, np.inf, dtype="float32")
    out_j = np.full(n, -1, dtype=np.int64)
    cols = np.flatnonzero(mask)
    if n == 0 or len(cols) == 0:
        return Nearest(out_t, out_d, out_j)
    t = costs.time_min[mode][np.ix_(rows_idx, cols)]
    d = costs.dist_m[mode][np.ix_(rows_idx, cols)]
    best_t = t.min(axis=1)
    tied_d = np.where(t == best_t[:, None], d, np.inf)
    pick = np.argmin(tied_d, axis=1)
    found = np.isfinite(best_t)
    out_t[found] = best_t[found]
    out_d[found] = tied_d[np.arange(n), pick][found]
    out_j[found] = cols[pick[found]]
    missing = np.flatnonzero(~found)
    if (
        len(missing)
        and costs.routed(mode)
        and costs.graphs is not None
        and costs.origin_snap is not None
        and costs.team_snap is not None
    ):
        o_snap = costs.origin_snap[mode]
        t_snap = costs.team_snap[mode]
        sub = rows_idx[missing]
        enc, which = nearest_on_network(
            costs.graphs[mode],
            origin=Snap(o_snap.nodes[sub], o_snap.leg_m[sub], o_snap.leg_enc[sub]),
            team=Snap(t_snap.nodes[cols], t_snap.leg_m[cols], t_snap.leg_enc[cols]),
        )
        mt, md = decode(enc)
        out_t[missing], out_d[missing] = mt, md
        out_j[missing] = np.where(which >= 0, cols[np.maximum(which, 0)], -1)
    f_t, f_d = (a[rows_idx] for a in floor(costs, mode))
    # the floor as one more candidate: (time, then distance) as everywhere
    below = np.isfinite(out_t) & ((out_t < f_t) | ((out_t == f_t) & (out_d < f_d)))
    out_t[below], out_d[below] = f_t[below], f_d[below]
    return Nearest(out_t, out_d, out_j)


def nearest_on_network(graph: ModeGraph, *, origin: Snap, team: Snap) -> tuple[np.ndarray, np.ndarray]:
    """Encoded cost to the nearest team and that team's position, for every origin, in one Dijkstra.

    Each team becomes a virtual node joined to its snapped node by an arc weighing its snap leg; a
    multi-source search from all virtual nodes with ``min_only=True`` then says, per node, how far the
    nearest team is and (``sources``) which one it is.
    """
    return nearest_sets_on_network(graph, origin=origin, team=team, sets={"all": np.ones(len(team.nodes), dtype=bool)})[
        "all"
    ]


def nearest_sets_on_network(
    graph: ModeGraph, *, origin: Snap, team: Snap, sets: Mapping[str, np.ndarray]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """:func:`nearest_on_network` for several team sets (boolean masks over ``team``) on one augmented graph.

    Virtual nodes only have arcs out, so those of teams outside a set are simply never reached.
    """
    n, k = graph.n_nodes, len(team.nodes)
    none = (np.full(len(origin.nodes), np.inf), np.full(len(origin.nodes), -1, dtype=np.int64))
    if k == 0:
        return dict.fromkeys(sets, none)
    rev = graph.reverse.tocoo()
    virtual = np.arange(n, n + k)
    rows = np.r_[rev.row, virtual]
    cols = np.r_[rev.col, team.nodes]
    # explicit zeros stay arcs in scipy's sparse graphs, so a team standing on its node costs nothing extra
    augmented = csr_matrix((np.r_[rev.data, team.leg_enc], (rows, cols)), shape=(n + k, n + k))
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, mask in sets.items():
        members = np.flatnonzero(np.asarray(mask, dtype=bool))
        if len(members) == 0:
            out[name] = none
            continue
        dist, _, sources = dijkstra(
            augmented, directed=True, indices=virtual[members], min_only=True, return_predecessors=True
        )
        src = sources[origin.nodes]
        which = np.where(src >= n, src - n, -1)
        out[name] = (dist[origin.nodes] + origin.leg_enc, which.astype(np.int64))
    return out


# ---------------------------------------------------------------- origins


def representative_origins(gdf_buurten: gpd.GeoDataFrame) -> pd.DataFrame:
    """One origin per buurt at its representative point (always inside the buurt), weighted by its youth.

    ``intrazonal_m``: the buurt's intrazonal distance (`etl.intrazonal`), the floor of every trip from it.
    """
    points = gdf_buurten.geometry.representative_point()
    youth = pd.to_numeric(
        gdf_buurten.get("youth_population", pd.Series(np.nan, index=gdf_buurten.index)), errors="coerce"
    )
    return pd.DataFrame(
        {
            "buurtcode": gdf_buurten["buurtcode"].astype(str).to_numpy(),
            "x": points.x.to_numpy(),
            "y": points.y.to_numpy(),
            "weight": youth.fillna(0.0).clip(lower=0.0).to_numpy(dtype="float64"),
            "intrazonal_m": buurt_intrazonal_m(gdf_buurten),
        }
    )


def read_origins(
    path: str | os.PathLike[str], *, layer: str | None = None, weight: str | None = None
) -> gpd.GeoDataFrame:
    """Read weighted origin points (address points; CBS 100 m grid squares: polygons become their centroids).

    The weight is ``weight`` when given, else a column named like a youth count, else — for CBS's
    vierkantstatistieken — youth from CBS's own columns (`etl.cbs_grid`, its secret −99997 counted as a
    small positive number). ``intrazonal_m`` is the mean distance within a polygon (its people are spread
    over it), 0 for a point. Notes for the manifest are in ``.attrs["notes"]``.
    """
    p = Path(path)
    gdf = ensure_rd(read_vector(p, layer=layer), source=str(p))
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    grid = is_cbs_grid(columns)
    column = weight or _guess_weight_column(gdf, p, cbs_grid=grid)
    notes: list[str] = []
    if weight is None and grid and column not in gdf.columns:
        made = grid_weight(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
        assert made is not None  # _guess_weight_column returns a non-column only for a CBS grid with weights
        values = pd.Series(made[0], index=gdf.index)
        column = made[1]
        notes += secret_note(gdf, column, file=p.name)
    else:
        if column not in gdf.columns:
            raise InputError.single(
                "ORIGINS_WEIGHT_MISSING",
                f"Kolom '{column}' (gewicht) staat niet in '{p.name}'. Kolommen: {', '.join(map(str, gdf.columns))}.",
                f"Column '{column}' (weight) is not in '{p.name}'. Columns: {', '.join(map(str, gdf.columns))}.",
                file=p,
                column=column,
            )
        values = pd.to_numeric(gdf[column], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() & gdf[column].notna().to_numpy())
        if len(bad):
            row = int(bad[0])
            raise InputError.single(
                "ORIGINS_WEIGHT_INVALID",
                f"Gewicht '{gdf[column].iloc[row]}' is geen getal ({len(bad)} rij(en)).",
                f"Weight '{gdf[column].iloc[row]}' is not a number ({len(bad)} row(s)).",
                file=p,
                row=row + 2,
                column=column,
            )
        if grid:
            values = pd.Series(cbs_count(gdf[column]), index=gdf.index)
            notes += secret_note(gdf, column, file=p.name)
    geom = gdf.geometry
    is_point = (geom.geom_type == "Point").to_numpy()
    centroid = geom.centroid
    inside = centroid.within(geom).to_numpy()
    points = geom.where(is_point, centroid.where(inside, geom.representative_point()))
    intrazonal = np.where(is_point, 0.0, disc_mean_distance_m(geom.area.to_numpy(dtype="float64")))
    out = gpd.GeoDataFrame(
        {"weight": values.to_numpy(dtype="float64"), "weight_column": column, "intrazonal_m": intrazonal},
        geometry=points.to_numpy(),
        crs=gdf.crs,
    )
    if "buurtcode" in gdf.columns:
        out["buurtcode"] = gdf["buurtcode"].astype("string").to_numpy()
    out.attrs["notes"] = notes
    return out


def _guess_weight_column(gdf: gpd.GeoDataFrame, path: Path, *, cbs_grid: bool = False) -> str:
    for name in ("youth", "youth_population", "jeugd", "aantal_jeugd", "weight", "gewicht", "aantal", "count"):
        if name in gdf.columns:
            return name
    if cbs_grid:
        made = grid_weight(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
        if made is not None:
            return made[1]
    numeric = [str(c) for c in gdf.columns if c != gdf.geometry.name and pd.api.types.is_numeric_dtype(gdf[c])]
    raise InputError.single(
        "ORIGINS_WEIGHT_UNKNOWN",
        f"Welke kolom van '{path.name}' is het aantal jeugdigen? Geef --origins-weight (getalkolommen: {', '.join(numeric) or 'geen'}).",
        f"Which column of '{path.name}' holds the youth count? Pass --origins-weight (numeric columns: {', '.join(numeric) or 'none'}).",
        file=path,
    )


def weighted_origins(gdf_points: gpd.GeoDataFrame, gdf_buurten: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Origin points per buurt, their weights scaled so that each buurt's sum is its youth_population.

    The points only say how youth is spread inside a buurt; totals stay those of the atlas. CBS's secret
    value −99997 counts as ``etl.cbs_grid.SECRET_WEIGHT`` (a small count, not none); other negative or
    missing weights count as 0. A buurt without points keeps its representative point; points outside every
    buurt are dropped. ``intrazonal_m`` comes with the points (0 when they do not say), the buurt's own for
    a representative point. Returns the origins and notes for the manifest.
    """
    notes: list[str] = []
    pts = gdf_points.to_crs(gdf_buurten.crs) if gdf_points.crs != gdf_buurten.crs else gdf_points
    if "buurtcode" not in pts.columns or pts["buurtcode"].isna().all():
        joined = gpd.sjoin(
            pts[["weight", "geometry"]], gdf_buurten[["buurtcode", "geometry"]], how="left", predicate="within"
        )
        joined = joined[~joined.index.duplicated(keep="first")]
        codes = joined["buurtcode"]
    else:
        codes = pts["buurtcode"].where(pts["buurtcode"].isin(set(gdf_buurten["buurtcode"])))
    inside = codes.notna().to_numpy()
    if (~inside).any():
        notes.append(
            f"{int((~inside).sum())} herkomstpunt(en) buiten de buurten genegeerd / origin point(s) outside the buurten dropped"
        )
    raw = pts["weight"].to_numpy(dtype="float64")[inside]
    raw = np.where(raw == SECRET, SECRET_WEIGHT, raw)
    intrazonal = (
        pts["intrazonal_m"].to_numpy(dtype="float64")[inside]
        if "intrazonal_m" in pts.columns
        else np.zeros(int(inside.sum()))
    )
    df = pd.DataFrame(
        {
            "buurtcode": codes[inside].astype(str).to_numpy(),
            "x": pts.geometry.x.to_numpy()[inside],
            "y": pts.geometry.y.to_numpy()[inside],
            "raw": np.clip(np.nan_to_num(raw), 0.0, None),
            "intrazonal_m": np.nan_to_num(intrazonal),
        }
    )
    rep = representative_origins(gdf_buurten)
    missing = rep[~rep["buurtcode"].isin(set(df["buurtcode"]))]
    if len(missing):
        notes.append(
            f"{len(missing)} buurt(en) zonder herkomstpunten: representatief punt gebruikt / buurten without origin points use their representative point"
        )
    youth = rep.set_index("buurtcode")["weight"]
    sums = df.groupby("buurtcode")["raw"].transform("sum")
    counts = df.groupby("buurtcode")["raw"].transform("size")
    share = np.where(sums > 0, df["raw"] / sums.where(sums > 0, 1.0), 1.0 / counts)
    df["weight"] = share * df["buurtcode"].map(youth).to_numpy(dtype="float64")
    out = pd.concat([df.drop(columns="raw"), missing], ignore_index=True)
    order = {code: i for i, code in enumerate(gdf_buurten["buurtcode"].astype(str))}
    out = out.assign(_o=out["buurtcode"].map(order)).sort_values(["_o"], kind="stable").drop(columns="_o")
    return out[["buurtcode", "x", "y", "weight", "intrazonal_m"]].reset_index(drop=True), notes


# ---------------------------------------------------------------- the cache on disk


CACHE_FILE = "travel_cache.npz"
# 2: per-mode method (a mode may fall back to the straight line) and the intrazonal floor per origin.
CACHE_VERSION = 2


def costs_to_npz(costs: TravelCosts, *, origins: pd.DataFrame, meta: Mapping[str, Any]) -> bytes:
    """Serialise the cost structure (and the origins it belongs to) as a compressed .npz, no pickles."""
    arrays: dict[str, np.ndarray] = {
        "origin_xy": costs.origin_xy,
        "origin_buurtcode": origins["buurtcode"].astype(str).to_numpy(dtype="U"),
        "origin_weight": origins["weight"].to_numpy(dtype="float64"),
        "team_ids": costs.team_ids.astype(str).astype("U") if len(costs.team_ids) else np.zeros(0, dtype="U1"),
        "team_xy": costs.team_xy,
    }
    for mode in costs.modes:
        arrays[f"time_{mode}"] = costs.time_min[mode]
        arrays[f"dist_{mode}"] = costs.dist_m[mode]
    if costs.origin_intrazonal_m is not None:
        arrays["origin_intrazonal_m"] = np.asarray(costs.origin_intrazonal_m, dtype="float64")
    routed = [m for m in costs.modes if costs.routed(m)]
    if routed and costs.graphs is not None and costs.origin_snap is not None and costs.team_snap is not None:
        for mode in routed:
            graph = costs.graphs[mode]
            arrays[f"g_{mode}_indptr"] = graph.reverse.indptr
            arrays[f"g_{mode}_indices"] = graph.reverse.indices
            arrays[f"g_{mode}_data"] = graph.reverse.data
            arrays[f"g_{mode}_snap_nodes"] = graph.snap_nodes
            for who, snap in (("o", costs.origin_snap[mode]), ("t", costs.team_snap[mode])):
                arrays[f"s_{mode}_{who}_nodes"] = snap.nodes
                arrays[f"s_{mode}_{who}_leg_m"] = snap.leg_m
                arrays[f"s_{mode}_{who}_leg_enc"] = snap.leg_enc
        arrays["node_xy"] = costs.graphs[routed[0]].node_xy
    header = {
        "version": CACHE_VERSION,
        "method": costs.method,
        "mode_method": dict(costs.mode_method),
        "modes": list(costs.modes),
        "limit_min": costs.limit_min,
        "speeds": costs.speeds.to_dict(),
        "detour": costs.detour.to_dict(),
        "connector_kmh": {m: costs.graphs[m].connector_kmh for m in routed} if costs.graphs is not None else {},
        **dict(meta),
    }
    arrays["header"] = np.array(json.dumps(header, default=str))
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def costs_from_npz(data: bytes | os.PathLike[str] | str) -> tuple[TravelCosts, pd.DataFrame, dict[str, Any]]:
    """Read what :func:`costs_to_npz` wrote: (costs, origins, header)."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    with np.load(source, allow_pickle=False) as npz:
        header: dict[str, Any] = json.loads(str(npz["header"]))
        if header.get("version") != CACHE_VERSION:
            raise InputError.single(
                "CACHE_VERSION",
                "De reistijdcache hoort bij een andere versie; bouw de atlas opnieuw.",
                "The travel cache belongs to another version; rebuild the atlas.",
                file=CACHE_FILE,
            )
        modes = header["modes"]
        speeds_d = dict(header["speeds"])
        speeds = Speeds(**speeds_d)
        detour = DetourFactors(**header["detour"])
        graphs: dict[str, ModeGraph] | None = None
        origin_snap: dict[str, Snap] | None = None
        team_snap: dict[str, Snap] | None = None
        mode_method: dict[str, str] = dict(header["mode_method"])
        routed = [m for m in modes if mode_method[m] == METHOD_NETWORK]
        if routed:
            node_xy = npz["node_xy"]
            n = len(node_xy)
            graphs, origin_snap, team_snap = {}, {}, {}
            for mode in routed:
                reverse = csr_matrix(
                    (npz[f"g_{mode}_data"], npz[f"g_{mode}_indices"], npz[f"g_{mode}_indptr"]), shape=(n, n)
                )
                snap_nodes = npz[f"g_{mode}_snap_nodes"]
                graphs[mode] = ModeGraph(
                    mode=mode,
                    reverse=reverse,
                    node_xy=node_xy,
                    snap_nodes=snap_nodes,
                    connector_kmh=float(header["connector_kmh"][mode]),
                    tree=cKDTree(node_xy[snap_nodes]),
                )
                origin_snap[mode] = Snap(*(npz[f"s_{mode}_o_{k}"] for k in ("nodes", "leg_m", "leg_enc")))
                team_snap[mode] = Snap(*(npz[f"s_{mode}_t_{k}"] for k in ("nodes", "leg_m", "leg_enc")))
        intrazonal = npz["origin_intrazonal_m"] if "origin_intrazonal_m" in npz.files else None
        costs = TravelCosts(
            mode_method=mode_method,
            origin_xy=npz["origin_xy"],
            team_ids=npz["team_ids"].astype(object),
            team_xy=npz["team_xy"],
            time_min={m: npz[f"time_{m}"] for m in modes},
            dist_m={m: npz[f"dist_{m}"] for m in modes},
            speeds=speeds,
            detour=detour,
            limit_min=header["limit_min"],
            graphs=graphs,
            origin_snap=origin_snap,
            team_snap=team_snap,
            origin_intrazonal_m=intrazonal,
        )
        origins = pd.DataFrame(
            {
                "buurtcode": npz["origin_buurtcode"].astype(object),
                "x": npz["origin_xy"][:, 0],
                "y": npz["origin_xy"][:, 1],
                "weight": npz["origin_weight"],
            }
        )
        if intrazonal is not None:
            origins["intrazonal_m"] = intrazonal
    return costs, origins, header
