"""Checks of a caseload table (per buurt or wijk and period: counts per care type, wide or long) and its typed result.

A row may name a referral route (``verwijzer``): its counts are then the children of that route only, and the
routes of an area, period and care type add up to its count (given in a row without verwijzer, or their sum).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from etl.rules.base import Context, Hit, each, rule
from etl.rules.columns import (
    CARE_TYPES,
    CASELOAD_SOORT_VALUES,
    REFERRAL_TYPES,
    REFERRAL_VALUES,
    REFERRALS,
    SOORTEN_CASELOAD,
    SUPPRESSED_MARKERS,
    TOTAL,
    UNKNOWN_MARKERS,
    ZERO_MARKERS,
)
from geodata.codes import name_key
from geodata.tables import infer_decimal, parse_number

_SOORT = {name_key(v): canonical for canonical, values in CASELOAD_SOORT_VALUES.items() for v in values}
_REFERRAL = {name_key(v): canonical for canonical, values in REFERRAL_VALUES.items() for v in (canonical, *values)}
# How a route is written back to users in messages (the canonical value is what the tables hold).
REFERRAL_NAMES = {"buurtteam": "buurtteam", "huisarts": "huisarts", "jeugdarts": "jeugdarts", "save": "SAVE",
                  "medisch_specialist": "medisch specialist", "overig": "overig"}
_INVALID = "\x00invalid"
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


def parse_referral(text: str) -> str | None:
    """The canonical route of what people type ('Wijkteam', 'GP', 'Jeugdbescherming/SAVE' …), None if unknown."""
    return _REFERRAL.get(name_key(text))


def suggest_referral(text: str) -> str | None:
    """The route a near miss ('huisart', 'jeugd-arst') probably means."""
    close = difflib.get_close_matches(name_key(text), list(_REFERRAL), n=1, cutoff=0.75)
    return REFERRAL_NAMES[_REFERRAL[close[0]]] if close else None


def cells(ctx: Context, column: str) -> list[str]:
    """The stripped text of a column as a list, read once per check (rules look at it cell by cell)."""
    key = f"cells:{column}"
    if key not in ctx.cache:
        ctx.cache[key] = ctx.text(column).tolist()
    out: list[str] = ctx.cache[key]
    return out


def referrals(ctx: Context) -> list[str | None]:
    """Per row: its route, None for a row without one (a total), or an invalid marker (REFERRAL_INVALID)."""
    if "referrals" not in ctx.cache:
        ctx.cache["referrals"] = [
            None if not v else (parse_referral(v) or _INVALID) for v in ctx.text("verwijzer")
        ]
    out: list[str | None] = ctx.cache["referrals"]
    return out


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
    verwijzer: str | None = None  # None: the area's count of this care type; else the children of one route


def records(ctx: Context) -> list[Record]:
    """Every readable count with a valid area, period, care type and route (unreadable parts are other rules' business)."""
    if "records" in ctx.cache:
        cached: list[Record] = ctx.cache["records"]
        return cached
    buurten = ctx.codes("buurtcode", "buurt") if ctx.has("buurtcode") else [None] * ctx.n
    wijken = ctx.codes("wijkcode", "wijk") if ctx.has("wijkcode") else [None] * ctx.n
    periods = [parse_period(v) for v in ctx.text("periode")]
    routes = referrals(ctx)
    out = []
    for i in range(ctx.n):
        b, w, p, route = buurten[i], wijken[i], periods[i], routes[i]
        if b is not None:
            area = ("buurt", b.code) if b.ok else None
        else:
            area = ("wijk", w.code) if w is not None and w.ok else None
        if area is None or p is None or route == _INVALID:
            continue
        if is_long(ctx):
            soort = _SOORT.get(name_key(cells(ctx, "soort")[i]))
            given = [("aantal", soort)] if soort and (route is None or soort in REFERRAL_TYPES) else []
        else:
            given = [(c, c) for c in type_columns(ctx)]
            if route is not None:  # a route row gives only the care types routes apply to, where filled in
                given = [(c, s) for c, s in given if s in REFERRAL_TYPES and cells(ctx, c)[i] != ""]
        for column, soort_ in given:
            c = counts(ctx, column)[i]
            if c.status == "ok" and (math.isnan(c.value) or (c.value >= 0 and c.value == int(c.value))):
                out.append(Record(i, column, area[0], str(area[1]), p, soort_, c.value, route))
    ctx.cache["records"] = out
    return out


def totals(ctx: Context) -> list[Record]:
    """The count per area, period and care type: its row without verwijzer, else the sum of its routes.

    A derived sum is unknown (NaN) when any route is; it carries the row and column of its first route.
    """
    if "totals" in ctx.cache:
        cached: list[Record] = ctx.cache["totals"]
        return cached
    given: dict[tuple[str, str, str, str], Record] = {}
    routed: dict[tuple[str, str, str, str], list[Record]] = {}
    for r in records(ctx):
        key = (r.niveau, r.code, r.periode, r.soort)
        if r.verwijzer is None:
            given.setdefault(key, r)
        else:
            routed.setdefault(key, []).append(r)
    out = []
    for key in dict.fromkeys([*given, *routed]):
        own = given.get(key)
        parts = routed.get(key, [])
        if own is not None and (not math.isnan(own.aantal) or not parts):
            out.append(own)
            continue
        total = math.nan if any(math.isnan(r.aantal) for r in parts) else float(sum(r.aantal for r in parts))
        first = parts[0]
        out.append(Record(first.row, first.column, first.niveau, first.code, first.periode, first.soort, total))
    ctx.cache["totals"] = out
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
    """{code}, periode {periode}, soort {soort}{route_nl} staat er al (rij {first}).
    {code}, period {periode}, type {soort}{route_en} is already there (row {first}).
    """
    first: dict[tuple[str, str, str, str | None], int] = {}
    for r in records(ctx):
        key = (r.code, r.periode, r.soort, r.verwijzer)
        if key in first and first[key] != r.row:
            name = REFERRAL_NAMES.get(r.verwijzer or "", "")
            yield Hit(r.row, r.column, {"code": r.code, "periode": r.periode, "soort": r.soort, "first": first[key] + 2,
                                        "route_nl": f", verwijzer {name}" if name else "",
                                        "route_en": f", referral {name}" if name else ""})
        first.setdefault(key, r.row)


@rule("REFERRAL_INVALID", "caseloads")
def referral_invalid(ctx: Context) -> Iterator[Hit]:
    """Verwijzer '{value}' is onbekend; gebruik {allowed} (of laat de cel leeg voor een rij zonder verwijzer).{hint_nl}
    Referral source '{value}' is unknown; use {allowed} (or leave the cell empty for a row without one).{hint_en}
    """
    allowed = ", ".join(REFERRAL_NAMES[r] for r in REFERRALS)
    for i, (text, route) in enumerate(zip(ctx.text("verwijzer"), referrals(ctx), strict=True)):
        if route == _INVALID:
            near = suggest_referral(text)
            yield Hit(i, "verwijzer", {"value": text, "allowed": allowed,
                                       "hint_nl": f" Bedoelt u {near}?" if near else "",
                                       "hint_en": f" Did you mean {near}?" if near else ""})


@rule("REFERRAL_TYPE_INVALID", "caseloads")
def referral_type_invalid(ctx: Context) -> Iterator[Hit]:
    """Een verwijzer hoort alleen bij {allowed_nl}; zorgsoort {soort} ({value}) in een rij met verwijzer {route} kan niet. Zet {soort} in een rij zonder verwijzer.
    A referral source only applies to {allowed_en}; care type {soort} ({value}) in a row with referral source {route} is not possible. Put {soort} in a row without one.
    """
    allowed = {"allowed_nl": " en ".join(REFERRAL_TYPES), "allowed_en": " and ".join(REFERRAL_TYPES)}
    routes = referrals(ctx)
    for i, route in enumerate(routes):
        if route is None or route == _INVALID:
            continue
        if is_long(ctx):
            soort = _SOORT.get(name_key(cells(ctx, "soort")[i]))
            if soort is not None and soort not in REFERRAL_TYPES:
                yield Hit(i, "soort", {**allowed, "soort": soort, "value": cells(ctx, "aantal")[i] or "–",
                                       "route": REFERRAL_NAMES[route]})
            continue
        for column in type_columns(ctx):
            if column in REFERRAL_TYPES:
                continue
            c = counts(ctx, column)[i]
            if cells(ctx, column)[i] != "" and not (c.status == "ok" and c.value == 0):  # an Excel-filled 0 is harmless
                yield Hit(i, column, {**allowed, "soort": column, "value": cells(ctx, column)[i],
                                      "route": REFERRAL_NAMES[route]})


@rule("REFERRAL_SUM_MISMATCH", "caseloads", stage="table")
def referral_sum_mismatch(ctx: Context) -> Iterator[Hit]:
    """{soort} voor {code} in {periode} is {total}, maar de verwijzers tellen op tot {sum} ({routes}); elk kind telt bij precies één verwijzer.
    {soort} for {code} in {periode} is {total}, but the referral sources add up to {sum} ({routes}); each child counts under exactly one source.
    """
    given: dict[tuple[str, str, str], Record] = {}
    routed: dict[tuple[str, str, str], list[Record]] = {}
    for r in records(ctx):
        key = (r.code, r.periode, r.soort)
        if r.verwijzer is None:
            given.setdefault(key, r)
        else:
            routed.setdefault(key, []).append(r)
    for key, parts in sorted(routed.items()):
        own = given.get(key)
        if own is None or math.isnan(own.aantal) or any(math.isnan(r.aantal) for r in parts):
            continue
        total = sum(r.aantal for r in parts)
        if total != own.aantal:
            listed = ", ".join(f"{REFERRAL_NAMES[str(r.verwijzer)]} {r.aantal:.0f}" for r in parts)
            yield Hit(own.row, own.column, {"soort": own.soort, "code": own.code, "periode": own.periode,
                                            "total": f"{own.aantal:.0f}", "sum": f"{total:.0f}", "routes": listed})


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
    for r in totals(ctx):
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
    """Long form: niveau, code, periode, soort, verwijzer, aantal (nullable integer), sorted.

    Rows with an empty ``verwijzer`` are the counts per area, period and care type (a row without verwijzer,
    or the sum of its routes); rows with one are the routes of ``REFERRAL_TYPES``, as given.
    """
    columns = ["niveau", "code", "periode", "soort", "verwijzer", "aantal"]
    rows = [{"niveau": r.niveau, "code": r.code, "periode": r.periode, "soort": r.soort, "verwijzer": r.verwijzer,
             "aantal": r.aantal} for r in [*totals(ctx), *(r for r in records(ctx) if r.verwijzer is not None)]]
    df = pd.DataFrame(rows, columns=columns)
    df["aantal"] = pd.array([None if math.isnan(v) else int(v) for v in df["aantal"]], dtype="Int64")
    for col in ("niveau", "code", "periode", "soort", "verwijzer"):
        df[col] = df[col].astype("string")
    order = df["verwijzer"].map({r: i + 1 for i, r in enumerate(REFERRALS)}).fillna(0)
    df = df.assign(_order=order).sort_values(["niveau", "code", "periode", "soort", "_order"], kind="stable")
    return df.drop(columns="_order").reset_index(drop=True)
