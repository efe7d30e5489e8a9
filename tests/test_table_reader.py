"""The table reader (geodata.tables): each file-level problem code on a tiny file, with the exact row and column;
UTF-16 "Unicode-tekst"; cells of any type as text; and the corpus of files that once crashed (tests/corpus/)."""

from __future__ import annotations

import codecs
import datetime as dt
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from care_fixtures import utrecht_grid, utrecht_grid_wijken
from openpyxl import Workbook

from dashboard.uploads import check as upload_check
from etl.rules import CareReference
from etl.rules.check import check_file
from etl.upload import UploadLimits
from geodata.errors import InputError, Problem
from geodata.tables import (
    ROW_INDEX,
    RefusedTableError,
    TableLimits,
    cell_text,
    parse_number,
    read_notes,
    read_table_bytes,
)

CORPUS = Path(__file__).resolve().parent / "corpus"


def problems(data: bytes, limits: TableLimits | None = None) -> list[Problem]:
    with pytest.raises(InputError) as err:
        read_table_bytes(data, name="f.csv", limits=limits)
    return list(err.value.problems)


def located(found: list[Problem]) -> list[tuple[str, int | None, str | None]]:
    return [(p.code, p.row, p.column) for p in found]


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- field counts


def test_a_row_with_a_field_too_many_is_a_problem_on_that_row_never_a_shifted_column() -> None:
    # header 2 fields; row 2 has 3 ('1', '2', '3'); row 3 is fine
    found = problems(b"a;b\n1;2;3\n4;5\n")
    assert located(found) == [("ROW_FIELD_COUNT", 2, None)]
    assert "Rij 2 heeft 3 velden, de kopregel 2" in found[0].nl
    assert "Row 2 has 3 fields, the header 2" in found[0].en


def test_a_file_without_a_final_line_break_is_read_with_a_note_on_its_last_row() -> None:
    # 'verblijf 1' might have been '12' before the file was cut: nothing tells, so the note names row 3
    df = read_table_bytes(b"a;b\n1;2\n3;1", name="f.csv")
    assert df.to_dict("list") == {"a": ["1", "3"], "b": ["2", "1"]}
    ((nl, en),) = read_notes(df)
    assert "zonder regeleinde na rij 3" in nl
    assert "without a line break after row 3" in en
    assert read_notes(read_table_bytes(b"a;b\n1;2\n3;1\r\n", name="f.csv")) == []


def test_a_short_last_row_without_line_end_says_the_file_seems_cut_off() -> None:
    # row 3 ('4', '5') has 2 of 3 fields and the file ends without a newline
    (p,) = problems(b"a;b;c\n1;2;3\n4;5")
    assert (p.code, p.row) == ("ROW_FIELD_COUNT", 3)
    assert "2 velden, de kopregel 3" in p.nl
    assert "afgebroken" in p.nl
    assert "cut off" in p.en


def test_rows_are_numbered_as_in_a_spreadsheet_blank_rows_included() -> None:
    # row 1 header, row 2 blank, row 3 has 3 fields, row 4 a line of only delimiters (blank), row 5 fine
    assert located(problems(b"a;b\n\n1;2;3\n;\n4;5\n")) == [("ROW_FIELD_COUNT", 3, None)]
    df = read_table_bytes(b"a;b\n\n1;2\n;\n4;5\n", name="f.csv")
    assert df.index.name == ROW_INDEX
    assert df.index.tolist() == [3, 5]
    assert df.to_dict("list") == {"a": ["1", "4"], "b": ["2", "5"]}


def test_empty_trailing_fields_as_excel_writes_them_are_tolerated_and_noted() -> None:
    # `1;2;` under header `a;b`: the third field is empty on both data rows → dropped, one note for 2 rows
    df = read_table_bytes(b"a;b\n1;2;\n3;4;;\n", name="f.csv")
    assert df.to_dict("list") == {"a": ["1", "3"], "b": ["2", "4"]}
    (note,) = read_notes(df)  # the file ends in a line break: no note about that
    assert note[0].startswith("2 rij(en) eindigen op lege extra velden")
    assert note[1].startswith("2 row(s) end in empty extra fields")
    # with the `;` on the header too: a nameless, empty column, dropped without a word
    df = read_table_bytes(b"a;b;\n1;2;\n", name="f.csv")
    assert list(df.columns) == ["a", "b"]


def test_a_filled_extra_field_is_not_tolerated() -> None:
    # row 2: `1;2;x` — the extra field holds 'x'
    assert located(problems(b"a;b\n1;2;x\n")) == [("ROW_FIELD_COUNT", 2, None)]


# ---------------------------------------------------------------- quotes


