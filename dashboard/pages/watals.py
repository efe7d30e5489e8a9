"""Wat als?: place, move or remove a team and see the change map and the gainers and losers (per user, via the URL)."""

from __future__ import annotations

from typing import Any

import dash
import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.components import dropdown_labels, field, fieldset, legend, route_lang
from dashboard.paths import atlas_dir, atlas_view, geo_url, map_style_url
from dashboard.scenario import KINDS as SCENARIO_KINDS
from dashboard.scenario import OwnTeams, Step, available, change_frame, decode, encode, own_teams, whatif_result
from dashboard.session import current_sid, current_store
from etl import atlas_schema as schema
from etl.numbers import format_minutes, format_number
from etl.rules.columns import KNOWN_ORGANISATIONS, TEAM_SOORTEN
from etl.sensitive import MISSING, OK
from etl.whatif import to_rd
from geodata.crs import to_wgs84
from geodata.errors import InputError, Problem
from views.data import AtlasView
from views.figures import base_layout, choropleth_figure, colour_frame, label_trace, outline_trace, team_traces
from views.i18n import Lang, aria, t
from views.indicators import MODES, Indicator
from views.mapstyle import HIGHLIGHT, WIJK_OUTLINE
from views.protection import served_threshold
from views.state import parse_state

dash.register_page(__name__, path="/wat-als", name="Wat als?", title="Wat als? · Buurtdekking", order=2)

# The travel targets a what-if maps the change of: the buurtteam and the contracted specialist (not "any").
TARGETS = schema.TARGETS[:2]
ORGANISATIONS = KNOWN_ORGANISATIONS
TOP_N = 10


def _view() -> AtlasView:
    return atlas_view()


def _own() -> OwnTeams | None:
    # Teams this user applied on the own-data page (their session only); None: the atlas's teams.
    return own_teams(current_store(), current_sid())


def _team_names(view: AtlasView, teams: OwnTeams | None) -> dict[str, str]:
    frame = view.teams if teams is None else teams.frame
    return dict(zip(frame["team_id"].astype(str), frame["naam"].astype(str), strict=True))


def source_notice(view: AtlasView, teams: OwnTeams | None, lang: Lang) -> html.P:
    """Which teams the scenario starts from: the shared atlas's, or this session's own upload (and that it stays theirs)."""
    if teams is None:
        return html.P(t("whatif_atlas_teams", lang, n=len(view.teams)), id=ids.WHATIF_SOURCE, className="hint")
    return html.P(
        t("whatif_own_teams", lang, name=teams.name, n=len(teams.frame)),
        id=ids.WHATIF_SOURCE,
        className="notice notice-ok",
        role="status",
    )


def _change_indicator(target: str, mode: str, lang: Lang) -> Indicator:
    label = t(
        "whatif_change",
        lang,
        target=t("nearest_buurtteam" if target == "buurtteam" else "nearest_spec", lang).lower(),
        mode=t(f"mode_{mode}", lang),
    )
    return Indicator(
        "whatif_change",
        label,
        label,
        schema.travel_time(target, mode),
        palette="diverging",
        decimals=1,
        unit_nl="min",
        unit_en="min",
        diverging_mid=0.0,
        aggregate="none",
    )


def _problems(problems: tuple[Problem, ...] | list[Problem], lang: Lang) -> html.Div:
    return html.Div([html.P(p.nl if lang == "nl" else p.en) for p in problems], className="notice", role="alert")


