"""Building blocks the pages share: labelled pickers, the legend, and the control values for a view state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dash import dcc, html, no_update

from dashboard.paths import atlas_dir
from dashboard.uploads import current_view
from etl.numbers import as_lang
from views.data import AtlasView
from views.figures import Coloured
from views.i18n import Lang, aria, has_label, t
from views.indicators import BY_KEY, DEFAULT_INDICATOR, GROUP_LABELS, Indicator
from views.state import FIELD_TO_PARAM, LEVELS, MAX_CLASSES, MIN_CLASSES, SCHEMES, ViewState
from views.values import Selection, available, modes_for, periods_for, resolve, soorten_for


def page_view() -> AtlasView:
    """The view a page shows: the shared atlas plus this user's own applied uploads, never another user's."""
    return current_view(atlas_dir())


def route_lang(route: dict[str, Any] | None) -> Lang:
    """The language in the route store of the page (Dutch unless it names another language the app speaks)."""
    return as_lang((route or {}).get("lang"))


def control_state(
    *, indicator: str, period: str | None, mode: str | None, soort: str | None, lang: Lang, **rest: Any
) -> ViewState:
    """The view state of a page's controls; a control that is empty (its picker is hidden) takes the default."""
    default = ViewState()
    return ViewState(
        indicator=indicator,
        period=period or default.period,
        mode=mode or default.mode,
        soort=soort or default.soort,
        lang=lang,
        **rest,
    )


