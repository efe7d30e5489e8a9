"""The map of a snapshot as a Plotly figure in RD New metres: areas, outlines, teams, legend, scale bar, north arrow.

Drawn on plain x/y axes (not a web map): 1 unit = 1 metre, so the scale bar is exact, no tiles or WebGL
are needed, and kaleido renders it the same on every machine.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import plotly.graph_objects as go
import shapely

from etl.numbers import format_scale_label
from etl.palette import OTHER_ORG_COLOUR, org_colour
from etl.rules.columns import TEAM_SOORTEN
from reports.snapshot import DEMO_COLOUR, Snapshot
from views.i18n import team_kind_label
from views.mapstyle import AREA_EDGE, BACKGROUND, HIGHLIGHT, TEXT_COLOUR, WIJK_OUTLINE

# The map takes the left part of the figure, the legend the right.
MAP_DOMAIN = (0.0, 0.70)
LEGEND_X = 0.73
LEGEND_WRAP = 26  # characters per legend line: the legend column is about a quarter of the figure
SCALE_STEPS = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000)
TEAM_SYMBOLS = dict(zip(TEAM_SOORTEN, ("circle", "diamond"), strict=True))
SYMBOL_GLYPHS = {"circle": "●", "diamond": "◆"}  # the marker's shape in the legend text


def _ring_path(coords: np.ndarray) -> str:
    pts = np.round(coords[:, :2], 1)
    head = f"M{pts[0, 0]:.1f},{pts[0, 1]:.1f}"
    return head + "".join(f"L{x:.1f},{y:.1f}" for x, y in pts[1:-1]) + "Z"


def geometry_path(geom: shapely.Geometry) -> str:
    """An SVG path of all rings (even-odd fill keeps holes open); '' for an empty geometry."""
    if geom is None or geom.is_empty:
        return ""
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        if not isinstance(poly, shapely.Polygon):
            continue
        parts.append(_ring_path(np.asarray(poly.exterior.coords)))
        parts += [_ring_path(np.asarray(r.coords)) for r in poly.interiors]
    return "".join(parts)


def scale_bar_length(map_width_m: float) -> int:
    """A round length of about a fifth of the map width (10 m … 50 km)."""
    target = map_width_m / 5
    return min(SCALE_STEPS, key=lambda s: abs(math.log(s / target)))


def _extent(snapshot: Snapshot, aspect: float) -> tuple[float, float, float, float]:
    """Bounds of the units with a margin, widened to the map's aspect ratio (width / height)."""
    minx, miny, maxx, maxy = snapshot.units.total_bounds
    w, h = max(maxx - minx, 50.0), max(maxy - miny, 50.0)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w, h = w * 1.08, h * 1.12
    if w / h > aspect:
        h = w / aspect
    else:
        w = h * aspect
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def map_figure(snapshot: Snapshot, *, width: int = 1200, height: int = 820, font_size: int = 13) -> go.Figure:
    """The snapshot's map with its legend; ``width``/``height`` in CSS pixels (96 per inch)."""
    top_px, bottom_px = 64, 40
    map_w = width * (MAP_DOMAIN[1] - MAP_DOMAIN[0])
    map_h = height - top_px - bottom_px
    x0, y0, x1, y1 = _extent(snapshot, map_w / map_h)
    tolerance = max((x1 - x0) / 2500, 0.5)
    fig = go.Figure()
    shapes: list[dict[str, object]] = []
    for geom, colour, code in zip(
        snapshot.units.geometry, snapshot.units["kleur"], snapshot.units["code"], strict=True
    ):
        path = geometry_path(shapely.simplify(geom, tolerance, preserve_topology=True))
        if path:
            shapes.append(
                {
                    "type": "path",
                    "path": path,
                    "fillcolor": colour,
                    "fillrule": "evenodd",
                    "layer": "below",
                    "line": AREA_EDGE.plotly(),
                    "xref": "x",
                    "yref": "y",
                    "name": str(code),
                }
            )
    if snapshot.context is not None:
        for geom in snapshot.context.geometry:
            path = geometry_path(shapely.simplify(geom, tolerance, preserve_topology=True))
            if path:
                shapes.append({"type": "path", "path": path, "line": WIJK_OUTLINE.plotly(), "layer": "below"})
    if snapshot.highlight:
        sel = snapshot.units[snapshot.units["code"] == snapshot.highlight]
        for geom in sel.geometry:
            shapes.append({"type": "path", "path": geometry_path(geom), "line": HIGHLIGHT.plotly()})
    shapes += _scale_bar(x0, y0, x1, y1)
    annotations = [*_scale_label_annotations(x0, y0, x1, y1, font_size), _north_arrow(font_size)]
    annotations += _legend(snapshot, font_size, shapes)
    if snapshot.teams is not None and len(snapshot.teams):
        _add_teams(fig, snapshot)
    annotations.append(
        {
            "text": f"<b>{_esc(snapshot.indicator_label)}</b><br>{_esc(snapshot.area_name)} ({_esc(snapshot.area_code)})"
            + (f" · {_esc(snapshot.period)}" if snapshot.period else ""),
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "y": 1,
            "yanchor": "bottom",
            "xanchor": "left",
            "showarrow": False,
            "align": "left",
            "font": {"size": font_size + 3},
            "yshift": 8,
        }
    )
    footer = snapshot.attribution + (" Fictieve demodata." if snapshot.is_demo else "")
    annotations.append(
        {
            "text": _esc(footer),
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "y": 0,
            "yanchor": "top",
            "xanchor": "left",
            "showarrow": False,
            "font": {"size": font_size - 3, "color": "#555555"},
            "yshift": -6,
        }
    )
    if snapshot.is_demo:
        annotations.append(
            {
                "text": "<b>FICTIEVE DEMODATA</b>",
                "xref": "paper",
                "yref": "paper",
                "x": MAP_DOMAIN[1],
                "y": 1,
                "xanchor": "right",
                "yanchor": "top",
                "showarrow": False,
                "font": {"size": font_size, "color": DEMO_COLOUR},
                "bgcolor": BACKGROUND,
                "bordercolor": DEMO_COLOUR,
                "borderwidth": 1,
                "borderpad": 3,
            }
        )
    fig.update_layout(
        width=width,
        height=height,
        paper_bgcolor=BACKGROUND,
        plot_bgcolor=BACKGROUND,
        margin={"l": 12, "r": 12, "t": top_px, "b": bottom_px},
        xaxis={"visible": False, "range": [x0, x1], "domain": list(MAP_DOMAIN), "fixedrange": True},
        yaxis={"visible": False, "range": [y0, y1], "scaleanchor": "x", "scaleratio": 1, "fixedrange": True},
        shapes=shapes,
        annotations=annotations,
        showlegend=False,
        font={"family": "DejaVu Sans, Arial, sans-serif", "size": font_size, "color": TEXT_COLOUR},
    )
    return fig


