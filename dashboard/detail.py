"""The detail panel of one buurt: key figures, provider, nearest teams per mode, trend and comparison (all protected)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import html

from dashboard.components import current_indicator
from dashboard.routes import route_section
from etl import atlas_schema as schema
from etl.numbers import format_number
from views.data import AtlasView
from views.i18n import Lang, t
from views.indicators import BY_KEY, MODES
from views.state import ViewState
from views.values import Selection, indicator_frame, is_available, periods_for, quality_text, resolve, summary_value


def _dl(rows: list[tuple[str, str]]) -> html.Dl:
    children: list[Any] = []
    for term, value in rows:
        children += [html.Dt(term), html.Dd(value)]
    return html.Dl(children, className="key-figures")


def _number(row: pd.Series, column: str, lang: Lang, decimals: int = 0) -> str | None:
    if column not in row.index:
        return None
    v = pd.to_numeric(pd.Series([row[column]]), errors="coerce").iloc[0]
    return format_number(float(v), decimals=decimals, lang=lang) if pd.notna(v) else t("no_data", lang)


def _team_name(view: AtlasView, team_id: object) -> str:
    if team_id is None or (isinstance(team_id, float) and pd.isna(team_id)):
        return "–"
    match = view.teams[view.teams["team_id"].astype(str) == str(team_id)]
    return str(match["naam"].iloc[0]) if len(match) else str(team_id)


def _travel_table(view: AtlasView, row: pd.Series, lang: Lang) -> html.Table | None:
    targets = [("buurtteam", t("nearest_buurtteam", lang)), ("spec_contract", t("nearest_spec", lang))]
    modes = [m for m in MODES if any(schema.travel_time(k, m) in row.index for k, _ in targets)]
    if not modes:
        return None
    head = html.Tr([html.Th(t("mode", lang), scope="col"), *[html.Th(label, scope="col") for _, label in targets]])
    body = []
    for m in modes:
        cells = []
        for key, _ in targets:
            tt = row.get(schema.travel_time(key, m))
            name = _team_name(view, row.get(schema.nearest_team(key, m)))
            text = t("minutes", lang, v=format_number(float(tt), decimals=1, lang=lang)) if pd.notna(tt) else "–"
            # how sure the minutes are (etl.quality), right under them
            quality = quality_text(row.get(schema.travel_quality(m, key)), lang) if pd.notna(tt) else ""
            shown = f"{text} · {name}" if name != "–" else text
            cells.append(html.Td([shown, html.Span(quality, className="travel-quality")] if quality else shown))
        body.append(html.Tr([html.Th(t(f"mode_{m}", lang), scope="row"), *cells]))
    return html.Table(
        [html.Caption(t("travel_times", lang)), html.Thead(head), html.Tbody(body)], className="mini-table"
    )


def _protected_figures(view: AtlasView, state: ViewState, code: str, lang: Lang) -> list[tuple[str, str]]:
    rows = []
    for key in ("caseload", "caseload_rate"):
        ind = BY_KEY[key]
        if not is_available(view, ind):
            continue
        sel = resolve(view, ind, Selection("buurt", state.period, state.mode, state.soort))
        rows.append(
            (
                f"{ind.label(lang)} ({sel.period})" if sel.period else ind.label(lang),
                summary_value(view, ind, sel, level="buurt", code=code, lang=lang),
            )
        )
    return rows


def detail_panel(view: AtlasView, state: ViewState, lang: Lang) -> list[Any]:
    """Everything about ``state.buurt``; a short hint when no buurt is chosen.

    Made once per view and state (views.data.Memo): every indicator switch asks for it again, and everyone
    looking at the same buurt and indicator gets the same panel (about a tenth of a second of pandas each).
    """
    return list(view.memo.get(("detail_panel", state, lang), lambda: _detail_panel(view, state, lang)))


def _detail_panel(view: AtlasView, state: ViewState, lang: Lang) -> list[Any]:
    code = state.buurt
    match = view.buurten[view.buurten["buurtcode"] == code] if code else view.buurten.iloc[0:0]
    if match.empty:
        return [html.P(t("detail_empty", lang), className="hint")]
    row = match.iloc[0]
    ind = current_indicator(view, state.indicator)
    sel = resolve(view, ind, Selection("buurt", state.period, state.mode, state.soort))
    figures: list[tuple[str, str]] = []
    for column, label in (("aantal_inwoners", "inhabitants"), ("youth_population", "youth")):
        value = _number(row, column, lang)
        if value is not None:
            figures.append((t(label, lang), value))
    if "provider" in row.index and pd.notna(row["provider"]):
        figures.append((t("provider", lang), str(row["provider"])))
    figures += _protected_figures(view, state, code, lang)

    parts: list[Any] = [
        html.H2(str(row["buurtnaam"]), className="detail-title", id="detail-title"),
        html.P(f"{t('code', lang)} {code} · {t('wijk', lang)} {row.get('wijknaam', '')}", className="detail-sub"),
        html.H3(t("key_figures", lang)),
        _dl(figures),
    ]
    travel = _travel_table(view, row, lang)
    if travel is not None:
        parts.append(travel)
    parts += route_section(view, state, row, lang)  # referral routes, when the atlas has them

    # Comparison of the picked indicator: this buurt, its wijk, the city (each protected on its own level).
    parts.append(html.H3(f"{t('comparison', lang)}: {ind.label(lang)}"))
    levels = [
        ("buurt", code, t("this_buurt", lang)),
        ("wijk", str(row["wijkcode"]), f"{t('wijk', lang)} {row.get('wijknaam', '')}"),
    ]
    rows = [(label, summary_value(view, ind, sel, level=lv, code=c, lang=lang)) for lv, c, label in levels]
    if ind.kind == "number" and ind.aggregate != "none":
        rows.append(
            (t("city", lang), summary_value(view, ind, sel, level="gemeente", code=str(row["gemeentecode"]), lang=lang))
        )
    parts.append(_dl(rows))

    periods = periods_for(view, ind)
    parts.append(html.H3(t("trend", lang)))
    if len(periods) > 1:
        trend = []
        for p in periods:
            frame = indicator_frame(view, ind, Selection("buurt", p, sel.mode, sel.soort), lang=lang)
            value = frame.loc[frame["code"] == code, "display"]
            trend.append((p, str(value.iloc[0]) if len(value) else t("no_data", lang)))
        parts.append(_dl(trend))
    else:
        parts.append(html.P(t("trend_none", lang), className="hint"))
    return parts
