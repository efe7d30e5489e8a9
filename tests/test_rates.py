"""Rates per 1,000 youth: hand-derived values, naive reference implementations, and equality with esda."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import grid_buurten
from esda.smoothing import Empirical_Bayes, Spatial_Empirical_Bayes, assuncao_rate
from libpysal.weights import Queen

from etl.rates import eb_prior, eb_standardised, empirical_bayes, raw_rates, spatial_empirical_bayes
from etl.weights import build_weights

# Nine buurten of a 3×3 grid (row-major from the south-west), small and large populations mixed.
COUNTS = np.array([2.0, 0.0, 5.0, 12.0, 30.0, 9.0, 1.0, 4.0, 20.0])
YOUTH = np.array([40.0, 25.0, 300.0, 150.0, 400.0, 90.0, 35.0, 60.0, 500.0])


def naive_eb(e: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Marshall (1991) global EB written out term by term, per person."""
    m = e.sum() / b.sum()
    s2 = sum(b[i] * (e[i] / b[i] - m) ** 2 for i in range(len(e))) / b.sum()
    a = max(s2 - m / b.mean(), 0.0)
    return np.array([m + a / (a + m / b[i]) * (e[i] / b[i] - m) for i in range(len(e))])


def naive_seb(e: np.ndarray, b: np.ndarray, neighbours: list[list[int]]) -> np.ndarray:
    """Spatial EB: the same shrinkage, but the prior is estimated from each buurt and its neighbours."""
    out = np.empty(len(e))
    for i in range(len(e)):
        hood = [i, *neighbours[i]]
        eh, bh = e[hood], b[hood]
        m = eh.sum() / bh.sum()
        s2 = sum(bh[j] * (eh[j] / bh[j] - m) ** 2 for j in range(len(hood))) / bh.sum()
        a = max(s2 - m / (bh.sum() / len(hood)), 0.0)
        out[i] = m + a / (a + m / b[i]) * (e[i] / b[i] - m) if m > 0 else 0.0
    return out


def test_raw_rate_by_hand() -> None:
    assert raw_rates([6, 0], [40, 500]).tolist() == [150.0, 0.0]


def test_eb_equals_esda_and_the_naive_formula() -> None:
    ours = empirical_bayes(COUNTS, YOUTH)
    np.testing.assert_allclose(ours, 1000 * Empirical_Bayes(COUNTS, YOUTH).r.ravel(), rtol=1e-12)
    np.testing.assert_allclose(ours, 1000 * naive_eb(COUNTS, YOUTH), rtol=1e-12)
    # Shrinkage: a small buurt moves towards the city rate far more than a large one does.
    city = 1000 * COUNTS.sum() / YOUTH.sum()
    raw = raw_rates(COUNTS, YOUTH)
    shrink = np.abs(ours - raw) / np.abs(city - raw)
    assert shrink[0] > 0.5 > shrink[8]


def test_eb_with_no_extra_variation_gives_the_city_rate() -> None:
    # Rates that differ less than Poisson noise would make them: the prior variance estimate is negative.
    e = np.array([10.0, 11.0, 9.0, 10.0])
    b = np.array([1000.0, 1000.0, 1000.0, 1000.0])
    prior = eb_prior(e, b)
    assert prior.variance_raw < 0
    assert prior.clipped
    np.testing.assert_allclose(empirical_bayes(e, b), [10.0, 10.0, 10.0, 10.0])
    # esda itself does not clip: its shrinkage weight becomes -19 and buurt 2's "rate" negative.
    esda_r = 1000 * Empirical_Bayes(e, b).r.ravel()
    assert esda_r[1] == pytest.approx(10.0 - 19 * 1.0)


def test_eb_with_all_zero_counts_is_zero() -> None:
    assert empirical_bayes([0, 0, 0], [10, 20, 30]).tolist() == [0.0, 0.0, 0.0]
    assert eb_standardised([0, 0, 0], [10, 20, 30]).tolist() == [0.0, 0.0, 0.0]


def test_spatial_eb_equals_esda_and_the_naive_formula() -> None:
    gdf = grid_buurten(3)
    bw = build_weights(gdf)
    ours = spatial_empirical_bayes(COUNTS, YOUTH, w=bw.fresh())
    w = Queen.from_dataframe(gdf, ids=list(gdf["buurtcode"]), use_index=False, silence_warnings=True)
    np.testing.assert_allclose(ours, 1000 * Spatial_Empirical_Bayes(COUNTS, YOUTH, w).r.ravel(), rtol=1e-12)
    index = {c: i for i, c in enumerate(bw.ids)}
    neighbours = [[index[n] for n in bw.neighbours[c]] for c in bw.ids]
    np.testing.assert_allclose(ours, 1000 * naive_seb(COUNTS, YOUTH, neighbours), rtol=1e-12)


def test_spatial_eb_leaves_the_weights_untouched_and_handles_empty_neighbourhoods() -> None:
    bw = build_weights(grid_buurten(3))
    w = bw.fresh()
    counts = np.zeros(9)
    counts[8] = 7.0  # only the north-east corner has children in care
    smoothed = spatial_empirical_bayes(counts, YOUTH, w=w)
    assert w.transform.lower() == "o"
    assert not np.isnan(smoothed).any()
    # The south-west corner's neighbourhood (itself, east, north, centre) has no count at all: 0, not 0/0.
    assert smoothed[0] == 0.0


def test_eb_standardised_equals_esda() -> None:
    np.testing.assert_allclose(eb_standardised(COUNTS, YOUTH), assuncao_rate(COUNTS, YOUTH), rtol=1e-12)


@pytest.mark.parametrize(
    ("counts", "youth"),
    [([1, 2], [10]), ([1, np.nan], [10, 10]), ([1, 2], [10, 0]), ([-1, 2], [10, 10]), ([], [])],
)
def test_rates_refuse_unusable_input(counts: list[float], youth: list[float]) -> None:
    with pytest.raises(ValueError, match=r"counts|rates"):
        raw_rates(counts, youth)


def test_eb_standardised_with_equal_rates_is_zero_not_nan() -> None:
    # All rates equal: esda's variance estimate is exactly 0 and it would divide 0 by 0.
    assert eb_standardised([12, 12, 12], [300, 300, 300]).tolist() == [0.0, 0.0, 0.0]
    z = eb_standardised([12, 12, 13], [300, 300, 300])
    assert np.isfinite(z).all()
