"""Teams by address: each row's postcode and house number read, looked up (PDOK, when asked) or put on its PC4 centre.

Helpers of the teams rules (``etl.rules.teams``); ``exact`` is the mask of rows already placed by lat/lon or
x/y, which are never looked up. Everything is computed once per check and kept in the context's cache.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from etl.rules.base import Context
from geodata.geocode import AddressQuery, Answer, address_query
from geodata.postcodes import PLACEABLE, Postcode, parse_postcode

ADDRESS_COLUMNS = ("postcode", "huisnummer", "straat", "plaats")
PDOK, PC4 = "adres (PDOK)", "postcode4"
# Why a postcode cannot place a team (see pc4_state), in Dutch and English.
STATE_TEXT = {
    "no_table": ("geen postcodetabel", "no postcode table"),
    "unknown": ("niet in de postcodetabel", "not in the postcode table"),
    "postbus": ("alleen postbussen", "PO boxes only"),
    "no_centroid": ("geen eigen middelpunt in de postcodetabel", "no centre of its own in the postcode table"),
}


@dataclass(frozen=True)
class RowAddress:
    """What one row's address columns give."""

    postcode: Postcode | None = None  # None when the cell is empty or no postcode
    query: AddressQuery | None = None  # a geocodable address (needs a house number)
    answer: Answer | None = None  # PDOK's, when asked

    @property
    def found(self) -> bool:
        return self.answer is not None and self.answer.found


def has_address(ctx: Context) -> bool:
    return any(ctx.has(c) for c in ADDRESS_COLUMNS)


def address_rows(ctx: Context, exact: pd.Series) -> list[RowAddress]:
    """Per row: postcode, query and (for rows without coordinates, when a geocoder is given) PDOK's answer."""
    if "addresses" in ctx.cache:
        cached: list[RowAddress] = ctx.cache["addresses"]
        return cached
    if not has_address(ctx):
        rows = [RowAddress()] * ctx.n
    else:
        texts = {c: ctx.text(c).tolist() for c in ADDRESS_COLUMNS}
        postcodes = {v: parse_postcode(v) if v else None for v in dict.fromkeys(texts["postcode"])}
        queries = [
            address_query(postcode=p, huisnummer=h, straat=s, plaats=pl)
            for p, h, s, pl in zip(*(texts[c] for c in ADDRESS_COLUMNS), strict=True)
        ]
        geocoder = ctx.reference.geocoder
        wanted = [q for q, ok in zip(queries, exact.to_numpy(dtype=bool), strict=True) if q is not None and not ok]
        answers = geocoder.lookup(wanted) if geocoder is not None and wanted else {}
        rows = [
            RowAddress(postcodes[p], q, answers.get(q.key) if q is not None and not ok else None)
            for p, q, ok in zip(texts["postcode"], queries, exact.to_numpy(dtype=bool), strict=True)
        ]
    ctx.cache["addresses"] = rows
    return rows


def pc4_rows(ctx: Context) -> pd.DataFrame | None:
    """The PC4 table of the reference, or None when there is none (or its file is missing)."""
    table = ctx.reference.postcodes
    return table.frame if table is not None and table.available else None


def uses_postcode(ctx: Context, exact: pd.Series) -> pd.Series:
    """Rows whose point would come from their postcode: a readable postcode, no coordinates, no PDOK address."""
    rows = address_rows(ctx, exact)
    flags = [r.postcode is not None and not r.found for r in rows]
    return pd.Series(flags, index=ctx.raw.index, dtype=bool) & ~exact


def pc4_state(ctx: Context, pc4: str) -> str:
    """``ok``, ``no_table``, ``unknown`` (not an address postcode in the table), ``postbus`` or ``no_centroid``."""
    states: dict[str, str] = ctx.cache.setdefault("pc4_states", {})
    if pc4 not in states:
        states[pc4] = _pc4_state(ctx, pc4)
    return states[pc4]


def _pc4_state(ctx: Context, pc4: str) -> str:
    table = pc4_rows(ctx)
    if table is None:
        return "no_table"
    if pc4 not in table.index:
        return "unknown"
    soort = str(table.at[pc4, "soort"])
    if soort == "Postbus":
        return "postbus"
    if soort not in PLACEABLE:
        return "unknown"
    return "no_centroid" if int(table.at[pc4, "shared"]) > 1 else "ok"


def address_points(ctx: Context, exact: pd.Series) -> pd.DataFrame:
    """Per row: x, y, locatie_bron (``adres (PDOK)`` or ``postcode4``) and locatie_detail; NA where neither places it."""
    rows = address_rows(ctx, exact)
    table = pc4_rows(ctx)
    x, y, bron, detail = [], [], [], []
    for r, ok in zip(rows, exact.to_numpy(dtype=bool), strict=True):
        point: tuple[float, float, str, str] | None = None
        if ok:
            pass
        elif r.found and r.answer is not None and r.answer.x is not None and r.answer.y is not None:
            point = (r.answer.x, r.answer.y, PDOK, r.answer.label)
        elif r.postcode is not None and table is not None and pc4_state(ctx, r.postcode.pc4) == "ok":
            pc4 = r.postcode.pc4
            point = (float(table.at[pc4, "x"]), float(table.at[pc4, "y"]), PC4, pc4)
        x.append(point[0] if point else float("nan"))
        y.append(point[1] if point else float("nan"))
        bron.append(point[2] if point else None)
        detail.append(point[3] if point else None)
    index = ctx.raw.index
    return pd.DataFrame(
        {
            "x": pd.Series(x, index=index, dtype="float64"),
            "y": pd.Series(y, index=index, dtype="float64"),
            "locatie_bron": pd.Series(bron, index=index, dtype="string"),
            "locatie_detail": pd.Series(detail, index=index, dtype="string"),
        }
    )
