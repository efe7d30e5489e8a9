"""The one number formatter: a hand-derived table per language, and the texts the former formatters gave."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.numbers import (
    format_count,
    format_metres,
    format_minutes,
    format_number,
    format_percent,
    format_points,
    format_rate,
    format_scale_label,
)
from etl.protect import SECONDARY, SECONDARY_LABEL, protection_marker
from reports.mapfig import SCALE_STEPS, _scale_label_annotations, scale_bar_length

# (value, decimals, Dutch, English), each worked out by hand
NUMBERS: list[tuple[object, int, str, str]] = [
    (0, 0, "0", "0"),
    (0, 1, "0,0", "0.0"),
    (0.0, 2, "0,00", "0.00"),
    (-0.0, 1, "0,0", "0.0"),
    (-0.04, 1, "0,0", "0.0"),  # rounds to zero: no minus sign
    (-0.4, 0, "0", "0"),
    (-7, 0, "-7", "-7"),
    (-1234.5, 1, "-1.234,5", "-1,234.5"),
    (-1234567.891, 2, "-1.234.567,89", "-1,234,567.89"),
    (1234567.891, 0, "1.234.568", "1,234,568"),
    (1234567.891, 1, "1.234.567,9", "1,234,567.9"),
    (1234567.891, 3, "1.234.567,891", "1,234,567.891"),
    (0.05, 0, "0", "0"),
    (0.05, 1, "0,1", "0.1"),
    (0.05, 2, "0,05", "0.05"),
    (999.5, 0, "1.000", "1,000"),
    (2.5, 0, "2", "2"),  # halves go to the even neighbour, as Python's formatting does
    (3.5, 0, "4", "4"),
    (1234, 0, "1.234", "1,234"),
    (1234, 2, "1.234,00", "1,234.00"),
    (np.int64(1234567), 0, "1.234.567", "1,234,567"),
    (np.float32(0.5), 1, "0,5", "0.5"),
    (10**20 + 1, 0, "100.000.000.000.000.000.001", "100,000,000,000,000,000,001"),  # every digit of a large int
    ("12.5", 1, "12,5", "12.5"),  # text holding a number, as a table cell may
    (None, 1, "–", "–"),
    (math.nan, 1, "–", "–"),
    (np.nan, 0, "–", "–"),
    (np.float32("nan"), 1, "–", "–"),
    (pd.NA, 0, "–", "–"),
    ("geen", 0, "–", "–"),
]


@pytest.mark.parametrize(("value", "decimals", "nl", "en"), NUMBERS)
def test_numbers_by_hand(value: object, decimals: int, nl: str, en: str) -> None:
    assert format_number(value, decimals=decimals) == nl
    assert format_number(value, decimals=decimals, lang="nl") == nl
    assert format_number(value, decimals=decimals, lang="en") == en


@pytest.mark.parametrize(
    ("value", "decimals", "nl", "en"),
    [
        (2.5, 1, "2,5", "2.5"),
        (2.0, 1, "2", "2"),
        (1234.50, 2, "1.234,5", "1,234.5"),
        (1000.0, 3, "1.000", "1,000"),
        (1000, 0, "1.000", "1,000"),
        (-0.001, 1, "0", "0"),
        (0.4, 6, "0,4", "0.4"),
        (None, 1, "–", "–"),
    ],
)
def test_trim_drops_trailing_zeros_only_after_the_decimal_mark(value: object, decimals: int, nl: str, en: str) -> None:
    assert format_number(value, decimals=decimals, trim=True) == nl
    assert format_number(value, decimals=decimals, trim=True, lang="en") == en


def test_counts_rates_and_protected_cells() -> None:
    assert [format_count(v) for v in (0, 7, 1234.0, 1234567.891, -3, None, math.nan)] == [
        "0",
        "7",
        "1.234",
        "1.234.568",
        "-3",
        "–",
        "–",
    ]
    assert [format_count(v, lang="en") for v in (0, 1234.0, 1234567.891, None)] == ["0", "1,234", "1,234,568", "–"]
    assert format_rate(12.345) == "12,3"
    assert format_rate(0.05, decimals=2, lang="en") == "0.05"
    assert format_rate(1234567.891, lang="en") == "1,234,567.9"
    # the marker is protection's text; the formatter shows it instead of the number, whatever the value
    assert format_count(3, marker=protection_marker(suppressed=True)) == "<5"
    assert format_count(math.nan, marker=protection_marker(suppressed=True, reason=SECONDARY)) == SECONDARY_LABEL
    assert format_rate(7.0, lang="en", marker=protection_marker(suppressed=True, threshold=10)) == "<10"
    assert format_count(7, marker=protection_marker(suppressed=False)) == "7"


def test_percentages_minutes_and_metres() -> None:
    assert [format_percent(v) for v in (0, 0.05, 0.6667, 1, -0.5, None, math.nan)] == [
        "0%",
        "5%",
        "67%",
        "100%",
        "-50%",
        "–",
        "–",
    ]
    assert format_percent(0.6667, decimals=1) == "66,7%"
    assert format_percent(0.6667, decimals=1, lang="en") == "66.7%"
    assert format_points(-0.5111) == "-51,1 pp"
    assert format_points(0.00001, lang="en") == "0.0 pp"
    assert format_points(None) == "–"
    assert format_minutes(12.34) == "12,3 min"
    assert format_minutes(1234.56, decimals=0, lang="en") == "1,235 min"
    assert format_minutes(math.nan) == "–"
    assert format_metres(1234.4) == "1.234 m"
    assert format_metres(640, lang="en") == "640 m"
    assert format_metres(None) == "–"


@pytest.mark.parametrize(
    ("metres", "nl", "en"),
    [
        (10, "10 m", "10 m"),
        (250, "250 m", "250 m"),
        (999, "999 m", "999 m"),
        (1000, "1 km", "1 km"),
        (1234, "1,2 km", "1.2 km"),
        (2500, "2,5 km", "2.5 km"),
        (25000, "25 km", "25 km"),
        (50000, "50 km", "50 km"),
        (1_250_000, "1.250 km", "1,250 km"),
    ],
)
def test_scale_labels_by_hand(metres: int, nl: str, en: str) -> None:
    assert format_scale_label(metres) == nl
    assert format_scale_label(metres, lang="en") == en


# ---------------------------------------------------------------- the texts the former formatters gave


def _former_format_number(value: float | int | None, *, decimals: int = 0, lang: str = "nl") -> str:
    """views.i18n.format_number as it was."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    if text.startswith("-") and set(text[1:]) <= {"0", ".", ","}:
        text = text[1:]
    if lang == "nl":
        text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return text


