"""The planners' dashboard in real headless Chromium, on the Utrecht atlas with (synthetic) caseloads.

Every page loads without console errors; the map, legend, detail panel, table, URL state, keyboard use,
axe-core and small-count protection are checked the way a user would meet them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import ARTIFACTS, REPO, PageErrors, ServedApp
from dashboard_atlas import write_care_atlas
from playwright.sync_api import expect

from views.data import AtlasView, build_view

pytestmark = pytest.mark.browser

AXE_JS = Path(os.environ.get("BUURTDEKKING_AXE_JS", REPO / ".cache" / "npm" / "axe.min.js"))
PAGES = ("/", "/tabel", "/wat-als", "/bronnen")

MAP_JS = """
() => {
  const gd = document.querySelector('#kaart-graph .js-plotly-plot');
  const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot.map;
  if (!map || !map.loaded() || !map.areTilesLoaded()) return null;
  const ids = new Set();
  const colours = {};
  for (const f of map.queryRenderedFeatures()) {
    // Plotly re-creates each polygon with its centroid 'ct' and its fill colour 'fc'.
    if (f.layer && f.layer.type === 'fill' && f.properties.ct) {
      ids.add(String(f.properties.ct));
      colours[String(f.properties.ct)] = f.properties.fc;
    }
  }
  const t = gd.data[0];
  return {rendered: ids.size, locations: t.locations.length, type: t.type, colours: Object.values(colours).sort(),
          z: t.z, customdata: t.customdata, codes: t.locations};
}
"""


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def care_atlas(default_atlas: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default atlas plus caseloads with many small counts (unless the default build already has them)."""
    return write_care_atlas(default_atlas, tmp_path_factory.mktemp("care-atlas"))


@pytest.fixture(scope="module")
def view(care_atlas: Path) -> AtlasView:
    return build_view(care_atlas)


@pytest.fixture(scope="module")
def served_app(care_atlas: Path) -> Iterator[ServedApp]:
    """Overrides conftest's server for this module: the dashboard serving the care atlas."""
    app = ServedApp(care_atlas)
    yield app
    app.stop()


def wait_for_map(page: Any, timeout: float = 30_000) -> dict[str, Any]:
    return page.wait_for_function(MAP_JS, timeout=timeout).json_value()  # type: ignore[no-any-return]


def wait_for_map_change(page: Any, before: list[int], timeout: float = 15_000) -> dict[str, Any]:
    page.wait_for_function(
        "(before) => { const gd = document.querySelector('#kaart-graph .js-plotly-plot');"
        " return gd && JSON.stringify(gd.data[0].z) !== JSON.stringify(before); }",
        arg=before,
        timeout=timeout,
    )
    time.sleep(0.3)  # MapLibre repaints on the next frame
    return wait_for_map(page)


def choose(page: Any, dropdown_id: str, text: str) -> None:
    """Open a Dash dropdown, type to filter and pick the first match, as a user does."""
    page.locator(f"#{dropdown_id}").click()
    search = page.locator(".dash-dropdown-search")
    if search.count():
        search.fill(text)
    page.get_by_role("option", name=text).first.click()


def query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


# ---------------------------------------------------------------- pages


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_console_errors(page: Any, path: str) -> None:
    page.goto(page.base_url + path)
    page.wait_for_selector(".site-main h1, .site-main .kaart-page")
    if path == "/":
        wait_for_map(page)
    if path == "/wat-als":
        page.wait_for_selector("#watals-graph .js-plotly-plot")
    page.wait_for_load_state("networkidle")
    assert page.locator(".site-footer").inner_text().startswith("Bron: CBS / Kadaster")
    assert page.evaluate("() => document.documentElement.lang") == "nl"


def test_map_shows_all_111_buurten_with_legend(page: Any) -> None:
    page.goto(page.base_url + "/")
    info = wait_for_map(page)
    assert info["type"] == "choroplethmap"
    assert info["locations"] == 111
    assert info["rendered"] == 111  # at the initial zoom all of Utrecht is in view
    legend = page.locator("#kaart-legend").inner_text()
    assert "Legenda" in legend
    assert "Jeugdigen 0–17 jaar" in legend
    assert "kwantielen, 5 klassen" in legend
    assert page.locator("#kaart-legend .swatch").count() >= 5


