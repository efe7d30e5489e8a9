"""CBS area codes: normalise hand-typed codes and derive wijk/gemeente codes from a buurtcode."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
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


# ---------------------------------------------------------------- resolving against a boundary year


_EXCEL_FLOAT = re.compile(r"^\s*(\d+)\.0+\s*$")
_NAME_JUNK = re.compile(r"[^0-9a-z]+")


def name_key(name: object) -> str:
    """A buurt or wijk name reduced for matching: case, accents, punctuation and spaces ignored."""

    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    return _NAME_JUNK.sub("", text)


@dataclass(frozen=True)
class Resolution:
    """What became of one hand-typed area reference.

    ``how`` is ``exact`` (already canonical), ``normalised`` (e.g. ``0344 0111`` → ``BU03440111``), ``name``
    (a name matched to a code), or one of the failures ``invalid`` (not readable as a code),
    ``unknown`` (well formed, not in this boundary year) and ``ambiguous_name``. ``suggestions`` holds the
    nearest known codes (with names) for a failure.
    """

    code: str | None
    how: str
    suggestions: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.code is not None


def resolve_code(value: object, level: Level, known: Mapping[str, object]) -> Resolution:
    """Read a code or a name typed by hand and find it among ``known`` (code → name) of one boundary year."""
    text = "" if value is None else str(value).strip()
    match = _EXCEL_FLOAT.match(text)
    if match:  # Excel wrote the code as a number: 3440111.0
        text = match.group(1)
    code = normalise_code(text, level)
    if code is not None:
        if code in known:
            return Resolution(code, "exact" if code == text else "normalised")
        return Resolution(None, "unknown", suggest_codes(code, level, known))
    by_name: dict[str, list[str]] = {}
    for c, name in known.items():
        if name is not None and not (isinstance(name, float) and pd.isna(name)):
            by_name.setdefault(name_key(name), []).append(c)
    key = name_key(text)
    if key and key in by_name:
        hits = sorted(by_name[key])
        if len(hits) == 1:
            return Resolution(hits[0], "name")
        return Resolution(None, "ambiguous_name", tuple(hits))
    return Resolution(None, "invalid", suggest_codes(text, level, known, by_name=by_name))


def suggest_codes(
    text: str, level: Level, known: Mapping[str, object], *, by_name: Mapping[str, list[str]] | None = None, n: int = 3
) -> tuple[str, ...]:
    """The known codes nearest to ``text``: by its digits, else by name similarity (difflib)."""

    digits = re.sub(r"\D", "", text)
    if len(digits) >= 3:
        pool = {c[len(PREFIX[level]) :]: c for c in known}
        target = digits.zfill(DIGITS[level])[-DIGITS[level] :] if len(digits) <= DIGITS[level] else digits
        close = difflib.get_close_matches(target, list(pool), n=n, cutoff=0.6)
        if close:
            return tuple(pool[d] for d in close)
        # Else the codes sharing the longest prefix (same wijk, same gemeente).
        for length in range(len(target) - 1, 3, -1):
            same = sorted(c for d, c in pool.items() if d[:length] == target[:length])
            if same:
                return tuple(same[:n])
    if by_name:
        close_names = difflib.get_close_matches(name_key(text), list(by_name), n=n, cutoff=0.6)
        return tuple(c for name in close_names for c in sorted(by_name[name]))[:n]
    return ()


def describe(code: str, known: Mapping[str, object]) -> str:
    """``BU03440111 (Lombok-Oost)`` for messages."""
    name = known.get(code)
    return f"{code} ({name})" if isinstance(name, str) and name else code
