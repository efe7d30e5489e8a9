"""Referral routes in the browser: click a buurt, its panel shows the route chart against its wijk and
the city; the map, table and that chart carry only published (protected) values."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pytest
from conftest import ARTIFACTS
from test_browser_dashboard import click_buurt, wait_for_map

from etl.atlas import read_atlas
from views.data import AtlasView, build_view

pytestmark = pytest.mark.browser

BUURT, NAME, WIJK = "BU03440112", "Oog in Al", "West"
ROUTE_LABELS = ["buurtteam", "huisarts", "jeugdarts", "SAVE", "med. specialist", "overig"]
CHART_JS = """
() => {
  const gd = document.querySelector('#kaart-routes .js-plotly-plot');
  if (!gd || !gd.data || !gd._fullLayout) return null;
  return gd.data.map(t => ({name: t.name, x: t.x, y: t.y, text: t.text}));
}
"""


@pytest.fixture(scope="module")
def view(default_atlas: Path) -> AtlasView:
    return build_view(default_atlas)


def _without_colour_stops(body: str) -> str:
    """A response without plotly's theme templates and colour scales: their stops (1/3, 3/7 …) are not our data.

    The map page's HTML carries its figure as a JSON data block (dashboard/first_paint.py): stripped the same way.
    """
    if body.lstrip().startswith("<"):
        block = re.compile(r'(<script type="application/json" id="first-map-figure">)(.*?)(</script>)', re.S)
        return block.sub(
            lambda m: m.group(1) + _without_colour_stops(m.group(2).replace("<\\/", "</")) + m.group(3), body
        )
    try:
        data = json.loads(body)
    except ValueError:
        return body

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("template", "colorscale")}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return json.dumps(strip(data))


def _published_shares(view: AtlasView, level: str, code: str, period: str) -> list[tuple[str, float]]:
    """Per route the text and the bar length the chart should show, from the published table."""
    key = {"buurt": "buurtcode", "wijk": "wijkcode", "gemeente": "gemeentecode"}[level]
    t = view.tables[f"referrals_{level}"]
    part = t[(t[key] == code) & (t["periode"] == period) & (t["soort"] == "specialistisch")].set_index("verwijzer")
    out = []
    for route in ("buurtteam", "huisarts", "jeugdarts", "save", "medisch_specialist", "overig"):
        row = part.loc[route]
        if row["aandeel__onderdrukt"]:
            out.append(("•" if row["aandeel__reden"] == "secundair" else "<5", 0.0))
        else:
            out.append((f"{row['aandeel'] * 100:.0f}%", round(float(row["aandeel"]) * 100, 1)))
    return out


def test_clicking_a_buurt_shows_its_route_chart_against_wijk_and_city(
    page: Any, view: AtlasView, default_atlas: Path
) -> None:
    bodies: list[tuple[str, str]] = []

    def keep(response: Any) -> None:
        path = urlsplit(response.url).path  # assets carry ?m=<mtime>
        if path.endswith((".js", ".css", ".png", ".svg", ".pbf", ".woff2")) or "/geo/" in path:
            return  # the app's code, styles, glyphs and geometry: no data of ours
        try:
            bodies.append((response.url, response.body().decode("utf-8", errors="replace")))
        except Exception:  # redirects and aborted requests have no body
            return

    page.on("response", keep)
    page.goto(page.base_url + "/?indicator=referral_share_buurtteam")
    info = wait_for_map(page)
    assert info["rendered"] == 111
    assert "Specialistische zorg via het buurtteam" in page.locator("#kaart-legend").inner_text()
    click_buurt(page, view, BUURT)
    page.wait_for_function(
        f"() => {{ const h = document.querySelector('#detail-title'); return h && h.innerText === '{NAME}'; }}"
    )
    chart = page.wait_for_function(CHART_JS, timeout=15_000).json_value()
    panel = page.locator("#kaart-detail")
    panel.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(ARTIFACTS / "referrals_detail_panel.png"))

    assert [t["name"] for t in chart] == ["Deze buurt", f"Wijk {WIJK}", "Stad"]
    assert all(t["y"] == ROUTE_LABELS for t in chart)
    period = "2024"
    assert f"Wie brengt specialistische zorg in? ({period})" in panel.inner_text()
    expected = [
        _published_shares(view, lv, code, period)
        for lv, code in (("buurt", BUURT), ("wijk", "WK034401"), ("gemeente", "GM0344"))
    ]
    # A protected bar has no length and says <5 or •; a shown one is its published share.
    assert [list(zip(t["text"], t["x"], strict=True)) for t in chart] == expected
    assert any(text in ("<5", "•") for t in chart for text in t["text"])  # this buurt has protected routes
    assert "Via het buurtteam bij aanbieder KOOS" in panel.inner_text()
    # The text alternative carries the same values.
    cells = page.locator("#kaart-detail table.visually-hidden tbody tr").all_inner_texts()
    assert len(cells) == 6
    assert cells[0].split("\t")[1:] == [e[0][0] for e in expected]

    # Nothing of a protected route reached the browser: no raw share or rate of a hidden count, in any notation.
    raw = read_atlas(default_atlas, layers=["referrals_buurt"])["referrals_buurt"]
    published = view.tables["referrals_buurt"].set_index(["buurtcode", "periode", "soort", "verwijzer"])
    hidden = raw[
        [
            bool(published.loc[(r.buurtcode, r.periode, r.soort, r.verwijzer), "aandeel__onderdrukt"])
            for r in raw.itertuples()
        ]
    ]
    assert len(hidden) > 100
    page.wait_for_load_state("networkidle")
    assert any("_dash-update-component" in url for url, _ in bodies)
    bodies = [(url, _without_colour_stops(body)) for url, body in bodies]
    leaks = []
    for r in hidden[hidden["aandeel"] > 0].itertuples():
        share = float(r.aandeel)
        # Distinctive notations only (1/3 → 0.3333333333333333 or 33.33333333333333); a round 0.25 means nothing.
        for text in {repr(share), repr(share * 100)} - {repr(round(share, 3)), repr(round(share * 100, 1))}:
            pattern = re.compile(r"(?<![\d.,])" + re.escape(text) + r"(?![\d])")
            leaks += [(r.buurtcode, r.verwijzer, text, url) for url, body in bodies if pattern.search(body)]
    assert leaks == []
    small = raw[(raw["aantal"] >= 1) & (raw["aantal"] <= 4)]
    assert len(small) > 100  # small route counts exist, so the protection is exercised
    assert all(
        published.loc[(r.buurtcode, r.periode, r.soort, r.verwijzer), "aantal__onderdrukt"] for r in small.itertuples()
    )


def test_route_indicators_on_map_table_and_wijk_level(page: Any) -> None:
    page.goto(page.base_url + "/?indicator=referral_dominant&periode=2023")
    wait_for_map(page)
    legend = page.locator("#kaart-legend").inner_text()
    assert "Meest gebruikte verwijsroute" in legend
    assert "via het buurtteam" in legend
    page.wait_for_load_state("networkidle")  # leaving with callbacks in flight aborts them (a console error)
    page.goto(page.base_url + "/tabel?indicator=referral_share_buurtteam&niveau=wijk")
    page.wait_for_selector("#tabel-caption")
    rows = page.locator(".data-table tbody tr").all_inner_texts()
    assert len(rows) == 10
    values = [r.split("\t")[-1] for r in rows]
    assert all(re.fullmatch(r"\d{1,3}%|<5|•", v) for v in values), values
    page.wait_for_load_state("networkidle")
    page.goto(page.base_url + "/tabel?indicator=referral_change&niveau=buurt")
    page.wait_for_selector("#tabel-caption")
    cells = [r.split("\t")[-1] for r in page.locator(".data-table tbody tr").all_inner_texts()]
    assert len(cells) == 111
    assert any(c.endswith("%-punt") for c in cells)
    assert not any(re.fullmatch(r"[1-4]", c) for c in cells)
    page.wait_for_load_state("networkidle")


def test_english_labels_of_the_route_chart(page: Any, view: AtlasView) -> None:
    page.goto(page.base_url + f"/?indicator=referral_share_buurtteam&buurt={BUURT}&taal=en")
    chart = page.wait_for_function(CHART_JS, timeout=30_000).json_value()
    assert [t["name"] for t in chart] == ["This neighbourhood", f"District {WIJK}", "City"]
    assert chart[0]["y"][:2] == ["buurtteam", "GP"]
    assert "Who brings specialist care in?" in page.locator("#kaart-detail").inner_text()
    assert isinstance(pd.Series(chart[0]["x"]).sum(), float | int)
