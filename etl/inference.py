"""Local Gi* and local Moran's I with conditional-permutation p-values (esda), multiple testing and classes."""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

if TYPE_CHECKING:
    from libpysal.weights import W

# esda takes seconds to import, so it is imported where used: the pipeline and the dashboard import
# this module for its constants, and only a build that computes hotspots needs esda itself.

Correction = Literal["none", "bonferroni", "fdr"]
Alternative = Literal["two-sided", "folded", "directed"]
CORRECTIONS: tuple[str, ...] = get_args(Correction)
ALTERNATIVES: tuple[str, ...] = get_args(Alternative)
GI_CLASSES: tuple[str, ...] = ("hot", "cold", "ns")
LISA_CLASSES: tuple[str, ...] = ("HH", "LL", "HL", "LH", "ns")
# esda's quadrant numbers (PySAL scheme, geoda_quads=False): own value vs spatial lag of the neighbours.
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


@contextlib.contextmanager
def _esda_calm() -> Iterator[None]:
    """Run esda without touching the caller's global state.

    esda's permutation engine seeds NumPy's *global* generator (np.random.seed(seed)), and Moran_Local
    adds a global 'always' filter for SparseEfficiencyWarning; both are undone on exit. esda 2.x also
    warns on every call that its default alternative will change: we never use that default (p-values
    are recomputed from the kept simulations with the alternative we record), so that warning is noise.
    """
    state = np.random.get_state()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The alternative hypothesis", category=DeprecationWarning)
            yield
    finally:
        np.random.set_state(state)


@dataclass(frozen=True)
class LocalTest:
    """One local statistic for every area: the statistic, its z-score, the permutation p-value, the quadrant."""

    statistic: np.ndarray
    z: np.ndarray
    p: np.ndarray
    quadrant: np.ndarray | None = None


def gi_star(y: np.ndarray, w: W, *, permutations: int, seed: int, alternative: Alternative) -> LocalTest:
    """Getis–Ord Gi* on binary weights with self-weight 1; z is the analytical Gi* z-score.

    G needs non-negative values; for a variable that can be negative (a change), it is shifted first.
    Gi*'s z-score and its conditional-permutation p-value do not change when a constant is added to
    every value (with the self-weight, each permuted neighbourhood sum shifts by the same amount), so
    the shift changes nothing but makes G defined.
    """
    # late import: esda, ~17 s of -X importtime under load on the shared 2-core machine, only for a build that computes hotspots
    from esda.getisord import G_Local

    y = np.asarray(y, dtype="float64")
    if y.min() < 0:
        y = y - y.min()
    with _esda_calm():
        g = G_Local(
            y, w, transform="B", star=True, permutations=permutations, seed=seed, n_jobs=1, keep_simulations=True
        )
    p = permutation_p(g.Gs, g.rGs, alternative=alternative)
    return LocalTest(np.asarray(g.Gs, dtype="float64"), np.asarray(g.Zs, dtype="float64"), p)


def moran_local_rate(
    counts: np.ndarray, population: np.ndarray, w: W, *, permutations: int, seed: int, alternative: Alternative
) -> LocalTest:
    """Local Moran's I on Assunção–Reis EB-standardised rates (esda Moran_Local_Rate), row-standardised weights."""
    # late import: esda, ~17 s of -X importtime under load on the shared 2-core machine, only for a build that computes hotspots
    from esda.moran import Moran_Local_Rate

    with _esda_calm():
        m = Moran_Local_Rate(
            counts,
            population,
            w,
            adjusted=True,
            transformation="r",
            permutations=permutations,
            seed=seed,
            n_jobs=1,
            keep_simulations=True,
        )
    p = permutation_p(m.Is, m.rlisas, alternative=alternative)
    return LocalTest(
        np.asarray(m.Is, dtype="float64"), np.asarray(m.z_sim, dtype="float64"), p, np.asarray(m.q, dtype="int64")
    )


