"""Drift tests for the Dash and plotly.js internals the app relies on, and that nothing else touches them.

dashboard/dash_internals.py and assets/early/dash-internals.js are the only places allowed to use what Dash and
plotly.js do not document. These tests fail loudly on an upgrade: the Dash version must be one they were
checked against, and each name they rely on must still be there with the shape relied on.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path
from typing import Any

import dash
import pytest
from care_grid import care_grid_atlas
from dash import Dash, dcc, html

from dashboard import dash_internals
from dashboard.dash_internals import (
    CHECKED_DASH,
    CHECKED_PLOTLYJS,
    POLYFILL_TAG,
    SUITES,
    callback_map,
    defer_scripts,
    fingerprinted_bundle,
)

REPO = Path(__file__).resolve().parent.parent
DASH_DIR = Path(dash.__file__).parent
INTERNALS_JS = REPO / "assets" / "early" / "dash-internals.js"
PLOTLY_BUNDLE = REPO / "assets" / "vendor" / "plotly-buurtdekking.min.js"
RECHECK = (
    "re-check every use in dashboard/dash_internals.py and assets/early/dash-internals.js against this "
    "release (the streamed first paint, the polyfill swap, the callback check, the map's first draw and "
    "the dropdown repairs: tests/test_first_paint.py, tests/test_browser_first_paint.py, tests/test_web_fuzz.py), "
    "then add the version to CHECKED_DASH and to checked.dash in the JS asset"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from dashboard.app import create_app

    return create_app(care_grid_atlas(tmp_path_factory.mktemp("internals") / "atlas", threshold=10))


def _js_checked() -> dict[str, str]:
    match = re.search(r"checked:\s*\{\s*dash:\s*\"([^\"]+)\",\s*plotlyjs:\s*\"([^\"]+)\"", INTERNALS_JS.read_text())
    assert match is not None, "assets/early/dash-internals.js names no checked versions"
    return {"dash": match.group(1), "plotlyjs": match.group(2)}


# ---------------------------------------------------------------- versions


def test_the_installed_dash_is_one_the_internals_were_checked_against() -> None:
    assert dash.__version__ in CHECKED_DASH, f"Dash {dash.__version__} is not in CHECKED_DASH {CHECKED_DASH}: {RECHECK}"
    assert _js_checked()["dash"] in CHECKED_DASH
    assert dash_internals.is_checked_version()
    assert not dash_internals.is_checked_version("4.5.0")


def test_the_plotly_bundle_is_the_plotlyjs_the_internals_were_checked_against() -> None:
    package = json.loads((REPO / "dashboard" / "plotlyjs" / "package.json").read_text())
    header = PLOTLY_BUNDLE.read_text(encoding="utf-8")[:200]
    assert package["dependencies"]["plotly.js"] == CHECKED_PLOTLYJS == _js_checked()["plotlyjs"], (
        "plotly.js was upgraded: re-check mapOf and drawnSize in assets/early/dash-internals.js, then CHECKED_PLOTLYJS"
    )
    assert header.startswith(f"/** plotly.js v{CHECKED_PLOTLYJS} ")


# ---------------------------------------------------------------- the Python internals


def test_interpolate_index_still_takes_the_parts_the_app_edits() -> None:
    params = list(inspect.signature(Dash.interpolate_index).parameters)
    assert params == ["self", "metas", "title", "css", "config", "scripts", "app_entry", "favicon", "renderer"]


def test_check_fingerprint_still_recognises_dashs_bundle_names() -> None:
    assert fingerprinted_bundle(f"/{SUITES}dash/dcc/dash_core_components.v4_4_1m1700000000.js")
    assert fingerprinted_bundle(f"/jeugd/{SUITES}dash/deps/react@18.v4_4_1m1a2b.min.js", "/jeugd/")
    assert not fingerprinted_bundle(f"/{SUITES}dash/dcc/async-graph.js")
    assert not fingerprinted_bundle(f"/{SUITES}dash/dcc/dash_core_components.v4_4_1m1.js", "/jeugd/")


def test_every_bundle_the_page_loads_is_fingerprinted(app: Any) -> None:
    page = app.server.test_client().get("/tabel").get_data(as_text=True)
    suites = re.findall(rf'src="(/{SUITES}[^"]+)"', page)
    assert len(suites) >= 5
    assert all(fingerprinted_bundle(s) for s in suites), [s for s in suites if not fingerprinted_bundle(s)]


def _dash_parts(app: Any) -> dict[str, str]:
    """The page parts Dash hands to interpolate_index, before any edit of ours."""
    seen: dict[str, str] = {}
    edits = app.page_edits
    app.page_edits = [seen.update]
    try:
        with app.server.test_request_context("/tabel"):
            app.index()
    finally:
        app.page_edits = edits
    return seen


def test_dashs_scripts_still_hold_the_polyfill_and_nothing_but_script_elements(app: Any) -> None:
    parts = _dash_parts(app)
    assert POLYFILL_TAG.search(parts["scripts"]), "Dash no longer loads @babel/polyfill as before: " + RECHECK
    for name in ("scripts", "renderer"):
        rest = re.sub(r"<script[^>]*>.*?</script>", "", parts[name], flags=re.S)
        assert rest.strip() == "", f"Dash's {name} part holds more than <script> elements: " + RECHECK
    # The renderer starts from an inline script: made inert, first-map.js runs it after the files before it.
    deferred = defer_scripts(parts["renderer"])
    assert "DashRenderer" in deferred
    assert "<script>" not in deferred


def test_our_page_swaps_the_polyfill_for_the_regenerator_runtime(app: Any) -> None:
    page = app.server.test_client().get("/tabel").get_data(as_text=True)
    assert "/deps/polyfill@" not in page
    assert "vendor/regenerator-runtime.min.js" in page


def test_the_callback_registry_still_has_the_shape_the_callback_check_reads(app: Any) -> None:
    registry = callback_map(app)
    server = [(key, cb) for key, cb in registry.items() if "callback" in cb]
    assert len(server) >= 10
    for key, cb in registry.items():
        assert isinstance(key, str)
        assert {"inputs", "state", "output"} <= set(cb), key
        for dep in [*cb["inputs"], *cb["state"]]:
            assert isinstance(dep["id"], str)
            assert isinstance(dep["property"], str)
        outputs = cb["output"] if isinstance(cb["output"], list | tuple) else [cb["output"]]
        assert all(isinstance(o.component_id_str(), str) and isinstance(o.component_property, str) for o in outputs)


def test_components_serialise_with_their_type_and_namespace() -> None:
    # dashboard/prerender.py reads these (public: it is what Dash sends to the browser) instead of _type/_namespace.
    div, link = html.Div("x", id="a").to_plotly_json(), dcc.Link("y", href="/b").to_plotly_json()
    assert (div["type"], div["namespace"]) == ("Div", "dash_html_components")
    assert (link["type"], link["namespace"]) == ("Link", "dash_core_components")
    assert div["props"]["id"] == "a"


# ---------------------------------------------------------------- the browser internals


def _dash_js(*names: str) -> str:
    return "".join((DASH_DIR / n).read_text(encoding="utf-8") for n in names)


def test_dash_still_renders_its_layout_into_the_element_first_map_hands_over_to(app: Any) -> None:
    page = app.server.test_client().get("/tabel").get_data(as_text=True)
    assert '<div id="react-entry-point">' in page, "Dash's app_entry changed: " + RECHECK
    assert 'appEntryId: "react-entry-point"' in INTERNALS_JS.read_text()


def test_dcc_still_loads_plotlyjs_from_the_url_global_we_pin() -> None:
    assert "window._dashPlotlyJSURL" in _dash_js("dcc/dash_core_components.js"), "dcc.Graph changed: " + RECHECK


def test_dccs_components_still_render_the_class_names_a11y_repairs() -> None:
    dropdown = _dash_js("dcc/async-dropdown.js")
    for name in ("dash-dropdown-wrapper", "dash-dropdown-focus-target", '"dash-dropdown'):
        assert name in dropdown, f"dcc.Dropdown no longer renders {name}: {RECHECK}"
    core = _dash_js("dcc/dash_core_components.js")
    for name in ("dash-radioitems", "dash-checklist"):
        assert name in core, f"dcc no longer renders {name}: {RECHECK}"
    js = INTERNALS_JS.read_text()
    for selector in (".dash-dropdown-wrapper", ".dash-dropdown-focus-target", "button.dash-dropdown"):
        assert selector in js


def test_plotlyjs_still_keeps_its_map_subplot_and_maplibre_map_where_we_read_them() -> None:
    bundle = PLOTLY_BUNDLE.read_text(encoding="utf-8")
    assert "._subplot=" in bundle, "plotly.js no longer keeps _fullLayout.map._subplot: " + RECHECK
    assert re.search(r"\.map=new [\w$]+\.Map\(", bundle), "plotly.js's map subplot no longer holds .map: " + RECHECK
    assert "_fullLayout" in bundle


# ---------------------------------------------------------------- nobody else touches them

# Dash modules the app may import: the public ones. dash.dcc.express is where dcc.send_bytes lives (the public
# name is not typed as exported).
PUBLIC_DASH_MODULES = frozenset({"dash", "dash.exceptions", "dash.development.base_component", "dash.dcc.express"})
FORBIDDEN_ATTRIBUTES = frozenset({"view_functions", "callback_map", "_namespace", "_type"})
# Replacing Dash's method on an instance (overriding it in a subclass, as Dash documents, is fine).
FORBIDDEN_ASSIGNED = frozenset({"interpolate_index", "index"})
# Whose private attributes are not Dash's: our own objects, and the standard library's argparse (its typing).
OWNERS = ("self", "cls", "argparse")
JS_INTERNALS = re.compile(
    r"_fullLayout|_dashPlotlyJSURL|_subplot|_dashprivate|dash-dropdown|dash-radioitems|dash-checklist|_dash-|react-entry-point"
)


def internal_touches(source: str, filename: str = "<source>") -> list[str]:
    """Every import of a non-public Dash module and every use of an internal attribute in ``source``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "dash":
            if node.module not in PUBLIC_DASH_MODULES:
                found.append(f"{filename}:{node.lineno} from {node.module} import …")
        elif isinstance(node, ast.Import):
            found += [
                f"{filename}:{node.lineno} import {a.name}"
                for a in node.names
                if a.name.split(".")[0] == "dash" and a.name not in PUBLIC_DASH_MODULES
            ]
        elif isinstance(node, ast.Attribute):
            private = node.attr.startswith("_") and not node.attr.startswith("__")
            owner = node.value.id if isinstance(node.value, ast.Name) else ""
            assigned = isinstance(node.ctx, ast.Store) and node.attr in FORBIDDEN_ASSIGNED
            if node.attr in FORBIDDEN_ATTRIBUTES or assigned or (private and owner not in OWNERS):
                found.append(f"{filename}:{node.lineno} .{node.attr}")
    return found


