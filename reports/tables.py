"""The table of a view as XLSX or CSV: Dutch headers, protected values, safe against formula injection."""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from etl.sensitive import MISSING, SUPPRESSED
from reports.snapshot import QUALITY_COLUMN, Snapshot

# A cell a spreadsheet would run as a formula (or DDE) when it starts with one of these.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
Dialect = Literal["excel-nl", "standard"]
DIALECTS: tuple[str, ...] = ("excel-nl", "standard")
NOTE_SUPPRESSED = "beschermd: klein aantal (kleine-aantallenbescherming)"
NOTE_SECONDARY = "beschermd: afgeschermd zodat een klein aantal elders niet terug te rekenen is"
NOTE_MISSING = "geen gegevens"
QUALITY_HEADER = "Betrouwbaarheid reistijd"
GEMEENTE_HEADERS = ("Gemeentecode", "Gemeentenaam", "Grenzen (jaar)")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would evaluate gets a leading apostrophe (OWASP CSV injection advice).

    Numbers are left alone: they are written by us, never taken from a user's text.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Table:
    """Header and rows of the view's table; values are str, float, int (the boundary year) or None."""

    header: list[str]
    rows: list[list[object]]
    value_column: int
    decimals: int


def _value_header(snapshot: Snapshot) -> str:
    unit = f" ({snapshot.indicator_unit})" if snapshot.indicator_unit else ""
    return f"{snapshot.indicator_label}{unit}"


def view_table(snapshot: Snapshot) -> Table:
    """The rows of the view, sorted by code; a suppressed value is its protected text (``<5``), never the number.

    A travel figure has a column beside the value saying how sure it is (``kwaliteit``)."""
    units = snapshot.units.sort_values("code")
    if snapshot.unit_level == "buurt":
        header = ["Buurtcode", "Buurtnaam", "Wijkcode", "Wijknaam"]
        keys = ["code", "naam", "wijkcode", "wijknaam"]
    else:
        header = ["Wijkcode", "Wijknaam"]
        keys = ["code", "naam"]
    quality = QUALITY_COLUMN in units.columns
    header += [*GEMEENTE_HEADERS, _value_header(snapshot), *([QUALITY_HEADER] if quality else []), "Toelichting"]
    year = snapshot.boundary_year_number
    gemeente: list[object] = [
        neutralise(snapshot.gemeente_code),
        neutralise(snapshot.gemeente_name),
        year if year is not None else (neutralise(snapshot.boundary_year) or None),
    ]
    rows: list[list[object]] = []
    for rec in units.to_dict("records"):
        row: list[object] = [neutralise(str(rec.get(k, "") or "")) for k in keys] + gemeente
        status = rec["status"]
        if status == SUPPRESSED:
            shown = str(rec["weergave"])
            value_cell: object = shown
            note = NOTE_SUPPRESSED if shown.startswith("<") else NOTE_SECONDARY
        elif status == MISSING:
            value_cell, note = None, NOTE_MISSING
        elif snapshot.kind == "category":
            value_cell, note = neutralise(str(rec["weergave"])), ""
        else:
            value = float(rec["waarde"])
            value_cell, note = (None if math.isnan(value) else round(value, snapshot.decimals)), ""
        row.append(value_cell)
        if quality:
            text = rec.get(QUALITY_COLUMN)
            row.append(
                neutralise(str(text)) if isinstance(text, str) and text and status not in (SUPPRESSED, MISSING) else ""
            )
        row.append(note)
        rows.append(row)
    return Table(header, rows, len(keys) + len(gemeente), snapshot.decimals)


def _csv_text(value: object, *, decimal: str, decimals: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.{decimals}f}"
        return text.replace(".", decimal)
    return str(neutralise(str(value)))


