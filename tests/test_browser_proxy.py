"""The map through nginx (deploy/nginx.conf) in front of two gunicorn hosts, in headless Chromium.

The topology of docker-compose.yml, from Debian's processes (no container engine runs here): the Utrecht atlas in
one PostGIS schema, sessions in one Redis, nginx in front of two app hosts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTIFACTS
from hosts import BACKENDS, Host, Proxy
from test_browser_dashboard import click_buurt, wait_for_map

from views.data import AtlasView, build_view

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def hosts(
    default_atlas: Path, tmp_path_factory: pytest.TempPathFactory, redis_url: str, postgis_url: str
) -> Iterator[tuple[Host, Host]]:
    env = BACKENDS["postgis"]((redis_url, postgis_url), default_atlas)
    started: list[Host] = []
    try:
        for name in ("a", "b"):
            # each worker reads and simplifies the Utrecht atlas while it boots
            started.append(Host(name, env, tmp_path_factory.mktemp(f"host-{name}"), timeout=300))
        yield started[0], started[1]
    finally:
        for host in started:
            host.stop()


@pytest.fixture(scope="module")
def served_app(hosts: tuple[Host, Host], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """Overrides conftest's server for this module: the page fixture opens the proxy's address."""
    proxy = Proxy([h.address for h in hosts], tmp_path_factory.mktemp("nginx"))
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def view(default_atlas: Path) -> AtlasView:
    return build_view(default_atlas)


def test_the_map_through_the_proxy_draws_every_buurt_and_a_click_opens_its_panel(
    page: Any, served_app: Proxy, hosts: tuple[Host, Host], view: AtlasView
) -> None:
    page.goto(served_app.url + "/")
    info = wait_for_map(page, timeout=90_000)
    assert info["type"] == "choroplethmap"
    assert info["locations"] == info["rendered"] == 111
    largest = view.buurten.loc[view.buurten.area.idxmax()]  # room to click away from any team marker
    code, name = str(largest["buurtcode"]), str(largest["buurtnaam"])
    click_buurt(page, view, code)
    page.wait_for_function(
        "(name) => { const h = document.querySelector('#detail-title'); return h && h.innerText === name; }",
        arg=name,
        timeout=30_000,
    )
    assert code in page.locator("#kaart-detail").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "proxy-map.png"))
    # The page's requests were shared out over both hosts (round robin, no sticky sessions), and all answered.
    used = served_app.upstreams_used()
    assert {h.address for h in hosts} <= set(used)
    assert page.errors.all() == []