def test_a_quote_never_closed_names_the_row_where_it_opens() -> None:
    # row 3 opens `"open` and the file ends inside it (rows 4 and 5 are swallowed)
    (p,) = problems(b'a;b\n1;2\n3;"open\n4;5\n')
    assert (p.code, p.row, p.column) == ("QUOTE_UNCLOSED", 3, None)
    assert "rij 3" in p.nl
    assert "row 3" in p.en


def test_text_after_a_closing_quote_is_a_problem_on_its_row() -> None:
    # row 2: `"ab"c` — after the closing quote comes 'c', not the delimiter
    assert located(problems(b'a;b\n0;1\n1;"ab"c\n')) == [("QUOTE_INVALID", 3, None)]


def test_a_quote_inside_a_cell_and_doubled_quotes_are_read() -> None:
    df = read_table_bytes(b'a;b\n1;ab"c\n2;"x""y"\n', name="f.csv")
    assert df["b"].tolist() == ['ab"c', 'x"y']


# ---------------------------------------------------------------- header


def test_a_column_without_a_name_but_with_values() -> None:
    # column 2 of `a;;b` is nameless and holds 'x' in row 2
    (p,) = problems(b"a;;b\n1;x;2\n")
    assert (p.code, p.row, p.column) == ("HEADER_EMPTY", 1, "2")
    assert "Kolom 2" in p.nl


def test_a_column_name_twice_case_insensitively() -> None:
    # 'naam' (column 1) and 'Naam' (column 2)
    (p,) = problems(b"naam;Naam\n1;2\n")
    assert (p.code, p.row, p.column) == ("HEADER_DUPLICATE", 1, "Naam")
    assert "kolom 1 en 2" in p.nl


# ---------------------------------------------------------------- limits


def test_a_cell_over_the_limit_names_its_row_and_column() -> None:
    # max 5 characters; '123456' (6) in row 3, column b; the header 'b' and '12345' (5) are fine
    (p,) = problems(b"a;b\n1;12345\n2;123456\n", TableLimits(max_cell_chars=5))
    assert (p.code, p.row, p.column) == ("CELL_TOO_LONG", 3, "b")
    assert "6 tekens; maximaal 5" in p.nl


def test_a_huge_cell_in_a_csv_is_cell_too_long_not_a_parser_error() -> None:
    # 1,000,000 characters, beyond the csv module's default field limit (131,072) and the cell limit (500)
    (p,) = problems(b"a;b\n1;" + b"A" * 1_000_000 + b"\n")
    assert (p.code, p.row, p.column) == ("CELL_TOO_LONG", 2, "b")
    assert "1.000.000 tekens" in p.nl


def test_too_many_rows_counts_them_in_a_csv_and_stops_reading_a_workbook() -> None:
    limits = TableLimits(max_rows=2)
    (p,) = problems(b"a;b\n1;1\n2;2\n3;3\n", limits)  # 3 data rows
    assert p.code == "TABLE_TOO_MANY_ROWS"
    assert "3 rijen; het maximum is 2" in p.nl
    with pytest.raises(InputError) as err:
        read_table_bytes(xlsx([["a", "b"], [1, 1], [2, 2], [3, 3], [4, 4]]), name="f.xlsx", limits=limits)
    assert [q.code for q in err.value.problems] == ["TABLE_TOO_MANY_ROWS"]
    assert "meer dan 2 rijen" in err.value.problems[0].nl


def refused_size(
    data: bytes, *, name: str = "f.csv", limits: TableLimits | None = None
) -> tuple[int, tuple[str, ...]] | None:
    """(data rows, header) when the reader read the file as a table and refused it; None when it could not read it."""
    with pytest.raises(InputError) as err:
        read_table_bytes(data, name=name, limits=limits)
    return (err.value.rows, err.value.header) if isinstance(err.value, RefusedTableError) else None


