"""Download CBS wijk- and buurt boundaries for one year from PDOK's WFS into a GeoPackage."""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geodata.cbs import gemeente_codes
from geodata.crs import RD_NEW
from geodata.errors import InputError
from geodata.io import write_gpkg_atomic

# PDOK publishes CBS "Wijken en Buurten" per year as a WFS (lowercase PDOK 2021+ schema).
PDOK_WFS = "https://service.pdok.nl/cbs/wijkenbuurten/{year}/wfs/v1_0"
LAYERS = {"buurten": "wijkenbuurten:buurten", "wijken": "wijkenbuurten:wijken"}
PAGE_SIZE = 1000
USER_AGENT = "buurtdekking (+https://github.com/) python-urllib"


def _filter_xml(gemeenten: Sequence[str]) -> str:
    """An OGC FES 2.0 filter on gemeentecode, so only the wanted gemeenten cross the network."""
    clauses = "".join(
        "<fes:PropertyIsEqualTo><fes:ValueReference>gemeentecode</fes:ValueReference>"
        f"<fes:Literal>{g}</fes:Literal></fes:PropertyIsEqualTo>"
        for g in gemeenten
    )
    if len(gemeenten) > 1:
        clauses = f"<fes:Or>{clauses}</fes:Or>"
    return f'<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0">{clauses}</fes:Filter>'


def page_url(base_url: str, *, type_name: str, gemeenten: Sequence[str], start: int, count: int | None = None) -> str:
    params = {
        "service": "WFS",
        "version": "2.0.0",
        "request": "GetFeature",
        "typeNames": type_name,
        "outputFormat": "application/json",
        "srsName": RD_NEW,
        "count": str(count or PAGE_SIZE),
        "startIndex": str(start),
        "filter": _filter_xml(gemeenten),
    }
    return f"{base_url}?{urllib.parse.urlencode(params)}"


def _network_error(url: str, detail: str) -> InputError:
    return InputError.single(
        "FETCH_FAILED",
        f"Downloaden mislukt ({detail}). Is deze computer online? Zonder internet: zet de grenzen in de "
        "datamap (--data-dir) of geef --boundaries.",
        f"Download failed ({detail}). Is this machine online? Offline: put the boundaries in the data "
        "directory (--data-dir) or pass --boundaries.",
        file=url.split("?")[0],
    )


def _get_json(url: str, *, timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            body = resp.read()
    except urllib.error.HTTPError as exc:
        exc.close()  # the error holds the open response; an unclosed socket otherwise lingers until GC
        raise _network_error(url, f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _network_error(url, str(reason)) from exc
    try:
        data = json.loads(body)
    except ValueError as exc:
        snippet = body[:120].decode("utf-8", "replace")
        raise InputError.single(
            "FETCH_NOT_GEOJSON",
            f"De server gaf geen GeoJSON terug maar: {snippet!r}",
            f"The server did not return GeoJSON but: {snippet!r}",
            file=url.split("?")[0],
        ) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InputError.single(
            "FETCH_NOT_GEOJSON",
            "De server gaf geen GeoJSON FeatureCollection terug.",
            "The server did not return a GeoJSON FeatureCollection.",
            file=url.split("?")[0],
        )
    return data


def fetch_layer(
    base_url: str, *, type_name: str, gemeenten: Sequence[str], timeout: float, progress: bool = True
) -> gpd.GeoDataFrame:
    """All features of one WFS layer for the gemeenten, page by page (PDOK caps a page at 1,000)."""
    features: list[dict[str, Any]] = []
    start = 0
    while True:
        data = _get_json(page_url(base_url, type_name=type_name, gemeenten=gemeenten, start=start), timeout=timeout)
        page = data.get("features") or []
        features += page
        if progress:
            print(f"  {type_name}: {len(features)} objecten/features", file=sys.stderr)
        if len(page) < PAGE_SIZE:
            break
        start += PAGE_SIZE
    if not features:
        return gpd.GeoDataFrame(geometry=[], crs=RD_NEW)
    return gpd.GeoDataFrame.from_features(features, crs=RD_NEW)


def fetch_boundaries(
    *,
    year: int,
    gemeenten: Sequence[str] = ("GM0344",),
    out: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    timeout: float = 60.0,
    progress: bool = True,
) -> Path:
    """Download buurten and wijken of ``year`` for the gemeenten into one GeoPackage (layers buurten, wijken).

    ``base_url`` may contain ``{year}``; it defaults to PDOK's CBS wijkenbuurten WFS. The file is
    written only when both layers arrived and hold the gemeenten asked for.
    """
    if not 2000 <= year <= 2100:
        raise InputError.single(
            "YEAR_INVALID",
            f"Jaar {year} is ongeldig; CBS-grenzen bestaan per jaar, bijvoorbeeld --year 2024.",
            f"Year {year} is invalid; CBS boundaries exist per year, for example --year 2024.",
            file="--year",
        )
    wanted = gemeente_codes(gemeenten)
    url = (base_url or PDOK_WFS).format(year=year)
    frames: dict[str, pd.DataFrame] = {}
    for name, type_name in LAYERS.items():
        frames[name] = fetch_layer(url, type_name=type_name, gemeenten=wanted, timeout=timeout, progress=progress)
    buurten = frames["buurten"]
    if buurten.empty:
        raise InputError.single(
            "FETCH_EMPTY",
            f"De server gaf geen buurten voor {', '.join(wanted)} in {year}. Bestaat dat jaar bij PDOK?",
            f"The server returned no buurten for {', '.join(wanted)} in {year}. Does PDOK have that year?",
            file=url,
        )
    target = Path(out) if out else Path("data") / "boundaries" / f"cbs_wijkenbuurten_{year}_{'_'.join(wanted)}.gpkg"
    layers = {name: frame for name, frame in frames.items() if not frame.empty}
    write_gpkg_atomic(layers, target)
    return target
