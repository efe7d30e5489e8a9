"""Spatial weights over buurten (queen, k-nearest or distance band), with excluded buurten and islands reported."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.errors import InputError

if TYPE_CHECKING:
    # late import: libpysal, ~15 s of -X importtime under load on the shared 2-core machine, only for a build that computes hotspots
    from libpysal.weights import W

WeightsKind = Literal["queen", "knn", "distance"]
IslandPolicy = Literal["attach", "exclude"]
WEIGHTS_KINDS: tuple[str, ...] = get_args(WeightsKind)
ISLAND_POLICIES: tuple[str, ...] = get_args(IslandPolicy)
DEFAULT_K = 6

# Why a buurt takes no part in a spatial analysis; stable codes, the messages are for people.
REASONS: dict[str, tuple[str, str]] = {
    "water": ("waterbuurt", "water-only buurt"),
    "no_youth": ("geen jeugdigen (0–17)", "no youth (0–17)"),
    "youth_unknown": ("aantal jeugdigen onbekend", "youth population unknown"),
    "no_geometry": ("geen geometrie", "no geometry"),
    "no_count": ("geen caseload-aantal voor deze periode en soort", "no caseload count for this period and type"),
    "count_without_youth": ("caseload zonder jeugdigen", "caseload but no youth population"),
    "island": ("geen buren (eiland)", "no neighbours (island)"),
    "too_few": ("te weinig buurten voor een ruimtelijke toets", "too few buurten for a spatial test"),
}


@dataclass(frozen=True)
class WeightsSpec:
    """Which neighbours a buurt has: queen contiguity (default), k nearest centroids, or a distance band.

    For a distance band without ``distance_m`` the band is the smallest one that gives every buurt a
    neighbour (the largest nearest-neighbour distance between centroids). Islands (buurten without
    neighbours, possible with queen or a given band) are attached to their nearest buurt, or excluded.
    """

    kind: WeightsKind = "queen"
    k: int = DEFAULT_K
    distance_m: float | None = None
    islands: IslandPolicy = "attach"

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in WEIGHTS_KINDS:
            problems.append(f"kind={self.kind!r}")
        if self.kind == "knn" and (not isinstance(self.k, int) or self.k < 1):
            problems.append(f"k={self.k!r}")
        if self.distance_m is not None and not (math.isfinite(self.distance_m) and self.distance_m > 0):
            problems.append(f"distance_m={self.distance_m!r}")
        if self.islands not in ISLAND_POLICIES:
            problems.append(f"islands={self.islands!r}")
        if problems:
            raise _spec_error(", ".join(problems))

    @classmethod
    def parse(cls, text: str, *, islands: IslandPolicy = "attach") -> WeightsSpec:
        """Read 'queen', 'knn', 'knn:8', 'distance' or 'distance:1500' (metres), as given on the command line."""
        kind, _, arg = text.strip().lower().partition(":")
        try:
            if kind == "queen" and not arg:
                return cls("queen", islands=islands)
            if kind == "knn":
                return cls("knn", k=int(arg) if arg else DEFAULT_K, islands=islands)
            if kind == "distance":
                return cls("distance", distance_m=float(arg) if arg else None, islands=islands)
        except ValueError:
            pass
        raise _spec_error(text)

    def label(self) -> str:
        if self.kind == "knn":
            return f"knn:{self.k}"
        if self.kind == "distance":
            return "distance" if self.distance_m is None else f"distance:{self.distance_m:g}"
        return "queen"


def _spec_error(text: str) -> InputError:
    return InputError.single(
        "WEIGHTS_SPEC",
        f"Onbekende ruimtelijke gewichten '{text}'. Gebruik 'queen', 'knn:K' (K ≥ 1) of 'distance:METERS' (> 0).",
        f"Unknown spatial weights '{text}'. Use 'queen', 'knn:K' (K ≥ 1) or 'distance:METRES' (> 0).",
        column="--weights",
    )


@dataclass(frozen=True)
class BuurtWeights:
    """Binary spatial weights over the analysed buurten, in the order of ``ids``, and what was done to get there.

    ``w`` is never handed out: esda changes the transform of a W in place, so every caller gets ``fresh()``.
    """

    ids: tuple[str, ...]
    neighbours: Mapping[str, tuple[str, ...]]
    spec: WeightsSpec
    distance_m: float | None = None
    excluded: Mapping[str, str] = field(default_factory=dict)
    islands: tuple[str, ...] = ()
    attached: Mapping[str, str] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.ids)

    def fresh(self) -> W:
        """A new binary libpysal W (id order = ``ids``) that the caller may transform at will."""
        # late import: libpysal, ~15 s of -X importtime under load on the shared 2-core machine, only for a build that computes hotspots
        from libpysal.weights import W

        neighbours = {i: list(self.neighbours[i]) for i in self.ids}
        weights = {i: [1.0] * len(neighbours[i]) for i in self.ids}
        with warnings.catch_warnings():
            # libpysal warns about islands and components; both are reported in report() instead.
            warnings.simplefilter("ignore", UserWarning)
            return W(neighbours, weights, id_order=list(self.ids), silence_warnings=True)

    def cardinalities(self) -> np.ndarray:
        return np.array([len(self.neighbours[i]) for i in self.ids], dtype=np.int64)

    def report(self) -> dict[str, Any]:
        """What the manifest records about these weights."""
        card = self.cardinalities()
        out: dict[str, Any] = {
            "kind": self.spec.kind,
            "spec": self.spec.label(),
            "transform": "binary",
            "n": self.n,
            "islands_policy": self.spec.islands,
            "islands": list(self.islands),
            "islands_attached_to": dict(self.attached),
            "excluded": dict(self.excluded),
            "neighbours_min": int(card.min()) if self.n else 0,
            "neighbours_mean": round(float(card.mean()), 3) if self.n else 0.0,
            "neighbours_max": int(card.max()) if self.n else 0,
            "components": self.components(),
        }
        if self.spec.kind == "knn":
            out["k"] = self.spec.k
        if self.spec.kind == "distance":
            out["distance_m"] = self.distance_m
            out["distance_from"] = "given" if self.spec.distance_m is not None else "min_threshold_distance"
        return out

    def components(self) -> int:
        """Connected components of the (symmetrised) neighbour graph."""
        if not self.n:
            return 0
        # late import: scipy.sparse, ~2 s of -X importtime under load on the shared 2-core machine, only for the component count
        from scipy.sparse import coo_array
        from scipy.sparse.csgraph import connected_components

        index = {code: i for i, code in enumerate(self.ids)}
        rows = [index[a] for a in self.ids for _ in self.neighbours[a]]
        cols = [index[b] for a in self.ids for b in self.neighbours[a]]
        graph = coo_array((np.ones(len(rows)), (rows, cols)), shape=(self.n, self.n))
        count, _ = connected_components(graph, directed=True, connection="weak")
        return int(count)


def exclusion_reasons(gdf_buurten: pd.DataFrame, *, population: str = "youth_population") -> pd.Series:
    """Per buurt the reason code (see REASONS) why it cannot take part in a rate analysis, or NA when it can."""
    reasons = pd.Series(pd.NA, index=gdf_buurten.index, dtype="string")
    geometry = gdf_buurten.geometry if isinstance(gdf_buurten, gpd.GeoDataFrame) else None
    if geometry is not None:
        reasons = reasons.mask(geometry.isna() | geometry.is_empty, "no_geometry")
    pop = pd.to_numeric(gdf_buurten[population], errors="coerce") if population in gdf_buurten else None
    if pop is not None:
        reasons = reasons.mask(reasons.isna() & pop.isna(), "youth_unknown")
        reasons = reasons.mask(reasons.isna() & pop.le(0), "no_youth")
    else:
        reasons = reasons.fillna("youth_unknown")
    if "water" in gdf_buurten:
        water = gdf_buurten["water"].fillna(False).astype(bool)
        reasons = reasons.mask(water & (pop is None or pop.fillna(0).le(0)), "water")
    return reasons


def build_weights(
    gdf_buurten: gpd.GeoDataFrame,
    *,
    spec: WeightsSpec = WeightsSpec(),
    exclude: Mapping[str, str] | None = None,
) -> BuurtWeights:
    """Weights over the buurten in ``gdf_buurten`` minus ``exclude`` (buurtcode → reason code).

    Islands are attached to the nearest buurt (polygon distance), symmetrically, or excluded with reason
    'island', as ``spec.islands`` says; either way they are listed in the result.
    """
    if gdf_buurten.crs is None or not gdf_buurten.crs.is_projected:
        raise InputError.single(
            "WEIGHTS_CRS",
            "Ruimtelijke gewichten vragen een geprojecteerd CRS in meters (EPSG:28992).",
            "Spatial weights need a projected CRS in metres (EPSG:28992).",
        )
    excluded = dict(exclude or {})
    keep = ~gdf_buurten["buurtcode"].isin(list(excluded))
    gdf = gdf_buurten.loc[keep, ["buurtcode", gdf_buurten.geometry.name]].reset_index(drop=True)
    ids = [str(c) for c in gdf["buurtcode"]]
    if len(ids) < 2:
        excluded.update(dict.fromkeys(ids, "too_few"))
        return BuurtWeights((), {}, spec, excluded=excluded)

    neighbours, distance_m = _neighbours(gdf, ids, spec)
    islands = tuple(c for c in ids if not neighbours[c])
    attached: dict[str, str] = {}
    if islands and spec.islands == "attach":
        attached = _nearest_buurt(gdf, islands)
        for island, nearest in attached.items():
            neighbours[island] = [*neighbours[island], nearest]
            if island not in neighbours[nearest]:
                neighbours[nearest] = [*neighbours[nearest], island]
    elif islands:
        excluded.update(dict.fromkeys(islands, "island"))
        rest = gdf[~gdf["buurtcode"].isin(islands)]
        # Dropping islands changes no other buurt's neighbours (they had none), so one pass suffices.
        ids = [c for c in ids if c not in islands]
        if len(ids) < 2:
            excluded.update(dict.fromkeys(ids, "too_few"))
            return BuurtWeights((), {}, spec, excluded=excluded, islands=islands)
        neighbours = {c: neighbours[c] for c in rest["buurtcode"]}
    return BuurtWeights(
        tuple(ids),
        {c: tuple(neighbours[c]) for c in ids},
        spec,
        distance_m=distance_m,
        excluded=excluded,
        islands=islands,
        attached=attached,
    )


def _neighbours(gdf: gpd.GeoDataFrame, ids: list[str], spec: WeightsSpec) -> tuple[dict[str, list[str]], float | None]:
    # late import: libpysal, ~15 s of -X importtime under load on the shared 2-core machine, only for a build that computes hotspots
    from libpysal.weights import KNN, DistanceBand, Queen
    from libpysal.weights.util import min_threshold_distance

    with warnings.catch_warnings():
        # libpysal warns about islands and disconnected components; we report those ourselves.
        warnings.simplefilter("ignore", UserWarning)
        if spec.kind == "queen":
            w = Queen.from_dataframe(gdf, ids=ids, use_index=False, silence_warnings=True)
            return {c: [str(n) for n in w.neighbors[c]] for c in ids}, None
        points = np.column_stack([gdf.geometry.centroid.x, gdf.geometry.centroid.y])
        if spec.kind == "knn":
            k = min(spec.k, len(ids) - 1)
            w = KNN(points, k=k, ids=ids, silence_warnings=True)
            return {c: [str(n) for n in w.neighbors[c]] for c in ids}, None
        band = float(spec.distance_m) if spec.distance_m is not None else float(min_threshold_distance(points))
        w = DistanceBand(points, threshold=band, binary=True, ids=ids, silence_warnings=True)
        return {c: [str(n) for n in w.neighbors[c]] for c in ids}, band


def _nearest_buurt(gdf: gpd.GeoDataFrame, islands: tuple[str, ...]) -> dict[str, str]:
    """Each island's nearest other buurt by polygon distance (ties: the lowest buurtcode)."""
    out = {}
    geoms = gdf.set_index("buurtcode").geometry
    for island in islands:
        dist = geoms.drop(index=island).distance(geoms[island])
        best = dist.min()
        out[island] = str(sorted(dist.index[dist == best])[0])
    return out
