"""The served app in real headless Chromium: the Utrecht map is drawn, with a legend and no errors."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

RENDERED_BUURTEN_JS = """
() => {
  const gd = document.querySelector('.js-plotly-plot');
  const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot.map;
  if (!map || !map.loaded()) return null;
  const ids = new Set();
  for (const f of map.queryRenderedFeatures()) {
    // Plotly re-creates each polygon with its centroid 'ct'; a polygon split over tiles shares it.
    if (f.layer && f.layer.type === 'fill' && f.properties.ct) ids.add(String(f.properties.ct));
  }
  return {rendered: ids.size, locations: gd.data[0].locations.length, type: gd.data[0].type};
}
"""


def wait_for_map(page: Any) -> dict[str, Any]:
    page.wait_for_function(RENDERED_BUURTEN_JS, timeout=60_000)
    return page.evaluate(RENDERED_BUURTEN_JS)  # type: ignore[no-any-return]


def test_map_shows_all_111_buurten_with_legend(page: Any) -> None:
    page.goto(page.base_url + "/")
    info = wait_for_map(page)
    assert info["type"] == "choroplethmap"
    assert info["locations"] == 111
    # MapLibre only renders what is in view; at the initial zoom all of Utrecht is in view.
    assert info["rendered"] == 111
    legend = page.locator("#kaart-legend")
    assert "Legenda" in legend.inner_text()
    assert "Jeugdigen 0–17 jaar" in legend.inner_text()
    assert legend.locator(".swatch").count() >= 3
    shot = page.locator(".map-graph").screenshot()
    assert len(set(shot)) > 50  # a blank canvas compresses to a handful of distinct bytes


def test_hover_shows_buurt_name_and_code(page: Any) -> None:
    page.goto(page.base_url + "/")
    wait_for_map(page)
    hover = page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].hovertemplate")
    assert "%{location}" in hover
    assert "Buurt" in hover
    names = page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].customdata.map(r => r[0])")
    assert "Oog in Al" in names