def render_result(
    view: AtlasView, scenario: str, target: str, mode: str, lang: Lang, teams: OwnTeams | None = None
) -> tuple[Any, list[Any], list[Any]]:
    """(figure, summary and gainers/losers, steps list) for a scenario from the atlas's teams or ``teams``."""
    result = whatif_result(atlas_dir(), scenario, teams)
    column = schema.travel_time(target, mode)
    change = change_frame(result, column=column)
    ind = _change_indicator(target, mode, lang)
    b = view.buurten
    frame = pd.DataFrame(
        {
            "code": b["buurtcode"].astype(str),
            "name": b["buurtnaam"].fillna("").astype(str),
            "wijknaam": b["wijknaam"].fillna("").astype(str),
        }
    )
    delta = change["change"].reindex(frame["code"]).to_numpy(dtype="float64")
    frame["value"] = np.round(delta, 2)
    frame["status"] = np.where(np.isnan(delta), MISSING, OK)
    frame["display"] = [t("no_data", lang) if np.isnan(d) else format_minutes(d, lang=lang) for d in delta]
    coloured = colour_frame(
        frame, ind, scheme="equal_interval", k=5, lang=lang, threshold=served_threshold(view.manifest)
    )
    gdf_after = result.teams
    teams_wgs = to_wgs84(gdf_after if isinstance(gdf_after, gpd.GeoDataFrame) else gpd.GeoDataFrame(gdf_after))
    markers = pd.DataFrame(teams_wgs.drop(columns=teams_wgs.geometry.name))
    markers["lon"] = teams_wgs.geometry.x.round(5)
    markers["lat"] = teams_wgs.geometry.y.round(5)
    keys = {f"{o}|{k}" for o, k in zip(markers["organisatie"], markers["soort"], strict=True)}
    wijken = view.layers["wijk"]
    fig = choropleth_figure(
        geojson=geo_url(view.token, "buurt"),
        frame=frame,
        coloured=coloured,
        ind=ind,
        level="buurt",
        lang=lang,
        layout=base_layout(center=view.center, zoom=view.zoom, style=map_style_url()),
        extra_traces=[
            outline_trace(list(wijken.geometries), name=t("wijk_outline", lang), style=WIJK_OUTLINE),
            label_trace(list(wijken.names), wijken.label_points),
            _changed_teams(markers, lang),
            *team_traces(markers, lang=lang, visible=keys),
        ],
    )
    youth = pd.to_numeric(b.set_index("buurtcode")["youth_population"], errors="coerce").reindex(change.index).fillna(0)
    ok = change["change"].notna() & (youth > 0)
    mean = float((change.loc[ok, "change"] * youth[ok]).sum() / youth[ok].sum()) if ok.any() else 0.0
    faster = int((change["change"] < -1e-9).sum())
    slower = int((change["change"] > 1e-9).sum())
    summary = [
        *legend(ind, coloured, lang, level="buurt"),
        html.P(
            t("whatif_summary", lang, faster=faster, slower=slower, mean=format_number(mean, decimals=2, lang=lang)),
            id=ids.WHATIF_MESSAGE + "-summary",
        ),
        html.P(str(result.summary.get("method_label", "")), className="hint"),
        _gainers_table(view, change, lang),
    ]
    return fig, summary, _steps_list(scenario, _team_names(view, teams), lang)


def _changed_teams(markers: pd.DataFrame, lang: Lang) -> go.Scattermap:
    """A red ring under every team the scenario added or moved, so the change is easy to find on the map."""
    changed = markers[markers["whatif"].notna()] if "whatif" in markers else markers.iloc[0:0]
    return go.Scattermap(
        lon=changed["lon"].tolist(),
        lat=changed["lat"].tolist(),
        mode="markers",
        marker={"size": 26, "color": HIGHLIGHT.color},
        hovertext=[f"{n} ({t('whatif_after', lang).lower()})" for n in changed["naam"].astype(str)],
        hoverinfo="text",
        name="scenario",
    )


def _gainers_table(view: AtlasView, change: pd.DataFrame, lang: Lang) -> html.Table:
    names = view.buurten.set_index("buurtcode")
    moved = change[change["change"].abs() > 1e-9].sort_values("change")
    rows = pd.concat([moved.head(TOP_N), moved[moved["change"] > 0].tail(TOP_N)])
    rows = rows[~rows.index.duplicated()]
    head = html.Tr(
        [html.Th(t(c, lang), scope="col") for c in ("buurt", "whatif_before", "whatif_after", "whatif_delta")]
    )
    body = [
        html.Tr(
            [
                html.Th(str(names.loc[code, "buurtnaam"]), scope="row"),
                html.Td(format_number(r.before, decimals=1, lang=lang), className="num"),
                html.Td(format_number(r.after, decimals=1, lang=lang), className="num"),
                html.Td(
                    f"{format_number(r.change, decimals=1, lang=lang)} ({t('whatif_faster' if r.change < 0 else 'whatif_slower', lang)})",
                    className="num",
                ),
            ]
        )
        for code, r in rows.iterrows()
    ]
    return html.Table(
        [
            html.Caption(t("whatif_gainers", lang)),
            html.Thead(head),
            html.Tbody(body or [html.Tr(html.Td(t("whatif_no_steps", lang), colSpan=4))]),
        ],
        className="data-table",
    )


