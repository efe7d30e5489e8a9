"""CBS 100 m grid squares as weighted origins: CBS's own column names for the youth weight, and its secret value.

CBS publishes "Kaart van 100 meter bij 100 meter met statistieken" (vierkantstatistieken) in two schemas:

* 2021 and later, lowercase: ``crs28992res100m`` (square id), ``aantal_inwoners``,
  ``aantal_inwoners_0_tot_15_jaar``, ``aantal_inwoners_15_tot_25_jaar``, …
* before 2021, uppercase: ``C28992R100``, ``INWONER``, ``INW_014``, ``INW_1524``, …

The youth weight of a square is the buurt estimate's rule (`etl.population`): 0–17 ≈ (0–14) + 3/10 × (15–24);
without the age bands, the inhabitants. Only the spread of youth *inside* a buurt is taken from the squares
(`etl.travel.weighted_origins` scales them to the buurt's youth), so a rough weight per square is enough.

CBS marks a value it keeps secret with −99997. It publishes a square only when it has at least 5
inhabitants or 5 dwellings (CBS, *Statistische gegevens per vierkant en postcode 2022-2021-2020-2019*,
ch. 2 "Technische gegevens"), and a count it withholds is a small one, below the 5 it would otherwise show
— 0 to 4. Such a square is not empty: it counts as the midpoint of what CBS hides, ``SECRET_WEIGHT`` = 2,
never as 0 (which would move its youth to the neighbouring squares) and never as −99997.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from etl.population import SHARE_15_17_OF_15_24

SECRET = -99997.0
SECRET_WEIGHT = 2.0  # the midpoint of the 0–4 CBS withholds
# Each role: the lowercase (2021+) name, then the uppercase (before 2021) name.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "square": ("crs28992res100m", "c28992r100"),
    "total": ("aantal_inwoners", "inwoner"),
    "age_0_14": ("aantal_inwoners_0_tot_15_jaar", "inw_014"),
    "age_15_24": ("aantal_inwoners_15_tot_25_jaar", "inw_1524"),
}


def _find(columns: list[str], role: str) -> str | None:
    lower = {c.lower(): c for c in columns}
    return next((lower[name] for name in COLUMNS[role] if name in lower), None)


def is_cbs_grid(columns: list[str]) -> bool:
    """Whether a file's columns are CBS's vierkantstatistieken (a square id or its population columns)."""
    return (
        _find(columns, "square") is not None
        or _find(columns, "age_0_14") is not None
        or (_find(columns, "total") is not None and _find(columns, "age_15_24") is not None)
    )


def cbs_count(values: pd.Series) -> np.ndarray:
    """A CBS count column as numbers: −99997 (secret) → ``SECRET_WEIGHT``; other negative codes → NaN (unknown)."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    return np.where(v == SECRET, SECRET_WEIGHT, np.where(v < 0, np.nan, v))


def grid_weight(frame: pd.DataFrame) -> tuple[np.ndarray, str] | None:
    """The youth weight per square from CBS's own columns, and how it was made; None when they are absent."""
    columns = [str(c) for c in frame.columns]
    young, older = _find(columns, "age_0_14"), _find(columns, "age_15_24")
    if young is not None and older is not None:
        weight = cbs_count(frame[young]) + SHARE_15_17_OF_15_24 * cbs_count(frame[older])
        return weight, f"{young} + 3/10 × {older}"
    total = _find(columns, "total")
    if total is not None:
        return cbs_count(frame[total]), total
    return None


def secret_note(frame: pd.DataFrame, column_text: str, *, file: str) -> list[str]:
    """A note for the manifest: how many squares had a secret count and what it was counted as."""
    names = [c for c in frame.columns if str(c) in column_text.replace("+", " ").replace("×", " ").split()]
    secret = np.zeros(len(frame), dtype=bool)
    for name in names:
        secret |= pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64") == SECRET
    if not secret.any():
        return []
    n = int(secret.sum())
    return [
        f"{file}: {n} vierkant(en) met een geheim aantal (−99997) telt/tellen als {SECRET_WEIGHT:g} (midden van 0–4) / "
        f"{n} square(s) with a secret count (−99997) count as {SECRET_WEIGHT:g} (the midpoint of 0–4)"
    ]
