"""Pure figure builders: (view, values, classes) → plotly Figure; no Dash, no IO."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.classify import Classes
from dashboard.data import AtlasView
from dashboard.i18n import Lang, format_number, t
from dashboard.indicators import DIVERGING, NO_DATA_COLOUR, SEQUENTIAL, Indicator
from dashboard.mapstyle import map_style

TILE_URL_ENV = "BUURTDEKKING_TILE_URL"
TILE_ATTRIBUTION_ENV = "BUURTDEKKING_TILE_ATTRIBUTION"


def class_colours(ind: Indicator, k: int) -> list[str]:
    """k colours spread over the indicator's ramp (diverging ramps keep their neutral middle)."""
    ramp = DIVERGING if ind.palette == "diverging" else SEQUENTIAL
    if k <= 0:
        return []
    idx = np.round(np.linspace(0, len(ramp) - 1, k)).astype(int)
    return [ramp[i] for i in idx]


def class_labels(classes: Classes, ind: Indicator, lang: Lang) -> list[str]:
    lows = [classes.lower, *classes.bins[:-1]]
    fmt = lambda x: format_number(x, decimals=ind.decimals, lang=lang)  # noqa: E731
    return [f"{fmt(lo)} – {fmt(hi)}" for lo, hi in zip(lows, classes.bins, strict=True)]


def _discrete_colorscale(colours: list[str]) -> list[list[object]]:
    """A step colorscale over z = -1 (no data), 0 … k-1, so each class gets exactly one colour."""
    all_colours = [NO_DATA_COLOUR, *colours]
    n = len(all_colours)
    scale: list[list[object]] = []
    for i, c in enumerate(all_colours):
        scale += [[i / n, c], [(i + 1) / n, c]]
    return scale


def map_layout(view: AtlasView) -> dict[str, object]:
    """White background map, or the operator's raster tiles; map text uses the glyphs in our own assets."""
    style = map_style(tile_url=os.environ.get(TILE_URL_ENV) or None, tile_attribution=os.environ.get(TILE_ATTRIBUTION_ENV, ""))
    return {"style": style, "center": view.center, "zoom": view.zoom}


def choropleth_figure(
    view: AtlasView,
    values: pd.Series,
    display: pd.Series,
    classes: Classes,
    ind: Indicator,
    *,
    lang: Lang,
) -> go.Figure:
    """Buurten coloured by class, wijk outlines and names on top; hover shows name, code and the value.

    ``display`` is the text shown for each value (already protected where the indicator needs it).
    """
    gdf = view.buurten
    colours = class_colours(ind, classes.k)
    n = classes.k + 1
    z = classes.class_of.astype(float)
    customdata = np.column_stack(
        [gdf["buurtnaam"].fillna("").astype(str), gdf["wijknaam"].fillna("").astype(str), display.astype(str)]
    )
    hover = (
        f"<b>%{{customdata[0]}}</b><br>{t('buurt', lang)} %{{location}}<br>"
        f"{t('wijk', lang)}: %{{customdata[1]}}<br>{ind.label(lang)}: %{{customdata[2]}}<extra></extra>"
    )
    fig = go.Figure()
    fig.add_trace(
        go.Choroplethmap(
            geojson=view.buurten_geojson,
            locations=gdf["buurtcode"].tolist(),
            z=z,
            zmin=-1,
            zmax=n - 1,
            colorscale=_discrete_colorscale(colours),
            showscale=False,
            marker={"line": {"width": 0.6, "color": "#ffffff"}, "opacity": 0.92},
            customdata=customdata,
            hovertemplate=hover,
            name=t("buurt", lang),
        )
    )
    fig.add_trace(
        go.Scattermap(
            lon=view.wijk_outline_lon,
            lat=view.wijk_outline_lat,
            mode="lines",
            line={"width": 2, "color": "#222222"},
            hoverinfo="skip",
            name=t("wijk_outline", lang),
            showlegend=False,
        )
    )
    fig.update_layout(
        map=map_layout(view),
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        showlegend=False,
        uirevision="keep-view",
        paper_bgcolor="#ffffff",
    )
    return fig