def _former_format_count(value: float | None, *, lang: str = "nl") -> str:
    """etl.protect.format_count as it was, for a shown count."""
    if value is None or math.isnan(value):
        return "–"
    text = f"{round(value):,}"
    return text.replace(",", ".") if lang == "nl" else text


def _former_format_rate(value: float | None, *, decimals: int = 1, lang: str = "nl") -> str:
    """etl.protect.format_rate as it was, for a shown rate."""
    if value is None or math.isnan(value):
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def _former_scale_label(metres: int) -> str:
    """reports.mapfig._scale_label as it was (always Dutch)."""
    return (
        f"{metres // 1000} km"
        if metres >= 1000 and metres % 1000 == 0
        else (f"{metres / 1000:.1f} km".replace(".", ",") if metres >= 1000 else f"{metres} m")
    )


FLOATS = st.one_of(st.floats(min_value=-1e12, max_value=1e12), st.just(math.nan))


@given(
    value=st.one_of(FLOATS, st.integers(-(10**15), 10**15), st.none()),
    decimals=st.integers(0, 4),
    lang=st.sampled_from(["nl", "en"]),
)
def test_numbers_read_as_the_dashboard_showed_them(value: float | int | None, decimals: int, lang: str) -> None:
    assert format_number(value, decimals=decimals, lang=lang) == _former_format_number(
        value, decimals=decimals, lang=lang
    )  # type: ignore[arg-type]


@given(value=st.one_of(FLOATS, st.none()), decimals=st.integers(0, 3), lang=st.sampled_from(["nl", "en"]))
def test_counts_and_rates_read_as_protection_showed_them(value: float | None, decimals: int, lang: str) -> None:
    assert format_count(value, lang=lang) == _former_format_count(value, lang=lang)  # type: ignore[arg-type]
    former = _former_format_rate(value, decimals=decimals, lang=lang)
    # one difference: a rate rounding to zero from below lost its '-' in the dashboard's text but not here before
    assert format_rate(value, decimals=decimals, lang=lang) == (
        former.removeprefix("-") if set(former) <= set("-0.,") else former
    )  # type: ignore[arg-type]


@given(metres=st.integers(1, 999_949))  # from 1.000 km on the label gains a thousands separator
def test_scale_labels_read_as_the_export_map_showed_them(metres: int) -> None:
    assert format_scale_label(metres) == _former_scale_label(metres)


@pytest.mark.parametrize(
    ("step", "label"),
    [
        (10, "10 m"),
        (20, "20 m"),
        (25, "25 m"),
        (50, "50 m"),
        (100, "100 m"),
        (200, "200 m"),
        (250, "250 m"),
        (500, "500 m"),
        (1000, "1 km"),
        (2000, "2 km"),
        (2500, "2,5 km"),
        (5000, "5 km"),
        (10000, "10 km"),
        (20000, "20 km"),
        (25000, "25 km"),
        (50000, "50 km"),
    ],
)
def test_the_export_map_labels_each_scale_bar_as_before(step: int, label: str) -> None:
    width = step * 5.0  # a map five bars wide gets exactly this bar
    assert scale_bar_length(width) == step
    zero, end = _scale_label_annotations(0.0, 0.0, width, width, 13)
    assert (zero["text"], end["text"]) == ("0", label)
    assert label == _former_scale_label(step)


def test_every_scale_step_is_labelled_by_hand() -> None:
    tested = {10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000}
    assert set(SCALE_STEPS) == tested


def test_the_dashboard_call_sites_give_the_texts_they_gave() -> None:
    from dashboard.routes import _text
    from views.i18n import format_size

    assert _text(pd.Series({"status": "ok", "share": 0.456}), "nl", 5) == "46%"
    assert _text(pd.Series({"status": "ok", "share": 0.0049}), "en", 5) == "0%"
    assert _text(pd.Series({"status": "missing", "share": math.nan}), "nl", 5) == "–"
    assert format_size(2_411_725) == "2,3 MB"  # 2.29999… MB
    assert format_size(2_411_725, lang="en") == "2.3 MB"
    assert format_size(3 * 1024 * 1024) == "3 MB"
    assert format_size(500) == "0,5 kB"
