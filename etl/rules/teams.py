"""Checks of a teams table (one team per row, located by lat/lon, RD x/y or buurtcode) and its typed result."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from etl.rules.base import Context, Hit, each, rule
from etl.rules.columns import KNOWN_ORGANISATIONS, TEAM_SOORT_VALUES
from geodata.codes import name_key
from geodata.crs import RD_BOUNDS

# The Netherlands in WGS84, generously: to tell a swapped lat/lon from a point abroad.
NL_LAT = (50.6, 53.7)
NL_LON = (3.2, 7.3)
_TO_RD = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
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


def team_locations(ctx: Context) -> pd.DataFrame:
    """Per row: x, y (RD New) and locatie_bron, from lat/lon, else x/y, else the buurt's representative point."""
    if "locations" in ctx.cache:
        out: pd.DataFrame = ctx.cache["locations"]
        return out
    x = pd.Series(np.nan, index=ctx.raw.index)
    y = pd.Series(np.nan, index=ctx.raw.index)
    source = pd.Series(pd.NA, index=ctx.raw.index, dtype="string")
    if ctx.has("buurtcode"):
        points = ctx.reference.buurten.set_index(ctx.reference.buurten["buurtcode"].astype(str)).geometry.representative_point()
        codes = pd.Series([str(r.code) if r is not None and r.ok else None for r in ctx.codes("buurtcode", "buurt")],
                          index=ctx.raw.index, dtype=object)
        found = codes.notna()  # whole columns at once: setting cells one by one took seconds for 100,000 teams
        x[found], y[found], source[found] = codes[found].map(points.x), codes[found].map(points.y), "buurtcode"
    if ctx.has("x") and ctx.has("y"):
        rx, ry, ok = _rd(ctx)
        x[ok], y[ok], source[ok] = rx[ok], ry[ok], "rd"
    if ctx.has("lat") and ctx.has("lon"):
        lat, lon, ok = _latlon(ctx)
        if ok.any():
            ex, ey = _TO_RD.transform(lon[ok].to_numpy(), lat[ok].to_numpy())
            x[ok], y[ok], source[ok] = ex, ey, "latlon"
    out = pd.DataFrame({"x": x, "y": y, "locatie_bron": source})
    ctx.cache["locations"] = out
    return out


@rule("COLUMN_LOCATION_MISSING", "teams", stage="header")
def column_location_missing(ctx: Context) -> Iterator[Hit]:
    """Er is geen locatie: geef kolommen 'lat' en 'lon' (WGS84), 'x' en 'y' (RD New) of 'buurtcode'. Gevonden kolommen: {found}.
    There is no location: give columns 'lat' and 'lon' (WGS84), 'x' and 'y' (RD New) or 'buurtcode'. Columns found: {found}.
    """
    if not ctx.columns:
        return
    pairs = (ctx.has("lat") and ctx.has("lon")) or (ctx.has("x") and ctx.has("y"))
    if not pairs and not ctx.has("buurtcode"):
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
    """Team '{team}' heeft geen locatie: vul lat/lon, x/y of buurtcode in.
    Team '{team}' has no location: fill in lat/lon, x/y or buurtcode.
    """
    empty = pd.Series(True, index=ctx.raw.index)
    for column in ("lat", "lon", "x", "y", "buurtcode"):
        empty &= ~ctx.filled(column)
    yield from (Hit(i, "buurtcode" if ctx.has("buurtcode") else None, {"team": ctx.text("team_id").iat[i]})
                for i in each(empty))


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
        yield Hit(i, "lat", {"lat": ctx.text("lat").iat[i], "lon": ctx.text("lon").iat[i],
                             "hint_nl": hint_nl, "hint_en": hint_en})


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
            hint_nl, hint_en = "; dit lijken graden: zet ze in kolommen 'lat' en 'lon'", "; these look like degrees: put them in columns 'lat' and 'lon'"
        else:
            hint_nl = hint_en = ""
        yield Hit(i, "x", {"x": ctx.text("x").iat[i], "y": ctx.text("y").iat[i], "hint_nl": hint_nl, "hint_en": hint_en})


@rule("LOCATION_OUTSIDE", "teams")
def location_outside(ctx: Context) -> Iterator[Hit]:
    """Team '{team}' ligt buiten de gemeente ({where}, {distance} m van de grens).
    Team '{team}' lies outside the gemeente ({where}, {distance} m from the boundary).
    """
    loc = team_locations(ctx)
    exact = loc["locatie_bron"].isin(["latlon", "rd"]).fillna(False).astype(bool)
    if not exact.any():
        return
    points = shapely.points(loc.loc[exact, "x"].to_numpy(), loc.loc[exact, "y"].to_numpy())
    inside = shapely.contains(ctx.reference.area_tolerant, points)
    for pos, (i, ok) in enumerate(zip(np.flatnonzero(exact.to_numpy()), inside, strict=True)):
        if ok:
            continue
        column = "lat" if loc["locatie_bron"].iat[i] == "latlon" else "x"
        distance = round(float(shapely.distance(ctx.reference.area, points[pos])))
        where = f"x={loc['x'].iat[i]:.0f}, y={loc['y'].iat[i]:.0f}"
        yield Hit(int(i), column, {"team": ctx.text("team_id").iat[i], "where": where, "distance": distance})


def assemble_teams(ctx: Context) -> pd.DataFrame:
    """The typed teams of a table that passed every check (not yet placed in buurten)."""
    loc = team_locations(ctx)
    org = ctx.text("organisatie").map(lambda v: _ORG.get(name_key(v), v))
    buurt = [r.code if r is not None and r.ok else None for r in ctx.codes("buurtcode", "buurt")] if ctx.has("buurtcode") else [None] * ctx.n
    return pd.DataFrame(
        {
            "team_id": ctx.text("team_id").to_numpy(),
            "naam": ctx.text("naam").to_numpy(),
            "organisatie": org.to_numpy(),
            "soort": ctx.text("soort").map(lambda v: _SOORT[name_key(v)]).to_numpy(),
            "capaciteit_fte": ctx.numbers("capaciteit_fte")[0].to_numpy(),
            "max_caseload": ctx.numbers("max_caseload")[0].to_numpy(),
            "locatie_bron": loc["locatie_bron"].to_numpy(),
            "x": loc["x"].to_numpy(),
            "y": loc["y"].to_numpy(),
            "buurtcode_opgegeven": pd.array(buurt, dtype="string"),
        }
    )
