"""The demo referral mix (fictitious, deterministic, different per wijk) and the default atlas's route tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from etl import demo
from etl.atlas import read_atlas
from etl.rules import CareReference, validate
from etl.rules.columns import REFERRALS
from geodata.reference import utrecht_contract_2020

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def utrecht(default_atlas: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    atlas = read_atlas(default_atlas, layers=["buurten", "wijken"])
    return atlas["buurten"], atlas["wijken"]


def test_mix_per_wijk_is_deterministic_sums_to_one_and_follows_the_consortium() -> None:
    codes = utrecht_contract_2020()["wijkcode"].tolist()
    a = demo.referral_mix(codes, seed=11)
    assert a.keys() == demo.referral_mix(codes, seed=11).keys()
    assert all((a[k] == demo.referral_mix(codes, seed=11)[k]).all() for k in a)
    assert any((a[k] != demo.referral_mix(codes, seed=12)[k]).any() for k in a)
    assert all(abs(v.sum() - 1) < 1e-9 and (v > 0).all() for v in a.values())
    first, last = demo.PERIODS[0], demo.PERIODS[-1]
    assert all(a[(c, last)][0] > a[(c, first)][0] for c in codes)  # the buurtteam gains over time


def test_demo_routes_add_up_to_the_specialist_counts(utrecht: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    buurten, wijken = utrecht
    text = demo.demo_caseloads(buurten, seed=3)
    pd.testing.assert_frame_equal(text, demo.demo_caseloads(buurten, seed=3))
    frame = validate(
        "caseloads", text, name="demo", reference=CareReference.from_frames(buurten, wijken, year=2024)
    ).frame
    routes = frame[frame["verwijzer"].notna()]
    assert set(routes["soort"]) == {"specialistisch"}
    assert set(routes["verwijzer"]) == set(REFERRALS)
    spec = frame[frame["verwijzer"].isna() & (frame["soort"] == "specialistisch")].set_index(["code", "periode"])[
        "aantal"
    ]
    summed = routes.groupby(["code", "periode"])["aantal"].sum()
    assert (summed == spec.reindex(summed.index)).all()
    assert set(spec[spec > 0].index) == set(summed.index)  # every buurt with specialist care has its routes
    # The counts themselves do not depend on the routes: the route rows come from their own random stream.
    counts = text[text["verwijzer"] == ""].drop(columns="verwijzer").reset_index(drop=True)
    assert len(counts) == len(buurten) * len(demo.PERIODS)


@pytest.mark.slow
def test_default_atlas_has_route_tables_that_differ_by_wijk_and_consortium(default_atlas: Path) -> None:
    atlas = read_atlas(
        default_atlas, layers=["referrals_buurt", "referrals_wijk", "referrals_provider", "caseloads_buurt"]
    )
    b, w, p = atlas["referrals_buurt"], atlas["referrals_wijk"], atlas["referrals_provider"]
    assert len(b) == 111 * 2 * 6
    assert len(w) == 10 * 2 * 6
    spec = atlas["caseloads_buurt"]
    spec = spec[spec["soort"] == "specialistisch"].set_index(["buurtcode", "periode"])["aantal"]
    assert (b.groupby(["buurtcode", "periode"])["aantal"].sum() == spec).all()
    share = p[p["verwijzer"] == "buurtteam"].set_index(["provider", "periode"])["aandeel"]
    for periode in demo.PERIODS:
        assert share[("KOOS", periode)] > share[("Spoor030", periode)] + 0.05  # KOOS works more via the buurtteam
    city = w.groupby(["periode", "verwijzer"])["aantal"].sum()
    assert city[("2024", "buurtteam")] / city["2024"].sum() > city[("2023", "buurtteam")] / city["2023"].sum()
    by_wijk = w[w["periode"] == "2024"].pivot_table(index="wijkcode", columns="verwijzer", values="aandeel")
    assert (by_wijk["huisarts"] > by_wijk["buurtteam"]).any()  # a huisarts-heavy wijk
    assert by_wijk["buurtteam"].max() - by_wijk["buurtteam"].min() > 0.15
    manifest = read_atlas(default_atlas, layers=["buurten"]).manifest["care"]["caseloads"]
    assert manifest["referrals"]["periods"] == list(demo.PERIODS)
    assert manifest["referral_mix"]["base"] == demo.REFERRAL_MIX
    assert manifest["is_demo"] is True
