"""Car speeds for NWB wegvakken from a maximum-speed file keyed by WVK_ID (NDW/Rijkswaterstaat *wegkenmerken* speeds).

A CSV (``;`` or ``,``) or any vector file with a wegvak id column (``WVK_ID``, or ``WEGVAK_ID``) and a
speed column (``MAXSHD``, ``MAXIMUMSNELHEID``, ``MAX_SNELHEID``, ``MAXSNELHEID``, ``SNELHEID``,
``MAXSPEED``, ``CAR_KMH``; any case). Values such as ``50``, ``50 km/h`` or ``KMH_50`` are read; 0, blank
and 'onbekend' are unknown. Where a wegvak has several rows (per direction, or a time-bound limit such as
100 by day and 120 at night on motorways) the lowest speed counts — the daytime limit, when care visits are.
"""

from __future__ import annotations

import csv
import math
import re
from io import StringIO
from pathlib import Path

import pandas as pd

from geodata.errors import InputError
from geodata.io import read_vector
from geodata.roads.osm_tags import parse_maxspeed

ID_COLUMNS = ("wvk_id", "wegvak_id")
SPEED_COLUMNS = ("maxshd", "maximumsnelheid", "max_snelheid", "maxsnelheid", "snelheid", "maxspeed", "car_kmh")


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in {".csv", ".txt"}:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig", errors="strict") if _is_utf8(raw) else raw.decode("latin-1")
        try:
            dialect = csv.Sniffer().sniff(text[:10_000], delimiters=";,\t")
            sep = dialect.delimiter
        except csv.Error:
            sep = ";" if text.count(";") > text.count(",") else ","
        return pd.read_csv(StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    return pd.DataFrame(read_vector(path).drop(columns="geometry", errors="ignore"))


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def speed_kmh(value: object) -> float:
    """One speed cell in km/h; NaN when unknown (0, blank, 'onbekend')."""
    if isinstance(value, str):
        value = re.sub(r"^kmh[_ ]?", "", value.strip().lower())
    return parse_maxspeed(value)


def read_nwb_speeds(path: str | Path) -> pd.Series:
    """Lowest known car speed (km/h) per WVK_ID (int64 index); wegvakken with only unknown speeds are left out."""
    p = Path(path)
    if not p.exists():
        raise InputError.single(
            "NETWORK_SPEEDS_NOT_FOUND",
            f"Snelhedenbestand '{p}' bestaat niet.",
            f"Speeds file '{p}' does not exist.",
            file=p,
        )
    table = _read_table(p)
    cols = {str(c).lower(): str(c) for c in table.columns}
    id_col = next((cols[c] for c in ID_COLUMNS if c in cols), None)
    speed_col = next((cols[c] for c in SPEED_COLUMNS if c in cols), None)
    if id_col is None or speed_col is None:
        found = ", ".join(str(c) for c in table.columns) or "(geen/none)"
        expected = (
            f"{' of/or '.join(c.upper() for c in ID_COLUMNS)} en/and {' of/or '.join(c.upper() for c in SPEED_COLUMNS)}"
        )
        raise InputError.single(
            "NETWORK_SPEEDS_COLUMNS",
            f"'{p.name}' heeft geen wegvak-id en snelheid. Gevonden kolommen: {found}. Verwacht: {expected}.",
            f"'{p.name}' has no wegvak id and speed. Columns found: {found}. Expected: {expected}.",
            file=p,
        )
    ids = pd.to_numeric(table[id_col], errors="coerce")
    kmh = table[speed_col].map(speed_kmh).astype("float64")
    known = ids.notna() & (ids % 1 == 0) & kmh.map(lambda v: not math.isnan(v))
    out = pd.Series(kmh[known].to_numpy(), index=ids[known].astype("int64").to_numpy(), dtype="float64")
    return out.groupby(level=0).min()
