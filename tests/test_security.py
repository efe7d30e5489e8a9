"""Login on every route when configured (pages, assets, callbacks, downloads), security headers, no debug mode."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from dashboard.security import ConfigError, security_settings
from dashboard.settings import AppSettings

PASSWORD = "correct horse battery staple"
pytestmark = pytest.mark.integration


def _auth(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


GOOD = _auth("anna", PASSWORD)


def make_client(atlas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> FlaskClient:
    from dashboard.app import create_app

    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = create_app(atlas)
    return app.server.test_client()


@pytest.fixture
def basic_client(default_atlas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    # Every route is tried with wrong passwords here: the login back-off (tests/test_login_limit.py) is set out
    # of reach so that each answer is the plain 401 this test is about.
    return make_client(
        default_atlas,
        tmp_path,
        monkeypatch,
        BUURTDEKKING_AUTH="basic",
        BUURTDEKKING_AUTH_USERS="anna:" + generate_password_hash(PASSWORD),
        BUURTDEKKING_LOGIN_ATTEMPTS="1000000",
        BUURTDEKKING_LOGIN_CLIENT_ATTEMPTS="1000000",
    )


def every_route(client: FlaskClient) -> list[tuple[str, str]]:
    """(method, url) for every URL rule of the server, parameters filled with real values where it matters."""
    index = client.get("/", headers=GOOD).get_data(as_text=True)
    script = re.search(r'src="(/_dash-component-suites/[^"]+\.js)"', index)
    asset = re.search(r'href="(/assets/[^"]+\.css[^"]*)"', index)
    assert script is not None
    assert asset is not None
    out: list[tuple[str, str]] = [
        ("GET", script.group(1)),
        ("GET", asset.group(1).replace("&amp;", "&")),
        ("GET", "/assets/logo.svg"),
    ]
    app = client.application
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = re.sub(
            r"<(?:[^:<>]+:)?([^<>]+)>",
            lambda m: {"level": "buurt", "token": "x", "path": "eigen-gegevens"}.get(m.group(1), "x"),
            rule.rule,
        )
        method = "POST" if "POST" in (rule.methods or set()) and "GET" not in (rule.methods or set()) else "GET"
        out.append((method, url))
    out += [
        ("GET", "/tabel"),
        ("GET", "/eigen-gegevens"),
        ("GET", "/download/export?formaat=csv&gebied=GM0344"),
        ("GET", "/does-not-exist"),
    ]
    return sorted(set(out))


def _request(client: FlaskClient, method: str, url: str, headers: dict[str, str] | None = None) -> int:
    if method == "POST":
        body = {
            "output": "x.children",
            "outputs": {"id": "x", "property": "children"},
            "inputs": [],
            "changedPropIds": [],
        }
        resp = client.post(url, data=json.dumps(body), content_type="application/json", headers=headers or {})
    else:
        resp = client.get(url, headers=headers or {})
    resp.close()  # file responses (assets) hold an open file until closed
    return resp.status_code


def test_basic_auth_guards_every_route(basic_client: FlaskClient) -> None:
    routes = every_route(basic_client)
    urls = {u for _, u in routes}
    assert "/_dash-update-component" in urls
    assert any(u.startswith("/assets/") for u in urls)
    assert any(u.startswith("/download/") for u in urls)
    assert any(u.startswith("/_dash-component-suites/") for u in urls)
    assert len(routes) >= 15
    for method, url in routes:
        assert _request(basic_client, method, url) == 401, url
        assert _request(basic_client, method, url, _auth("anna", "wrong")) == 401, url
        assert _request(basic_client, method, url, _auth("mallory", PASSWORD)) == 401, url
    real = [u for m, u in routes if m == "GET" and "/x" not in u and u not in ("/does-not-exist", "/download/export")]
    assert {"/", "/_dash-layout", "/_dash-dependencies", "/tabel", "/eigen-gegevens", "/assets/logo.svg"} <= set(real)
    for url in real:
        assert _request(basic_client, "GET", url, GOOD) == 200, url


def test_401_asks_for_basic_credentials(basic_client: FlaskClient) -> None:
    resp = basic_client.get("/")
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"] == 'Basic realm="buurtdekking", charset="UTF-8"'
    assert b"Inloggen vereist" in resp.data


def test_proxy_header_with_shared_secret(default_atlas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(
        default_atlas,
        tmp_path,
        monkeypatch,
        BUURTDEKKING_AUTH="proxy",
        BUURTDEKKING_AUTH_HEADER="X-Remote-User",
        BUURTDEKKING_PROXY_SECRET="s3cret",
    )
    assert _request(client, "GET", "/assets/logo.svg") == 401
    assert _request(client, "GET", "/assets/logo.svg", {"X-Remote-User": "anna"}) == 401
    assert (
        _request(client, "GET", "/assets/logo.svg", {"X-Remote-User": "anna", "X-Buurtdekking-Proxy-Secret": "wrong"})
        == 401
    )
    ok = {"X-Remote-User": "anna", "X-Buurtdekking-Proxy-Secret": "s3cret"}
    assert _request(client, "GET", "/assets/logo.svg", ok) == 200
    assert _request(client, "GET", "/", ok) == 200
    assert _request(client, "GET", "/", {"X-Remote-User": "  ", "X-Buurtdekking-Proxy-Secret": "s3cret"}) == 401


def test_security_headers_and_csp(default_atlas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(default_atlas, tmp_path, monkeypatch)
    resp = client.get("/")
    assert resp.status_code == 200
    csp = dict(part.strip().split(" ", 1) for part in resp.headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'"
    assert "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert re.search(r"'sha256-[A-Za-z0-9+/=]+'", csp["script-src"])
    assert "blob:" in csp["worker-src"]
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("buurtdekking_sessie=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_sessions_differ_per_browser(default_atlas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.app import create_app

    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "s"))
    app = create_app(default_atlas)
    one, two = app.server.test_client(), app.server.test_client()
    c1 = one.get("/").headers["Set-Cookie"].split(";")[0]
    c2 = two.get("/").headers["Set-Cookie"].split(";")[0]
    assert c1 != c2
    # A tampered cookie is not accepted: the server hands out a new session.
    forged = c1[:-3] + ("aaa" if not c1.endswith("aaa") else "bbb")
    three = app.server.test_client()
    resp = three.get("/", headers={"Cookie": forged})
    assert resp.headers["Set-Cookie"].split(";")[0] not in (c1, forged)


def test_debug_mode_is_refused(default_atlas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="debug"):
        make_client(default_atlas, tmp_path, monkeypatch, DASH_DEBUG="true")


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"BUURTDEKKING_AUTH": "ldap"}, "kies / choose none, basic, proxy"),
        ({"BUURTDEKKING_AUTH": "basic"}, "zonder gebruikers"),
        ({"BUURTDEKKING_AUTH": "basic", "BUURTDEKKING_AUTH_USERS": "anna:plaintext"}, "geen hash"),
        ({"BUURTDEKKING_AUTH": "basic", "BUURTDEKKING_AUTH_USERS": "anna"}, "naam:hash"),
        ({"BUURTDEKKING_AUTH": "basic", "BUURTDEKKING_AUTH_USERS_FILE": "/nonexistent/users"}, "bestaat niet"),
    ],
)
def test_bad_security_settings_stop_the_app(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(needle)):
        AppSettings.from_environ(env)


def test_users_file(tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text(
        "# planners\nanna:" + generate_password_hash("x") + "\n\nbob:" + generate_password_hash("y") + "\n"
    )
    settings = security_settings(
        AppSettings.from_environ({"BUURTDEKKING_AUTH": "basic", "BUURTDEKKING_AUTH_USERS_FILE": str(users)})
    )
    assert set(settings.users) == {"anna", "bob"}


def test_export_route_serves_a_dated_attachment(
    default_atlas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(default_atlas, tmp_path, monkeypatch)
    resp = client.get("/download/export?formaat=csv&gebied=WK034404&indicator=inhabitants&pad=/tabel")
    assert resp.status_code == 200
    assert re.fullmatch(
        r'attachment; filename="buurtdekking_WK034404_inhabitants_\d{4}-\d{2}-\d{2}\.csv"',
        resp.headers["Content-Disposition"],
    )
    assert resp.headers["Cache-Control"] == "private, no-store"
    assert resp.data.startswith(b"\xef\xbb\xbf")
    assert client.get("/download/export?formaat=exe").status_code == 400
    bad = client.get("/download/export?formaat=csv&gebied=WK000000")
    assert bad.status_code == 400
    assert "EXPORT_AREA" in bad.get_data(as_text=True)
