"""Kaart: the main page — choropleth with indicator, period, mode and class pickers, teams, legend and detail panel."""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import (
    ClientsideFunction,
    Input,
    Output,
    Patch,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
)

from dashboard import ids
from dashboard.components import (
    control_state,
    current_indicator,
    dropdown_labels,
    fieldset,
    indicator_pickers,
    keep,
    legend,
    page_view,
    picker_updates,
    route_lang,
    scheme_pickers,
    url_spec,
)
from dashboard.detail import detail_panel
from dashboard.export_ui import export_panel
from dashboard.paths import geo_url, map_style_url
from geodata.errors import InputError
from views.data import MAX_FEATURES_IN_VIEW, AtlasView
from views.figures import (
    FIRST_TEAM_TRACE,
    LABEL_TRACE,
    OUTLINE_TRACE,
    SELECTED_TRACE,
    Coloured,
    base_layout,
    choropleth_figure,
    colour_frame,
    customdata,
    hovertemplate,
    label_trace,
    outline_trace,
    ring_coords,
    team_key_list,
    team_traces,
)
from views.geometry import PolygonLayer
from views.i18n import Lang, aria, t, team_kind_label
from views.indicators import Indicator
from views.mapstyle import HIGHLIGHT, WIJK_OUTLINE
from views.protection import served_threshold
from views.state import ViewState, parse_state
from views.values import Selection, indicator_frame, resolve

dash.register_page(__name__, path="/", name="Kaart", title="Kaart · Buurtdekking", order=0)

COARSER = {"buurt": "wijk", "wijk": "gemeente"}
MAX_OUTLINES = 400  # more wijk outlines and names than this are unreadable (and heavy): outline gemeenten then
MAX_LABELS = 60  # names written on the map at once: with more areas in view, none (zoom in to read them)
MAX_BUURT_OPTIONS = 2000
MAP_CONFIG = {
    "displaylogo": False,
    "scrollZoom": True,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
}
WIJK_LAYER_KEY = "wijkgrenzen"
# The controls whose values make up the URL, in the order of the writer callback's inputs.
URL_CONTROLS = (
    (ids.MAP_INDICATOR, "indicator"),
    (ids.MAP_PERIOD, "period"),
    (ids.MAP_MODE, "mode"),
    (ids.MAP_SOORT, "soort"),
    (ids.MAP_SCHEME, "scheme"),
    (ids.MAP_CLASSES, "k"),
    (ids.MAP_LEVEL, "level"),
    (ids.MAP_BUURT, "buurt"),
)


def choropleth_patch(
    *, frame: pd.DataFrame, coloured: Coloured, ind: Indicator, level: str, lang: Lang, geojson: Any = None
) -> Patch:
    """Only what changes on an indicator switch; the geometry stays in the browser unless ``geojson`` is given.

    Built here, beside its one callback: a Patch is Dash's, and views.figures builds whole figures Dash-free.
    """
    patch = Patch()
    trace = patch["data"][0]
    if geojson is not None:
        trace["geojson"] = geojson
        trace["locations"] = frame["code"].tolist()
        trace["name"] = level
    trace["z"] = coloured.z
    trace["zmin"] = coloured.zmin
    trace["zmax"] = coloured.zmax
    trace["colorscale"] = coloured.colorscale
    trace["customdata"] = customdata(frame)
    trace["hovertemplate"] = hovertemplate(ind, level, lang)
    return patch


def _bbox(relayout: dict[str, Any] | None) -> tuple[float, float, float, float] | None:
    coords = (relayout or {}).get("map._derived", {}).get("coordinates")
    if not coords:
        return None
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    return min(lons), min(lats), max(lons), max(lats)


def choose_level(
    view: AtlasView, level: str, bbox: tuple[float, float, float, float] | None
) -> tuple[str, list[str] | None]:
    """The finest level at or above ``level`` whose features in view stay under the limit (None = all of it)."""
    current: str | None = level
    while current is not None:
        layer = view.layers.get(current)
        if layer is not None:
            if len(layer.codes) <= MAX_FEATURES_IN_VIEW:
                return current, None
            if bbox is not None:
                codes = layer.codes_in_view(bbox)
                if len(codes) <= MAX_FEATURES_IN_VIEW:
                    return current, codes
        current = COARSER.get(current)
    coarsest = "gemeente" if "gemeente" in view.layers else "wijk"
    return coarsest, None


def _geojson_for(view: AtlasView, level: str, codes: list[str] | None) -> Any:
    if codes is None:
        return geo_url(view.token, level)
    return view.layers[level].feature_collection(set(codes))


