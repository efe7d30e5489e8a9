"""Check an uploaded table (bytes from a browser) before anything uses it: limits, type, shape, then the care rules.

Never raises for bad input: every problem becomes a line of the report (row, column, message in Dutch and
English), and only a report without problems carries a frame that may be applied.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from etl.inputs import KINDS, Kind
from etl.numbers import format_size
from geodata.errors import InputError, Problem
from geodata.tables import XLSX_MAGIC, RefusedTableError, TableLimits, read_notes, read_table_bytes, row_numbers

LOG = logging.getLogger(__name__)
UploadKind = Kind
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")
# Validator for one kind: text frame in, validated frame out; raises InputError listing every problem.
Validator = Callable[[pd.DataFrame, str], pd.DataFrame]

# Magic numbers of files people drop by mistake, with the name we tell them.
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (
        b"\xd0\xcf\x11\xe0",
        "oud Excel-formaat (.xls) of beveiligd met wachtwoord / old Excel (.xls) or password-protected",
    ),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf", "7-Zip"),
    (b"Rar!", "RAR"),
    (b"\x7fELF", "ELF"),
    (b"MZ", "Windows-programma / Windows executable"),
)
# = and @ always start a formula; + and - unless the rest is a plain number ("-3", "+31 30 123").
_FORMULA = re.compile(r"^(=|@|[+-](?![\d\s.,]*$))")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class UploadLimits:
    """What one upload may be; generous for a caseload table of a city, tight enough to protect the server."""

    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 50_000
    max_columns: int = 60
    max_cell_chars: int = 500
    max_unzipped_bytes: int = 60 * 1024 * 1024
    max_zip_entries: int = 500

    def table(self) -> TableLimits:
        """The same limits for the table reader, which the command line runs with its own (larger) ones."""
        return TableLimits(
            max_bytes=self.max_bytes,
            max_rows=self.max_rows,
            max_columns=self.max_columns,
            max_cell_chars=self.max_cell_chars,
            max_unzipped_bytes=self.max_unzipped_bytes,
        )


@dataclass(frozen=True)
class UploadReport:
    """The outcome of checking one upload; ``frame`` is set only when there are no problems.

    ``rows`` and ``columns`` are the table's real size (data rows, column names), or None when the file was not
    read as a table at all (its type, size, encoding or quoting refused it first): never a made-up 0.
    """

    kind: str
    name: str
    size: int
    sha256: str
    problems: tuple[Problem, ...] = ()
    rows: int | None = None
    columns: tuple[str, ...] | None = None
    frame: pd.DataFrame | None = field(default=None, compare=False)
    preview: pd.DataFrame | None = field(default=None, compare=False)
    notes: tuple[tuple[str, str], ...] = ()  # (Dutch, English): what the reader tolerated, as `validate` notes it

    @property
    def ok(self) -> bool:
        return not self.problems and self.frame is not None


def safe_name(name: str) -> str:
    """The file name as we show it: no folders, no control characters, at most 120 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", _CONTROL.sub("", base)).strip()
    return base[:120] or "upload"


def _p(code: str, nl: str, en: str, name: str, row: int | None = None, column: str | None = None) -> Problem:
    return Problem(code, nl, en, name, row, column)


def check_suffix(name: str) -> list[Problem]:
    """Only CSV (.csv, .txt, .tsv) and Excel (.xlsx) files are read."""
    if name.lower().endswith(SUFFIXES):
        return []
    return [
        _p(
            "UPLOAD_TYPE",
            f"'{name}' is geen CSV- of XLSX-bestand. Sla het op als CSV (UTF-8) of Excel-werkmap (.xlsx).",
            f"'{name}' is not a CSV or XLSX file. Save it as CSV (UTF-8) or Excel workbook (.xlsx).",
            name,
        )
    ]


def check_size(data: bytes, name: str, limits: UploadLimits) -> list[Problem]:
    """A file may be at most ``max_bytes`` (10 MB by default)."""
    if len(data) <= limits.max_bytes:
        return []
    nl = {"size": format_size(len(data), lang="nl"), "limit": format_size(limits.max_bytes, lang="nl")}
    en = {"size": format_size(len(data), lang="en"), "limit": format_size(limits.max_bytes, lang="en")}
    return [
        _p(
            "UPLOAD_TOO_LARGE",
            f"Het bestand is {nl['size']}; het maximum is {nl['limit']}. Splits het of laat ongebruikte kolommen weg.",
            f"The file is {en['size']}; the maximum is {en['limit']}. Split it or leave out unused columns.",
            name,
        )
    ]


