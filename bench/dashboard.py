"""Benchmark: the dashboard against a naive Dash app, in headless Chromium, with the production server.

    python -m bench.dashboard            # Utrecht, Utrecht densified to a vertex per metre, national-size synthetic
    python -m bench.dashboard --quick    # Utrecht only, one run each: a smoke test of the benchmark itself

Both apps run under gunicorn (2 workers, 4 threads each, as `make run`) on the same atlas. Measured in one run:

* bytes sent for the first map: everything the browser downloads until the map is drawn (encoded sizes,
  so compression counts), and the map data alone (our cached GeoJSON; the naive figure JSON);
* time until the map is drawn: from navigation start until MapLibre reports the map loaded and every
  feature in view rendered (cold browser cache, median of 5 runs); and until Dash has rendered the page's
  controls (ours draws the map first and starts Dash after it; the naive app renders its controls first);
* server time for an indicator switch: the map callback's request replayed 40 times (p50, p95);
* the floor: our app's first figure drawn by our plotly.js bundle on a bare page without Dash (same map
  size, same GeoJSON URL), which is what MapLibre in software GL needs whatever the app around it.

The naive app (bench/dashboard_naive.py) is plotly express ``choropleth_map`` on the unsimplified atlas
geometry, the figure rebuilt on every switch, no compression. Results go to bench/results/dashboard-*.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from etl.atlas import Atlas, read_atlas, write_atlas

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
CHROMIUM = os.environ.get("BUURTDEKKING_CHROMIUM", "/usr/bin/chromium")
RUNS = 5
TIMEOUT_S = 90
SWITCHES = 40

# The page's controls rendered by Dash (ours draws its first map before Dash starts: see dashboard/first_paint.py).
READY_JS = "(id) => document.getElementById(id) && !document.getElementById('first-paint') ? performance.now() : false"
DRAWN_JS = """
() => {
  const gd = document.querySelector('.js-plotly-plot');
  const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot && gd._fullLayout.map._subplot.map;
  if (!map || !map.loaded() || !map.areTilesLoaded()) return false;
  const ids = new Set();
  for (const f of map.queryRenderedFeatures()) {
    if (f.layer && f.layer.type === 'fill' && f.properties.ct) ids.add(String(f.properties.ct));
  }
  return ids.size > 0 && ids.size >= Math.min(gd.data[0].locations.length, 2000) ? performance.now() : false;
}
"""


# ---------------------------------------------------------------- atlases


def densified_atlas(src: Path, out: Path, *, step_m: float = 1.0) -> Path:
    """The same atlas with a vertex every ``step_m`` metres on every boundary (a stand-in for detailed input)."""
    atlas = read_atlas(src)
    layers = dict(atlas.layers)
    for name in ("buurten", "wijken"):
        gdf = layers[name].copy()
        gdf[gdf.geometry.name] = shapely.segmentize(gdf.geometry.to_numpy(), step_m)
        layers[name] = gdf
    write_atlas(Atlas(layers, dict(atlas.manifest)), out)
    return out


def national_atlas(out: Path, *, n_side: int = 119, seed: int = 20240601) -> Path:
    """~14,000 Voronoi buurten over 189 × 189 km of RD New, in ~3,300 wijken and ~340 gemeenten (synthetic)."""
    rng = np.random.default_rng(seed)
    x0, y0, size = 45_000.0, 330_000.0, 189_000.0
    step = size / n_side
    gx, gy = np.meshgrid(np.arange(n_side), np.arange(n_side))
    x = x0 + (gx.ravel() + 0.5 + rng.uniform(-0.35, 0.35, gx.size)) * step
    y = y0 + (gy.ravel() + 0.5 + rng.uniform(-0.35, 0.35, gy.size)) * step
    frame = shapely.box(x0, y0, x0 + size, y0 + size)
    cells = shapely.voronoi_polygons(shapely.multipoints(np.column_stack([x, y])), extend_to=frame)
    polys = [shapely.intersection(c, frame) for c in shapely.get_parts(cells)]
    pts = shapely.points(x, y)
    # voronoi_polygons does not keep the input order: match each cell to its seed point
    tree = shapely.STRtree(polys)
    order = tree.query(pts, predicate="within")
    cell_of = np.empty(len(pts), dtype=int)
    cell_of[order[0]] = order[1]
    geoms = [polys[i] for i in cell_of]
    gem = np.floor((x - x0) / size * 18).astype(int) * 19 + np.floor((y - y0) / size * 19).astype(int)
    wijk_bin = np.floor((x - x0) / size * 57).astype(int) * 58 + np.floor((y - y0) / size * 58).astype(int)
    df = pd.DataFrame({"gem": gem, "wbin": wijk_bin})
    df["w"] = df.groupby("gem")["wbin"].rank(method="dense").astype(int)
    df["b"] = df.groupby(["gem", "w"]).cumcount() + 1
    gm = [f"GM{g + 1:04d}" for g in df["gem"]]
    wk = [f"WK{g + 1:04d}{w:02d}" for g, w in zip(df["gem"], df["w"], strict=True)]
    bu = [f"BU{g + 1:04d}{w:02d}{b:02d}" for g, w, b in zip(df["gem"], df["w"], df["b"], strict=True)]
    youth = rng.poisson(300, len(df)).astype(float)
    gdf = gpd.GeoDataFrame(
        {
            "buurtcode": bu,
            "buurtnaam": [f"Buurt {c[2:]}" for c in bu],
            "wijkcode": wk,
            "wijknaam": [f"Wijk {c[2:]}" for c in wk],
            "gemeentecode": gm,
            "gemeentenaam": [f"Gemeente {c[2:]}" for c in gm],
            "water": False,
            "youth_population": youth,
            "aantal_inwoners": youth * rng.uniform(4, 7, len(df)).round(0),
        },
        geometry=geoms,
        crs="EPSG:28992",
    )
    wijken = gdf.dissolve(
        by="wijkcode",
        as_index=False,
        aggfunc={
            "wijknaam": "first",
            "gemeentecode": "first",
            "gemeentenaam": "first",
            "youth_population": "sum",
            "aantal_inwoners": "sum",
        },
    )
    write_atlas(
        Atlas(
            {"buurten": gdf, "wijken": wijken},
            {"synthetic": "national-size benchmark case", "gemeenten": sorted(set(gm))},
        ),
        out,
    )
    return out


# ---------------------------------------------------------------- servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


BROWSER_ENCODINGS = (
    "gzip, deflate, br, zstd"  # what Chromium asks for: the compressed copies it gets are cached per encoding
)


def warm_up(url: str, *, rounds: int = 6) -> None:
    """Warm every worker and thread (atlas load, geometry, the first page, each file compressed once) so that
    we measure serving, not start-up: a worker pays those once in its life, not once per visitor."""
    layout = urllib.request.Request(url + "/_dash-layout", headers={"Referer": url + "/"})
    for _ in range(rounds):
        urllib.request.urlopen(layout, timeout=300).read()
        with urllib.request.urlopen(url + "/", timeout=300) as r:
            page = r.read().decode("utf-8", errors="replace")
        for ref in sorted(set(re.findall(r'(?:src|href)="(/(?:assets|_dash-component-suites)/[^"]+)"', page))):
            req = urllib.request.Request(url + ref, headers={"Accept-Encoding": BROWSER_ENCODINGS})
            urllib.request.urlopen(req, timeout=300).read()


@contextmanager
def serve(app: str, atlas: Path, log: Path) -> Iterator[str]:
    """gunicorn with 2 workers serving ``app`` (module:server) on a free port; the URL while it runs."""
    port = _free_port()
    env = {**os.environ, "BUURTDEKKING_ATLAS": str(atlas)}
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        "2",
        "--threads",
        "4",
        "--timeout",
        "300",
        "--bind",
        f"127.0.0.1:{port}",
        app,
    ]
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 600
            while True:
                try:
                    with urllib.request.urlopen(url + "/", timeout=300) as r:
                        if r.status == 200:
                            break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"{app} did not start; see {log}") from None
                    time.sleep(0.5)
            warm_up(url)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


# ---------------------------------------------------------------- measurements


def first_map(browser: Any, url: str, *, runs: int, control: str) -> dict[str, Any]:
    """Median time to a drawn map (and to the page's ``control`` rendered) and the bytes it took, cold cache each run."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    times, ready, totals, maps, headers, levels = [], [], [], [], {}, set()
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1366, "height": 860})
        page = context.new_page()
        responses: list[Any] = []
        page.on("requestfinished", lambda r, responses=responses: responses.append(r))
        page.goto(url, wait_until="commit")
        try:
            handle = page.wait_for_function(DRAWN_JS, polling="raf", timeout=TIMEOUT_S * 1000)
        except PlaywrightTimeout:
            context.close()
            return {"drawn_s": None, "timeout_s": TIMEOUT_S, "note": f"map not drawn within {TIMEOUT_S} s"}
        times.append(float(handle.json_value()) / 1000)
        ready.append(
            float(page.wait_for_function(READY_JS, arg=control, polling="raf", timeout=TIMEOUT_S * 1000).json_value())
            / 1000
        )
        levels.add(str(page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].name || ''")))
        total = map_bytes = 0
        for req in responses:
            sizes = req.sizes()
            n = int(sizes.get("responseBodySize", 0)) + int(sizes.get("responseHeadersSize", 0))
            total += n
            if "/geo/" in req.url or "_dash-layout" in req.url or "_dash-update-component" in req.url:
                map_bytes += n
            resp = req.response()
            if resp is not None and ("/geo/" in req.url or "plotly.min.js" in req.url):
                headers[req.url.rsplit("/", 1)[-1].split("?")[0]] = {
                    "content-encoding": resp.headers.get("content-encoding"),
                    "cache-control": resp.headers.get("cache-control"),
                }
        totals.append(total)
        maps.append(map_bytes)
        context.close()
    return {
        "drawn_s": round(statistics.median(times), 3),
        "drawn_s_runs": [round(t, 3) for t in times],
        "controls_s": round(statistics.median(ready), 3),
        "controls_s_runs": [round(t, 3) for t in ready],
        "bytes_total": int(statistics.median(totals)),
        "bytes_map_data": int(statistics.median(maps)),
        "headers": headers,
        "level": "/".join(sorted(levels)),
    }


BARE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><script src="{bundle}"></script></head>
<body style="margin:0"><div id="map" style="width:{width}px;height:{height}px"></div>
<script>Plotly.newPlot("map", {data}, {layout}, {{displaylogo: false, scrollZoom: true}});</script></body></html>"""


def plotly_alone(browser: Any, url: str, *, runs: int) -> dict[str, Any]:
    """The floor under our app: our first figure and plotly.js bundle on a page without Dash, same size, cold."""
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    page = context.new_page()
    page.goto(url + "/")
    page.wait_for_function(DRAWN_JS, timeout=TIMEOUT_S * 1000)
    fig = page.evaluate(
        "() => { const gd = document.querySelector('.js-plotly-plot'); const r = gd.getBoundingClientRect();"
        " return {data: gd.data, layout: gd.layout, width: Math.round(r.width), height: Math.round(r.height),"
        " bundle: (document.getElementById('plotly-bundle') || {}).href}; }"
    )
    context.close()
    if not fig.get("bundle"):
        return {"note": "no partial plotly.js bundle (make plotly-bundle)"}
    html = BARE_PAGE.format(
        bundle=fig["bundle"],
        width=fig["width"],
        height=fig["height"],
        data=json.dumps(fig["data"]),
        layout=json.dumps(fig["layout"]),
    )
    times = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1366, "height": 860})
        page = context.new_page()
        # Served from the app's origin, so the figure's GeoJSON URL and the glyphs resolve as in the app.
        page.route(url + "/plotly-alone", lambda route: route.fulfill(status=200, content_type="text/html", body=html))
        page.goto(url + "/plotly-alone", wait_until="commit")
        handle = page.wait_for_function(DRAWN_JS, polling="raf", timeout=TIMEOUT_S * 1000)
        times.append(float(handle.json_value()) / 1000)
        context.close()
    return {
        "drawn_s": round(statistics.median(times), 3),
        "drawn_s_runs": [round(t, 3) for t in times],
        "map_px": [fig["width"], fig["height"]],
    }


def switch_times(browser: Any, url: str, *, control: str, values: list[str], n: int) -> dict[str, Any]:
    """Capture the map callback's request for one indicator switch, then replay it ``n`` times (round trip)."""
    context = browser.new_context()
    page = context.new_page()
    captured: list[str] = []
    page.on("request", lambda r: captured.append(r.post_data or "") if "_dash-update-component" in r.url else None)
    page.goto(url)
    page.wait_for_function(DRAWN_JS, timeout=120_000)
    page.wait_for_function(READY_JS, arg=control, timeout=120_000)
    page.wait_for_timeout(500)  # the page's own first callbacks
    captured.clear()
    page.evaluate("([id, v]) => window.dash_clientside.set_props(id, {value: v})", [control, values[1]])
    page.wait_for_timeout(3000)
    context.close()
    # The map callback: ours outputs the figure store and the legend (its detail panel callback patches the
    # figure store too, so the legend tells them apart); the naive app's outputs dcc.Graph's figure.
    body = next((b for b in captured if f'"{control}"' in b and ("kaart-legend" in b or '"figure"' in b)), None)
    if body is None:
        return {"error": "no map callback captured"}
    payload = json.loads(body)
    seconds = []
    for i in range(n):
        for item in payload["inputs"]:
            if item.get("id") == control:
                item["value"] = values[i % len(values)]
        data = json.dumps(payload).encode()
        req = urllib.request.Request(
            url + "/_dash-update-component", data=data, headers={"Content-Type": "application/json"}
        )
        started = time.perf_counter()
        with urllib.request.urlopen(req, timeout=120) as r:
            size = len(r.read())
        seconds.append(time.perf_counter() - started)
    ms = sorted(s * 1000 for s in seconds)
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "response_bytes": size,
    }


