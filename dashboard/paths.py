"""Where the app keeps its atlas and serves its geometry and map style: shared by the app module and its pages."""

from __future__ import annotations

import dash
import flask

ATLAS_CONFIG_KEY = "BUURTDEKKING_ATLAS"
GEO_ROUTE = "/geo/<token>/<level>.json"
MAP_STYLE_ROUTE = "/geo/map-style.json"


def atlas_dir() -> str:
    return str(flask.current_app.config[ATLAS_CONFIG_KEY])


def geo_url(token: str, level: str) -> str:
    """Where the browser fetches a level's GeoJSON (cached: the atlas hash is in the path)."""
    return str(dash.get_relative_path(f"/geo/{token}/{level}.json"))


def map_style_url() -> str:
    """The MapLibre style as a URL: plotly.js compares a style *string* to decide whether to reload the style,
    whereas a style dict that Dash re-sends with every figure Patch makes it rebuild the map (and fail)."""
    return str(dash.get_relative_path(MAP_STYLE_ROUTE))
