"""create_app(store) → the Dash app (Dash Pages); ``server`` is the Flask app for gunicorn."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import dash
import flask
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update
from dash.exceptions import DependencyException
from flask import stream_with_context
from flask_compress import Compress

from dashboard import ids, logs
from dashboard.callback_guard import guard_callbacks, on_callback_error, render_error_notice
from dashboard.dash_internals import defer_scripts, fingerprinted_bundle, swap_polyfill
from dashboard.errors import ConfigError
from dashboard.export_ui import register_export_route
from dashboard.first_paint import (
    FIRST_PAINT_MARK,
    early_script,
    gzip_chunks,
    map_fetches,
    page_map_spec,
    skeleton,
)
from dashboard.mapstyle import glyphs_url, tile_style
from dashboard.paths import (
    ATLAS_CONFIG_KEY,
    GEO_ROUTE,
    MAP_STYLE_ROUTE,
    SETTINGS_KEY,
    URL_PREFIX_KEY,
    app_settings,
    atlas_view,
    server_route,
    url_prefix,
)
from dashboard.redis_store import RedisAttemptStore, RedisSessionStore, connect
from dashboard.security import harden
from dashboard.session import SessionStore, init_sessions
from dashboard.settings import AppSettings, normalise_prefix
from dashboard.uploads import upload_limits
from etl.store import open_store, store_key
from geodata.errors import InputError, Problem
from views.cache import DiskCache, RedisCache, use_cache
from views.i18n import Lang, aria, t
from views.state import parse_state

PACKAGE_DIR = Path(__file__).resolve().parent
# Fingerprinted URLs (atlas hash in the path) never change content: let browsers keep them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
NAV_PAGES = ("kaart", "tabel", "watals", "eigen_gegevens", "bronnen")
# plotly.js with only the trace types the app draws (built by `make plotly-bundle` from dashboard/plotlyjs);
# assets/plotly-loader.js loads it instead of Dash's full plotly.min.js. A test checks every figure's traces.
PLOTLY_BUNDLE = "vendor/plotly-buurtdekking.min.js"
PLOTLY_BUNDLE_TRACES = ("choroplethmap", "scattermap", "bar")
# Dash loads @babel/polyfill (core-js 2, for browsers without ES2015) before React: about 0.17 s of script
# evaluation on every first load. Current browsers need only its regenerator runtime (built beside plotly.js).
REGENERATOR = "vendor/regenerator-runtime.min.js"
FIRST_MAP_SCRIPT = "early/first-map.js"
# Every touch of Dash's and plotly.js's internals in the browser (dashboard/dash_internals.py says why), loaded
# first in every page's <head> so that plotly-loader.js, first-map.js, map.js and a11y.js find it.
DASH_INTERNALS_SCRIPT = "early/dash-internals.js"
FIRST_PAINT_PAGES = ("kaart",)  # pages whose HTML carries their first paint (dashboard/first_paint.py)
# Dash's page template (its public index_string) as ours: the language of the page, and Dash's scripts in a
# <div> where Dash puts a <footer> (a second "contentinfo" landmark beside ours); {head} is what we add.
INDEX_STRING = """<!DOCTYPE html>
<html lang="nl">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {head}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <div>
            {%config%}
            {%scripts%}
            {%renderer%}
        </div>
    </body>
</html>"""


def _page_name(page: dict[str, Any]) -> str:
    """A registered page's module name without its package ("kaart"): how the app names its pages."""
    return str(page["module"]).rsplit(".", 1)[-1]


def _page(module_suffix: str) -> dict[str, Any] | None:
    for module, page in dash.page_registry.items():
        if module.split(".")[-1] == module_suffix:
            return dict(page)
    return None


def _page_for_path(pathname: str | None) -> dict[str, Any] | None:
    path = "/" + dash.strip_relative_path(pathname or "/").strip("/")
    for page in dash.page_registry.values():
        if page["path"].rstrip("/") == path.rstrip("/") or (page["path"] == "/" and path == "/"):
            return dict(page)
    return None


def _problems_notice(problems: list[Problem], lang: Lang) -> html.Div | None:
    if not problems:
        return None
    return html.Div(
        [
            html.H2(t("link_problem", lang), className="notice-title"),
            html.Ul([html.Li(p.nl if lang == "nl" else p.en) for p in problems]),
        ],
        className="notice",
        role="alert",
    )


def _demo_banner(lang: Lang) -> html.P | None:
    try:
        view = atlas_view()
    except InputError:
        return None
    return html.P(t("demo_banner", lang), className="demo-banner") if view.is_demo() else None