def _steps_list(scenario: str, names: dict[str, str], lang: Lang) -> list[Any]:
    try:
        steps = decode(scenario)
    except InputError as exc:
        return [_problems(exc.problems, lang)]
    if not steps:
        return [html.P(t("whatif_no_steps", lang), className="hint")]
    items = []
    for s in steps:
        first = s.text.split(",")[0]
        if s.kind == "add":
            items.append(t("whatif_added", lang, name=first, where=", ".join(s.text.split(",")[1:3])))
        elif s.kind == "move":
            items.append(t("whatif_moved", lang, name=names.get(first, first), where=", ".join(s.text.split(",")[1:3])))
        else:
            items.append(t("whatif_removed", lang, name=names.get(first, first)))
    return [html.Ol([html.Li(i) for i in items])]


def layout(**query: str) -> html.Div:
    state, _ = parse_state(query)
    lang = state.lang
    try:
        view = _view()
    except InputError:
        return html.Div(t("atlas_missing", lang), className="notice", role="alert")
    own = _own()
    why_not = available(atlas_dir(), own)
    if why_not is not None:
        return html.Div(
            [
                html.H1(t("whatif_title", lang)),
                html.P(t("whatif_unavailable", lang), className="notice", role="status"),
                html.P(why_not.nl if lang == "nl" else why_not.en, className="hint"),
                source_notice(view, own, lang),
            ],
            className="prose",
        )
    try:
        fig, summary, steps = render_result(view, state.scenario, "buurtteam", state.mode, lang, own)
        message: Any = None
    except InputError as exc:
        fig, summary, steps = render_result(view, "", "buurtteam", state.mode, lang, own)
        message = _problems(exc.problems, lang)
    teams = (view.teams if own is None else own.frame).sort_values("naam")
    team_options = [
        {"label": f"{n} ({o}, {k})", "value": str(i)}
        for i, n, o, k in zip(teams["team_id"], teams["naam"], teams["organisatie"], teams["soort"], strict=True)
    ]
    b = view.buurten.sort_values("buurtnaam")
    buurt_options = [{"label": f"{n} ({c})", "value": c} for n, c in zip(b["buurtnaam"], b["buurtcode"], strict=True)]
    controls = [
        html.H2(t("controls", lang), className="panel-title"),
        fieldset(
            t("mode", lang),
            dcc.RadioItems(
                id=ids.WHATIF_MODE,
                options=[{"label": t(f"mode_{m}", lang), "value": m} for m in MODES],
                value=state.mode,
                inline=True,
                className="radio",
            ),
        ),
        fieldset(
            t("whatif_target", lang),
            dcc.RadioItems(
                id=ids.WHATIF_TARGET,
                options=[
                    {"label": t("nearest_buurtteam" if x == "buurtteam" else "nearest_spec", lang), "value": x}
                    for x in TARGETS
                ],
                value="buurtteam",
                className="radio",
            ),
        ),
        fieldset(
            t("whatif_action", lang),
            dcc.RadioItems(
                id=ids.WHATIF_ACTION,
                options=[{"label": t(f"whatif_{a}", lang), "value": a} for a in SCENARIO_KINDS],
                value=SCENARIO_KINDS[0],
                className="radio",
            ),
        ),
        field(
            t("whatif_team", lang),
            dcc.Dropdown(
                id=ids.WHATIF_TEAM,
                options=team_options,
                searchable=True,
                className="dropdown",
                labels=dropdown_labels(lang),
            ),
            control_id=ids.WHATIF_TEAM,
        ),
        html.P(t("whatif_where", lang), className="field-label"),
        field(
            t("buurt", lang),
            dcc.Dropdown(
                id=ids.WHATIF_BUURT,
                options=buurt_options,
                searchable=True,
                className="dropdown",
                labels=dropdown_labels(lang),
            ),
            control_id=ids.WHATIF_BUURT,
        ),
        html.Div(
            [
                field(
                    t("whatif_x", lang),
                    dcc.Input(id=ids.WHATIF_X, type="text", className="text-input"),
                    control_id=ids.WHATIF_X,
                ),
                field(
                    t("whatif_y", lang),
                    dcc.Input(id=ids.WHATIF_Y, type="text", className="text-input"),
                    control_id=ids.WHATIF_Y,
                ),
            ],
            className="xy-row",
        ),
        field(
            t("whatif_name", lang),
            dcc.Input(id=ids.WHATIF_NAME, type="text", value=t("whatif_default_name", lang), className="text-input"),
            control_id=ids.WHATIF_NAME,
        ),
        field(
            t("whatif_org", lang),
            dcc.Dropdown(
                id=ids.WHATIF_ORG,
                options=list(ORGANISATIONS),
                value=ORGANISATIONS[0],
                clearable=False,
                className="dropdown",
                labels=dropdown_labels(lang),
            ),
            control_id=ids.WHATIF_ORG,
        ),
        fieldset(
            t("whatif_kind", lang),
            dcc.RadioItems(
                id=ids.WHATIF_KIND,
                options=[{"label": t(f"team_kind_{k}", lang), "value": k} for k in TEAM_SOORTEN],
                value="buurtteam",
                className="radio",
            ),
        ),
        html.Div(
            [
                html.Button(t("whatif_apply", lang), id=ids.WHATIF_APPLY, className="button", n_clicks=0),
                html.Button(t("whatif_reset", lang), id=ids.WHATIF_RESET, className="button secondary", n_clicks=0),
            ],
            className="button-row",
        ),
        html.Div(message, id=ids.WHATIF_MESSAGE, **aria(live="assertive")),
        html.H2(t("whatif_steps", lang), className="panel-title"),
        html.Div(steps, id=ids.WHATIF_STEPS),
    ]
    return html.Div(
        className="watals-page",
        children=[
            html.Div(
                [html.H1(t("whatif_title", lang)), html.P(t("whatif_intro", lang)), source_notice(view, own, lang)],
                className="page-intro",
            ),
            html.Section(controls, className="panel controls-panel", **aria(label=t("controls", lang))),
            html.Figure(
                [
                    dcc.Graph(
                        id=ids.WHATIF_GRAPH,
                        figure=fig,
                        className="map-graph",
                        config={"displaylogo": False, "scrollZoom": True},
                    ),
                    html.Figcaption(t("whatif_alt", lang), className="visually-hidden"),
                ],
                className="map-figure",
            ),
            html.Section(
                summary,
                id=ids.WHATIF_RESULT,
                className="panel whatif-result",
                **aria(live="polite", label=t("whatif_gainers", lang)),
            ),
            dcc.Store(id=ids.WHATIF_SCENARIO, data=state.scenario),
            dcc.Store(
                id=ids.WHATIF_URL_SINK,
                data={"params": ["scenario", "modus"], "defaults": {"scenario": "", "modus": MODES[0]}},
            ),
        ],
    )


