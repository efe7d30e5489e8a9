"""Referral routes in caseload files: the `verwijzer` column, its synonyms and its problems, on the tiny grid."""

from __future__ import annotations

import pandas as pd
import pytest
from care_fixtures import reference, text_frame
from test_care_rules import VARIANTS

from etl.rules import validate
from etl.rules.caseloads import parse_referral, suggest_referral
from geodata.errors import InputError
from geodata.tables import read_table_bytes

WIDE = "buurtcode;periode;verwijzer;buurtteam;specialistisch;verblijf;totaal"


def _frame(text: str) -> pd.DataFrame:
    return validate("caseloads", text_frame(text), name="c.csv", reference=reference()).frame


def _problems(text: str) -> list[tuple[str, int | None, str | None, str, str]]:
    with pytest.raises(InputError) as err:
        validate("caseloads", text_frame(text), name="c.csv", reference=reference())
    return [(p.code, p.row, p.column, p.nl, p.en) for p in err.value.problems]


@pytest.mark.parametrize(
    ("typed", "route"),
    [
        ("buurtteam", "buurtteam"),
        ("Wijkteam", "buurtteam"),
        ("  BUURTTEAM jeugd en gezin ", "buurtteam"),
        ("Gemeentelijke toegang", "buurtteam"),
        ("neighbourhood team", "buurtteam"),
        ("huisarts", "huisarts"),
        ("GP", "huisarts"),
        ("General Practitioner", "huisarts"),
        ("POH-GGZ", "huisarts"),
        ("jeugdarts", "jeugdarts"),
        ("JGZ", "jeugdarts"),
        ("youth doctor", "jeugdarts"),
        ("SAVE", "save"),
        ("Jeugdbescherming/SAVE", "save"),
        ("jeugdbescherming", "save"),
        ("Gecertificeerde instelling", "save"),
        ("child protection", "save"),
        ("medisch specialist", "medisch_specialist"),
        ("Medical specialist", "medisch_specialist"),
        ("kinderarts", "medisch_specialist"),
        ("medisch_specialist", "medisch_specialist"),
        ("overig", "overig"),
        ("Onbekend", "overig"),
        ("overig/onbekend", "overig"),
        ("other", "overig"),
        ("unknown", "overig"),
        ("geen verwijzer", "overig"),
    ],
)
def test_every_route_and_its_synonyms_case_and_space_insensitive(typed: str, route: str) -> None:
    assert parse_referral(typed) == route


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("huisart", "huisarts"),
        ("jeugd-arst", "jeugdarts"),
        ("buurteam", "buurtteam"),
        ("medisch specalist", "medisch specialist"),
    ],
)
def test_near_misses_get_a_suggestion(typed: str, meant: str) -> None:
    assert parse_referral(typed) is None
    assert suggest_referral(typed) == meant


def test_rows_without_verwijzer_work_exactly_as_before() -> None:
    without = _frame("buurtcode;periode;buurtteam;specialistisch;totaal\nBU03440101;2024;10;8;15")
    empty_column = _frame("buurtcode;periode;verwijzer;buurtteam;specialistisch;totaal\nBU03440101;2024;;10;8;15")
    pd.testing.assert_frame_equal(without, empty_column)
    assert without["verwijzer"].isna().all()
    assert without.set_index("soort")["aantal"].to_dict() == {"buurtteam": 10, "specialistisch": 8, "totaal": 15}


def test_wide_route_rows_are_read_and_add_up_to_the_count() -> None:
    frame = _frame(
        f"{WIDE}\n"
        "BU03440101;2024;;10;8;1;15\n"
        "BU03440101;2024;Wijkteam;;5;1;\n"
        "BU03440101;2024;GP;0;2;;\n"  # an Excel-filled 0 in a column routes do not apply to is harmless
        "BU03440101;2024;Jeugdbescherming/SAVE;;1;;\n"
        "BU03440102;2024;huisarts;;2;;\n"  # no row without verwijzer: the routes are the count
        "BU03440102;2024;overig;;4;;\n"
    )
    routes = frame[frame["verwijzer"].notna()].set_index(["code", "soort", "verwijzer"])["aantal"].to_dict()
    assert routes == {
        ("BU03440101", "specialistisch", "buurtteam"): 5,
        ("BU03440101", "specialistisch", "huisarts"): 2,
        ("BU03440101", "specialistisch", "save"): 1,
        ("BU03440101", "verblijf", "buurtteam"): 1,
        ("BU03440102", "specialistisch", "huisarts"): 2,
        ("BU03440102", "specialistisch", "overig"): 4,
    }
    counts = frame[frame["verwijzer"].isna()].set_index(["code", "soort"])["aantal"].to_dict()
    assert counts[("BU03440101", "specialistisch")] == 8
    assert counts[("BU03440102", "specialistisch")] == 6  # 2 + 4
    assert ("BU03440102", "totaal") not in counts


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_long_form_with_verwijzer_in_every_format(variant: str) -> None:
    rows: list[list[object]] = [
        ["Buurtcode", "Periode", "Soort", "Verwijzer", "Aantal"],
        ["BU03440101", "2024", "specialistisch", "", 7],
        ["BU03440101", "2024", "specialistisch", "Buurtteam", 4],
        ["BU03440101", "2024", "specialistisch", "Huisarts", 3],
        ["BU03440101", "2024", "verblijf", "Medisch specialist", 1],
    ]
    frame = validate(
        "caseloads", read_table_bytes(VARIANTS[variant](rows), name="c"), name="c", reference=reference()
    ).frame
    assert frame[["soort", "verwijzer", "aantal"]].astype(object).where(frame.notna(), None).values.tolist() == [
        ["specialistisch", None, 7],
        ["specialistisch", "buurtteam", 4],
        ["specialistisch", "huisarts", 3],
        ["verblijf", None, 1],
        ["verblijf", "medisch_specialist", 1],
    ]


