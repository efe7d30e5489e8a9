"""Column specs of the canonical frames, shared by the ETL, the tests and the app."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    description: str
    required: bool = True


BUURT_SPEC: tuple[Column, ...] = (
    Column("buurtcode", "string", "CBS buurtcode, BU + 4 gemeente + 2 wijk + 2 buurt digits"),
    Column("buurtnaam", "string", "buurt name as CBS publishes it", required=False),
    Column("wijkcode", "string", "CBS wijkcode, WK + 6 digits"),
    Column("wijknaam", "string", "wijk name", required=False),
    Column("gemeentecode", "string", "CBS gemeentecode, GM + 4 digits"),
    Column("gemeentenaam", "string", "gemeente name", required=False),
    Column("water", "bool", "True for a water-only buurt"),
)
WIJK_SPEC: tuple[Column, ...] = (
    Column("wijkcode", "string", "CBS wijkcode"),
    Column("wijknaam", "string", "wijk name", required=False),
    Column("gemeentecode", "string", "CBS gemeentecode"),
    Column("gemeentenaam", "string", "gemeente name", required=False),
    Column("n_buurten", "int64", "number of buurten in the wijk"),
)

BUURT_COLUMNS = tuple(c.name for c in BUURT_SPEC)
WIJK_COLUMNS = tuple(c.name for c in WIJK_SPEC)


def missing_columns(df: pd.DataFrame, spec: tuple[Column, ...]) -> list[str]:
    """Required columns of ``spec`` that ``df`` lacks."""
    return [c.name for c in spec if c.required and c.name not in df.columns]