def csv_bytes(snapshot: Snapshot, *, dialect: Dialect = "excel-nl") -> bytes:
    """CSV of the view. ``excel-nl``: ``;``, decimal comma, UTF-8 with BOM (Dutch Excel opens it as is);
    ``standard``: RFC 4180 ``,``, decimal point, UTF-8 without BOM."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown CSV dialect {dialect!r}; choose from {DIALECTS}")
    table = view_table(snapshot)
    sep, decimal, encoding = (";", ",", "utf-8-sig") if dialect == "excel-nl" else (",", ".", "utf-8")
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([_csv_text(h, decimal=decimal, decimals=0) for h in table.header])
    for row in table.rows:
        writer.writerow([_csv_text(v, decimal=decimal, decimals=table.decimals) for v in row])
    return buf.getvalue().encode(encoding)


def write_csv(snapshot: Snapshot, path: str | os.PathLike[str], *, dialect: Dialect = "excel-nl", **_: object) -> None:
    with open(path, "wb") as fh:
        fh.write(csv_bytes(snapshot, dialect=dialect))


def _number_format(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def write_xlsx(snapshot: Snapshot, path: str | os.PathLike[str], **_: object) -> None:
    """Sheet 'Tabel' (the view, header frozen, autofilter) and sheet 'Toelichting' (method, protection, lineage)."""
    # late import: openpyxl, ~2 s of -X importtime under load on the shared 2-core machine, only for an XLSX export
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    table = view_table(snapshot)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tabel"
    bold = Font(bold=True)
    for c, head in enumerate(table.header, start=1):
        cell = ws.cell(row=1, column=c, value=str(neutralise(head)))
        cell.font = bold
    for r, row in enumerate(table.rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, float):
                cell.value = value
                cell.number_format = _number_format(table.decimals)
            elif isinstance(value, int) and not isinstance(value, bool):
                cell.value = value
                cell.number_format = "0"  # a year, not 2.024
            elif value is not None:
                cell.value = str(neutralise(str(value)))
                cell.data_type = "s"  # never a formula, whatever the text
    ws.freeze_panes = "A2"
    if table.rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.header))}{len(table.rows) + 1}"
    for c, head in enumerate(table.header, start=1):
        width = max([len(str(head))] + [len(str(row[c - 1] or "")) for row in table.rows[:500]])
        ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 10), 60)

    info = wb.create_sheet("Toelichting")
    for r, (key, value) in enumerate(metadata_rows(snapshot), start=1):
        info.cell(row=r, column=1, value=str(neutralise(key))).font = bold
        cell = info.cell(row=r, column=2, value=str(neutralise(value)))
        cell.data_type = "s"
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 100
    wb.properties.title = snapshot.title
    wb.properties.creator = "buurtdekking"
    wb.save(path)


def metadata_rows(snapshot: Snapshot) -> list[tuple[str, str]]:
    """What the export is, how it was made and from what: the same lines in XLSX, GeoPackage and PDF."""
    rows = [
        ("Indicator", snapshot.indicator_label),
        ("Gebied", f"{snapshot.area_name} ({snapshot.area_code})"),
        ("Eenheden", "buurten" if snapshot.unit_level == "buurt" else "wijken"),
        *snapshot.parameters,
        ("Methode", snapshot.method),
        (QUALITY_HEADER, " ".join(snapshot.quality_notes)),
        ("Grenzen (jaar)", snapshot.boundary_year),
        ("Gegevens (datum)", snapshot.data_date),
        ("Bescherming", snapshot.protection_note),
        ("Link naar deze weergave", snapshot.permalink),
        ("Gemaakt", snapshot.created.strftime("%Y-%m-%d %H:%M UTC")),
        ("Bron", snapshot.attribution),
    ]
    if snapshot.is_demo:
        rows.insert(0, ("LET OP", "Fictieve demogegevens: niet gebruiken voor beleid of beslissingen."))
    rows += [(f"Herkomst: {k}", v) for k, v in snapshot.lineage]
    return [(k, v) for k, v in rows if v]


def read_back_csv(data: bytes) -> pd.DataFrame:
    """Read one of our CSVs (either dialect) as text, for tests and round trips."""
    text = data.decode("utf-8-sig")
    sep = ";" if text.split("\r\n", 1)[0].count(";") else ","
    return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
