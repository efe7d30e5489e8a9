"""Read spreadsheet-like tables (CSV with ; , tab or |, UTF-8/BOM/UTF-16/cp1252, or XLSX) as a frame of text.

Every cell comes out as a stripped ``str`` ('' for empty), whatever the file held (numbers, booleans, dates in a
workbook). The frame's index is the row number a spreadsheet shows (header = row 1, blank rows counted), so a
problem found later names the row the user sees. What makes a file unusable as a table is an ``InputError``
with every problem found: a row with more or fewer fields than the header, a quote left open, a cell, row or
column count over the limits, an empty or repeated column name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.errors import InputError, Problem
from geodata.textfile import decode_text, sniff_delimiter

__all__ = [
    "MAX_BYTES",
    "ROW_INDEX",
    "XLSX_MAGIC",
    "RefusedTableError",
    "TableLimits",
    "cell_text",
    "decode_text",
    "infer_decimal",
    "parse_number",
    "parse_numbers",
    "read_notes",
    "read_table",
    "read_table_bytes",
    "row_numbers",
    "sniff_delimiter",
    "text_column",
    "text_frame",
]

XLSX_MAGIC = b"PK\x03\x04"
# The frame's index: spreadsheet row numbers. A frame without it counts its rows from 2 (after the header).
ROW_INDEX = "rij"
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class TableLimits:
    """How large a table may be. These defaults are the command line's; the upload page passes its own, tighter ones."""

    max_bytes: int = MAX_BYTES
    max_rows: int = 500_000  # data rows, not counting the header or blank rows
    max_columns: int = 500  # CBS's Kerncijfers have about 120
    max_cell_chars: int = 500  # as on the upload page: no name or code needs more
    max_unzipped_bytes: int = 200 * 1024 * 1024


class RefusedTableError(InputError):
    """The file was read as a table (its data rows and header are known) but refused for the problems it carries."""

    def __init__(self, problems: Problem | Sequence[Problem], *, rows: int, header: Sequence[str]):
        super().__init__(problems)
        self.rows = rows  # data rows, not counting the header or blank rows
        self.header = tuple(header)


def _err(code: str, nl: str, en: str, name: str, row: int | None = None, column: str | None = None) -> Problem:
    return Problem(code, nl, en, name, row, column)


# ---------------------------------------------------------------- cells


def cell_text(value: object) -> str:
    """Any cell as stripped text: '' for missing, whole floats without '.0', dates as YYYY-MM-DD, bytes as UTF-8."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace").strip()
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    try:
        if pd.isna(value):  # numpy and pandas scalars
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def text_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every cell and column name as stripped text; the index is kept."""
    # by position, as arrays: neither repeated column names nor a repeated index may align anything
    out = pd.DataFrame({i: text_column(df.iloc[:, i]).array for i in range(df.shape[1])}, index=df.index)
    out.columns = [cell_text(c) for c in df.columns]
    return out


def text_column(values: pd.Series) -> pd.Series:
    """A column of any cells as stripped text (string dtype, '' for missing); see cell_text."""
    try:
        if values.dtype == "str" and not values.hasnans:
            return values.str.strip()
        if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
            return values.astype("str").str.strip()
        return pd.Series([cell_text(v) for v in values], index=values.index, dtype="str")
    except UnicodeError:  # a lone surrogate ('\ud800') has no UTF-8 form for the string dtype: replace it
        texts = [cell_text(v).encode("utf-8", "replace").decode("utf-8") for v in values]
        return pd.Series(texts, index=values.index, dtype="str")


def read_notes(df: pd.DataFrame) -> list[tuple[str, str]]:
    """What the reader tolerated in the file of this frame, as (Dutch, English) pairs (none for other frames)."""
    return [(str(nl), str(en)) for nl, en in df.attrs.get("notes", [])]


def row_numbers(df: pd.DataFrame) -> list[int]:
    """The spreadsheet row of each data row: the index of a frame read here, else 2, 3, … (header = row 1)."""
    if df.index.name == ROW_INDEX:
        return [int(r) for r in df.index]
    return list(range(2, len(df) + 2))


# ---------------------------------------------------------------- numbers


# ASCII digits only: Python's \d (and float()) would also read '٣' as 3, pyarrow's regex would not.
_DUTCH_DECIMAL = re.compile(r"-?[0-9.]*[0-9],[0-9]+")
_PLAIN_NUMBER = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_GROUPED = {
    ",": re.compile(r"[-+]?[0-9]{1,3}(\.[0-9]{3})+(,[0-9]*)?"),
    ".": re.compile(r"[-+]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?"),
}