def test_switching_indicator_changes_colours_and_legend(page: Any) -> None:
    page.goto(page.base_url + "/")
    before = wait_for_map(page)
    legend_before = page.locator("#kaart-legend").inner_text()
    choose(page, "kaart-indicator", "Jeugdigen in zorg per 1.000")
    after = wait_for_map_change(page, before["z"])
    legend_after = page.locator("#kaart-legend").inner_text()
    assert "Jeugdigen in zorg per 1.000 jeugdigen" in legend_after
    assert legend_after != legend_before
    assert after["colours"] != before["colours"]
    assert after["rendered"] == 111
    assert query(page)["indicator"] == ["caseload_rate"]
    # the scheme picker restates the legend: natural breaks, 4 classes
    page.get_by_label("natuurlijke grenzen (Fisher-Jenks)").check()
    page.wait_for_function("() => document.querySelector('#kaart-legend').innerText.includes('Fisher-Jenks')")
    choose(page, "kaart-classes", "4")
    page.wait_for_function("() => document.querySelector('#kaart-legend').innerText.includes('4 klassen')")
    assert page.locator("#kaart-legend .legend-items li").count() >= 4


def _inner_point(view: AtlasView, code: str) -> tuple[float, float]:
    """A point well inside the buurt and away from its representative point (where a demo team may stand)."""
    from shapely.geometry import Point

    geom = view.buurten.loc[view.buurten["buurtcode"] == code].geometry.iloc[0]
    core = geom.buffer(-60)
    rep = geom.representative_point()
    minx, miny, maxx, maxy = core.bounds
    grid = [Point(x, y) for x in np.linspace(minx, maxx, 25) for y in np.linspace(miny, maxy, 25)]
    inside = [p for p in grid if core.contains(p)]
    best = max(inside, key=lambda p: p.distance(rep))
    wgs = gpd.GeoSeries([best], crs=view.buurten.crs).to_crs("EPSG:4326").iloc[0]
    return float(wgs.x), float(wgs.y)


def click_buurt(page: Any, view: AtlasView, code: str) -> None:
    """Click the map where a person would: a point well inside the buurt, projected by MapLibre itself."""
    lon, lat = _inner_point(view, code)
    point = page.evaluate(
        "([lon, lat]) => { const gd = document.querySelector('#kaart-graph .js-plotly-plot');"
        " const map = gd._fullLayout.map._subplot.map; const p = map.project([lon, lat]);"
        " const r = map.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }",
        [lon, lat],
    )
    page.mouse.click(point[0], point[1])


def test_clicking_a_buurt_opens_its_panel(page: Any, view: AtlasView) -> None:
    page.goto(page.base_url + "/")
    wait_for_map(page)
    largest = view.buurten.loc[view.buurten.area.idxmax()]  # room to click away from any team marker
    code, name = str(largest["buurtcode"]), str(largest["buurtnaam"])
    click_buurt(page, view, code)
    page.wait_for_function(
        "(name) => { const h = document.querySelector('#detail-title'); return h && h.innerText === name; }", arg=name
    )
    detail = page.locator("#kaart-detail").inner_text()
    assert code in detail
    assert f"Wijk {largest['wijknaam']}" in detail
    assert query(page)["buurt"] == [code]


def test_table_shows_the_values_of_the_hover(page: Any) -> None:
    page.goto(page.base_url + "/?indicator=caseload&periode=2023")
    info = wait_for_map(page)
    hover = {code: row[2] for code, row in zip(info["codes"], info["customdata"], strict=True)}
    assert "<5" in hover.values()  # the synthetic atlas has small counts: protection is visible
    template = page.evaluate("() => document.querySelector('#kaart-graph .js-plotly-plot').data[0].hovertemplate")
    assert "%{location}" in template
    assert "%{customdata[0]}" in template
    assert "%{customdata[2]}" in template
    page.locator(".nav-link", has_text="Tabel").click()
    page.wait_for_selector("#tabel-caption")
    assert query(page)["indicator"] == ["caseload"]
    rows = page.evaluate(
        "() => Array.from(document.querySelectorAll('.data-table tbody tr')).map(tr =>"
        " [tr.children[1].innerText, tr.children[tr.children.length - 1].innerText])"
    )
    table = dict(rows)
    assert len(table) == 111
    assert table == hover


