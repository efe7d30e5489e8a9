"""Checks shared by every care input: is it a table, are the columns there, are the area codes of this year."""

from __future__ import annotations

from collections.abc import Iterator

from etl.inputs import KINDS
from etl.rules.base import Context, Hit, each, rule, suggestion_text
from geodata.codes import EXAMPLE, Level, normalise_code


def code_columns(ctx: Context) -> list[tuple[str, Level]]:
    """The area-code columns this input has, with their level."""
    out: list[tuple[str, Level]] = []
    if ctx.has("buurtcode"):
        out.append(("buurtcode", "buurt"))
    if ctx.has("wijkcode") and ctx.kind != "teams":
        out.append(("wijkcode", "wijk"))
    return out


@rule("FILE_NOT_TABLE", *KINDS, stage="header")
def file_not_table(ctx: Context) -> Iterator[Hit]:
    """Dit is geen {kind}-tabel: geen enkele kolomnaam is bekend (gevonden: {found}). Zet de kolomnamen in de eerste rij, bijvoorbeeld {expected}; sla op als CSV (; of ,) of XLSX.
    This is not a {kind} table: not one column name is known (found: {found}). Put the column names in the first row, for example {expected}; save as CSV (; or ,) or XLSX.
    """
    if not ctx.columns:
        yield Hit(fields={"kind": ctx.kind, "found": _found(ctx)[:200], "expected": _EXPECTED[ctx.kind]})


_EXPECTED = {
    "teams": "team_id, naam, organisatie, soort, buurtcode",
    "providers": "wijkcode, aanbieder",
    "caseloads": "buurtcode, periode, buurtteam, specialistisch, verblijf, jeugdbescherming, totaal",
}


@rule("FILE_NO_ROWS", *KINDS, stage="header")
def file_no_rows(ctx: Context) -> Iterator[Hit]:
    """Het bestand heeft kolomnamen maar geen enkele rij met gegevens.
    The file has column names but not a single row of data.
    """
    if ctx.n == 0 and ctx.columns:
        yield Hit()


@rule("COLUMN_DUPLICATE", *KINDS, stage="header")
def column_duplicate(ctx: Context) -> Iterator[Hit]:
    """De kolommen {headers} betekenen allemaal '{column}'; houd er één.
    The columns {headers} all mean '{column}'; keep one.
    """
    for canonical, headers in ctx.cache["header_matches"].items():
        if len(headers) > 1:
            yield Hit(column=canonical, fields={"column": canonical, "headers": ", ".join(f"'{h}'" for h in headers)})


_REQUIRED = {
    "teams": ("team_id", "naam", "organisatie", "soort"),
    "providers": ("aanbieder",),
    "caseloads": ("periode",),
}


@rule("COLUMN_MISSING", *KINDS, stage="header")
def column_missing(ctx: Context) -> Iterator[Hit]:
    """Verplichte kolom '{column}' ontbreekt. Gevonden kolommen: {found}.
    Required column '{column}' is missing. Columns found: {found}.
    """
    if not ctx.columns:
        return  # FILE_NOT_TABLE says it better
    for column in _REQUIRED[ctx.kind]:
        if not ctx.has(column):
            yield Hit(fields={"column": column, "found": _found(ctx)})


@rule("COLUMN_AREA_MISSING", "providers", "caseloads", stage="header")
def column_area_missing(ctx: Context) -> Iterator[Hit]:
    """Er is geen kolom 'wijkcode' of 'buurtcode'; een van beide is nodig. Gevonden kolommen: {found}.
    There is no column 'wijkcode' or 'buurtcode'; one of them is needed. Columns found: {found}.
    """
    if ctx.columns and not (ctx.has("wijkcode") or ctx.has("buurtcode")):
        yield Hit(fields={"found": _found(ctx)})


def _found(ctx: Context) -> str:
    return ", ".join(f"'{c}'" for c in ctx.raw.columns) or "(geen/none)"