def _number_text(value: object) -> str:
    return cell_text(value).replace("\u00a0", "").replace(" ", "")


def infer_decimal(values: Iterable[object]) -> str:
    """',' when any value is written with a decimal comma (Dutch Excel), else '.'."""
    if isinstance(values, pd.Series):
        cleaned = text_column(values).str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
        return "," if bool(cleaned.str.fullmatch(_DUTCH_DECIMAL.pattern).any()) else "."
    for v in values:
        if _DUTCH_DECIMAL.fullmatch(_number_text(v)):
            return ","
    return "."


def parse_number(value: object, *, decimal: str = ".") -> float | None:
    """Read a finite number with the given decimal mark; the other mark groups thousands. None if empty.

    Raises ValueError when the text is not a number: letters, 'nan', 'inf', a value beyond the float range
    (1e309), or a thousands mark that does not group three digits ('12.5' in a column with decimal commas
    is not 125). Use infer_decimal on the whole column first: '1.234' is 1234 in a Dutch column but 1.234
    in an English one.
    """
    text = _number_text(value)
    if text in {"", "."}:
        return None
    thousands = "." if decimal == "," else ","
    if thousands in text:
        if not _GROUPED[decimal].fullmatch(text):
            raise ValueError(f"not a number: {value!r}")
        text = text.replace(thousands, "")
    if decimal == ",":
        text = text.replace(",", ".")
    if not _PLAIN_NUMBER.fullmatch(text):
        raise ValueError(f"not a number: {value!r}")
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"not a number: {value!r} (out of range)")
    return number


