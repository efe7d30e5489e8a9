"""The referral routes of one buurt against its wijk and the city: a small bar chart and its text (protected values only)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from dashboard import ids
from etl.numbers import format_percent
from etl.palette import BLUE, SKY_BLUE
from etl.protect import SECONDARY_LABEL, suppressed_label
from etl.rules.columns import REFERRALS, SOORT_SPECIALIST
from views.data import AtlasView
from views.i18n import Lang, aria, t
from views.protection import served_threshold, suppression
from views.state import ViewState

ROUTES = REFERRALS
SOORT = SOORT_SPECIALIST
# Okabe–Ito, dark to light: this buurt stands out, the wijk and the city are the background.
LEVEL_COLOURS = {"buurt": BLUE, "wijk": SKY_BLUE, "gemeente": "#999999"}


def route_period(view: AtlasView, period: str) -> str:
    """The period to show: the one picked if the route tables have it, else their latest."""
    table = view.tables.get("referrals_wijk")
    if table is None or table.empty:
        return ""
    periods = sorted(table["periode"].astype(str).unique())
    return period if period in periods else periods[-1]


def route_rows(view: AtlasView, *, level: str, code: str, period: str, soort: str = SOORT) -> pd.DataFrame:
    """Per route of one area: the published share (NaN where protected), the count, and how it is protected."""
    key = {"buurt": "buurtcode", "wijk": "wijkcode", "gemeente": "gemeentecode"}[level]
    table = view.tables.get(f"referrals_{level}")
    empty = pd.DataFrame({"verwijzer": list(ROUTES), "share": np.nan, "count": np.nan, "status": "missing"})
    if table is None or table.empty:
        return empty
    part = table[
        (table[key].astype(str) == code)
        & (table["periode"].astype(str) == period)
        & (table["soort"].astype(str) == soort)
    ]
    if part.empty:
        return empty
    marked, secondary = suppression(part, "aandeel", None)
    count_hidden, _ = suppression(part, "aantal", None)
    out = pd.DataFrame(
        {
            "verwijzer": part["verwijzer"].astype(str).to_numpy(),
            "share": pd.to_numeric(part["aandeel"], errors="coerce").where(~marked).to_numpy(dtype="float64"),
            "count": pd.to_numeric(part["aantal"], errors="coerce").where(~count_hidden).to_numpy(dtype="float64"),
            "status": np.where(marked, np.where(secondary, "secondary", "suppressed"), "ok"),
        }
    )
    out.loc[(out["status"] == "ok") & out["share"].isna(), "status"] = "missing"
    return out.set_index("verwijzer").reindex(list(ROUTES)).fillna({"status": "missing"}).reset_index()


def _text(row: pd.Series, lang: Lang, threshold: int) -> str:
    if row["status"] == "suppressed":
        return suppressed_label(threshold)
    if row["status"] == "secondary":
        return SECONDARY_LABEL
    if row["status"] == "missing":
        return "–"
    return format_percent(float(row["share"]), lang=lang)


def route_figure(series: list[tuple[str, str, pd.DataFrame]], *, lang: Lang, threshold: int) -> go.Figure:
    """Grouped horizontal bars: one group per route, one bar per area (label, level, rows); protected bars are empty."""
    labels = [t(f"route_short_{r}", lang) for r in ROUTES]
    fig = go.Figure()
    top = 0.0
    for name, level, rows in series:
        shares = [None if np.isnan(v) else round(float(v) * 100, 1) for v in rows["share"]]
        top = max([top, *[v for v in shares if v is not None]])
        fig.add_trace(
            go.Bar(
                y=labels,
                x=[0 if v is None else v for v in shares],
                orientation="h",
                name=name,
                marker_color=LEVEL_COLOURS[level],
                text=[_text(r, lang, threshold) for _, r in rows.iterrows()],
                textposition="outside",
                textfont={"size": 10},
                cliponaxis=False,
                constraintext="none",
                hovertemplate="%{y}: %{text}<extra>" + name.replace("%", "%%") + "</extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        height=330,
        margin={"l": 4, "r": 30, "t": 4, "b": 4},
        bargap=0.2,
        bargroupgap=0.0,
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "x": 0,
            "font": {"size": 11},
            "traceorder": "normal",
        },
        xaxis={
            "range": [0, min(100.0, max(top, 10.0) * 1.3)],
            "ticksuffix": "%",
            "fixedrange": True,
            "tickfont": {"size": 10},
            "nticks": 4,
        },
        yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True, "tickfont": {"size": 11}},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"size": 11},
        separators=",." if lang == "nl" else ".,",
    )
    return fig


def _table(series: list[tuple[str, str, pd.DataFrame]], lang: Lang, threshold: int) -> html.Table:
    head = html.Tr(
        [html.Th(t("routes_route", lang), scope="col"), *[html.Th(name, scope="col") for name, _, _ in series]]
    )
    body = [
        html.Tr(
            [
                html.Th(t(f"route_{route}", lang), scope="row"),
                *[html.Td(_text(rows.iloc[i], lang, threshold), className="num") for _, _, rows in series],
            ]
        )
        for i, route in enumerate(ROUTES)
    ]
    return html.Table([html.Thead(head), html.Tbody(body)], className="visually-hidden")


def _provider_line(view: AtlasView, provider: object, period: str, lang: Lang) -> html.P | None:
    table = view.tables.get("referral_summary_provider")
    if table is None or table.empty or not isinstance(provider, str):
        return None
    part = table[
        (table["provider"].astype(str) == provider)
        & (table["periode"].astype(str) == period)
        & (table["soort"].astype(str) == SOORT)
    ]
    if part.empty:
        return None
    marked, secondary = suppression(part, "share_buurtteam", None)
    value = part["share_buurtteam"].iloc[0]
    if bool(marked.iloc[0]):
        shown = SECONDARY_LABEL if bool(secondary.iloc[0]) else suppressed_label(served_threshold(view.manifest))
    elif pd.isna(value):
        shown = t("no_data", lang)
    else:
        shown = format_percent(float(value), lang=lang)
    return html.P(f"{t('routes_provider', lang, provider=provider)}: {shown}", className="hint")


def route_section(view: AtlasView, state: ViewState, row: pd.Series, lang: Lang) -> list[Any]:
    """The panel part for the buurt in ``row``: heading, chart, its text alternative; nothing without route tables."""
    period = route_period(view, state.period)
    if not period:
        return []
    code, wijk, gemeente = str(row["buurtcode"]), str(row["wijkcode"]), str(row["gemeentecode"])
    wijknaam = str(row.get("wijknaam", "") or wijk)
    series = [
        (t("this_buurt", lang), "buurt", route_rows(view, level="buurt", code=code, period=period)),
        (f"{t('wijk', lang)} {wijknaam}", "wijk", route_rows(view, level="wijk", code=wijk, period=period)),
        (t("city", lang), "gemeente", route_rows(view, level="gemeente", code=gemeente, period=period)),
    ]
    if all((rows["status"] == "missing").all() for _, _, rows in series):
        return []
    threshold = served_threshold(view.manifest)
    via = [_text(rows.iloc[0], lang, threshold) for _, _, rows in series]
    caption = t(
        "routes_caption", lang, buurt=str(row["buurtnaam"]), wijk=wijknaam, b_bt=via[0], w_bt=via[1], g_bt=via[2]
    )
    parts: list[Any] = [
        html.H3(t("routes_title", lang, period=period)),
        html.Figure(
            [
                # The chart is one image to a screen reader; the caption and the table below carry its values.
                html.Div(
                    dcc.Graph(
                        id=ids.MAP_ROUTES,
                        figure=route_figure(series, lang=lang, threshold=threshold),
                        className="routes-graph",
                        config={"displayModeBar": False, "responsive": True},
                    ),
                    role="img",
                    **aria(label=caption),
                ),
                html.Figcaption(caption, className="routes-caption"),
            ],
            className="routes-figure",
        ),
        _table(series, lang, threshold),
    ]
    hidden = any((rows["status"].isin(["suppressed", "secondary"])).any() for _, _, rows in series)
    if hidden:
        parts.append(html.P(t("routes_protected", lang, threshold=threshold), className="hint"))
    provider_line = _provider_line(view, row.get("provider"), period, lang)
    if provider_line is not None:
        parts.append(provider_line)
    return parts
