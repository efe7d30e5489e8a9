"""Local Gi* and Moran with permutation p-values: naive formulas, esda equality, ties, multiple testing."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import grid_buurten
from esda import fdr
from esda.getisord import G_Local
from esda.moran import Moran_Local

from etl.inference import (
    adjust_p,
    gi_classes,
    gi_star,
    lisa_classes,
    min_attainable_p,
    moran_local_rate,
    permutation_p,
    permutations_needed,
    significant,
)
from etl.weights import build_weights

SEED = 12345


def naive_gi_star_z(y: np.ndarray, neighbours: list[list[int]]) -> np.ndarray:
    """Ord & Getis (1995) Gi* z-score with binary weights and self-weight 1, written out."""
    n = len(y)
    mean = y.mean()
    s = np.sqrt((y**2).mean() - mean**2)
    out = np.empty(n)
    for i in range(n):
        hood = [i, *neighbours[i]]
        wi = len(hood)
        out[i] = (y[hood].sum() - wi * mean) / (s * np.sqrt((n * wi - wi**2) / (n - 1)))
    return out


def naive_local_moran(y: np.ndarray, neighbours: list[list[int]]) -> np.ndarray:
    """Anselin's local I with row-standardised weights, scaled as esda scales it ((n-1) / Σz²)."""
    z = (y - y.mean()) / y.std()
    lag = np.array([z[nb].mean() for nb in neighbours])
    return (len(y) - 1) * z * lag / (z**2).sum()


def grid_neighbours(n: int) -> tuple[object, list[list[int]]]:
    bw = build_weights(grid_buurten(n))
    index = {c: i for i, c in enumerate(bw.ids)}
    return bw, [[index[c] for c in bw.neighbours[code]] for code in bw.ids]


def test_gi_star_z_equals_the_naive_formula_and_ignores_a_shift() -> None:
    bw, neighbours = grid_neighbours(5)
    y = np.random.default_rng(1).gamma(4.0, 10.0, 25)
    test = gi_star(y, bw.fresh(), permutations=199, seed=SEED, alternative="two-sided")  # type: ignore[attr-defined]
    np.testing.assert_allclose(test.z, naive_gi_star_z(y, neighbours), rtol=1e-10)
    # A variable with negative values (a change) is shifted: z and p are those of the unshifted variable.
    shifted = gi_star(y - 100.0, bw.fresh(), permutations=199, seed=SEED, alternative="two-sided")  # type: ignore[attr-defined]
    np.testing.assert_allclose(shifted.z, test.z, rtol=1e-9)
    np.testing.assert_array_equal(shifted.p, test.p)


def test_local_moran_equals_the_naive_formula() -> None:
    from esda.smoothing import assuncao_rate

    bw, neighbours = grid_neighbours(5)
    rng = np.random.default_rng(2)
    b = rng.integers(50, 900, 25).astype(float)
    e = rng.poisson(b * 0.05).astype(float)
    test = moran_local_rate(e, b, bw.fresh(), permutations=199, seed=SEED, alternative="two-sided")  # type: ignore[attr-defined]
    np.testing.assert_allclose(test.statistic, naive_local_moran(assuncao_rate(e, b), neighbours), rtol=1e-10)


def test_directed_p_equals_esda_p_sim_without_ties() -> None:
    bw, _ = grid_neighbours(6)
    y = np.random.default_rng(3).normal(50.0, 10.0, 36)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        lm = Moran_Local(y, bw.fresh(), permutations=999, seed=SEED)  # type: ignore[attr-defined]
        g = G_Local(y, bw.fresh(), transform="B", star=True, permutations=999, seed=SEED)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(permutation_p(lm.Is, lm.rlisas, alternative="directed"), lm.p_sim)
    # esda keeps G's p_sim in float32, and misses a tie when a permutation redraws the buurt's own
    # neighbours (the same sum, added in another order): there ours counts one more, as it should.
    ours = permutation_p(g.Gs, g.rGs, alternative="directed")
    differ = ~np.isclose(ours, g.p_sim, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours[differ] - g.p_sim[differ], 1 / 1000, atol=1e-6)
    ties = np.isclose(g.rGs, g.Gs[:, None], rtol=1e-12, atol=0).any(axis=1)
    assert (differ <= ties).all()
    assert differ.sum() <= 3
    two = permutation_p(lm.Is, lm.rlisas, alternative="two-sided")
    np.testing.assert_array_equal(two, np.minimum(2 * lm.p_sim, 1.0))


