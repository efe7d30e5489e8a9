"""Care-input validation: every format variant, every problem code, code normalisation — on the tiny grid."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from care_fixtures import latlon, reference, text_frame, utrecht_grid

from etl.rules import rule_codes, validate
from etl.rules.caseloads import parse_period
from etl.rules.check import check_file
from geodata.errors import InputError
from geodata.tables import read_table_bytes

# Inside buurt r2c2 (BU03440202): x 136100–136200, y 455100–455200.
LAT, LON = latlon(136150.0, 455150.0)


# ---------------------------------------------------------------- format variants


TEAMS_ROWS = [
    ["team_id", "naam", "organisatie", "soort", "lat", "lon", "x", "y", "buurtcode", "capaciteit_fte", "max_caseload"],
    ["T1", "Team één", "Lokalis", "buurtteam", LAT, LON, "", "", "", 12.5, 150],
    ["T2", "Team twee – Zuid", "KOOS", "specialistisch", "", "", 136250, 455250, "", 8.0, ""],
    ["T3", "Team drie", "spoor030", "Specialistisch", "", "", "", "", "0344 0101", "", 40],
]


def _csv_bytes(
    rows: list[list[object]],
    *,
    sep: str,
    decimal: str,
    encoding: str,
    newline: str = "\n",
    quote_decimals: bool = False,
) -> bytes:
    lines = []
    for row in rows:
        cells = []
        for v in row:
            text = f"{v}" if not isinstance(v, float) else repr(v)
            if isinstance(v, float) and decimal == ",":
                text = text.replace(".", ",")
                if quote_decimals:
                    text = f'"{text}"'
            cells.append(text)
        lines.append(sep.join(cells))
    return (newline.join(lines) + newline).encode(encoding)


def _xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append([None if v == "" else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


VARIANTS = {
    # Dutch Excel "CSV (puntkomma)": semicolons, decimal comma, Windows-1252, CRLF.
    "excel_nl_cp1252": lambda rows: _csv_bytes(rows, sep=";", decimal=",", encoding="cp1252", newline="\r\n"),
    # Excel "CSV UTF-8": the same with a byte-order mark.
    "excel_nl_utf8_bom": lambda rows: _csv_bytes(rows, sep=";", decimal=",", encoding="utf-8-sig", newline="\r\n"),
    "comma_utf8": lambda rows: _csv_bytes(rows, sep=",", decimal=".", encoding="utf-8"),
    "comma_quoted_decimal_comma": lambda rows: _csv_bytes(
        rows, sep=",", decimal=",", encoding="utf-8", quote_decimals=True
    ),
    "tab": lambda rows: _csv_bytes(rows, sep="\t", decimal=".", encoding="utf-8"),
    "xlsx": _xlsx_bytes,
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_teams_every_format_gives_the_same_teams(variant: str) -> None:
    data = VARIANTS[variant](TEAMS_ROWS)
    if variant == "excel_nl_cp1252":
        assert b"\xe9" in data
        assert data.count(b";") > 10
    if variant == "excel_nl_utf8_bom":
        assert data.startswith(b"\xef\xbb\xbf")
    got = validate("teams", read_table_bytes(data, name=f"teams.{variant}"), name=variant, reference=reference()).frame
    expected = validate(
        "teams", read_table_bytes(VARIANTS["comma_utf8"](TEAMS_ROWS), name="t"), name="t", reference=reference()
    ).frame
    pd.testing.assert_frame_equal(got, expected)
    assert got["naam"].tolist() == ["Team één", "Team twee – Zuid", "Team drie"]
    assert got["capaciteit_fte"].tolist()[:2] == [12.5, 8.0]
    assert got["organisatie"].tolist() == ["Lokalis", "KOOS", "Spoor030"]  # known names get their spelling
    assert got["soort"].tolist() == ["buurtteam", "specialistisch", "specialistisch"]
    assert got["locatie_bron"].tolist() == ["latlon", "rd", "buurtcode"]
    assert got["buurtcode_opgegeven"].tolist()[2] == "BU03440101"


CASELOAD_WIDE = [
    ["Buurtcode", "Periode", "Buurtteam", "Specialistisch", "Verblijf", "Jeugdbescherming", "Totaal"],
    ["BU03440101", "2024", 10, 4, 0, 1, 13],
    ["BU03440102", "2024", 3, 2, "-", 0, 4],
]
CASELOAD_LONG = [
    ["buurtcode", "periode", "soort", "aantal"],
    *[
        [r[0], r[1], soort, v]
        for r in CASELOAD_WIDE[1:]
        for soort, v in zip(
            ("buurtteam", "specialistisch", "verblijf", "jeugdbescherming", "totaal"), r[2:], strict=True
        )
    ],
]


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("rows", [CASELOAD_WIDE, CASELOAD_LONG], ids=["wide", "long"])
def test_caseloads_wide_and_long_in_every_format(variant: str, rows: list[list[object]]) -> None:
    frame = validate(
        "caseloads", read_table_bytes(VARIANTS[variant](rows), name="c"), name="c", reference=reference()
    ).frame
    by = frame.set_index(["code", "soort"])["aantal"]
    assert by[("BU03440101", "totaal")] == 13
    assert by[("BU03440102", "verblijf")] == 0  # CBS '-' = nihil
    assert len(frame) == 10
    assert set(frame["periode"]) == {"2024"}


def test_headers_are_matched_case_space_and_language_insensitively() -> None:
    df = text_frame(
        f"Team ID;Name;Organisation;Type;Latitude;Longitude;Capacity FTE\nT1;A;Lokalis;buurtteam;{LAT};{LON};3"
    )
    out = validate("teams", df, name="t", reference=reference()).frame
    assert out.loc[0, "team_id"] == "T1"
    assert out.loc[0, "capaciteit_fte"] == 3.0


def test_unknown_columns_are_ignored_and_reported() -> None:
    df = text_frame("team_id;naam;organisatie;soort;buurtcode;opmerking\nT1;A;Lokalis;buurtteam;BU03440101;x")
    checked = validate("teams", df, name="t.csv", reference=reference())
    assert any("opmerking" in n for n in checked.notes)


# ---------------------------------------------------------------- code normalisation


@pytest.mark.parametrize(
    "typed", ["BU03440101", "bu03440101", "0344 0101", "3440101", "BU 0344 0101", "03440101", "3440101.0"]
)
def test_codes_are_normalised_when_unambiguous(typed: str) -> None:
    df = text_frame(f"buurtcode;periode;totaal\n{typed};2024;7")
    frame = validate("caseloads", df, name="c", reference=reference()).frame
    assert frame["code"].tolist() == ["BU03440101"]


def test_ambiguous_code_is_rejected_with_a_suggestion() -> None:
    df = text_frame("buurtcode;periode;totaal\n344010;2024;7")
    with pytest.raises(InputError) as err:
        validate("caseloads", df, name="c", reference=reference())
    (p,) = err.value.problems
    assert p.code == "CODE_INVALID"
    assert "Bedoelt u BU0344" in p.nl
    assert "Did you mean BU0344" in p.en


def test_unknown_code_of_this_year_gets_the_nearest_codes() -> None:
    df = text_frame("buurtcode;periode;totaal\nBU03440104;2024;7")
    with pytest.raises(InputError) as err:
        validate("caseloads", df, name="c", reference=reference())
    (p,) = err.value.problems
    assert p.code == "CODE_UNKNOWN"
    assert "2024" in p.nl
    assert "BU03440101" in p.nl


def test_a_buurt_name_is_matched_to_the_boundary_year_and_reported() -> None:
    df = text_frame("buurtcode;periode;totaal\nbuurt R2C3;2024;7")
    checked = validate("caseloads", df, name="c.csv", reference=reference())
    assert checked.frame["code"].tolist() == ["BU03440203"]
    assert any("'buurt R2C3' → BU03440203 (Buurt r2c3)" in n and "2024" in n for n in checked.notes)


def test_a_wijk_code_in_the_buurt_column_says_where_it_belongs() -> None:
    df = text_frame("buurtcode;periode;totaal\nWK034401;2024;7")
    with pytest.raises(InputError) as err:
        validate("caseloads", df, name="c", reference=reference())
    assert "kolom 'wijkcode'" in err.value.problems[0].nl


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024", "2024"),
        ("2024.0", "2024"),
        ("2024-Q1", "2024-Q1"),
        ("2024q3", "2024-Q3"),
        ("Q2 2024", "2024-Q2"),
        ("2024-K4", "2024-Q4"),
        ("2024-3", "2024-03"),
        ("2024/12", "2024-12"),
        ("03-2024", "2024-03"),
        ("24", None),
        ("2024-13", None),
        ("2024-Q5", None),
        ("maart", None),
    ],
)
def test_parse_period(text: str, expected: str | None) -> None:
    assert parse_period(text) == expected


# ---------------------------------------------------------------- every problem code


def _dup_names() -> object:
    gdf = utrecht_grid()
    gdf.loc[gdf["buurtcode"].isin(["BU03440101", "BU03440302"]), "buurtnaam"] = "Dubbel"
    return reference(gdf)


H_TEAMS = "team_id;naam;organisatie;soort;buurtcode;capaciteit_fte"
H_PROV = "wijkcode;buurtcode;aanbieder"
H_ADDR = "team_id;naam;organisatie;soort;postcode;huisnummer"
H_CASE = "buurtcode;periode;buurtteam;specialistisch;verblijf;jeugdbescherming;totaal"
ALL_PROVIDERS = "WK034401;;KOOS\nWK034402;;KOOS\nWK034403;;Spoor030\n"

# (kind, file text, code, row, column) — row as in a spreadsheet (header = 1), None for the whole file.
CASES: list[tuple[str, str, str, int | None, str | None]] = [
    ("teams", "hallo;wereld\n1;2", "FILE_NOT_TABLE", None, None),
    ("teams", f"{H_TEAMS}\n", "FILE_NO_ROWS", None, None),
    (
        "teams",
        "team_id;id;naam;organisatie;soort;buurtcode\nT1;T1;A;Lokalis;buurtteam;BU03440101",
        "COLUMN_DUPLICATE",
        None,
        "team_id",
    ),
    ("teams", "team_id;organisatie;soort;buurtcode\nT1;Lokalis;buurtteam;BU03440101", "COLUMN_MISSING", None, None),
    ("teams", "team_id;naam;organisatie;soort\nT1;A;Lokalis;buurtteam", "COLUMN_LOCATION_MISSING", None, None),
    ("teams", f"{H_TEAMS}\n;A;Lokalis;buurtteam;BU03440101;", "TEAM_ID_MISSING", 2, "team_id"),
    (
        "teams",
        f"{H_TEAMS}\nT1;A;Lokalis;buurtteam;BU03440101;\nt1;B;KOOS;buurtteam;BU03440102;",
        "TEAM_ID_DUPLICATE",
        3,
        "team_id",
    ),
    ("teams", f"{H_TEAMS}\nT1;;Lokalis;buurtteam;BU03440101;", "NAME_MISSING", 2, "naam"),
    ("teams", f"{H_TEAMS}\nT1;A;;buurtteam;BU03440101;", "ORGANISATION_MISSING", 2, "organisatie"),
    ("teams", f"{H_TEAMS}\nT1;A;Lokalis;wijkteam;BU03440101;", "SOORT_INVALID", 2, "soort"),
    ("teams", f"{H_TEAMS}\nT1;A;Lokalis;buurtteam;BU03440101;veel", "NUMBER_INVALID", 2, "capaciteit_fte"),
    ("teams", f"{H_TEAMS}\nT1;A;Lokalis;buurtteam;BU03440101;-1,5", "NUMBER_NEGATIVE", 2, "capaciteit_fte"),
    ("teams", f"{H_TEAMS}\nT1;A;Lokalis;buurtteam;;", "LOCATION_MISSING", 2, "buurtcode"),
    (
        "teams",
        f"team_id;naam;organisatie;soort;lat;lon\nT1;A;Lokalis;buurtteam;{LAT};",
        "LOCATION_INCOMPLETE",
        2,
        "lon",
    ),
    (
        "teams",
        f"team_id;naam;organisatie;soort;lat;lon\nT1;A;Lokalis;buurtteam;{LON};{LAT}",
        "LATLON_SWAPPED",
        2,
        "lat",
    ),
    (
        "teams",
        "team_id;naam;organisatie;soort;lat;lon\nT1;A;Lokalis;buurtteam;455150;136150",
        "LATLON_INVALID",
        2,
        "lat",
    ),
    ("teams", "team_id;naam;organisatie;soort;x;y\nT1;A;Lokalis;buurtteam;455150;136150", "RD_INVALID", 2, "x"),
    ("teams", "team_id;naam;organisatie;soort;x;y\nT1;A;Lokalis;buurtteam;150000;455000", "LOCATION_OUTSIDE", 2, "x"),
    ("teams", f"{H_TEAMS}\nT1;A;Lokalis;buurtteam;BU0344011;", "CODE_INVALID", 2, "buurtcode"),
    ("teams", f"{H_TEAMS}\nT1;A;Lokalis;buurtteam;BU03449999;", "CODE_UNKNOWN", 2, "buurtcode"),
    ("teams", f"{H_TEAMS}\nT1;A;Lokalis;buurtteam;dubbel;", "CODE_NAME_AMBIGUOUS", 2, "buurtcode"),
    # teams by address, on the grid's PC4 table (care_fixtures.GRID_PC4); more in test_teams_address.py
    ("teams", f"{H_ADDR}\nT1;A;Lokalis;buurtteam;99 91;", "POSTCODE_INVALID", 2, "postcode"),
    ("teams", f"{H_ADDR}\nT1;A;Lokalis;buurtteam;9991 AB;twaalf", "HUISNUMMER_INVALID", 2, "huisnummer"),
    ("teams", f"{H_ADDR}\nT1;A;Lokalis;buurtteam;9991;", "POSTCODE_TABLE_MISSING", None, "postcode"),
    ("teams", f"{H_ADDR}\nT1;A;Lokalis;buurtteam;9999;", "POSTCODE_UNKNOWN", 2, "postcode"),
    ("teams", f"{H_ADDR}\nT1;A;Lokalis;buurtteam;9992;", "POSTCODE_POSTBUS", 2, "postcode"),
    ("teams", f"{H_ADDR}\nT1;A;Lokalis;buurtteam;9994;", "POSTCODE_NO_CENTROID", 2, "postcode"),
    ("teams", f"{H_ADDR}\nT1;A;Lokalis;buurtteam;9993 XY;", "POSTCODE_OUTSIDE", 2, "postcode"),
    (
        "teams",
        "team_id;naam;organisatie;soort;straat;huisnummer;plaats\nT1;A;Lokalis;buurtteam;Teststraat;1;Teststad",
        "ADDRESS_NOT_PLACED",
        2,
        "straat",
    ),
    ("providers", "aanbieder;opmerking\nKOOS;x", "COLUMN_AREA_MISSING", None, None),
    ("providers", f"{H_PROV}\n{ALL_PROVIDERS};;KOOS", "CODE_MISSING", 5, "buurtcode"),
    ("providers", f"{H_PROV}\n{ALL_PROVIDERS}WK034401;BU03440201;Spoor030", "CODE_MISMATCH", 5, "wijkcode"),
    ("providers", f"{H_PROV}\n{ALL_PROVIDERS}WK034401;;", "PROVIDER_MISSING", 5, "aanbieder"),
    ("providers", f"{H_PROV}\n{ALL_PROVIDERS};BU03440101;Spor030", "PROVIDER_UNKNOWN", 5, "aanbieder"),
    ("providers", f"{H_PROV}\n{ALL_PROVIDERS}WK034401;;Spoor030", "AREA_TWO_PROVIDERS", 5, "wijkcode"),
    ("providers", f"{H_PROV}\n{ALL_PROVIDERS}WK034401;;KOOS", "ROW_DUPLICATE", 5, "wijkcode"),
    ("providers", f"{H_PROV}\nWK034401;;KOOS\n;BU03440201;KOOS", "PROVIDER_GAP", None, None),
    ("caseloads", "buurtcode;periode\nBU03440101;2024", "COLUMN_COUNTS_MISSING", None, None),
    ("caseloads", "buurtcode;periode;soort;aantal;totaal\nBU03440101;2024;totaal;3;3", "FORMAT_AMBIGUOUS", None, None),
    ("caseloads", f"{H_CASE}\nBU03440101;;1;1;0;0;1", "PERIOD_MISSING", 2, "periode"),
    ("caseloads", f"{H_CASE}\nBU03440101;vorig jaar;1;1;0;0;1", "PERIOD_INVALID", 2, "periode"),
    ("caseloads", "buurtcode;periode;soort;aantal\nBU03440101;2024;thuiszorg;3", "SOORT_INVALID", 2, "soort"),
    ("caseloads", f"{H_CASE}\nBU03440101;2024;veel;1;0;0;1", "NUMBER_INVALID", 2, "buurtteam"),
    ("caseloads", f"{H_CASE}\nBU03440101;2024;<5;1;0;0;1", "COUNT_SUPPRESSED", 2, "buurtteam"),
    ("caseloads", f"{H_CASE}\nBU03440101;2024;-2;1;0;0;1", "COUNT_NEGATIVE", 2, "buurtteam"),
    ("caseloads", f"{H_CASE}\nBU03440101;2024;2,5;1;0;0;3", "COUNT_NOT_INTEGER", 2, "buurtteam"),
    # 30 digits: beyond MAX_COUNT (1,000,000), and beyond every integer type a table could hold it in
    (
        "caseloads",
        f"{H_CASE}\nBU03440101;2024;123456789012345678901234567890;1;0;0;1",
        "COUNT_TOO_LARGE",
        2,
        "buurtteam",
    ),
    ("caseloads", f"{H_CASE}\nBU03440101;2024;1;1;0;0;1\n3440101;2024;1;1;0;0;1", "ROW_DUPLICATE", 3, "buurtteam"),
    ("caseloads", "buurtcode;wijkcode;periode;totaal\nBU03440101;;2024;3\n;WK034402;2024;9", "LEVEL_MIXED", None, None),
    ("caseloads", f"{H_CASE}\nBU03440101;2024;5;1;0;0;4", "TOTAL_INCONSISTENT", 2, "totaal"),
    # referral routes; more in test_referrals_rules.py
    (
        "caseloads",
        "buurtcode;periode;verwijzer;specialistisch\nBU03440101;2024;huisart;3",
        "REFERRAL_INVALID",
        2,
        "verwijzer",
    ),
    (
        "caseloads",
        "buurtcode;periode;verwijzer;buurtteam;specialistisch\nBU03440101;2024;GP;2;3",
        "REFERRAL_TYPE_INVALID",
        2,
        "buurtteam",
    ),
    (
        "caseloads",
        "buurtcode;periode;verwijzer;specialistisch\nBU03440101;2024;;8\nBU03440101;2024;wijkteam;5\nBU03440101;2024;GP;2",
        "REFERRAL_SUM_MISMATCH",
        2,
        "specialistisch",
    ),
]


@pytest.mark.parametrize(("kind", "text", "code", "row", "column"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_each_problem_is_reported_with_row_column_and_both_languages(
    kind: str, text: str, code: str, row: int | None, column: str | None
) -> None:
    ref = _dup_names() if code == "CODE_NAME_AMBIGUOUS" else reference()
    if code == "POSTCODE_TABLE_MISSING":
        ref = ref.with_places(postcodes=None)
    with pytest.raises(InputError) as err:
        validate(kind, text_frame(text), name=f"{kind}.csv", reference=ref)
    found = [p for p in err.value.problems if p.code == code]
    assert found, [p.format() for p in err.value.problems]
    p = found[0]
    assert (p.file, p.row, p.column) == (f"{kind}.csv", row, column)
    assert p.nl
    assert p.en
    assert p.nl != p.en
    assert "{" not in p.nl + p.en, "every message field is filled"


def test_every_rule_code_has_a_case() -> None:
    assert {c[2] for c in CASES} == set(rule_codes())


def test_problems_are_all_listed_in_file_order() -> None:
    text = f"{H_TEAMS}\nT1;;Lokalis;wijkteam;BU03440101;\nT2;B;;buurtteam;BU0344999;abc"
    with pytest.raises(InputError) as err:
        validate("teams", text_frame(text), name="t", reference=reference())
    got = [(p.row, p.code) for p in err.value.problems]
    assert got == sorted(got, key=lambda rc: rc[0] or 0)
    assert {c for _, c in got} == {
        "NAME_MISSING",
        "SOORT_INVALID",
        "ORGANISATION_MISSING",
        "CODE_INVALID",
        "NUMBER_INVALID",
    }


def test_total_may_be_below_the_sum_of_types_children_have_several() -> None:
    text = f"{H_CASE}\nBU03440101;2024;5;3;0;0;6"
    frame = validate("caseloads", text_frame(text), name="c", reference=reference()).frame
    assert frame.set_index("soort").at["totaal", "aantal"] == 6


def test_provider_gap_ignores_buurten_where_nobody_lives() -> None:
    # r3c3 (BU03440303) has no inhabitants: wijk 03 may be left out if its other buurten have a row.
    text = f"{H_PROV}\nWK034401;;KOOS\nWK034402;;KOOS\n;BU03440301;Spoor030\n;BU03440302;Spoor030"
    frame = validate("providers", text_frame(text), name="p", reference=reference()).frame
    assert frame["niveau"].tolist() == ["wijk", "wijk", "buurt", "buurt"]


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "FILE_EMPTY"), (b"\x00\x01\x02binary", "FILE_BINARY"), (b"PK\x03\x04broken", "FILE_NOT_TABLE")],
)
def test_unreadable_files(data: bytes, code: str, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    report = check_file("teams", path, reference=reference())
    assert not report.valid
    assert report.problems[0].code == code
    missing = check_file("teams", tmp_path / "nope.csv", reference=reference())
    assert missing.problems[0].code == "FILE_NOT_FOUND"


def test_inputs_doc_lists_every_problem_code() -> None:
    readme = (Path(__file__).resolve().parent.parent / "docs" / "INPUTS.md").read_text(encoding="utf-8")
    missing = [c for c in rule_codes() if f"`{c}`" not in readme]
    assert missing == []
