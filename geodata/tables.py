"""Read spreadsheet-like tables (CSV with ; , or tab, UTF-8/BOM/cp1252, or XLSX) as text, tolerant of Dutch exports."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from geodata.errors import InputError

ENCODINGS = ("utf-8-sig", "cp1252")
DELIMITERS = (";", ",", "\t", "|")
XLSX_MAGIC = b"PK\x03\x04"
# Defaults that protect the server from a crafted upload; callers may lower them.
MAX_BYTES = 50 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024


def _err(code: str, nl: str, en: str, name: str) -> InputError:
    return InputError.single(code, nl, en, file=name)


def decode_text(data: bytes, *, name: str) -> str:
    """Decode as UTF-8 (with or without BOM), else cp1252, the encoding of Dutch Excel's 'CSV (;)'."""
    if b"\x00" in data[:4096]:
        raise _err(
            "FILE_BINARY",
            "Het bestand is binair, geen tekst-CSV. Sla het op als CSV (UTF-8) of XLSX.",
            "The file is binary, not a text CSV. Save it as CSV (UTF-8) or XLSX.",
            name,
        )
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise _err(
        "FILE_ENCODING",
        "De tekencodering is niet te lezen (verwacht UTF-8 of Windows-1252).",
        "The character encoding cannot be read (expected UTF-8 or Windows-1252).",
        name,
    )


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter that splits the header and the first lines into the same number of fields."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1
    for delim in DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delim))
        except csv.Error:
            continue
        widths = [len(r) for r in rows]
        if widths[0] < 2:
            continue
        score = widths[0] * 10 + sum(w == widths[0] for w in widths)
        if score > best_score:
            best, best_score = delim, score
    return best


def _read_csv_text(text: str, *, name: str) -> pd.DataFrame:
    delim = sniff_delimiter(text)
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=False,
            engine="python",
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise _err(
            "FILE_NOT_TABLE",
            f"Het bestand is geen leesbare tabel: {exc}",
            f"The file is not a readable table: {exc}",
            name,
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise _err("FILE_EMPTY", "Het bestand is leeg.", "The file is empty.", name) from exc
    return df


def _read_xlsx(data: bytes, *, name: str, sheet: str | int | None) -> pd.DataFrame:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise _err(
            "FILE_NOT_TABLE",
            "Het bestand lijkt op XLSX maar is beschadigd.",
            "The file looks like XLSX but is damaged.",
            name,
        ) from exc
    if total > MAX_XLSX_UNCOMPRESSED:
        raise _err(
            "FILE_TOO_LARGE",
            f"Het XLSX-bestand pakt uit tot {total // 1_000_000} MB; dat is te groot (zip-bom?).",
            f"The XLSX file unpacks to {total // 1_000_000} MB; that is too large (zip bomb?).",
            name,
        )
    try:
        df = pd.read_excel(io.BytesIO(data), sheet_name=sheet or 0, dtype=str, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise _err(
            "FILE_NOT_TABLE",
            f"Het XLSX-bestand is niet te lezen: {exc}",
            f"The XLSX file cannot be read: {exc}",
            name,
        ) from exc
    return df.fillna("")


def read_table_bytes(
    data: bytes, *, name: str, sheet: str | int | None = None, max_bytes: int = MAX_BYTES
) -> pd.DataFrame:
    """Parse CSV or XLSX content into a frame of stripped strings ('' for empty); headers stripped too."""
    if len(data) > max_bytes:
        raise _err(
            "FILE_TOO_LARGE",
            f"Het bestand is {len(data) / 1_000_000:.1f} MB; het maximum is {max_bytes / 1_000_000:.0f} MB.",
            f"The file is {len(data) / 1_000_000:.1f} MB; the maximum is {max_bytes / 1_000_000:.0f} MB.",
            name,
        )
    if not data.strip():
        raise _err("FILE_EMPTY", "Het bestand is leeg.", "The file is empty.", name)
    if data.startswith(XLSX_MAGIC):
        df = _read_xlsx(data, name=name, sheet=sheet)
    else:
        df = _read_csv_text(decode_text(data, name=name), name=name)
    df.columns = [str(c).strip() for c in df.columns]
    df = df.apply(lambda col: col.astype(str).str.strip())
    if df.empty and len(df.columns) <= 1:
        raise _err("FILE_EMPTY", "Het bestand bevat geen gegevens.", "The file contains no data.", name)
    return df


def read_table(path: str | os.PathLike[str], *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX file from disk as text; see read_table_bytes."""
    p = Path(path)
    if not p.is_file():
        raise _err(
            "FILE_NOT_FOUND",
            f"Bestand '{p}' bestaat niet.",
            f"File '{p}' does not exist.",
            str(p),
        )
    return read_table_bytes(p.read_bytes(), name=str(p), sheet=sheet)


_DUTCH_DECIMAL = re.compile(r"^-?[\d.]*\d,\d+$")


def infer_decimal(values: Iterable[str]) -> str:
    """',' when any value is written with a decimal comma (Dutch Excel), else '.'."""
    for v in values:
        if _DUTCH_DECIMAL.match(v.strip().replace("\u00a0", "").replace(" ", "")):
            return ","
    return "."


def parse_number(value: str, *, decimal: str = ".") -> float | None:
    """Read a number with the given decimal mark; the other mark is a thousands separator. None if empty.

    Raises ValueError when the text is not a number. Use infer_decimal on the whole column first:
    '1.234' is 1234 in a Dutch column but 1.234 in an English one.
    """
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    if text in {"", "."}:
        return None
    thousands = "." if decimal == "," else ","
    text = text.replace(thousands, "")
    if decimal == ",":
        text = text.replace(",", ".")
    if not _PLAIN_NUMBER.match(text):
        raise ValueError(f"not a number: {value!r}")
    return float(text)


_PLAIN_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
