"""In the browser: own teams drive that user's what-if only; a too-large upload is named; the page speaks English on the
toggle; the table's CSV is the protected export; a threshold of 10 reads '<10' everywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyogrio
import pytest
from care_grid import care_grid_atlas
from conftest import ARTIFACTS, PageErrors, ServedApp

pytestmark = pytest.mark.browser
MB = 1024 * 1024
TEAMS_FILE = "mijn_teams.csv"
OWN_ID, OWN_NAME = "EIGEN-1", "Mijn proefteam"


@pytest.fixture(scope="module")
def own_app(default_atlas: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    app = ServedApp(
        default_atlas,
        env={"BUURTDEKKING_SESSION_DIR": str(tmp_path_factory.mktemp("sessions")), "BUURTDEKKING_UPLOAD_MAX_MB": "1"},
        timeout=240,
    )
    yield app
    app.stop()


def open_page(browser: Any, app: ServedApp) -> tuple[Any, Any, PageErrors]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="nl-NL", accept_downloads=True)
    page = context.new_page()
    errors = PageErrors(app.url)
    errors.watch(page)
    return context, page, errors


def teams_csv(atlas: Path) -> tuple[bytes, str]:
    """The atlas's teams as a planner would send them back: one left out, one of their own added. Returns (file, the dropped id)."""
    teams = pyogrio.read_dataframe(atlas / "atlas.gpkg", layer="teams")
    dropped = str(teams["team_id"].iloc[0])
    lines = ["team_id;naam;organisatie;soort;x;y;capaciteit_fte"]
    for row in teams.iloc[1:].itertuples():
        fte = "" if row.capaciteit_fte != row.capaciteit_fte else f"{row.capaciteit_fte:.1f}"
        lines.append(
            f"{row.team_id};{row.naam};{row.organisatie};{row.soort};{row.geometry.x:.1f};{row.geometry.y:.1f};{fte}"
        )
    lines.append(f"{OWN_ID};{OWN_NAME};Lokalis;buurtteam;136000.0;455900.0;2.0")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8"), dropped


def test_own_teams_drive_my_whatif_only(browser: Any, own_app: ServedApp, default_atlas: Path) -> None:
    from playwright.sync_api import expect

    data, dropped = teams_csv(default_atlas)
    ctx_a, page_a, err_a = open_page(browser, own_app)
    ctx_b, page_b, err_b = open_page(browser, own_app)
    try:
        page_a.goto(own_app.url + "/eigen-gegevens")
        page_a.get_by_text("Teams (team_id").click()
        page_a.set_input_files(
            "#upload-drop input[type=file]", files=[{"name": TEAMS_FILE, "mimeType": "text/csv", "buffer": data}]
        )
        expect(page_a.locator("#upload-report")).to_contain_text("Geen fouten gevonden", timeout=60_000)
        page_a.click("#upload-apply")
        expect(page_a.locator("#upload-applied")).to_contain_text(TEAMS_FILE, timeout=30_000)
        expect(page_a.locator("#upload-status")).to_contain_text("wat-als")

        # A's what-if starts from A's teams, and says so.
        page_a.goto(own_app.url + f"/wat-als?scenario=remove:{OWN_ID}")
        expect(page_a.locator("#watals-source")).to_contain_text(f"uw eigen teams uit {TEAMS_FILE}", timeout=120_000)
        expect(page_a.locator("#watals-steps")).to_contain_text(f"{OWN_NAME} weggehaald", timeout=60_000)
        expect(page_a.locator("#watals-result")).to_contain_text("langzamer")  # removing A's own team slows its buurten
        page_a.screenshot(path=str(ARTIFACTS / "whatif_own_teams_a.png"), full_page=True)
        # The team A left out is not in A's starting point.
        page_a.goto(own_app.url + f"/wat-als?scenario=remove:{dropped}")
        expect(page_a.locator(".site-main")).to_contain_text(f"Team '{dropped}' bestaat niet", timeout=60_000)

        # B, at the same time: the shared atlas's teams; A's team does not exist for B.
        page_b.goto(own_app.url + f"/wat-als?scenario=remove:{OWN_ID}")
        expect(page_b.locator("#watals-source")).to_contain_text("teams in de gedeelde atlas", timeout=120_000)
        expect(page_b.locator(".site-main")).to_contain_text(f"Team '{OWN_ID}' bestaat niet", timeout=60_000)
        assert TEAMS_FILE not in page_b.content()
        assert OWN_NAME not in page_b.content()
        page_b.screenshot(path=str(ARTIFACTS / "whatif_own_teams_b.png"), full_page=True)

        # Removing the upload brings A back to the atlas's teams.
        page_a.goto(own_app.url + "/eigen-gegevens")
        page_a.get_by_role("button", name="Verwijderen").click()
        expect(page_a.locator("#upload-applied")).to_contain_text("Nog niets", timeout=30_000)
        page_a.goto(own_app.url + "/wat-als")
        expect(page_a.locator("#watals-source")).to_contain_text("teams in de gedeelde atlas", timeout=60_000)
        assert err_a.all() == []
        assert err_b.all() == []
    finally:
        ctx_a.close()
        ctx_b.close()


