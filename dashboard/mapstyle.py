"""The map style as the running app serves it: glyph URLs under the app's assets path, operator tiles from the env."""

from __future__ import annotations

import os
from typing import Any

import dash

from views import mapstyle
from views.mapstyle import GLYPHS_PATH, TEXT_FONT, TEXT_FONT_BOLD, text_font

__all__ = [
    "GLYPHS_PATH",
    "TEXT_FONT",
    "TEXT_FONT_BOLD",
    "TILE_ATTRIBUTION_ENV",
    "TILE_URL_ENV",
    "glyphs_url",
    "map_style",
    "text_font",
    "tile_style",
]

TILE_URL_ENV = "BUURTDEKKING_TILE_URL"
TILE_ATTRIBUTION_ENV = "BUURTDEKKING_TILE_ATTRIBUTION"


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


def tile_style() -> dict[str, Any]:
    """The MapLibre style: white, or the operator's raster tiles; map text uses the glyphs in our own assets."""
    return map_style(
        tile_url=os.environ.get(TILE_URL_ENV) or None, tile_attribution=os.environ.get(TILE_ATTRIBUTION_ENV, "")
    )