def geojson_size(url: str, level: str = "buurt") -> dict[str, Any]:
    """Our map data for one level as served (gzip) and unpacked."""
    # The layout carries the map page (and its GeoJSON URL) when it knows the page, as a browser tells it.
    req = urllib.request.Request(url + "/_dash-layout", headers={"Referer": url + "/"})
    with urllib.request.urlopen(req) as r:
        layout = json.dumps(json.loads(r.read()))  # Dash escapes "/" in its JSON
    found = re.search(r"/geo/([0-9a-f]+)/", layout)
    if found is None:
        return {}
    token = found.group(1)
    req = urllib.request.Request(f"{url}/geo/{token}/{level}.json", headers={"Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(req) as r:
            packed = r.read()
    except urllib.error.HTTPError as err:
        if err.code == 404:  # an atlas of one gemeente has no gemeente level
            return {}
        raise
    import gzip

    return {"gzip_bytes": len(packed), "json_bytes": len(gzip.decompress(packed))}


# ---------------------------------------------------------------- run


def run(*, quick: bool, atlas: Path | None, work: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    runs = 1 if quick else RUNS
    switches = 10 if quick else SWITCHES
    if atlas is None:
        from etl.pipeline import BuildOptions, run_build

        atlas = work / "utrecht"
        run_build(BuildOptions(progress=False), atlas)
    cases: dict[str, Path] = {"utrecht": atlas}
    layers = [name for name, *_ in pyogrio.list_layers(atlas / "atlas.gpkg")]
    if not quick:
        cases["utrecht_densified_1m"] = densified_atlas(atlas, work / "dense")
        cases["national_synthetic"] = national_atlas(work / "national")
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "utrecht_atlas": {"path": str(atlas), "layers": layers},
        "cases": {},
    }
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        for name, path in cases.items():
            n = len(read_atlas(path, layers=["buurten"])["buurten"])
            case: dict[str, Any] = {"buurten": n}
            print(f"[{name}] ours", file=sys.stderr, flush=True)
            with serve("dashboard.wsgi:server", path, work / f"{name}-ours.log") as url:
                case["ours"] = first_map(browser, url, runs=runs, control="kaart-indicator")
                if name != "utrecht_densified_1m":
                    case["plotly_alone"] = plotly_alone(browser, url, runs=runs)
                case["ours"]["geojson"] = {lv: geojson_size(url, lv) for lv in ("buurt", "wijk", "gemeente")}
                if name == "utrecht":
                    case["ours"]["switch"] = switch_times(
                        browser, url, control="kaart-indicator", values=["youth_population", "inhabitants"], n=switches
                    )
            if name != "utrecht_densified_1m":
                print(f"[{name}] naive", file=sys.stderr, flush=True)
                with serve("bench.dashboard_naive:server", path, work / f"{name}-naive.log") as url:
                    case["naive"] = first_map(browser, url, runs=runs, control="indicator")
                    if name == "utrecht":
                        case["naive"]["switch"] = switch_times(
                            browser,
                            url,
                            control="indicator",
                            values=["youth_population", "aantal_inwoners"],
                            n=switches,
                        )
            report["cases"][name] = case
        browser.close()
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Dashboard benchmark, {report['date']} ({report['cpus']} CPUs). Time to a drawn map: median of cold loads.",
        "",
        "| case | buurten | app | map drawn (s) | controls (s) | bytes, first map | map data | switch p50 / p95 (ms) |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, case in report["cases"].items():
        alone = case.get("plotly_alone", {})
        if alone.get("drawn_s") is not None:
            lines.append(
                f"| {name} | {case['buurten']} | plotly.js alone, no Dash (the floor) | {alone['drawn_s']} | – | – | – | – |"
            )
        for app in ("ours", "naive"):
            r = case.get(app)
            if not r:
                continue
            if r.get("drawn_s") is None:
                lines.append(
                    f"| {name} | {case['buurten']} | {app} | > {r.get('timeout_s')} (not drawn) | – | – | – | – |"
                )
                continue
            sw = r.get("switch", {})
            switch = f"{sw['p50_ms']} / {sw['p95_ms']}" if "p50_ms" in sw else "–"
            # Ours: the GeoJSON of the level the first map shows (a national atlas starts with its gemeenten).
            geo = r.get("geojson", {}).get(r.get("level", ""), {})
            data = (
                f"{geo['gzip_bytes'] / 1000:.1f} KB gzip ({r['level']} GeoJSON)"
                if geo
                else f"{r['bytes_map_data'] / 1000:.0f} KB"
            )
            lines.append(
                f"| {name} | {case['buurten']} | {app} | {r['drawn_s']} | {r['controls_s']} | {r['bytes_total'] / 1e6:.2f} MB | {data} | {switch} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="Utrecht only, one run (a smoke test)")
    parser.add_argument(
        "--atlas", type=Path, help="an existing Utrecht atlas (default: build the default atlas afresh)"
    )
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM}; `make browser` installs it", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        # Built afresh by default: an ./atlas left from an older build may lack layers (teams, care data) that
        # today's default atlas, the one `make run` serves, draws on its first map.
        report = run(quick=args.quick, atlas=args.atlas, work=Path(tmp))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = json.dumps(report, indent=2)
    (RESULTS / f"dashboard-{stamp}.json").write_text(text)
    (RESULTS / "dashboard-latest.json").write_text(text)
    md = markdown(report)
    (RESULTS / "dashboard-latest.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