def _frame(view: AtlasView, ind: Indicator, sel: Selection, codes: list[str] | None, lang: Lang) -> pd.DataFrame:
    frame = indicator_frame(view, ind, sel, lang=lang)
    if codes is not None:
        frame = frame[frame["code"].isin(set(codes))]
    layer_codes = view.layers[sel.level].codes
    order = {c: i for i, c in enumerate(layer_codes)}
    frame = frame[frame["code"].isin(order)]
    return frame.sort_values("code", key=lambda s: s.map(order)).reset_index(drop=True)


def _lod_note(requested: str, shown: str, n: int, lang: Lang) -> str:
    if requested == shown:
        return ""
    return t("lod_note", lang, fine=t(f"level_{requested}", lang), coarse=t(f"level_{shown}", lang), n=n)


def _alt(view: AtlasView, ind: Indicator, level: str, lang: Lang) -> str:
    return t(
        "map_alt",
        lang,
        level=t(f"level_{level}", lang),
        gemeente=view.gemeente_name(),
        indicator=ind.label(lang).lower(),
    )


def _layers_options(view: AtlasView, lang: Lang) -> list[dict[str, Any]]:
    options: list[dict[str, Any]] = [{"label": t("layer_wijk_outline", lang), "value": WIJK_LAYER_KEY}]
    for key in team_key_list(view.teams):
        org, kind = key.split("|")
        options.append({"label": f"{org}: {team_kind_label(kind, lang)}", "value": key})
    return options


def _selected_geometries(view: AtlasView, buurt: str | None) -> list[dict[str, Any]]:
    if not buurt or buurt not in view.layers["buurt"].codes:
        return []
    return [f["geometry"] for f in view.layers["buurt"].feature_collection({buurt})["features"]]


def build_figure(view: AtlasView, state: ViewState, lang: Lang) -> tuple[Any, list[Any], str, dict[str, Any], str]:
    """The first figure of the page (later changes are Patches): choropleth, teams, outlines, selection."""
    ind = current_indicator(view, state.indicator)
    sel = resolve(view, ind, Selection(state.level, state.period, state.mode, state.soort))
    shown, codes = choose_level(view, sel.level, None)
    sel_shown = Selection(shown, sel.period, sel.mode, sel.soort)
    frame = _frame(view, ind, sel_shown, codes, lang)
    coloured = colour_frame(
        frame, ind, scheme=state.scheme, k=state.k, lang=lang, threshold=served_threshold(view.manifest)
    )
    layout = base_layout(center=view.center, zoom=view.zoom, style=map_style_url())
    wijken = outline_layer(view)
    keys = set(team_key_list(view.teams))
    extra = [
        outline_trace(list(wijken.geometries), name=t("wijk_outline", lang), style=WIJK_OUTLINE),
        label_trace(*wijken.labels(None, MAX_LABELS)),
        outline_trace(_selected_geometries(view, state.buurt), name="selected", style=HIGHLIGHT),
        *team_traces(view.teams, lang=lang, visible=keys),
    ]
    fig = choropleth_figure(
        geojson=_geojson_for(view, shown, codes),
        frame=frame,
        coloured=coloured,
        ind=ind,
        level=shown,
        lang=lang,
        layout=layout,
        extra_traces=extra,
    )
    lod = {"level": shown, "codes": codes is not None, "n": len(frame)}
    return (
        fig,
        legend(ind, coloured, lang, level=shown),
        _alt(view, ind, shown, lang),
        lod,
        _lod_note(sel.level, shown, len(frame), lang),
    )


def _label_patch(patch: Patch, outlines: PolygonLayer, bbox: tuple[float, float, float, float] | None) -> Patch:
    """The names of the areas now in view, for an atlas with more of them than one map can hold."""
    names, points = outlines.labels(bbox, MAX_LABELS)
    patch["data"][LABEL_TRACE]["text"] = names
    patch["data"][LABEL_TRACE]["lon"] = points[:, 0].tolist()
    patch["data"][LABEL_TRACE]["lat"] = points[:, 1].tolist()
    return patch


def outline_layer(view: AtlasView) -> PolygonLayer:
    """Outlines and names drawn over the map: the wijken, or the gemeenten when wijken are too many to read."""
    wijken = view.layers["wijk"]
    if len(wijken.codes) > MAX_OUTLINES and "gemeente" in view.layers:
        return view.layers["gemeente"]
    return wijken


