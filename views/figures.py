"""Pure figure builders: (geometry, protected values, classes) → plotly Figure; no Dash, no callbacks, no IO."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape as html_escape
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from etl.numbers import format_number
from etl.palette import NO_DATA_COLOUR, SUPPRESSED_COLOUR, LegendEntry, org_colour
from etl.quality import QUALITY_ESTIMATE, QUALITY_FAR_SNAP, QUALITY_UNREACHABLE
from etl.rules.teams import describe_location
from etl.sensitive import MISSING, SUPPRESSED
from views.classify import Classes, classify
from views.i18n import Lang, t, team_kind_label
from views.indicators import CATEGORICAL, DIVERGING, SEQUENTIAL, Indicator
from views.mapstyle import AREA_EDGE, BACKGROUND, INK, LineStyle, text_font

# z codes below the classes: -2 protected, -1 no data
Z_SUPPRESSED, Z_MISSING = -2, -1
# trace order: 0 choropleth, 1 wijk outlines, 2 wijk names, 3 selected buurt, then team markers
OUTLINE_TRACE, LABEL_TRACE, SELECTED_TRACE, FIRST_TEAM_TRACE = 1, 2, 3, 4


@dataclass(frozen=True)
class Coloured:
    """Per feature its colour index z, the discrete colourscale, and the legend that explains it."""

    z: list[int]
    colorscale: list[list[object]]
    zmin: int
    zmax: int
    entries: tuple[LegendEntry, ...]
    scheme_text: str
    threshold: int  # the protection threshold the labels name (<threshold)
    notes: tuple[str, ...] = ()  # how sure the figures are: estimates, far snaps, unreachable (travel only)


def class_colours(ind: Indicator, classes: Classes) -> list[str]:
    """One colour per class: spread over the sequential ramp, or on the diverging ramp by side of the midpoint."""
    k = classes.k
    if k <= 0:
        return []
    if ind.palette != "diverging":
        idx = np.round(np.linspace(0, len(SEQUENTIAL) - 1, k)).astype(int) if k > 1 else np.array([3])
        return [SEQUENTIAL[i] for i in idx]
    mid = ind.diverging_mid if ind.diverging_mid is not None else 0.0
    lows = np.array([classes.lower, *classes.bins[:-1]])
    centres = (lows + np.array(classes.bins)) / 2 - mid
    span = float(np.abs(centres).max()) or 1.0
    half = len(DIVERGING) // 2
    # Low values take the orange (PuOr) end, high values the purple end; the neutral colour marks the middle.
    idx = np.clip(np.round(half + centres / span * half), 0, len(DIVERGING) - 1).astype(int)
    return [DIVERGING[i] for i in idx]


def class_labels(classes: Classes, ind: Indicator, lang: Lang) -> list[str]:
    lows = [classes.lower, *classes.bins[:-1]]
    unit = ind.unit(lang)

    def fmt(x: float) -> str:
        return format_number(x * ind.scale, decimals=ind.decimals, lang=lang)

    suffix = f" {unit}" if unit else ""
    return [f"{fmt(lo)} – {fmt(hi)}{suffix}" for lo, hi in zip(lows, classes.bins, strict=True)]


def _discrete_colorscale(colours: list[str]) -> list[list[object]]:
    """A step colourscale over z = -2 (protected), -1 (no data), 0 … k-1: exactly one colour per class."""
    all_colours = [SUPPRESSED_COLOUR, NO_DATA_COLOUR, *colours]
    n = len(all_colours)
    scale: list[list[object]] = []
    for i, c in enumerate(all_colours):
        scale += [[i / n, c], [(i + 1) / n, c]]
    return scale


def colour_frame(frame: pd.DataFrame, ind: Indicator, *, scheme: str, k: int, lang: Lang, threshold: int) -> Coloured:
    """Colour the (already protected) values: classes for numbers, fixed colours for categories.

    ``threshold``: the served atlas's protection threshold (``protection.served_threshold``), named in the legend.
    """
    status = frame["status"].to_numpy()
    if ind.kind == "category":
        known = {c.value: c for c in ind.categories}
        present = [v for v in pd.unique(frame.loc[status == "ok", "value"]) if v is not None]
        order = [c.value for c in ind.categories if c.value in present] + sorted(
            str(v) for v in present if v not in known
        )
        colours, entries = [], []
        for i, value in enumerate(order):
            cat = known.get(value)
            colours.append(cat.colour if cat else CATEGORICAL[(len(known) + i) % len(CATEGORICAL)])
            entries.append(LegendEntry(label=cat.label(lang) if cat else value, colour=colours[-1]))
        index = {v: i for i, v in enumerate(order)}
        z = [
            index.get(str(v), Z_MISSING) if s == "ok" else Z_MISSING
            for v, s in zip(frame["value"], status, strict=True)
        ]
        scheme_text = t("categories_legend", lang)
    else:
        values = pd.Series(frame["value"].to_numpy(dtype="float64"))
        classes = classify(values, scheme=scheme, k=k)
        colours = class_colours(ind, classes)
        entries = [
            LegendEntry(label=lbl, colour=c) for c, lbl in zip(colours, class_labels(classes, ind, lang), strict=True)
        ]
        z = [int(c) for c in classes.class_of]
        scheme_text = t("classes_by", lang, scheme=t("scheme_" + scheme, lang), k=classes.k)
    z = [Z_SUPPRESSED if s == SUPPRESSED else zi for zi, s in zip(z, status, strict=True)]
    if (status == SUPPRESSED).any():
        entries.append(LegendEntry(label=t("suppressed_legend", lang, threshold=threshold), colour=SUPPRESSED_COLOUR))
    if (status == MISSING).any() or not entries:
        entries.append(LegendEntry(label=t("no_data", lang), colour=NO_DATA_COLOUR))
    return Coloured(
        z,
        _discrete_colorscale(colours),
        Z_SUPPRESSED,
        max(len(colours) - 1, 0),
        tuple(entries),
        scheme_text,
        threshold,
        quality_notes(frame, lang),
    )


def quality_notes(frame: pd.DataFrame, lang: Lang) -> tuple[str, ...]:
    """What the legend says about how sure the shown figures are: estimates, far snaps (⚠), unreachable areas."""
    if "quality" not in frame.columns:
        return ()
    q = frame.loc[frame["status"].to_numpy() == "ok", "quality"].astype("object")
    n = len(q)
    notes = []
    estimates = int((q == QUALITY_ESTIMATE).sum())
    if estimates:
        notes.append(
            t("legend_estimate", lang) if estimates == n else t("legend_estimate_some", lang, n=estimates, total=n)
        )
    far = int((q == QUALITY_FAR_SNAP).sum())
    if far:
        notes.append(t("legend_far_snap", lang, n=far))
    unreachable = int((q == QUALITY_UNREACHABLE).sum())
    if unreachable:
        notes.append(t("legend_unreachable", lang, n=unreachable))
    return tuple(notes)


def hovertemplate(ind: Indicator, level: str, lang: Lang) -> str:
    parent = f"{t('wijk', lang)}: %{{customdata[1]}}<br>" if level == "buurt" else ""
    return (
        f"<b>%{{customdata[0]}}</b><br>{t('code_' + level, lang)}: %{{location}}<br>{parent}"
        f"{ind.label(lang)}: %{{customdata[2]}}<extra></extra>"
    )


def customdata(frame: pd.DataFrame) -> list[list[str]]:
    """Per feature name, parent wijk and the shown value — for a travel figure followed by how sure it is."""
    parent = frame["wijknaam"] if "wijknaam" in frame else pd.Series("", index=frame.index)
    display = frame["display"]
    if "quality_text" in frame:
        display = pd.Series(
            [f"{d} · {q}" if q else d for d, q in zip(frame["display"], frame["quality_text"], strict=True)],
            index=frame.index,
        )
    return [[n, p, d] for n, p, d in zip(frame["name"], parent, display, strict=True)]


def base_layout(*, center: dict[str, float], zoom: float, style: Any) -> dict[str, Any]:
    """The map: white, or the operator's raster tiles; labels use our own glyphs (no font CDN).

    No layout layers: plotly.js cannot update a layer's source later, so outlines and selection are traces.
    """
    return {
        "map": {"style": style, "center": center, "zoom": zoom},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "showlegend": False,
        "uirevision": "keep-view",
        "paper_bgcolor": BACKGROUND,
        "dragmode": "pan",
        "hoverdistance": 8,  # a team marker should not take the hover (and click) of the buurt around it
    }


def ring_coords(geometries: list[dict[str, Any]]) -> tuple[list[float | None], list[float | None]]:
    """All rings of GeoJSON polygons as one line (None between rings): one trace instead of one per polygon."""
    lons: list[float | None] = []
    lats: list[float | None] = []
    for geom in geometries:
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        for poly in polys:
            for ring in poly:
                lons += [p[0] for p in ring] + [None]
                lats += [p[1] for p in ring] + [None]
    return lons, lats


def outline_trace(
    geometries: list[dict[str, Any]], *, name: str, style: LineStyle, visible: bool = True
) -> go.Scattermap:
    lons, lats = ring_coords(geometries)
    return go.Scattermap(
        lon=lons,
        lat=lats,
        mode="lines",
        line=style.plotly(),
        hoverinfo="skip",
        name=name,
        visible=visible,
    )


def label_trace(names: list[str], points: np.ndarray, *, visible: bool = True) -> go.Scattermap:
    """Wijk names on the map, drawn by MapLibre from the glyphs in our assets (views.mapstyle)."""
    return go.Scattermap(
        lon=points[:, 0].tolist(),
        lat=points[:, 1].tolist(),
        text=names,
        mode="text",
        textfont=text_font(size=13, color=INK, bold=True),
        hoverinfo="skip",
        name="wijknamen",
        visible=visible,
    )


def team_traces(teams: pd.DataFrame, *, lang: Lang, visible: set[str]) -> list[go.Scattermap]:
    """One trace per organisation × kind (toggleable); specialist teams are larger with a dark ring."""
    traces: list[go.Scattermap] = []
    if teams.empty:
        return traces
    for (org, kind), grp in teams.groupby(["organisatie", "soort"], sort=True):
        key = f"{org}|{kind}"
        colour = org_colour(org)
        spec = str(kind) != "buurtteam"
        kind_label = team_kind_label(kind, lang)
        hover = [
            f"<b>{n}</b><br>{org} · {kind_label}{loc}<extra></extra>"
            for n, loc in zip(grp["naam"].astype(str), team_location_lines(grp, lang), strict=True)
        ]
        common = {
            "lon": grp["lon"].tolist(),
            "lat": grp["lat"].tolist(),
            "mode": "markers",
            "meta": key,
            "visible": key in visible,
        }
        # A ring under each marker keeps it visible on any fill: white for buurtteams, black for specialists.
        ring = {"size": 18, "color": INK} if spec else {"size": 13, "color": BACKGROUND}
        traces.append(go.Scattermap(**common, marker=ring, hoverinfo="skip", name=f"{key}|ring"))
        traces.append(
            go.Scattermap(
                **common,
                marker={"size": 12 if spec else 9, "color": colour},
                hovertemplate=hover,
                name=key,
            )
        )
    return traces


def team_location_lines(teams: pd.DataFrame, lang: Lang) -> list[str]:
    """Per team '<br>locatie: postcode 3581 (midden van het postcodegebied, ± 1–2 km)', or '' when the atlas does not say."""
    if "locatie_bron" not in teams.columns:
        return [""] * len(teams)
    details = teams["locatie_detail"] if "locatie_detail" in teams.columns else pd.Series(pd.NA, index=teams.index)
    lines = []
    for bron, detail in zip(teams["locatie_bron"], details, strict=True):
        nl, en = describe_location(bron, detail)
        text = nl if lang == "nl" else en
        lines.append(f"<br>{t('team_location', lang, v=html_escape(text))}" if text else "")
    return lines


def team_key_list(teams: pd.DataFrame) -> list[str]:
    if teams.empty:
        return []
    pairs = teams[["organisatie", "soort"]].drop_duplicates().sort_values(["organisatie", "soort"])
    return [f"{o}|{k}" for o, k in zip(pairs["organisatie"], pairs["soort"], strict=True)]


def choropleth_figure(
    *,
    geojson: Any,
    frame: pd.DataFrame,
    coloured: Coloured,
    ind: Indicator,
    level: str,
    lang: Lang,
    layout: dict[str, Any],
    extra_traces: list[Any] | None = None,
) -> go.Figure:
    """Units coloured by class; ``geojson`` may be a URL (fetched and cached by the browser) or a dict."""
    fig = go.Figure()
    fig.add_trace(
        go.Choroplethmap(
            geojson=geojson,
            locations=frame["code"].tolist(),
            z=coloured.z,
            zmin=coloured.zmin,
            zmax=coloured.zmax,
            colorscale=coloured.colorscale,
            showscale=False,
            marker={"line": AREA_EDGE.plotly(), "opacity": 0.9},
            customdata=customdata(frame),
            hovertemplate=hovertemplate(ind, level, lang),
            name=level,
        )
    )
    for trace in extra_traces or []:
        fig.add_trace(trace)
    fig.update_layout(**layout)
    return fig