def test_table_sorts_and_filters_by_keyboard(page: Any) -> None:
    page.goto(page.base_url + "/tabel?indicator=youth_population")
    page.wait_for_selector("#tabel-caption")
    page.locator("#tabel-filter").fill("oog in")
    page.wait_for_function("() => document.querySelectorAll('.data-table tbody tr').length === 1")
    page.locator("#tabel-filter").fill("")
    page.wait_for_function("() => document.querySelectorAll('.data-table tbody tr').length === 111")
    value_button = page.locator(".data-table thead button").last
    value_button.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.data-table thead th:last-child').getAttribute('aria-sort') === 'ascending'"
    )
    values = page.evaluate(
        "() => Array.from(document.querySelectorAll('.data-table tbody td.num')).map(td => td.innerText)"
    )
    numbers = [float(v.replace(".", "").replace(",", ".")) for v in values if v not in ("geen gegevens", "<5", "•")]
    assert numbers == sorted(numbers)


def test_url_round_trip_restores_the_view(page: Any) -> None:
    url = (
        page.base_url
        + "/?indicator=caseload_rate&periode=2023&schema=equal_interval&klassen=4&niveau=wijk&buurt=BU03440112"
    )
    page.goto(url)
    info = wait_for_map(page)
    assert info["locations"] == 10  # wijk level
    legend = page.locator("#kaart-legend").inner_text()
    assert "gelijke intervallen, 4 klassen" in legend
    assert "wijken" in legend
    assert page.locator("#kaart-period").inner_text().strip() == "2023"
    assert page.get_by_label("gelijke intervallen").is_checked()
    assert page.locator("#detail-title").inner_text() == "Oog in Al"
    # a change pushes a history entry; back restores the shared view, forward the change
    page.get_by_label("kwantielen").check()
    page.wait_for_function("() => new URLSearchParams(location.search).get('schema') === null")
    page.go_back()
    page.wait_for_function("() => document.querySelector('#kaart-legend').innerText.includes('gelijke intervallen')")
    # the legend and the radio are restored by separate callbacks; wait for the control too
    expect(page.get_by_label("gelijke intervallen")).to_be_checked()
    assert query(page)["schema"] == ["equal_interval"]
    page.go_forward()
    page.wait_for_function("() => document.querySelector('#kaart-legend').innerText.includes('kwantielen')")
    # opening the same link in a fresh page gives the same view
    page.goto(url)
    wait_for_map(page)
    assert "gelijke intervallen, 4 klassen" in page.locator("#kaart-legend").inner_text()


def test_keyboard_alone_reaches_the_buurt_list_and_opens_the_panel(page: Any) -> None:
    page.goto(page.base_url + "/")
    wait_for_map(page)
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "kaart-buurt":
            break
    else:
        pytest.fail("the buurt list cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.keyboard.type("Oog in Al")
    # As a user looks before choosing: the list has filtered to the match (typing is not instant on a busy machine).
    page.wait_for_function(
        "() => { const o = document.querySelector('[role=option]'); return o && o.innerText.startsWith('Oog in Al'); }"
    )
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => { const h = document.querySelector('#detail-title'); return h && h.innerText === 'Oog in Al'; }"
    )
    assert query(page)["buurt"] == ["BU03440112"]


def test_language_toggle_switches_labels_and_numbers(page: Any) -> None:
    page.goto(page.base_url + "/tabel?indicator=inhabitants&niveau=wijk")
    page.wait_for_selector("#tabel-caption")
    assert "Inwoners" in page.locator("#tabel-caption").inner_text()
    page.locator("#app-lang-toggle").click()
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    page.wait_for_selector("text=Inhabitants per district")
    assert query(page)["taal"] == ["en"]
    assert page.locator(".nav-link.current").inner_text() == "Table"
    numbers = page.evaluate(
        "() => Array.from(document.querySelectorAll('.data-table tbody td.num')).map(td => td.innerText)"
    )
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", n) for n in numbers), numbers


