"""Validation of the care inputs (teams, provider areas, caseloads): every rule, all problems at once.

``validate(kind, df, name=…, reference=…)`` takes the text frame of a file (``geodata.tables``) and returns
the typed frame plus notes, or raises one ``InputError`` listing every problem with file, row, column,
a stable code and the message in Dutch and English. Nothing is changed anywhere by a failing input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from etl.inputs import KINDS, Kind
from etl.rules import caseloads as _caseloads
from etl.rules import common as _common  # also registers the shared rules
from etl.rules import providers as _providers
from etl.rules import teams as _teams
from etl.rules.base import RULES, Context, match_headers, problems_for, rules_for
from etl.rules.columns import ALIASES, DEFAULT_PROVIDERS
from etl.rules.reference import CareReference
from geodata.codes import describe
from geodata.errors import InputError
from geodata.tables import row_numbers, text_frame

__all__ = ["KINDS", "RULES", "CareReference", "Validated", "rule_codes", "validate"]


@dataclass(frozen=True)
class Validated:
    """A valid input: its typed frame and what the user should know (names matched, columns ignored).

    For teams, ``locations`` are the notes that say per row where its point came from (also in ``notes``,
    for the validation report; a build keeps them out of the manifest, which counts them instead).
    """

    kind: Kind
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    locations: tuple[str, ...] = ()


_ASSEMBLE = {
    "teams": _teams.assemble_teams,
    "providers": _providers.assemble_providers,
    "caseloads": _caseloads.assemble_caseloads,
}


def rule_codes(kind: str | None = None) -> list[str]:
    """Every stable problem code (of one kind), sorted; docs/INPUTS.md lists them."""
    return sorted({r.code for r in RULES if kind is None or kind in r.kinds})


def validate(
    kind: str,
    df: pd.DataFrame,
    *,
    name: str,
    reference: CareReference,
    known_providers: Sequence[str] = DEFAULT_PROVIDERS,
) -> Validated:
    """Check a text frame of one care input against the boundary year; typed frame or InputError."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    text = text_frame(df)
    headers = [str(c) for c in text.columns]
    matches, unknown = match_headers(headers, ALIASES[kind])
    columns = {canonical: found[0] for canonical, found in matches.items()}
    ctx = Context(
        kind=kind,
        name=name,
        raw=text.reset_index(drop=True),
        columns=columns,
        reference=reference,
        known_providers=tuple(known_providers),
        cache={"header_matches": matches},
        rows=row_numbers(df),
        positions={canonical: headers.index(header) for canonical, header in columns.items()},
    )
    for stage in ("header", "rows", "table"):
        problems = problems_for(rules_for(kind, stage), ctx)
        if problems:
            # In file order, as the user will fix them; problems of the whole file first.
            raise InputError(sorted(problems, key=lambda p: (p.row or 0, p.column or "", p.code)))
    notes = _notes(ctx, unknown)
    per_row, fallbacks = _teams.location_notes(ctx) if kind == "teams" else ([], [])
    return Validated(kind, _ASSEMBLE[kind](ctx), [*notes, *fallbacks, *per_row], tuple(per_row))


def _notes(ctx: Context, unknown: list[str]) -> list[str]:
    notes = []
    if ctx.kind == "teams":
        capacity, _ = ctx.numbers("capaciteit_fte")
        if capacity.isna().any():
            notes.append(
                f"{ctx.name}: {int(capacity.isna().sum())} team(s) zonder capaciteit_fte; ze tellen mee voor reistijden, "
                f"niet voor de toegankelijkheid (E2SFCA) / {int(capacity.isna().sum())} team(s) without capaciteit_fte; they count "
                "for travel times, not for access (E2SFCA)"
            )
    if unknown:
        notes.append(f"{ctx.name}: kolommen genegeerd / columns ignored: {', '.join(unknown)}")
    for column, level in _common.code_columns(ctx):
        known = ctx.reference.names(level)
        for i, res in enumerate(ctx.codes(column, level)):
            if res is not None and res.how == "name":
                notes.append(
                    f"{ctx.name}, rij/row {ctx.row_of(i)}, kolom/column {ctx.header_of(column)}: "
                    f"naam '{ctx.text(column).iat[i]}' → {describe(str(res.code), known)} "
                    f"(grenzen/boundaries {ctx.reference.year or '?'})"
                )
    return notes
