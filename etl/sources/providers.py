"""Load a providers file: Provider areas (wijk or buurt → aanbieder); CSV (; , tab; UTF-8, BOM, cp1252) or XLSX, as text."""

from __future__ import annotations

import os

import pandas as pd

from geodata.tables import read_table


def read_providers(path: str | os.PathLike[str], *, sheet: str | int | None = None) -> pd.DataFrame:
    """Every cell as stripped text ('' when empty), headers as written; raises InputError for an unreadable file."""
    return read_table(path, sheet=sheet)
