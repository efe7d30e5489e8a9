"""The map page's first paint in real Chromium: the map is drawn from the HTML, then Dash takes it over."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ARTIFACTS
from test_browser_map import RENDERED_BUURTEN_JS, wait_for_map

pytestmark = pytest.mark.browser

HANDED_OVER_JS = """
() => {
  const plots = document.querySelectorAll('.js-plotly-plot');
  const host = document.getElementById('kaart-graph');
  return !!host && !document.getElementById('first-paint') && plots.length === 1 && host.contains(plots[0])
    && !!document.querySelector('#kaart-legend .swatch');
}
"""

DUPLICATE_IDS_JS = """
() => {
  const seen = new Map();
  document.querySelectorAll('[id]').forEach(el => seen.set(el.id, (seen.get(el.id) || 0) + 1));
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}
"""


def test_map_is_drawn_before_dash_starts_and_handed_over(page: Any) -> None:
    page.goto(page.base_url + "/")
    info = wait_for_map(page)
    assert info["rendered"] == 111
    page.evaluate("() => { window.firstData = document.querySelector('.js-plotly-plot').data; }")
    page.wait_for_function(HANDED_OVER_JS, timeout=60_000)
    stamps = page.evaluate("() => window.buurtdekkingFirstPaint")
    assert stamps["drawn"] is not None
    assert stamps["dash"] is not None
    assert stamps["dash"] >= stamps["drawn"]  # Dash's scripts ran only once the map was drawn
    # The map drawn from the HTML is the one on the page now: not drawn a second time by Dash.
    assert page.evaluate("() => document.querySelector('#kaart-graph .js-plotly-plot').dataset.firstPaint") == "true"
    assert page.evaluate(DUPLICATE_IDS_JS) == []
    # Dash's first figure is the one already drawn: not given to plotly.js again (MapLibre would redraw it all).
    page.wait_for_timeout(500)
    assert page.evaluate("() => document.querySelector('#kaart-graph .js-plotly-plot').data === window.firstData")
    assert page.evaluate(RENDERED_BUURTEN_JS)["rendered"] == 111


def test_static_page_shows_while_dash_is_held_up(page: Any) -> None:
    """With Dash's renderer slow to arrive, the person already sees the page and the drawn map."""

    def slow(route: Any) -> None:
        page.wait_for_timeout(2500)
        route.continue_()

    page.route("**/dash_renderer*.js", slow)
    page.goto(page.base_url + "/")
    wait_for_map(page)
    skeleton = page.locator("#first-paint")
    assert skeleton.is_visible()
    assert "Buurtdekking" in skeleton.locator(".site-header").inner_text()
    assert skeleton.locator("#first-map-host .js-plotly-plot").count() == 1
    assert "Legenda" in skeleton.inner_text()
    assert not page.locator("._dash-loading").is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "kaart_first_paint.png"))
    page.wait_for_function(HANDED_OVER_JS, timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "kaart_after_handover.png"))


def test_map_drawn_by_dash_when_arriving_from_another_page(page: Any) -> None:
    page.goto(page.base_url + "/tabel")
    page.locator("nav.site-nav a", has_text="Kaart").click()
    page.wait_for_function(HANDED_OVER_JS, timeout=60_000)
    info = wait_for_map(page)
    assert info["rendered"] == 111
    assert page.evaluate("() => document.querySelector('#kaart-graph .js-plotly-plot').dataset.firstPaint") is None
    # Clicking a buurt on this map still opens its panel.
    page.wait_for_timeout(300)
    box = page.locator("#kaart-graph").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => document.querySelector('#kaart-detail .detail-title')", timeout=30_000)


def test_page_works_when_the_html_brings_no_first_paint(page: Any) -> None:
    """As when the server could not render the first paint: first-map.js starts Dash, which draws the map."""
    import re
    import urllib.request

    with urllib.request.urlopen(page.base_url + "/") as resp:
        html = resp.read().decode()
    bare = re.sub(
        r'<div id="first-paint".*?<script type="application/json" id="first-map-figure">.*?</script>',
        "",
        html,
        flags=re.S,
    )
    assert "first-paint" not in bare.split("<body>", 1)[1].split("react-entry-point")[0]
    page.route(page.base_url + "/", lambda route: route.fulfill(status=200, content_type="text/html", body=bare))
    page.goto(page.base_url + "/")
    page.wait_for_function(HANDED_OVER_JS, timeout=60_000)
    assert wait_for_map(page)["rendered"] == 111
    assert page.evaluate("() => document.querySelector('#kaart-graph .js-plotly-plot').dataset.firstPaint") is None
