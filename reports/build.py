"""A view (indicator, period, mode, area …) → an export Snapshot: the dashboard's protected values, colours and legend.

The same functions that fill the map and the table fill the export, so a PDF shows what the screen shows.
Used by the export buttons (dashboard/export_ui.py) and by ``buurtdekking export`` (cli/main.py).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from etl.numbers import format_count
from etl.palette import NO_DATA_COLOUR
from etl.sensitive import MISSING, OK, SUPPRESSED
from geodata.crs import RD_NEW, WGS84
from geodata.errors import InputError, Problem, raise_if_any
from geodata.network import MODE_NL
from reports.snapshot import QUALITY_COLUMN, UNIT_COLUMNS, Snapshot
from views.data import AtlasView
from views.figures import colour_frame, quality_notes
from views.i18n import Lang, t
from views.indicators import BY_KEY, MODES, Indicator
from views.protection import served_threshold
from views.state import ViewState
from views.values import (
    Selection,
    available,
    indicator_frame,
    is_available,
    periods_for,
    resolve,
)

AREA_PATTERN = re.compile(r"^(GM\d{4}|WK\d{6}|BU\d{8})$")
LEVEL_OF_PREFIX = {"GM": "gemeente", "WK": "wijk", "BU": "buurt"}
PROTECTION_NOTE = (
    "Aantallen van 1 tot en met {t1} jeugdigen worden als <{t} getoond, nooit als getal; een cijfer per 1.000 "
    "dat op zo'n aantal berust ook. Waar een wijktotaal een beschermd buurtaantal zou verraden, is ook een "
    "tweede buurt afgeschermd (•). De ruwe aantallen blijven op de server."
)


def _bad_area(area: str, nl: str, en: str) -> InputError:
    return InputError.single(
        "EXPORT_AREA", f"Gebied '{area}': {nl}", f"Area '{area}': {en}", file="--area", column="area"
    )


def normalise_area(area: str, view: AtlasView) -> tuple[str, str]:
    """(code, level) for GM…/WK…/BU… codes that exist in this atlas; anything else is an InputError."""
    code = (area or "").strip().upper().replace(" ", "")
    if not AREA_PATTERN.match(code):
        raise _bad_area(
            area,
            "geef een gemeente-, wijk- of buurtcode, bv. GM0344, WK034401 of BU03440101.",
            "give a gemeente, wijk or buurt code, e.g. GM0344, WK034401 or BU03440101.",
        )
    level = LEVEL_OF_PREFIX[code[:2]]
    column = {"gemeente": "gemeentecode", "wijk": "wijkcode", "buurt": "buurtcode"}[level]
    if code not in set(view.buurten[column].astype(str)):
        raise _bad_area(
            area,
            f"bestaat niet in deze atlas (grenzen {view.manifest.get('cbs_year', '?')}).",
            f"does not exist in this atlas (boundaries {view.manifest.get('cbs_year', '?')}).",
        )
    return code, level


def _bad_indicator(key: str, view: AtlasView, level: str = "buurt") -> InputError:
    if level != "buurt" and key in {ind.key for ind in available(view)}:
        keys = ", ".join(ind.key for ind in available(view, level=level))
        return InputError.single(
            "EXPORT_LEVEL",
            f"Indicator '{key}' bestaat alleen per buurt; kies --level buurt, of op wijkniveau: {keys}.",
            f"Indicator '{key}' exists per buurt only; choose --level buurt, or at wijk level: {keys}.",
            file="--level",
            column="level",
        )
    keys = ", ".join(ind.key for ind in available(view))
    return InputError.single(
        "EXPORT_INDICATOR",
        f"Indicator '{key}' bestaat niet in deze atlas; kies uit: {keys}.",
        f"Indicator '{key}' is not in this atlas; choose from: {keys}.",
        file="--indicator",
        column="indicator",
    )


def _area_name(view: AtlasView, code: str, level: str) -> str:
    column = {
        "gemeente": ("gemeentecode", "gemeentenaam"),
        "wijk": ("wijkcode", "wijknaam"),
        "buurt": ("buurtcode", "buurtnaam"),
    }[level]
    names = view.buurten.loc[view.buurten[column[0]].astype(str) == code, column[1]].dropna().astype(str)
    return names.iloc[0] if len(names) else code


def _gemeente(view: AtlasView, code: str, level: str) -> tuple[str, str]:
    """(gemeentecode, gemeentenaam) of the area from the boundaries; the name is empty where the file has none."""
    column = {"gemeente": "gemeentecode", "wijk": "wijkcode", "buurt": "buurtcode"}[level]
    first = view.buurten.loc[view.buurten[column].astype(str) == code].iloc[0]
    name = first.get("gemeentenaam")
    return str(first["gemeentecode"]), str(name) if isinstance(name, str) else ""


def _units(view: AtlasView, frame: pd.DataFrame, *, level: str, area: str, area_level: str) -> gpd.GeoDataFrame:
    """The rows of ``frame`` inside the area, with their RD New geometry."""
    buurten = view.buurten
    if area_level == "gemeente":
        inside = buurten["gemeentecode"].astype(str) == area
    elif area_level == "wijk":
        inside = buurten["wijkcode"].astype(str) == area
    else:  # a buurt is shown among the buurten of its wijk, itself outlined
        wijk = buurten.loc[buurten["buurtcode"].astype(str) == area, "wijkcode"].astype(str).iloc[0]
        inside = buurten["wijkcode"].astype(str) == wijk
    if level == "buurt":
        geo = buurten.loc[inside, ["buurtcode", "geometry"]].rename(columns={"buurtcode": "code"})
    else:
        wijkcodes = set(buurten.loc[inside, "wijkcode"].astype(str))
        wijken = view.wijken
        geo = wijken.loc[wijken["wijkcode"].astype(str).isin(wijkcodes), ["wijkcode", "geometry"]].rename(
            columns={"wijkcode": "code"}
        )
    geo = geo.assign(code=geo["code"].astype(str))
    merged = geo.merge(frame, on="code", how="left")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=view.buurten.crs).to_crs(RD_NEW)


def _teams(view: AtlasView, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    teams = view.teams
    if teams is None or teams.empty or not {"lon", "lat"} <= set(teams.columns):
        return None
    points = gpd.GeoDataFrame(
        teams.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(teams["lon"], teams["lat"]), crs=WGS84
    ).to_crs(RD_NEW)
    minx, miny, maxx, maxy = units.total_bounds
    pad = max(maxx - minx, maxy - miny) * 0.05
    inside = points.geometry.x.between(minx - pad, maxx + pad) & points.geometry.y.between(miny - pad, maxy + pad)
    return points[inside].reset_index(drop=True)


def _context(view: AtlasView, units: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame | None:
    if level != "buurt":
        return None
    wijkcodes = set(units["wijkcode"].dropna().astype(str)) if "wijkcode" in units else set()
    wijken = view.wijken[view.wijken["wijkcode"].astype(str).isin(wijkcodes)]
    return gpd.GeoDataFrame(
        {"code": wijken["wijkcode"].astype(str), "naam": wijken["wijknaam"].astype(str)},
        geometry=wijken.geometry.to_numpy(),
        crs=wijken.crs,
    ).to_crs(RD_NEW)


def _area_value(view: AtlasView, ind: Indicator, sel: Selection, *, code: str, level: str, lang: Lang) -> str:
    frame = indicator_frame(view, ind, Selection(level, sel.period, sel.mode, sel.soort), lang=lang)
    row = frame[frame["code"] == code]
    return str(row["display"].iloc[0]) if len(row) else t("no_data", lang)


def _key_figures(
    view: AtlasView,
    ind: Indicator,
    sel: Selection,
    units: gpd.GeoDataFrame,
    *,
    area: str,
    area_level: str,
    lang: Lang,
    threshold: int,
) -> tuple[tuple[str, str], ...]:
    rows: list[tuple[str, str]] = []
    name = _area_name(view, area, area_level)
    rows.append((f"{ind.label(lang)}, {name}", _area_value(view, ind, sel, code=area, level=area_level, lang=lang)))
    chain = {"buurt": ["wijk", "gemeente"], "wijk": ["gemeente"], "gemeente": []}[area_level]
    first = view.buurten[
        view.buurten[f"{area_level}code" if area_level != "gemeente" else "gemeentecode"].astype(str) == area
    ].iloc[0]
    for parent in chain:
        pcode = str(first[f"{parent}code"])
        rows.append(
            (
                f"Ter vergelijking: {_area_name(view, pcode, parent)}",
                _area_value(view, ind, sel, code=pcode, level=parent, lang=lang),
            )
        )
    status = units["status"]
    noun = "buurten" if sel.level == "buurt" else "wijken"
    # Numbers of areas carry their noun: a bare 1–4 in an export must only ever be a (forbidden) count of children.
    rows.append(("Eenheden in beeld", f"{len(units)} {noun}"))
    if (status == SUPPRESSED).any():
        rows.append((f"Waarvan beschermd (<{threshold} of •)", f"{int((status == SUPPRESSED).sum())} {noun}"))
    if (status == MISSING).any():
        rows.append(("Waarvan zonder gegevens", f"{int((status == MISSING).sum())} {noun}"))
    in_area = view.buurten[
        view.buurten[{"gemeente": "gemeentecode", "wijk": "wijkcode", "buurt": "buurtcode"}[area_level]].astype(str)
        == area
    ]
    if "youth_population" in in_area and ind.key != "youth_population":
        youth = pd.to_numeric(in_area["youth_population"], errors="coerce").sum(min_count=1)
        if pd.notna(youth):
            rows.append(("Jeugdigen 0–17 (schatting, CBS)", format_count(float(youth))))
    if "provider" in in_area and in_area["provider"].notna().any():
        rows.append(
            ("Aanbieder(s) specialistische jeugdhulp", ", ".join(sorted(set(in_area["provider"].dropna().astype(str)))))
        )
    return tuple(rows)


def _lineage(view: AtlasView, session_meta: dict[str, dict[str, Any]] | None) -> tuple[tuple[str, str], ...]:
    m = view.manifest
    rows = [("atlas", f"sha256 {str(m.get('atlas_sha256', ''))[:16]}, gebouwd {str(m.get('created', ''))[:19]}")]
    for rec in m.get("inputs", []) or []:
        if isinstance(rec, dict):
            rows.append(
                (str(rec.get("kind", "invoer")), f"{rec.get('name', '')} (sha256 {str(rec.get('sha256', ''))[:16]})")
            )
    version = (m.get("packages") or {}).get("buurtdekking")
    if version:
        rows.append(("buurtdekking", str(version)))
    for slot, meta in sorted((session_meta or {}).items()):
        if slot.startswith("applied-"):
            rows.append(
                (
                    f"eigen upload ({meta.get('kind', slot)})",
                    f"{meta.get('name', '')} (sha256 {str(meta.get('sha256', ''))[:16]}, {meta.get('applied_at', '')}); alleen in deze sessie",
                )
            )
    return tuple(rows)


def _method(view: AtlasView, ind: Indicator, lang: Lang, threshold: int) -> str:
    note = ind.note(lang, threshold=threshold)
    parts = [note] if note else []
    methods = view.manifest.get("methods") or {}
    if ind.key in ("youth_population", "caseload_rate") and isinstance(methods.get("youth_population"), dict):
        desc = methods["youth_population"].get("description")
        if desc:
            parts.append(f"Jeugdigen 0–17: {desc}")
    parts.append("Waarden per eenheid zoals in het dashboard; kaart in RD New (EPSG:28992), schaalstok in meters.")
    return " ".join(parts)


def build_snapshot(
    view: AtlasView,
    state: ViewState,
    *,
    area: str,
    permalink: str = "",
    session_meta: dict[str, dict[str, Any]] | None = None,
    created: dt.datetime | None = None,
    threshold: int | None = None,
) -> Snapshot:
    """The Snapshot of ``state`` for ``area`` (GM…, WK… or BU…), protected exactly as the dashboard shows it.

    ``threshold`` defaults to the one the atlas was protected with (``protection.served_threshold``): the labels
    say ``<threshold`` and the writers' last guard refuses any count below it.
    """
    threshold = served_threshold(view.manifest) if threshold is None else int(threshold)
    problems: list[Problem] = []
    ind = BY_KEY.get(state.indicator)
    if ind is None or not is_available(view, ind, level=state.level):
        problems += _bad_indicator(state.indicator, view, state.level).problems
    try:
        code, area_level = normalise_area(area, view)
    except InputError as exc:
        problems += exc.problems
    raise_if_any(problems)
    assert ind is not None
    lang: Lang = state.lang
    level = "wijk" if state.level == "wijk" and area_level != "buurt" else "buurt"
    sel = resolve(
        view, ind, Selection(level, state.period, state.mode if state.mode in MODES else MODES[0], state.soort)
    )
    if state.period and sel.period != state.period:
        periods = ", ".join(periods_for(view, ind)) or "–"
        raise InputError.single(
            "EXPORT_PERIOD",
            f"Periode '{state.period}' bestaat niet voor deze indicator; kies uit: {periods}.",
            f"Period '{state.period}' does not exist for this indicator; choose from: {periods}.",
            file="--period",
            column="period",
        )
    frame = indicator_frame(view, ind, sel, lang=lang)
    coloured = colour_frame(frame, ind, scheme=state.scheme, k=state.k, lang=lang, threshold=threshold)
    scale = coloured.colorscale
    frame = frame.assign(kleur=[str(scale[2 * (z + 2)][1]) for z in coloured.z])
    values = pd.to_numeric(frame["value"], errors="coerce") if ind.kind == "number" else frame["value"]
    frame = frame.assign(
        waarde=(values * ind.scale) if ind.kind == "number" else values,
        weergave=frame["display"],
        naam=frame["name"],
    )
    if "quality_text" in frame:  # a travel figure: how sure each value is, beside it in every export
        frame = frame.assign(**{QUALITY_COLUMN: frame["quality_text"]})
    keep = [*UNIT_COLUMNS] + [c for c in ("wijkcode", "wijknaam", QUALITY_COLUMN, "quality") if c in frame]
    units = _units(view, frame[keep], level=level, area=code, area_level=area_level)
    units["status"] = units["status"].fillna(MISSING)
    units["kleur"] = units["kleur"].fillna(coloured.entries[-1].colour if coloured.entries else NO_DATA_COLOUR)
    present = set(units["status"])
    legend = tuple(
        e
        for e in coloured.entries
        if not (
            (e.label == t("suppressed_legend", lang, threshold=threshold) and SUPPRESSED not in present)
            or (e.label == t("no_data", lang) and MISSING not in present)
        )
    )
    params: list[tuple[str, str]] = []
    if sel.period:
        params.append(("Periode", sel.period))
    if ind.has_modes:
        params.append(("Vervoerswijze", MODE_NL.get(sel.mode, sel.mode)))
    if ind.source != "units":
        params.append(("Soort zorg", sel.soort))
    params.append(("Niveau", "buurten" if level == "buurt" else "wijken"))
    if ind.protected:
        params.append(("Drempel bescherming", f"<{threshold}"))
    created = created or dt.datetime.now(dt.UTC)
    m = view.manifest
    gemeente_code, gemeente_name = _gemeente(view, code, area_level)
    return Snapshot(
        area_code=code,
        area_name=_area_name(view, code, area_level),
        area_level=area_level,  # type: ignore[arg-type]
        unit_level=level,  # type: ignore[arg-type]
        indicator_key=ind.key if not ind.has_modes else f"{ind.key}_{sel.mode}",
        indicator_label=ind.label(lang) + (f" ({dict(params).get('Vervoerswijze')})" if ind.has_modes else ""),
        indicator_unit=ind.unit(lang),
        kind=ind.kind,
        decimals=ind.decimals,
        protection=ind.protection,
        units=units,
        legend=legend,
        legend_title=coloured.scheme_text,
        context=_context(view, units, level),
        teams=_teams(view, units),
        highlight=code if area_level == "buurt" and level == "buurt" else "",
        key_figures=_key_figures(
            view, ind, sel, units, area=code, area_level=area_level, lang=lang, threshold=threshold
        ),
        method=_method(view, ind, lang, threshold),
        parameters=tuple(params),
        boundary_year=str(m.get("cbs_year", "")),
        gemeente_code=gemeente_code,
        gemeente_name=gemeente_name,
        data_date=f"atlas gebouwd {str(m.get('created', ''))[:10]}" + (f", periode {sel.period}" if sel.period else ""),
        protection_note=PROTECTION_NOTE.format(t=threshold, t1=threshold - 1) if ind.protected else "",
        permalink=permalink,
        is_demo=view.is_demo(),
        lineage=_lineage(view, session_meta),
        created=created,
        threshold=threshold,
        quality_notes=_quality_notes(units, lang),
    )


def _quality_notes(units: gpd.GeoDataFrame, lang: Lang) -> tuple[str, ...]:
    """The legend's words on how sure the figures of the units in view are (the same as on the map page)."""
    if "quality" not in units:
        return ()

    return quality_notes(pd.DataFrame({"status": units["status"], "quality": units["quality"]}), lang)


def status_counts(snapshot: Snapshot) -> dict[str, int]:
    """How many units are shown, protected and missing (for logs and tests)."""
    s = snapshot.units["status"]
    return {k: int((s == k).sum()) for k in (OK, SUPPRESSED, MISSING)} | {"n": int(np.int64(len(s)))}