@pytest.mark.parametrize(
    ("data", "name", "limits", "size"),
    [
        # ragged row 3: two data rows (2 and 3) under a header of two columns
        (b"a;b\n1;2\n3\n", "f.csv", None, (2, ("a", "b"))),
        # a blank row keeps its number but is no data: rows 2 and 4 are the data, row 4 has a field too many
        (b"a;b\n1;2\n\n3;4;5\n", "f.csv", None, (2, ("a", "b"))),
        # 3 data rows over a limit of 2: a CSV is counted to its end
        (b"a;b\n1;1\n2;2\n3;3\n", "f.csv", TableLimits(max_rows=2), (3, ("a", "b"))),
        # 3 columns over a limit of 2, one data row
        (b"a;b;c\n1;2;3\n", "f.csv", TableLimits(max_columns=2), (1, ("a", "b", "c"))),
        # a cell of 4 characters over a limit of 3 in row 2 of 2 data rows
        (b"a;b\n1;long\n2;ok\n", "f.csv", TableLimits(max_cell_chars=3), (2, ("a", "b"))),
        # a quote left open at row 2 swallows the rest: no size can be trusted
        (b'a;b\n1;"2\n3;4\n', "f.csv", None, None),
        # a workbook stops being read at the row limit, so its number of rows is not known
        (xlsx([["a", "b"], [1, 1], [2, 2], [3, 3]]), "f.xlsx", TableLimits(max_rows=2), None),
        # a workbook within the limit with a value in a nameless column 3: 1 data row, 3 columns counted
        (xlsx([["a", "b"], [1, 2, "stray"]]), "f.xlsx", None, (1, ("a", "b", ""))),
    ],
)
def test_a_refused_table_carries_its_real_size_only_when_every_row_was_read(
    data: bytes, name: str, limits: TableLimits | None, size: tuple[int, tuple[str, ...]] | None
) -> None:
    assert refused_size(data, name=name, limits=limits) == size


def test_too_many_columns() -> None:
    (p,) = problems(b"a;b;c\n1;2;3\n", TableLimits(max_columns=2))
    assert p.code == "TABLE_TOO_MANY_COLUMNS"
    assert "3 kolommen; het maximum is 2" in p.nl


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    from geodata.tables import read_table

    path = tmp_path / "big.csv"
    path.write_bytes(b"a;b\n" + b"1;2\n" * 100)
    with pytest.raises(InputError) as err:
        read_table(path, limits=TableLimits(max_bytes=100))
    assert [q.code for q in err.value.problems] == ["FILE_TOO_LARGE"]


# ---------------------------------------------------------------- encodings


def test_dutch_excel_unicode_text_utf16_with_bom_tab_separated_is_read() -> None:
    data = "buurtcode\tnaam\r\nBU03440101\tCafé Zuilen\r\n".encode("utf-16")  # LE with BOM, as Excel writes it
    assert data.startswith(b"\xff\xfe")
    df = read_table_bytes(data, name="unicode.txt")
    assert df.to_dict("list") == {"buurtcode": ["BU03440101"], "naam": ["Café Zuilen"]}
    big_endian = codecs.BOM_UTF16_BE + "a;b\n1;2\n".encode("utf-16-be")
    assert read_table_bytes(big_endian, name="be.csv").to_dict("list") == {"a": ["1"], "b": ["2"]}


def test_utf16_cut_at_an_odd_byte_and_utf16_without_bom() -> None:
    (p,) = problems("a\tb\r\n1\t2\r\n".encode("utf-16")[:-1])
    assert p.code == "FILE_ENCODING"
    assert "UTF-16" in p.nl
    (q,) = problems("a\tb\r\n1\t2\r\n".encode("utf-16-le"))
    assert q.code == "FILE_BINARY"
    assert "UTF-16 zonder BOM" in q.nl