def test_header_synonyms_for_the_column() -> None:
    for header in ("Verwijzer", "verwijzing", "Referral source", "referred_by", "Route"):
        frame = _frame(f"buurtcode;periode;{header};specialistisch\nBU03440101;2024;GP;3")
        assert frame["verwijzer"].dropna().tolist() == ["huisarts"]


def test_unknown_route_names_file_row_column_in_both_languages_with_a_suggestion() -> None:
    found = _problems(f"{WIDE}\nBU03440101;2024;;10;8;0;15\nBU03440101;2024;huisart;;8;;")
    assert [(c, r, col) for c, r, col, _, _ in found] == [("REFERRAL_INVALID", 3, "verwijzer")]
    _, _, _, nl, en = found[0]
    assert "'huisart'" in nl
    assert "Bedoelt u huisarts?" in nl
    assert "Did you mean huisarts?" in en
    assert "buurtteam, huisarts, jeugdarts, SAVE, medisch specialist, overig" in en


def test_something_unrelated_gets_no_suggestion() -> None:
    ((_, _, _, nl, en),) = _problems("buurtcode;periode;verwijzer;specialistisch\nBU03440101;2024;de buurvrouw;3")
    assert "Bedoelt u" not in nl
    assert "Did you mean" not in en


@pytest.mark.parametrize(
    ("text", "row", "column"),
    [
        (f"{WIDE}\nBU03440101;2024;GP;2;3;;", 2, "buurtteam"),
        (f"{WIDE}\nBU03440101;2024;GP;;3;;3", 2, "totaal"),
        ("buurtcode;periode;soort;verwijzer;aantal\nBU03440101;2024;jeugdbescherming;SAVE;3", 2, "soort"),
    ],
)
def test_routes_only_for_specialist_care(text: str, row: int, column: str) -> None:
    found = _problems(text)
    assert [(c, r, col) for c, r, col, _, _ in found] == [("REFERRAL_TYPE_INVALID", row, column)]
    assert "specialistisch en verblijf" in found[0][3]
    assert "specialistisch and verblijf" in found[0][4]


def test_routes_that_do_not_add_up_to_the_count_are_refused() -> None:
    found = _problems(f"{WIDE}\nBU03440101;2024;;10;8;0;15\nBU03440101;2024;buurtteam;;5;;\nBU03440101;2024;GP;;2;;")
    assert [(c, r, col) for c, r, col, _, _ in found] == [("REFERRAL_SUM_MISMATCH", 2, "specialistisch")]
    assert "buurtteam 5, huisarts 2" in found[0][3]
    assert "is 8" in found[0][4]
    assert "add up to 7" in found[0][4]


def test_the_same_route_twice_is_a_duplicate_naming_the_route() -> None:
    found = _problems(f"{WIDE}\nBU03440101;2024;GP;;2;;\nBU03440101;2024;huisarts;;3;;")
    assert [(c, r) for c, r, _, _, _ in found] == [("ROW_DUPLICATE", 3)]
    assert "verwijzer huisarts" in found[0][3]
    assert "referral huisarts" in found[0][4]


def test_counts_in_route_rows_are_checked_like_any_count() -> None:
    found = _problems(f"{WIDE}\nBU03440101;2024;GP;;-2;;\nBU03440102;2024;GP;;<5;;\nBU03440103;2024;GP;;veel;;")
    assert {(c, r) for c, r, _, _, _ in found} == {
        ("COUNT_NEGATIVE", 2),
        ("COUNT_SUPPRESSED", 3),
        ("NUMBER_INVALID", 4),
    }
