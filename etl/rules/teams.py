"""Checks of a teams table (one team per row, located by lat/lon, RD x/y, address, postcode or buurtcode) and its typed result."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import shapely

from etl.rules import addresses
from etl.rules.base import Context, Hit, each, rule
from etl.rules.columns import KNOWN_ORGANISATIONS, LOCATION_SOURCES, TEAM_SOORT_VALUES
from geodata.codes import name_key
from geodata.crs import LONLAT_TO_RD, RD_BOUNDS
from geodata.postcodes import parse_huisnummer

# The Netherlands in WGS84, generously: to tell a swapped lat/lon from a point abroad.
NL_LAT = (50.6, 53.7)
NL_LON = (3.2, 7.3)
_SOORT = {name_key(v): canonical for canonical, values in TEAM_SOORT_VALUES.items() for v in values}
_ORG = {name_key(o): o for o in KNOWN_ORGANISATIONS}
NUMERIC = ("lat", "lon", "x", "y", "capaciteit_fte", "max_caseload")


def _in(values: pd.Series, bounds: tuple[float, float]) -> pd.Series:
    return (values >= bounds[0]) & (values <= bounds[1])


def _latlon(ctx: Context) -> tuple[pd.Series, pd.Series, pd.Series]:
    """lat, lon and a mask of rows whose lat/lon are usable (both numbers, on Earth, not swapped)."""
    lat, _ = ctx.numbers("lat")
    lon, _ = ctx.numbers("lon")
    ok = lat.notna() & lon.notna() & _in(lat, (-90, 90)) & _in(lon, (-180, 180)) & ~_swapped_latlon(lat, lon)
    return lat, lon, ok


def _swapped_latlon(lat: pd.Series, lon: pd.Series) -> pd.Series:
    return _in(lat, NL_LON) & _in(lon, NL_LAT)


def _rd(ctx: Context) -> tuple[pd.Series, pd.Series, pd.Series]:
    x, _ = ctx.numbers("x")
    y, _ = ctx.numbers("y")
    ok = x.notna() & y.notna() & _in(x, (RD_BOUNDS[0], RD_BOUNDS[2])) & _in(y, (RD_BOUNDS[1], RD_BOUNDS[3]))
    return x, y, ok


def _exact(ctx: Context) -> pd.Series:
    """Rows placed by usable coordinates (lat/lon or x/y): an address there is never looked up."""
    return team_locations(ctx)["locatie_bron"].isin(["latlon", "rd"]).fillna(False).astype(bool)


def team_locations(ctx: Context) -> pd.DataFrame:
    """Per row: x, y (RD New), locatie_bron and locatie_detail, from the most precise location the row gives.

    lat/lon, else x/y, else the address found by PDOK (only when asked), else the postcode's PC4 centre, else
    the buurt's representative point. ``locatie_detail`` names what the point came from (address, PC4, buurtcode).
    """
    if "locations" in ctx.cache:
        out: pd.DataFrame = ctx.cache["locations"]
        return out
    x = pd.Series(np.nan, index=ctx.raw.index)
    y = pd.Series(np.nan, index=ctx.raw.index)
    source = pd.Series(pd.NA, index=ctx.raw.index, dtype="string")
    if ctx.has("buurtcode"):
        points = ctx.reference.buurten.set_index(
            ctx.reference.buurten["buurtcode"].astype(str)
        ).geometry.representative_point()
        codes = pd.Series(
            [str(r.code) if r is not None and r.ok else None for r in ctx.codes("buurtcode", "buurt")],
            index=ctx.raw.index,
            dtype=object,
        )
        found = codes.notna()  # whole columns at once: setting cells one by one took seconds for 100,000 teams
        x[found], y[found], source[found] = codes[found].map(points.x), codes[found].map(points.y), "buurtcode"
    if ctx.has("x") and ctx.has("y"):
        rx, ry, ok = _rd(ctx)
        x[ok], y[ok], source[ok] = rx[ok], ry[ok], "rd"
    if ctx.has("lat") and ctx.has("lon"):
        lat, lon, ok = _latlon(ctx)
        if ok.any():
            ex, ey = LONLAT_TO_RD.transform(lon[ok].to_numpy(), lat[ok].to_numpy())
            x[ok], y[ok], source[ok] = ex, ey, "latlon"
    # Address and postcode rank between the coordinates and the buurtcode (set above, before x/y and lat/lon).
    exact = source.isin(["latlon", "rd"]).fillna(False).astype(bool)
    detail = pd.Series(pd.NA, index=ctx.raw.index, dtype="string")
    if ctx.has("buurtcode"):
        codes = [str(r.code) if r is not None and r.ok else None for r in ctx.codes("buurtcode", "buurt")]
        by_code = (source == "buurtcode").fillna(False).astype(bool)
        detail[by_code] = pd.Series(codes, index=ctx.raw.index, dtype="string")[by_code]
    if addresses.has_address(ctx):
        placed = addresses.address_points(ctx, exact)
        take = placed["locatie_bron"].notna() & ~exact
        x[take], y[take], source[take], detail[take] = (
            placed.loc[take, c] for c in ("x", "y", "locatie_bron", "locatie_detail")
        )
    out = pd.DataFrame({"x": x, "y": y, "locatie_bron": source, "locatie_detail": detail})
    ctx.cache["locations"] = out
    return out


@rule("COLUMN_LOCATION_MISSING", "teams", stage="header")
def column_location_missing(ctx: Context) -> Iterator[Hit]:
    """Er is geen locatie: geef kolommen 'lat' en 'lon' (WGS84), 'x' en 'y' (RD New), 'postcode' (met 'huisnummer') of 'buurtcode'. Gevonden kolommen: {found}.
    There is no location: give columns 'lat' and 'lon' (WGS84), 'x' and 'y' (RD New), 'postcode' (with 'huisnummer') or 'buurtcode'. Columns found: {found}.
    """
    if not ctx.columns:
        return
    pairs = (ctx.has("lat") and ctx.has("lon")) or (ctx.has("x") and ctx.has("y"))
    if not pairs and not ctx.has("buurtcode") and not ctx.has("postcode") and not ctx.has("straat"):
        yield Hit(fields={"found": ", ".join(f"'{c}'" for c in ctx.raw.columns)})


@rule("TEAM_ID_MISSING", "teams")
def team_id_missing(ctx: Context) -> Iterator[Hit]:
    """Deze rij heeft geen team_id.
    This row has no team_id.
    """
    yield from (Hit(i, "team_id") for i in each(~ctx.filled("team_id")))


@rule("TEAM_ID_DUPLICATE", "teams")
def team_id_duplicate(ctx: Context) -> Iterator[Hit]:
    """team_id '{value}' komt vaker voor (eerst in rij {first}); elk team heeft een eigen id.
    team_id '{value}' occurs more than once (first in row {first}); every team needs its own id.
    """
    ids = ctx.text("team_id").str.casefold()
    first: dict[str, int] = {}
    for i, v in enumerate(ids):
        if not v:
            continue
        if v in first:
            yield Hit(i, "team_id", {"value": ctx.text("team_id").iat[i], "first": ctx.row_of(first[v])})
        else:
            first[v] = i


@rule("NAME_MISSING", "teams")
def name_missing(ctx: Context) -> Iterator[Hit]:
    """Team '{team}' heeft geen naam.
    Team '{team}' has no name.
    """
    yield from (Hit(i, "naam", {"team": ctx.text("team_id").iat[i]}) for i in each(~ctx.filled("naam")))


@rule("ORGANISATION_MISSING", "teams")
def organisation_missing(ctx: Context) -> Iterator[Hit]:
    """Team '{team}' heeft geen organisatie (bijvoorbeeld Lokalis, KOOS of Spoor030).
    Team '{team}' has no organisation (e.g. Lokalis, KOOS or Spoor030).
    """
    yield from (Hit(i, "organisatie", {"team": ctx.text("team_id").iat[i]}) for i in each(~ctx.filled("organisatie")))


@rule("SOORT_INVALID", "teams")
def soort_invalid(ctx: Context) -> Iterator[Hit]:
    """Soort '{value}' is onbekend; gebruik 'buurtteam' of 'specialistisch'.
    Type '{value}' is unknown; use 'buurtteam' or 'specialistisch'.
    """
    for i, v in enumerate(ctx.text("soort")):
        if name_key(v) not in _SOORT:
            yield Hit(i, "soort", {"value": v})


@rule("NUMBER_INVALID", "teams")
def number_invalid(ctx: Context) -> Iterator[Hit]:
    """'{value}' in kolom {column} is geen getal.
    '{value}' in column {column} is not a number.
    """
    for column in NUMERIC:
        if ctx.has(column):
            _, bad = ctx.numbers(column)
            for i in each(bad):
                yield Hit(i, column, {"value": ctx.text(column).iat[i], "column": ctx.header_of(column)})


@rule("NUMBER_NEGATIVE", "teams")
def number_negative(ctx: Context) -> Iterator[Hit]:
    """{column} is {value}; dat kan niet negatief zijn.
    {column} is {value}; it cannot be negative.
    """
    for column in ("capaciteit_fte", "max_caseload"):
        values, _ = ctx.numbers(column)
        for i in each(values < 0):
            yield Hit(i, column, {"value": ctx.text(column).iat[i], "column": ctx.header_of(column)})


@rule("LOCATION_MISSING", "teams")
def location_missing(ctx: Context) -> Iterator[Hit]:
    """Team '{team}' heeft geen locatie: vul lat/lon, x/y, postcode of buurtcode in.
    Team '{team}' has no location: fill in lat/lon, x/y, postcode or buurtcode.
    """
    empty = pd.Series(True, index=ctx.raw.index)
    for column in ("lat", "lon", "x", "y", "buurtcode", *addresses.ADDRESS_COLUMNS):
        empty &= ~ctx.filled(column)
    yield from (
        Hit(i, "buurtcode" if ctx.has("buurtcode") else None, {"team": ctx.text("team_id").iat[i]}) for i in each(empty)
    )


@rule("LOCATION_INCOMPLETE", "teams")
def location_incomplete(ctx: Context) -> Iterator[Hit]:
    """Alleen {given} is ingevuld; {missing} ontbreekt.
    Only {given} is filled in; {missing} is missing.
    """
    for a, b in (("lat", "lon"), ("x", "y")):
        fa, fb = ctx.filled(a), ctx.filled(b)
        for i in each(fa & ~fb):
            yield Hit(i, b if ctx.has(b) else a, {"given": a, "missing": b})
        for i in each(fb & ~fa):
            yield Hit(i, a if ctx.has(a) else b, {"given": b, "missing": a})


@rule("LATLON_SWAPPED", "teams")
def latlon_swapped(ctx: Context) -> Iterator[Hit]:
    """lat {lat} en lon {lon} zijn omgewisseld: in Nederland is lat ongeveer 51–53 en lon 3–7.
    lat {lat} and lon {lon} are swapped: in the Netherlands lat is about 51–53 and lon 3–7.
    """
    lat, _ = ctx.numbers("lat")
    lon, _ = ctx.numbers("lon")
    for i in each(_swapped_latlon(lat, lon)):
        yield Hit(i, "lat", {"lat": ctx.text("lat").iat[i], "lon": ctx.text("lon").iat[i]})


@rule("LATLON_INVALID", "teams")
def latlon_invalid(ctx: Context) -> Iterator[Hit]:
    """lat {lat} / lon {lon} is geen WGS84-coördinaat (lat −90…90, lon −180…180){hint_nl}.
    lat {lat} / lon {lon} is not a WGS84 coordinate (lat −90…90, lon −180…180){hint_en}.
    """
    lat, _ = ctx.numbers("lat")
    lon, _ = ctx.numbers("lon")
    bad = lat.notna() & lon.notna() & ~(_in(lat, (-90, 90)) & _in(lon, (-180, 180)))
    for i in each(bad):
        rd_like = RD_BOUNDS[0] <= lat.iat[i] <= RD_BOUNDS[3] and RD_BOUNDS[0] <= lon.iat[i] <= RD_BOUNDS[3]
        hint_nl = "; dit lijken RD-coördinaten: zet ze in kolommen 'x' en 'y'" if rd_like else ""
        hint_en = "; these look like RD coordinates: put them in columns 'x' and 'y'" if rd_like else ""
        yield Hit(
            i,
            "lat",
            {"lat": ctx.text("lat").iat[i], "lon": ctx.text("lon").iat[i], "hint_nl": hint_nl, "hint_en": hint_en},
        )


@rule("RD_INVALID", "teams")
def rd_invalid(ctx: Context) -> Iterator[Hit]:
    """x {x} / y {y} ligt buiten het RD-stelsel (x 0…300000, y 300000…625000 m){hint_nl}.
    x {x} / y {y} lies outside the RD grid (x 0…300000, y 300000…625000 m){hint_en}.
    """
    x, _ = ctx.numbers("x")
    y, _ = ctx.numbers("y")
    inside = _in(x, (RD_BOUNDS[0], RD_BOUNDS[2])) & _in(y, (RD_BOUNDS[1], RD_BOUNDS[3]))
    for i in each(x.notna() & y.notna() & ~inside):
        if RD_BOUNDS[1] <= x.iat[i] <= RD_BOUNDS[3] and RD_BOUNDS[0] <= y.iat[i] <= RD_BOUNDS[2]:
            hint_nl, hint_en = "; x en y lijken omgewisseld", "; x and y look swapped"
        elif abs(x.iat[i]) <= 180 and abs(y.iat[i]) <= 90:
            hint_nl, hint_en = (
                "; dit lijken graden: zet ze in kolommen 'lat' en 'lon'",
                "; these look like degrees: put them in columns 'lat' and 'lon'",
            )
        else:
            hint_nl = hint_en = ""
        yield Hit(
            i, "x", {"x": ctx.text("x").iat[i], "y": ctx.text("y").iat[i], "hint_nl": hint_nl, "hint_en": hint_en}
        )


@rule("LOCATION_OUTSIDE", "teams")
def location_outside(ctx: Context) -> Iterator[Hit]:
    """Team '{team}' ligt buiten de gemeente ({where}, {distance} m van de grens).
    Team '{team}' lies outside the gemeente ({where}, {distance} m from the boundary).
    """
    loc = team_locations(ctx)
    exact = loc["locatie_bron"].isin(["latlon", "rd", addresses.PDOK]).fillna(False).astype(bool)
    if not exact.any():
        return
    points = shapely.points(loc.loc[exact, "x"].to_numpy(), loc.loc[exact, "y"].to_numpy())
    inside = shapely.contains(ctx.reference.area_tolerant, points)
    for pos, (i, ok) in enumerate(zip(np.flatnonzero(exact.to_numpy()), inside, strict=True)):
        if ok:
            continue
        column = {"latlon": "lat", "rd": "x"}.get(str(loc["locatie_bron"].iat[i]), _address_column(ctx))
        distance = round(float(shapely.distance(ctx.reference.area, points[pos])))
        where = f"x={loc['x'].iat[i]:.0f}, y={loc['y'].iat[i]:.0f}"
        if loc["locatie_bron"].iat[i] == addresses.PDOK:
            where = f"{loc['locatie_detail'].iat[i]}, {where}"
        yield Hit(int(i), column, {"team": ctx.text("team_id").iat[i], "where": where, "distance": distance})


# ---------------------------------------------------------------- teams by address


def _address_column(ctx: Context) -> str:
    return next((c for c in ("postcode", "straat", "huisnummer", "plaats") if ctx.has(c)), "postcode")


def _has_buurt(ctx: Context) -> pd.Series:
    """Rows with a buurtcode of this year: the fallback when an address or postcode cannot place the team."""
    if not ctx.has("buurtcode"):
        return pd.Series(False, index=ctx.raw.index, dtype=bool)
    return pd.Series([r is not None and r.ok for r in ctx.codes("buurtcode", "buurt")], index=ctx.raw.index, dtype=bool)


def _postcode_hits(ctx: Context, state: str) -> Iterator[tuple[int, str]]:
    """(row, PC4) of the rows whose point would come from a postcode in ``state`` (see addresses.pc4_state)."""
    if not ctx.has("postcode"):
        return
    exact = _exact(ctx)
    rows = addresses.address_rows(ctx, exact)
    for i in each(addresses.uses_postcode(ctx, exact)):
        pc = rows[i].postcode
        if pc is not None and addresses.pc4_state(ctx, pc.pc4) == state:
            yield i, pc.pc4


def _table_name(ctx: Context) -> str:
    table = ctx.reference.postcodes
    return table.label if table is not None else "—"


@rule("POSTCODE_INVALID", "teams")
def postcode_invalid(ctx: Context) -> Iterator[Hit]:
    """'{value}' is geen postcode; schrijf vier cijfers en eventueel twee letters, bijvoorbeeld 3581 of 3581 AB.
    '{value}' is not a postcode; write four digits and optionally two letters, for example 3581 or 3581 AB.
    """
    if not ctx.has("postcode"):
        return
    rows = addresses.address_rows(ctx, _exact(ctx))
    for i, (text, r) in enumerate(zip(ctx.text("postcode"), rows, strict=True)):
        if text and r.postcode is None:
            yield Hit(i, "postcode", {"value": text})


@rule("HUISNUMMER_INVALID", "teams")
def huisnummer_invalid(ctx: Context) -> Iterator[Hit]:
    """'{value}' is geen huisnummer; begin met het nummer, eventueel met letter of toevoeging: 12, 12a, 12-2.
    '{value}' is not a house number; start with the number, optionally with a letter or addition: 12, 12a, 12-2.
    """
    for i, text in enumerate(ctx.text("huisnummer")):
        if text and parse_huisnummer(text) is None:
            yield Hit(i, "huisnummer", {"value": text})


@rule("POSTCODE_TABLE_MISSING", "teams")
def postcode_table_missing(ctx: Context) -> Iterator[Hit]:
    """Teams met alleen een postcode zijn niet te plaatsen: de postcodetabel ontbreekt ({path}). Zet other/pc4_centroids_nl_4pp_2014.csv in de datamap (--data-dir), of geef lat/lon, x/y of buurtcode.
    Teams with only a postcode cannot be placed: the postcode table is missing ({path}). Put other/pc4_centroids_nl_4pp_2014.csv in the data directory (--data-dir), or give lat/lon, x/y or buurtcode.
    """
    fallback = _has_buurt(ctx)
    for i, _ in _postcode_hits(ctx, "no_table"):
        if not fallback.iat[i]:
            table = ctx.reference.postcodes
            yield Hit(None, "postcode", {"path": str(table.path) if table is not None else "geen/none"})
            return


@rule("POSTCODE_UNKNOWN", "teams")
def postcode_unknown(ctx: Context) -> Iterator[Hit]:
    """Postcode {value} staat niet als adrespostcode in de postcodetabel {table}; nieuwere postcodes ontbreken daarin. Controleer hem, of geef lat/lon, x/y, een buurtcode of het huisnummer (met --geocode pdok).
    Postcode {value} is not an address postcode in the postcode table {table}; newer postcodes are missing from it. Check it, or give lat/lon, x/y, a buurtcode or the house number (with --geocode pdok).
    """
    fallback = _has_buurt(ctx)
    for i, pc4 in _postcode_hits(ctx, "unknown"):
        if not fallback.iat[i]:
            yield Hit(i, "postcode", {"value": pc4, "table": _table_name(ctx)})


@rule("POSTCODE_POSTBUS", "teams")
def postcode_postbus(ctx: Context) -> Iterator[Hit]:
    """Postcode {value} ({place}) is alleen voor postbussen: daar zit geen team. Geef de postcode van het bezoekadres.
    Postcode {value} ({place}) is for PO boxes only: no team sits there. Give the postcode of the visiting address.
    """
    table = addresses.pc4_rows(ctx)
    for i, pc4 in _postcode_hits(ctx, "postbus"):
        place = str(table.at[pc4, "woonplaats"]) if table is not None else ""
        yield Hit(i, "postcode", {"value": pc4, "place": place})


@rule("POSTCODE_NO_CENTROID", "teams")
def postcode_no_centroid(ctx: Context) -> Iterator[Hit]:
    """Postcode {value} heeft in de postcodetabel geen eigen middelpunt (hetzelfde punt als {others} andere postcodes in {place}); geef lat/lon, x/y, een buurtcode of het huisnummer (met --geocode pdok).
    Postcode {value} has no centre of its own in the postcode table (the same point as {others} other postcodes in {place}); give lat/lon, x/y, a buurtcode or the house number (with --geocode pdok).
    """
    table = addresses.pc4_rows(ctx)
    fallback = _has_buurt(ctx)
    for i, pc4 in _postcode_hits(ctx, "no_centroid"):
        if table is not None and not fallback.iat[i]:
            yield Hit(
                i,
                "postcode",
                {"value": pc4, "others": int(table.at[pc4, "shared"]) - 1, "place": str(table.at[pc4, "woonplaats"])},
            )


@rule("POSTCODE_OUTSIDE", "teams")
def postcode_outside(ctx: Context) -> Iterator[Hit]:
    """Team '{team}': postcode {value} ({place}, gemeente {gemeente}) ligt buiten de gemeente (het midden van het postcodegebied ligt {distance} m van de grens).
    Team '{team}': postcode {value} ({place}, gemeente {gemeente}) lies outside the gemeente (the centre of the postcode area is {distance} m from the boundary).
    """
    table = addresses.pc4_rows(ctx)
    if table is None:
        return
    hits = list(_postcode_hits(ctx, "ok"))
    if not hits:
        return
    xy = table.loc[[p for _, p in hits], ["x", "y"]].to_numpy(dtype="float64")
    points = shapely.points(xy[:, 0], xy[:, 1])
    inside = shapely.contains(ctx.reference.area_tolerant, points)
    ids = ctx.text("team_id").tolist()
    for (i, pc4), point, ok in zip(hits, points, inside, strict=True):
        if not ok:
            distance = round(float(shapely.distance(ctx.reference.area, point)))
            yield Hit(
                i,
                "postcode",
                {
                    "team": ids[i],
                    "value": pc4,
                    "place": str(table.at[pc4, "woonplaats"]),
                    "gemeente": str(table.at[pc4, "gemeente"]),
                    "distance": distance,
                },
            )


@rule("ADDRESS_NOT_PLACED", "teams")
def address_not_placed(ctx: Context) -> Iterator[Hit]:
    """Team '{team}' heeft een adres zonder postcode ({address}) dat niet te plaatsen is: {reason_nl}. Vul de postcode in, of geef lat/lon, x/y of buurtcode.
    Team '{team}' has an address without a postcode ({address}) that cannot be placed: {reason_en}. Fill in the postcode, or give lat/lon, x/y or buurtcode.
    """
    if not addresses.has_address(ctx):
        return
    exact = _exact(ctx)
    rows = addresses.address_rows(ctx, exact)
    unplaced = ~exact & ~_has_buurt(ctx) & ~ctx.filled("postcode")
    given = ctx.filled("straat") | ctx.filled("huisnummer") | ctx.filled("plaats")
    ids = ctx.text("team_id").tolist()
    parts = [ctx.text(c).tolist() for c in ("straat", "huisnummer", "plaats")]
    for i in each(unplaced & given):
        r = rows[i]
        if r.found:
            continue
        reason_nl, reason_en = _unplaced_reason(ctx, r)
        address = ", ".join(v for v in (p[i] for p in parts) if v)
        yield Hit(
            i,
            _address_column(ctx),
            {"team": ids[i], "address": address, "reason_nl": reason_nl, "reason_en": reason_en},
        )


def _unplaced_reason(ctx: Context, r: addresses.RowAddress) -> tuple[str, str]:
    if r.query is None:
        return ("het heeft straat, huisnummer en plaats nodig", "it needs street, house number and place")
    if ctx.reference.geocoder is None:
        return (
            "een adres wordt alleen opgezocht met --geocode pdok",
            "an address is only looked up with --geocode pdok",
        )
    answer = r.answer
    return (answer.reason_nl, answer.reason_en) if answer is not None else ("niet opgezocht", "not looked up")


def _spreadsheet_row(ctx: Context, i: int) -> int:
    row_of = getattr(ctx, "row_of", None)  # frames indexed by spreadsheet row know it; else header + 1
    return int(row_of(i)) if callable(row_of) else i + 2


def describe_location(bron: object, detail: object) -> tuple[str, str]:
    """'postcode 3581 (midden van het postcodegebied, ± 1–2 km)' and its English, for one team ('' for another source)."""
    if not isinstance(bron, str) or bron not in LOCATION_SOURCES:
        return ("", "")
    nl, en = LOCATION_SOURCES[bron]
    what = "" if detail is None or pd.isna(detail) else str(detail)
    label_nl, label_en = {
        "postcode4": ("postcode", "postcode"),
        "adres (PDOK)": ("adres", "address"),
        "buurtcode": ("buurt", "buurt"),
    }.get(bron, ("", ""))
    if what and label_nl:
        return (f"{label_nl} {what} ({nl})", f"{label_en} {what} ({en})")
    return (nl, en)


def location_notes(ctx: Context) -> tuple[list[str], list[str]]:
    """Per row the location used (most precise first); and every fallback from an address or postcode, with its reason."""
    loc = team_locations(ctx)
    exact = _exact(ctx)
    rows = addresses.address_rows(ctx, exact) if addresses.has_address(ctx) else [addresses.RowAddress()] * ctx.n
    per_row: list[str] = []
    notes: list[str] = []
    ids, sources, details = ctx.text("team_id").tolist(), loc["locatie_bron"].tolist(), loc["locatie_detail"].tolist()
    exact_rows = exact.tolist()
    described: dict[tuple[object, object], tuple[str, str]] = {}
    for i in range(ctx.n):
        head = f"{ctx.name}, rij/row {_spreadsheet_row(ctx, i)} ({ids[i]})"
        key = (sources[i], details[i])
        if key not in described:
            described[key] = describe_location(*key)
        nl, en = described[key]
        per_row.append(f"{head}: locatie {nl} / location {en}")
        r, bron = rows[i], sources[i]
        if r.query is not None and r.answer is not None and not r.found and bron in (addresses.PC4, "buurtcode"):
            used_nl, used_en = (
                ("de postcode", "the postcode") if bron == addresses.PC4 else ("de buurtcode", "the buurtcode")
            )
            what_nl, what_en = (
                ("niet opgezocht", "not looked up") if r.answer.status == "failed" else ("niet gevonden", "not found")
            )
            notes.append(
                f"{head}: adres '{r.query.text}' {what_nl} ({r.answer.reason_nl}); geplaatst op {used_nl} / "
                f"address '{r.query.text}' {what_en} ({r.answer.reason_en}); placed by {used_en}"
            )
        elif bron == "buurtcode" and r.postcode is not None and not exact_rows[i]:
            why_nl, why_en = addresses.STATE_TEXT.get(addresses.pc4_state(ctx, r.postcode.pc4), ("?", "?"))
            notes.append(
                f"{head}: postcode {r.postcode.text} niet bruikbaar ({why_nl}); geplaatst op de buurtcode / "
                f"postcode {r.postcode.text} not usable ({why_en}); placed by the buurtcode"
            )
        elif bron == "buurtcode" and r.query is not None and ctx.reference.geocoder is None:
            notes.append(
                f"{head}: adres niet opgezocht (zonder --geocode pdok); geplaatst op de buurtcode / "
                f"address not looked up (without --geocode pdok); placed by the buurtcode"
            )
    on_pc4 = int((loc["locatie_bron"] == addresses.PC4).fillna(False).sum())
    could = sum(1 for r, b in zip(rows, loc["locatie_bron"], strict=True) if r.query is not None and b == addresses.PC4)
    if on_pc4:
        more_nl = more_en = ""
        if could and ctx.reference.geocoder is None:
            more_nl = f"; {could} met een volledig adres komen met --geocode pdok op hun adres"
            more_en = f"; {could} with a full address go to their address with --geocode pdok"
        notes.append(
            f"{ctx.name}: {on_pc4} team(s) op het midden van hun postcode (PC4, ± 1–2 km): reistijden van en naar "
            f"die teams zijn niet preciezer dan dat{more_nl} / {on_pc4} team(s) at the centre of their postcode (PC4, "
            f"± 1–2 km): travel times to and from them are no more precise than that{more_en}"
        )
    return per_row, notes


def assemble_teams(ctx: Context) -> pd.DataFrame:
    """The typed teams of a table that passed every check (not yet placed in buurten)."""
    loc = team_locations(ctx)
    org = ctx.text("organisatie").map(lambda v: _ORG.get(name_key(v), v))
    buurt = (
        [r.code if r is not None and r.ok else None for r in ctx.codes("buurtcode", "buurt")]
        if ctx.has("buurtcode")
        else [None] * ctx.n
    )
    return pd.DataFrame(
        {
            "team_id": ctx.text("team_id").to_numpy(),
            "naam": ctx.text("naam").to_numpy(),
            "organisatie": org.to_numpy(),
            "soort": ctx.text("soort").map(lambda v: _SOORT[name_key(v)]).to_numpy(),
            "capaciteit_fte": ctx.numbers("capaciteit_fte")[0].to_numpy(),
            "max_caseload": ctx.numbers("max_caseload")[0].to_numpy(),
            "locatie_bron": loc["locatie_bron"].to_numpy(),
            "locatie_detail": loc["locatie_detail"].to_numpy(),
            "x": loc["x"].to_numpy(),
            "y": loc["y"].to_numpy(),
            "buurtcode_opgegeven": pd.array(buurt, dtype="string"),
        }
    )