def test_ties_count_towards_both_tails() -> None:
    # 5×5 grid, every value 1 but the north-east corner. The south-west corner's neighbourhood sum ties
    # with every permutation that misses the one high value (7 in 8 of them): no evidence of anything.
    bw, _ = grid_neighbours(5)
    y = np.ones(25)
    y[24] = 10.0
    ours = gi_star(y, bw.fresh(), permutations=999, seed=SEED, alternative="directed")  # type: ignore[attr-defined]
    assert ours.p[0] > 0.8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        g = G_Local(y, bw.fresh(), transform="B", star=True, permutations=999, seed=SEED)  # type: ignore[attr-defined]
    # esda counts only strictly smaller values in the lower tail and calls this the rarest result possible.
    assert g.p_sim[0] == pytest.approx(1 / 1000)


def test_esda_leaves_no_trace_in_global_state() -> None:
    bw, _ = grid_neighbours(4)
    y = np.random.default_rng(4).gamma(2.0, 5.0, 16)
    np.random.seed(7)
    expected = np.random.random(3)
    np.random.seed(7)
    filters = list(warnings.filters)
    gi_star(y, bw.fresh(), permutations=99, seed=SEED, alternative="two-sided")  # type: ignore[attr-defined]
    moran_local_rate(np.round(y), np.full(16, 100.0), bw.fresh(), permutations=99, seed=SEED, alternative="two-sided")  # type: ignore[attr-defined]
    assert list(warnings.filters) == filters
    np.testing.assert_array_equal(np.random.random(3), expected)


def naive_bh(p: np.ndarray, alpha: float) -> np.ndarray:
    """Benjamini–Hochberg step-up: reject the k smallest, k the largest i with p_(i) ≤ i α / n."""
    order = np.argsort(p)
    n = len(p)
    k = 0
    for i, idx in enumerate(order, start=1):
        if p[idx] <= i * alpha / n:
            k = i
    reject = np.zeros(n, dtype=bool)
    reject[order[:k]] = True
    return reject


def test_multiple_testing_corrections() -> None:
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, np.nan])
    np.testing.assert_array_equal(adjust_p(p, correction="none")[:8], p[:8])
    # Bonferroni over the 8 tested areas; the untested one stays NaN and does not count.
    bonf = adjust_p(p, correction="bonferroni")
    np.testing.assert_allclose(bonf[:3], [0.008, 0.064, 0.312])
    assert np.isnan(bonf[8])
    assert significant(bonf, alpha=0.05).tolist() == [True] + [False] * 8
    fdr_adj = adjust_p(p, correction="fdr")
    assert significant(fdr_adj, alpha=0.05)[:8].tolist() == naive_bh(p[:8], 0.05).tolist()
    assert significant(fdr_adj, alpha=0.05).tolist() == [True, True] + [False] * 7


def test_fdr_agrees_with_esda_and_the_naive_procedure_on_random_p_values() -> None:
    rng = np.random.default_rng(5)
    for _ in range(200):
        p = np.concatenate([rng.uniform(0, 0.004, rng.integers(0, 8)), rng.uniform(0, 1, 60)])
        ours = significant(adjust_p(p, correction="fdr"), alpha=0.05)
        assert ours.tolist() == naive_bh(p, 0.05).tolist()
        assert ours.tolist() == (p <= fdr(p, 0.05)).tolist() or not ours.any()


def test_classes() -> None:
    sig = np.array([True, True, False, True, True, False])
    assert gi_classes(np.array([2.5, -3.0, 4.0, 0.0, 1.0, -1.0]), sig).tolist() == [
        "hot",
        "cold",
        "ns",
        "ns",
        "hot",
        "ns",
    ]
    assert lisa_classes(np.array([1, 3, 1, 4, 2, 2]), sig).tolist() == ["HH", "LL", "ns", "HL", "LH", "ns"]


def test_smallest_attainable_p_and_permutations_needed() -> None:
    assert min_attainable_p(permutations=999, alternative="directed") == pytest.approx(0.001)
    assert min_attainable_p(permutations=999, alternative="folded") == pytest.approx(0.001)
    assert min_attainable_p(permutations=999, alternative="two-sided") == pytest.approx(0.002)
    # Bonferroni over Utrecht's 111 buurten at α = 0.05 needs p ≤ 0.00045: two-sided, 2/(R+1) ≤ 0.05/111.
    needed = permutations_needed(n_tests=111, alpha=0.05, alternative="two-sided")
    assert needed == 4439
    assert 2 / (needed + 1) <= 0.05 / 111 < 2 / needed
