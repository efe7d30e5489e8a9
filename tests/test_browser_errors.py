"""The browser tests' error watch itself: an abort the app causes counts, one caused by leaving the page does not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import PageErrors, ServedApp

pytestmark = pytest.mark.browser


@pytest.fixture
def watched(browser: Any, served_app: ServedApp) -> Iterator[tuple[Any, PageErrors]]:
    context = browser.new_context()
    pg = context.new_page()
    errors = PageErrors(served_app.url)
    errors.watch(pg)
    pg.goto(served_app.url + "/bronnen")
    pg.wait_for_selector(".site-main h1")
    yield pg, errors
    context.close()


def test_an_abort_by_the_page_itself_is_an_error(watched: tuple[Any, PageErrors]) -> None:
    pg, errors = watched
    pg.evaluate(
        "async () => { const c = new AbortController(); const p = fetch('/_dash-layout', {signal: c.signal}); c.abort(); try { await p; } catch (e) {} }"
    )
    pg.wait_for_timeout(300)
    assert [a for a in errors.unexplained_aborts() if "_dash-layout" in a], errors.all()


def test_a_500_is_an_error(watched: tuple[Any, PageErrors]) -> None:
    pg, errors = watched
    pg.route("**/boom", lambda route: route.fulfill(status=500, body="boom"))
    pg.evaluate("async () => { await fetch('/boom'); }")
    pg.wait_for_timeout(300)
    assert any(f.endswith("/boom HTTP 500") for f in errors.failed), errors.all()


def test_leaving_the_page_with_a_request_in_flight_is_not_an_error(
    watched: tuple[Any, PageErrors], served_app: ServedApp
) -> None:
    pg, errors = watched
    # A request the server never answers is still in flight when the next document loads.
    pg.route("**/hangs", lambda route: None)
    pg.evaluate("() => { fetch('/hangs').catch(() => {}); }")
    pg.goto(served_app.url + "/bronnen")
    pg.wait_for_selector(".site-main h1")
    pg.wait_for_timeout(300)
    assert any("/hangs" in url for url, _, _ in errors.aborted), "the request in flight was not aborted"
    assert errors.unexplained_aborts() == []
    assert errors.all() == []
