"""Small reference tables the project owns (facts with their source), read as DataFrames."""

from __future__ import annotations

from importlib import resources

import pandas as pd


def read_reference(name: str) -> pd.DataFrame:
    """Read a packaged reference CSV by file name; all columns as text so codes keep leading zeros."""
    with resources.files(__package__).joinpath(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False, comment="#")


def gemeente_names() -> dict[str, str]:
    """Gemeentecode → name, for boundary files (gebiedsindelingen) that carry no names."""
    df = read_reference("gemeenten.csv")
    return dict(zip(df["gemeentecode"], df["gemeentenaam"], strict=True))


def utrecht_contract_2020() -> pd.DataFrame:
    """Utrecht's wijk → specialist youth-care consortium, in force since 1 January 2020."""
    return read_reference("utrecht_contract_2020.csv")
