"""Checks of a caseload table (per buurt or wijk and period: counts per care type, wide or long) and its typed result.

A row may name a referral route (``verwijzer``): its counts are then the children of that route only, and the
routes of an area, period and care type add up to its count (given in a row without verwijzer, or their sum).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import pandas as pd

from etl.numbers import format_count
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
from geodata.tables import cell_text, infer_decimal, parse_numbers

_SOORT = {name_key(v): canonical for canonical, values in CASELOAD_SOORT_VALUES.items() for v in values}
_REFERRAL = {name_key(v): canonical for canonical, values in REFERRAL_VALUES.items() for v in (canonical, *values)}
# How a route is written back to users in messages (the canonical value is what the tables hold).
REFERRAL_NAMES = {
    "buurtteam": "buurtteam",
    "huisarts": "huisarts",
    "jeugdarts": "jeugdarts",
    "save": "SAVE",
    "medisch_specialist": "medisch specialist",
    "overig": "overig",
}
_INVALID = "\x00invalid"
_ROUTE_ORDER = {r: i + 1 for i, r in enumerate(REFERRALS)}
# More children than live in any buurt or wijk: a typo or a sum, never a count (and beyond it no integer type is safe).
MAX_COUNT = 1_000_000
_YEAR = r"(19[9]\d|20\d\d)"
_PERIODS = (
    (re.compile(rf"^{_YEAR}(?:\.0+)?$"), lambda m: m.group(1)),
    (re.compile(rf"^{_YEAR}\s*[-/ ]?\s*[QqKk]([1-4])$"), lambda m: f"{m.group(1)}-Q{m.group(2)}"),
    (re.compile(rf"^[QqKk]([1-4])\s*[-/ ]?\s*{_YEAR}$"), lambda m: f"{m.group(2)}-Q{m.group(1)}"),
    (re.compile(rf"^{_YEAR}\s*[-/]\s*(0?[1-9]|1[0-2])$"), lambda m: f"{m.group(1)}-{int(m.group(2)):02d}"),
    (re.compile(rf"^(0?[1-9]|1[0-2])\s*[-/]\s*{_YEAR}$"), lambda m: f"{m.group(2)}-{int(m.group(1)):02d}"),
)


def parse_period(text: object) -> str | None:
    """YYYY, YYYY-Qn or YYYY-MM from what people type (2024, 2024Q1, Q1 2024, 2024-K1, 2024/3, 03-2024)."""
    value = cell_text(text)
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


def periods_of(ctx: Context) -> list[str | None]:
    """Per row: the period read (parse_period), each distinct value once."""
    if "periods" not in ctx.cache:
        text = cells(ctx, "periode")
        read = {v: parse_period(v) for v in dict.fromkeys(text)}
        ctx.cache["periods"] = [read[v] for v in text]
    out: list[str | None] = ctx.cache["periods"]
    return out


def name_keys(ctx: Context, column: str) -> list[str]:
    """Per row: name_key of the cell, each distinct value once."""
    key = f"name_keys:{column}"
    if key not in ctx.cache:
        text = cells(ctx, column)
        keys = {v: name_key(v) for v in dict.fromkeys(text)}
        ctx.cache[key] = [keys[v] for v in text]
    out: list[str] = ctx.cache[key]
    return out


def referrals(ctx: Context) -> list[str | None]:
    """Per row: its route, None for a row without one (a total), or an invalid marker (REFERRAL_INVALID)."""
    if "referrals" not in ctx.cache:
        text = cells(ctx, "verwijzer")
        read = {v: None if not v else (parse_referral(v) or _INVALID) for v in dict.fromkeys(text)}
        ctx.cache["referrals"] = [read[v] for v in text]
    out: list[str | None] = ctx.cache["referrals"]
    return out


def is_long(ctx: Context) -> bool:
    return ctx.has("soort") or ctx.has("aantal")


def type_columns(ctx: Context) -> list[str]:
    return [c for c in SOORTEN_CASELOAD if ctx.has(c)]


def count_columns(ctx: Context) -> list[str]:
    return ["aantal"] if is_long(ctx) else type_columns(ctx)


class Count(NamedTuple):  # a tuple: a file of 100,000 rows makes half a million
    value: float  # NaN when unknown or unreadable
    status: str  # ok | invalid | suppressed | too_large


def count_arrays(ctx: Context, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Each count cell read the CBS way, as arrays of value (NaN when unknown or unreadable) and status.

    '-' is 0, '.' or empty unknown, 'x' or '<5' already hidden ('suppressed'); a number beyond MAX_COUNT is
    'too_large' (COUNT_TOO_LARGE), so nothing later meets a count no integer type holds.
    """
    key = f"count_arrays:{column}"
    if key not in ctx.cache:
        text = ctx.text(column)
        low = text.str.lower()
        zero = low.isin(ZERO_MARKERS).to_numpy(dtype=bool)
        unknown = ((low == "") | low.isin(UNKNOWN_MARKERS)).to_numpy(dtype=bool) & ~zero
        suppressed = (low.isin(SUPPRESSED_MARKERS) | low.str.startswith("<")).to_numpy(dtype=bool) & ~zero & ~unknown
        number = ~(zero | unknown | suppressed)
        values, bad = parse_numbers(text.where(number, ""), decimal=infer_decimal(text))
        parsed = values.to_numpy(dtype="float64")
        invalid = number & bad.to_numpy(dtype=bool)
        large = number & ~invalid & (np.abs(np.nan_to_num(parsed)) > MAX_COUNT)
        status = np.select([suppressed, invalid, large], ["suppressed", "invalid", "too_large"], "ok")
        value = np.where(zero, 0.0, np.where(number & ~invalid & ~large, parsed, math.nan))
        ctx.cache[key] = (value, status)
    out: tuple[np.ndarray, np.ndarray] = ctx.cache[key]
    return out


