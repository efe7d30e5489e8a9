"""Coverage: youth within thresholds, aggregated to buurt, wijk, provider and gemeente (hand-derived)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etl.coverage import coverage_column, coverage_table, coverage_wide, threshold_label

AREAS = pd.DataFrame(
    {
        "buurtcode": ["B1", "B2", "B3", "B4"],
        "wijkcode": ["W1", "W1", "W2", "W2"],
        "gemeentecode": ["G"] * 4,
        "provider": ["KOOS", "KOOS", "Spoor030", None],
    }
)
# B1 has two origins (weighted points); B4 has no provider; minutes to the nearest buurtteam
ORIGINS = pd.DataFrame({"buurtcode": ["B1", "B1", "B2", "B3", "B4"], "weight": [30.0, 10.0, 60.0, 0.0, 25.0]})
TIMES = np.array([5.0, 12.0, 10.0, 3.0, np.inf])


def _table() -> pd.DataFrame:
    return coverage_table(
        origins=ORIGINS,
        areas=AREAS,
        times={("buurtteam", "bike"): TIMES},
        thresholds_min=(10.0, 15.0),
        method="straight_line",
    )


def _row(table: pd.DataFrame, niveau: str, code: str, threshold: float) -> pd.Series:
    sel = table[(table["niveau"] == niveau) & (table["code"] == code) & (table["threshold_min"] == threshold)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_coverage_per_level_by_hand() -> None:
    table = _table()
    assert list(table.columns) == [
        "niveau",
        "code",
        "target",
        "mode",
        "threshold_min",
        "youth_within",
        "youth_total",
        "share",
        "method",
    ]
    # B1: 30 youth at 5 min, 10 at 12 min → within 10 min 30/40, within 15 min 40/40
    assert tuple(_row(table, "buurt", "B1", 10.0)[["youth_within", "youth_total", "share"]]) == (30.0, 40.0, 0.75)
    assert _row(table, "buurt", "B1", 15.0)["share"] == 1.0
    assert _row(table, "buurt", "B2", 10.0)["share"] == 1.0  # exactly on the threshold counts
    assert np.isnan(_row(table, "buurt", "B3", 10.0)["share"])  # no youth: no share
    assert _row(table, "buurt", "B4", 15.0)["share"] == 0.0  # nothing in reach
    # W1 = B1 + B2: (30 + 60) / 100 within 10 min; W2 = B3 + B4: 0 / 25
    assert tuple(_row(table, "wijk", "W1", 10.0)[["youth_within", "youth_total"]]) == (90.0, 100.0)
    assert tuple(_row(table, "wijk", "W2", 15.0)[["youth_within", "youth_total"]]) == (0.0, 25.0)
    # providers: B4 has none and is left out of this level only
    assert tuple(_row(table, "provider", "KOOS", 10.0)[["youth_within", "youth_total"]]) == (90.0, 100.0)
    assert set(table.loc[table["niveau"] == "provider", "code"]) == {"KOOS", "Spoor030"}
    assert tuple(_row(table, "gemeente", "G", 15.0)[["youth_within", "youth_total"]]) == (100.0, 125.0)
    assert set(table["method"]) == {"straight_line"}
    assert len(table) == (4 + 2 + 2 + 1) * 2


def test_coverage_wide_columns() -> None:
    wide = coverage_wide(_table(), niveau="wijk")
    assert list(wide.columns) == ["coverage_bike_10min", "coverage_bike_15min"]
    assert wide.loc["W1", "coverage_bike_10min"] == pytest.approx(0.9)
    assert coverage_wide(_table(), niveau="wijk", mode="car").empty


def test_float32_times_on_a_threshold_count_as_within() -> None:
    t = np.array([0.4], dtype="float32")
    table = coverage_table(
        origins=pd.DataFrame({"buurtcode": ["B1"], "weight": [1.0]}),
        areas=AREAS.iloc[:1],
        times={("buurtteam", "bike"): t.astype("float64")},
        thresholds_min=(0.4,),
        method="network",
    )
    assert _row(table, "buurt", "B1", 0.4)["share"] == 1.0


def test_threshold_labels() -> None:
    assert threshold_label(10.0) == "10"
    assert threshold_label(7.5) == "7_5"
    assert coverage_column("bike", 15.0) == "coverage_bike_15min"