def test_a_too_large_file_is_named_and_the_page_speaks_english(browser: Any, own_app: ServedApp) -> None:
    from playwright.sync_api import expect

    ctx, page, errors = open_page(browser, own_app)
    try:
        page.goto(own_app.url + "/eigen-gegevens")
        big = b"buurtcode;periode;buurtteam\r\n" + b"BU03440111;2024;12\r\n" * int(1.5 * MB / 20)
        page.set_input_files(
            "#upload-drop input[type=file]", files=[{"name": "groot.csv", "mimeType": "text/csv", "buffer": big}]
        )
        size = f"{len(big) / MB:.1f}".replace(".", ",")
        report = page.locator("#upload-report")
        expect(report).to_contain_text(f"groot.csv is {size} MB; het maximum is 1 MB", timeout=30_000)
        expect(report.locator("[role=alert]")).to_contain_text("niets veranderd")
        expect(page.locator("#upload-apply")).to_be_disabled()
        expect(page.locator("#upload-applied")).to_contain_text("Nog niets")
        page.screenshot(path=str(ARTIFACTS / "upload_too_large_nl.png"), full_page=True)

        page.locator("#app-lang-toggle").click()
        main = page.locator(".site-main")
        expect(main.locator("h1")).to_have_text("Add your own data", timeout=30_000)
        page.set_input_files(
            "#upload-drop input[type=file]", files=[{"name": "groot.csv", "mimeType": "text/csv", "buffer": big}]
        )
        expect(page.locator("#upload-report")).to_contain_text(
            f"groot.csv is {size.replace(',', '.')} MB; the maximum is 1 MB", timeout=30_000
        )
        text = main.inner_text()
        for english in (
            "Kind of data",
            "Drop a file here or",
            "choose a file",
            "at most 1 MB",
            "Apply in my session",
            "Nothing yet",
        ):
            assert english in text
        for dutch in (
            "Soort gegevens",
            "Sleep een bestand",
            "kies een bestand",
            "hoogstens",
            "Toepassen",
            "Nog niets",
            "rijen",
        ):
            assert dutch not in text
        page.screenshot(path=str(ARTIFACTS / "upload_too_large_en.png"), full_page=True)
        assert errors.all() == []
    finally:
        ctx.close()


def test_table_download_is_the_protected_export(browser: Any, own_app: ServedApp) -> None:
    ctx, page, errors = open_page(browser, own_app)
    try:
        page.goto(own_app.url + "/tabel?indicator=caseload")
        page.wait_for_selector("#tabel-body table")
        with page.expect_download() as info:
            page.click("#tabel-download-button")
        download = info.value
        assert re.fullmatch(r"buurtdekking_GM0344_caseload_[^_]+_\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
        raw = Path(download.path()).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = raw.decode("utf-8-sig").split("\r\n")
        assert (
            rows[0]
            == "Buurtcode;Buurtnaam;Wijkcode;Wijknaam;Gemeentecode;Gemeentenaam;Grenzen (jaar);Jeugdigen in zorg (aantal);Toelichting"
        )
        cells = [r.split(";")[7] for r in rows[1:] if r]
        assert len(cells) >= 100
        assert "<5" in cells
        assert not [c for c in cells if re.fullmatch(r"[1-4]", c)]
        assert errors.all() == []
    finally:
        ctx.close()


def test_threshold_ten_reads_ten_on_every_page(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    from playwright.sync_api import expect

    root = tmp_path_factory.mktemp("t10")
    app = ServedApp(
        care_grid_atlas(root / "atlas", threshold=10),
        env={"BUURTDEKKING_CACHE": str(root / "cache"), "BUURTDEKKING_SESSION_DIR": str(root / "sessions")},
    )
    ctx, page, errors = open_page(browser, app)
    try:
        page.goto(app.url + "/tabel?indicator=caseload")
        expect(page.locator("#tabel-body")).to_contain_text("<10", timeout=30_000)
        page.locator("#export-panel summary").click()
        main = page.locator(".site-main")
        expect(main).to_contain_text("Kleine aantallen zijn beschermd (<10)")
        expect(main).to_contain_text("Beschermde waarden (<10)")
        values = page.locator("#tabel-body td.num").all_inner_texts()
        assert not [v for v in values if re.fullmatch(r"[1-9]", v)]
        page.goto(app.url + "/?indicator=caseload")
        legend = page.locator("#kaart-legend")
        expect(legend).to_contain_text("beschermd: <10", timeout=30_000)
        expect(legend).to_contain_text("Aantallen 1–9 worden als <10 getoond")
        page.goto(app.url + "/bronnen")
        expect(main).to_contain_text("Kleine aantallen (1–9) verlaten de server nooit: ze staan overal als <10")
        page.screenshot(path=str(ARTIFACTS / "threshold_10_sources.png"), full_page=True)
        for path in ("/tabel?indicator=caseload", "/?indicator=caseload", "/bronnen"):
            page.goto(app.url + path)
            page.wait_for_timeout(1500)
            assert "<5" not in main.inner_text(), path
        assert errors.all() == []
    finally:
        ctx.close()
        app.stop()
