"""Kaart: the main page, a choropleth of the buurten with an indicator picker and a stated legend."""

from __future__ import annotations

from typing import Any

import dash
import flask
import pandas as pd
from dash import Input, Output, callback, dcc, html

from dashboard import ids
from dashboard.classify import classify
from dashboard.data import AtlasView, get_view
from dashboard.figures import choropleth_figure, class_colours, class_labels
from dashboard.i18n import Lang, aria, format_number, t
from dashboard.indicators import BY_KEY, DEFAULT_INDICATOR, NO_DATA_COLOUR, Indicator, available_indicators
from geodata.errors import InputError

dash.register_page(__name__, path="/", name="Kaart", title="Kaart · Buurtdekking")


def _view() -> AtlasView:
    return get_view(flask.current_app.config["BUURTDEKKING_ATLAS"])


def _display_values(values: pd.Series, ind: Indicator, lang: Lang) -> pd.Series:
    return values.map(lambda v: format_number(v, decimals=ind.decimals, lang=lang) if pd.notna(v) else t("no_data", lang))


def legend(ind: Indicator, scheme: str, classes_k: int, labels: list[str], colours: list[str], lang: Lang) -> html.Div:
    items = [
        html.Li([html.Span(className="swatch", style={"backgroundColor": c}), html.Span(lbl)])
        for c, lbl in zip(colours, labels, strict=True)
    ]
    items.append(html.Li([html.Span(className="swatch", style={"backgroundColor": NO_DATA_COLOUR}), html.Span(t("no_data", lang))]))
    return html.Div(
        [
            html.H2(t("legend", lang), className="legend-title"),
            html.P(ind.label(lang), className="legend-indicator"),
            html.P(t("classes_by", lang, scheme=t("scheme_" + scheme, lang), k=classes_k), className="legend-scheme"),
            html.Ul(items, className="legend-items"),
            html.P(ind.note_nl if lang == "nl" else ind.note_en, className="legend-note"),
        ]
    )


def render(indicator_key: str, lang: Lang = "nl") -> tuple[Any, html.Div, str]:
    view = _view()
    ind = BY_KEY.get(indicator_key) or BY_KEY[DEFAULT_INDICATOR]
    values = pd.to_numeric(view.buurten[ind.column], errors="coerce") if ind.column in view.buurten else pd.Series(float("nan"), index=view.buurten.index)
    classes = classify(values, scheme="quantiles", k=5)
    fig = choropleth_figure(view, values, _display_values(values, ind, lang), classes, ind, lang=lang)
    colours = class_colours(ind, classes.k)
    leg = legend(ind, "quantiles", classes.k, class_labels(classes, ind, lang), colours, lang)
    gemeente = ", ".join(sorted(set(view.buurten["gemeentenaam"].dropna())))
    return fig, leg, t("map_alt", lang, gemeente=gemeente, indicator=ind.label(lang).lower())


def layout(**_query: str) -> html.Div:
    try:
        view = _view()
    except InputError:
        return html.Div(t("atlas_missing"), className="notice", role="alert")
    options = [{"label": ind.label("nl"), "value": ind.key} for ind in available_indicators(view.buurten)]
    fig, leg, alt = render(DEFAULT_INDICATOR)
    return html.Div(
        className="kaart-page",
        children=[
            html.Div(
                className="controls",
                children=[
                    html.Label(t("indicator"), htmlFor=ids.MAP_INDICATOR),
                    dcc.Dropdown(id=ids.MAP_INDICATOR, options=options, value=DEFAULT_INDICATOR, clearable=False),
                ],
            ),
            html.Div(
                className="map-and-legend",
                children=[
                    html.Figure(
                        className="map-figure",
                        children=[
                            dcc.Graph(id=ids.MAP_GRAPH, figure=fig, className="map-graph", config={"displaylogo": False, "scrollZoom": True}),
                            html.Figcaption(alt, id=ids.MAP_ALT, className="visually-hidden"),
                        ],
                    ),
                    html.Aside(leg, id=ids.MAP_LEGEND, className="legend", **aria(live="polite")),
                ],
            ),
        ],
    )


@callback(
    Output(ids.MAP_GRAPH, "figure"),
    Output(ids.MAP_LEGEND, "children"),
    Output(ids.MAP_ALT, "children"),
    Input(ids.MAP_INDICATOR, "value"),
    prevent_initial_call=True,
)
def update_map(indicator_key: str) -> tuple[Any, html.Div, str]:
    return render(indicator_key)