def check_binary(data: bytes, name: str) -> list[Problem]:
    """A known binary format (PDF, image, archive, program, old .xls) is not a table."""
    for magic, kind in _BINARY_MAGIC:
        if data.startswith(magic):
            return [
                _p(
                    "UPLOAD_BINARY",
                    f"Het bestand is een {kind}-bestand, geen tabel. Sla de tabel op als CSV of XLSX.",
                    f"The file is a {kind} file, not a table. Save the table as CSV or XLSX.",
                    name,
                )
            ]
    return []


def check_zip(data: bytes, name: str, limits: UploadLimits) -> list[Problem]:
    """An XLSX (a zip archive) may unpack to at most ``max_unzipped_bytes`` in at most ``max_zip_entries`` parts."""
    if not data.startswith(XLSX_MAGIC):
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return [
            _p(
                "FILE_NOT_TABLE",
                "Het bestand lijkt op XLSX maar is beschadigd.",
                "The file looks like XLSX but is damaged.",
                name,
            )
        ]
    total = sum(i.file_size for i in infos)
    if len(infos) > limits.max_zip_entries or total > limits.max_unzipped_bytes:
        return [
            _p(
                "UPLOAD_ZIP_BOMB",
                f"Het XLSX-bestand pakt uit tot {format_size(total, lang='nl')} in {len(infos)} delen; dat is te groot "
                f"(maximaal {format_size(limits.max_unzipped_bytes, lang='nl')}). Sla alleen de tabel op in een nieuwe werkmap.",
                f"The XLSX file unpacks to {format_size(total, lang='en')} in {len(infos)} parts; that is too large "
                f"(at most {format_size(limits.max_unzipped_bytes, lang='en')}). Save just the table in a new workbook.",
                name,
            )
        ]
    if any(i.flag_bits & 0x1 for i in infos):
        return [
            _p(
                "UPLOAD_ENCRYPTED",
                "Het XLSX-bestand is versleuteld. Sla het op zonder wachtwoord.",
                "The XLSX file is encrypted. Save it without a password.",
                name,
            )
        ]
    return []


_XLSX_FORMULA = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*>\s*<f[\s>/]')


def check_xlsx_formulas(data: bytes, name: str) -> list[Problem]:
    """A workbook with formulas is refused: we read values only, so paste the cells as values first."""
    if not data.startswith(XLSX_MAGIC):
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
            for sheet in sheets:
                match = _XLSX_FORMULA.search(zf.read(sheet))
                if match:
                    col, row = match.group(1).decode(), int(match.group(2))
                    return [
                        _p(
                            "UPLOAD_FORMULA",
                            f"Cel {col}{row} bevat een spreadsheetformule; kopieer de tabel en plak als waarden.",
                            f"Cell {col}{row} holds a spreadsheet formula; copy the table and paste it as values.",
                            name,
                            row=row,
                            column=col,
                        )
                    ]
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, RuntimeError, NotImplementedError):
        # A part that does not unpack (a damaged deflate stream, a wrong checksum): the reader would say the same.
        return [
            _p(
                "FILE_NOT_TABLE",
                "Het XLSX-bestand is beschadigd: een deel ervan is niet uit te pakken. "
                "Open het in Excel en sla het opnieuw op, of sla het op als CSV.",
                "The XLSX file is damaged: part of it cannot be unpacked. Open it in Excel and save it again, "
                "or save it as CSV.",
                name,
            )
        ]
    return []