def render_shell(page: dict[str, Any] | None, query: dict[str, str], lang: Lang, problems: list[Problem]) -> list[Any]:
    """Header, navigation, the page and the footer, all in ``lang``."""
    if page is None:
        body: Any = html.Div(
            [
                html.H1(t("page_not_found", lang)),
                dcc.Link(t("page_not_found_text", lang), href=dash.get_relative_path("/")),
            ],
            className="page",
        )
        current = ""
    else:
        body = page["layout"](**query) if callable(page["layout"]) else page["layout"]
        current = _page_name(page)
    nav = []
    for suffix in NAV_PAGES:
        p = _page(suffix)
        if p is None:
            continue
        nav.append(
            dcc.Link(
                t(f"page_{suffix}", lang),
                href=p["relative_path"],
                id={"type": "nav-link", "path": p["relative_path"]},
                className="nav-link current" if suffix == current else "nav-link",
            )
        )
    return [
        html.A(t("skip_link", lang), href="#main", className="skip-link"),
        html.Header(
            className="site-header",
            children=[
                html.Img(src=dash.get_asset_url("logo.svg"), alt="", className="logo", width=36, height=36),
                html.Div(
                    [
                        html.P(t("app_title", lang), className="site-title"),
                        html.P(t("app_subtitle", lang), className="site-subtitle"),
                    ]
                ),
                html.Nav(nav, className="site-nav", **aria(label=t("main_menu", lang))),
                html.Button(
                    t("lang_toggle", lang),
                    id=ids.LANG_TOGGLE,
                    className="lang-toggle",
                    lang="en" if lang == "nl" else "nl",
                    title=t("lang_toggle_label", lang),
                    n_clicks=0,
                ),
            ],
        ),
        html.Main(
            [_demo_banner(lang), _problems_notice(problems, lang), body],
            id="main",
            className="site-main",
            tabIndex="-1",
        ),
        html.Footer(t("source", lang), className="site-footer"),
    ]


def _initial_url() -> tuple[str, str] | None:
    """Path and query of the page that asks for the layout, from the Referer the browser sends with it.

    With it the first page is part of the layout response itself: no extra round trip to the router
    callback before the map can start drawing. Without it (or from another host) the router renders it.
    """
    if not flask.has_request_context() or not flask.request.referrer:
        return None
    parts = urlsplit(flask.request.referrer)
    if parts.netloc != flask.request.host:
        return None
    return parts.path or "/", f"?{parts.query}" if parts.query else ""


def render_route(pathname: str | None, search: str | None) -> tuple[list[Any], dict[str, Any]]:
    """The shell for a URL, and what the router remembers of it (path, language, document title)."""
    state, problems = parse_state(search or "")
    page = _page_for_path(pathname)
    title = (
        f"{t('page_' + _page_name(page), state.lang)} · {t('app_title', state.lang)}"
        if page
        else t("page_not_found", state.lang)
    )
    return render_shell(page, _query_dict(search), state.lang, problems), {
        "pathname": pathname or "/",
        "lang": state.lang,
        "title": title,
    }


def _layout() -> html.Div:
    initial = _initial_url()
    content, route = None, None
    if initial:
        try:
            content, route = render_route(*initial)
        except Exception as exc:
            # A page that fails to render must not take the shell down with it: leave it to the router,
            # whose callback error shows the render-error notice (dashboard/callback_guard.py).
            logs.render_error(callback="layout", exc=exc)
            initial = None
    # Location given the page's own path and query: on mount it finds nothing changed, so no callback
    # fires for it; without them it reports the URL and the router renders the page.
    location = {"pathname": initial[0], "search": initial[1]} if initial else {}
    return html.Div(
        className="shell",
        children=[
            dcc.Location(id=ids.URL, refresh=False, **location),
            dcc.Store(id=ids.ROUTE, data=route),
            dcc.Store(id=ids.META_SINK),
            dcc.Store(id=ids.LANG_SINK),
            render_error_notice(),
            html.Div(content, id=ids.SHELL_CONTENT, className="shell-content"),
        ],
    )


