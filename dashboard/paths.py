"""Where the app keeps its atlas and settings, the URL prefix it lives under, and where it serves geometry and style."""

from __future__ import annotations

import dash
import flask

from dashboard.settings import AppSettings
from views.data import AtlasView, get_view

ATLAS_CONFIG_KEY = "BUURTDEKKING_ATLAS"
URL_PREFIX_KEY = "BUURTDEKKING_URL_PREFIX"  # server config: the prefix this app was created with
SETTINGS_KEY = "buurtdekking_settings"  # in server.extensions: the AppSettings create_app was given
GEO_ROUTE = "/geo/<token>/<level>.json"
MAP_STYLE_ROUTE = "/geo/map-style.json"


def atlas_dir() -> str:
    return str(flask.current_app.config[ATLAS_CONFIG_KEY])


def app_settings() -> AppSettings:
    """The settings of the app serving this request."""
    settings: AppSettings = flask.current_app.extensions[SETTINGS_KEY]
    return settings


def atlas_view() -> AtlasView:
    """The view of this app's atlas, its published tables in the work cache create_app chose (disk or Redis)."""
    return get_view(atlas_dir())


def url_prefix() -> str:
    """The prefix of the app serving this request ("/" outside a request)."""
    if not flask.has_app_context():
        return "/"
    return str(flask.current_app.config.get(URL_PREFIX_KEY, "/"))


def server_route(app: dash.Dash, rule: str) -> str:
    """A Flask route rule of ours under the app's prefix, as Dash registers its own (``/geo/…`` → ``/jeugd/geo/…``)."""
    return str(app.config.routes_pathname_prefix) + rule.lstrip("/")


def geo_url(token: str, level: str) -> str:
    """Where the browser fetches a level's GeoJSON (cached: the atlas hash is in the path)."""
    return str(dash.get_relative_path(f"/geo/{token}/{level}.json"))


def map_style_url() -> str:
    """The MapLibre style as a URL: plotly.js compares a style *string* to decide whether to reload the style,
    whereas a style dict that Dash re-sends with every figure Patch makes it rebuild the map (and fail)."""
    return str(dash.get_relative_path(MAP_STYLE_ROUTE))
