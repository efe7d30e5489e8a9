"""The map page's first paint: static HTML of a component tree, inert Dash scripts, the streamed page."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from dash import dcc, html

from dashboard import ids
from dashboard.dash_internals import DEFERRED_TYPE, defer_scripts
from dashboard.first_paint import (
    FIGURE_ID,
    SKELETON_ID,
    gzip_chunks,
    map_fetches,
    page_map_spec,
    skeleton,
)
from dashboard.prerender import find, static_html
from views.i18n import aria


def test_static_html_writes_html_components_as_their_tags() -> None:
    tree = html.Div(
        [
            html.H1("a < b & c", id="title"),
            html.Img(src="/logo.svg", alt=""),
            html.Section("s", hidden=True, style={"marginTop": "1px"}, **aria(label="Legenda")),
            html.Label("Buurt", htmlFor="buurt"),
        ],
        className="page",
        tabIndex="-1",
    )
    assert static_html(tree) == (
        '<div class="page" tabindex="-1"><h1>a &lt; b &amp; c</h1><img alt="" src="/logo.svg">'
        '<section hidden style="margin-top: 1px" aria-label="Legenda">s</section><label for="buurt">Buurt</label></div>'
    )


def test_static_html_keeps_links_and_leaves_out_what_needs_dash() -> None:
    tree = html.Div(
        [
            dcc.Link("Tabel", href="/tabel", id="nav"),
            dcc.Dropdown(id="d", options=["x"]),
            dcc.Store(id="s", data=1),
            3,
            None,
            False,
        ]
    )
    assert static_html(tree) == '<div><a href="/tabel">Tabel</a>3</div>'


def test_static_html_writes_only_the_ids_it_is_given() -> None:
    tree = html.Div([html.Div(id="kaart-graph", className="map-graph"), html.P("x", id="other")])
    assert (
        static_html(tree, ids={"kaart-graph": "first-map-host"})
        == '<div><div id="first-map-host" class="map-graph"></div><p>x</p></div>'
    )


def test_find_and_map_spec() -> None:
    spec = {"data": [{"type": "choroplethmap"}], "layout": {}, "config": {}}
    tree = html.Div([html.Main([dcc.Store(id=ids.MAP_FIGURE, data=spec)])])
    assert find(tree, ids.MAP_FIGURE) is not None
    assert find(tree, "nothing") is None
    assert page_map_spec(tree) == spec
    assert page_map_spec(html.Div("no map")) is None


def test_skeleton_holds_the_page_and_its_figure_as_inert_json() -> None:
    spec = {
        "data": [{"type": "choroplethmap", "name": "</script><script>alert(1)</script>"}],
        "layout": {},
        "config": {},
    }
    tree = html.Div([html.Div(id=ids.MAP_GRAPH, className="map-graph"), dcc.Store(id=ids.MAP_FIGURE, data=spec)])
    out = skeleton(tree, spec)
    assert out.startswith(f'<div id="{SKELETON_ID}" class="shell first-paint">')
    assert f'id="{ids.FIRST_MAP_HOST}"' in out
    block = re.search(rf'<script type="application/json" id="{FIGURE_ID}">(.*?)</script>', out, re.S)
    assert block is not None  # the trace name's "</script>" did not end the data block early
    assert json.loads(block.group(1).replace("<\\/", "</")) == spec


def test_defer_scripts_makes_every_script_inert_and_keeps_its_order() -> None:
    scripts = (
        '<script src="/a.js"></script>\n<script>var x = 1;</script>\n'
        '<script id="_dash-renderer" type="application/javascript">new DashRenderer();</script>'
    )
    out = defer_scripts(scripts)
    tags = re.findall(r"<script[^>]*>", out)
    assert tags == [
        f'<script type="{DEFERRED_TYPE}" src="/a.js">',
        f'<script type="{DEFERRED_TYPE}">',
        f'<script type="{DEFERRED_TYPE}" id="_dash-renderer">',
    ]
    assert "var x = 1;" in out
    assert "new DashRenderer();" in out


def test_gzip_chunks_flushes_each_chunk_and_decodes_whole() -> None:
    chunks = ["<html><head>", "x" * 5000, "</html>"]
    out = list(gzip_chunks(chunks))
    assert gzip.decompress(b"".join(out)).decode() == "".join(chunks)
    # The first chunk decodes on its own: the browser gets the head before the server renders the page.
    first = zlib.decompressobj(31).decompress(out[0])
    assert first == b"<html><head>"


def _app(atlas: Path) -> Any:
    from dashboard.app import create_app

    return create_app(atlas)


def test_the_map_page_is_streamed_with_its_first_paint(default_atlas: Path) -> None:
    client = _app(default_atlas).server.test_client()
    resp = client.get("/?indicator=youth_population", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert resp.headers["Content-Encoding"] == "gzip"
    assert "Content-Security-Policy" in resp.headers
    page = gzip.decompress(resp.data).decode()
    body = page[page.index("<body>") :]
    # plotly.js first, then the page with the map's host and figure, Dash's entry point, then first-map.js
    order = [
        body.index(s)
        for s in (
            "plotly-buurtdekking.min.js",
            f'id="{SKELETON_ID}"',
            f'id="{FIGURE_ID}"',
            'id="react-entry-point"',
            "first-map.js",
        )
    ]
    assert order == sorted(order)
    assert f'id="{ids.FIRST_MAP_HOST}"' in body
    preloads = re.findall(r'<link rel="preload" as="fetch" crossorigin="anonymous" href="([^"]+)">', body)
    assert any(re.fullmatch(r"/geo/[0-9a-f]+/buurt\.json", u) for u in preloads), preloads
    assert "/geo/map-style.json" in preloads
    # No script of Dash's runs before the map is drawn, and none is lost.
    runnable = [t for t in re.findall(r"<script[^>]*>", body) if DEFERRED_TYPE not in t and "application/json" not in t]
    assert len(runnable) == 2  # plotly.js and first-map.js (dash-internals.js is in the <head>)
    assert 'src="/_dash-component-suites/dash/dash-renderer/' in body
    assert body.count(f'type="{DEFERRED_TYPE}"') >= 10
    figure = json.loads(re.search(rf'id="{FIGURE_ID}">(.*?)</script>', body, re.S).group(1).replace("<\\/", "</"))  # type: ignore[union-attr]
    assert figure["data"][0]["type"] == "choroplethmap"
    assert len(figure["data"][0]["locations"]) == 111
    assert figure["config"]["scrollZoom"] is True


def test_other_pages_are_dash_pages_as_usual(default_atlas: Path) -> None:
    client = _app(default_atlas).server.test_client()
    page = client.get("/tabel").get_data(as_text=True)
    assert DEFERRED_TYPE not in page
    assert SKELETON_ID not in page
    assert "dash_renderer" in page


def test_map_fetches_names_the_style_the_geojson_and_the_glyphs_of_visible_names() -> None:
    spec = {
        "data": [
            {"type": "choroplethmap", "geojson": "/geo/abc/buurt.json"},
            {"type": "scattermap", "mode": "text", "textfont": {"family": "DejaVu Sans Bold"}},
            {"type": "scattermap", "mode": "markers+text", "textfont": {"family": "DejaVu Sans Bold"}},
            {"type": "scattermap", "mode": "text", "textfont": {"family": "DejaVu Sans Book"}, "visible": False},
            {"type": "scattermap", "mode": "markers", "textfont": {"family": "DejaVu Sans Book"}},
            {"type": "choroplethmap", "geojson": {"type": "FeatureCollection", "features": []}},
        ],
        "layout": {"map": {"style": "/geo/map-style.json"}},
    }
    assert map_fetches(spec, "/assets/glyphs/{fontstack}/{range}.pbf") == [
        "/geo/map-style.json",
        "/geo/abc/buurt.json",
        "/assets/glyphs/DejaVu%20Sans%20Bold/0-255.pbf",
    ]
    # A style given inline (or from elsewhere) is not fetched from us.
    assert map_fetches({"data": [], "layout": {"map": {"style": "white-bg"}}}, "/g/{fontstack}/{range}.pbf") == []


def test_skeleton_preloads_what_the_map_fetches() -> None:
    spec = {"data": [], "layout": {}, "config": {}}
    out = skeleton(html.Div(id=ids.MAP_GRAPH), spec, preload=["/geo/abc/buurt.json"])
    assert out.startswith('<link rel="preload" as="fetch" crossorigin="anonymous" href="/geo/abc/buurt.json">')


def test_a_first_paint_that_fails_leaves_the_page_to_dash(default_atlas: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dashboard.app as app_module

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("render failed")

    client = _app(default_atlas).server.test_client()
    monkeypatch.setattr(app_module, "page_map_spec", broken)
    resp = client.get("/")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert SKELETON_ID not in page
    assert FIGURE_ID not in page
    # Dash's scripts are still there, for first-map.js to run at once (it finds no map to draw).
    assert page.count(f'type="{DEFERRED_TYPE}"') >= 10
    assert "early/first-map.js" in page
