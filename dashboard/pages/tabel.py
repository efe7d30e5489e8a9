"""Tabel: the map's values as an accessible, sortable, filterable HTML table (the text alternative of the map)."""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.dcc.express import send_bytes

from dashboard import ids
from dashboard.components import (
    control_state,
    current_indicator,
    indicator_pickers,
    keep,
    page_view,
    picker_updates,
    route_lang,
    url_spec,
)
from dashboard.export_ui import AREA, export_file, export_panel
from dashboard.public_url import base_url
from dashboard.session import current_sid, current_store
from etl.sensitive import OK
from geodata.errors import InputError
from views.data import AtlasView
from views.i18n import Lang, aria, t
from views.protection import served_threshold
from views.state import LEVELS, ViewState, parse_state
from views.values import Selection, indicator_frame, resolve

dash.register_page(__name__, path="/tabel", name="Tabel", title="Tabel · Buurtdekking", order=1)

MAX_ROWS = 500  # a national table is filtered before it is shown; the CSV download has every row
URL_CONTROLS = (
    (ids.TABLE_INDICATOR, "indicator"),
    (ids.TABLE_PERIOD, "period"),
    (ids.TABLE_MODE, "mode"),
    (ids.TABLE_SOORT, "soort"),
    (ids.TABLE_LEVEL, "level"),
)
COLUMNS = ("name", "code", "wijk", "value", "quality")


def table_frame(view: AtlasView, state: ViewState, *, query: str, sort: dict[str, str]) -> tuple[pd.DataFrame, str]:
    """Protected rows, filtered and sorted; protected and missing values always sort last (order reveals nothing)."""
    ind = current_indicator(view, state.indicator)
    sel = resolve(view, ind, Selection(state.level, state.period, state.mode, state.soort))
    frame = indicator_frame(view, ind, sel, lang=state.lang)
    if "wijknaam" not in frame:
        frame["wijknaam"] = ""
    if "quality_text" not in frame:
        frame["quality_text"] = ""
    q = (query or "").strip().lower()
    if q:
        hay = frame["name"].str.lower() + " " + frame["code"].str.lower() + " " + frame["wijknaam"].str.lower()
        frame = frame[hay.str.contains(q, regex=False)]
    column = sort.get("column", "name")
    ascending = sort.get("direction", "ascending") == "ascending"
    if column == "value":
        known = frame[frame["status"] == OK]
        rest = frame[frame["status"] != OK]
        key = known["value"].astype(str) if ind.kind == "category" else known["value"].astype(float)
        frame = pd.concat([known.iloc[key.argsort(kind="stable")[:: 1 if ascending else -1]], rest])
    else:
        src = {"name": "name", "code": "code", "wijk": "wijknaam", "quality": "quality_text"}[column]
        frame = frame.sort_values(src, ascending=ascending, kind="stable", key=lambda s: s.str.lower())
    return frame.reset_index(drop=True), ind.label(state.lang)


def _header(col: str, label: str, sort: dict[str, str], lang: Lang) -> html.Th:
    active = sort.get("column", "name") == col
    direction = sort.get("direction", "ascending") if active else "none"
    arrow = {"ascending": " ▲", "descending": " ▼"}.get(direction, "")
    extra = aria(sort=direction) if active else {}
    return html.Th(
        html.Button(
            [label, html.Span(arrow, **aria(hidden="true"))],
            id={"type": "tabel-sort", "column": col},
            className="sort-button",
            title=t("sort_by", lang, col=label),
            n_clicks=0,
        ),
        scope="col",
        className="num" if col == "value" else None,
        **extra,
    )


def render_table(view: AtlasView, state: ViewState, *, query: str, sort: dict[str, str]) -> html.Table:
    lang = state.lang
    frame, label = table_frame(view, state, query=query, sort=sort)
    level_word = t("buurt" if state.level == "buurt" else "wijk", lang).lower()
    labels = {
        "name": t("name", lang),
        "code": t("code", lang),
        "wijk": t("wijk", lang),
        "value": label,
        "quality": t("quality_header", lang),
    }
    # a travel figure says how sure it is in a column of its own, beside the minutes
    has_quality = bool(frame["quality_text"].astype(str).str.len().gt(0).any())
    cols = [c for c in COLUMNS if (c != "wijk" or state.level == "buurt") and (c != "quality" or has_quality)]
    shown = frame.head(MAX_ROWS)
    body = [
        html.Tr(
            [
                html.Th(r["name"], scope="row"),
                html.Td(r["code"]),
                *([html.Td(r["wijknaam"])] if state.level == "buurt" else []),
                html.Td(r["display"], className="num"),
                *([html.Td(r["quality_text"], className="quality")] if has_quality else []),
            ]
        )
        for _, r in shown.iterrows()
    ]
    return html.Table(
        [
            html.Caption(
                t("table_caption", lang, indicator=label, level=level_word, n=len(frame)), id=ids.TABLE_CAPTION
            ),
            html.Thead(html.Tr([_header(c, labels[c], sort, lang) for c in cols])),
            html.Tbody(body),
        ],
        className="data-table",
    )


