"""Caseload rates per 1,000 youth: raw, Empirical Bayes, spatial Empirical Bayes and EB-standardised (esda)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from libpysal.weights import W

# esda takes seconds to import, so it is imported where used: reading this module must stay cheap
# (the pipeline and the dashboard import it for its constants and the protected view).

PER = 1000.0


@dataclass(frozen=True)
class EBPrior:
    """The global prior of Empirical Bayes smoothing, method of moments (Marshall 1991), per person.

    ``variance_raw`` < 0 means the rates vary no more than Poisson noise alone would make them; the
    variance is then 0 and every smoothed rate is the overall rate (``clipped``).
    """

    mean: float
    variance_raw: float

    @property
    def variance(self) -> float:
        return max(self.variance_raw, 0.0)

    @property
    def clipped(self) -> bool:
        return self.variance_raw <= 0


def _arrays(counts: object, population: object) -> tuple[np.ndarray, np.ndarray]:
    e = np.asarray(counts, dtype="float64").ravel()
    b = np.asarray(population, dtype="float64").ravel()
    if e.shape != b.shape:
        raise ValueError(f"counts ({e.shape}) and population ({b.shape}) differ in length")
    if not len(e) or np.isnan(e).any() or np.isnan(b).any() or (b <= 0).any() or (e < 0).any():
        raise ValueError("rates need non-negative counts and positive populations for every area")
    return e, b


def raw_rates(counts: object, population: object) -> np.ndarray:
    """Count per 1,000 youth."""
    e, b = _arrays(counts, population)
    return np.asarray(PER * e / b, dtype="float64")


def eb_prior(counts: object, population: object) -> EBPrior:
    """The prior mean and variance that esda's Empirical_Bayes estimates (same formulas)."""
    e, b = _arrays(counts, population)
    mean = e.sum() / b.sum()
    rate = e / b
    variance = float((b * (rate - mean) ** 2).sum() / b.sum() - mean / b.mean())
    return EBPrior(float(mean), variance)


def empirical_bayes(counts: object, population: object) -> np.ndarray:
    """Rates shrunk towards the city rate, the more so the smaller the youth population (esda Empirical_Bayes).

    esda does not clip a negative prior variance (which would give weights below zero); following
    Marshall (1991) we then use variance 0: every area gets the overall rate.
    """
    # late import: esda, ~17 s of -X importtime under load on the shared 2-core machine, only for a build that computes hotspots
    from esda.smoothing import Empirical_Bayes

    e, b = _arrays(counts, population)
    prior = eb_prior(e, b)
    if prior.mean == 0 or prior.clipped:
        return np.full_like(e, PER * prior.mean)
    return PER * np.asarray(Empirical_Bayes(e, b).r, dtype="float64").ravel()


def spatial_empirical_bayes(counts: object, population: object, *, w: W) -> np.ndarray:
    """Rates shrunk towards the rate of each area's neighbourhood (itself and its neighbours; esda).

    ``w`` must be binary with its id order equal to the order of the counts; it is copied, because esda
    changes the transform of the W it is given.
    """
    # late import: esda and libpysal, ~17 s of -X importtime under load on the shared 2-core machine, only for a build that computes hotspots
    from esda.smoothing import Spatial_Empirical_Bayes
    from libpysal.weights import W

    e, b = _arrays(counts, population)
    if w.n != len(e):
        raise ValueError(f"weights have {w.n} areas, counts {len(e)}")
    w_copy = W(dict(w.neighbors), dict(w.weights), id_order=list(w.id_order), silence_warnings=True)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        # A neighbourhood without any count has local mean 0 and 0/0 weights; handled below.
        warnings.simplefilter("ignore", RuntimeWarning)
        smoothed = np.asarray(Spatial_Empirical_Bayes(e, b, w_copy).r, dtype="float64").ravel()
    # Where esda divides 0 by 0 the whole neighbourhood has count 0: the smoothed rate is 0.
    local_zero = (e + np.asarray(w.sparse @ e).ravel()) == 0
    smoothed = np.where(local_zero, 0.0, smoothed)
    return PER * smoothed


def eb_standardised(counts: object, population: object) -> np.ndarray:
    """Assunção–Reis (1999) EB-standardised rates (esda assuncao_rate): z-like, comparable across populations."""
    # late import: esda, ~17 s of -X importtime under load on the shared 2-core machine, only for a build that computes hotspots
    from esda.smoothing import assuncao_rate

    e, b = _arrays(counts, population)
    if e.sum() == 0:
        return np.zeros_like(e)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.asarray(assuncao_rate(e, b), dtype="float64").ravel()
    # esda falls back to the Poisson variance m/b when the estimated variance is negative; it divides by
    # zero when that estimate is exactly 0 (e.g. all rates equal). Same fallback there.
    bad = ~np.isfinite(z)
    if bad.any():
        m = e.sum() / b.sum()
        z[bad] = (e[bad] / b[bad] - m) / np.sqrt(m / b[bad])
    return z