def _register_routing(app: Dash) -> None:
    # Our own router instead of dash.page_container: Dash Pages' router re-renders the page on every
    # change of the query string, which would rebuild the map and lose keyboard focus on each pick.
    # Here the page is rebuilt only when the path or the language changes; within a page the view
    # state flows URL ↔ controls through each page's own callbacks. The first page comes with the layout
    # (see _layout), so the router does not run on load.
    @app.callback(
        Output(ids.SHELL_CONTENT, "children"),
        Output(ids.ROUTE, "data"),
        Input(ids.URL, "pathname"),
        Input(ids.URL, "search"),
        State(ids.ROUTE, "data"),
        prevent_initial_call=True,
    )
    def route(pathname: str | None, search: str | None, current: dict[str, Any] | None) -> tuple[Any, Any]:
        # What the browser's location reports: anything else (a crafted request) is the map page without a query.
        pathname = pathname if isinstance(pathname, str) and pathname.startswith("/") else "/"
        search = search if isinstance(search, str) else ""
        current = current if isinstance(current, dict) else None
        state, _ = parse_state(search or "")
        key = {"pathname": pathname or "/", "lang": state.lang}
        if current and {k: current.get(k) for k in key} == key:
            return no_update, no_update
        return render_route(pathname, search)

    app.clientside_callback(
        ClientsideFunction("buurtdekking", "pageMeta"),
        Output(ids.META_SINK, "data"),
        Input(ids.ROUTE, "data"),
    )
    app.clientside_callback(
        ClientsideFunction("buurtdekking", "toggleLang"),
        Output(ids.LANG_SINK, "data"),
        Input(ids.LANG_TOGGLE, "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("buurtdekking", "navHrefs"),
        Output({"type": "nav-link", "path": ALL}, "href"),
        Input(ids.URL, "search"),
        State({"type": "nav-link", "path": ALL}, "id"),
    )


def _query_dict(search: str | None) -> dict[str, str]:

    return dict(parse_qsl((search or "").lstrip("?")))


def _register_geo_route(app: Dash) -> None:
    server: flask.Flask = app.server

    @server.route(server_route(app, MAP_STYLE_ROUTE))
    def style() -> flask.Response:
        settings = app_settings()
        resp = flask.Response(
            json.dumps(tile_style(settings.tile_url, settings.tile_attribution)), mimetype="application/json"
        )
        resp.headers["Cache-Control"] = "no-cache"  # tiny; the operator may change the tile configuration
        return resp

    @server.route(server_route(app, GEO_ROUTE))
    def geo(token: str, level: str) -> flask.Response:
        view = atlas_view()
        layer = view.layers.get(level)
        if layer is None:
            flask.abort(404)
        gzip_ok = "gzip" in flask.request.headers.get("Accept-Encoding", "")
        body = layer.geojson_gzip if gzip_ok else layer.geojson_bytes
        resp = flask.Response(body, mimetype="application/geo+json")
        if gzip_ok:
            resp.headers["Content-Encoding"] = "gzip"
        resp.headers["Vary"] = "Accept-Encoding"
        # An old token (the atlas was rebuilt) still gets the current geometry, just not cached for long.
        resp.headers["Cache-Control"] = IMMUTABLE if token == view.token else "no-cache"
        return resp


def _fingerprinted(request: flask.Request) -> bool:
    """Dash's component bundles with a version in the name, and our assets with ``?m=<mtime>``: never changing."""
    prefix = url_prefix()
    if fingerprinted_bundle(request.path, prefix):
        return True
    return request.path.startswith(prefix + "assets/") and "m" in request.args


class _CompressedStatic:
    """flask-compress's cache: compressed fingerprinted files, per worker (plotly.js alone takes tens of
    milliseconds to compress, for every visitor). Anything else has an empty key and is never kept."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self._store.get(key)

    def set(self, key: str, value: bytes) -> None:
        if not key.endswith(";"):
            self._store[key] = value


def _compress_key(request: flask.Request) -> str:
    return request.full_path if _fingerprinted(request) else ""


def _cache_static(app: Dash) -> None:
    server: flask.Flask = app.server

    @server.errorhandler(DependencyException)
    def not_a_bundle(_: DependencyException) -> tuple[str, int, dict[str, str]]:
        # Dash's answer to a bundle path it does not know: a 404, not an internal error.
        return "Niet gevonden / not found\n", 404, {"Content-Type": "text/plain; charset=utf-8"}

    @server.after_request
    def cache_headers(resp: flask.Response) -> flask.Response:
        # Dash fingerprints its component bundles and our assets (?m=<mtime>): safe to cache. Its lazily
        # loaded chunks (async-*.js) carry no fingerprint and keep Dash's own ETag revalidation.
        if _fingerprinted(flask.request) and resp.status_code < 400:  # an error is never cached (security.py)
            resp.headers["Cache-Control"] = IMMUTABLE
            if resp.is_streamed and resp.status_code == 200:
                # A file is sent as a stream, which flask-compress compresses afresh for every request
                # (70 ms of brotli for plotly.js, holding the GIL); read whole, it takes the cached copy.
                resp.direct_passthrough = False
                resp.get_data()
        return resp


def _vendor_url(app: Dash, name: str) -> str | None:
    """The fingerprinted URL (``?m=<mtime>``, cached for a year) of a built file in assets/, None when not built."""
    path = app_settings_of(app).assets_dir / name
    return f"{app.get_asset_url(name)}?m={path.stat().st_mtime}" if path.exists() else None


def _index_string(app: Dash) -> str:
    """Our page template: the internals script first, then the preload of our plotly.js bundle when it was built.

    With the link the page downloads the bundle from the start (assets/plotly-loader.js runs it); without it
    Dash's own plotly.min.js is used, just slower.
    """
    head = []
    internals = _vendor_url(app, DASH_INTERNALS_SCRIPT)
    if internals is not None:
        head.append(f'<script src="{internals}"></script>')
    plotly = _vendor_url(app, PLOTLY_BUNDLE)
    if plotly is not None:
        head.append(f'<link rel="preload" as="script" id="plotly-bundle" href="{plotly}">')
    return INDEX_STRING.replace("{head}", "\n        ".join(head))


class BuurtdekkingDash(Dash):
    """Dash with this app's edits of every page's HTML, made by overriding ``interpolate_index`` as Dash's
    documentation of that method shows; ``page_edits`` change its parts (scripts, renderer, app_entry …)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.page_edits: list[Callable[[dict[str, str]], None]] = []
        super().__init__(*args, **kwargs)

    def interpolate_index(
        self,
        metas: str = "",
        title: str = "",
        css: str = "",
        config: str = "",
        scripts: str = "",
        app_entry: str = "",
        favicon: str = "",
        renderer: str = "",
    ) -> str:
        parts = {
            "metas": metas,
            "title": title,
            "css": css,
            "config": config,
            "scripts": scripts,
            "app_entry": app_entry,
            "favicon": favicon,
            "renderer": renderer,
        }
        for edit in self.page_edits:
            edit(parts)
        return str(super().interpolate_index(**parts))


def _drop_polyfill(app: BuurtdekkingDash) -> None:
    """Serve the regenerator runtime in place of Dash's @babel/polyfill (unchanged when it was not built)."""
    src = _vendor_url(app, REGENERATOR)
    if src is None:
        return
    tag = f'<script src="{src}"></script>'

    def swap(parts: dict[str, str]) -> None:
        parts["scripts"] = swap_polyfill(parts["scripts"], tag)

    app.page_edits.append(swap)


def _first_paint_page() -> bool:
    """The requested page is one whose HTML carries its first paint."""
    if not flask.has_request_context():
        return False
    page = _page_for_path(flask.request.path)
    return page is not None and _page_name(page) in FIRST_PAINT_PAGES


def _first_paint(app: BuurtdekkingDash) -> None:
    """The map page's HTML carries the page and its map, drawn before Dash starts (dashboard/first_paint.py).

    The HTML is sent in two parts: up to plotly.js at once, so that the browser loads and runs it while
    the server renders the page; then the page, its figure and the scripts that follow.
    """
    plotly_src, first_map_src = _vendor_url(app, PLOTLY_BUNDLE), _vendor_url(app, FIRST_MAP_SCRIPT)
    if plotly_src is None or first_map_src is None:
        return  # without our plotly.js bundle the page is Dash's own

    def mark(parts: dict[str, str]) -> None:
        if not _first_paint_page():
            return
        # Dash's scripts run after the map is drawn, and download only then: on two cores their
        # download and compilation alongside held the map up by half a second.
        parts["scripts"] = defer_scripts(parts["scripts"])
        parts["renderer"] = defer_scripts(parts["renderer"])
        parts["app_entry"] = (
            early_script(plotly_src) + FIRST_PAINT_MARK + parts["app_entry"] + early_script(first_map_src)
        )

    app.page_edits.append(mark)
    # After flask-compress's hook has been added, so that this one runs before it: the page it sees is then
    # already gzip-encoded, which it leaves alone.
    app.server.after_request(_streamed)


def _streamed(resp: flask.Response) -> flask.Response:
    """A page that carries the first-paint mark, sent in its two parts with the first paint rendered between."""
    if (
        flask.request.method != "GET"
        or resp.status_code != 200
        or resp.mimetype != "text/html"
        or resp.is_streamed
        or FIRST_PAINT_MARK not in (page := resp.get_data(as_text=True))
    ):
        return resp
    head, tail = page.split(FIRST_PAINT_MARK, 1)

    def parts() -> Iterator[str]:
        yield head
        yield _first_map_page()  # rendered while the browser already runs plotly.js
        yield tail

    chunks = stream_with_context(parts())
    gzip = "gzip" in flask.request.headers.get("Accept-Encoding", "")
    streamed = flask.Response(gzip_chunks(chunks) if gzip else chunks, mimetype="text/html")
    if gzip:
        streamed.headers["Content-Encoding"] = "gzip"  # flask-compress leaves an encoded response alone
    streamed.headers["Vary"] = "Accept-Encoding"
    return streamed


def _first_map_page() -> str:
    """The static first paint of the requested page with its map ("" when it has none: Dash renders it)."""
    try:
        query = flask.request.query_string.decode()
        content, _ = render_route(flask.request.path, f"?{query}" if query else "")
        spec = page_map_spec(content)
        return skeleton(content, spec, preload=map_fetches(spec, glyphs_url())) if spec else ""
    except Exception as exc:
        # The page's first part is already sent: leave the page to Dash, whose layout then renders it (or
        # reports its error) as on any other page. first-map.js starts Dash at once when no map is there.
        logs.render_error(callback="first_paint", exc=exc)
        return ""


def app_settings_of(app: Dash) -> AppSettings:
    """The settings ``app`` was created with (outside a request)."""
    settings: AppSettings = app.server.extensions[SETTINGS_KEY]
    return settings


def create_app(
    atlas_dir: str | os.PathLike[str], *, settings: AppSettings | None = None, url_prefix: str | None = None
) -> Dash:
    """A fresh app serving the atlas in the store ``atlas_dir`` (a directory or a postgresql:// URL) with ``settings`` (None: read once from the environment),
    under ``url_prefix`` (default the settings' ``BUURTDEKKING_URL_PREFIX``, else ``/``: every page, asset,
    callback and download lives under it); every asset comes from our own folder."""
    settings = AppSettings.from_environ() if settings is None else settings
    prefix = settings.url_prefix if url_prefix is None else normalise_prefix(url_prefix)
    app = BuurtdekkingDash(
        __name__,
        url_base_pathname=prefix,
        use_pages=True,
        pages_folder=str(PACKAGE_DIR / "pages"),
        assets_folder=str(settings.assets_dir),
        # Served, not included as a <script>: plotly-loader.js loads the bundle, the map page's HTML first-map.js.
        assets_path_ignore=["vendor", "early"],
        hooks={"layout_pre": "window.buurtdekkingLoadPlotly"},
        serve_locally=True,
        title=t("app_title"),
        update_title="",
        suppress_callback_exceptions=True,
        on_error=on_callback_error,
    )
    app.server.config[URL_PREFIX_KEY] = prefix
    app.server.extensions[SETTINGS_KEY] = settings
    # With Redis the login back-off, per-user state and cached work are shared by every host; without, they
    # stay on this machine. Connected before anything is installed, so that an unreachable Redis stops the app.
    client = connect(settings.redis_url) if settings.redis_url else None
    store = RedisSessionStore.from_settings(client, settings) if client else SessionStore.from_settings(settings)
    use_cache(RedisCache(client) if client else DiskCache(settings.etl.cache_dir))
    # Login and security headers first, so that the login check runs before any other hook and the headers
    # are set after all of them; then per-user sessions, the upload size and the export route.
    harden(app, settings, attempts=RedisAttemptStore(client) if client else None)
    init_sessions(app, store)
    # dcc.Upload sends the file base64-encoded inside a JSON callback: 4/3 of its size, plus the rest of the
    # request. Anything larger than three times the upload limit is refused before it is read.
    app.server.config["MAX_CONTENT_LENGTH"] = 4 * upload_limits(settings).max_bytes + 1024 * 1024
    register_export_route(app)
    try:
        open_store(atlas_dir)  # a bad store URL is a setting's error, said before the app serves anything
    except InputError as exc:
        raise ConfigError("; ".join(f"[{p.code}] {p.nl} / {p.en}" for p in exc.problems)) from None
    app.server.config[ATLAS_CONFIG_KEY] = store_key(atlas_dir)
    app.server.config["COMPRESS_MIMETYPES"] = [
        "text/html",
        "text/css",
        "application/javascript",
        "text/javascript",
        "application/json",
        "image/svg+xml",
    ]
    app.server.config["COMPRESS_CACHE_BACKEND"] = _CompressedStatic
    app.server.config["COMPRESS_CACHE_KEY"] = _compress_key
    Compress(app.server)
    app.index_string = _index_string(app)
    # In this order: the polyfill is swapped before the first paint makes Dash's scripts inert.
    _drop_polyfill(app)
    _first_paint(app)
    app.layout = _layout
    _register_routing(app)
    _register_geo_route(app)
    _cache_static(app)
    guard_callbacks(app)
    return app