def layout(**query: str) -> html.Div:
    state, _ = parse_state(query)
    lang = state.lang
    try:
        view = page_view()
    except InputError:
        return html.Div(t("atlas_missing", lang), className="notice", role="alert")
    sort = {"column": "name", "direction": "ascending"}
    return html.Div(
        className="tabel-page",
        children=[
            html.H1(t("table_title", lang)),
            html.P(t("table_intro", lang)),
            html.Div(
                indicator_pickers(
                    view,
                    state,
                    lang,
                    ind_id=ids.TABLE_INDICATOR,
                    period_id=ids.TABLE_PERIOD,
                    mode_id=ids.TABLE_MODE,
                    soort_id=ids.TABLE_SOORT,
                    level_id=ids.TABLE_LEVEL,
                ),
                className="controls-row",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label(t("table_filter", lang), htmlFor=ids.TABLE_FILTER, className="field-label"),
                            dcc.Input(
                                id=ids.TABLE_FILTER,
                                type="search",
                                debounce=0.3,
                                className="text-input",
                                autoComplete="off",
                            ),
                        ],
                        className="field",
                    ),
                    html.Button(
                        t("download_csv", lang),
                        id=ids.TABLE_DOWNLOAD_BUTTON,
                        className="button secondary",
                        n_clicks=0,
                        title=t("download_csv_title", lang),
                    ),
                ],
                className="controls-row",
            ),
            html.Div(id=ids.TABLE_DOWNLOAD_MESSAGE, **aria(live="assertive")),
            html.P(t("table_protected_note", lang, threshold=served_threshold(view.manifest)), className="hint"),
            export_panel(view, state, lang),
            html.Div(render_table(view, state, query="", sort=sort), id=ids.TABLE_BODY, **aria(live="polite")),
            dcc.Store(id=ids.TABLE_SORT, data=sort),
            dcc.Store(id=ids.TABLE_URL_SINK, data=url_spec(URL_CONTROLS)),
            dcc.Download(id=ids.TABLE_DOWNLOAD),
        ],
    )


def _state(
    indicator: str, period: str | None, mode: str | None, soort: str | None, level: str, lang: Lang
) -> ViewState:
    return control_state(indicator=indicator, period=period, mode=mode, soort=soort, lang=lang, level=level)


@callback(
    Output(ids.TABLE_INDICATOR, "value"),
    Output(ids.TABLE_PERIOD, "options"),
    Output(ids.TABLE_PERIOD, "value"),
    Output(f"{ids.TABLE_PERIOD}-wrap", "hidden"),
    Output(ids.TABLE_MODE, "options"),
    Output(ids.TABLE_MODE, "value"),
    Output(f"{ids.TABLE_MODE}-wrap", "hidden"),
    Output(ids.TABLE_SOORT, "options"),
    Output(ids.TABLE_SOORT, "value"),
    Output(f"{ids.TABLE_SOORT}-wrap", "hidden"),
    Output(ids.TABLE_LEVEL, "value"),
    Input(ids.URL, "search"),
    Input(ids.TABLE_INDICATOR, "value"),
    State(ids.TABLE_PERIOD, "value"),
    State(ids.TABLE_MODE, "value"),
    State(ids.TABLE_SOORT, "value"),
    State(ids.TABLE_LEVEL, "value"),
    State(ids.ROUTE, "data"),
    prevent_initial_call=True,
)
def sync_controls(
    search: str | None, indicator: str, period: str | None, mode: str | None, soort: str | None, level: str, route: Any
) -> tuple[Any, ...]:
    """URL → controls (back/forward) and indicator → the pickers it needs."""
    view = page_view()
    lang = route_lang(route)
    if ctx.triggered_id == ids.URL:
        state, _ = parse_state(search or "")
    else:
        state = _state(indicator, period, mode, soort, level, lang)
    return (
        *picker_updates(view, state, lang, indicator=indicator, period=period, mode=mode, soort=soort),
        keep(state.level, level),
    )