def permutation_p(observed: np.ndarray, simulated: np.ndarray, *, alternative: Alternative) -> np.ndarray:
    """Pseudo p-values (M + 1) / (R + 1) from esda's kept conditional permutations (one row per area).

    'directed' is GeoDa's and esda's p_sim: the tail the observation lies in (one-sided, too small by
    half as a test of 'any local association'); 'two-sided' is twice that, at most 1, as esda documents.
    Ties count towards both tails. esda's own tail counts do not do that (its lower tail counts only
    values strictly below the observation, so an area whose every permuted value ties with its own gets
    p = 1/(R+1)), and its percentile 'two-sided' can exceed 1 with ties; counts of 0 make ties common.
    Without ties 'directed' equals esda's p_sim exactly. 'folded' is esda's distance-from-the-mean test.
    """
    # late import: esda, ~17 s of -X importtime under load on the shared 2-core machine, only for a build that computes hotspots
    from esda.significance import calculate_significance

    observed = np.asarray(observed, dtype="float64").reshape(-1, 1)
    simulated = np.atleast_2d(np.asarray(simulated, dtype="float64"))
    if alternative == "folded":
        folded = calculate_significance(observed.ravel(), simulated, alternative="folded")
        return np.atleast_1d(np.asarray(folded, dtype="float64"))
    if alternative not in ("directed", "two-sided"):
        raise ValueError(f"unknown alternative {alternative!r}")
    permutations = simulated.shape[1]
    # Observed and simulated statistics are summed in different orders; equal up to rounding is a tie.
    tol = 1e-9 * np.maximum(np.abs(observed), np.abs(simulated).max(axis=1, keepdims=True))
    greater = (simulated >= observed - tol).sum(axis=1)
    lesser = (simulated <= observed + tol).sum(axis=1)
    directed: np.ndarray = (np.minimum(greater, lesser) + 1.0) / (permutations + 1.0)
    if alternative == "directed":
        return directed
    return np.asarray(np.minimum(2 * directed, 1.0), dtype="float64")


def adjust_p(p: np.ndarray, *, correction: Correction) -> np.ndarray:
    """p-values adjusted for testing every area: none, Bonferroni (× n, at most 1) or Benjamini–Hochberg FDR.

    NaN (an area not tested) stays NaN and does not count towards n.
    """
    p = np.asarray(p, dtype="float64")
    out = np.full_like(p, np.nan)
    tested = ~np.isnan(p)
    if not tested.any():
        return out
    if correction == "none":
        out[tested] = p[tested]
    elif correction == "bonferroni":
        out[tested] = np.minimum(p[tested] * tested.sum(), 1.0)
    elif correction == "fdr":
        # late import: scipy.stats, ~8 s of -X importtime under load on the shared 2-core machine, only for the FDR correction
        from scipy.stats import false_discovery_control

        out[tested] = false_discovery_control(p[tested], method="bh")
    else:
        raise ValueError(f"unknown correction {correction!r}")
    return out


def significant(p_adjusted: np.ndarray, *, alpha: float) -> np.ndarray:
    # A tiny tolerance so that an adjusted p equal to alpha up to float rounding counts as significant.
    return np.asarray((p_adjusted <= alpha * (1 + 1e-9)) & ~np.isnan(p_adjusted), dtype=bool)


def gi_classes(z: np.ndarray, sig: np.ndarray) -> np.ndarray:
    """hot (significant, z > 0), cold (significant, z < 0), ns."""
    return np.where(sig & (z > 0), "hot", np.where(sig & (z < 0), "cold", "ns")).astype(object)


def lisa_classes(quadrant: np.ndarray, sig: np.ndarray) -> np.ndarray:
    """HH, LL, HL (high among low), LH (low among high) where significant, else ns."""
    names = np.array([QUADRANTS.get(int(q), "ns") for q in quadrant], dtype=object)
    return np.where(sig, names, "ns").astype(object)


def min_attainable_p(*, permutations: int, alternative: Alternative) -> float:
    """The smallest p-value R permutations can give under esda's definition of the alternative.

    Computed, not assumed: an observation more extreme than every simulated value.
    """
    reference = np.arange(permutations, dtype="float64")[None, :]
    return float(permutation_p(np.array([1e12]), reference, alternative=alternative)[0])


def permutations_needed(*, n_tests: int, alpha: float, alternative: Alternative) -> int:
    """The fewest permutations for which a single area could pass Bonferroni (p ≤ α / n)."""
    at_one = round(min_attainable_p(permutations=999, alternative=alternative) * 1000)
    return max(1, math.ceil(at_one * n_tests / alpha) - 1)