def _location(
    view: AtlasView, buurt: str | None, x: str | None, y: str | None, lang: Lang
) -> tuple[float, float] | str:
    """RD New x, y from typed coordinates (RD or lon/lat) or a buurt's representative point; else a message."""
    if x not in (None, "") and y not in (None, ""):
        try:
            rx, ry = to_rd(float(str(x).replace(",", ".")), float(str(y).replace(",", ".")), source="x/y")
        except (ValueError, InputError):
            return t("whatif_bad_coord", lang)
        inside = view.buurten.geometry.contains(gpd.points_from_xy([rx], [ry], crs=view.buurten.crs)[0]).any()
        return (round(rx, 1), round(ry, 1)) if inside else t("whatif_bad_coord", lang)
    if buurt:
        match = view.buurten[view.buurten["buurtcode"] == buurt]
        if len(match):
            p = match.geometry.iloc[0].representative_point()
            return round(p.x, 1), round(p.y, 1)
    return t("whatif_need_location", lang)


@callback(
    Output(ids.WHATIF_SCENARIO, "data"),
    Output(ids.WHATIF_MESSAGE, "children"),
    Output(ids.WHATIF_MODE, "value"),
    Input(ids.WHATIF_APPLY, "n_clicks"),
    Input(ids.WHATIF_RESET, "n_clicks"),
    Input(ids.URL, "search"),
    State(ids.WHATIF_ACTION, "value"),
    State(ids.WHATIF_TEAM, "value"),
    State(ids.WHATIF_BUURT, "value"),
    State(ids.WHATIF_X, "value"),
    State(ids.WHATIF_Y, "value"),
    State(ids.WHATIF_NAME, "value"),
    State(ids.WHATIF_ORG, "value"),
    State(ids.WHATIF_KIND, "value"),
    State(ids.WHATIF_SCENARIO, "data"),
    State(ids.WHATIF_MODE, "value"),
    State(ids.ROUTE, "data"),
    prevent_initial_call=True,
)
def change_scenario(
    _apply: int,
    _reset: int,
    search: str | None,
    action: str,
    team: str | None,
    buurt: str | None,
    x: str | None,
    y: str | None,
    name: str | None,
    org: str,
    kind: str,
    scenario: str,
    mode: str,
    route: Any,
) -> tuple[Any, Any, Any]:
    """Apply one step, clear the scenario, or follow the URL (back/forward, a shared link)."""
    lang = route_lang(route)
    trigger = ctx.triggered_id
    if trigger == ids.URL:
        state, _ = parse_state(search or "")
        return (
            (state.scenario if state.scenario != scenario else no_update),
            no_update,
            (state.mode if state.mode != mode else no_update),
        )
    if trigger == ids.WHATIF_RESET:
        return "", None, no_update
    view = _view()
    steps = decode(scenario or "")
    if action in ("move", "remove") and not team:
        return no_update, html.P(t("whatif_need_team", lang), className="notice", role="alert"), no_update
    if action == "remove":
        steps.append(Step("remove", str(team)))
    else:
        where = _location(view, buurt, x, y, lang)
        if isinstance(where, str):
            return no_update, html.P(where, className="notice", role="alert"), no_update
        if action == "move":
            steps.append(Step("move", f"{team},{where[0]},{where[1]}"))
        else:
            clean = (
                (name or t("whatif_default_name", lang)).replace(",", " ").replace(";", " ").replace(":", " ").strip()
            )
            steps.append(Step("add", f"{clean},{where[0]},{where[1]},{org},{kind}"))
    candidate = encode(steps)
    try:
        whatif_result(atlas_dir(), candidate, _own())
    except InputError as exc:
        return no_update, _problems(exc.problems, lang), no_update
    return candidate, None, no_update