def counts(ctx: Context, column: str) -> list[Count]:
    """count_arrays as one Count per row."""
    key = f"counts:{column}"
    if key not in ctx.cache:
        value, status = count_arrays(ctx, column)
        ctx.cache[key] = list(map(Count._make, zip(value.tolist(), status.tolist(), strict=True)))
    result: list[Count] = ctx.cache[key]
    return result


def _count_hits(ctx: Context, which: str) -> Iterator[tuple[int, str]]:
    """(row, column) of the count cells of one kind: invalid, suppressed, too_large, negative, fraction."""
    for column in count_columns(ctx):
        value, status = count_arrays(ctx, column)
        ok = status == "ok"
        with np.errstate(invalid="ignore"):
            mask = {"negative": ok & (value < 0), "fraction": ok & (value >= 0) & (value != np.floor(value))}.get(which)
        for i in np.flatnonzero(status == which if mask is None else mask).tolist():
            yield i, column


class Record(NamedTuple):
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
    periods = periods_of(ctx)
    routes = referrals(ctx)
    long, types = is_long(ctx), type_columns(ctx)
    soorten = [_SOORT.get(k) for k in name_keys(ctx, "soort")] if long else []
    arrays = {c: count_arrays(ctx, c) for c in count_columns(ctx)}
    values = {c: v.tolist() for c, (v, _) in arrays.items()}
    usable = {
        c: ((st == "ok") & (np.isnan(v) | ((v >= 0) & (v == np.floor(v))))).tolist() for c, (v, st) in arrays.items()
    }
    out = []
    for i in range(ctx.n):
        b, w, p, route = buurten[i], wijken[i], periods[i], routes[i]
        if b is not None:
            area = ("buurt", b.code) if b.ok else None
        else:
            area = ("wijk", w.code) if w is not None and w.ok else None
        if area is None or p is None or route == _INVALID:
            continue
        if long:
            soort = soorten[i]
            given = [("aantal", soort)] if soort and (route is None or soort in REFERRAL_TYPES) else []
        else:
            given = [(c, c) for c in types]
            if route is not None:  # a route row gives only the care types routes apply to, where filled in
                given = [(c, s) for c, s in given if s in REFERRAL_TYPES and cells(ctx, c)[i] != ""]
        for column, soort_ in given:
            if usable[column][i]:  # ok, and unknown or a whole number ≥ 0
                out.append(Record(i, column, area[0], str(area[1]), p, soort_, values[column][i], route))
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


def records_frame(ctx: Context) -> pd.DataFrame:
    """records() as a frame (one column per Record field), for the checks across all rows."""
    if "records_frame" not in ctx.cache:
        ctx.cache["records_frame"] = pd.DataFrame(records(ctx), columns=list(Record._fields))
    out: pd.DataFrame = ctx.cache["records_frame"]
    return out


def totals_frame(ctx: Context) -> pd.DataFrame:
    """totals() as a frame, built once for the checks and the result."""
    if "totals_frame" not in ctx.cache:
        ctx.cache["totals_frame"] = pd.DataFrame(totals(ctx), columns=list(Record._fields))
    out: pd.DataFrame = ctx.cache["totals_frame"]
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
    for i, (v, p) in enumerate(zip(cells(ctx, "periode"), periods_of(ctx), strict=True)):
        if v and p is None:
            yield Hit(i, "periode", {"value": v})


