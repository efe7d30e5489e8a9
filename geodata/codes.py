"""CBS area codes: normalise hand-typed codes and derive wijk/gemeente codes from a buurtcode."""

from __future__ import annotations

import re
from typing import Literal

import pandas as pd

Level = Literal["buurt", "wijk", "gemeente"]

PREFIX: dict[Level, str] = {"buurt": "BU", "wijk": "WK", "gemeente": "GM"}
DIGITS: dict[Level, int] = {"buurt": 8, "wijk": 6, "gemeente": 4}
PATTERN: dict[Level, re.Pattern[str]] = {
    level: re.compile(rf"^{PREFIX[level]}\d{{{DIGITS[level]}}}$") for level in PREFIX
}
EXAMPLE: dict[Level, str] = {"buurt": "BU03440111", "wijk": "WK034401", "gemeente": "GM0344"}
_JUNK = re.compile(r"[\s._\-/]")


def normalise_code(value: object, level: Level) -> str | None:
    """Return the canonical code (``BU03440111``) or None when the value cannot be read unambiguously.

    Accepts lower case, spaces or dots inside (``0344 0111``), a missing prefix, and one dropped
    leading zero (``3440111``, as Excel does to numbers). Anything else is ambiguous and returns None.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = _JUNK.sub("", str(value).strip().upper())
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    prefix, n_digits = PREFIX[level], DIGITS[level]
    had_prefix = text.startswith(prefix)
    if had_prefix:
        text = text[len(prefix) :]
    elif text[:2].isalpha():
        return None  # another level's prefix: BU given where WK expected is not ours to guess
    if not text.isdigit():
        return None
    # Only a bare number can have lost its leading zero to Excel; 'BU0344011' is a typo, not ours to fix.
    if len(text) == n_digits - 1 and not had_prefix:
        text = "0" + text
    if len(text) != n_digits:
        return None
    return prefix + text


def wijkcode_from_buurtcode(buurtcode: str) -> str:
    """BU + 4 gemeente + 2 wijk + 2 buurt digits: the wijk is the first six digits."""
    return "WK" + buurtcode[2:8]


def gemeentecode_from_code(code: str) -> str:
    """The gemeente is the first four digits of any BU or WK code."""
    return "GM" + code[2:6]


def is_code(value: object, level: Level) -> bool:
    return isinstance(value, str) and PATTERN[level].match(value) is not None
