"""Map labels in real Chromium: MapLibre draws the wijk names with glyphs from our own assets, never a CDN."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import plotly.graph_objects as go
import pytest
from conftest import ARTIFACTS, REPO, free_port, wait_for
from PIL import Image

from dashboard import mapstyle

pytestmark = pytest.mark.browser

PREFIX = "/buurtdekking/"  # served under a path prefix, as behind a reverse proxy: glyph URLs must follow it

# Rough label points per wijk (lon, lat): far enough apart at zoom 11.6 that MapLibre's collision test keeps all.
WIJK_POINTS = {
    "West": (5.088, 52.092),
    "Noordwest": (5.092, 52.112),
    "Overvecht": (5.118, 52.120),
    "Noordoost": (5.140, 52.104),
    "Oost": (5.158, 52.083),
    "Binnenstad": (5.121, 52.091),
    "Zuid": (5.126, 52.070),
    "Zuidwest": (5.095, 52.074),
    "Leidsche Rijn": (5.055, 52.098),
    "Vleuten-De Meern": (5.020, 52.082),
}
# One label drawing from each committed range: Latin-1 (é ë ·), Latin Extended-A (ĳ), punctuation (’ –).
COVERAGE_LABEL = "Café ’t Hoogt · ĳs – Lunetten ë"
COVERAGE_POINT = (5.105, 52.058)

LABELS_JS = """
() => {
  const gd = document.querySelector('#kaart .js-plotly-plot');
  const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot.map;
  if (!map || !map.loaded() || !map.areTilesLoaded()) return null;
  const texts = new Set();
  for (const f of map.queryRenderedFeatures()) {
    if (f.layer && f.layer.type === 'symbol' && f.properties.text) texts.add(String(f.properties.text));
  }
  const glyphs = map.getStyle().glyphs;
  const fonts = map.getStyle().layers
    .filter(l => l.type === 'symbol' && l.layout && l.layout['text-field'])
    .map(l => l.layout['text-font']);
  return {texts: [...texts].sort(), glyphs, fonts, sources: Object.keys(map.getStyle().sources)};
}
"""


def wijk_names() -> list[str]:
    """The ten wijk names as the project's reference table spells them."""
    text = (REPO / "geodata" / "reference" / "utrecht_contract_2020.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#"))
    return [row["wijknaam"] for row in rows]


def labels_figure() -> go.Figure:
    names = [*wijk_names(), COVERAGE_LABEL]
    points = [WIJK_POINTS[n] for n in names[:-1]] + [COVERAGE_POINT]
    fig = go.Figure(
        go.Scattermap(
            lon=[p[0] for p in points],
            lat=[p[1] for p in points],
            mode="text",
            text=names,
            textfont=mapstyle.text_font(size=14, bold=False),
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scattermap(
            lon=[5.121],
            lat=[52.100],
            mode="text",
            text=["Utrecht"],
            textfont=mapstyle.text_font(size=18, bold=True),
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        map={"style": mapstyle.map_style(), "center": {"lon": 5.089, "lat": 52.089}, "zoom": 11.6},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        showlegend=False,
    )
    return fig


TILE_RGB = (216, 228, 204)


def _tile(z: int, x: int, y: int) -> tuple[bytes, int, dict[str, str]]:
    """A plain 256 px raster tile, standing in for an operator's basemap server."""
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), TILE_RGB).save(buf, format="PNG")
    return buf.getvalue(), 200, {"Content-Type": "image/png"}


