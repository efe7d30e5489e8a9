"""Checks of a provider-areas table (wijkcode or buurtcode → aanbieder; a buurt row overrides its wijk)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

import pandas as pd

from etl.rules.base import Context, Hit, each, rule
from geodata.codes import describe, name_key


def _provider_lookup(ctx: Context) -> dict[str, str]:
    return {name_key(p): p for p in ctx.known_providers}


def area_keys(ctx: Context) -> list[tuple[str, str] | None]:
    """Per row: ('buurt', code) or ('wijk', code) — the most specific valid code — or None."""
    buurten = ctx.codes("buurtcode", "buurt") if ctx.has("buurtcode") else [None] * ctx.n
    wijken = ctx.codes("wijkcode", "wijk") if ctx.has("wijkcode") else [None] * ctx.n
    out: list[tuple[str, str] | None] = []
    for b, w in zip(buurten, wijken, strict=True):
        if b is not None:
            out.append(("buurt", str(b.code)) if b.ok else None)
        elif w is not None:
            out.append(("wijk", str(w.code)) if w.ok else None)
        else:
            out.append(None)
    return out


def providers_of(ctx: Context) -> list[str | None]:
    lookup = _provider_lookup(ctx)
    return [lookup.get(name_key(v)) for v in ctx.text("aanbieder")]


@rule("PROVIDER_MISSING", "providers")
def provider_missing(ctx: Context) -> Iterator[Hit]:
    """Deze rij noemt geen aanbieder.
    This row names no provider.
    """
    yield from (Hit(i, "aanbieder") for i in each(~ctx.filled("aanbieder")))


@rule("PROVIDER_UNKNOWN", "providers")
def provider_unknown(ctx: Context) -> Iterator[Hit]:
    """Aanbieder '{value}' is onbekend; bekend zijn {known}.{hint_nl}
    Provider '{value}' is unknown; known are {known}.{hint_en}
    """
    lookup = _provider_lookup(ctx)
    for i, v in enumerate(ctx.text("aanbieder")):
        if v and name_key(v) not in lookup:
            close = difflib.get_close_matches(name_key(v), list(lookup), n=1, cutoff=0.6)
            hint_nl = f" Bedoelt u {lookup[close[0]]}?" if close else ""
            hint_en = f" Did you mean {lookup[close[0]]}?" if close else ""
            yield Hit(
                i,
                "aanbieder",
                {"value": v, "known": ", ".join(ctx.known_providers), "hint_nl": hint_nl, "hint_en": hint_en},
            )


@rule("AREA_TWO_PROVIDERS", "providers")
def area_two_providers(ctx: Context) -> Iterator[Hit]:
    """{area} staat ook in rij {first} met aanbieder {other}; een {level} heeft één aanbieder.
    {area} is also in row {first} with provider {other}; a {level} has one provider.
    """
    first: dict[tuple[str, str], tuple[int, str]] = {}
    providers = providers_of(ctx)
    for i, (key, prov) in enumerate(zip(area_keys(ctx), providers, strict=True)):
        if key is None or prov is None:
            continue
        if key in first and first[key][1] != prov:
            yield Hit(
                i,
                f"{key[0]}code",
                {
                    "area": describe(key[1], ctx.reference.names(key[0])),  # type: ignore[arg-type]
                    "first": ctx.row_of(first[key][0]),
                    "other": first[key][1],
                    "level": key[0],
                },
            )
        first.setdefault(key, (i, prov))


@rule("ROW_DUPLICATE", "providers")
def row_duplicate(ctx: Context) -> Iterator[Hit]:
    """{area} met {provider} staat dubbel (ook in rij {first}).
    {area} with {provider} is listed twice (also in row {first}).
    """
    first: dict[tuple[tuple[str, str], str], int] = {}
    for i, (key, prov) in enumerate(zip(area_keys(ctx), providers_of(ctx), strict=True)):
        if key is None or prov is None:
            continue
        if (key, prov) in first:
            yield Hit(i, f"{key[0]}code", {"area": key[1], "provider": prov, "first": ctx.row_of(first[(key, prov)])})
        else:
            first[(key, prov)] = i


@rule("PROVIDER_GAP", "providers", stage="table")
def provider_gap(ctx: Context) -> Iterator[Hit]:
    """Buurt {buurt} (wijk {wijk}) heeft inwoners maar geen aanbieder; voeg een rij toe voor de buurt of haar wijk.
    Buurt {buurt} (wijk {wijk}) has inhabitants but no provider; add a row for the buurt or its wijk.
    """
    assigned = provider_per_buurt(ctx)
    names = ctx.reference.names("buurt")
    for code, living in ctx.reference.inhabited.items():
        if living and code not in assigned:
            yield Hit(fields={"buurt": describe(str(code), names), "wijk": ctx.reference.wijk_of.get(str(code))})


def provider_per_buurt(ctx: Context) -> dict[str, str]:
    """Buurtcode → provider: the buurt's own row, else its wijk's row."""
    by_wijk: dict[str, str] = {}
    by_buurt: dict[str, str] = {}
    for key, prov in zip(area_keys(ctx), providers_of(ctx), strict=True):
        if key is None or prov is None:
            continue
        (by_buurt if key[0] == "buurt" else by_wijk).setdefault(key[1], prov)
    out = {}
    for buurt, wijk in ctx.reference.wijk_of.items():
        prov = by_buurt.get(buurt) or by_wijk.get(wijk)
        if prov:
            out[buurt] = prov
    return out


def assemble_providers(ctx: Context) -> pd.DataFrame:
    """niveau (wijk | buurt), wijkcode (wijk rows), buurtcode (buurt rows), aanbieder — duplicates dropped."""
    rows = []
    for key, prov in zip(area_keys(ctx), providers_of(ctx), strict=True):
        if key is None or prov is None:
            continue
        rows.append(
            {
                "niveau": key[0],
                "wijkcode": key[1] if key[0] == "wijk" else None,
                "buurtcode": key[1] if key[0] == "buurt" else None,
                "aanbieder": prov,
            }
        )
    out = pd.DataFrame(rows, columns=["niveau", "wijkcode", "buurtcode", "aanbieder"]).drop_duplicates()
    return out.astype("string").reset_index(drop=True)
