"""No error response is ever cacheable: 400, 401, 403, 404, 429 and 500 on every route family carry Cache-Control: no-store.

Before, a 401 for a fingerprinted bundle kept the year-long caching of the bundle itself
(``private, max-age=31536000, immutable``): a browser could keep the login refusal for a year.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from pathlib import Path

import flask
import pytest
from care_grid import care_grid_atlas
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

PASSWORD = "correct horse battery staple"


def _auth(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


GOOD = _auth("anna", PASSWORD)
CALLBACK = "/_dash-update-component"


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    from dashboard.app import create_app

    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("BUURTDEKKING_AUTH", "basic")
    monkeypatch.setenv("BUURTDEKKING_AUTH_USERS", "anna:" + generate_password_hash(PASSWORD))
    app = create_app(care_grid_atlas(tmp_path / "atlas", threshold=10))

    def forbid() -> flask.Response | None:
        # No route of the app answers 403 today; this stands in for any that will, on every family.
        if flask.request.headers.get("X-Test-Fail"):
            # And a bug on any route: an exception Flask turns into its 500.
            raise RuntimeError("a bug somewhere in /srv/buurtdekking")
        return flask.Response("forbidden\n", status=403) if flask.request.headers.get("X-Test-Forbid") else None

    app.server.before_request_funcs.setdefault(None, []).insert(0, forbid)
    return app.server.test_client()


def families(client: FlaskClient) -> dict[str, tuple[str, str]]:
    """One real URL per route family (method, url), from the served index page."""
    index = client.get("/", headers=GOOD).get_data(as_text=True)
    suite = re.search(r'src="(/_dash-component-suites/[^"]+\.js)"', index)
    asset = re.search(r'href="(/assets/[^"]+\.css[^"]*)"', index)
    assert suite is not None
    assert asset is not None
    from views.data import build_view

    token = build_view(client.application.config["BUURTDEKKING_ATLAS"]).token
    return {
        "page": ("GET", "/tabel"),
        "asset": ("GET", asset.group(1).replace("&amp;", "&")),
        "component-suite": ("GET", suite.group(1)),
        "callback": ("POST", CALLBACK),
        "geo": ("GET", f"/geo/{token}/buurt.json"),
        "download": ("GET", "/download/export?formaat=csv&gebied=GM9999"),
    }


def _send(client: FlaskClient, method: str, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    return _send_body(client, method, url, headers)[:2]  # type: ignore[return-value]


def _send_body(client: FlaskClient, method: str, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    if method == "POST":
        resp = client.post(
            url, data=json.dumps({"output": "nope.children"}), content_type="application/json", headers=headers
        )
    else:
        resp = client.get(url, headers=headers)
    out = resp.status_code, dict(resp.headers), resp.get_data(as_text=True) if resp.status_code >= 400 else ""
    resp.close()
    return out


def _assert_not_cacheable(status: int, headers: dict[str, str], what: str) -> None:
    assert headers.get("Cache-Control") == "no-store", (what, status, headers.get("Cache-Control"))
    assert "ETag" not in headers, what
    assert "immutable" not in headers.get("Cache-Control", ""), what


def test_401_403_and_429_on_every_family_are_not_cacheable(client: FlaskClient) -> None:
    urls = families(client)
    for family, (method, url) in urls.items():
        # The families are real: with the right password each answers (200, or 204/400 for a made-up callback).
        status, headers = _send(client, method, url, GOOD)
        assert status in (200, 400), (family, status)
        status, headers = _send(client, method, url, {})
        assert status == 401, family
        _assert_not_cacheable(status, headers, f"401 {family}")
        status, headers = _send(client, method, url, {**GOOD, "X-Test-Forbid": "1"})
        assert status == 403, family
        _assert_not_cacheable(status, headers, f"403 {family}")
    for _ in range(5):  # anna's five wrong passwords: the back-off begins
        _send(client, "GET", "/assets/logo.svg", _auth("anna", "wrong"))
    for family, (method, url) in urls.items():
        status, headers = _send(client, method, url, GOOD)
        assert status == 429, family
        assert headers["Retry-After"] == "1"
        _assert_not_cacheable(status, headers, f"429 {family}")


def test_404_and_400_on_every_family_are_not_cacheable(client: FlaskClient) -> None:
    urls = families(client)
    suite = urls["component-suite"][1]
    missing = {
        # A bundle name with a fingerprint (version and timestamp), so that the year-long caching would apply.
        "component-suite": ("GET", re.sub(r"/[^/]+$", "/does-not-exist.v9_9_9m1700000000.js", suite), 404),
        "asset": ("GET", "/assets/does-not-exist.css?m=1700000000", 404),
        "geo": ("GET", "/geo/x/no-such-level.json", 404),
        "callback": ("POST", CALLBACK, 400),
        "download": ("GET", "/download/export?formaat=exe", 400),
    }
    for family, (method, url, expected) in missing.items():
        status, headers = _send(client, method, url, GOOD)
        assert status == expected, (family, status)
        _assert_not_cacheable(status, headers, f"{status} {family}")
    # Pages have no 404 of their own (Dash serves its page for any path and says "not found" in it).
    assert _send(client, "GET", "/does-not-exist", GOOD)[0] == 200


def test_a_bundle_that_is_served_keeps_its_long_caching(client: FlaskClient) -> None:
    _, url = families(client)["component-suite"]
    status, headers = _send(client, "GET", url, GOOD)
    assert status == 200
    # Behind the login: the browser may keep it a year, no shared cache may (security.py turns public into private).
    assert headers["Cache-Control"] == "private, max-age=31536000, immutable"


def test_a_500_on_every_family_is_not_cacheable_and_one_log_line(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    from dashboard.logs import log

    urls = families(client)
    log.addHandler(caplog.handler)  # our logger does not propagate (one line per event, whatever the host's root does)
    try:
        for family, (method, url) in urls.items():
            caplog.clear()
            status, headers, body = _send_body(client, method, url, {**GOOD, "X-Test-Fail": "1"})
            assert status == 500, family
            _assert_not_cacheable(status, headers, f"500 {family}")
            assert "Traceback" not in body
            assert "/srv/buurtdekking" not in body
            # One line of ours, with the path and the exception's type; nothing from Flask's own traceback logging.
            lines = [
                (r.name, r.getMessage(), getattr(r, "fields", {})) for r in caplog.records if r.levelno >= logging.INFO
            ]
            assert lines == [("buurtdekking", "server_error", {"path": url.split("?")[0], "error": "RuntimeError"})], (
                family
            )
            assert all(r.exc_info is None for r in caplog.records)
    finally:
        log.removeHandler(caplog.handler)
