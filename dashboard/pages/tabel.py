"""Tabel: the map's values as an accessible, sortable, filterable HTML table (the text alternative of the map)."""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.dcc.express import send_data_frame

from dashboard import ids
from dashboard.app import atlas_dir
from dashboard.components import current_indicator, dimensions, indicator_pickers
from dashboard.data import AtlasView
from dashboard.export_ui import export_panel
from dashboard.i18n import Lang, aria, t
from dashboard.protection import served_threshold
from dashboard.state import FIELD_TO_PARAM, ViewState, parse_state
from dashboard.uploads import current_view
from dashboard.values import OK, Selection, indicator_frame, resolve
from geodata.errors import InputError

dash.register_page(__name__, path="/tabel", name="Tabel", title="Tabel · Buurtdekking", order=1)

MAX_ROWS = 500  # a national table is filtered before it is shown; the CSV download has every row
URL_CONTROLS = (
    (ids.TABLE_INDICATOR, "indicator"),
    (ids.TABLE_PERIOD, "period"),
    (ids.TABLE_MODE, "mode"),
    (ids.TABLE_SOORT, "soort"),
    (ids.TABLE_LEVEL, "level"),
)
COLUMNS = ("name", "code", "wijk", "value")


def _view() -> AtlasView:
    # The shared atlas plus this user's own applied uploads (dashboard/uploads.py), never another user's.
    return current_view(atlas_dir())


def _lang(route: dict[str, Any] | None) -> Lang:
    return "en" if (route or {}).get("lang") == "en" else "nl"


def table_frame(view: AtlasView, state: ViewState, *, query: str, sort: dict[str, str]) -> tuple[pd.DataFrame, str]:
    """Protected rows, filtered and sorted; protected and missing values always sort last (order reveals nothing)."""
    ind = current_indicator(view, state.indicator)
    sel = resolve(view, ind, Selection(state.level, state.period, state.mode, state.soort))
    frame = indicator_frame(view, ind, sel, lang=state.lang)
    if "wijknaam" not in frame:
        frame["wijknaam"] = ""
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
        src = {"name": "name", "code": "code", "wijk": "wijknaam"}[column]
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
    labels = {"name": t("name", lang), "code": t("code", lang), "wijk": t("wijk", lang), "value": label}
    cols = [c for c in COLUMNS if c != "wijk" or state.level == "buurt"]
    shown = frame.head(MAX_ROWS)
    body = [
        html.Tr(
            [
                html.Th(r["name"], scope="row"),
                html.Td(r["code"]),
                *([html.Td(r["wijknaam"])] if state.level == "buurt" else []),
                html.Td(r["display"], className="num"),
            ]
        )
        for _, r in shown.iterrows()
    ]
    return html.Table(
        [
            html.Caption(t("table_caption", lang, indicator=label, level=level_word, n=len(frame)), id=ids.TABLE_CAPTION),
            html.Thead(html.Tr([_header(c, labels[c], sort, lang) for c in cols])),
            html.Tbody(body),
        ],
        className="data-table",
    )


def _url_spec() -> dict[str, Any]:
    defaults = ViewState()
    return {
        "params": [FIELD_TO_PARAM[f] for _, f in URL_CONTROLS],
        "defaults": {FIELD_TO_PARAM[f]: getattr(defaults, f) for _, f in URL_CONTROLS},
    }


def layout(**query: str) -> html.Div:
    state, _ = parse_state(query)
    lang = state.lang
    try:
        view = _view()
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
                    view, state, lang, ind_id=ids.TABLE_INDICATOR, period_id=ids.TABLE_PERIOD, mode_id=ids.TABLE_MODE,
                    soort_id=ids.TABLE_SOORT, level_id=ids.TABLE_LEVEL,
                ),
                className="controls-row",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label(t("table_filter", lang), htmlFor=ids.TABLE_FILTER, className="field-label"),
                            dcc.Input(id=ids.TABLE_FILTER, type="search", debounce=0.3, className="text-input", autoComplete="off"),
                        ],
                        className="field",
                    ),
                    html.Button(t("download_csv", lang), id=ids.TABLE_DOWNLOAD_BUTTON, className="button secondary", n_clicks=0),
                ],
                className="controls-row",
            ),
            html.P(t("table_protected_note", lang, threshold=served_threshold(view.manifest)), className="hint"),
            export_panel(view, state, lang),
            html.Div(render_table(view, state, query="", sort=sort), id=ids.TABLE_BODY, **aria(live="polite")),
            dcc.Store(id=ids.TABLE_SORT, data=sort),
            dcc.Store(id=ids.TABLE_URL_SINK, data=_url_spec()),
            dcc.Download(id=ids.TABLE_DOWNLOAD),
        ],
    )


def _state(indicator: str, period: str | None, mode: str | None, soort: str | None, level: str, lang: Lang) -> ViewState:
    return ViewState(indicator=indicator, period=period or "", mode=mode or "bike", soort=soort or "totaal", level=level, lang=lang)


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
    view = _view()
    lang = _lang(route)
    if ctx.triggered_id == ids.URL:
        state, _ = parse_state(search or "")
    else:
        state = _state(indicator, period, mode, soort, level, lang)
    ind = current_indicator(view, state.indicator)
    dims = dimensions(view, ind, state, lang)

    def keep(new: Any, old: Any) -> Any:
        return no_update if new == old else new

    return (
        keep(ind.key, indicator),
        dims.periods, keep(dims.period or None, period), not dims.periods,
        dims.modes, keep(dims.mode, mode), not dims.modes,
        dims.soorten, keep(dims.soort or None, soort), not dims.soorten,
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
    indicator: str, period: str | None, mode: str | None, soort: str | None, level: str, query: str | None,
    _clicks: list[int], sort: dict[str, str], route: Any,
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
    state = _state(indicator, period, mode, soort, level, _lang(route))
    return render_table(_view(), state, query=query or "", sort=sort), sort


@callback(
    Output(ids.TABLE_DOWNLOAD, "data"),
    Input(ids.TABLE_DOWNLOAD_BUTTON, "n_clicks"),
    State(ids.TABLE_INDICATOR, "value"),
    State(ids.TABLE_PERIOD, "value"),
    State(ids.TABLE_MODE, "value"),
    State(ids.TABLE_SOORT, "value"),
    State(ids.TABLE_LEVEL, "value"),
    State(ids.ROUTE, "data"),
    prevent_initial_call=True,
)
def download(n: int, indicator: str, period: str | None, mode: str | None, soort: str | None, level: str, route: Any) -> Any:
    """The protected table as a Dutch CSV (semicolons, decimal commas), as shown, never raw counts."""
    if not n:
        return no_update
    state = _state(indicator, period, mode, soort, level, _lang(route))
    frame, label = table_frame(_view(), state, query="", sort={"column": "name", "direction": "ascending"})
    out = frame[["code", "name", "wijknaam", "display"]].rename(
        columns={"code": "code", "name": "naam", "wijknaam": "wijk", "display": label}
    )
    return send_data_frame(out.to_csv, f"buurtdekking-{state.indicator}.csv", sep=";", index=False)


clientside_callback(
    ClientsideFunction("buurtdekking", "writeUrl"),
    Output(ids.TABLE_URL_SINK, "data"),
    *[Input(cid, "value") for cid, _ in URL_CONTROLS],
    State(ids.TABLE_URL_SINK, "data"),
    prevent_initial_call=True,
)
