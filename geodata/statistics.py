"""Read CBS Kerncijfers wijken en buurten (KWB, CSV or XLSX with CBS's own column names) into a tidy frame."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from geodata import codes
from geodata.cbs import ATTRIBUTE_ALIASES
from geodata.errors import InputError
from geodata.tables import read_table, row_numbers, text_frame

# Columns of a KWB file that are text, not numbers (codes keep their leading zeros).
TEXT_COLUMNS = {"gwb_code_10", "gwb_code_8", "gwb_code", "regio", "gm_naam", "recs", "pst_mvp", "ind_wbi"}
CODE_COLUMNS = ("gwb_code_10", "gwb_code")
LEVELS = {"gemeente": "gemeente", "wijk": "wijk", "buurt": "buurt"}
_WIJK_PREFIX = re.compile(r"^Wijk\s+\d+\s+", re.IGNORECASE)


def _code_column(df: pd.DataFrame, source: str) -> str:
    lower = {str(c).lower(): str(c) for c in df.columns}
    for name in CODE_COLUMNS:
        if name in lower:
            return lower[name]
    found = ", ".join(df.columns[:30])
    raise InputError.single(
        "STATS_SCHEMA_UNKNOWN",
        f"Geen CBS Kerncijfers-bestand: kolom gwb_code_10 of gwb_code ontbreekt. Gevonden kolommen: {found}.",
        f"Not a CBS Kerncijfers file: column gwb_code_10 or gwb_code is missing. Columns found: {found}.",
        file=source,
    )


def _level(code: str) -> str | None:
    return {"BU": "buurt", "WK": "wijk", "GM": "gemeente"}.get(code[:2])


def short_wijknaam(regio: str) -> str:
    """CBS labels wijken 'Wijk 05 Oost'; planners say 'Oost'."""
    return _WIJK_PREFIX.sub("", regio).strip()


def read_statistics(
    path: str | os.PathLike[str], *, gemeenten: Sequence[str] | None = ("GM0344",), sheet: str | int | None = None
) -> pd.DataFrame:
    """One row per area (gemeente, wijk, buurt) with ``code``, ``niveau``, ``naam`` and numeric indicators.

    CBS's '.' (missing) and blank cells become NaN; values padded with spaces are stripped. Well-known
    columns get canonical names (a_inw → aantal_inwoners, a_00_14 → aantal_0_14, …); others keep CBS's.
    """
    return tidy_statistics(read_table(path, sheet=sheet), source=str(path), gemeenten=gemeenten)


def tidy_statistics(raw: pd.DataFrame, *, source: str, gemeenten: Sequence[str] | None = ("GM0344",)) -> pd.DataFrame:
    """The pure half of read_statistics: a KWB table as read (any cells) to the tidy frame, or InputError."""
    text = text_frame(raw)
    rows = row_numbers(raw)
    text.columns = [c.lower() for c in text.columns]
    duplicated = text.columns[text.columns.duplicated()]
    if len(duplicated):
        raise InputError.single(
            "HEADER_DUPLICATE",
            f"Kolom '{duplicated[0]}' komt twee keer voor (hoofdletters tellen niet); houd er één.",
            f"Column '{duplicated[0]}' occurs twice (case does not count); keep one.",
            file=source,
            row=1,
            column=str(duplicated[0]),
        )
    # These names are ours (the tidy frame's); a file's own column of that name would be overwritten or collide.
    text = text.drop(columns=[c for c in ("code", "niveau", "naam", "gemeentecode") if c in text.columns])
    text.index = pd.RangeIndex(len(text))
    code_col = _code_column(text, source)
    codes_ = text[code_col].str.strip().str.upper()
    levels = codes_.map(lambda c: _level(c) if c else None)
    unknown = levels.isna()
    if unknown.all():
        raise InputError.single(
            "STATS_NO_AREAS",
            f"Geen enkele code in kolom {code_col} is een CBS-code (GM…, WK…, BU…).",
            f"No value in column {code_col} is a CBS code (GM…, WK…, BU…).",
            file=source,
            column=code_col,
        )
    df = text[~unknown].copy()
    df.insert(0, "code", codes_[~unknown])
    df.insert(1, "niveau", levels[~unknown])
    bad = [
        (i, c)
        for i, c, level in zip(df.index, df["code"], df["niveau"], strict=True)
        if codes.normalise_code(c, level) != c
    ]
    if bad:
        i, c = bad[0]
        raise InputError.single(
            "CODE_INVALID",
            f"Ongeldige CBS-code '{c}'.",
            f"Invalid CBS code '{c}'.",
            file=source,
            row=rows[int(i)] if int(i) < len(rows) else int(i) + 2,
            column=code_col,
        )
    df["gemeentecode"] = df["code"].map(codes.gemeentecode_from_code)
    if gemeenten:
        wanted = {codes.normalise_code(g, "gemeente") for g in gemeenten}
        df = df[df["gemeentecode"].isin(wanted)]
    name_col = "regio" if "regio" in df.columns else None
    df["naam"] = df[name_col] if name_col else pd.NA
    numeric_cols = [c for c in df.columns if c not in TEXT_COLUMNS | {"code", "niveau", "naam", "gemeentecode"}]
    for col in numeric_cols:
        cleaned = df[col].replace({".": "", "x": "", "-": ""})
        values = pd.to_numeric(cleaned.replace("", np.nan), errors="coerce").astype("float64")
        df[col] = values.where(np.isfinite(values))  # '1e309' is as unreadable as any other text
    renames = {}
    for canonical, aliases in ATTRIBUTE_ALIASES.items():
        for alias in aliases:
            if alias in df.columns and alias not in TEXT_COLUMNS:
                if canonical == alias or canonical not in df.columns:  # a file with both keeps its own column
                    renames[alias] = canonical
                break
    df = df.rename(columns=renames)
    drop = [c for c in (code_col, "gwb_code_8", "gwb_code", "recs") if c in df.columns and c != "code"]
    return df.drop(columns=drop).reset_index(drop=True)


def statistics_year(path: str | os.PathLike[str]) -> int | None:
    """The KWB year from a file name such as kwb-2024.xlsx; None when the name does not say."""
    match = re.search(r"(?<!\d)(20[0-4]\d|19[89]\d)(?!\d)", Path(path).name)
    return int(match.group(1)) if match else None
