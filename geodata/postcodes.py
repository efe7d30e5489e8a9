"""Dutch postcodes as people type them (PC4 ``3581``, PC6 ``3581 AB``), and the PC4 centroid table they place on."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.crs import LONLAT_TO_RD
from geodata.errors import InputError

# Four digits (no leading zero) and two letters; PostNL never issues the letter pairs SA, SD and SS.
_POSTCODE = re.compile(r"^([1-9]\d{3})(?: ?([A-Z]{2}))?$")
_EXCEL_PC4 = re.compile(r"^([1-9]\d{3})\.0+$")  # a PC4 that Excel stored as a number
UNUSED_LETTERS = frozenset({"SA", "SD", "SS"})
# A house number with an optional letter or addition: 12, 12a, 12 A, 12bis, 12-2, 12-II, 12/3, 12 2; a digit
# addition needs a separator (123456 is no number 12345 with addition 6).
_HUISNUMMER = re.compile(r"^(\d{1,5})(?:\s*([A-Z]{1,4})|\s*[-/]\s*([A-Z0-9]{1,4})|\s+(\d{1,4}))?$")
# A street with its number in the same cell: 'Bolognalaan 101', 'Oudegracht 12-2'.
_STREET_NUMBER = re.compile(r"^(.*\D)\s+(\d{1,5}(?:\s*[-/]?\s*[A-Za-z0-9]{1,4})?)$")

# The soort values of the 4pp table on which a team may be placed (postbus-only codes have no addresses).
PLACEABLE = frozenset({"Adres", "Adres + Postbus"})
PC4_COLUMNS = ("postcode", "woonplaats", "gemeente", "latitude", "longitude", "soort")


def _clean(text: str) -> str:
    # NFKC turns a no-break space into a space; then one space at most between parts.
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(text))).strip().upper()


@dataclass(frozen=True)
class Postcode:
    """A readable postcode: the four digits and, for a PC6, the two letters."""

    pc4: str
    letters: str | None = None

    @property
    def pc6(self) -> str | None:
        return f"{self.pc4}{self.letters}" if self.letters else None

    @property
    def text(self) -> str:
        """As PostNL writes it: ``3581`` or ``3581 AB``."""
        return f"{self.pc4} {self.letters}" if self.letters else self.pc4


def parse_postcode(text: str) -> Postcode | None:
    """``3581``, ``3581ab``, ``3581 AB``, `` 3581  ab `` → Postcode; None when the text is no Dutch postcode."""
    cleaned = _clean(text)
    excel = _EXCEL_PC4.match(cleaned)
    if excel:
        return Postcode(excel.group(1))
    match = _POSTCODE.match(cleaned)
    if match is None or (match.group(2) or "") in UNUSED_LETTERS:
        return None
    return Postcode(match.group(1), match.group(2))


@dataclass(frozen=True)
class HouseNumber:
    """A house number and its addition (letter or toevoeging), as written: ``12``, ``12a``, ``12-2``."""

    number: int
    addition: str | None = None

    @property
    def text(self) -> str:
        if not self.addition:
            return str(self.number)
        sep = "-" if self.addition[0].isdigit() or len(self.addition) > 1 else ""
        return f"{self.number}{sep}{self.addition.lower() if len(self.addition) == 1 else self.addition}"


def parse_huisnummer(text: str) -> HouseNumber | None:
    """``12``, ``12a``, ``12 A``, ``12-2``, ``12-II`` → HouseNumber; None when it does not start with a number."""
    match = _HUISNUMMER.match(_clean(text))
    if match is None:
        return None
    return HouseNumber(int(match.group(1)), match.group(2) or match.group(3) or match.group(4) or None)


def split_street_number(text: str) -> tuple[str, str]:
    """``'Bolognalaan 101'`` → (``'Bolognalaan'``, ``'101'``); a street without a number is returned whole."""
    match = _STREET_NUMBER.match(re.sub(r"\s+", " ", str(text)).strip())
    return (match.group(1).strip(), match.group(2)) if match else (str(text).strip(), "")


def pc4_frame(df_raw: pd.DataFrame, *, name: str) -> pd.DataFrame:
    """The 4pp table (text) → indexed by PC4: woonplaats, gemeente, soort, lat, lon, x, y (RD New) and ``shared``.

    ``shared`` counts the postcodes at exactly this point: a point shared by several postcodes is a stand-in
    (e.g. a city centre for its postbus codes), not the postcode area's own centre.
    """
    missing = [c for c in PC4_COLUMNS if c not in df_raw.columns]
    if missing:
        raise InputError.single(
            "POSTCODE_TABLE_INVALID",
            f"De postcodetabel '{name}' mist kolommen {', '.join(missing)} (verwacht: {', '.join(PC4_COLUMNS)}).",
            f"The postcode table '{name}' lacks columns {', '.join(missing)} (expected: {', '.join(PC4_COLUMNS)}).",
            file=name,
        )
    lat = pd.to_numeric(df_raw["latitude"], errors="coerce")
    lon = pd.to_numeric(df_raw["longitude"], errors="coerce")
    pc4 = df_raw["postcode"].astype(str).str.strip()
    ok = pc4.str.fullmatch(r"[1-9]\d{3}") & lat.notna() & lon.notna()
    out = pd.DataFrame(
        {
            "woonplaats": df_raw["woonplaats"].astype(str).str.strip(),
            "gemeente": df_raw["gemeente"].astype(str).str.strip(),
            "soort": df_raw["soort"].astype(str).str.strip(),
            "lat": lat.astype("float64"),
            "lon": lon.astype("float64"),
        }
    )[ok.to_numpy()]
    out.index = pd.Index(pc4[ok].to_numpy(), name="pc4")
    out = out[~out.index.duplicated(keep="first")]
    x, y = LONLAT_TO_RD.transform(out["lon"].to_numpy(), out["lat"].to_numpy())
    out["x"], out["y"] = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    out["shared"] = out.groupby(["lat", "lon"])["soort"].transform("size").astype("int64")
    return out


@lru_cache(maxsize=4)
def _read_pc4(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    del mtime_ns, size  # part of the cache key only: a changed file is read again
    try:
        df_raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError.single(
            "POSTCODE_TABLE_INVALID",
            f"De postcodetabel '{path}' is niet te lezen ({exc}).",
            f"The postcode table '{path}' cannot be read ({exc}).",
            file=path,
        ) from exc
    return pc4_frame(df_raw, name=path)


@dataclass(frozen=True, eq=False)
class PostcodeTable:
    """The PC4 centroid table of the data directory, read on first use (and once per process)."""

    path: Path
    year: int | None = 2014

    @property
    def available(self) -> bool:
        return "frame" in self.__dict__ or self.path.is_file()

    @cached_property
    def frame(self) -> pd.DataFrame:
        stat = os.stat(self.path)
        return _read_pc4(str(self.path), stat.st_mtime_ns, stat.st_size)

    @classmethod
    def of(cls, frame: pd.DataFrame, *, name: str = "postcodes", year: int | None = None) -> PostcodeTable:
        """A table already in memory (tests, other sources): ``frame`` as :func:`pc4_frame` returns it."""
        table = cls(Path(name), year)
        table.__dict__["frame"] = frame  # cached_property's slot: no file behind this table
        return table

    @property
    def label(self) -> str:
        return f"{self.path.name} ({self.year})" if self.year else self.path.name
