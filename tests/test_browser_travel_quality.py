"""In Chromium: the quality of a travel time beside the minutes, and the legend's note on estimates and far snaps.

Two atlases: the default Utrecht atlas (no network: every travel time is a straight-line estimate) and one built
on the real Geofabrik cycleways (buurten kilometres from the nearest line: far snaps, e.g. Rijnenburg).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTIFACTS, PageErrors, ServedApp

from cli.main import main
from etl.atlas import read_manifest

pytestmark = [pytest.mark.browser, pytest.mark.integration]
MAP_READY = "() => { const gd = document.querySelector('#kaart-graph .js-plotly-plot'); return !!(gd && gd.data && gd.data[0] && gd.data[0].customdata); }"


@pytest.fixture(scope="module")
def cycleway_atlas(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cycleway-atlas") / "atlas"
    network = data_dir / "osm" / "utrecht_cycleways_geofabrik_schema.geojson"
    with contextlib.redirect_stderr(io.StringIO()):
        assert (
            main(["build", "--data-dir", str(data_dir), "--out", str(out), "--network", str(network), "--quiet"]) == 0
        )
    return out


@pytest.fixture(scope="module")
def cycleway_app(cycleway_atlas: Path) -> Iterator[ServedApp]:
    app = ServedApp(cycleway_atlas)
    yield app
    app.stop()


@contextlib.contextmanager
def opened(browser: Any, app: ServedApp, name: str, *, shot: str = "") -> Iterator[Any]:
    """A fresh page on ``app``; a screenshot (of the page, or of the element ``shot``) when done; no console errors
    or off-site requests allowed."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="nl-NL")
    page = context.new_page()
    errors = PageErrors(app.url)
    errors.watch(page)
    try:
        yield page
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if shot:
            page.locator(shot).screenshot(path=str(ARTIFACTS / f"{name}.png"))
        else:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        errors.closing = True
        context.close()
    assert errors.all() == [], f"browser errors: {errors.all()}"


def _customdata(page: Any) -> list[list[str]]:
    return page.evaluate("() => document.querySelector('#kaart-graph .js-plotly-plot').data[0].customdata")  # type: ignore[no-any-return]


def test_the_default_atlas_shows_every_travel_time_as_an_estimate(browser: Any, served_app: ServedApp) -> None:
    with opened(browser, served_app, "travel_quality_default_detail") as page:
        page.goto(served_app.url + "/?indicator=tt_buurtteam&modus=bike&buurt=BU03440112")
        page.wait_for_function(MAP_READY)
        page.wait_for_function(
            "() => { const h = document.querySelector('#detail-title'); return h && h.innerText === 'Oog in Al'; }"
        )
        legend = page.locator("#kaart-legend").inner_text()
        assert "Schatting: hemelsbreed × omwegfactor — voor deze vervoerswijze is geen stratennet gebruikt." in legend
        travel = page.locator("#kaart-detail table.mini-table").inner_text()
        # every row: minutes, the team, and right under them how sure they are
        assert travel.count("schatting: hemelsbreed × omwegfactor") >= 3
        assert " min · " in travel
        assert all(row[2].endswith(" · schatting: hemelsbreed × omwegfactor") for row in _customdata(page))
    with opened(browser, served_app, "travel_quality_default_table") as page:
        page.goto(served_app.url + "/tabel?indicator=tt_buurtteam&modus=walk")
        page.wait_for_selector("#tabel-caption")
        header = page.locator(".data-table thead").inner_text()
        assert "Betrouwbaarheid reistijd" in header
        cells = page.evaluate(
            "() => Array.from(document.querySelectorAll('.data-table tbody td.quality')).map(td => td.innerText)"
        )
        assert len(cells) == 111
        assert set(cells) == {"schatting: hemelsbreed × omwegfactor"}


def test_far_snaps_are_marked_beside_the_minutes_and_in_the_legend(
    browser: Any, cycleway_app: ServedApp, cycleway_atlas: Path
) -> None:
    far = read_manifest(cycleway_atlas)["methods"]["travel"]["far_snaps"]["bike"]["buurten"][0]
    assert (far["buurtcode"], far["buurtnaam"]) == ("BU03441041", "Rijnenburg")  # the farthest from any cycleway
    # the Sources page prints the leg in whole metres with a Dutch thousands mark
    leg_text = f"{far['leg_m']:,.0f} m".replace(",", ".")
    with opened(browser, cycleway_app, "travel_quality_far_snap_detail") as page:
        page.goto(cycleway_app.url + "/?indicator=tt_buurtteam&modus=bike&buurt=BU03441041")
        page.wait_for_function(MAP_READY)
        page.wait_for_function(
            "() => { const h = document.querySelector('#detail-title'); return h && h.innerText === 'Rijnenburg'; }"
        )
        legend = page.locator("#kaart-legend").inner_text()
        assert "⚠ ver aangesloten:" in legend
        assert "meer dan 500 m van het stratennet" in legend
        travel = page.locator("#kaart-detail table.mini-table").inner_text()
        assert "⚠ netwerk, ver aangesloten (> 500 m)" in travel
        rijnenburg = dict(
            zip(
                page.evaluate("() => document.querySelector('#kaart-graph .js-plotly-plot').data[0].locations"),
                (row[2] for row in _customdata(page)),
                strict=True,
            )
        )["BU03441041"]
        assert rijnenburg.endswith(" min · ⚠ netwerk, ver aangesloten (> 500 m)")
    with opened(browser, cycleway_app, "travel_quality_far_snap_sources", shot="#bronnen-reistijd") as page:
        page.goto(cycleway_app.url + "/bronnen")
        section = page.locator("#bronnen-reistijd")
        section.wait_for()
        section.locator("details").first.locator("summary").click()  # the full list of far buurten
        text = section.inner_text()
        assert "Reistijden: hoe zeker" in text
        assert "BU03441041 Rijnenburg" in text
        assert "verder dan 500 m van het netwerk aangesloten" in text
        assert f"BU03441041 Rijnenburg: {leg_text}" in text
