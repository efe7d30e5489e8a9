"""Hotspot tables: a planted cluster found at FDR 0.05, equality with esda, stability, exclusions, change."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import grid_buurten
from esda.getisord import G_Local
from esda.moran import Moran_Local_Rate
from esda.smoothing import Empirical_Bayes
from libpysal.weights import Queen
from shapely.geometry import box

from etl.hotspots import DEFAULT_SEED, HotspotOptions, compute_hotspots
from etl.weights import WeightsSpec
from geodata.errors import InputError

N = 10
CODES = [f"BU9999{r:02d}{c:02d}" for r in range(1, N + 1) for c in range(1, N + 1)]
# Distinct youth populations (400–500), so that no two buurten have the same rate by accident.
YOUTH = 400.0 + (np.arange(N * N) * 37 % 101)
BASE = 10.0 + np.array([-2, 1, 0, 2, -1])[np.arange(N * N) % 5]
# A 3×3 block in rows/columns 4–6 with four times the caseload.
CLUSTER = {f"BU9999{r:02d}{c:02d}" for r in (4, 5, 6) for c in (4, 5, 6)}
# Of those, the buurten with at least 5 of their 8 queen neighbours inside the block: the centre and
# the middle of each side. A corner has only 3 of 8: with 99 other buurten to permute, 3 high values
# among 8 draws is not rare enough to survive FDR (p ≈ 0.01–0.05 against a BH bar of about 0.0025).
CORE = {"BU99990505", "BU99990405", "BU99990605", "BU99990504", "BU99990506"}


def caseloads(counts_by_period: dict[str, np.ndarray], *, soort: str = "totaal") -> pd.DataFrame:
    frames = [
        pd.DataFrame(
            {"buurtcode": CODES, "periode": periode, "soort": soort, "aantal": counts, "youth_population": YOUTH}
        )
        for periode, counts in counts_by_period.items()
    ]
    return pd.concat(frames, ignore_index=True)


def planted() -> np.ndarray:
    return np.where([c in CLUSTER for c in CODES], 4 * BASE, BASE)


@pytest.fixture(scope="module")
def gdf_grid10() -> pd.DataFrame:
    return grid_buurten(N)


def test_planted_cluster_is_found_and_nothing_else_at_fdr_005(gdf_grid10: pd.DataFrame) -> None:
    res = compute_hotspots(
        gdf_grid10, caseloads({"2023": planted()}), options=HotspotOptions(correction="fdr", alpha=0.05)
    )
    b = res.buurt.set_index("buurtcode")
    assert set(b.index[b["gi_class"] == "hot"]) == CORE
    assert set(b.index[b["lisa_class"] == "HH"]) == CORE
    assert set(b.index[b["gi_class"] != "ns"]) == CORE
    assert set(b.index[b["lisa_class"] != "ns"]) == CORE
    # By hand: each core buurt is more extreme than all 999 permutations, p = 2 × 1/1000 (two-sided);
    # five of them among 100 tests: BH-adjusted p = 0.002 × 100 / 5 = 0.04.
    np.testing.assert_allclose(b.loc[sorted(CORE), "gi_p"], 0.002)
    np.testing.assert_allclose(b.loc[sorted(CORE), "gi_p_adj"], 0.04)
    np.testing.assert_allclose(b.loc[sorted(CORE), "lisa_p_adj"], 0.04)
    corners = sorted(CLUSTER - CORE)
    assert (b.loc[corners, "gi_p"] > 0.005).all()
    assert (b.loc[corners, "gi_z"] > 2).all()  # clearly high, just not provably so at FDR 0.05


def test_without_a_cluster_nothing_is_significant(gdf_grid10: pd.DataFrame) -> None:
    counts = np.random.default_rng(11).poisson(YOUTH * 0.025).astype(float)
    res = compute_hotspots(gdf_grid10, caseloads({"2023": counts}))
    assert set(res.buurt["gi_class"]) == {"ns"}
    assert set(res.buurt["lisa_class"]) == {"ns"}


def test_without_correction_buurten_beside_the_cluster_are_flagged_too(gdf_grid10: pd.DataFrame) -> None:
    res = compute_hotspots(gdf_grid10, caseloads({"2023": planted()}), options=HotspotOptions(correction="none"))
    b = res.buurt.set_index("buurtcode")
    hot = set(b.index[b["gi_class"] == "hot"])
    assert hot > CORE
    # Gi* spills over: ordinary buurten next to the block are called hot at an uncorrected 0.05 …
    outside = hot - CLUSTER
    assert outside
    assert outside <= {"BU99990305", "BU99990403", "BU99990503", "BU99990603", "BU99990705", "BU99990407", "BU99990507"}
    # … which local Moran rightly calls low-among-high (LH), not part of the cluster.
    assert set(b.loc[sorted(outside), "lisa_class"]) == {"LH"}


def test_eb_rates_in_the_table_equal_esda(gdf_grid10: pd.DataFrame) -> None:
    counts = planted()
    res = compute_hotspots(gdf_grid10, caseloads({"2023": counts}))
    expected = 1000 * Empirical_Bayes(counts, YOUTH).r.ravel()
    np.testing.assert_allclose(res.buurt["rate_eb"].to_numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(res.buurt["rate_raw"].to_numpy(), 1000 * counts / YOUTH, rtol=1e-12)


def naive_adjust(p: np.ndarray, correction: str) -> np.ndarray:
    """Reject decisions written out: none, Bonferroni, or Benjamini–Hochberg step-up."""
    n = len(p)
    if correction == "none":
        return p <= 0.05
    if correction == "bonferroni":
        return p <= 0.05 / n
    order = np.argsort(p)
    k = max([i for i in range(1, n + 1) if p[order[i - 1]] <= i * 0.05 / n], default=0)
    reject = np.zeros(n, dtype=bool)
    reject[order[:k]] = True
    return reject


@pytest.mark.parametrize("correction", ["none", "bonferroni", "fdr"])
@pytest.mark.parametrize("alternative", ["two-sided", "directed"])
def test_classes_equal_esda_computed_directly(gdf_grid10: pd.DataFrame, correction: str, alternative: str) -> None:
    rng = np.random.default_rng(21)
    counts = rng.poisson(planted() * YOUTH / 450 * 0.8).astype(float)
    res = compute_hotspots(
        gdf_grid10,
        caseloads({"2023": counts}),
        options=HotspotOptions(correction=correction, alternative=alternative),  # type: ignore[arg-type]
    )
    w = Queen.from_dataframe(gdf_grid10, ids=CODES, use_index=False, silence_warnings=True)
    eb = 1000 * Empirical_Bayes(counts, YOUTH).r.ravel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        g = G_Local(eb, w, transform="B", star=True, permutations=999, seed=DEFAULT_SEED, n_jobs=1)
        lm = Moran_Local_Rate(counts, YOUTH, w, permutations=999, seed=DEFAULT_SEED, n_jobs=1)
    factor = 2.0 if alternative == "two-sided" else 1.0
    # esda stores G's p_sim as float32 (0.05 becomes 0.0500000007): back to the exact (M + 1) / (R + 1).
    g_p = np.rint(g.p_sim.astype("float64") * 1000) / 1000
    gi_sig = naive_adjust(np.minimum(factor * g_p, 1.0), correction)
    lisa_sig = naive_adjust(np.minimum(factor * lm.p_sim, 1.0), correction)
    gi_expected = np.where(gi_sig & (g.Zs > 0), "hot", np.where(gi_sig & (g.Zs < 0), "cold", "ns"))
    quadrant = np.array([{1: "HH", 2: "LH", 3: "LL", 4: "HL"}[q] for q in lm.q])
    lisa_expected = np.where(lisa_sig, quadrant, "ns")
    assert res.buurt["gi_class"].tolist() == gi_expected.tolist()
    assert res.buurt["lisa_class"].tolist() == lisa_expected.tolist()
    np.testing.assert_allclose(res.buurt["gi_z"], g.Zs, rtol=1e-10)
    np.testing.assert_allclose(res.buurt["lisa_i"], lm.Is, rtol=1e-10)
    # The data hold a signal, so the comparison is not between two all-'ns' columns.
    assert (res.buurt["gi_class"] == "hot").any() or correction == "bonferroni"


def test_results_are_stable_across_runs(gdf_grid10: pd.DataFrame) -> None:
    counts = np.random.default_rng(5).poisson(planted() * 0.9).astype(float)
    df = caseloads({"2023": counts, "2024": counts[::-1].copy()})
    np.random.seed(1)
    first = compute_hotspots(gdf_grid10, df)
    np.random.seed(99)  # whatever else happened to NumPy's global generator in between
    second = compute_hotspots(gdf_grid10, df)
    pd.testing.assert_frame_equal(first.buurt, second.buurt)
    pd.testing.assert_frame_equal(first.change, second.change)
    other_seed = compute_hotspots(gdf_grid10, df, options=HotspotOptions(seed=7))
    assert not np.array_equal(first.buurt["gi_p"], other_seed.buurt["gi_p"])


def test_every_buurt_gets_a_row_and_excluded_ones_a_reason() -> None:
    gdf = grid_buurten(5)
    island = gdf.iloc[[0]].copy()
    island["buurtcode"] = "BU99990909"
    island = island.set_geometry([box(137500.0, 455000.0, 137600.0, 455100.0)], crs=gdf.crs)
    gdf = pd.concat([gdf, island], ignore_index=True)
    gdf["water"] = gdf["buurtcode"].eq("BU99990505")
    codes = gdf["buurtcode"].tolist()
    youth = pd.Series(300.0, index=codes)
    youth["BU99990101"] = 0.0  # nobody under 18 lives there
    youth["BU99990505"] = 0.0  # water
    rows = pd.DataFrame(
        {"buurtcode": codes, "periode": "2024", "soort": "totaal", "aantal": 12.0, "youth_population": youth.to_numpy()}
    )
    rows.loc[rows["buurtcode"] == "BU99990303", "aantal"] = np.nan
    rows.loc[rows["buurtcode"] == "BU99990101", "aantal"] = 0.0
    rows = rows[rows["buurtcode"] != "BU99990202"]  # no row at all
    res = compute_hotspots(gdf, rows)
    b = res.buurt.set_index("buurtcode")
    assert sorted(b.index) == sorted(codes)
    assert b.loc["BU99990101", "reason"] == "no_youth"
    assert b.loc["BU99990505", "reason"] == "water"
    assert b.loc["BU99990303", "reason"] == "no_count"
    assert b.loc["BU99990202", "reason"] == "no_count"
    excluded = ["BU99990101", "BU99990505", "BU99990303", "BU99990202"]
    assert b.loc[excluded, "gi_class"].isna().all()
    assert b.loc[excluded, "rate_eb"].isna().all()
    # The island is attached to its nearest buurt, tested like any other, and reported.
    assert pd.isna(b.loc["BU99990909", "reason"])
    assert b.loc["BU99990909", "gi_class"] == "ns"
    assert res.method["weights"]["islands_attached_to"] == {"BU99990909": "BU99990105"}
    family = res.method["families"][0]
    assert family["excluded"] == {"no_count": 2, "no_youth": 1, "water": 1}
    assert family["islands_attached_to"] == {"BU99990909": "BU99990105"}


def test_island_excluded_by_choice_keeps_its_rates(gdf_grid10: pd.DataFrame) -> None:
    island = gdf_grid10.iloc[[0]].copy()
    island["buurtcode"] = "BU99991111"
    island = island.set_geometry([box(140000.0, 455000.0, 140100.0, 455100.0)], crs=gdf_grid10.crs)
    gdf = pd.concat([gdf_grid10, island], ignore_index=True)
    df = caseloads({"2023": planted()})
    df = pd.concat([df, df.iloc[[0]].assign(buurtcode="BU99991111")], ignore_index=True)
    res = compute_hotspots(gdf, df, options=HotspotOptions(weights=WeightsSpec(islands="exclude")))
    row = res.buurt.set_index("buurtcode").loc["BU99991111"]
    assert row["reason"] == "island"
    assert row["rate_eb"] > 0
    assert pd.isna(row["gi_class"])
    assert np.isnan(row["rate_seb"])


def test_change_between_periods(gdf_grid10: pd.DataFrame) -> None:
    before = BASE.copy()
    after = planted()  # the block quadruples in the second period
    res = compute_hotspots(gdf_grid10, caseloads({"2023": before, "2024": after}))
    ch = res.change.set_index("buurtcode")
    assert set(ch["periode_van"]) == {"2023"}
    assert set(ch["periode_tot"]) == {"2024"}
    b = res.buurt.set_index(["periode", "buurtcode"])["rate_eb"]
    code = "BU99990505"
    assert ch.loc[code, "change_abs"] == pytest.approx(b[("2024", code)] - b[("2023", code)])
    assert ch.loc[code, "change_rel"] == pytest.approx(b[("2024", code)] / b[("2023", code)] - 1)
    assert set(ch.index[ch["change_class"] == "hot"]) == CORE
    assert set(ch.index[ch["change_class"] != "ns"]) == CORE
    assert res.method["change"]["from"] == "2023"
    assert res.method["change"]["to"] == "2024"


def test_change_periods_can_be_chosen_and_are_checked(gdf_grid10: pd.DataFrame) -> None:
    df = caseloads({"2022": BASE, "2023": BASE + 1, "2024": planted()})
    res = compute_hotspots(gdf_grid10, df, options=HotspotOptions(change=("2022", "2024")))
    assert set(res.change["periode_van"]) == {"2022"}
    default = compute_hotspots(gdf_grid10, df)
    assert set(default.change["periode_van"]) == {"2023"}
    with pytest.raises(InputError) as err:
        compute_hotspots(gdf_grid10, df, options=HotspotOptions(change=("2021", "2024")))
    assert err.value.problems[0].column == "--change"
    assert "2022, 2023, 2024" in err.value.problems[0].en


def test_one_period_gives_an_empty_change_table_with_its_columns(gdf_grid10: pd.DataFrame) -> None:
    res = compute_hotspots(gdf_grid10, caseloads({"2023": BASE}))
    assert res.change.empty
    assert "change_class" in res.change.columns
    assert any("fewer than two periods" in n for n in res.notes)


def test_bonferroni_out_of_reach_is_said_not_hidden(gdf_grid10: pd.DataFrame) -> None:
    res = compute_hotspots(gdf_grid10, caseloads({"2023": planted()}), options=HotspotOptions(correction="bonferroni"))
    # p ≥ 2/1000 two-sided, α/n = 0.0005: nothing can pass, and the notes say how many permutations would.
    assert set(res.buurt["gi_class"]) == {"ns"}
    assert any("no buurt can pass Bonferroni" in n and "3999 permutations" in n for n in res.notes)
    enough = compute_hotspots(
        gdf_grid10, caseloads({"2023": planted()}), options=HotspotOptions(correction="bonferroni", permutations=3999)
    )
    assert set(enough.buurt.loc[enough.buurt["gi_class"] == "hot", "buurtcode"]) == CORE


def test_manifest_records_the_method(gdf_grid10: pd.DataFrame) -> None:
    opts = HotspotOptions(
        permutations=499, seed=42, alpha=0.1, correction="bonferroni", weights=WeightsSpec("knn", k=4)
    )
    res = compute_hotspots(gdf_grid10, caseloads({"2023": BASE}), options=opts)
    m = res.method
    assert (m["permutations"], m["seed"], m["alpha"], m["correction"], m["alternative"]) == (
        499,
        42,
        0.1,
        "bonferroni",
        "two-sided",
    )
    assert m["weights"]["kind"] == "knn"
    assert m["weights"]["k"] == 4
    assert "Gi*" in m["method"]
    assert "Moran" in m["method"]
    assert m["families"][0]["n_tested"] == 100
    assert m["min_attainable_p"] == pytest.approx(2 / 500)
    assert isinstance(m["numba"], bool)


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [
        ({"permutations": 10}, "--permutations"),
        ({"seed": -1}, "--seed"),
        ({"seed": 2**32}, "--seed"),
        ({"alpha": 0.0}, "--alpha"),
        ({"alpha": 0.7}, "--alpha"),
        ({"correction": "holm"}, "--correction"),
        ({"alternative": "greater"}, "--alternative"),
        ({"change": ("2024", "2024")}, "--change"),
    ],
)
def test_bad_options_are_refused_with_the_flag_named(kwargs: dict[str, object], flag: str) -> None:
    with pytest.raises(InputError) as err:
        HotspotOptions(**kwargs)  # type: ignore[arg-type]
    problem = err.value.problems[0]
    assert problem.code == "HOTSPOT_OPTION"
    assert problem.column == flag
    assert flag in problem.nl
    assert flag in problem.en


def test_caseloads_without_required_columns_or_with_duplicates_are_refused(gdf_grid10: pd.DataFrame) -> None:
    df = caseloads({"2023": BASE})
    with pytest.raises(InputError) as err:
        compute_hotspots(gdf_grid10, df.drop(columns="aantal"))
    assert err.value.problems[0].column == "aantal"
    with pytest.raises(InputError) as err:
        compute_hotspots(gdf_grid10, pd.concat([df, df.iloc[[3]]]))
    assert err.value.problems[0].code == "HOTSPOT_DUPLICATE"
    assert "BU99990104" in err.value.problems[0].en


def test_a_count_without_youth_is_left_out_and_reported(gdf_grid10: pd.DataFrame) -> None:
    df = caseloads({"2023": BASE})
    df.loc[df["buurtcode"] == "BU99990101", "youth_population"] = 0.0
    res = compute_hotspots(gdf_grid10, df)
    row = res.buurt.set_index("buurtcode").loc["BU99990101"]
    assert row["reason"] == "count_without_youth"
    assert pd.isna(row["gi_class"])
    assert any("BU99990101" in n and "no youth" in n for n in res.notes)


def test_results_are_the_same_in_a_fresh_process(gdf_grid10: pd.DataFrame) -> None:
    """The seed fixes esda's permutation stream across processes too (nothing depends on earlier state)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import json, sys; sys.path.insert(0, 'tests');"
        "from conftest import grid_buurten; from test_hotspots import caseloads, planted;"
        "from etl.hotspots import HotspotOptions, compute_hotspots;"
        "r = compute_hotspots(grid_buurten(10), caseloads({'2023': planted()}), options=HotspotOptions(permutations=199));"
        "print(json.dumps([r.buurt['gi_p'].tolist(), r.buurt['lisa_p'].tolist()]))"
    )
    repo = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, check=True, timeout=600
    )
    gi_p, lisa_p = json.loads(done.stdout.strip().splitlines()[-1])
    here = compute_hotspots(gdf_grid10, caseloads({"2023": planted()}), options=HotspotOptions(permutations=199))
    assert here.buurt["gi_p"].tolist() == gi_p
    assert here.buurt["lisa_p"].tolist() == lisa_p


def test_referral_route_rows_do_not_count_twice(gdf_grid10: pd.DataFrame) -> None:
    plain = caseloads({"2023": planted()}).assign(verwijzer="")
    routes = plain.assign(verwijzer="huisarts", aantal=plain["aantal"] // 2)
    with_routes = compute_hotspots(gdf_grid10, pd.concat([plain, routes], ignore_index=True))
    without = compute_hotspots(gdf_grid10, caseloads({"2023": planted()}))
    pd.testing.assert_frame_equal(with_routes.buurt, without.buurt)
