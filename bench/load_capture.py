"""Record what a planner's browser sends for each action of the load benchmark, in headless Chromium.

    python -m bench.load --capture      # re-record bench/load_scenario.json from the served app

The load client (bench/load_client.py) replays these requests byte for byte, so a change in the pages'
callbacks needs a new recording: the callback guard refuses a payload the app would no longer send, and the
smoke test (tests/test_bench_load.py) fails then. Each action is a list of *waves*: the requests the browser
had in flight together (a wave starts when every request of the one before it has been answered), which is
how Dash chains callbacks (a callback whose inputs another one outputs waits for it).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import geopandas as gpd

from views.data import get_view
from views.values import available

SCENARIO = Path(__file__).resolve().parent / "load_scenario.json"
UPLOAD_FILE = Path(__file__).resolve().parent.parent / "examples" / "teams.csv"
SWITCHES = 8  # indicator switches recorded in a cycle (each from the one before it)
CLICKS = 4  # buurten clicked on the map
# A callback by its first output, for the report; any other is named by that output itself.
CALLBACK_NAMES = {
    "kaart-indicator.value": "sync_controls",
    "kaart-figure.data": "update_map",
    "kaart-detail.children": "show_detail",
    "kaart-buurt.options": "search_buurten",
    "app-content.children": "route",
    "watals-scenario.data": "whatif_scenario",
    "watals-graph.figure": "whatif_figure",
    "watals-buurt.value": "whatif_click",
    "upload-applied.children": "upload_apply",
}
MAP_CALLBACKS = ("sync_controls", "update_map", "show_detail")  # the map's callbacks: the goal p95 ≤ 100 ms


def callback_name(body: dict[str, Any]) -> str:
    """The callback a request body asks for, as the report names it."""
    outputs = body.get("outputs")
    first = outputs[0] if isinstance(outputs, list) and outputs else outputs
    if not isinstance(first, dict):
        return "?"
    key = f"{first.get('id')}.{str(first.get('property', '')).split('@')[0]}"
    if key == "upload-report.children":
        changed = body.get("changedPropIds") or [""]
        return "upload_check" if str(changed[0]).startswith("upload-drop") else "upload_picked"
    return CALLBACK_NAMES.get(key, key)


def waves(requests: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Requests grouped into waves: a request that starts after all of the current wave's answers opens the next."""
    out: list[list[dict[str, Any]]] = []
    wave_end = -1.0
    for req in sorted(requests, key=lambda r: r["start"]):
        if not out or req["start"] > wave_end:
            out.append([])
            wave_end = req["end"]
        else:
            wave_end = max(wave_end, req["end"])
        out[-1].append({k: v for k, v in req.items() if k not in ("start", "end")})
    return out


