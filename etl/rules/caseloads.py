"""Checks of a caseload table (per buurt or wijk and period: counts per care type, wide or long) and its typed result."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from etl.rules.base import Context, Hit, each, rule
from etl.rules.columns import (
    CARE_TYPES,
    CASELOAD_SOORT_VALUES,
    SOORTEN_CASELOAD,
    SUPPRESSED_MARKERS,
    TOTAL,
    UNKNOWN_MARKERS,
    ZERO_MARKERS,
)
from geodata.codes import name_key
from geodata.tables import infer_decimal, parse_number

_SOORT = {name_key(v): canonical for canonical, values in CASELOAD_SOORT_VALUES.items() for v in values}
_YEAR = r"(19[9]\d|20\d\d)"
_PERIODS = (
    (re.compile(rf"^{_YEAR}(?:\.0+)?$"), lambda m: m.group(1)),
    (re.compile(rf"^{_YEAR}\s*[-/ ]?\s*[QqKk]([1-4])$"), lambda m: f"{m.group(1)}-Q{m.group(2)}"),
    (re.compile(rf"^[QqKk]([1-4])\s*[-/ ]?\s*{_YEAR}$"), lambda m: f"{m.group(2)}-Q{m.group(1)}"),
    (re.compile(rf"^{_YEAR}\s*[-/]\s*(0?[1-9]|1[0-2])$"), lambda m: f"{m.group(1)}-{int(m.group(2)):02d}"),
    (re.compile(rf"^(0?[1-9]|1[0-2])\s*[-/]\s*{_YEAR}$"), lambda m: f"{m.group(2)}-{int(m.group(1)):02d}"),
)


def parse_period(text: str) -> str | None:
    """YYYY, YYYY-Qn or YYYY-MM from what people type (2024, 2024Q1, Q1 2024, 2024-K1, 2024/3, 03-2024)."""
    value = text.strip()
    for pattern, make in _PERIODS:
        m = pattern.match(value)
        if m:
            return make(m)
    return None


def is_long(ctx: Context) -> bool:
    return ctx.has("soort") or ctx.has("aantal")


def type_columns(ctx: Context) -> list[str]:
    return [c for c in SOORTEN_CASELOAD if ctx.has(c)]


def count_columns(ctx: Context) -> list[str]:
    return ["aantal"] if is_long(ctx) else type_columns(ctx)


@dataclass(frozen=True)
class Count:
    value: float  # NaN when unknown or unreadable
    status: str  # ok | invalid | suppressed


def counts(ctx: Context, column: str) -> list[Count]:
    """Each count cell read the CBS way: '-' is 0, '.' or empty unknown, 'x' or '<5' already hidden."""
    key = f"counts:{column}"
    if key not in ctx.cache:
        text = ctx.text(column)
        decimal = infer_decimal(text.tolist())
        out = []
        for v in text:
            low = v.strip().lower()
            if low in ZERO_MARKERS:
                out.append(Count(0.0, "ok"))
            elif low == "" or low in UNKNOWN_MARKERS:
                out.append(Count(math.nan, "ok"))
            elif low in SUPPRESSED_MARKERS or low.startswith("<"):
                out.append(Count(math.nan, "suppressed"))
            else:
                try:
                    parsed = parse_number(v, decimal=decimal)
                    out.append(Count(math.nan if parsed is None else parsed, "ok"))
                except ValueError:
                    out.append(Count(math.nan, "invalid"))
        ctx.cache[key] = out
    result: list[Count] = ctx.cache[key]
    return result


@dataclass(frozen=True)
class Record:
    row: int
    column: str
    niveau: str
    code: str
    periode: str
    soort: str
    aantal: float


def records(ctx: Context) -> list[Record]:
    """Every readable count with a valid area, period and care type (unreadable parts are other rules' business)."""
    if "records" in ctx.cache:
        cached: list[Record] = ctx.cache["records"]
        return cached
    buurten = ctx.codes("buurtcode", "buurt") if ctx.has("buurtcode") else [None] * ctx.n
    wijken = ctx.codes("wijkcode", "wijk") if ctx.has("wijkcode") else [None] * ctx.n
    periods = [parse_period(v) for v in ctx.text("periode")]
    out = []
    for i in range(ctx.n):
        b, w, p = buurten[i], wijken[i], periods[i]
        if b is not None:
            area = ("buurt", b.code) if b.ok else None
        else:
            area = ("wijk", w.code) if w is not None and w.ok else None
        if area is None or p is None:
            continue
        if is_long(ctx):
            soort = _SOORT.get(name_key(ctx.text("soort").iat[i]))
            cells = [("aantal", soort)] if soort else []
        else:
            cells = [(c, c) for c in type_columns(ctx)]
        for column, soort_ in cells:
            c = counts(ctx, column)[i]
            if c.status == "ok" and (math.isnan(c.value) or (c.value >= 0 and c.value == int(c.value))):
                out.append(Record(i, column, area[0], str(area[1]), p, soort_, c.value))
    ctx.cache["records"] = out
    return out


@rule("COLUMN_COUNTS_MISSING", "caseloads", stage="header")
def column_counts_missing(ctx: Context) -> Iterator[Hit]:
    """Er zijn geen aantallen: geef kolommen per soort ({types}, eventueel totaal) of de kolommen 'soort' en 'aantal'.
    There are no counts: give a column per care type ({types}, optionally totaal) or the columns 'soort' and 'aantal'.
    """
    if not ctx.columns:
        return
    long_ok = ctx.has("soort") and ctx.has("aantal")
    wide_ok = bool(type_columns(ctx)) and not is_long(ctx)
    both = is_long(ctx) and bool(type_columns(ctx))  # FORMAT_AMBIGUOUS says that one
    if not (long_ok or wide_ok or both):
        yield Hit(fields={"types": ", ".join(CARE_TYPES)})


@rule("FORMAT_AMBIGUOUS", "caseloads", stage="header")
def format_ambiguous(ctx: Context) -> Iterator[Hit]:
    """Het bestand heeft zowel 'soort'/'aantal' als kolommen per soort ({columns}); kies één vorm.
    The file has both 'soort'/'aantal' and a column per care type ({columns}); choose one form.
    """
    if is_long(ctx) and type_columns(ctx):
        yield Hit(fields={"columns": ", ".join(str(ctx.header_of(c)) for c in type_columns(ctx))})


@rule("PERIOD_MISSING", "caseloads")
def period_missing(ctx: Context) -> Iterator[Hit]:
    """Deze rij heeft geen periode (JJJJ, JJJJ-Qn of JJJJ-MM).
    This row has no period (YYYY, YYYY-Qn or YYYY-MM).
    """
    yield from (Hit(i, "periode") for i in each(~ctx.filled("periode")))


@rule("PERIOD_INVALID", "caseloads")
def period_invalid(ctx: Context) -> Iterator[Hit]:
    """Periode '{value}' is niet te lezen; gebruik JJJJ (2024), JJJJ-Qn (2024-Q1) of JJJJ-MM (2024-03).
    Period '{value}' cannot be read; use YYYY (2024), YYYY-Qn (2024-Q1) or YYYY-MM (2024-03).
    """
    for i, v in enumerate(ctx.text("periode")):
        if v and parse_period(v) is None:
            yield Hit(i, "periode", {"value": v})


@rule("SOORT_INVALID", "caseloads")
def soort_invalid(ctx: Context) -> Iterator[Hit]:
    """Soort '{value}' is onbekend; gebruik {allowed}.
    Care type '{value}' is unknown; use {allowed}.
    """
    if not is_long(ctx):
        return
    for i, v in enumerate(ctx.text("soort")):
        if name_key(v) not in _SOORT:
            yield Hit(i, "soort", {"value": v, "allowed": ", ".join(SOORTEN_CASELOAD)})


@rule("NUMBER_INVALID", "caseloads")
def number_invalid(ctx: Context) -> Iterator[Hit]:
    """'{value}' in kolom {column} is geen aantal.
    '{value}' in column {column} is not a count.
    """
    for column in count_columns(ctx):
        for i, c in enumerate(counts(ctx, column)):
            if c.status == "invalid":
                yield Hit(i, column, {"value": ctx.text(column).iat[i], "column": ctx.header_of(column)})


@rule("COUNT_SUPPRESSED", "caseloads")
def count_suppressed(ctx: Context) -> Iterator[Hit]:
    """'{value}' is een al afgeschermd aantal; lever de echte aantallen aan (de afscherming doet buurtdekking zelf).
    '{value}' is an already suppressed count; supply the real counts (buurtdekking applies the protection itself).
    """
    for column in count_columns(ctx):
        for i, c in enumerate(counts(ctx, column)):
            if c.status == "suppressed":
                yield Hit(i, column, {"value": ctx.text(column).iat[i]})


@rule("COUNT_NEGATIVE", "caseloads")
def count_negative(ctx: Context) -> Iterator[Hit]:
    """Aantal {value} is negatief.
    Count {value} is negative.
    """
    for column in count_columns(ctx):
        for i, c in enumerate(counts(ctx, column)):
            if c.status == "ok" and c.value < 0:
                yield Hit(i, column, {"value": ctx.text(column).iat[i]})


@rule("COUNT_NOT_INTEGER", "caseloads")
def count_not_integer(ctx: Context) -> Iterator[Hit]:
    """Aantal {value} is geen geheel getal; tel kinderen, geen fracties.
    Count {value} is not a whole number; count children, not fractions.
    """
    for column in count_columns(ctx):
        for i, c in enumerate(counts(ctx, column)):
            if c.status == "ok" and c.value >= 0 and c.value != int(c.value):
                yield Hit(i, column, {"value": ctx.text(column).iat[i]})


@rule("ROW_DUPLICATE", "caseloads")
def row_duplicate(ctx: Context) -> Iterator[Hit]:
    """{code}, periode {periode}, soort {soort} staat er al (rij {first}).
    {code}, period {periode}, type {soort} is already there (row {first}).
    """
    first: dict[tuple[str, str, str], int] = {}
    for r in records(ctx):
        key = (r.code, r.periode, r.soort)
        if key in first and first[key] != r.row:
            yield Hit(r.row, r.column, {"code": r.code, "periode": r.periode, "soort": r.soort, "first": first[key] + 2})
        first.setdefault(key, r.row)


@rule("LEVEL_MIXED", "caseloads", stage="table")
def level_mixed(ctx: Context) -> Iterator[Hit]:
    """Het bestand mengt buurten ({n_buurt} rijen) en wijken ({n_wijk} rijen); lever één niveau aan.
    The file mixes buurten ({n_buurt} rows) and wijken ({n_wijk} rows); supply one level.
    """
    levels = pd.Series([r.niveau for r in records(ctx)], dtype=object)
    if levels.nunique() > 1:
        rows = {lv: len({r.row for r in records(ctx) if r.niveau == lv}) for lv in ("buurt", "wijk")}
        yield Hit(fields={"n_buurt": rows["buurt"], "n_wijk": rows["wijk"]})


@rule("TOTAL_INCONSISTENT", "caseloads", stage="table")
def total_inconsistent(ctx: Context) -> Iterator[Hit]:
    """Totaal {total} voor {code} in {periode} past niet bij de soorten ({types}): het totaal telt kinderen met minstens één soort, dus ligt tussen {low} en {high}.
    Total {total} for {code} in {periode} does not fit the care types ({types}): the total counts children with at least one type, so lies between {low} and {high}.
    """
    groups: dict[tuple[str, str], dict[str, Record]] = {}
    for r in records(ctx):
        groups.setdefault((r.code, r.periode), {})[r.soort] = r
    for (code, periode), by in sorted(groups.items()):
        total = by.get(TOTAL)
        types = [by[t] for t in CARE_TYPES if t in by]
        if total is None or math.isnan(total.aantal) or not types or any(math.isnan(t.aantal) for t in types):
            continue
        low = max(t.aantal for t in types)
        high = sum(t.aantal for t in types) if len(types) == len(CARE_TYPES) else math.inf
        if not low <= total.aantal <= high:
            listed = ", ".join(f"{t.soort} {t.aantal:.0f}" for t in types)
            yield Hit(total.row, total.column, {"total": f"{total.aantal:.0f}", "code": code, "periode": periode,
                                                "types": listed, "low": f"{low:.0f}",
                                                "high": "∞" if math.isinf(high) else f"{high:.0f}"})


def assemble_caseloads(ctx: Context) -> pd.DataFrame:
    """Long form: niveau, code, periode, soort, aantal (nullable integer), sorted."""
    rows = [{"niveau": r.niveau, "code": r.code, "periode": r.periode, "soort": r.soort, "aantal": r.aantal}
            for r in records(ctx)]
    df = pd.DataFrame(rows, columns=["niveau", "code", "periode", "soort", "aantal"])
    df["aantal"] = pd.array([None if math.isnan(v) else int(v) for v in df["aantal"]], dtype="Int64")
    for col in ("niveau", "code", "periode", "soort"):
        df[col] = df[col].astype("string")
    return df.sort_values(["niveau", "code", "periode", "soort"]).reset_index(drop=True)