@rule("CODE_INVALID", *KINDS)
def code_invalid(ctx: Context) -> Iterator[Hit]:
    """'{value}' is geen geldige {level}code en geen {level}naam (verwacht bijvoorbeeld {example}).{hint_nl}
    '{value}' is not a valid {level} code nor a {level} name (expected e.g. {example}).{hint_en}
    """
    for column, level in code_columns(ctx):
        known = ctx.reference.names(level)
        text = ctx.text(column)
        for i, res in enumerate(ctx.codes(column, level)):
            if res is None or res.how != "invalid":
                continue
            other: Level = "wijk" if level == "buurt" else "buurt"
            other_code = normalise_code(text.iat[i], other)
            if other_code is not None and other_code in ctx.reference.names(other):
                hint_nl = f" Dit is een {other}code: zet hem in kolom '{other}code'."
                hint_en = f" This is a {other} code: put it in column '{other}code'."
            else:
                hint_nl, hint_en = suggestion_text(res.suggestions, known)
            yield Hit(
                i,
                column,
                {
                    "value": text.iat[i],
                    "level": level,
                    "example": EXAMPLE[level],
                    "hint_nl": hint_nl,
                    "hint_en": hint_en,
                },
            )


@rule("CODE_UNKNOWN", *KINDS)
def code_unknown(ctx: Context) -> Iterator[Hit]:
    """{level}code '{value}' bestaat niet in de grenzen van {year}.{hint_nl}
    {level} code '{value}' does not exist in the {year} boundaries.{hint_en}
    """
    for column, level in code_columns(ctx):
        known = ctx.reference.names(level)
        text = ctx.text(column)
        for i, res in enumerate(ctx.codes(column, level)):
            if res is not None and res.how == "unknown":
                hint_nl, hint_en = suggestion_text(res.suggestions, known)
                yield Hit(
                    i,
                    column,
                    {
                        "value": text.iat[i],
                        "level": level,
                        "year": ctx.reference.year or "?",
                        "hint_nl": hint_nl,
                        "hint_en": hint_en,
                    },
                )


@rule("CODE_NAME_AMBIGUOUS", *KINDS)
def code_name_ambiguous(ctx: Context) -> Iterator[Hit]:
    """'{value}' is de naam van meer dan één {level}: {options}. Geef de code.
    '{value}' is the name of more than one {level}: {options}. Give the code.
    """
    for column, level in code_columns(ctx):
        text = ctx.text(column)
        for i, res in enumerate(ctx.codes(column, level)):
            if res is not None and res.how == "ambiguous_name":
                yield Hit(i, column, {"value": text.iat[i], "level": level, "options": ", ".join(res.suggestions)})


@rule("CODE_MISMATCH", "providers", "caseloads")
def code_mismatch(ctx: Context) -> Iterator[Hit]:
    """Buurt {buurt} ligt in wijk {actual}, niet in wijk {given}.
    Buurt {buurt} lies in wijk {actual}, not in wijk {given}.
    """
    if not (ctx.has("buurtcode") and ctx.has("wijkcode")):
        return
    wijk_of = ctx.reference.wijk_of
    for i, (b, w) in enumerate(zip(ctx.codes("buurtcode", "buurt"), ctx.codes("wijkcode", "wijk"), strict=True)):
        if b is not None and w is not None and b.ok and w.ok and wijk_of.get(str(b.code)) != w.code:
            yield Hit(i, "wijkcode", {"buurt": b.code, "actual": wijk_of.get(str(b.code)), "given": w.code})


@rule("CODE_MISSING", "providers", "caseloads")
def code_missing(ctx: Context) -> Iterator[Hit]:
    """Rij zonder buurtcode en zonder wijkcode.
    Row without a buurt code and without a wijk code.
    """
    if not (ctx.has("buurtcode") or ctx.has("wijkcode")):
        return
    yield from (
        Hit(i, "buurtcode" if ctx.has("buurtcode") else "wijkcode")
        for i in each(~ctx.filled("buurtcode") & ~ctx.filled("wijkcode"))
    )
