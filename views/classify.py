"""Class breaks for choropleths via mapclassify, with labels a legend can state."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd

from views.state import DEFAULT_SCHEME, SCHEMES

# In the order of views.state.SCHEMES; natural breaks is the exact Jenks optimum, deterministic.
CLASSIFIERS = dict(
    zip(SCHEMES, (mapclassify.Quantiles, mapclassify.FisherJenks, mapclassify.EqualInterval), strict=True)
)


@dataclass(frozen=True)
class Classes:
    """Per value its class (-1 = no data), and the upper bounds of the classes."""

    scheme: str
    k: int
    class_of: np.ndarray
    bins: tuple[float, ...]
    lower: float


def classify(values: pd.Series, *, scheme: str = DEFAULT_SCHEME, k: int = 5) -> Classes:
    """Classify the non-missing values; fewer distinct values than k gives fewer classes."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    ok = ~np.isnan(v)
    class_of = np.full(len(v), -1, dtype=int)
    if not ok.any():
        return Classes(scheme, 0, class_of, (), float("nan"))
    distinct = np.unique(v[ok])
    k_eff = int(min(k, len(distinct)))
    if k_eff <= 1:
        class_of[ok] = 0
        return Classes(scheme, 1, class_of, (float(distinct.max()),), float(distinct.min()))
    if scheme not in CLASSIFIERS:
        raise ValueError(f"unknown scheme {scheme!r}; choose from {sorted(CLASSIFIERS)}")
    with warnings.catch_warnings():
        # Heavy ties (e.g. many zeros) make mapclassify merge classes and say so; the bins below already
        # handle fewer classes than asked, so the warning is expected, not a problem.
        warnings.filterwarnings("ignore", message="Not enough unique values", category=UserWarning)
        clf = CLASSIFIERS[scheme](v[ok], k=k_eff)
    bins = np.unique(np.asarray(clf.bins, dtype="float64"))
    class_of[ok] = np.searchsorted(bins, v[ok], side="left").clip(0, len(bins) - 1)
    return Classes(scheme, len(bins), class_of, tuple(float(b) for b in bins), float(v[ok].min()))
