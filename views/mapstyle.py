"""The MapLibre style of every map: white background, optional raster tiles, label glyphs from our own assets."""

from __future__ import annotations

from typing import Any, NamedTuple

# Font stacks committed under assets/glyphs/ (views/glyphs.py); use them as a text trace's textfont.family.
# Plotly defaults map text to "Open Sans Regular", which is not served: a text trace without one of these
# families makes MapLibre request a glyph file that does not exist.
TEXT_FONT = "DejaVu Sans Book"
TEXT_FONT_BOLD = "DejaVu Sans Bold"
GLYPHS_PATH = "glyphs/{fontstack}/{range}.pbf"
BACKGROUND = "#ffffff"
INK = "#1a1a1a"  # what is drawn over the areas: outlines, area names, the ring of a specialist team
TEXT_COLOUR = "#222222"  # other text on a map: titles, legend, scale bar
# Dash's default assets URL; inside the app dashboard.mapstyle passes the one under the served prefix.
DEFAULT_GLYPHS = "/assets/" + GLYPHS_PATH


class LineStyle(NamedTuple):
    """A line drawn over the areas: colour and width in CSS pixels."""

    color: str
    width: float

    def plotly(self) -> dict[str, Any]:
        """As a plotly ``line`` (a new dict each time: plotly may keep and change what it is given)."""
        return {"color": self.color, "width": self.width}


# The lines of the map on screen; the exported maps (reports.mapfig) draw the same, so a PDF looks like the app.
AREA_EDGE = LineStyle(BACKGROUND, 0.6)  # between the coloured areas
WIJK_OUTLINE = LineStyle(INK, 2.2)  # the wijken (or gemeenten) over the buurten
HIGHLIGHT = LineStyle("#cc0000", 4)  # the chosen buurt; its colour also rings the teams a what-if changed


def map_style(*, tile_url: str | None = None, tile_attribution: str = "", glyphs: str | None = None) -> dict[str, Any]:
    """A complete MapLibre style (version 8) for ``layout.map.style``: white background, glyphs from our assets,
    and, when an operator configures ``tile_url`` (an XYZ template), a raster basemap under the data."""
    sources: dict[str, Any] = {}
    layers: list[dict[str, Any]] = [
        {"id": "background", "type": "background", "paint": {"background-color": BACKGROUND}},
    ]
    if tile_url:
        sources["basemap"] = {
            "type": "raster",
            "tiles": [tile_url],
            "tileSize": 256,
            "attribution": tile_attribution,
        }
        layers.append({"id": "basemap", "type": "raster", "source": "basemap"})
    return {
        "version": 8,
        "name": "buurtdekking",
        "sources": sources,
        "layers": layers,
        "glyphs": glyphs if glyphs is not None else DEFAULT_GLYPHS,
    }


def text_font(*, size: float = 12, color: str = TEXT_COLOUR, bold: bool = False) -> dict[str, Any]:
    """A ``textfont`` for map text traces (Scattermap ``mode="text"``) drawn with the locally served glyphs."""
    return {"family": TEXT_FONT_BOLD if bold else TEXT_FONT, "size": size, "color": color}
