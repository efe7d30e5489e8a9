"""Demo inputs: deterministic, fictitious, valid, on the real boundaries, about 12% of youth in care."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etl import demo
from etl.atlas import read_atlas
from etl.rules import CareReference, validate


@pytest.fixture(scope="module")
def utrecht(default_atlas: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    atlas = read_atlas(default_atlas, layers=["buurten", "wijken"])
    return atlas["buurten"], atlas["wijken"]


def test_allocate_largest_remainder_at_least_one_each() -> None:
    assert demo._allocate(np.array([10.0, 10.0, 80.0]), 10).tolist() == [1, 1, 8]
    assert demo._allocate(np.array([1.0, 1.0, 1.0]), 4).sum() == 4
    assert demo._allocate(np.array([0.0, 0.0]), 3).tolist() in ([2, 1], [1, 2])


def test_split_along_axis_keeps_groups_contiguous_and_balanced() -> None:
    points = np.column_stack([np.arange(6, dtype=float), np.zeros(6)])
    groups = demo._split_along_axis(points, np.ones(6), 3)
    assert sorted(sorted(g.tolist()) for g in groups) == [[0, 1], [2, 3], [4, 5]]


@pytest.mark.integration
def test_demo_teams_are_deterministic_valid_and_by_buurtcode(utrecht: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    buurten, wijken = utrecht
    a = demo.demo_teams(buurten, wijken, seed=7)
    pd.testing.assert_frame_equal(a, demo.demo_teams(buurten, wijken, seed=7))
    assert not a.equals(demo.demo_teams(buurten, wijken, seed=8))  # capacities differ
    assert set(a.columns) == {"team_id", "naam", "organisatie", "soort", "buurtcode", "capaciteit_fte", "max_caseload"}
    assert a["naam"].str.endswith("(demo)").all()
    ref = CareReference.from_frames(buurten, wijken, year=2024)
    checked = validate("teams", a, name="demo", reference=ref).frame
    assert (checked["locatie_bron"] == "buurtcode").all()
    assert a["organisatie"].value_counts().to_dict() == {"Lokalis": 18, "Spoor030": 6, "KOOS": 4}


@pytest.mark.integration
def test_demo_caseloads_12_percent_with_small_counts(utrecht: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    buurten, wijken = utrecht
    c = demo.demo_caseloads(buurten, seed=3)
    pd.testing.assert_frame_equal(c, demo.demo_caseloads(buurten, seed=3))
    ref = CareReference.from_frames(buurten, wijken, year=2024)
    frame = validate("caseloads", c, name="demo", reference=ref).frame  # totaal within [max type, sum types]
    wide = frame.pivot_table(index=["code", "periode"], columns="soort", values="aantal", aggfunc="sum")
    youth = buurten.set_index("buurtcode")["youth_population"].round()
    for periode in demo.PERIODS:
        per = wide.xs(periode, level="periode")
        share = per["totaal"].sum() / youth.sum()
        assert abs(share - demo.SHARE_WITH_CARE) < 0.01, (periode, share)
    assert ((frame["aantal"] >= 1) & (frame["aantal"] <= 4)).sum() > 50
    assert (wide["totaal"] <= youth.reindex(wide.index.get_level_values("code")).to_numpy()).all()
    empty = buurten.loc[buurten["youth_population"].fillna(0) == 0, "buurtcode"]
    assert (wide.loc[wide.index.get_level_values("code").isin(empty), "totaal"] == 0).all()
