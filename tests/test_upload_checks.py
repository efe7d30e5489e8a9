"""A corpus of bad uploads, each with the message its user gets, and a property-based fuzz of the upload parser."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from etl.upload import UploadLimits, UploadReport, check_upload, safe_name
from geodata.errors import InputError

GOOD_CSV = b"team_id;naam;organisatie;soort;buurtcode\nT1;Buurtteam Zuilen;Lokalis;buurtteam;BU03440311\n"


def passthrough(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Stands in for the care rules: accepts any table (the generic checks are under test here)."""
    return df.copy()


def refuse(df: pd.DataFrame, name: str) -> pd.DataFrame:
    raise InputError.single(
        "CODE_UNKNOWN",
        "Buurtcode BU9 bestaat niet.",
        "Buurtcode BU9 does not exist.",
        file=name,
        row=2,
        column="buurtcode",
    )


def crash(df: pd.DataFrame, name: str) -> pd.DataFrame:
    raise KeyError("bug in a rule")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_text_cell(text: str) -> bytes:
    """A workbook whose cell B2 holds ``text`` as a string (not a formula), as a crafted file would."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["team_id", "naam"])
    ws.append(["T1", "placeholder"])
    ws["B2"].value = text
    ws["B2"].data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def billion_laughs_xlsx() -> bytes:
    """A valid workbook whose sheet XML declares nested entities (expands to gigabytes without defusedxml)."""
    good = xlsx_bytes([["team_id", "naam"], ["T1", "x"]])
    entities = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
        + "]>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"):
                text = data.decode()
                head, rest = text.split("?>", 1) if text.startswith("<?xml") else ("", text)
                data = ((head + "?>" if head else "") + entities + rest.replace("<t>x</t>", "<t>&lol9;</t>")).encode()
            dst.writestr(info, data)
    return out.getvalue()


def csv_rows(n: int) -> bytes:
    return ("team_id;naam\n" + "".join(f"T{i};Team {i}\n" for i in range(n))).encode()


# (case id, file name, content, expected code, a fragment of the Dutch message, validator)
Case = tuple[str, str, bytes | Callable[[], bytes], str, str, object]
CORPUS: list[Case] = [
    ("empty", "teams.csv", b"", "FILE_EMPTY", "leeg", passthrough),
    ("only-whitespace", "teams.csv", b"  \r\n\t\n", "FILE_EMPTY", "leeg", passthrough),
    ("header-only-one-column", "teams.csv", b"hallo wereld\n", "FILE_EMPTY", "geen gegevens", passthrough),
    ("word-document", "teams.docx", GOOD_CSV, "UPLOAD_TYPE", "geen CSV- of XLSX-bestand", passthrough),
    ("no-extension", "teams", GOOD_CSV, "UPLOAD_TYPE", "geen CSV- of XLSX-bestand", passthrough),
    (
        "too-large",
        "teams.csv",
        lambda: GOOD_CSV + b"x" * (10 * 1024 * 1024),
        "UPLOAD_TOO_LARGE",
        "het maximum is 10 MB",
        passthrough,
    ),
    ("pdf", "teams.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "UPLOAD_BINARY", "PDF-bestand", passthrough),
    ("png", "teams.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "UPLOAD_BINARY", "PNG-bestand", passthrough),
    (
        "old-xls-or-encrypted",
        "teams.xlsx",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
        "UPLOAD_BINARY",
        "xls",
        passthrough,
    ),
    ("gzip", "teams.csv", b"\x1f\x8b\x08\x00" + b"\x00" * 20, "UPLOAD_BINARY", "gzip", passthrough),
    ("windows-exe", "teams.csv", b"MZ\x90\x00\x03" + b"\x00" * 60, "UPLOAD_BINARY", "Windows", passthrough),
    ("nul-bytes", "teams.csv", b"team_id;naam\x00\nT1;x\n", "FILE_BINARY", "binair", passthrough),
    (
        "utf16-without-bom",
        "teams.csv",
        "team_id;naam\nT1;Zuilen\n".encode("utf-16-le"),
        "FILE_BINARY",
        "UTF-16 zonder BOM",
        passthrough,
    ),
    ("undecodable", "teams.csv", b"team_id;naam\nT1;caf\x81\x8d\n", "FILE_ENCODING", "tekencodering", passthrough),
    ("damaged-xlsx", "teams.xlsx", b"PK\x03\x04" + b"garbage" * 20, "FILE_NOT_TABLE", "beschadigd", passthrough),
    (
        "zip-not-workbook",
        "teams.xlsx",
        lambda: zip_bytes({"readme.txt": b"hello"}),
        "FILE_NOT_TABLE",
        "niet te lezen",
        passthrough,
    ),
    (
        "zip-bomb",
        "teams.xlsx",
        lambda: zip_bytes({"xl/worksheets/sheet1.xml": b"\x00" * (80 * 1024 * 1024)}),
        "UPLOAD_ZIP_BOMB",
        "pakt uit tot",
        passthrough,
    ),
    (
        "zip-many-parts",
        "teams.xlsx",
        lambda: zip_bytes({f"p{i}.xml": b"x" for i in range(600)}),
        "UPLOAD_ZIP_BOMB",
        "600 delen",
        passthrough,
    ),
    ("billion-laughs", "teams.xlsx", billion_laughs_xlsx, "FILE_NOT_TABLE", "niet te lezen", passthrough),
    (
        "huge-line",
        "teams.csv",
        lambda: b"team_id;naam\nT1;" + b"A" * 1_000_000 + b"\n",
        "CELL_TOO_LONG",
        "1.000.000 tekens",
        passthrough,
    ),
    ("long-cell", "teams.csv", b"team_id;naam\nT1;" + b"B" * 600 + b"\n", "CELL_TOO_LONG", "600 tekens", passthrough),
    (
        "too-many-columns",
        "teams.csv",
        (";".join(f"k{i}" for i in range(61)) + "\n" + ";".join("1" * 61) + "\n").encode(),
        "TABLE_TOO_MANY_COLUMNS",
        "61 kolommen",
        passthrough,
    ),
    ("too-many-rows", "teams.csv", lambda: csv_rows(50_001), "TABLE_TOO_MANY_ROWS", "50.001 rijen", passthrough),
    ("empty-header", "teams.csv", b"team_id;;naam\nT1;x;y\n", "HEADER_EMPTY", "Kolom 2 heeft geen naam", passthrough),
    (
        "duplicate-header",
        "teams.csv",
        b"team_id;naam;naam\nT1;x;y\n",
        "HEADER_DUPLICATE",
        "'naam' komt twee keer",
        passthrough,
    ),
    (
        "formula-equals",
        "teams.csv",
        b'team_id;naam\nT1;"=HYPERLINK(""http://x"";""klik"")"\n',
        "UPLOAD_FORMULA",
        "spreadsheetformule",
        passthrough,
    ),
    ("formula-at", "teams.csv", b"team_id;naam\nT1;@SUM(A1:A9)\n", "UPLOAD_FORMULA", "spreadsheetformule", passthrough),
    (
        "formula-dde-plus",
        "teams.csv",
        b"team_id;naam\nT1;+cmd|' /C calc'!A0\n",
        "UPLOAD_FORMULA",
        "spreadsheetformule",
        passthrough,
    ),
    (
        "formula-dde-minus",
        "teams.csv",
        b"team_id;naam\nT1;-2+3+cmd|' /C calc'!A0\n",
        "UPLOAD_FORMULA",
        "spreadsheetformule",
        passthrough,
    ),
    (
        "formula-in-xlsx",
        "teams.xlsx",
        lambda: xlsx_bytes([["team_id", "naam"], ["T1", "=1+1"]]),
        "UPLOAD_FORMULA",
        "Cel B2 bevat een spreadsheetformule",
        passthrough,
    ),
    (
        "formula-text-in-xlsx",
        "teams.xlsx",
        lambda: xlsx_text_cell("@SUM(A1)"),
        "UPLOAD_FORMULA",
        "spreadsheetformule",
        passthrough,
    ),
    ("control-char", "teams.csv", b"team_id;naam\nT1;bel\x07l\n", "UPLOAD_CONTROL_CHAR", "stuurtekens", passthrough),
    (
        "unbalanced-quote",
        "teams.csv",
        b'team_id;naam;soort\nT1;"open;x\nT2;y;z\n',
        "QUOTE_UNCLOSED",
        "wordt nergens gesloten",
        passthrough,
    ),
    ("care-rule-fails", "teams.csv", GOOD_CSV, "CODE_UNKNOWN", "bestaat niet", refuse),
    ("care-rule-crashes", "teams.csv", GOOD_CSV, "UPLOAD_INVALID", "niet worden gecontroleerd", crash),
    ("no-rules-available", "teams.csv", GOOD_CSV, "UPLOAD_NO_RULES", "geen controleregels", None),
]


@pytest.mark.parametrize(("case", "name", "content", "code", "nl", "validator"), CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_upload_gets_its_message(
    case: str, name: str, content: bytes | Callable[[], bytes], code: str, nl: str, validator: object
) -> None:
    data = content() if callable(content) else content
    report = check_upload(data, name=name, kind="teams", validate=validator)  # type: ignore[arg-type]
    assert not report.ok
    assert report.frame is None
    codes = [p.code for p in report.problems]
    assert code in codes, [p.format() for p in report.problems]
    problem = report.problems[codes.index(code)]
    assert nl in problem.nl, problem.nl
    assert problem.en
    assert problem.en != problem.nl
    assert problem.file == safe_name(name)


def test_corpus_has_at_least_25_cases() -> None:
    assert len(CORPUS) >= 25
    assert len({c[0] for c in CORPUS}) == len(CORPUS)


def test_problems_locate_row_and_column() -> None:
    report = check_upload(b"team_id;naam\nT1;ok\nT2;=1+1\n", name="t.csv", kind="teams", validate=passthrough)
    (problem,) = report.problems
    assert (problem.row, problem.column) == (3, "naam")


def test_good_file_passes_with_frame_preview_and_digest() -> None:
    report = check_upload(GOOD_CSV, name="C:\\Users\\x\\teams.csv", kind="teams", validate=passthrough)
    assert report.ok
    assert report.name == "teams.csv"
    assert report.rows == 1
    assert report.columns == ("team_id", "naam", "organisatie", "soort", "buurtcode")
    assert report.frame is not None
    assert report.preview is not None
    assert len(report.sha256) == 64


@pytest.mark.parametrize(
    ("data", "name", "size"),
    [
        (b"%PDF-1.4 ...", "t.csv", None),  # refused before it is read (UPLOAD_BINARY)
        (GOOD_CSV, "t.docx", None),  # refused by its type (UPLOAD_TYPE)
        (b"team_id;naam\nT1\nT2;ok\n", "t.csv", (2, ("team_id", "naam"))),  # row 2 ragged: 2 data rows, 2 columns
        (b"team_id;naam\nT1;ok\nT2;=1+1\n", "t.csv", (2, ("team_id", "naam"))),  # a formula in row 3 of 2 data rows
    ],
)
def test_a_refused_report_has_the_real_size_or_none(
    data: bytes, name: str, size: tuple[int, tuple[str, ...]] | None
) -> None:
    report = check_upload(data, name=name, kind="teams", validate=passthrough)
    assert not report.ok
    assert (None if report.rows is None else (report.rows, report.columns)) == size
    if size is None:
        assert report.columns is None  # never a made-up 0 rows, 0 columns


def test_plain_signed_numbers_are_not_formulas() -> None:
    data = b"buurtcode;periode;buurtteam\nBU03440311;2024;-3\nBU03440312;2024;+12\n"
    assert check_upload(data, name="c.csv", kind="caseloads", validate=passthrough).ok


def test_unknown_kind() -> None:
    report = check_upload(GOOD_CSV, name="t.csv", kind="secrets", validate=passthrough)
    assert [p.code for p in report.problems] == ["UPLOAD_KIND"]


def test_limits_are_configurable() -> None:
    small = UploadLimits(max_bytes=100)
    report = check_upload(GOOD_CSV * 3, name="t.csv", kind="teams", validate=passthrough, limits=small)
    assert [p.code for p in report.problems] == ["UPLOAD_TOO_LARGE"]


# ---------------------------------------------------------------- fuzz


def _assert_sane(report: UploadReport) -> None:
    assert isinstance(report, UploadReport)
    assert report.ok == (not report.problems and report.frame is not None)
    if not report.ok:
        assert report.frame is None
    for p in report.problems:
        assert p.code
        assert p.nl
        assert p.en


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".csv", ".xlsx", ".txt", ".bin"]))
def test_fuzz_any_bytes_never_crash(data: bytes, suffix: str) -> None:
    _assert_sane(check_upload(data, name="f" + suffix, kind="caseloads", validate=passthrough))


_cell = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.lists(_cell, min_size=1, max_size=8),
    rows=st.lists(st.lists(_cell, max_size=9), max_size=20),
    sep=st.sampled_from([";", ",", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_fuzz_table_like_text_never_crash(
    header: list[str], rows: list[list[str]], sep: str, encoding: str, newline: str
) -> None:
    text = newline.join(sep.join(r) for r in [header, *rows])
    data = text.encode(encoding, errors="replace")
    _assert_sane(check_upload(data, name="f.csv", kind="teams", validate=passthrough))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.lists(st.one_of(_cell, st.integers(), st.floats(allow_nan=False)), min_size=1, max_size=5),
        min_size=1,
        max_size=6,
    )
)
def test_fuzz_xlsx_never_crash(rows: list[list[object]]) -> None:
    clean = [[v.replace("\x00", "") if isinstance(v, str) else v for v in r] for r in rows]
    try:
        data = xlsx_bytes(clean)
    except Exception:  # openpyxl refuses some characters itself; nothing to upload then
        return
    _assert_sane(check_upload(data, name="f.xlsx", kind="teams", validate=passthrough))