def check_cells(df: pd.DataFrame, name: str, *, max_problems: int = 20) -> list[Problem]:
    """No control characters, nothing that looks like a spreadsheet formula (sizes are the reader's business)."""
    problems: list[Problem] = []
    rows = [1, *row_numbers(df)]
    # by position: a header that only differs in whitespace may still give two equal column names
    for pos, column in enumerate(df.columns):
        values = pd.concat([pd.Series([column]), df.iloc[:, pos]], ignore_index=True).astype(str)
        for idx in values.index[values.str.contains(_CONTROL, regex=True)]:
            problems.append(
                _p(
                    "UPLOAD_CONTROL_CHAR",
                    "De cel bevat onzichtbare stuurtekens; verwijder ze.",
                    "The cell contains invisible control characters; remove them.",
                    name,
                    row=rows[int(idx)],
                    column=str(column)[:60],
                )
            )
        for idx in values.index[values.str.match(_FORMULA)]:
            problems.append(
                _p(
                    "UPLOAD_FORMULA",
                    "De cel begint als een spreadsheetformule (=, +, -, @); vul een waarde in, geen formule.",
                    "The cell starts like a spreadsheet formula (=, +, -, @); enter a value, not a formula.",
                    name,
                    row=rows[int(idx)],
                    column=str(column)[:60],
                )
            )
        if len(problems) >= max_problems:
            break
    return sorted(problems[:max_problems], key=lambda p: p.row or 0)


def check_upload(
    data: bytes,
    *,
    name: str,
    kind: str,
    validate: Validator | None = None,
    limits: UploadLimits | None = None,
    preview_rows: int = 20,
) -> UploadReport:
    """Every check, cheapest first; the care rules (``validate``) run only on a table that passed the rest."""
    limits = limits or UploadLimits()
    name = safe_name(name)
    digest = hashlib.sha256(data).hexdigest()

    def report(
        problems: list[Problem],
        df: pd.DataFrame | None = None,
        frame: pd.DataFrame | None = None,
        shape: tuple[int, tuple[str, ...]] | None = None,
    ) -> UploadReport:
        if df is not None:
            shape = (len(df), tuple(map(str, df.columns)))
        return UploadReport(
            kind=kind,
            name=name,
            size=len(data),
            sha256=digest,
            problems=tuple(problems),
            rows=None if shape is None else shape[0],
            columns=None if shape is None else shape[1],
            frame=None if problems else frame,
            preview=None if df is None else df.head(preview_rows),
            notes=() if df is None else tuple(read_notes(df)),
        )

    if kind not in KINDS:
        return report(
            [
                _p(
                    "UPLOAD_KIND",
                    f"Onbekende soort '{kind}'; kies {', '.join(KINDS)}.",
                    f"Unknown kind '{kind}'; choose {', '.join(KINDS)}.",
                    name,
                )
            ]
        )
    for check in (
        lambda: check_suffix(name),
        lambda: check_size(data, name, limits),
        lambda: check_binary(data, name),
        lambda: check_zip(data, name, limits),
        lambda: check_xlsx_formulas(data, name),
    ):
        found = check()
        if found:
            return report(found)
    try:
        df = read_table_bytes(data, name=name, limits=limits.table())
    except RefusedTableError as exc:  # read as a table, refused for its rows or cells: its size is known
        return report(list(exc.problems), shape=(exc.rows, exc.header))
    except InputError as exc:
        return report(list(exc.problems))
    except (
        Exception
    ) as exc:  # a crafted file must never take the app down; say what we can (a bug: tests/fuzz_inputs.py)
        LOG.error("upload %s: the reader failed unexpectedly (%s)", kind, type(exc).__name__)
        return report(
            [
                _p(
                    "FILE_NOT_TABLE",
                    f"Het bestand is geen leesbare tabel ({type(exc).__name__}).",
                    f"The file is not a readable table ({type(exc).__name__}).",
                    name,
                )
            ]
        )
    found = check_cells(df, name)
    if found:
        return report(found, df)
    if validate is None:
        return report(
            [
                _p(
                    "UPLOAD_NO_RULES",
                    f"Voor '{kind}' zijn geen controleregels beschikbaar; het bestand wordt niet gebruikt.",
                    f"No validation rules are available for '{kind}'; the file is not used.",
                    name,
                )
            ],
            df,
        )
    try:
        frame = validate(df, name)
    except InputError as exc:
        return report(list(exc.problems), df)
    except Exception as exc:
        LOG.error("upload %s: the rules failed unexpectedly (%s)", kind, type(exc).__name__)
        return report(
            [
                _p(
                    "UPLOAD_INVALID",
                    f"Het bestand kon niet worden gecontroleerd ({type(exc).__name__}).",
                    f"The file could not be checked ({type(exc).__name__}).",
                    name,
                )
            ],
            df,
        )
    return report([], df, frame)