class Recorder:
    """Every request of one page to the app (documents, layout, callbacks, downloads), with start and end."""

    def __init__(self, page: Any, url: str) -> None:
        self.url = url
        self.current: list[dict[str, Any]] = []
        self._open: dict[Any, dict[str, Any]] = {}
        self._last = 0.0
        page.on("request", self._start)
        page.on("requestfinished", self._end)
        page.on("requestfailed", self._end)

    def _start(self, request: Any) -> None:
        path = request.url[len(self.url) :] if request.url.startswith(self.url) else None
        if path is None or not (
            request.resource_type == "document"
            or path.startswith(("/_dash-layout", "/_dash-dependencies", "/_dash-update"))
        ):
            return
        referer = request.headers.get("referer", "")
        entry = {
            "method": request.method,
            "path": path,
            "referer": urlsplit(referer)._replace(scheme="", netloc="").geturl() if referer else "",
            "start": time.monotonic(),
            "end": float("inf"),
        }
        if request.method == "POST":
            entry["body"] = request.post_data
            entry["kind"] = callback_name(json.loads(request.post_data))
        else:
            entry["kind"] = "page" if request.resource_type == "document" else path.split("?")[0].strip("/")
        self._open[request] = entry  # the object itself: an id() may be reused once it is gone
        self.current.append(entry)

    def _end(self, request: Any) -> None:
        entry = self._open.pop(request, None)
        if entry is not None:
            entry["end"] = self._last = time.monotonic()

    def take(self, page: Any, *, quiet_s: float = 0.8, timeout_s: float = 120.0) -> list[list[dict[str, Any]]]:
        """The waves of the action just done, once nothing has been in flight for ``quiet_s``.

        (Playwright's "networkidle" is a state of the page's load: reached once, it is never waited for again.)
        A chained callback starts only after the page has rendered the answer before it, hence the pause.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            last = max([self._last, *(r["start"] for r in self.current)], default=0.0)
            if not self._open and time.monotonic() - last > quiet_s:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"still in flight after {timeout_s} s: {[r['kind'] for r in self._open.values()]}")
            page.wait_for_timeout(100)
        done, self.current = self.current, []
        return waves(done)


def _map_ready(page: Any) -> None:
    page.wait_for_function(
        "() => { const gd = document.querySelector('#kaart-graph .js-plotly-plot');"
        " const m = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot.map;"
        " return m && m.loaded() && document.getElementById('kaart-indicator') && !document.getElementById('first-paint'); }",
        timeout=60_000,
    )


def _click_points(atlas: Path, n: int) -> list[tuple[str, float, float]]:
    """The ``n`` largest buurten and a point deep inside each (away from the edges and team markers), in WGS84."""
    buurten = get_view(str(atlas)).buurten
    largest = buurten.assign(_area=buurten.area).nlargest(n, "_area")
    inner = largest.geometry.buffer(-80).representative_point()
    wgs = gpd.GeoSeries(inner.to_numpy(), crs=buurten.crs).to_crs("EPSG:4326")
    return [(str(c), float(p.x), float(p.y)) for c, p in zip(largest["buurtcode"], wgs, strict=True)]


def _choose(page: Any, dropdown_id: str, text: str) -> None:
    page.locator(f"#{dropdown_id}").click()
    search = page.locator(".dash-dropdown-search")
    if search.count():
        search.fill(text)
    page.get_by_role("option", name=text).first.click()


def record(browser: Any, url: str, atlas: Path) -> dict[str, Any]:
    """Drive one planner's session through every action and return the recorded scenario."""
    view = get_view(str(atlas))
    labels = [ind.label("nl") for ind in available(view)]
    # A cycle through the indicators, starting from the first map's: every switch is one a person can make.
    cycle = labels[1 : SWITCHES + 1] if len(labels) > SWITCHES else labels[1:] + labels[:1]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="nl-NL", accept_downloads=True)
    page = context.new_page()
    rec = Recorder(page, url)
    actions: dict[str, list[Any]] = {"load": [], "switch": [], "buurt": [], "export": [], "whatif": [], "upload": []}
    try:
        page.goto(url + "/")
        _map_ready(page)
        actions["load"].append(rec.take(page))

        # Half the switches before a buurt is chosen, half after (the detail panel then follows each switch).
        half = len(cycle) // 2
        for label in cycle[:half]:
            _choose(page, "kaart-indicator", label)
            actions["switch"].append(rec.take(page))

        for code, lon, lat in _click_points(atlas, CLICKS):
            point = page.evaluate(
                "([lon, lat]) => { const gd = document.querySelector('#kaart-graph .js-plotly-plot');"
                " const map = gd._fullLayout.map._subplot.map; const p = map.project([lon, lat]);"
                " const r = map.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }",
                [lon, lat],
            )
            page.mouse.click(point[0], point[1])
            page.wait_for_function(
                "(code) => (document.getElementById('kaart-detail') || {}).innerText.includes(code)", arg=code
            )
            actions["buurt"].append(rec.take(page))

        for label in cycle[half:]:
            _choose(page, "kaart-indicator", label)
            actions["switch"].append(rec.take(page))

        page.locator("#export-panel summary").click()
        with page.expect_download() as download:
            page.locator("a.export-link").nth(4).click()  # CSV for Dutch Excel: the export planners use most
        link = download.value.url
        rec.take(page)
        actions["export"].append(
            [
                [
                    {
                        "method": "GET",
                        "path": link[len(url) :],
                        "referer": urlsplit(page.url)._replace(scheme="", netloc="").geturl(),
                        "kind": "export_csv",
                    }
                ]
            ]
        )

        page.locator("a.nav-link", has_text="Wat als").click()
        page.wait_for_selector("#watals-graph .js-plotly-plot")
        _choose(page, "watals-buurt", str(view.buurten.sort_values("buurtnaam")["buurtnaam"].iloc[0]))
        page.locator("#watals-apply").click()
        page.wait_for_function("() => document.querySelectorAll('#watals-steps li').length === 1")
        page.locator("a.nav-link", has_text="Kaart").click()
        _map_ready(page)
        actions["whatif"].append(rec.take(page))

        page.locator("a.nav-link", has_text="Eigen gegevens").click()
        page.wait_for_selector("#upload-applied")
        page.locator("#upload-kind input[value=teams]").check()
        page.set_input_files(
            "#upload-drop input[type=file]",
            files=[{"name": UPLOAD_FILE.name, "mimeType": "text/csv", "buffer": UPLOAD_FILE.read_bytes()}],
        )
        page.wait_for_function("() => !document.getElementById('upload-apply').disabled", timeout=60_000)
        page.locator("#upload-apply").click()
        page.wait_for_function(
            "(name) => document.getElementById('upload-applied').innerText.includes(name)", arg=UPLOAD_FILE.name
        )
        page.locator("a.nav-link", has_text="Kaart").click()
        _map_ready(page)
        actions["upload"].append(rec.take(page))
    finally:
        context.close()
    return {
        "recorded": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "atlas_token": view.token,
        "actions": actions,
    }


def capture(url: str, atlas: Path, *, chromium: str, out: Path = SCENARIO) -> dict[str, Any]:
    """Record the scenario from the app at ``url`` (serving ``atlas``) and write it to ``out``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            scenario = record(browser, url, atlas)
        finally:
            browser.close()
    out.write_text(json.dumps(scenario, indent=1, ensure_ascii=False) + "\n")
    return scenario


def load_scenario(path: Path = SCENARIO) -> dict[str, Any]:
    scenario: dict[str, Any] = json.loads(path.read_text())
    return scenario
