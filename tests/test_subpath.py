"""The app under a sub-path (``/jeugd/``): every route lives under it, nothing answers outside it."""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from care_grid import care_grid_atlas
from conftest import page_module
from werkzeug.security import generate_password_hash

from dashboard import ids
from dashboard.errors import ConfigError
from dashboard.first_paint import FIGURE_ID, SKELETON_ID
from dashboard.settings import normalise_prefix

PREFIX = "/jeugd/"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def atlas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return care_grid_atlas(tmp_path_factory.mktemp("subpath") / "atlas", threshold=10)


@pytest.fixture(scope="module")
def app(atlas: Path) -> Any:
    from dashboard.app import create_app

    return create_app(atlas, url_prefix=PREFIX)


@pytest.fixture
def client(app: Any) -> Any:
    return app.server.test_client()


def _get(client: Any, url: str, **kwargs: Any) -> tuple[int, str, dict[str, str]]:
    resp = client.get(url, **kwargs)
    try:
        return resp.status_code, resp.get_data(as_text=True), dict(resp.headers)
    finally:
        resp.close()


def _status(client: Any, url: str) -> int:
    resp = client.get(url)
    resp.close()
    return int(resp.status_code)


URL_PREFIX_ENV = "BUURTDEKKING_URL_PREFIX"


# ---------------------------------------------------------------- the prefix setting


@pytest.mark.parametrize(
    ("raw", "prefix"),
    [(None, "/"), ("", "/"), ("/", "/"), ("jeugd", "/jeugd/"), ("/jeugd", "/jeugd/"), (" /a/b-c_d.e/ ", "/a/b-c_d.e/")],
)
def test_the_prefix_is_read_as_dash_wants_it(raw: str | None, prefix: str) -> None:
    assert normalise_prefix("" if raw is None else raw) == prefix


@pytest.mark.parametrize("raw", ["/jeugd//x/", "/../", "/./", "/jeugd?x=1", "/jeu gd/", "/jeugd#top", "/%2e/"])
def test_a_prefix_that_is_no_plain_path_is_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError, match=rf"{URL_PREFIX_ENV}=.*/ give a path such as /jeugd/"):
        normalise_prefix(raw)


