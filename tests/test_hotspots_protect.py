"""What of the hotspot tables may leave the server, and a proof by test that it cannot reveal a suppressed count."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from conftest import grid_buurten
from esda.smoothing import Empirical_Bayes
from scipy.optimize import least_squares

from etl.hotspots import (
    PROTECTED_CHANGE_COLUMNS,
    PROTECTED_COLUMNS,
    compute_hotspots,
    hotspot_layers,
    protected_change,
    protected_hotspots,
    suppression_marks,
)
from etl.protect import protect_caseloads
from etl.rates import eb_prior

N = 6
CODES = [f"BU9999{r:02d}{c:02d}" for r in range(1, N + 1) for c in range(1, N + 1)]
YOUTH = 300.0 + (np.arange(N * N) * 41 % 97)
COUNTS = 6.0 + (np.arange(N * N) * 7 % 23)  # 6–28: nothing small, more spread than chance alone
SMALL = {"BU99990203": 2.0, "BU99990405": 4.0}  # the two buurten whose counts are suppressed


def frame(small: dict[str, float] = SMALL, *, periods: tuple[str, ...] = ("2023",)) -> pd.DataFrame:
    counts = pd.Series(COUNTS, index=CODES)
    for code, value in small.items():
        counts[code] = value
    parts = []
    for i, periode in enumerate(periods):
        parts.append(
            pd.DataFrame(
                {
                    "buurtcode": CODES,
                    "periode": periode,
                    "soort": "totaal",
                    "aantal": counts.to_numpy() + i,
                    "youth_population": YOUTH,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def marks_for(df: pd.DataFrame, codes: set[str]) -> pd.Series:
    return df["buurtcode"].isin(codes)


@pytest.fixture(scope="module")
def gdf6() -> pd.DataFrame:
    return grid_buurten(N)


def test_protected_view_holds_classes_smoothed_rates_and_marks_only(gdf6: pd.DataFrame) -> None:
    df = frame()
    res = compute_hotspots(gdf6, df, suppressed=marks_for(df, set(SMALL)))
    public = protected_hotspots(res.buurt)
    assert tuple(public.columns[: len(PROTECTED_COLUMNS)]) == PROTECTED_COLUMNS
    assert set(public.columns[len(PROTECTED_COLUMNS) :]) == {
        f"{c}__{m}" for c in ("rate_raw", "rate_eb", "rate_seb") for m in ("onderdrukt", "reden")
    }
    assert not {"gi_z", "gi_p", "lisa_i", "lisa_p", "rate_eb_z", "aantal"} & set(public.columns)
    hidden = public.set_index("buurtcode").loc[sorted(SMALL)]
    assert hidden["suppressed"].all()
    assert hidden[["rate_raw", "rate_eb", "rate_seb"]].isna().all().all()
    assert hidden["gi_class"].notna().all()  # the class does leave the server
    shown = public[~public["suppressed"]]
    assert shown[["rate_raw", "rate_eb", "rate_seb"]].notna().all().all()


def test_protected_smoothed_rates_come_from_published_counts_only(gdf6: pd.DataFrame) -> None:
    df = frame()
    res = compute_hotspots(gdf6, df, suppressed=marks_for(df, set(SMALL)))
    public = protected_hotspots(res.buurt).set_index("buurtcode")
    keep = [c not in SMALL for c in CODES]
    e, b = df["aantal"].to_numpy()[keep], YOUTH[keep]
    expected = 1000 * Empirical_Bayes(e, b).r.ravel()
    assert eb_prior(e, b).variance_raw > 0  # else both would be the city rate and prove little
    np.testing.assert_allclose(public.loc[np.array(CODES)[keep], "rate_eb"], expected, rtol=1e-12)
    # The server's own EB rates (from every count) differ: they are not what is published.
    server = res.buurt.set_index("buurtcode")
    assert not np.allclose(server.loc[np.array(CODES)[keep], "rate_eb"], expected)


def test_without_suppression_the_protected_rates_are_the_server_rates(gdf6: pd.DataFrame) -> None:
    df = frame({})
    res = compute_hotspots(gdf6, df, suppressed=marks_for(df, set()))
    public = protected_hotspots(res.buurt)
    np.testing.assert_array_equal(public["rate_eb"], res.buurt["rate_eb"])
    np.testing.assert_array_equal(public["rate_seb"], res.buurt["rate_seb"])


def test_no_published_number_depends_on_a_suppressed_count(gdf6: pd.DataFrame) -> None:
    """The protection rule, tested as what it claims: every suppressed value 1–4 gives the same publication."""
    numeric = ["rate_raw", "rate_eb", "rate_seb"]
    published, changes = [], []
    for a, b in itertools.product(range(1, 5), repeat=2):
        df = frame({"BU99990203": float(a), "BU99990405": float(b)}, periods=("2023", "2024"))
        res = compute_hotspots(gdf6, df, suppressed=marks_for(df, set(SMALL)), options=_fast())
        published.append(protected_hotspots(res.buurt)[numeric])
        changes.append(protected_change(res.change)[["change_abs", "change_rel"]])
    for other in published[1:]:
        pd.testing.assert_frame_equal(other, published[0])
    for other in changes[1:]:
        pd.testing.assert_frame_equal(other, changes[0])


def test_the_naive_rule_would_reveal_suppressed_counts(gdf6: pd.DataFrame) -> None:
    """Why server EB rates are never published, not even for buurten whose own count is shown.

    From two or more published EB rates (and the public raw rates and youth) the EB prior (m, A) follows;
    m gives the total count, A a weighted sum of squares over all buurten, suppressed ones included.
    Two equations in the two suppressed counts: with counts 1–4 the pair is pinned.
    """
    df = frame()
    res = compute_hotspots(gdf6, df, suppressed=marks_for(df, set(SMALL)), options=_fast())
    server = res.buurt.set_index("buurtcode")
    shown = [c for c in CODES if c not in SMALL]
    e = df.set_index("buurtcode").loc[shown, "aantal"].to_numpy()
    b = pd.Series(YOUTH, index=CODES)
    r, eb = e / b[shown].to_numpy(), server.loc[shown, "rate_eb"].to_numpy() / 1000

    def residual(x: np.ndarray) -> np.ndarray:
        m, a = x
        return 1e4 * (m + a / (a + m / b[shown].to_numpy()) * (r - m) - eb)

    m, a = least_squares(residual, x0=[r.mean(), r.var()], xtol=1e-15, ftol=1e-15, gtol=1e-15).x
    total = m * b.sum()
    rest = round(total - e.sum())  # the two suppressed counts together
    sum_sq = (a + m / b.mean()) * b.sum() - (b[shown].to_numpy() * (r - m) ** 2).sum()
    hidden = sorted(SMALL)
    candidates = [
        (x, rest - x)
        for x in range(1, 5)
        if 1 <= rest - x <= 4
        and abs(sum((v / b[c] - m) ** 2 * b[c] for c, v in zip(hidden, (x, rest - x), strict=True)) - sum_sq) < 1e-6
    ]
    assert candidates == [(SMALL[hidden[0]], SMALL[hidden[1]])]


def test_change_is_protected_when_either_period_is_suppressed(gdf6: pd.DataFrame) -> None:
    df = frame(periods=("2023", "2024"))
    res = compute_hotspots(gdf6, df, suppressed=marks_for(df, set(SMALL)), options=_fast())
    public = protected_change(res.change)
    assert tuple(public.columns[: len(PROTECTED_CHANGE_COLUMNS)]) == PROTECTED_CHANGE_COLUMNS
    hidden = public.set_index("buurtcode").loc[sorted(SMALL)]
    assert hidden[["change_abs", "change_rel"]].isna().all().all()
    assert hidden["change_class"].notna().all()


def test_marks_come_from_etl_protect_including_secondary_suppression(gdf6: pd.DataFrame) -> None:
    df = frame({"BU99990203": 2.0})  # one small count in wijk 02: the wijk total would give it away
    marks = suppression_marks(df)
    protected = protect_caseloads(df).buurt
    np.testing.assert_array_equal(marks["suppressed"].to_numpy(), protected["aantal__onderdrukt"].to_numpy(dtype=bool))
    flagged = set(df.loc[marks["suppressed"], "buurtcode"])
    assert "BU99990203" in flagged
    assert len(flagged) >= 2  # a second buurt of the same wijk hides it (secondary suppression)
    how = dict(zip(df["buurtcode"], marks["suppression"], strict=True))
    assert how["BU99990203"] == "primair"
    assert {how[c] for c in flagged - {"BU99990203"}} == {"secundair"}
    res = compute_hotspots(gdf6, df, suppressed=marks["suppressed"], suppression=marks["suppression"], options=_fast())
    public = protected_hotspots(res.buurt).set_index("buurtcode")
    assert public.loc[sorted(flagged), "rate_eb"].isna().all()
    # etl.protect's per-column marks, so the dashboard shows <5 for the small count and • for the other.
    assert public.loc["BU99990203", "rate_eb__reden"] == "primair"
    assert set(public.loc[sorted(flagged - {"BU99990203"}), "rate_eb__reden"]) == {"secundair"}
    assert public.loc[sorted(flagged), "rate_eb__onderdrukt"].all()
    visible = public[~public["suppressed"]]
    assert not visible["rate_eb__onderdrukt"].any()
    assert set(visible["rate_eb__reden"]) == {""}


def test_map_layers_carry_only_protected_values(gdf6: pd.DataFrame) -> None:
    df = frame(periods=("2023", "2024"))
    res = compute_hotspots(gdf6, df, suppressed=marks_for(df, set(SMALL)), options=_fast())
    layers = hotspot_layers(gdf6, res.buurt, res.change)
    assert sorted(layers) == ["hotspots_2023", "hotspots_2024", "hotspots_change_2023_2024"]
    layer = layers["hotspots_2024"]
    assert layer.crs.to_epsg() == 28992
    assert len(layer) == N * N
    assert not any(c.endswith(("_gi_p", "_gi_z", "_lisa_i", "_lisa_p")) for c in layer.columns)
    public = protected_hotspots(res.buurt)
    public = public[public["periode"] == "2024"].set_index("buurtcode")
    by_code = layer.set_index("buurtcode")
    np.testing.assert_array_equal(by_code.loc[public.index, "totaal_rate_eb"].to_numpy(), public["rate_eb"].to_numpy())
    assert by_code.loc["BU99990203", "totaal_suppressed"]


def _fast():  # type: ignore[no-untyped-def]
    from etl.hotspots import HotspotOptions

    return HotspotOptions(permutations=99)


def test_change_mark_is_primary_when_either_period_is_primary(gdf6: pd.DataFrame) -> None:
    df = frame({}, periods=("2023", "2024"))
    how = pd.Series(None, index=df.index, dtype="object")
    a, b = "BU99990203", "BU99990405"
    how[(df["buurtcode"] == a) & (df["periode"] == "2023")] = "secundair"
    how[(df["buurtcode"] == a) & (df["periode"] == "2024")] = "primair"
    how[(df["buurtcode"] == b) & (df["periode"] == "2024")] = "secundair"
    res = compute_hotspots(gdf6, df, suppressed=how.notna(), suppression=how, options=_fast())
    public = protected_change(res.change).set_index("buurtcode")
    assert public.loc[a, "suppression"] == "primair"
    assert public.loc[b, "suppression"] == "secundair"
    assert public.loc[b, "change_abs__reden"] == "secundair"
    assert public["suppressed"].sum() == 2