def parse_numbers(values: pd.Series, *, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """parse_number on a whole column at once: floats (NaN for empty or bad) and a mask of the cells that are not numbers."""
    text = text_column(values).str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    empty = text.isin(["", "."])
    thousands = "." if decimal == "," else ","
    grouped = text.str.contains(thousands, regex=False)
    bad = grouped & ~empty & ~text.str.fullmatch(_GROUPED[decimal].pattern)
    plain = text.str.replace(thousands, "", regex=False)
    if decimal == ",":
        plain = plain.str.replace(",", ".", regex=False)
    bad |= ~empty & ~plain.str.fullmatch(_PLAIN_NUMBER.pattern)
    numbers = pd.to_numeric(plain.where(~bad & ~empty), errors="coerce").astype("float64")
    bad |= ~empty & ~bad & ~np.isfinite(numbers.fillna(0.0))
    return numbers.where(~bad & ~empty), bad.astype(bool)


# ---------------------------------------------------------------- CSV


def _delimiter_name(delim: str) -> str:
    return {"\t": "tab", ";": "';'", ",": "','", "|": "'|'"}.get(delim, repr(delim))


@dataclass
class _Records:
    """The records of a table: (spreadsheet row, cells), the header first, plus what made rows unreadable."""

    rows: list[tuple[int, list[str]]]
    problems: list[Problem]
    delimiter: str = ","
    counted: int = 0  # data rows, also those past the limit (which are not kept)
    exact: bool = True  # False when reading stopped at the row limit (a workbook)
    parsed: bool = True  # False when a quote problem made the csv module lose track of rows and cells
    notes: list[tuple[str, str]] = field(default_factory=list)  # (Dutch, English): tolerated, worth knowing


def _csv_records(text: str, *, name: str, limits: TableLimits) -> _Records:
    delim = sniff_delimiter(text)
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_bytes + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    out = _Records([], [], delim)
    row = 0
    while True:
        row += 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.parsed = False
            out.problems.append(_quote_problem(str(exc), name, row))
            if "end of data" in str(exc):
                break
            continue
        if not "".join(fields).strip():
            continue  # a blank row: not data, but it keeps its number
        if out.rows:
            out.counted += 1
            if out.counted > limits.max_rows:
                continue
        out.rows.append((row, fields))
    return out


def _quote_problem(message: str, name: str, row: int) -> Problem:
    if "end of data" in message:
        return _err(
            "QUOTE_UNCLOSED",
            f'Het aanhalingsteken (") waarmee een cel in rij {row} begint, wordt nergens gesloten: het bestand houdt '
            'midden in die cel op. Is het bestand afgebroken, of staat er een losse " aan het begin van een cel?',
            f'The quote (") that starts a cell in row {row} is never closed: the file ends inside that cell. '
            'Was the file cut off, or is there a stray " at the start of a cell?',
            name,
            row=row,
        )
    if "expected after" in message:
        return _err(
            "QUOTE_INVALID",
            f'In rij {row} volgt op een afsluitend aanhalingsteken (") geen scheidingsteken. Zet een cel met " '
            'helemaal tussen aanhalingstekens en schrijf de " erin dubbel ("").',
            f'In row {row} a closing quote (") is not followed by a delimiter. Put a cell holding " entirely in '
            'quotes and double the " inside it ("").',
            name,
            row=row,
        )
    return _err(
        "FILE_NOT_TABLE",
        f"Rij {row} is niet te lezen: {message}.",
        f"Row {row} cannot be read: {message}.",
        name,
        row=row,
    )


def _field_count_problems(records: _Records, *, name: str, ended_with_newline: bool) -> list[Problem]:
    """Each data row must have the header's number of fields; extra fields that are all empty are tolerated."""
    (_, header), *data = records.rows
    width = len(header)
    problems: list[Problem] = []
    kept: list[tuple[int, list[str]]] = [records.rows[0]]
    last = data[-1][0] if data else None
    trimmed = 0
    for row, fields in data:
        if len(fields) > width and not any(f.strip() for f in fields[width:]):
            fields = fields[:width]  # Excel writes `a;b;` when a cell right of the table was ever touched
            trimmed += 1
        if len(fields) != width:
            cut_nl = (
                " Het bestand lijkt hier afgebroken."
                if row == last and not ended_with_newline and len(fields) < width
                else ""
            )
            cut_en = " The file seems to be cut off here." if cut_nl else ""
            quote_nl = (
                ' Staat er een losse " die cellen samenvoegt?' if any("\n" in f or "\r" in f for f in fields) else ""
            )
            quote_en = ' Is there a stray " joining cells?' if quote_nl else ""
            d = _delimiter_name(records.delimiter)
            problems.append(
                _err(
                    "ROW_FIELD_COUNT",
                    f"Rij {row} heeft {len(fields)} velden, de kopregel {width}: er staat een scheidingsteken ({d}) te veel "
                    f"of te weinig in deze rij.{cut_nl}{quote_nl}",
                    f"Row {row} has {len(fields)} fields, the header {width}: this row has a delimiter ({d}) too many or "
                    f"too few.{cut_en}{quote_en}",
                    name,
                    row=row,
                )
            )
        kept.append((row, fields))
    records.rows = kept
    if data and not ended_with_newline and not problems:
        records.notes.append(
            (
                f"Het bestand eindigt zonder regeleinde na rij {last}; controleer of die rij compleet is (een "
                "afgebroken bestand kan daar midden in een getal ophouden)",
                f"The file ends without a line break after row {last}; check that this row is complete (a file "
                "cut off may end in the middle of a number there)",
            )
        )
    if trimmed:
        d = _delimiter_name(records.delimiter)
        records.notes.append(
            (
                f"{trimmed} rij(en) eindigen op lege extra velden (een {d} te veel achteraan, zoals Excel dat "
                "schrijft); die zijn genegeerd",
                f"{trimmed} row(s) end in empty extra fields (a trailing {d}, as Excel writes them); they were ignored",
            )
        )
    return problems


# ---------------------------------------------------------------- XLSX


def _xlsx_records(data: bytes, *, name: str, sheet: str | int | None, limits: TableLimits) -> _Records:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InputError(
            _err(
                "FILE_NOT_TABLE",
                "Het bestand lijkt op XLSX maar is beschadigd.",
                "The file looks like XLSX but is damaged.",
                name,
            )
        ) from exc
    if total > limits.max_unzipped_bytes:
        raise InputError(
            _err(
                "FILE_TOO_LARGE",
                f"Het XLSX-bestand pakt uit tot {total // 1_000_000} MB; dat is te groot (zip-bom?).",
                f"The XLSX file unpacks to {total // 1_000_000} MB; that is too large (zip bomb?).",
                name,
            )
        )
    # late import: openpyxl, ~2 s of -X importtime under load on the shared 2-core machine, only for an XLSX file
    from openpyxl import load_workbook

    out = _Records([], [], exact=False)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = book.worksheets[sheet or 0] if not isinstance(sheet, str) else book[sheet]
            ws.reset_dimensions()  # a crafted <dimension> must not make every row 16,384 cells wide
            for row, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                cells = [cell_text(v) for v in values]
                while cells and not cells[-1]:
                    cells.pop()
                if not cells:
                    continue
                if out.rows:
                    out.counted += 1
                    if out.counted > limits.max_rows:
                        break  # a workbook is not counted to the end: reading it is the costly part
                out.rows.append((row, cells))
        finally:
            book.close()
    except InputError:
        raise
    except Exception as exc:  # openpyxl, zipfile, zlib and the XML parser raise many kinds for a broken workbook
        raise InputError(
            _err(
                "FILE_NOT_TABLE",
                f"Het XLSX-bestand is niet te lezen (beschadigd of geen Excel-werkmap: {type(exc).__name__}). "
                "Open het in Excel en sla het opnieuw op, of sla het op als CSV.",
                f"The XLSX file cannot be read (damaged or not an Excel workbook: {type(exc).__name__}). "
                "Open it in Excel and save it again, or save it as CSV.",
                name,
            )
        ) from exc
    if out.rows:  # a value right of the last named column is a cell without a header (HEADER_EMPTY)
        width = max(len(cells) for _, cells in out.rows)
        out.rows = [(r, cells + [""] * (width - len(cells))) for r, cells in out.rows]
    return out


# ---------------------------------------------------------------- the frame


def _shape_problems(records: _Records, *, name: str, limits: TableLimits) -> list[Problem]:
    problems: list[Problem] = []
    width = len(records.rows[0][1])
    if width > limits.max_columns:
        problems.append(
            _err(
                "TABLE_TOO_MANY_COLUMNS",
                f"Het bestand heeft {width} kolommen; het maximum is {limits.max_columns}. Laat ongebruikte kolommen weg.",
                f"The file has {width} columns; the maximum is {limits.max_columns}. Leave out unused columns.",
                name,
            )
        )
    if records.counted > limits.max_rows:
        n_nl = (
            f"{records.counted:,}".replace(",", ".")
            if records.exact
            else f"meer dan {limits.max_rows:,}".replace(",", ".")
        )
        n_en = f"{records.counted:,}" if records.exact else f"more than {limits.max_rows:,}"
        problems.append(
            _err(
                "TABLE_TOO_MANY_ROWS",
                f"Het bestand heeft {n_nl} rijen; het maximum is {limits.max_rows:,}. Splits het bestand.".replace(
                    ",", "."
                ),
                f"The file has {n_en} rows; the maximum is {limits.max_rows:,}. Split the file.",
                name,
            )
        )
    return problems


def _header_problems(header: Sequence[str], columns: Sequence[pd.Series], header_row: int, name: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for pos, text in enumerate(header, start=1):
        if not text:
            if bool((columns[pos - 1] != "").any()):
                problems.append(
                    _err(
                        "HEADER_EMPTY",
                        f"Kolom {pos} heeft geen naam in de kopregel maar wel waarden; geef de kolom een naam of verwijder hem.",
                        f"Column {pos} has no name in the header row but does hold values; name the column or remove it.",
                        name,
                        row=header_row,
                        column=str(pos),
                    )
                )
            continue
        key = text.casefold()
        if key in seen:
            problems.append(
                _err(
                    "HEADER_DUPLICATE",
                    f"Kolomnaam '{text}' komt twee keer voor (kolom {seen[key]} en {pos}); houd er één.",
                    f"Column name '{text}' occurs twice (columns {seen[key]} and {pos}); keep one.",
                    name,
                    row=header_row,
                    column=text[:60],
                )
            )
        else:
            seen[key] = pos
    return problems


def _cell_problems(
    header: Sequence[str], columns: Sequence[pd.Series], rows: Sequence[int], header_row: int, name: str, limit: int
) -> list[Problem]:
    problems: list[Problem] = []
    for pos, label in enumerate(header):
        column = label[:60] or str(pos + 1)
        if len(label) > limit:
            problems.append(_too_long(len(label), limit, name, header_row, column))
        lengths = columns[pos].str.len().to_numpy()
        problems += [
            _too_long(int(lengths[i]), limit, name, rows[i], column) for i in np.flatnonzero(lengths > limit).tolist()
        ]
    return sorted(problems, key=lambda p: p.row or 0)


def _too_long(n: int, limit: int, name: str, row: int, column: str) -> Problem:
    return _err(
        "CELL_TOO_LONG",
        f"De cel heeft {n:,} tekens; maximaal {limit:,}.".replace(",", "."),
        f"The cell has {n:,} characters; at most {limit:,}.",
        name,
        row=row,
        column=column,
    )


def _columns(data: Sequence[tuple[int, list[str]]], width: int) -> list[pd.Series]:
    """The data rows as stripped text columns; a row of the wrong width (a problem already) is padded or cut."""
    matrix = [fields if len(fields) == width else (fields + [""] * width)[:width] for _, fields in data]
    cells = list(zip(*matrix, strict=True)) if matrix else [()] * width
    return [pd.Series(list(c), dtype="str").str.strip() for c in cells]


def _refused(problems: list[Problem], records: _Records, header: Sequence[str], limits: TableLimits) -> InputError:
    """The error for a table read but refused: with its real size when every row was read, else without one."""
    if records.parsed and (records.exact or records.counted <= limits.max_rows):
        return RefusedTableError(problems, rows=records.counted, header=header)
    return InputError(problems)


def _frame(records: _Records, *, name: str, limits: TableLimits) -> pd.DataFrame:
    if not records.rows:
        raise InputError(records.problems or [_err("FILE_EMPTY", "Het bestand is leeg.", "The file is empty.", name)])
    problems = list(records.problems) + _shape_problems(records, name=name, limits=limits)
    header_row, raw_header = records.rows[0]
    header = [h.strip() for h in raw_header]
    if problems and any(p.code == "TABLE_TOO_MANY_COLUMNS" for p in problems):
        raise _refused(problems, records, header, limits)
    data = records.rows[1:]
    rows = [r for r, _ in data]
    columns = _columns(data, len(header))
    problems += _header_problems(header, columns, header_row, name)
    problems += _cell_problems(header, columns, rows, header_row, name, limits.max_cell_chars)
    if problems:
        # a nameless column without values is not counted, as it is not kept below
        named = [h for i, h in enumerate(header) if h or bool((columns[i] != "").any())]
        raise _refused(sorted(problems, key=lambda p: p.row or 0), records, named, limits)
    keep = [i for i, h in enumerate(header) if h]  # a nameless column without values (`a;b;` in the header) is dropped
    if len(keep) <= 1 and not data:
        raise InputError(_err("FILE_EMPTY", "Het bestand bevat geen gegevens.", "The file contains no data.", name))
    index = pd.Index(rows, name=ROW_INDEX, dtype="int64")
    df = pd.DataFrame({header[i]: columns[i].set_axis(index) for i in keep}, index=index)
    df.attrs["notes"] = list(records.notes)  # (nl, en) pairs; see read_notes
    return df


def _too_large(size: int, limits: TableLimits, name: str) -> InputError:
    return InputError(
        _err(
            "FILE_TOO_LARGE",
            f"Het bestand is {size / 1_000_000:.1f} MB; het maximum is {limits.max_bytes / 1_000_000:.0f} MB.",
            f"The file is {size / 1_000_000:.1f} MB; the maximum is {limits.max_bytes / 1_000_000:.0f} MB.",
            name,
        )
    )


def read_table_bytes(
    data: bytes, *, name: str, sheet: str | int | None = None, limits: TableLimits | None = None
) -> pd.DataFrame:
    """Parse CSV or XLSX content into a frame of stripped strings ('' for empty), indexed by spreadsheet row."""
    limits = limits or TableLimits()
    if len(data) > limits.max_bytes:
        raise _too_large(len(data), limits, name)
    if not data.strip():
        raise InputError(_err("FILE_EMPTY", "Het bestand is leeg.", "The file is empty.", name))
    if data.startswith(XLSX_MAGIC):
        records = _xlsx_records(data, name=name, sheet=sheet, limits=limits)
    else:
        text = decode_text(data, name=name)
        records = _csv_records(text, name=name, limits=limits)
        if records.rows:
            records.problems += _field_count_problems(
                records, name=name, ended_with_newline=text.endswith(("\n", "\r"))
            )
    return _frame(records, name=name, limits=limits)


def read_table(
    path: str | os.PathLike[str], *, sheet: str | int | None = None, limits: TableLimits | None = None
) -> pd.DataFrame:
    """Read a CSV or XLSX file from disk as text; see read_table_bytes."""
    limits = limits or TableLimits()
    p = Path(path)
    if not p.is_file():
        raise InputError(_err("FILE_NOT_FOUND", f"Bestand '{p}' bestaat niet.", f"File '{p}' does not exist.", str(p)))
    try:
        size = p.stat().st_size
        if size > limits.max_bytes:  # said before the file is read into memory
            raise _too_large(size, limits, str(p))
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(
            _err(
                "FILE_NOT_FOUND",
                f"Bestand '{p}' is niet te lezen: {exc.strerror}.",
                f"File '{p}' cannot be read: {exc.strerror}.",
                str(p),
            )
        ) from exc
    return read_table_bytes(data, name=str(p), sheet=sheet, limits=limits)
