"""CBS code normalisation and the tolerant table reader (Dutch Excel exports)."""

from __future__ import annotations

import pytest

from geodata.codes import gemeentecode_from_code, normalise_code, wijkcode_from_buurtcode
from geodata.errors import InputError
from geodata.tables import TableLimits, infer_decimal, parse_number, read_table_bytes


@pytest.mark.parametrize(
    ("raw", "level", "expected"),
    [
        ("BU03440111", "buurt", "BU03440111"),
        ("bu03440111", "buurt", "BU03440111"),
        ("0344 0111", "buurt", "BU03440111"),
        ("3440111", "buurt", "BU03440111"),  # Excel dropped the leading zero
        (3440111.0, "buurt", "BU03440111"),
        (" WK034401 ", "wijk", "WK034401"),
        ("34401", "wijk", "WK034401"),
        ("0344", "gemeente", "GM0344"),
        ("344", "gemeente", "GM0344"),
        ("WK034401", "buurt", None),  # a wijk code where a buurt code belongs
        ("BU0344011", "buurt", None),  # a typo with the prefix is not guessed
        ("34", "buurt", None),
        ("Oog in Al", "buurt", None),
        (None, "buurt", None),
    ],
)
def test_normalise_code(raw: object, level: str, expected: str | None) -> None:
    assert normalise_code(raw, level) == expected  # type: ignore[arg-type]


def test_derive_codes() -> None:
    assert wijkcode_from_buurtcode("BU03440211") == "WK034402"
    assert gemeentecode_from_code("BU03440211") == "GM0344"
    assert gemeentecode_from_code("WK034402") == "GM0344"


def test_dutch_excel_csv_cp1252_semicolon_decimal_comma() -> None:
    data = "buurtcode;naam;fte\r\nBU03440111;Café Zuilen;1,5\r\nBU03440112;Oog in Al;2\r\n".encode("cp1252")
    df = read_table_bytes(data, name="teams.csv")
    assert list(df.columns) == ["buurtcode", "naam", "fte"]
    assert df["naam"].tolist() == ["Café Zuilen", "Oog in Al"]
    assert infer_decimal(df["fte"]) == ","
    assert [parse_number(v, decimal=",") for v in df["fte"]] == [1.5, 2.0]


def test_utf8_bom_tab_separated() -> None:
    data = "\ufeffa\tb\n1\t2\n".encode()
    df = read_table_bytes(data, name="x.tsv")
    assert list(df.columns) == ["a", "b"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "FILE_EMPTY"),
        (b"   \n ", "FILE_EMPTY"),
        (b"\x00\x01\x02binary", "FILE_BINARY"),
        (b"PK\x03\x04not really a zip", "FILE_NOT_TABLE"),
    ],
)
def test_bad_tables(data: bytes, code: str) -> None:
    with pytest.raises(InputError) as err:
        read_table_bytes(data, name="upload.csv")
    assert err.value.problems[0].code == code
    assert err.value.problems[0].file == "upload.csv"


def test_too_large() -> None:
    with pytest.raises(InputError) as err:
        read_table_bytes(b"a,b\n" * 100, name="big.csv", limits=TableLimits(max_bytes=100))
    assert err.value.problems[0].code == "FILE_TOO_LARGE"


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("1.234,5", ",", 1234.5),
        ("1,234.5", ".", 1234.5),
        (" 3 ", ".", 3.0),
        ("52.09", ".", 52.09),
        ("", ".", None),
        ("-4,25", ",", -4.25),
    ],
)
def test_parse_number(text: str, decimal: str, expected: float | None) -> None:
    assert parse_number(text, decimal=decimal) == expected


@pytest.mark.parametrize("text", ["abc", "nan", "1,2,3x", "inf"])
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        parse_number(text)