def _buurt_options(view: AtlasView, *, search: str = "", selected: str = "") -> list[dict[str, str]]:
    """The buurt list; a national atlas sends only the matches of what the user typed (and the chosen one)."""
    b = (
        view.buurten[["buurtcode", "buurtnaam", "wijknaam"]]
        .fillna("")
        .astype(str)
        .sort_values(["buurtnaam", "buurtcode", "wijknaam"])
    )
    labels = b["buurtnaam"] + " (" + b["wijknaam"] + ", " + b["buurtcode"] + ")"
    if len(b) > MAX_BUURT_OPTIONS:
        # Filtered before the option dicts are made: building all of a national atlas's costs a tenth of a second.
        needle = search.strip().lower()
        hit = b["buurtcode"] == selected
        if len(needle) >= 2:
            hit |= labels.str.lower().str.contains(needle, regex=False)
        b, labels = b[hit].head(MAX_BUURT_OPTIONS // 10), labels[hit].head(MAX_BUURT_OPTIONS // 10)
    return [
        {"label": label, "value": code} for label, code in zip(labels.tolist(), b["buurtcode"].tolist(), strict=True)
    ]


def map_spec(fig: Any) -> dict[str, Any]:
    """What assets/map.js draws: the figure's data and layout, and the plotly config of the map."""
    return {**fig.to_plotly_json(), "config": MAP_CONFIG}


def layout(**query: str) -> html.Div:
    state, _problems = parse_state(query)
    lang = state.lang
    try:
        view = page_view()
    except InputError:
        return html.Div(t("atlas_missing", lang), className="notice", role="alert")
    if state.buurt and state.buurt not in set(view.buurten["buurtcode"]):
        state = state.with_(buurt="")
    fig, leg, alt, lod, lod_note = build_figure(view, state, lang)
    controls = [
        html.H2(t("controls", lang), className="panel-title"),
        *indicator_pickers(
            view,
            state,
            lang,
            ind_id=ids.MAP_INDICATOR,
            period_id=ids.MAP_PERIOD,
            mode_id=ids.MAP_MODE,
            soort_id=ids.MAP_SOORT,
            level_id=ids.MAP_LEVEL,
        ),
        *scheme_pickers(state, lang, scheme_id=ids.MAP_SCHEME, classes_id=ids.MAP_CLASSES),
        fieldset(
            t("layers", lang),
            dcc.Checklist(
                id=ids.MAP_LAYERS,
                options=_layers_options(view, lang),
                value=[o["value"] for o in _layers_options(view, lang)],
                className="checklist",
            ),
        ),
        html.P(t("teams_none", lang), className="hint") if view.teams.empty else None,
        export_panel(view, state, lang),
    ]
    return html.Div(
        className="kaart-page",
        children=[
            html.H1(t("page_kaart", lang) + " · " + view.gemeente_name(), className="visually-hidden"),
            html.Section(controls, className="panel controls-panel", **aria(label=t("controls", lang))),
            html.Div(
                className="map-column",
                children=[
                    html.Figure(
                        className="map-figure",
                        children=[
                            html.Div(id=ids.MAP_GRAPH, className="map-graph"),
                            html.Figcaption(alt, id=ids.MAP_ALT, className="visually-hidden"),
                        ],
                    ),
                    html.P(lod_note, id=ids.MAP_LOD_NOTE, className="lod-note", **aria(live="polite")),
                ],
            ),
            html.Div(
                className="side-column",
                children=[
                    html.Section(
                        leg, id=ids.MAP_LEGEND, className="panel legend", **aria(live="polite", label=t("legend", lang))
                    ),
                    html.Section(
                        className="panel buurt-panel",
                        **aria(label=t("detail_title", lang)),
                        children=[
                            html.Label(t("buurt_search", lang), htmlFor=ids.MAP_BUURT, className="field-label"),
                            dcc.Dropdown(
                                id=ids.MAP_BUURT,
                                options=_buurt_options(view, selected=state.buurt),
                                value=state.buurt or None,
                                searchable=True,
                                clearable=True,
                                placeholder=t("buurt_search_placeholder", lang),
                                className="dropdown",
                                labels=dropdown_labels(lang),
                            ),
                            html.Div(
                                detail_panel(view, state, lang),
                                id=ids.MAP_DETAIL,
                                className="detail",
                                **aria(live="polite"),
                            ),
                        ],
                    ),
                ],
            ),
            dcc.Store(id=ids.MAP_FIGURE, data=map_spec(fig)),
            dcc.Store(id=ids.MAP_CLICK),
            dcc.Store(id=ids.MAP_VIEW),
            dcc.Store(id=ids.MAP_DRAWN),
            dcc.Store(id=ids.MAP_LOD, data=lod),
            dcc.Store(id=ids.MAP_URL_SINK, data=url_spec(URL_CONTROLS)),
        ],
    )


@callback(
    Output(ids.MAP_INDICATOR, "value"),
    Output(ids.MAP_PERIOD, "options"),
    Output(ids.MAP_PERIOD, "value"),
    Output(f"{ids.MAP_PERIOD}-wrap", "hidden"),
    Output(ids.MAP_MODE, "options"),
    Output(ids.MAP_MODE, "value"),
    Output(f"{ids.MAP_MODE}-wrap", "hidden"),
    Output(ids.MAP_SOORT, "options"),
    Output(ids.MAP_SOORT, "value"),
    Output(f"{ids.MAP_SOORT}-wrap", "hidden"),
    Output(ids.MAP_SCHEME, "value"),
    Output(ids.MAP_CLASSES, "value"),
    Output(ids.MAP_LEVEL, "value"),
    Output(ids.MAP_BUURT, "value"),
    Input(ids.URL, "search"),
    Input(ids.MAP_INDICATOR, "value"),
    State(ids.MAP_PERIOD, "value"),
    State(ids.MAP_MODE, "value"),
    State(ids.MAP_SOORT, "value"),
    State(ids.MAP_SCHEME, "value"),
    State(ids.MAP_CLASSES, "value"),
    State(ids.MAP_LEVEL, "value"),
    State(ids.MAP_BUURT, "value"),
    State(ids.ROUTE, "data"),
    prevent_initial_call=True,
)
def sync_controls(
    search: str | None,
    indicator: str,
    period: str | None,
    mode: str | None,
    soort: str | None,
    scheme: str,
    k: int,
    level: str,
    buurt: str | None,
    route: Any,
) -> tuple[Any, ...]:
    """URL → controls (back/forward, a pasted link) and indicator → the pickers it needs; one owner per value."""
    view = page_view()
    lang = route_lang(route)
    if ctx.triggered_id == ids.URL:
        state, _ = parse_state(search or "")
        if state.buurt and state.buurt not in set(view.buurten["buurtcode"]):
            state = state.with_(buurt="")
    else:
        state = control_state(
            indicator=indicator,
            period=period,
            mode=mode,
            soort=soort,
            lang=lang,
            scheme=scheme,
            k=int(k),
            level=level,
            buurt=buurt or "",
        )
    return (
        *picker_updates(view, state, lang, indicator=indicator, period=period, mode=mode, soort=soort),
        keep(state.scheme, scheme),
        keep(state.k, k),
        keep(state.level, level),
        keep(state.buurt or None, buurt),
    )


@callback(
    Output(ids.MAP_FIGURE, "data"),
    Output(ids.MAP_LEGEND, "children"),
    Output(ids.MAP_ALT, "children"),
    Output(ids.MAP_LOD, "data"),
    Output(ids.MAP_LOD_NOTE, "children"),
    Input(ids.MAP_INDICATOR, "value"),
    Input(ids.MAP_PERIOD, "value"),
    Input(ids.MAP_MODE, "value"),
    Input(ids.MAP_SOORT, "value"),
    Input(ids.MAP_SCHEME, "value"),
    Input(ids.MAP_CLASSES, "value"),
    Input(ids.MAP_LEVEL, "value"),
    Input(ids.MAP_VIEW, "data"),
    State(ids.MAP_LOD, "data"),
    State(ids.ROUTE, "data"),
    prevent_initial_call=True,
)
def update_map(
    indicator: str,
    period: str | None,
    mode: str | None,
    soort: str | None,
    scheme: str,
    k: int,
    level: str,
    relayout: dict[str, Any] | None,
    lod: dict[str, Any] | None,
    route: Any,
) -> tuple[Any, ...]:
    """Values, classes and legend for the picked indicator; geometry is re-sent only when the level changes."""
    view = page_view()
    lang = route_lang(route)
    ind = current_indicator(view, indicator)
    asked = control_state(indicator=indicator, period=period, mode=mode, soort=soort, lang=lang)
    sel = resolve(view, ind, Selection(level, asked.period, asked.mode, asked.soort))
    bbox = _bbox(relayout)
    shown, codes = choose_level(view, sel.level, bbox)
    new_lod = {"level": shown, "codes": codes is not None, "n": 0}
    geometry_changes = lod is None or lod.get("level") != shown or codes is not None or lod.get("codes")
    moved = ctx.triggered_id == ids.MAP_VIEW  # a pan or zoom
    outlines = outline_layer(view)
    relabel = moved and len(outlines.codes) > MAX_LABELS
    if moved and not geometry_changes:
        return (
            (_label_patch(Patch(), outlines, bbox) if relabel else no_update),
            no_update,
            no_update,
            no_update,
            no_update,
        )
    frame = _frame(view, ind, Selection(shown, sel.period, sel.mode, sel.soort), codes, lang)
    new_lod["n"] = len(frame)
    coloured = colour_frame(frame, ind, scheme=scheme, k=int(k), lang=lang, threshold=served_threshold(view.manifest))
    patch = choropleth_patch(
        frame=frame,
        coloured=coloured,
        ind=ind,
        level=shown,
        lang=lang,
        geojson=_geojson_for(view, shown, codes) if geometry_changes else None,
    )
    if relabel:
        _label_patch(patch, outlines, bbox)
    return (
        patch,
        legend(ind, coloured, lang, level=shown),
        _alt(view, ind, shown, lang),
        new_lod,
        _lod_note(sel.level, shown, len(frame), lang),
    )


@callback(
    Output(ids.MAP_FIGURE, "data", allow_duplicate=True),
    Input(ids.MAP_LAYERS, "value"),
    prevent_initial_call=True,
)
def toggle_layers(visible: list[str]) -> Patch:
    """Team markers per organisation and kind, and the wijk outlines, switched on and off."""
    view = page_view()
    shown = set(visible or [])
    patch = Patch()
    patch["data"][OUTLINE_TRACE]["visible"] = WIJK_LAYER_KEY in shown
    patch["data"][LABEL_TRACE]["visible"] = WIJK_LAYER_KEY in shown
    for i, trace in enumerate(team_traces(view.teams, lang="nl", visible=set()), start=FIRST_TEAM_TRACE):
        key = str(trace.meta)
        patch["data"][i]["visible"] = key in shown
    return patch


@callback(
    Output(ids.MAP_BUURT, "options"),
    Input(ids.MAP_BUURT, "search_value"),
    State(ids.MAP_BUURT, "value"),
    prevent_initial_call=True,
)
def search_buurten(search: str | None, selected: str | None) -> Any:
    """Only for an atlas with more buurten than a list can hold: the options matching what was typed."""
    view = page_view()
    if len(view.buurten) <= MAX_BUURT_OPTIONS:
        return no_update
    return _buurt_options(view, search=search or "", selected=selected or "")


clientside_callback(
    ClientsideFunction("buurtdekking", "drawMap"),
    Output(ids.MAP_DRAWN, "data"),
    Input(ids.MAP_FIGURE, "data"),
    State(ids.MAP_GRAPH, "id"),
)


clientside_callback(
    ClientsideFunction("buurtdekking", "clickToBuurt"),
    Output(ids.MAP_BUURT, "value", allow_duplicate=True),
    Input(ids.MAP_CLICK, "data"),
    prevent_initial_call=True,
)


@callback(
    Output(ids.MAP_DETAIL, "children"),
    Output(ids.MAP_FIGURE, "data", allow_duplicate=True),
    Input(ids.MAP_BUURT, "value"),
    Input(ids.MAP_INDICATOR, "value"),
    Input(ids.MAP_PERIOD, "value"),
    Input(ids.MAP_MODE, "value"),
    Input(ids.MAP_SOORT, "value"),
    State(ids.ROUTE, "data"),
    prevent_initial_call=True,
)
def show_detail(
    buurt: str | None, indicator: str, period: str | None, mode: str | None, soort: str | None, route: Any
) -> tuple[Any, Any]:
    """The detail panel of the chosen buurt, and its outline highlighted on the map."""
    view = page_view()
    state = control_state(
        indicator=indicator, period=period, mode=mode, soort=soort, lang=route_lang(route), buurt=buurt or ""
    )
    patch = Patch()
    lons, lats = ring_coords(_selected_geometries(view, buurt))
    patch["data"][SELECTED_TRACE]["lon"] = lons
    patch["data"][SELECTED_TRACE]["lat"] = lats
    return detail_panel(view, state, state.lang), patch


clientside_callback(
    ClientsideFunction("buurtdekking", "writeUrl"),
    Output(ids.MAP_URL_SINK, "data"),
    *[Input(cid, "value") for cid, _ in URL_CONTROLS],
    State(ids.MAP_URL_SINK, "data"),
    prevent_initial_call=True,
)