@rule("SOORT_INVALID", "caseloads")
def soort_invalid(ctx: Context) -> Iterator[Hit]:
    """Soort '{value}' is onbekend; gebruik {allowed}.
    Care type '{value}' is unknown; use {allowed}.
    """
    if not is_long(ctx):
        return
    for i, (v, key) in enumerate(zip(cells(ctx, "soort"), name_keys(ctx, "soort"), strict=True)):
        if key not in _SOORT:
            yield Hit(i, "soort", {"value": v, "allowed": ", ".join(SOORTEN_CASELOAD)})


@rule("NUMBER_INVALID", "caseloads")
def number_invalid(ctx: Context) -> Iterator[Hit]:
    """'{value}' in kolom {column} is geen aantal.
    '{value}' in column {column} is not a count.
    """
    for i, column in _count_hits(ctx, "invalid"):
        yield Hit(i, column, {"value": ctx.text(column).iat[i], "column": ctx.header_of(column)})


@rule("COUNT_SUPPRESSED", "caseloads")
def count_suppressed(ctx: Context) -> Iterator[Hit]:
    """'{value}' is een al afgeschermd aantal; lever de echte aantallen aan (de afscherming doet buurtdekking zelf).
    '{value}' is an already suppressed count; supply the real counts (buurtdekking applies the protection itself).
    """
    for i, column in _count_hits(ctx, "suppressed"):
        yield Hit(i, column, {"value": ctx.text(column).iat[i]})


@rule("COUNT_NEGATIVE", "caseloads")
def count_negative(ctx: Context) -> Iterator[Hit]:
    """Aantal {value} is negatief.
    Count {value} is negative.
    """
    for i, column in _count_hits(ctx, "negative"):
        yield Hit(i, column, {"value": ctx.text(column).iat[i]})


@rule("COUNT_NOT_INTEGER", "caseloads")
def count_not_integer(ctx: Context) -> Iterator[Hit]:
    """Aantal {value} is geen geheel getal; tel kinderen, geen fracties.
    Count {value} is not a whole number; count children, not fractions.
    """
    for i, column in _count_hits(ctx, "fraction"):
        yield Hit(i, column, {"value": ctx.text(column).iat[i]})


@rule("COUNT_TOO_LARGE", "caseloads")
def count_too_large(ctx: Context) -> Iterator[Hit]:
    """Aantal {value} is groter dan {max_nl}: zoveel kinderen wonen in geen enkele buurt of wijk. Is het een typefout of een optelling?
    Count {value} is larger than {max_en}: no buurt or wijk has that many children. Is it a typo or a sum?
    """
    for i, column in _count_hits(ctx, "too_large"):
        yield Hit(
            i,
            column,
            {
                "value": ctx.text(column).iat[i][:40],
                "max_nl": format_count(MAX_COUNT, lang="nl"),
                "max_en": format_count(MAX_COUNT, lang="en"),
            },
        )


@rule("ROW_DUPLICATE", "caseloads")
def row_duplicate(ctx: Context) -> Iterator[Hit]:
    """{code}, periode {periode}, soort {soort}{route_nl} staat er al (rij {first}).
    {code}, period {periode}, type {soort}{route_en} is already there (row {first}).
    """
    recs = records_frame(ctx)
    if recs.empty:
        return
    key = recs[["code", "periode", "soort"]].assign(verwijzer=recs["verwijzer"].fillna(""))
    first = recs.groupby([key[c] for c in key.columns], sort=False)["row"].transform("first")
    dup = key.duplicated(keep="first") & (first != recs["row"])
    for i in np.flatnonzero(dup.to_numpy()):
        r = recs.iloc[i]
        name = REFERRAL_NAMES.get(r["verwijzer"] or "", "")
        yield Hit(
            int(r["row"]),
            str(r["column"]),
            {
                "code": r["code"],
                "periode": r["periode"],
                "soort": r["soort"],
                "first": ctx.row_of(int(first.iat[i])),
                "route_nl": f", verwijzer {name}" if name else "",
                "route_en": f", referral {name}" if name else "",
            },
        )


