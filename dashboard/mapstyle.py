"""The map style as the running app serves it: glyph URLs under the app's assets path, operator tiles from the env."""

from __future__ import annotations

from typing import Any

import dash

from views import mapstyle
from views.mapstyle import GLYPHS_PATH, TEXT_FONT, TEXT_FONT_BOLD, text_font

__all__ = [
    "GLYPHS_PATH",
    "TEXT_FONT",
    "TEXT_FONT_BOLD",
    "glyphs_url",
    "map_style",
    "text_font",
    "tile_style",
]


def glyphs_url() -> str:
    """The glyph URL template under the app's assets URL (honours ``requests_pathname_prefix``).

    Root-relative, so it works behind any host name; MapLibre fetches glyphs from the page, which resolves it.
    Outside a Dash app (a figure built in a script or test) it falls back to Dash's default ``/assets/``.
    """
    try:
        return str(dash.get_asset_url(GLYPHS_PATH))
    except AttributeError:  # no Dash app configured in this process
        return mapstyle.DEFAULT_GLYPHS


def map_style(*, tile_url: str | None = None, tile_attribution: str = "", glyphs: str | None = None) -> dict[str, Any]:
    """views.mapstyle.map_style with this app's glyph URL unless ``glyphs`` is given."""
    return mapstyle.map_style(
        tile_url=tile_url, tile_attribution=tile_attribution, glyphs=glyphs if glyphs is not None else glyphs_url()
    )


def tile_style(tile_url: str | None, tile_attribution: str = "") -> dict[str, Any]:
    """The MapLibre style: white, or the operator's raster tiles (AppSettings); map text uses our own glyphs."""
    return map_style(tile_url=tile_url, tile_attribution=tile_attribution)
