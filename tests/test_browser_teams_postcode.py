"""In the browser: a teams file by postcode is accepted on Eigen gegevens, which says where the teams stand and how
precise that is; applied, the map's team hover reads 'locatie: postcode … (midden van het postcodegebied, ± 1–2 km)'."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTIFACTS, REPO, PageErrors, ServedApp

pytestmark = pytest.mark.browser
EXAMPLE = REPO / "examples" / "teams_postcode.csv"
# The map's marker of one team, projected by MapLibre itself, in page pixels.
MARKER_JS = """
(name) => {
  const gd = document.querySelector('#kaart-graph .js-plotly-plot');
  const map = gd && gd._fullLayout.map && gd._fullLayout.map._subplot.map;
  if (!map || !map.loaded()) return null;
  for (const trace of gd.data) {
    if (trace.type !== 'scattermap' || !trace.hovertemplate || trace.visible === false) continue;
    const i = trace.hovertemplate.findIndex(h => h.includes('<b>' + name + '</b>'));
    if (i < 0) continue;
    const p = map.project([trace.lon[i], trace.lat[i]]);
    const r = map.getCanvas().getBoundingClientRect();
    return [r.left + p.x, r.top + p.y];
  }
  return null;
}
"""


@pytest.fixture(scope="module")
def app(default_atlas: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    served = ServedApp(
        default_atlas, env={"BUURTDEKKING_SESSION_DIR": str(tmp_path_factory.mktemp("sessions"))}, timeout=240
    )
    yield served
    served.stop()


def test_teams_by_postcode_upload_and_hover(browser: Any, app: ServedApp) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="nl-NL")
    page = context.new_page()
    errors = PageErrors(app.url)
    errors.watch(page)
    try:
        page.goto(app.url + "/eigen-gegevens")
        page.get_by_text("Teams (team_id").click()
        page.set_input_files(
            "#upload-drop input[type=file]",
            files=[{"name": EXAMPLE.name, "mimeType": "text/csv", "buffer": EXAMPLE.read_bytes()}],
        )
        report = page.locator("#upload-report")
        expect(report).to_contain_text("Geen fouten gevonden", timeout=60_000)
        expect(report).to_contain_text("Waar de teams staan")
        expect(report).to_contain_text("6 × midden van het postcodegebied, ± 1–2 km")
        expect(report).to_contain_text("--geocode pdok")
        page.screenshot(path=str(ARTIFACTS / "teams_postcode_upload.png"), full_page=True)
        page.click("#upload-apply")
        expect(page.locator("#upload-applied")).to_contain_text(EXAMPLE.name, timeout=30_000)

        page.goto(app.url + "/")
        page.wait_for_function(MARKER_JS, arg="Voorbeeldteam Overvecht (fictief)", timeout=120_000)
        x, y = page.evaluate(MARKER_JS, "Voorbeeldteam Overvecht (fictief)")
        page.mouse.move(x, y)
        hover = page.locator(".hoverlayer .hovertext")
        expect(hover).to_contain_text("Voorbeeldteam Overvecht (fictief)", timeout=10_000)
        expect(hover).to_contain_text("locatie: postcode 3562 (midden van het postcodegebied, ± 1–2 km)")
        page.screenshot(path=str(ARTIFACTS / "teams_postcode_hover.png"))
        assert errors.all() == []
    finally:
        errors.closing = True
        context.close()