@pytest.fixture(scope="module")
def labels_app() -> Iterator[str]:
    """A small Dash app serving our assets folder under PREFIX with one labelled map; yields its URL."""
    from dash import Dash, dcc
    from werkzeug.serving import make_server

    # Our assets folder for the glyphs and styles, without the app's scripts: they expect the page create_app
    # builds (its Dash-internals script first, our plotly.js bundle), which this bare app is not.
    app = Dash(
        __name__,
        assets_folder=str(REPO / "assets"),
        assets_ignore=r".*\.js$",
        serve_locally=True,
        url_base_pathname=PREFIX,
    )
    # Built after the app exists, so the style's glyph URL carries the app's path prefix.
    app.layout = lambda: dcc.Graph(id="kaart", figure=labels_figure(), style={"height": "720px"})
    app.server.add_url_rule(f"{PREFIX}tiles/<int:z>/<int:x>/<int:y>.png", "tile", _tile)
    port = free_port()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}{PREFIX}"
    try:
        wait_for(url)
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_wijk_labels_drawn_with_local_glyphs(browser: Any, labels_app: str) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 760}, locale="nl-NL")
    page = context.new_page()
    console: list[str] = []
    failed: list[str] = []
    requests: list[str] = []
    glyph_responses: list[tuple[str, int]] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.on("request", lambda r: requests.append(r.url))
    page.on("response", lambda r: glyph_responses.append((r.url, r.status)) if ".pbf" in r.url else None)
    try:
        page.goto(labels_app)
        page.wait_for_function(
            f"() => {{ const r = ({LABELS_JS})(); return r && r.texts.length === 12; }}", timeout=30_000
        )
        info = page.evaluate(LABELS_JS)
        graph = page.locator("#kaart")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        labelled = graph.screenshot(path=str(ARTIFACTS / "map_labels_local_glyphs.png"))
        # The same map with the text traces hidden: the labels must account for a visible difference.
        page.evaluate("() => Plotly.restyle(document.querySelector('#kaart .js-plotly-plot'), {visible: false})")
        page.wait_for_function(
            f"() => {{ const r = ({LABELS_JS})(); return r && r.texts.length === 0; }}", timeout=30_000
        )
        bare = graph.screenshot(path=str(ARTIFACTS / "map_labels_hidden.png"))
    finally:
        context.close()

    # (d) every label is placed on the map, with our font stacks and our glyph URL under the app's prefix
    assert info["texts"] == sorted([*wijk_names(), COVERAGE_LABEL, "Utrecht"])
    assert "Vleuten-De Meern" in info["texts"]
    assert info["glyphs"] == PREFIX + "assets/glyphs/{fontstack}/{range}.pbf"
    assert sorted(info["fonts"]) == sorted([[mapstyle.TEXT_FONT], [mapstyle.TEXT_FONT_BOLD]])
    grey = [np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.int16) for png in (labelled, bare)]
    changed = int((np.abs(grey[0] - grey[1]) > 64).sum())
    assert changed > 2000, f"labels changed only {changed} pixels"

    # (a) the glyph ranges the labels need came from this server, under /assets/glyphs/, and all succeeded
    fetched = {(unquote(urlsplit(u).path), s) for u, s in glyph_responses}
    for stack, ranges in (
        (mapstyle.TEXT_FONT, ("0-255", "256-511", "8192-8447")),
        (mapstyle.TEXT_FONT_BOLD, ("0-255",)),
    ):
        for rng in ranges:
            assert (f"{PREFIX}assets/glyphs/{stack}/{rng}.pbf", 200) in fetched, fetched
    assert all(s == 200 and urlsplit(u).hostname == "127.0.0.1" for u, s in glyph_responses), glyph_responses
    # (b) nothing left 127.0.0.1
    offsite = [u for u in requests if not u.startswith(("http://127.0.0.1", "data:", "blob:"))]
    assert offsite == []
    # (c) no console errors, page errors or failed requests
    assert console == []
    assert failed == []


def test_operator_tiles_draw_under_the_labels(browser: Any, labels_app: str) -> None:
    """With a tile URL configured the style gains a raster basemap (with its attribution); labels stay on top."""
    style = mapstyle.map_style(tile_url=labels_app + "tiles/{z}/{x}/{y}.png", tile_attribution="Testkaart © gemeente")
    context = browser.new_context(viewport={"width": 1200, "height": 760}, locale="nl-NL")
    page = context.new_page()
    problems: list[str] = []
    tiles: list[tuple[str, int]] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"{r.url} {r.failure}"))
    page.on(
        "request",
        lambda r: problems.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None,
    )
    page.on("response", lambda r: tiles.append((r.url, r.status)) if "/tiles/" in r.url else None)
    try:
        page.goto(labels_app)
        page.wait_for_function(
            f"() => {{ const r = ({LABELS_JS})(); return r && r.texts.length === 12; }}", timeout=30_000
        )
        page.evaluate("s => Plotly.relayout(document.querySelector('#kaart .js-plotly-plot'), {'map.style': s})", style)
        page.wait_for_function(
            f"() => {{ const r = ({LABELS_JS})(); return r && r.texts.length === 12 && r.sources.includes('basemap'); }}",
            timeout=30_000,
        )
        shot = page.locator("#kaart").screenshot(path=str(ARTIFACTS / "map_labels_on_tiles.png"))
        attribution = page.locator("#kaart").inner_text()
    finally:
        context.close()
    assert tiles, "no tile requested"
    assert all(s == 200 and urlsplit(u).hostname == "127.0.0.1" for u, s in tiles)
    rgb = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"))
    assert tuple(rgb[10, 10]) == TILE_RGB  # a corner far from any label shows the basemap
    assert "Testkaart © gemeente" in attribution
    assert problems == []