# ---------------------------------------------------------------- cells of any type


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (float("nan"), ""),
        (3440111, "3440111"),
        (3440111.0, "3440111"),
        (12.5, "12.5"),
        (1e308, "1e+308"),
        (True, "True"),
        (b" caf\xc3\xa9 ", "café"),
        (dt.datetime(2024, 3, 1), "2024-03-01"),
        (dt.date(2024, 1, 2), "2024-01-02"),
        ("  x  ", "x"),
        (float("inf"), "inf"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_workbook_cells_of_every_type_come_out_as_text_with_their_rows() -> None:
    # row 3 is empty (skipped, numbered); a date, a boolean, a whole and a fractional number, an empty cell
    data = xlsx(
        [
            ["buurtcode", "periode", "n", "flag"],
            [3440101, dt.datetime(2024, 3, 1), 12.5, True],
            [],
            ["BU03440102", 2024, None, False],
        ]
    )
    df = read_table_bytes(data, name="f.xlsx")
    assert df.index.tolist() == [2, 4]
    assert df.to_dict("list") == {
        "buurtcode": ["3440101", "BU03440102"],
        "periode": ["2024-03-01", "2024"],
        "n": ["12.5", ""],
        "flag": ["True", "False"],
    }


def test_a_value_right_of_the_last_named_column_of_a_workbook() -> None:
    data = xlsx([["a", "b"], [1, 2, "stray"]])  # 'stray' in column 3, which has no name
    with pytest.raises(InputError) as err:
        read_table_bytes(data, name="f.xlsx")
    assert located(list(err.value.problems)) == [("HEADER_EMPTY", 1, "3")]


@pytest.mark.parametrize(
    ("text", "decimal"), [("1e309", "."), ("-1e309", "."), ("NaN", "."), ("inf", "."), ("12.5", ","), ("1,5", ".")]
)
def test_numbers_that_are_not_finite_or_mis_grouped_are_refused(text: str, decimal: str) -> None:
    # '12.5' in a decimal-comma column would be 125 if '.' were taken as a thousands mark: it groups 1 digit, not 3
    with pytest.raises(ValueError, match="not a number"):
        parse_number(text, decimal=decimal)
    assert parse_number("1.234,5", decimal=",") == 1234.5
    assert parse_number("1,234", decimal=".") == 1234.0


# ---------------------------------------------------------------- the corpus: files that once crashed, both paths

GRID = utrecht_grid()
WIJKEN = utrecht_grid_wijken(GRID)
REFERENCE = CareReference.from_frames(GRID, WIJKEN, source="atlas")

# file → the problems (code, row, column) both the CLI and the upload page give; in brackets what the reader at commit 98517f0 did.
EXPECTED: dict[str, list[tuple[str, int | None, str | None]]] = {
    # [CLI: AttributeError in parse_period; page: "could not be checked"] row 3 has 2 of 4 fields
    "caseloads-short-row.csv": [("ROW_FIELD_COUNT", 3, None)],
    # [AttributeError in infer_decimal: the extra field made pandas shift every column] row 2 has 7 of 6
    "teams-long-row.csv": [("ROW_FIELD_COUNT", 2, None)],
    # [OverflowError in count_not_integer] 1e309 is beyond the float range: not a number
    "caseloads-1e309.csv": [("NUMBER_INVALID", 2, "buurtteam")],
    # [OverflowError in assemble_caseloads] 30 digits > MAX_COUNT (1,000,000)
    "caseloads-30-digits.csv": [("COUNT_TOO_LARGE", 2, "buurtteam")],
    # [accepted: pandas took the leading field as the index] rows 2 and 3 have 6 of 5 fields
    "teams-leading-field.csv": [("ROW_FIELD_COUNT", 2, None), ("ROW_FIELD_COUNT", 3, None)],
    # [CODE_INVALID and PERIOD_INVALID on both rows] Excel's trailing ';' on every data row: tolerated
    "caseloads-trailing-semicolon.csv": [],
    # [FILE_BINARY] Dutch Excel's "Unicode-tekst": UTF-16 LE with BOM, tabs
    "caseloads-unicode-tekst.txt": [],
    # [FILE_NOT_TABLE without a row] the quote opened in row 3 is never closed
    "providers-cut-in-quote.csv": [("QUOTE_UNCLOSED", 3, None)],
    # [page: HTTP 500, zlib.error in check_xlsx_formulas] the sheet's deflate stream is damaged
    "teams-corrupt-deflate.xlsx": [("FILE_NOT_TABLE", None, None)],
}


def test_the_corpus_is_complete() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_gets_the_same_answer_on_the_cli_and_the_upload_page(name: str) -> None:
    kind = name.split("-")[0]
    path = CORPUS / name
    report = check_file(kind, path, reference=REFERENCE)
    page = upload_check(
        SimpleNamespace(buurten=GRID, wijken=WIJKEN),
        path.read_bytes(),
        name=name,
        kind=kind,  # type: ignore[arg-type]
        limits=UploadLimits(),
    )
    assert sorted(located(list(report.problems)), key=str) == sorted(EXPECTED[name], key=str)
    assert sorted(located(list(page.problems)), key=str) == sorted(EXPECTED[name], key=str)
    assert report.valid == page.ok == (not EXPECTED[name])


def test_what_the_reader_tolerated_reaches_the_cli_report_and_the_upload_page(tmp_path: Path) -> None:
    # Excel's trailing ';' on both data rows of an otherwise valid caseload file
    data = b"buurtcode;periode;buurtteam\r\nBU03440101;2024;3;\r\nBU03440102;2024;5;\r\n"
    path = tmp_path / "c.csv"
    path.write_bytes(data)
    report = check_file("caseloads", path, reference=REFERENCE)
    assert report.valid
    assert report.notes[0] == (
        f"{path}: 2 rij(en) eindigen op lege extra velden (een ';' te veel achteraan, zoals Excel "
        "dat schrijft); die zijn genegeerd / 2 row(s) end in empty extra fields (a trailing ';', "
        "as Excel writes them); they were ignored"
    )
    page = upload_check(
        SimpleNamespace(buurten=GRID, wijken=WIJKEN),
        data,
        name="c.csv",
        kind="caseloads",  # type: ignore[arg-type]
        limits=UploadLimits(),
    )
    assert page.ok
    assert [en for _, en in page.notes] == [
        "2 row(s) end in empty extra fields (a trailing ';', as Excel writes them); they were ignored"
    ]