def _esc(text: str) -> str:
    """Plotly annotations render a subset of HTML: keep user text literal."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _scale_bar_place(x0: float, y0: float, x1: float, y1: float) -> tuple[int, float, float, float]:
    """The bar's length (m), its lower left corner and its height, near the map's lower left corner."""
    return scale_bar_length(x1 - x0), x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04, (y1 - y0) * 0.008


def _scale_bar(x0: float, y0: float, x1: float, y1: float) -> list[dict[str, object]]:
    length, bx, by, bh = _scale_bar_place(x0, y0, x1, y1)
    half = length / 2
    return [
        {
            "type": "rect",
            "x0": bx,
            "x1": bx + half,
            "y0": by,
            "y1": by + bh,
            "fillcolor": TEXT_COLOUR,
            "line": {"color": TEXT_COLOUR, "width": 1},
        },
        {
            "type": "rect",
            "x0": bx + half,
            "x1": bx + length,
            "y0": by,
            "y1": by + bh,
            "fillcolor": BACKGROUND,
            "line": {"color": TEXT_COLOUR, "width": 1},
        },
    ]


def _scale_label_annotations(x0: float, y0: float, x1: float, y1: float, font_size: int) -> list[dict[str, object]]:
    length, bx, by, bh = _scale_bar_place(x0, y0, x1, y1)
    return [
        {
            "text": "0",
            "x": bx,
            "y": by + bh,
            "xref": "x",
            "yref": "y",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": font_size - 2},
        },
        {
            "text": format_scale_label(length),
            "x": bx + length,
            "y": by + bh,
            "xref": "x",
            "yref": "y",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": font_size - 2},
        },
    ]


def _north_arrow(font_size: int) -> dict[str, object]:
    return {
        "text": "<b>N</b>",
        "xref": "paper",
        "yref": "paper",
        "x": 0.03,
        "y": 0.97,
        "ax": 0,
        "ay": 42,
        "showarrow": True,
        "arrowhead": 2,
        "arrowsize": 1.6,
        "arrowwidth": 2.5,
        "arrowcolor": TEXT_COLOUR,
        "xanchor": "center",
        "yanchor": "bottom",
        "font": {"size": font_size + 2},
        "standoff": 0,
        "startstandoff": 0,
    }


def _legend(snapshot: Snapshot, font_size: int, shapes: list[dict[str, object]]) -> list[dict[str, object]]:
    notes: list[dict[str, object]] = [
        {
            "text": f"<b>{_esc('Legenda')}</b><br>{_esc(snapshot.legend_title)}",
            "xref": "paper",
            "yref": "paper",
            "x": LEGEND_X,
            "y": 1,
            "xanchor": "left",
            "yanchor": "top",
            "showarrow": False,
            "align": "left",
        }
    ]
    step, y = 0.05, 0.86
    for entry in snapshot.legend:
        lines = textwrap.wrap(entry.label, LEGEND_WRAP) or [""]
        shapes.append(
            {
                "type": "rect",
                "xref": "paper",
                "yref": "paper",
                "x0": LEGEND_X,
                "x1": LEGEND_X + 0.03,
                "y0": y - 0.018,
                "y1": y + 0.018,
                "fillcolor": entry.colour,
                "line": {"color": "#777777", "width": 0.5},
            }
        )
        notes.append(
            {
                "text": "<br>".join(_esc(line) for line in lines),
                "xref": "paper",
                "yref": "paper",
                "x": LEGEND_X + 0.04,
                "y": y + 0.018,
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "align": "left",
                "font": {"size": font_size - 1},
            }
        )
        y -= step + 0.032 * (len(lines) - 1)
    if snapshot.teams is not None and len(snapshot.teams):
        for soort, symbol in TEAM_SYMBOLS.items():
            label = f"{SYMBOL_GLYPHS[symbol]} {team_kind_label(soort, 'nl')}"
            if (snapshot.teams.get("soort") == soort).any():
                notes.append(
                    {
                        "text": _esc(label),
                        "xref": "paper",
                        "yref": "paper",
                        "x": LEGEND_X,
                        "y": y,
                        "xanchor": "left",
                        "yanchor": "middle",
                        "showarrow": False,
                        "font": {"size": font_size - 1},
                    }
                )
                y -= step
    for text in snapshot.quality_notes:  # how sure the travel figures are: under the legend, small
        lines = textwrap.wrap(text, LEGEND_WRAP + 6) or [""]
        notes.append(
            {
                "text": "<br>".join(_esc(line) for line in lines),
                "xref": "paper",
                "yref": "paper",
                "x": LEGEND_X,
                "y": y,
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "align": "left",
                "font": {"size": font_size - 2},
            }
        )
        y -= 0.03 * len(lines) + 0.02
    return notes


def _add_teams(fig: go.Figure, snapshot: Snapshot) -> None:
    teams = snapshot.teams
    assert teams is not None
    soort = teams["soort"].astype(str) if "soort" in teams else None
    org = teams["organisatie"].astype(str) if "organisatie" in teams else None
    fig.add_trace(
        go.Scatter(
            x=teams.geometry.x,
            y=teams.geometry.y,
            mode="markers",
            hoverinfo="skip",
            marker={
                "size": 10,
                "symbol": [TEAM_SYMBOLS.get(s, "square") for s in soort] if soort is not None else "circle",
                "color": [org_colour(o) for o in org] if org is not None else OTHER_ORG_COLOUR,
                "line": {"color": BACKGROUND, "width": 1.5},
            },
        )
    )