@rule("REFERRAL_INVALID", "caseloads")
def referral_invalid(ctx: Context) -> Iterator[Hit]:
    """Verwijzer '{value}' is onbekend; gebruik {allowed} (of laat de cel leeg voor een rij zonder verwijzer).{hint_nl}
    Referral source '{value}' is unknown; use {allowed} (or leave the cell empty for a row without one).{hint_en}
    """
    allowed = ", ".join(REFERRAL_NAMES[r] for r in REFERRALS)
    for i, (text, route) in enumerate(zip(ctx.text("verwijzer"), referrals(ctx), strict=True)):
        if route == _INVALID:
            near = suggest_referral(text)
            yield Hit(
                i,
                "verwijzer",
                {
                    "value": text,
                    "allowed": allowed,
                    "hint_nl": f" Bedoelt u {near}?" if near else "",
                    "hint_en": f" Did you mean {near}?" if near else "",
                },
            )


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
            soort = _SOORT.get(name_keys(ctx, "soort")[i])
            if soort is not None and soort not in REFERRAL_TYPES:
                yield Hit(
                    i,
                    "soort",
                    {
                        **allowed,
                        "soort": soort,
                        "value": cells(ctx, "aantal")[i] or "–",
                        "route": REFERRAL_NAMES[route],
                    },
                )
            continue
        for column in type_columns(ctx):
            if column in REFERRAL_TYPES:
                continue
            c = counts(ctx, column)[i]
            if cells(ctx, column)[i] != "" and not (c.status == "ok" and c.value == 0):  # an Excel-filled 0 is harmless
                yield Hit(
                    i,
                    column,
                    {**allowed, "soort": column, "value": cells(ctx, column)[i], "route": REFERRAL_NAMES[route]},
                )


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
            yield Hit(
                own.row,
                own.column,
                {
                    "soort": own.soort,
                    "code": own.code,
                    "periode": own.periode,
                    "total": f"{own.aantal:.0f}",
                    "sum": f"{total:.0f}",
                    "routes": listed,
                },
            )


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
    tot = totals_frame(ctx)
    if tot.empty or not (tot["soort"] == TOTAL).any() or not tot["soort"].isin(CARE_TYPES).any():
        return
    kinds = [*CARE_TYPES, TOTAL]
    by = tot.drop_duplicates(["code", "periode", "soort"], keep="last").pivot(
        index=["code", "periode"], columns="soort"
    )
    aantal = by["aantal"].reindex(columns=kinds)
    present = by["row"].reindex(columns=kinds).notna()
    types = aantal[list(CARE_TYPES)]
    n_types = present[list(CARE_TYPES)].sum(axis=1)
    unknown_type = (present[list(CARE_TYPES)] & types.isna()).any(axis=1)
    checked = present[TOTAL] & aantal[TOTAL].notna() & (n_types > 0) & ~unknown_type
    low = types.max(axis=1)
    high = types.sum(axis=1).where(n_types == len(CARE_TYPES), math.inf)
    bad = checked & ~((low <= aantal[TOTAL]) & (aantal[TOTAL] <= high))
    for code, periode in bad.index[bad.to_numpy()]:  # pivot sorts by code and period, as the messages go
        listed = ", ".join(
            f"{t} {aantal.at[(code, periode), t]:.0f}" for t in CARE_TYPES if present.at[(code, periode), t]
        )
        high_v = high.at[(code, periode)]
        yield Hit(
            int(by["row"].at[(code, periode), TOTAL]),
            str(by["column"].at[(code, periode), TOTAL]),
            {
                "total": f"{aantal.at[(code, periode), TOTAL]:.0f}",
                "code": code,
                "periode": periode,
                "types": listed,
                "low": f"{low.at[(code, periode)]:.0f}",
                "high": "∞" if math.isinf(high_v) else f"{high_v:.0f}",
            },
        )


def assemble_caseloads(ctx: Context) -> pd.DataFrame:
    """Long form: niveau, code, periode, soort, verwijzer, aantal (nullable integer), sorted.

    Rows with an empty ``verwijzer`` are the counts per area, period and care type (a row without verwijzer,
    or the sum of its routes); rows with one are the routes of ``REFERRAL_TYPES``, as given.
    """
    columns = ["niveau", "code", "periode", "soort", "verwijzer", "aantal"]
    recs = records_frame(ctx)
    df = pd.concat([totals_frame(ctx), recs[recs["verwijzer"].notna()]], ignore_index=True)[columns]
    order = [_ROUTE_ORDER.get(v, 0) for v in df["verwijzer"]]
    df["aantal"] = df["aantal"].astype("float64").astype("Float64").astype("Int64")  # NaN → <NA>; counts ≤ MAX_COUNT
    for col in ("niveau", "code", "periode", "soort", "verwijzer"):
        df[col] = df[col].astype("string")
    df = df.assign(_order=order).sort_values(["niveau", "code", "periode", "soort", "_order"], kind="stable")
    return df.drop(columns="_order").reset_index(drop=True)