@pytest.mark.parametrize("path", ["/", "/tabel", "/wat-als", "/bronnen", "/?indicator=caseload&buurt=BU03440112"])
def test_axe_finds_no_serious_or_critical_violations(browser: Any, served_app: ServedApp, path: str) -> None:
    if not AXE_JS.is_file():
        pytest.fail(f"axe-core not found at {AXE_JS}; `make axe` installs it from the npm registry")
    # bypass_csp: the app's Content-Security-Policy rightly refuses injected scripts such as axe.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 860}, locale="nl-NL")
    try:
        pg = context.new_page()
        errors = PageErrors(served_app.url)
        pg.on("console", lambda m: errors.console.append(m.text) if m.type == "error" else None)
        pg.goto(served_app.url + path)
        pg.wait_for_selector(".site-main h1, .site-main .kaart-page")
        if path.startswith("/?") or path == "/":
            pg.wait_for_function(MAP_JS, timeout=30_000)
        # assets/a11y.js repairs each dropdown on the next animation frame after Dash renders it; a page under
        # load can still be rendering its last dropdown here, so wait until every one is repaired
        pg.wait_for_function(
            "() => Array.from(document.querySelectorAll('.dash-dropdown-focus-target'))"
            ".every(t => t.getAttribute('tabindex') === '-1')"
        )
        pg.add_script_tag(path=str(AXE_JS))
        violations = pg.evaluate(
            "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
        )
        name = "axe" + re.sub(r"\W+", "_", path)
        pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.json").write_text(json.dumps(violations, indent=1))
    finally:
        context.close()
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert bad == []
    assert errors.console == []


def test_whatif_adds_a_team_per_user_and_shows_gainers(page: Any) -> None:
    page.goto(page.base_url + "/wat-als")
    page.wait_for_selector("#watals-graph .js-plotly-plot")
    assert "Nog geen wijzigingen" in page.locator("#watals-steps").inner_text()
    choose(page, "watals-buurt", "Rijnenburg")
    page.locator("#watals-apply").click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('scenario') !== null")
    scenario = query(page)["scenario"][0]
    assert scenario.startswith("add:Nieuw team,")
    assert scenario.endswith(",Lokalis,buurtteam")
    page.wait_for_function("() => document.querySelectorAll('#watals-steps li').length === 1")
    result = page.locator("#watals-result").inner_text()
    assert "Rijnenburg" in result  # the new team's own buurt gains most
    assert "sneller" in result
    # the scenario lives in this user's URL: a fresh page without it shows the shared atlas unchanged
    shared = page.context.new_page()
    shared.goto(page.base_url + "/wat-als")
    shared.wait_for_selector("#watals-graph .js-plotly-plot")
    assert "Nog geen wijzigingen" in shared.locator("#watals-steps").inner_text()
    shared.close()
    # an unknown team in a link is refused with a message, in Dutch and naming the team
    page.goto(page.base_url + "/wat-als?scenario=remove:GEEN-TEAM")
    page.wait_for_selector("#watals-message [role=alert], #watals-message.notice, .notice[role=alert]")
    assert "GEEN-TEAM" in page.locator(".site-main").inner_text()


# ---------------------------------------------------------------- small-count protection


def _suppressed_cells(care_atlas: Path) -> pd.DataFrame:
    """Raw caseload cells (from the atlas, server side) with a count of 1–4, and their raw rates."""
    from etl.atlas import read_atlas

    raw = read_atlas(care_atlas, layers=["caseloads_buurt"])["caseloads_buurt"]
    return raw[(raw["aantal"] >= 1) & (raw["aantal"] <= 4)]