def test_serve_names_the_option_of_a_bad_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    from cli.main import main

    assert main(["serve", "--url-prefix", "/a b/", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "--url-prefix='/a b/': geef een pad zoals /jeugd/" in err
    assert "give a path such as /jeugd/" in err


def test_create_app_reads_the_prefix_from_the_environment(atlas: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.app import create_app

    monkeypatch.setenv(URL_PREFIX_ENV, "/wijk")
    other = create_app(atlas)
    assert other.config.requests_pathname_prefix == other.config.routes_pathname_prefix == "/wijk/"
    assert _get(other.server.test_client(), "/wijk/tabel")[0] == 200


# ---------------------------------------------------------------- under the prefix


def test_pages_assets_and_geometry_live_under_the_prefix(client: Any) -> None:
    status, page, _ = _get(client, PREFIX + "tabel")
    assert status == 200
    srcs = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert srcs
    assert all(s.startswith(PREFIX) for s in srcs if s.startswith("/")), [s for s in srcs if not s.startswith(PREFIX)]
    for url in srcs:
        assert _status(client, url.replace("&amp;", "&")) == 200, url
    config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page).group(1))  # type: ignore[union-attr]
    assert config["url_base_pathname"] == PREFIX
    assert _get(client, PREFIX + "geo/map-style.json")[0] == 200


def test_the_layout_comes_with_the_page_under_the_prefix(client: Any) -> None:
    status, body, _ = _get(client, PREFIX + "_dash-layout", headers={"Referer": f"http://localhost{PREFIX}tabel"})
    assert status == 200
    layout = json.loads(body)
    route = json.dumps(layout)
    assert '"pathname": "/jeugd/tabel"' in route
    # Navigation and the logo point into the prefix.
    hrefs = set(re.findall(r'"href": "([^"]+)"', route))
    assert {"/jeugd/", "/jeugd/tabel", "/jeugd/wat-als", "/jeugd/bronnen"} <= hrefs
    assert all(h.startswith(PREFIX) for h in hrefs if h.startswith("/")), hrefs


def test_the_map_page_is_streamed_with_its_first_paint_under_the_prefix(client: Any) -> None:
    resp = client.get(PREFIX, headers={"Accept-Encoding": "gzip"})
    page = gzip.decompress(resp.data).decode()
    resp.close()
    assert resp.status_code == 200
    assert f'id="{SKELETON_ID}"' in page
    assert f'id="{FIGURE_ID}"' in page
    preloads = re.findall(r'<link rel="preload" as="fetch" crossorigin="anonymous" href="([^"]+)">', page)
    assert any(re.fullmatch(r"/jeugd/geo/[0-9a-f]+/buurt\.json", u) for u in preloads), preloads
    assert "/jeugd/geo/map-style.json" in preloads
    for url in preloads:
        assert _status(client, url) == 200, url
    figure = json.loads(re.search(rf'id="{FIGURE_ID}">(.*?)</script>', page, re.S).group(1).replace("<\\/", "</"))  # type: ignore[union-attr]
    assert figure["layout"]["map"]["style"] == "/jeugd/geo/map-style.json"
    assert figure["data"][0]["geojson"].startswith("/jeugd/geo/")
    # The static navigation of the first paint links into the prefix as well.
    skeleton = page[page.index(f'id="{SKELETON_ID}"') : page.index(f'id="{FIGURE_ID}"')]
    links = re.findall(r'<a href="([^"]+)"', skeleton)
    assert "/jeugd/tabel" in links
    assert all(h.startswith((PREFIX, "#")) for h in links), links


def _callback(app: Any, client: Any, input_id: str, values: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """The payload Dash's renderer sends for the server callback with ``input_id`` among its inputs."""
    client.get(PREFIX + "_dash-dependencies").close()  # the pages' callbacks join the registry on the first request
    key, cb = next(
        (k, v) for k, v in app.callback_map.items() if "callback" in v and any(d["id"] == input_id for d in v["inputs"])
    )
    outputs = cb["output"] if isinstance(cb["output"], list | tuple) else [cb["output"]]
    sent = [{"id": o.component_id, "property": o.component_property.split("@")[0]} for o in outputs]

    def dep(d: dict[str, str]) -> dict[str, Any]:
        return {"id": d["id"], "property": d["property"], "value": values.get((d["id"], d["property"]))}

    return {
        "output": key,
        "outputs": sent if isinstance(cb["output"], list | tuple) else sent[0],
        "inputs": [dep(d) for d in cb["inputs"]],
        "state": [dep(d) for d in cb["state"]],
        "changedPropIds": [f"{input_id}.{cb['inputs'][0]['property']}"],
    }


def test_callbacks_run_under_the_prefix(app: Any, client: Any) -> None:
    body = _callback(app, client, ids.URL, {(ids.URL, "pathname"): PREFIX + "tabel", (ids.URL, "search"): ""})
    resp = client.post(PREFIX + "_dash-update-component", json=body)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    answer = resp.get_json()["response"]
    assert answer[ids.ROUTE]["data"]["pathname"] == "/jeugd/tabel"
    assert answer[ids.ROUTE]["data"]["title"].startswith("Tabel")
    assert resp.headers["Cache-Control"] == "private, no-store"  # the private routes are recognised under it
    # A payload Dash would never send is refused there too, before Dash sees it.
    refused = client.post(PREFIX + "_dash-update-component", json={"output": "nope.children"})
    assert refused.status_code == 400
    assert "CALLBACK_UNKNOWN" in refused.get_data(as_text=True)


def test_an_upload_is_checked_under_the_prefix(app: Any, client: Any) -> None:
    upload = page_module("eigen_gegevens")
    data = b"wijkcode;aanbieder\nWK999901;KOOS\n"
    body = _callback(
        app,
        client,
        upload.DROP,
        {
            (upload.DROP, "contents"): "data:text/csv;base64," + base64.b64encode(data).decode(),
            (upload.DROP, "filename"): "aanbieders.csv",
            (upload.KIND, "value"): "providers",
            (upload.LANG, "data"): "nl",
        },
    )
    resp = client.post(PREFIX + "_dash-update-component", json=body)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert "aanbieders.csv" in json.dumps(resp.get_json()["response"][upload.REPORT])


def test_the_export_link_and_download_live_under_the_prefix(client: Any) -> None:
    status, layout, _ = _get(client, PREFIX + "_dash-layout", headers={"Referer": f"http://localhost{PREFIX}tabel"})
    hrefs = re.findall(r'"href": "(/jeugd/download/export\?[^"]+)"', json.dumps(json.loads(layout)))
    assert status == 200
    assert hrefs, "no export link under the prefix"
    xlsx = next(h for h in hrefs if "formaat=xlsx" in h)
    resp = client.get(xlsx + "&pad=/jeugd/tabel", headers={"Host": "127.0.0.1"})
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    book = openpyxl.load_workbook(io.BytesIO(resp.data), read_only=True)
    cells = {str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v is not None}
    book.close()
    resp.close()
    # The permalink in the file leads back into the prefix.
    assert "http://127.0.0.1/jeugd/tabel" in cells


def test_nothing_answers_outside_the_prefix(client: Any) -> None:
    for url in ("/", "/tabel", "/_dash-layout", "/_dash-dependencies", "/assets/style.css", "/geo/map-style.json"):
        assert _get(client, url)[0] == 404, url
    assert client.post("/_dash-update-component", json={"output": "x"}).status_code in (404, 405)
    assert _get(client, "/download/export?formaat=csv")[0] == 404


def test_the_prefix_without_its_slash_redirects_into_it(client: Any) -> None:
    status, _, headers = _get(client, "/jeugd")
    assert status in (301, 308)
    assert headers["Location"].endswith("/jeugd/")


def test_the_login_covers_everything_under_the_prefix(
    atlas: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from dashboard.app import create_app

    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("BUURTDEKKING_AUTH", "basic")
    monkeypatch.setenv("BUURTDEKKING_AUTH_USERS", "anna:" + generate_password_hash(PASSWORD))
    guarded = create_app(atlas, url_prefix=PREFIX).server.test_client()
    good = {"Authorization": "Basic " + base64.b64encode(f"anna:{PASSWORD}".encode()).decode()}
    for url in (PREFIX, PREFIX + "tabel", PREFIX + "assets/style.css", PREFIX + "_dash-layout"):
        assert _get(guarded, url)[0] == 401, url
        status, _, headers = _get(guarded, url, headers=good)
        assert status == 200, url
        assert "private" in headers["Cache-Control"], url