def test_the_checker_finds_the_internals_it_is_meant_to_find() -> None:
    bad = (
        "from dash.fingerprint import check_fingerprint\n"
        "import dash._utils\n"
        "server.view_functions['/'] = view\n"
        "app.interpolate_index = edit\n"
        "kind = node._type\n"
        "cb = app.callback_map\n"
    )
    assert len(internal_touches(bad)) == 6
    good = (
        "import dash\nfrom dash import html\nfrom dash.exceptions import PreventUpdate\n"
        "self._store = {}\nprefix = app.config.routes_pathname_prefix\nkind = node.to_plotly_json()['type']\n"
        "page = super().interpolate_index(**parts)\n"
    )
    assert internal_touches(good) == []
    assert JS_INTERNALS.search("var s = gd._fullLayout.map._subplot;")
    assert not JS_INTERNALS.search("window.buurtdekkingInternals.mapOf(gd)")


def test_no_other_module_touches_dash_internals() -> None:
    modules = [
        p
        for floor in ("dashboard", "cli", "views", "reports")
        for p in sorted((REPO / floor).rglob("*.py"))
        if p.name != "dash_internals.py"
    ]
    assert len(modules) > 20
    found = [hit for p in modules for hit in internal_touches(p.read_text(encoding="utf-8"), str(p.relative_to(REPO)))]
    assert found == [], "Dash internals outside dashboard/dash_internals.py:\n" + "\n".join(found)


