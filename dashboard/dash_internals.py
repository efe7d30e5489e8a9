"""Every use of Dash's undocumented internals, in one place, checked against the Dash it was written for.

Why these exist at all: the map page draws its map before Dash starts (dashboard/first_paint.py), serves
our partial plotly.js bundle instead of Dash's full one and caches Dash's fingerprinted bundles for a year
(dashboard/app.py), and refuses callback payloads that Dash's renderer would never send
(dashboard/callback_guard.py). Dash has no public API for any of that: it does not say which ``<script>``
tags its ``scripts`` and ``renderer`` page parts hold, which of them is @babel/polyfill, how it fingerprints
a bundle's URL, or which callbacks a request may name with which inputs (``app.callback_map``).
Everything else the app does with Dash goes through its public API: ``index_string``, ``interpolate_index``
overridden in a subclass (as Dash's own docstring shows), renderer ``hooks``, ``app.server`` routes and
Flask's before/after_request hooks and error handlers, clientside callbacks, ``Component.to_plotly_json()``.

The browser side of the same bargain (plotly.js's ``_fullLayout``, Dash's ``_dashPlotlyJSURL`` and the class
names of dcc's components) lives in the one asset ``assets/early/dash-internals.js``.

Checked against Dash 4.4.1 (dash-renderer and dcc of that release) and the plotly.js of
``dashboard/plotlyjs/package.json`` (4.1.1). ``tests/test_dash_internals.py`` fails on any other Dash
version, says what to re-check, and checks that each name below still has the shape relied on; it also
checks that no other module or asset touches these internals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import dash
from dash.fingerprint import check_fingerprint

# Dash releases this module (and assets/early/dash-internals.js) was read against; pyproject.toml pins the
# same minor release, so an upgrade past it fails the drift test before it fails a user.
CHECKED_DASH = ("4.4.0", "4.4.1")
CHECKED_PLOTLYJS = "4.1.1"

# The inert type the map page gives Dash's scripts; assets/early/first-map.js runs them once the map is drawn.
DEFERRED_TYPE = "buurtdekking/deferred"
# Dash's @babel/polyfill, served from dash-renderer's deps/ folder (dash/_dash_renderer.py).
POLYFILL_TAG = re.compile(r'<script src="[^"]*/deps/polyfill@[^"]*"></script>')
_SCRIPT_TAG = re.compile(r"<script(?P<attrs>[^>]*)>")
_TYPE = re.compile(r'\stype="[^"]*"')
SUITES = "_dash-component-suites/"


def dash_version() -> str:
    return str(dash.__version__)


def is_checked_version(version: str | None = None) -> bool:
    """The installed Dash (or ``version``) is one this module was checked against."""
    return (version or dash_version()) in CHECKED_DASH


def fingerprinted_bundle(path: str, prefix: str = "/") -> bool:
    """A request path under ``prefix`` is one of Dash's component bundles with its version in the name.

    Dash's own name check (``dash.fingerprint.check_fingerprint``): its bundles are ``name.v<version>m<hash>.js``.
    """
    start = prefix + SUITES
    return path.startswith(start) and bool(check_fingerprint(path[len(start) :])[1])


def swap_polyfill(scripts: str, tag: str) -> str:
    """Dash's ``scripts`` page part with its @babel/polyfill tag replaced by ``tag`` (unchanged without one)."""
    return POLYFILL_TAG.sub(lambda _: tag, scripts, count=1)


def defer_scripts(scripts: str) -> str:
    """Dash's script tags made inert: assets/early/first-map.js runs them, in order, once the map is drawn.

    Relies on Dash's ``scripts`` and ``renderer`` page parts holding nothing but ``<script>`` elements, each of
    which may run later than the parser reaches it (the renderer starts from an inline one).
    """

    def inert(match: re.Match[str]) -> str:
        return f'<script type="{DEFERRED_TYPE}"{_TYPE.sub("", match.group("attrs"))}>'

    return _SCRIPT_TAG.sub(inert, scripts)


def callback_map(app: dash.Dash) -> Mapping[str, Any]:
    """Dash's registry of the app's callbacks: output key → ``inputs``/``state`` (``{"id", "property"}`` dicts),
    ``output`` (an Output or a list of them) and, for a server callback, ``callback``."""
    registry: Mapping[str, Any] = app.callback_map
    return registry
