"""The rule machinery: a registry of checks, each one function whose docstring is the message users read.

A rule's docstring has the Dutch message on its first line and the English one on its second, with
``{fields}`` filled from what the rule found. Rules run in three stages: ``header`` (columns; the
others only run when it passes), ``rows`` (one cell or row at a time) and ``table`` (across rows).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from etl.inputs import Kind
from etl.rules.reference import CareReference
from geodata.codes import Level, Resolution, describe, name_key, resolve_code
from geodata.errors import Problem
from geodata.tables import cell_text, infer_decimal, parse_numbers

Stage = Literal["header", "rows", "table"]


@dataclass(frozen=True)
class Hit:
    """One finding: a data row (0-based position, None for the whole file), a canonical column, fields."""

    row: int | None = None
    column: str | None = None
    fields: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    code: str
    kinds: tuple[str, ...]
    stage: Stage
    check: Callable[[Context], Iterable[Hit]]
    nl: str
    en: str


RULES: list[Rule] = []


def rule(
    code: str, *kinds: Kind, stage: Stage = "rows"
) -> Callable[[Callable[[Context], Iterable[Hit]]], Callable[[Context], Iterable[Hit]]]:
    """Register a check; its docstring (Dutch line, English line) is the message."""

    def register(func: Callable[[Context], Iterable[Hit]]) -> Callable[[Context], Iterable[Hit]]:
        lines = [ln.strip() for ln in inspect.cleandoc(func.__doc__ or "").splitlines() if ln.strip()]
        if len(lines) < 2:
            raise ValueError(f"rule {code} needs a Dutch and an English message line")
        if any(r.code == code and set(r.kinds) & set(kinds) for r in RULES):
            raise ValueError(f"rule {code} registered twice for {kinds}")
        RULES.append(Rule(code, kinds, stage, func, lines[0], lines[1]))
        return func

    return register


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass
class Context:
    """One input being checked: the text frame, its header mapping, the boundary reference and caches.

    ``raw`` holds text only ('' for empty; see ``geodata.tables.text_frame``), so rules may use ``str`` methods;
    ``rows`` is the spreadsheet row of each data row (header = row 1) for the messages.
    """

    kind: Kind
    name: str
    raw: pd.DataFrame
    columns: dict[str, str]  # canonical name → the user's header
    reference: CareReference
    known_providers: tuple[str, ...]
    cache: dict[str, Any] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)  # canonical name → column position in ``raw``

    @property
    def n(self) -> int:
        return len(self.raw)

    def row_of(self, i: int) -> int:
        """The spreadsheet row of data row ``i`` (0-based position)."""
        return self.rows[i] if i < len(self.rows) else i + 2

    def has(self, column: str) -> bool:
        return column in self.columns

    def text(self, column: str) -> pd.Series:
        """The stripped text of a canonical column ('' everywhere when the file lacks it); read once."""
        key = f"text:{column}"
        if key not in self.cache:
            if column not in self.columns:
                self.cache[key] = pd.Series([""] * self.n, index=self.raw.index, dtype="str")
            else:
                pos = self.positions.get(column)
                values = self.raw.iloc[:, pos] if pos is not None else self.raw[self.columns[column]]
                self.cache[key] = values if values.dtype == "str" else values.map(cell_text).astype("str")
        out: pd.Series = self.cache[key]
        return out

    def filled(self, column: str) -> pd.Series:
        return self.text(column) != ""

    def numbers(self, column: str) -> tuple[pd.Series, pd.Series]:
        """Parsed floats (NaN for empty) and a mask of cells that are not numbers; decimal comma understood."""
        key = f"numbers:{column}"
        if key not in self.cache:
            text = self.text(column)
            self.cache[key] = parse_numbers(text, decimal=infer_decimal(text))
        out: tuple[pd.Series, pd.Series] = self.cache[key]
        return out

    def codes(self, column: str, level: Level) -> list[Resolution | None]:
        """Each cell resolved against the boundary year (None for an empty cell); each distinct value once."""
        key = f"codes:{column}"
        if key not in self.cache:
            known = self.reference.names(level)
            text = self.text(column).tolist()
            resolved = {v: resolve_code(v, level, known) if v else None for v in dict.fromkeys(text)}
            self.cache[key] = [resolved[v] for v in text]
        out: list[Resolution | None] = self.cache[key]
        return out

    def header_of(self, column: str | None) -> str | None:
        if column is None:
            return None
        return self.columns.get(column, column)


def problems_for(rules: Iterable[Rule], ctx: Context) -> list[Problem]:
    """Run rules and turn their hits into located, bilingual problems (row numbers as in a spreadsheet)."""
    found: list[Problem] = []
    for r in rules:
        for hit in r.check(ctx):
            fields = _Fields(hit.fields)
            found.append(
                Problem(
                    code=r.code,
                    nl=r.nl.format_map(fields),
                    en=r.en.format_map(fields),
                    file=ctx.name,
                    row=None if hit.row is None else ctx.row_of(hit.row),
                    column=ctx.header_of(hit.column),
                )
            )
    return found


def rules_for(kind: str, stage: Stage) -> list[Rule]:
    return [r for r in RULES if kind in r.kinds and r.stage == stage]


def match_headers(
    headers: Iterable[str], aliases: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, list[str]], list[str]]:
    """Canonical column → the headers that mean it (case, spaces, underscores, accents ignored); unknown headers."""
    lookup = {name_key(alias): canonical for canonical, names in aliases.items() for alias in (canonical, *names)}
    matched: dict[str, list[str]] = {}
    unknown: list[str] = []
    for h in headers:
        canonical = lookup.get(name_key(h))
        if canonical is None:
            unknown.append(h)
        else:
            matched.setdefault(canonical, []).append(h)
    return matched, unknown


def each(mask: pd.Series) -> Iterator[int]:
    """Row positions where ``mask`` is true."""
    yield from (int(i) for i in np.flatnonzero(mask.to_numpy(dtype=bool)))


def suggestion_text(codes: Iterable[str], known: Mapping[str, object]) -> tuple[str, str]:
    """' Bedoelt u BU… (naam)?' / ' Did you mean BU… (name)?' or empty strings."""
    listed = [describe(c, known) for c in codes]
    if not listed:
        return "", ""
    joined = ", ".join(listed)
    return f" Bedoelt u {joined}?", f" Did you mean {joined}?"