@callback(
    Output(ids.TABLE_BODY, "children"),
    Output(ids.TABLE_SORT, "data"),
    Input(ids.TABLE_INDICATOR, "value"),
    Input(ids.TABLE_PERIOD, "value"),
    Input(ids.TABLE_MODE, "value"),
    Input(ids.TABLE_SOORT, "value"),
    Input(ids.TABLE_LEVEL, "value"),
    Input(ids.TABLE_FILTER, "value"),
    Input({"type": "tabel-sort", "column": dash.ALL}, "n_clicks"),
    State(ids.TABLE_SORT, "data"),
    State(ids.ROUTE, "data"),
    prevent_initial_call=True,
)
def update_table(
    indicator: str,
    period: str | None,
    mode: str | None,
    soort: str | None,
    level: str,
    query: str | None,
    _clicks: list[int],
    sort: dict[str, str],
    route: Any,
) -> tuple[Any, Any]:
    """Re-render on any pick; a header button sorts by its column, a second press reverses."""
    trigger = ctx.triggered_id
    sort = dict(sort or {"column": "name", "direction": "ascending"})
    if isinstance(trigger, dict) and trigger.get("type") == "tabel-sort":
        if not any(_clicks):
            return no_update, no_update
        col = str(trigger["column"])
        if sort.get("column") == col:
            sort["direction"] = "descending" if sort.get("direction") == "ascending" else "ascending"
        else:
            sort = {"column": col, "direction": "ascending"}
    state = _state(indicator, period, mode, soort, level, route_lang(route))
    return render_table(page_view(), state, query=query or "", sort=sort), sort


def table_area(view: AtlasView, chosen: str | None) -> str:
    """The area the table's CSV covers: the atlas's gemeente (the whole table), or with several the one chosen to export."""
    gemeenten = sorted(set(view.buurten["gemeentecode"].astype(str)))
    if len(gemeenten) == 1 or not chosen:
        return str(gemeenten[0])
    return chosen


def table_csv(
    view: AtlasView,
    state: ViewState,
    *,
    area: str,
    permalink: str = "",
    session_meta: dict[str, dict[str, Any]] | None = None,
) -> tuple[str, bytes]:
    """(file name, bytes) of the table as CSV: the export path of ``buurtdekking export --format csv`` (Dutch Excel
    dialect: ``;``, decimal comma, BOM), protected values only, formula-injection safe; the name carries area,
    indicator, period and date."""
    name, data, _ = export_file(view, state, choice="csv", area=area, permalink=permalink, session_meta=session_meta)
    return name, data


@callback(
    Output(ids.TABLE_DOWNLOAD, "data"),
    Output(ids.TABLE_DOWNLOAD_MESSAGE, "children"),
    Input(ids.TABLE_DOWNLOAD_BUTTON, "n_clicks"),
    State(ids.TABLE_INDICATOR, "value"),
    State(ids.TABLE_PERIOD, "value"),
    State(ids.TABLE_MODE, "value"),
    State(ids.TABLE_SOORT, "value"),
    State(ids.TABLE_LEVEL, "value"),
    State(AREA, "value"),
    State(ids.ROUTE, "data"),
    prevent_initial_call=True,
)
def download(
    n: int,
    indicator: str,
    period: str | None,
    mode: str | None,
    soort: str | None,
    level: str,
    chosen: str | None,
    route: Any,
) -> tuple[Any, Any]:
    """The table as the export writes it (same bytes as `buurtdekking export --format csv`), never raw counts."""
    if not n:
        return no_update, no_update
    lang = route_lang(route)
    state = _state(indicator, period, mode, soort, level if level in LEVELS else ViewState().level, lang)
    store, sid = current_store(), current_sid()
    view = page_view()
    base = base_url()
    try:
        name, data = table_csv(
            view,
            state,
            area=table_area(view, chosen),
            permalink=base + dash.get_relative_path("/tabel") + state.to_query(),
            session_meta=store.meta(sid),
        )
    except InputError as exc:
        return no_update, html.Div(
            [html.P(p.nl if lang == "nl" else p.en) for p in exc.problems], className="notice", role="alert"
        )
    return send_bytes(data, name, type="text/csv"), None


clientside_callback(
    ClientsideFunction("buurtdekking", "writeUrl"),
    Output(ids.TABLE_URL_SINK, "data"),
    *[Input(cid, "value") for cid, _ in URL_CONTROLS],
    State(ids.TABLE_URL_SINK, "data"),
    prevent_initial_call=True,
)
