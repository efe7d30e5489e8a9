"""What a planner sees in Chromium at the login: the back-off's 429 text, then the dashboard once the wait is over."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from care_grid import care_grid_atlas
from conftest import ARTIFACTS, REPO, free_port
from werkzeug.security import generate_password_hash

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "een lang wachtwoord voor de test"


@pytest.fixture
def login_server(tmp_path: Path) -> Iterator[str]:
    """`buurtdekking serve` with Basic login (conftest's ServedApp waits for a 200, which a login never gives)."""
    port = free_port()
    env = {
        **os.environ,
        "BUURTDEKKING_SESSION_DIR": str(tmp_path / "sessions"),
        "BUURTDEKKING_CACHE": str(tmp_path / "cache"),
        "BUURTDEKKING_AUTH": "basic",
        "BUURTDEKKING_AUTH_USERS": "planner:" + generate_password_hash(PASSWORD),
    }
    atlas = care_grid_atlas(tmp_path / "atlas", threshold=10)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / f"server-login-{port}.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--atlas", str(atlas), "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=5).close()
            except urllib.error.HTTPError as err:  # the 401 of a request without credentials: it listens
                err.close()
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _visit(browser: Any, url: str, password: str, shot: str) -> tuple[int, str, str | None]:
    context = browser.new_context(http_credentials={"username": "planner", "password": password}, locale="nl-NL")
    try:
        pg = context.new_page()
        resp = pg.goto(url + "/", wait_until="load")
        assert resp is not None
        if resp.status == 200:
            pg.wait_for_selector(".site-main h1, .site-main .kaart-page")  # the dashboard has drawn its page
        text = pg.inner_text("body")
        pg.screenshot(path=str(ARTIFACTS / f"login-{shot}.png"))
        return resp.status, text, resp.headers.get("retry-after")
    finally:
        context.close()


def test_a_planner_sees_the_wait_then_the_dashboard(browser: Any, login_server: str) -> None:
    # Wrong passwords until the back-off answers (5 are checked; the clock is real, so a slow machine may see a
    # wait pass and one more checked): the browser then shows our text, not another password prompt.
    seen = [_visit(browser, login_server, "fout", f"wrong-{n}") for n in range(5)]
    assert {status for status, _, _ in seen} == {401}
    for n in range(5, 12):
        status, text, retry = _visit(browser, login_server, "fout", f"wrong-{n}")
        if status == 429:
            break
    assert status == 429
    assert retry is not None
    assert f"Te veel mislukte inlogpogingen; probeer het over {retry} seconden opnieuw." in text
    assert f"Too many failed login attempts; try again in {retry} seconds." in text
    # The right password after the wait it was told: the dashboard.
    for _ in range(3):
        time.sleep(int(retry) + 0.2)
        status, text, retry = _visit(browser, login_server, PASSWORD, "right")
        if status != 429:
            break
    assert status == 200
    assert "Te veel mislukte" not in text
    assert "Eigen gegevens" in text  # the dashboard's navigation, as the screenshot login-right.png shows