def test_no_protected_count_reaches_the_browser(page: Any, care_atlas: Path, view: AtlasView) -> None:
    small = _suppressed_cells(care_atlas)
    assert len(small) > 20  # the test means something only with many small counts
    bodies: list[tuple[str, str]] = []
    pending: list[Any] = []
    # The sync API cannot read a body inside its own event handler: collect, then read after each step.
    page.on("requestfinished", lambda request: pending.append(request))

    def drain() -> None:
        page.wait_for_load_state("networkidle")
        while pending:
            request = pending.pop()
            response = request.response()
            try:
                body = response.body() if response is not None else b""
            except Exception:  # redirects and aborted requests have no body
                continue
            bodies.append((request.url, body.decode("utf-8", errors="replace")))

    small_total = small[small["soort"] == "totaal"]
    buurt = str(small_total["buurtcode"].iloc[0])
    for period in ("2023", "2024"):
        for indicator in ("caseload", "caseload_rate"):
            page.goto(page.base_url + f"/?indicator={indicator}&periode={period}&buurt={buurt}")
            wait_for_map(page)
            drain()
            page.get_by_label("wijken").check()
            page.wait_for_function(
                "() => document.querySelector('#kaart-graph .js-plotly-plot').data[0].locations.length === 10"
            )
            drain()
            page.goto(page.base_url + f"/tabel?indicator={indicator}&periode={period}")
            page.wait_for_selector("#tabel-caption")
            drain()
    with page.expect_download() as download:
        page.locator("#tabel-download-button").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")  # the export's Dutch Excel CSV, with BOM
    bodies.append(("download.csv", csv_text))
    drain()
    assert any("_dash-update-component" in url for url, _ in bodies)

    # 1. The published tables mark every raw 1–4 cell as suppressed (the server side of the guarantee).
    published = view.tables["caseloads_buurt"]
    marks = published.set_index(["buurtcode", "periode", "soort"])["aantal__onderdrukt"]
    assert all(marks.loc[(r.buurtcode, r.periode, r.soort)] for r in small.itertuples())

    # 2. No raw rate of a suppressed cell, in any notation, in any response (rates are distinctive numbers).
    # Only data responses are scanned: bundled JavaScript and CSS are the same files for every atlas.
    data = [
        (url, body)
        for url, body in bodies
        if not re.search(r"/_dash-component-suites/|/assets/|\.js(\?|$)|\.css(\?|$)", url)
    ]
    # Full-precision notations are distinctive anywhere; a one-decimal rate only next to its own buurt's name
    # (another buurt may well have a visible rate with the same first decimal).
    rates = small["rate_per_1000"].dropna().astype(float)
    # (Three decimals would collide with Dutch thousands, "1.735" inhabitants: four or more only.)
    texts = {repr(r) for r in rates if len(repr(r).partition(".")[2]) >= 4} | {f"{r:.4f}" for r in rates}
    pattern = re.compile(
        r"(?<![\d.,])(" + "|".join(map(re.escape, sorted(texts, key=len, reverse=True))) + r")(?![\d])"
    )
    leaks = [(url, m.group(0)) for url, body in data for m in pattern.finditer(body)]
    names = dict(zip(view.buurten["buurtcode"], view.buurten["buurtnaam"], strict=True))
    for r in small[small["soort"] == "totaal"].dropna(subset=["rate_per_1000"]).itertuples():
        for digits in (1, 2):
            text = f"{r.rate_per_1000:.{digits}f}".replace(".", ",")
            near = re.compile(re.escape(json.dumps(names[r.buurtcode])) + r',"[^"\\]*","' + re.escape(text) + '"')
            leaks += [(url, text) for url, body in data if near.search(body)]
    assert leaks == []

    # 3. No protected count shown as 1–4 anywhere a value is shown: hover texts, table cells, CSV.
    hover_leaks = [m.group(0) for _, body in bodies for m in re.finditer(r'\["[^"\\]*","[^"\\]*","[1-4]"\]', body)]
    cell_leaks = [m.group(0) for _, body in bodies for m in re.finditer(r'"children":"[1-4]","className":"num"', body)]
    assert hover_leaks == []
    assert cell_leaks == []
    rows = list(csv.reader(io.StringIO(csv_text), delimiter=";"))
    small_2024 = set(small_total[small_total["periode"] == "2024"]["buurtcode"])
    assert len(rows) == 112
    assert rows[0][4:7] == ["Gemeentecode", "Gemeentenaam", "Grenzen (jaar)"]
    for code, _name, _wijkcode, _wijk, _gemeentecode, _gemeentenaam, _jaar, value, _note in rows[1:]:
        assert value not in ("1", "2", "3", "4")
        if code in small_2024:
            assert value in ("<5", "•"), (code, value)
