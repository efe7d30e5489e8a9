"""The first load's critical path: the page comes with the layout (no router round trip) and plotly.js is our
partial bundle, loaded once, never Dash's full plotly.min.js (timings live in bench/dashboard.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from plotly.offline import get_plotlyjs_version

from dashboard import app as app_module
from dashboard import ids

REPO = Path(__file__).resolve().parent.parent
BUNDLE = REPO / "assets" / app_module.PLOTLY_BUNDLE


def _find(node: Any, component_id: str) -> dict[str, Any] | None:
    """The props of the component with ``component_id`` in a serialised Dash layout."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and props.get("id") == component_id:
            return props
        children = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _find(child, component_id)
        if found is not None:
            return found
    return None


@pytest.fixture
def client(default_atlas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    return app_module.create_app(default_atlas).server.test_client()


@pytest.mark.integration
def test_layout_carries_the_page_the_browser_asks_it_for(client: Any) -> None:
    layout = json.loads(
        client.get("/_dash-layout", headers={"Referer": "http://localhost/tabel?taal=en&indicator=inhabitants"}).data
    )
    location = _find(layout, ids.URL)
    assert location is not None
    assert (location["pathname"], location["search"]) == ("/tabel", "?taal=en&indicator=inhabitants")
    route = _find(layout, ids.ROUTE)
    assert route is not None
    assert (route["data"]["pathname"], route["data"]["lang"]) == ("/tabel", "en")
    content = _find(layout, ids.SHELL_CONTENT)
    assert content is not None
    assert _find(content["children"], "tabel-caption") is not None  # the table page itself, in the layout


@pytest.mark.integration
@pytest.mark.parametrize("headers", [{}, {"Referer": "http://elsewhere.example/tabel"}])
def test_without_the_page_url_the_router_renders_it(client: Any, headers: dict[str, str]) -> None:
    layout = json.loads(client.get("/_dash-layout", headers=headers).data)
    location = _find(layout, ids.URL)
    assert location is not None
    assert "pathname" not in location  # dcc.Location reports the URL on mount, which runs the router
    content = _find(layout, ids.SHELL_CONTENT)
    assert content is not None
    assert content.get("children") is None


@pytest.mark.integration
def test_a_page_that_fails_in_the_layout_leaves_the_shell_to_the_router(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(pathname: str | None, search: str | None) -> Any:
        raise RuntimeError("page bug")

    monkeypatch.setattr(app_module, "render_route", broken)
    resp = client.get("/_dash-layout", headers={"Referer": "http://localhost/wat-als"})
    assert resp.status_code == 200
    layout = json.loads(resp.data)
    location = _find(layout, ids.URL)
    assert location is not None
    assert "pathname" not in location


def test_bundle_is_the_plotly_js_of_the_installed_plotly_with_the_registered_traces() -> None:
    head = BUNDLE.read_text(encoding="utf-8")[:300]
    found = re.search(r"plotly\.js v(\S+) \(MIT\), traces: ([a-z, ]+);", head)
    assert found, f"{BUNDLE} has no build banner; `make plotly-bundle` builds it"
    assert found.group(1) == get_plotlyjs_version(), "plotly was upgraded: rebuild the bundle with `make plotly-bundle`"
    assert tuple(found.group(2).split(", ")) == app_module.PLOTLY_BUNDLE_TRACES
    entry = (REPO / "dashboard" / "plotlyjs" / "entry.js").read_text(encoding="utf-8")
    assert re.findall(r"require\('plotly\.js/lib/(\w+)'\)", entry) == ["core", *app_module.PLOTLY_BUNDLE_TRACES]


def test_regenerator_runtime_is_built_from_the_pinned_package() -> None:
    runtime = REPO / "assets" / app_module.REGENERATOR
    head = runtime.read_text(encoding="utf-8")[:200]
    lock = json.loads((REPO / "dashboard" / "plotlyjs" / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/regenerator-runtime"]["version"]
    assert f"regenerator-runtime v{pinned} (MIT)" in head, (
        f"{runtime} is not the pinned build; `make plotly-bundle` rebuilds it"
    )


@pytest.mark.integration
@pytest.mark.parametrize("path", ["/tabel", "/"])
def test_index_serves_the_regenerator_runtime_instead_of_dash_polyfill(client: Any, path: str) -> None:
    html = client.get(path).get_data(as_text=True)
    # Dash's own scripts (on the map page made inert until its map is drawn: dashboard/first_paint.py)
    scripts = [
        s for s in re.findall(r'<script[^>]*src="([^"]+)"', html) if "/vendor/plotly-" not in s and "/early/" not in s
    ]
    assert not [s for s in scripts if "polyfill@" in s]
    assert scripts[0].startswith("/assets/" + app_module.REGENERATOR), scripts[
        :2
    ]  # before React and Dash, like the polyfill
    with client.get(scripts[0]) as resp:
        assert resp.headers["Cache-Control"] == app_module.IMMUTABLE


def test_every_trace_the_app_draws_is_in_the_bundle() -> None:
    made = set()
    for path in (REPO / "dashboard").rglob("*.py"):
        made |= {name.lower() for name in re.findall(r"\bgo\.([A-Z][A-Za-z]+)\(", path.read_text(encoding="utf-8"))}
    made -= {"figure"}
    assert made, "no plotly trace constructors found: the scan is broken"
    assert made <= set(app_module.PLOTLY_BUNDLE_TRACES), (
        f"add {made - set(app_module.PLOTLY_BUNDLE_TRACES)} to dashboard/plotlyjs"
    )


@pytest.mark.browser
def test_map_page_loads_our_bundle_once_and_no_callback_before_the_map(page: Any) -> None:
    from test_browser_dashboard import wait_for_map

    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page.base_url + "/?indicator=inhabitants&niveau=wijk")
    info = wait_for_map(page)
    assert info["rendered"] == 10
    before_map = list(requests)
    assert not [u for u in before_map if "_dash-update-component" in u], "a callback ran before the first map"
    assert not [u for u in requests if "plotly.min.js" in u]
    assert len([u for u in requests if app_module.PLOTLY_BUNDLE in u]) == 1
    assert page.evaluate("() => typeof window.Plotly.react") == "function"
    # Dash's @babel/polyfill is replaced by the regenerator runtime alone; the lazily loaded Graph and Dropdown work.
    assert not [u for u in requests if "polyfill@" in u]
    assert len([u for u in requests if app_module.REGENERATOR in u]) == 1
    assert page.evaluate("() => [typeof regeneratorRuntime.mark, typeof window._babelPolyfill]") == [
        "function",
        "undefined",
    ]
    # The page is the one the URL names, in its state: the controls show it.
    assert page.locator("#kaart-level input[value=wijk]").is_checked()


@pytest.mark.integration
def test_fingerprinted_files_are_cached_and_compressed_once_chunks_revalidate(client: Any) -> None:
    import gzip

    page = client.get("/").get_data(as_text=True)
    bundle_url = re.search(r'id="plotly-bundle" href="([^"]+)"', page)
    assert bundle_url, "the page does not preload the plotly bundle"
    resp = client.get(bundle_url.group(1))
    assert resp.headers["Cache-Control"] == app_module.IMMUTABLE
    resp.close()
    renderer = re.search(r'src="(/_dash-component-suites/dash/dash-renderer/[^"]+)"', page)
    assert renderer
    first = client.get(renderer.group(1), headers={"Accept-Encoding": "gzip"})
    again = client.get(renderer.group(1), headers={"Accept-Encoding": "gzip"})
    assert first.headers["Cache-Control"] == app_module.IMMUTABLE
    assert first.headers["Content-Encoding"] == "gzip"
    assert first.data == again.data
    assert gzip.decompress(first.data) == client.get(renderer.group(1)).data
    # Dash's lazily loaded chunks have no version in their name: revalidated, never kept for a year.
    chunk = client.get("/_dash-component-suites/dash/dcc/async-graph.js")
    assert chunk.status_code == 200
    assert "immutable" not in chunk.headers.get("Cache-Control", "")
    assert chunk.headers.get("ETag")


def test_compression_cache_keeps_only_fingerprinted_files() -> None:
    import flask

    cache = app_module._CompressedStatic()
    server = flask.Flask(__name__)
    for url, kept in [
        ("/_dash-component-suites/dash/dcc/dash_core_components.v4_4_1m1795631376.js", True),
        ("/assets/style.css?m=1795636504.9", True),
        ("/_dash-component-suites/dash/dcc/async-graph.js", False),
        ("/assets/style.css", False),
        ("/_dash-layout", False),
        ("/_dash-update-component", False),
    ]:
        with server.test_request_context(url):
            key = f"zstd;{app_module._compress_key(flask.request)}"
        cache.set(key, b"compressed")
        assert (cache.get(key) == b"compressed") is kept, url


@pytest.mark.integration
def test_fingerprinted_files_are_compressed_once_per_worker(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import flask_compress.flask_compress as fc

    calls: list[int] = []
    real_data, real_chunks = fc._compress_data, fc._compress_chunks

    def counted_data(*args: Any) -> Any:
        calls.append(1)
        return real_data(*args)

    def counted_chunks(*args: Any) -> Any:
        calls.append(1)
        return real_chunks(*args)

    monkeypatch.setattr(fc, "_compress_data", counted_data)
    monkeypatch.setattr(fc, "_compress_chunks", counted_chunks)
    html = client.get("/tabel").get_data(as_text=True)
    bundle = re.search(r'href="([^"]*plotly-buurtdekking\.min\.js[^"]*)"', html)
    assert bundle is not None
    bodies = []
    for _ in range(3):
        with client.get(bundle.group(1), headers={"Accept-Encoding": "gzip"}) as resp:
            assert resp.headers["Content-Encoding"] == "gzip"
            assert resp.headers["Cache-Control"] == app_module.IMMUTABLE
            bodies.append(resp.get_data())
    assert len(calls) == 1  # the 3 MB file was compressed for the first request only
    assert bodies[0] == bodies[1] == bodies[2]
    assert len(bodies[0]) < (REPO / "assets" / app_module.PLOTLY_BUNDLE).stat().st_size / 2
