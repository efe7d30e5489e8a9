"""The app served under /jeugd/ (``buurtdekking serve --url-prefix``) in headless Chromium: the map, a click, a page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTIFACTS, ServedApp
from test_browser_dashboard import click_buurt, wait_for_map

from views.data import AtlasView, build_view

pytestmark = pytest.mark.browser

PREFIX = "/jeugd/"


@pytest.fixture(scope="module")
def served_app(default_atlas: Path) -> Iterator[ServedApp]:
    """Overrides conftest's server for this module: the default atlas under the prefix."""
    app = ServedApp(default_atlas, url_prefix=PREFIX)
    yield app
    app.stop()


@pytest.fixture(scope="module")
def view(default_atlas: Path) -> AtlasView:
    return build_view(default_atlas)


def _requests(page: Any) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    return urls


def test_the_map_is_drawn_and_a_buurt_click_opens_its_panel_under_the_prefix(
    page: Any, served_app: ServedApp, view: AtlasView
) -> None:
    urls = _requests(page)
    page.goto(page.base_url + "/")
    info = wait_for_map(page)
    assert info["type"] == "choroplethmap"
    assert info["locations"] == info["rendered"] == 111  # every polygon drawn: the geometry came from /jeugd/geo/
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "subpath-map.png"))
    largest = view.buurten.loc[view.buurten.area.idxmax()]
    code, name = str(largest["buurtcode"]), str(largest["buurtnaam"])
    click_buurt(page, view, code)
    page.wait_for_function(
        "(name) => { const h = document.querySelector('#detail-title'); return h && h.innerText === name; }", arg=name
    )
    assert code in page.locator("#kaart-detail").inner_text()
    assert page.url.startswith(served_app.origin + PREFIX + "?")
    assert f"buurt={code}" in page.url
    page.screenshot(path=str(ARTIFACTS / "subpath-panel.png"))
    ours = [u for u in urls if u.startswith(served_app.origin)]
    assert ours
    assert all(u.startswith(served_app.origin + PREFIX) for u in ours), [
        u for u in ours if not u.startswith(served_app.origin + PREFIX)
    ]


def test_the_navigation_and_the_export_links_stay_under_the_prefix(page: Any, served_app: ServedApp) -> None:
    page.goto(page.base_url + "/")
    wait_for_map(page)
    page.locator(".nav-link", has_text="Tabel").click()
    page.wait_for_selector("#tabel-caption")
    assert page.url.startswith(served_app.origin + PREFIX + "tabel")
    assert page.locator(".data-table tbody tr").count() == 111
    hrefs = page.eval_on_selector_all(".export-link", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs
    assert all(h.startswith(PREFIX + "download/export?") for h in hrefs), hrefs
    assert all("pad=%2Fjeugd%2Ftabel" in h for h in hrefs), hrefs
