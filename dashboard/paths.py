"""Where the app keeps its atlas, which URL prefix it lives under, and where it serves its geometry and map style."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import dash
import flask

from dashboard.errors import ConfigError

ATLAS_CONFIG_KEY = "BUURTDEKKING_ATLAS"
URL_PREFIX_ENV = "BUURTDEKKING_URL_PREFIX"
URL_PREFIX_KEY = "BUURTDEKKING_URL_PREFIX"  # server config: the prefix this app was created with
GEO_ROUTE = "/geo/<token>/<level>.json"
MAP_STYLE_ROUTE = "/geo/map-style.json"
# Path segments a proxy passes on unchanged: no query, fragment, percent-escape, dot-segment or empty segment.
_SEGMENT = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


def atlas_dir() -> str:
    return str(flask.current_app.config[ATLAS_CONFIG_KEY])


def url_prefix_from_env(env: Mapping[str, str] | None = None) -> str:
    """``$BUURTDEKKING_URL_PREFIX`` as Dash wants it ("/jeugd/"), "/" when unset; a ConfigError when it is no path.

    The one place the prefix is read from the environment, for ``buurtdekking serve`` (where ``--url-prefix``
    wins) and the WSGI entry alike.
    """
    env = os.environ if env is None else env
    return normalise_url_prefix(env.get(URL_PREFIX_ENV) or "", source=URL_PREFIX_ENV)


def normalise_url_prefix(raw: str, *, source: str) -> str:
    """``raw`` ("jeugd", "/jeugd") as Dash wants it ("/jeugd/"); a ConfigError naming ``source`` when it is no path."""
    raw = raw.strip()
    segments = raw.strip("/").split("/") if raw.strip("/") else []
    if any(not _SEGMENT.fullmatch(s) or not s.strip(".") for s in segments):
        raise ConfigError(
            f"{source}={raw!r}: geen pad als /jeugd/ (alleen letters, cijfers, '-', '_', '.', '~' tussen de "
            f"'/') / not a path like /jeugd/ (only letters, digits, '-', '_', '.', '~' between the '/')"
        )
    return "/" + "".join(f"{s}/" for s in segments)


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
