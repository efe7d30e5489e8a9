"""In the browser: a ragged CSV and a damaged workbook get their row-level answer on the upload page (never "could not
be checked", never a server error), and Dutch Excel's "Unicode-tekst" (UTF-16, tabs) is accepted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTIFACTS, REPO, PageErrors, ServedApp

pytestmark = pytest.mark.browser
CORPUS = REPO / "tests" / "corpus"


@pytest.fixture(scope="module")
def app(default_atlas: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    served = ServedApp(
        default_atlas, env={"BUURTDEKKING_SESSION_DIR": str(tmp_path_factory.mktemp("sessions"))}, timeout=240
    )
    yield served
    served.stop()


def test_ragged_rows_and_a_damaged_workbook_are_named_and_unicode_text_is_read(browser: Any, app: ServedApp) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="nl-NL")
    page = context.new_page()
    errors = PageErrors(app.url)
    errors.watch(page)
    try:
        page.goto(app.url + "/eigen-gegevens")
        report = page.locator("#upload-report")
        drop = "#upload-drop input[type=file]"
        # Row 3 of this caseload file has 2 of its 4 fields (it once ended in "could not be checked (AttributeError)").
        ragged = b"buurtcode;periode;buurtteam;totaal\r\nBU03440221;2024;3;4\r\nBU03440311;2024\r\n"
        page.set_input_files(drop, files=[{"name": "scheef.csv", "mimeType": "text/csv", "buffer": ragged}])
        problems = report.locator("table.upload-problems")
        expect(problems).to_contain_text("ROW_FIELD_COUNT", timeout=30_000)
        row = problems.locator("tbody tr").first
        expect(row.locator("td").first).to_have_text("3")
        expect(row).to_contain_text("Rij 3 heeft 2 velden, de kopregel 4")
        expect(page.locator("#upload-apply")).to_be_disabled()
        assert "gecontroleerd" not in report.inner_text()
        page.screenshot(path=str(ARTIFACTS / "upload_ragged_row.png"), full_page=True)

        damaged = (
            CORPUS / "teams-corrupt-deflate.xlsx"
        ).read_bytes()  # its sheet's deflate stream is broken (was HTTP 500)
        page.locator("input[type=radio][value=teams]").check()
        page.set_input_files(
            drop, files=[{"name": "kapot.xlsx", "mimeType": "application/octet-stream", "buffer": damaged}]
        )
        expect(problems).to_contain_text("FILE_NOT_TABLE", timeout=30_000)
        expect(problems).to_contain_text("beschadigd")
        page.screenshot(path=str(ARTIFACTS / "upload_damaged_xlsx.png"), full_page=True)

        text = (
            (REPO / "examples" / "caseloads_wide.csv")
            .read_text(encoding="utf-8")
            .replace(";", "\t")
            .replace("\n", "\r\n")
        )
        page.locator("input[type=radio][value=caseloads]").check()
        page.set_input_files(
            drop, files=[{"name": "unicode-tekst.txt", "mimeType": "text/plain", "buffer": text.encode("utf-16")}]
        )
        expect(report).to_contain_text("Geen fouten gevonden", timeout=30_000)
        expect(report).to_contain_text("unicode-tekst.txt")
        expect(page.locator("#upload-apply")).to_be_enabled()
        page.screenshot(path=str(ARTIFACTS / "upload_unicode_text.png"), full_page=True)
        assert errors.all() == []
    finally:
        context.close()


def test_a_refused_file_leaves_the_checked_one_ready_and_the_applied_one_in_place(page: Any) -> None:
    """Good teams, then a ragged teams file: the problems are shown with their row and the table's real size, and
    the good file is still the one Apply applies; after applying, another refused file leaves it applied."""
    from playwright.sync_api import expect

    good = (REPO / "examples" / "teams.csv").read_bytes()  # header + 4 teams, 11 columns
    lines = good.decode("utf-8").splitlines()
    lines[2] += ";extra"  # row 3 (VB-02) gets a 12th field
    bad = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    page.goto(page.base_url + "/eigen-gegevens")
    report, apply_button = page.locator("#upload-report"), page.locator("#upload-apply")
    drop = "#upload-drop input[type=file]"
    page.locator("input[type=radio][value=teams]").check()
    page.set_input_files(drop, files=[{"name": "goede_teams.csv", "mimeType": "text/csv", "buffer": good}])
    expect(report).to_contain_text("Geen fouten gevonden", timeout=60_000)
    expect(apply_button).to_be_enabled()

    page.set_input_files(drop, files=[{"name": "scheve_teams.csv", "mimeType": "text/csv", "buffer": bad}])
    problems = report.locator("table.upload-problems")
    expect(problems).to_contain_text("ROW_FIELD_COUNT", timeout=60_000)
    cells = problems.locator("tbody tr").first.locator("td")
    expect(cells.nth(0)).to_have_text("3")  # Rij
    expect(cells.nth(3)).to_contain_text("Rij 3 heeft 12 velden, de kopregel 11")
    expect(report).to_contain_text("Controle van scheve_teams.csv")
    expect(report).to_contain_text("4 rijen · 11 kolommen")  # the ragged file's real size, not 0 · 0
    expect(report).to_contain_text("goede_teams.csv (teams, 4 rijen) staat nog klaar")
    expect(apply_button).to_be_enabled()
    page.screenshot(path=str(ARTIFACTS / "upload_refused_keeps_pending.png"), full_page=True)

    apply_button.click()
    applied = page.locator("#upload-applied")
    expect(applied).to_contain_text("teams: goede_teams.csv (4 rijen", timeout=30_000)
    expect(page.locator("#upload-status")).to_contain_text("gebruiken nu uw teams")

    # A file that is no table at all: said so with its code; what was applied stays applied, nothing is offered.
    page.set_input_files(drop, files=[{"name": "brief.csv", "mimeType": "text/csv", "buffer": b"%PDF-1.7 geen tabel"}])
    expect(report).to_contain_text("Controle van brief.csv", timeout=60_000)
    expect(report).to_contain_text("niet als tabel te lezen (UPLOAD_BINARY)")
    expect(report).not_to_contain_text("0 rijen")
    expect(report).to_contain_text("Er is niets veranderd aan wat u eerder hebt geladen of toegepast.")
    expect(applied).to_contain_text("teams: goede_teams.csv (4 rijen")
    expect(apply_button).to_be_disabled()
    page.screenshot(path=str(ARTIFACTS / "upload_refused_keeps_applied.png"), full_page=True)
