"""Load a caseloads file: Caseloads per buurt or wijk and period; CSV (; , tab; UTF-8, BOM, UTF-16, cp1252) or XLSX, as text."""

from __future__ import annotations

import os

import pandas as pd

from geodata.tables import TableLimits, read_table


def read_caseloads(
    path: str | os.PathLike[str], *, sheet: str | int | None = None, limits: TableLimits | None = None
) -> pd.DataFrame:
    """Every cell as stripped text ('' when empty), headers as written, indexed by spreadsheet row; InputError for a
    file that is no table within ``limits`` (the command line's by default)."""
    return read_table(path, sheet=sheet, limits=limits)
