"""Bronnen en methode: data sources with attribution (CBS CC BY 4.0), demo data marked fictitious, methods from the manifest."""

from __future__ import annotations

import json
from typing import Any

import dash
from dash import html

from dashboard.paths import atlas_dir, atlas_view
from etl.numbers import format_metres
from etl.store import open_store
from geodata.errors import InputError
from views.i18n import Lang, t
from views.indicators import MODES
from views.protection import served_threshold
from views.state import parse_state
from views.values import available, quality_text

dash.register_page(__name__, path="/bronnen", name="Bronnen", title="Bronnen · Buurtdekking", order=3)


def _value(v: Any) -> str:
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False, indent=1)
    return str(v)


def _methods(manifest: dict[str, Any]) -> list[Any]:
    """Every method entry of the manifest as a definition list (what the build actually did)."""
    out: list[Any] = []
    for name, method in sorted((manifest.get("methods") or {}).items()):
        rows: list[Any] = []
        if isinstance(method, dict):
            for k, v in method.items():
                rows += [html.Dt(str(k)), html.Dd(html.Pre(_value(v)) if isinstance(v, dict | list) else _value(v))]
        else:
            rows += [html.Dt(name), html.Dd(_value(method))]
        out += [html.H3(name), html.Dl(rows, className="method-list")]
    return out


def _travel_quality(manifest: dict[str, Any], lang: Lang) -> list[Any]:
    """How sure the travel times are: the method per mode, the build's notes (fallbacks, far snaps naming the
    buurten and teams) and how many buurten have each quality (etl.quality)."""
    travel = (manifest.get("methods") or {}).get("travel")
    if not isinstance(travel, dict):
        return []
    per_mode = travel.get("method_per_mode") or {}
    methods = ", ".join(
        f"{t('mode_' + m, lang)}: {t('method_' + str(v), lang)}" for m, v in per_mode.items() if m in MODES
    )
    notes = [str(n) for n in travel.get("notes") or []]
    counts = ((travel.get("quality") or {}).get("buurten_per_mode")) or {}
    count_items = [
        html.Li(
            t(
                "sources_travel_counts",
                lang,
                mode=t("mode_" + m, lang),
                counts="; ".join(f"{quality_text(k, lang)}: {v}" for k, v in c.items()),
            )
        )
        for m, c in counts.items()
        if m in MODES
    ]
    far = travel.get("far_snaps") or {}
    far_lists = [
        html.Details(
            [
                html.Summary(
                    t(
                        "sources_far_snaps",
                        lang,
                        mode=t("mode_" + m, lang),
                        n=len(found.get("buurten", [])),
                        teams=len(found.get("teams", [])),
                    )
                ),
                html.Ul(
                    [
                        html.Li(f"{b['buurtcode']} {b['buurtnaam']}: {format_metres(b['leg_m'], lang=lang)}")
                        for b in found.get("buurten", [])
                    ]
                    + [
                        html.Li(f"{t('team', lang)} {x['team_id']} {x['naam']}: {format_metres(x['leg_m'], lang=lang)}")
                        for x in found.get("teams", [])
                    ]
                ),
            ],
            className="far-snaps",
        )
        for m, found in far.items()
        if m in MODES
    ]
    return [
        html.Section(
            [
                html.H2(t("sources_travel_quality", lang)),
                html.P(t("sources_travel_methods", lang, methods=methods)) if methods else None,
                html.Ul([html.Li(_one_language(n, lang)) for n in notes], className="travel-notes")
                if notes
                else html.P(t("sources_travel_none", lang)),
                *far_lists,
                html.Ul(count_items) if count_items else None,
            ],
            id="bronnen-reistijd",
        )
    ]


def _store_atlases(lang: Lang) -> list[Any]:
    """What the atlas store holds (a database may hold one atlas per gemeente or year), the shown one marked."""
    store = open_store(atlas_dir())
    try:
        held = store.list_atlases()
    except InputError:
        return []
    items = [
        html.Li(
            t(
                "sources_store_item",
                lang,
                name=info.name,
                gemeenten=", ".join(info.gemeenten) or "-",
                year=info.cbs_year or t("sources_unknown", lang),
                created=info.created or "-",
            )
            + (t("sources_store_shown", lang) if info.location == store.location else "")
        )
        for info in held
    ]
    return [html.H2(t("sources_store", lang)), html.Ul(items, id="bronnen-atlassen")] if items else []


def _one_language(note: str, lang: Lang) -> str:
    """A build note 'Dutch / English' in the page's language (the whole note when it has no such split)."""
    parts = note.split(" / ")
    if len(parts) == 2:
        return parts[0] if lang == "nl" else parts[1]
    return note


def layout(**query: str) -> html.Div:
    state, _ = parse_state(query)
    lang: Lang = state.lang
    try:
        view = atlas_view()
    except InputError:
        return html.Div(t("atlas_missing", lang), className="notice", role="alert")
    m = view.manifest
    threshold = served_threshold(m)
    inputs = [
        html.Li(f"{i.get('kind')}: {i.get('name')} (sha256 {str(i.get('sha256', ''))[:12]}…)")
        for i in m.get("inputs", [])
    ]
    indicators = [
        html.Li(
            [
                html.Strong(ind.label(lang)),
                f" — {ind.note(lang, threshold=threshold)}" if ind.note(lang, threshold=threshold) else "",
            ]
        )
        for ind in available(view)
    ]
    cbs_year = m.get("cbs_year") or t("sources_unknown", lang)
    built = (
        t("sources_build", lang, created=m["created"], seconds=m["build_seconds"], year=cbs_year)
        if m.get("created") and m.get("build_seconds") is not None
        else t("sources_build_unknown", lang)
    )
    packages = ", ".join(f"{k} {v}" for k, v in sorted((m.get("packages") or {}).items()))
    return html.Div(
        className="prose",
        children=[
            html.H1(t("sources_title", lang)),
            html.P(t("sources_cbs", lang, year=cbs_year)),
            html.P(t("sources_demo", lang), className="demo-banner"),
            html.P(t("sources_protection", lang, threshold=threshold, below=threshold - 1)),
            html.P(built),
            html.H2(t("sources_inputs", lang)),
            html.Ul(inputs),
            html.H2(t("sources_indicators", lang)),
            html.Ul(indicators),
            html.P(t("sources_classes", lang)),
            *_travel_quality(m, lang),
            html.H2(t("sources_methods", lang)),
            *_methods(m),
            *_store_atlases(lang),
            html.H2(t("sources_software", lang)),
            html.P(packages, className="hint"),
        ],
    )