@callback(
    Output(ids.WHATIF_GRAPH, "figure"),
    Output(ids.WHATIF_RESULT, "children"),
    Output(ids.WHATIF_STEPS, "children"),
    Input(ids.WHATIF_SCENARIO, "data"),
    Input(ids.WHATIF_MODE, "value"),
    Input(ids.WHATIF_TARGET, "value"),
    State(ids.ROUTE, "data"),
    prevent_initial_call=True,
)
def show_result(scenario: str, mode: str, target: str, route: Any) -> tuple[Any, Any, Any]:
    """The change map, summary and gainers/losers of the scenario (recomputed from the cached cost structure)."""
    lang = route_lang(route)
    view = _view()
    try:
        return render_result(view, scenario or "", target, mode, lang, _own())
    except InputError as exc:
        return no_update, _problems(exc.problems, lang), no_update


@callback(
    Output(ids.WHATIF_BUURT, "value"),
    Output(ids.WHATIF_X, "value"),
    Output(ids.WHATIF_Y, "value"),
    Input(ids.WHATIF_GRAPH, "clickData"),
    prevent_initial_call=True,
)
def click_to_location(click: dict[str, Any] | None) -> tuple[Any, Any, Any]:
    """A click on a buurt picks it as the location (typed coordinates are cleared so the buurt counts)."""
    points = (click or {}).get("points") or []
    code = points[0].get("location") if points else None
    return (code, "", "") if code else (no_update, no_update, no_update)


clientside_callback(
    ClientsideFunction("buurtdekking", "writeUrl"),
    Output(ids.WHATIF_URL_SINK, "data"),
    Input(ids.WHATIF_SCENARIO, "data"),
    Input(ids.WHATIF_MODE, "value"),
    State(ids.WHATIF_URL_SINK, "data"),
    prevent_initial_call=True,
)