def test_no_other_asset_touches_dash_or_plotlyjs_internals() -> None:
    assets = [
        p
        for p in sorted((REPO / "assets").rglob("*.js"))
        if "vendor" not in p.relative_to(REPO / "assets").parts and p != INTERNALS_JS
    ]
    assert {p.name for p in assets} >= {"a11y.js", "map.js", "plotly-loader.js", "first-map.js"}
    found = [
        f"{p.relative_to(REPO)}:{n}: {line.strip()}"
        for p in assets
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if JS_INTERNALS.search(line)
    ]
    assert found == [], "Dash/plotly.js internals outside assets/early/dash-internals.js:\n" + "\n".join(found)


def test_every_page_loads_the_internals_asset_first(app: Any) -> None:
    for path in ("/", "/tabel"):
        page = app.server.test_client().get(path, headers={"Accept-Encoding": "identity"}).get_data(as_text=True)
        scripts = re.findall(r'<script src="([^"]+)"', page)
        assert scripts[0].startswith("/assets/early/dash-internals.js?m="), (path, scripts[:2])
        assert page.index("dash-internals.js") < page.index("</head>")


def test_the_internals_script_is_served(app: Any) -> None:
    resp = app.server.test_client().get("/assets/early/dash-internals.js")
    try:
        assert resp.status_code == 200
        assert b"window.buurtdekkingInternals = {" in resp.get_data()
    finally:
        resp.close()