def url_spec(controls: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """What assets' writeUrl needs of a page's (control id, state field) pairs: their URL names and defaults."""
    defaults = ViewState()
    return {
        "params": [FIELD_TO_PARAM[f] for _, f in controls],
        "defaults": {FIELD_TO_PARAM[f]: getattr(defaults, f) for _, f in controls},
    }


def keep(new: Any, old: Any) -> Any:
    """``new`` for a callback output, or no update when the control already shows it (no second round trip)."""
    return no_update if new == old else new


def picker_updates(
    view: AtlasView,
    state: ViewState,
    lang: Lang,
    *,
    indicator: str,
    period: str | None,
    mode: str | None,
    soort: str | None,
) -> tuple[Any, ...]:
    """The indicator and its period, mode and care-type pickers (options, value, hidden) for ``state``.

    In the order of the outputs of a page's sync callback, given the values the controls show now."""
    ind = current_indicator(view, state.indicator)
    dims = dimensions(view, ind, state, lang)
    return (
        keep(ind.key, indicator),
        dims.periods,
        keep(dims.period or None, period),
        not dims.periods,
        dims.modes,
        keep(dims.mode, mode),
        not dims.modes,
        dims.soorten,
        keep(dims.soort or None, soort),
        not dims.soorten,
    )


def indicator_options(view: AtlasView, lang: Lang) -> list[dict[str, Any]]:
    """Registry entries this atlas has, grouped by theme in the label so a screen reader hears the theme."""
    out = []
    for ind in available(view):
        group = GROUP_LABELS.get(ind.group, (ind.group, ind.group))[0 if lang == "nl" else 1]
        out.append({"label": f"{ind.label(lang)} ({group.lower()})", "value": ind.key})
    return out


def current_indicator(view: AtlasView, key: str) -> Indicator:
    keys = {ind.key for ind in available(view)}
    if key in keys:
        return BY_KEY[key]
    return BY_KEY[DEFAULT_INDICATOR] if DEFAULT_INDICATOR in keys else next(iter(available(view)))


def _label(key: str, value: str, lang: Lang) -> str:
    return t(f"{key}_{value}", lang) if has_label(f"{key}_{value}") else value


@dataclass(frozen=True)
class Dimensions:
    """The pickers an indicator needs: options, chosen value and whether each applies."""

    periods: list[dict[str, str]]
    period: str
    modes: list[dict[str, str]]
    mode: str
    soorten: list[dict[str, str]]
    soort: str


def dimensions(view: AtlasView, ind: Indicator, state: ViewState, lang: Lang) -> Dimensions:
    sel = resolve(view, ind, Selection(state.level, state.period, state.mode, state.soort))
    soorten = soorten_for(view, ind)
    return Dimensions(
        periods=[{"label": p, "value": p} for p in periods_for(view, ind)],
        period=sel.period,
        modes=[{"label": _label("mode", m, lang), "value": m} for m in modes_for(view, ind)],
        mode=sel.mode,
        soorten=[{"label": _label("soort", s, lang), "value": s} for s in soorten],
        # A dropdown drops a value that is not among its options (and fires a callback doing so).
        soort=sel.soort if soorten else "",
    )


def field(label: str, control: Any, *, control_id: str, hidden: bool = False) -> html.Div:
    return html.Div(
        [html.Label(label, htmlFor=control_id, id=f"{control_id}-label", className="field-label"), control],
        className="field",
        hidden=hidden,
    )


def fieldset(legend: str, control: Any, *, hidden: bool = False, class_name: str = "") -> html.Fieldset:
    return html.Fieldset(
        [html.Legend(legend, className="field-label"), control], className=f"field {class_name}".strip(), hidden=hidden
    )


def dropdown_labels(lang: Lang) -> Any:
    """The texts inside dcc.Dropdown (search box, clear buttons) in the page's language."""
    keys = ("search", "clear_search", "clear_selection", "select_all", "deselect_all")
    labels = {k: t(f"dd_{k}", lang) for k in keys}
    labels["no_options_found"] = t("dd_no_options", lang)
    return labels


def dropdown(
    control_id: str, options: list[dict[str, Any]], value: Any, *, lang: Lang, searchable: bool = False, **kw: Any
) -> dcc.Dropdown:
    return dcc.Dropdown(
        id=control_id,
        options=options,
        value=value,
        clearable=False,
        searchable=searchable,
        className="dropdown",
        labels=dropdown_labels(lang),
        **kw,
    )


def indicator_pickers(
    view: AtlasView,
    state: ViewState,
    lang: Lang,
    *,
    ind_id: str,
    period_id: str,
    mode_id: str,
    soort_id: str,
    level_id: str,
) -> list[Any]:
    """Indicator, period, mode, care type and level: the part every page with values shares."""
    ind = current_indicator(view, state.indicator)
    dims = dimensions(view, ind, state, lang)
    return [
        field(
            t("indicator", lang),
            dropdown(ind_id, indicator_options(view, lang), ind.key, lang=lang, searchable=True),
            control_id=ind_id,
        ),
        html.Div(
            field(
                t("period", lang),
                dropdown(period_id, dims.periods, dims.period or None, lang=lang),
                control_id=period_id,
            ),
            id=f"{period_id}-wrap",
            hidden=not dims.periods,
        ),
        html.Div(
            fieldset(
                t("mode", lang),
                dcc.RadioItems(id=mode_id, options=dims.modes, value=dims.mode, inline=True, className="radio"),
            ),
            id=f"{mode_id}-wrap",
            hidden=not dims.modes,
        ),
        html.Div(
            field(
                t("soort", lang), dropdown(soort_id, dims.soorten, dims.soort or None, lang=lang), control_id=soort_id
            ),
            id=f"{soort_id}-wrap",
            hidden=not dims.soorten,
        ),
        fieldset(
            t("level", lang),
            dcc.RadioItems(
                id=level_id,
                options=[{"label": t(f"level_{lv}", lang), "value": lv} for lv in LEVELS],
                value=state.level,
                inline=True,
                className="radio",
            ),
        ),
    ]


def scheme_pickers(state: ViewState, lang: Lang, *, scheme_id: str, classes_id: str) -> list[Any]:
    return [
        fieldset(
            t("scheme", lang),
            dcc.RadioItems(
                id=scheme_id,
                options=[{"label": t(f"scheme_{s}", lang), "value": s} for s in SCHEMES],
                value=state.scheme,
                className="radio",
            ),
        ),
        field(
            t("classes", lang),
            dropdown(
                classes_id,
                [{"label": str(k), "value": k} for k in range(MIN_CLASSES, MAX_CLASSES + 1)],
                state.k,
                lang=lang,
            ),
            control_id=classes_id,
        ),
    ]


def legend(ind: Indicator, coloured: Coloured, lang: Lang, *, level: str, extra: list[Any] | None = None) -> list[Any]:
    items = [
        html.Li(
            [
                html.Span(className="swatch", style={"backgroundColor": e.colour}, **aria(hidden="true")),
                html.Span(e.label),
            ]
        )
        for e in coloured.entries
    ]
    return [
        html.H2(t("legend", lang), className="legend-title"),
        html.P(ind.label(lang), className="legend-indicator"),
        html.P(f"{t('level_' + level, lang)} · {coloured.scheme_text}", className="legend-scheme"),
        html.Ul(items, className="legend-items"),
        html.P(ind.note(lang, threshold=coloured.threshold), className="legend-note")
        if ind.note(lang, threshold=coloured.threshold)
        else None,
        *[html.P(note, className="legend-quality") for note in coloured.notes],
        *(extra or []),
    ]
