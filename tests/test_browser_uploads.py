"""Two browser sessions side by side: one uploads and applies its own caseloads, the other never sees them."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyogrio
import pytest
from conftest import ARTIFACTS, PageErrors, ServedApp
from openpyxl import load_workbook

pytestmark = pytest.mark.browser
FILE_NAME = "mijn_zorgaantallen_2099.csv"
SMALL = (1, 2, 3, 4)


@pytest.fixture(scope="module")
def upload_app(default_atlas: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    # gunicorn with two workers, as in production: a session's data must be found by whichever worker answers.
    app = ServedApp(
        default_atlas,
        env={"BUURTDEKKING_SESSION_DIR": str(tmp_path_factory.mktemp("sessions"))},
        gunicorn=True,
        timeout=240,
    )
    yield app
    app.stop()


def caseload_csv(atlas: Path) -> bytes:
    """Counts for every buurt in one new period, some of them small (1–4) so that protection must act."""
    codes = pyogrio.read_dataframe(atlas / "atlas.gpkg", layer="buurten", columns=["buurtcode"], read_geometry=False)[
        "buurtcode"
    ]
    rows = [f"{code};2099;{[0, 3, 12, 7, 25, 1, 40, 9][i % 8]}" for i, code in enumerate(sorted(codes))]
    return ("buurtcode;periode;buurtteam\r\n" + "\r\n".join(rows) + "\r\n").encode("utf-8-sig")


def open_page(browser: Any, app: ServedApp) -> tuple[Any, Any, PageErrors]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="nl-NL")
    page = context.new_page()
    errors = PageErrors(app.url)
    errors.watch(page)
    return context, page, errors


def _values_from_xlsx(data: bytes) -> tuple[list[object], dict[str, str]]:
    wb = load_workbook(io.BytesIO(data))
    values = [row[7] for row in wb["Tabel"].iter_rows(min_row=2, values_only=True)]
    info = {str(k): str(v) for k, v in wb["Toelichting"].iter_rows(values_only=True)}
    return values, info


def test_upload_is_seen_by_its_session_only(browser: Any, upload_app: ServedApp, default_atlas: Path) -> None:
    from playwright.sync_api import expect

    ctx_a, page_a, err_a = open_page(browser, upload_app)
    ctx_b, page_b, err_b = open_page(browser, upload_app)
    try:
        for page in (page_a, page_b):
            page.goto(upload_app.url + "/eigen-gegevens")
            expect(page.locator("#upload-applied")).to_contain_text("Nog niets", timeout=30_000)

        # A bad file first: the report names row and column, and nothing can be applied.
        page_a.set_input_files(
            "#upload-drop input[type=file]",
            files=[
                {
                    "name": "fout.csv",
                    "mimeType": "text/csv",
                    "buffer": b"buurtcode;periode;buurtteam\nBU99999999;2099;-3\n",
                }
            ],
        )
        report = page_a.locator("#upload-report")
        expect(report).to_contain_text("probleem", timeout=30_000)
        expect(report.locator("table.upload-problems")).to_contain_text("buurtcode")
        expect(page_a.locator("#upload-apply")).to_be_disabled()

        page_a.set_input_files(
            "#upload-drop input[type=file]",
            files=[{"name": FILE_NAME, "mimeType": "text/csv", "buffer": caseload_csv(default_atlas)}],
        )
        expect(report).to_contain_text("Geen fouten gevonden", timeout=30_000)
        expect(report).to_contain_text(FILE_NAME)
        expect(page_a.locator("#upload-apply")).to_be_enabled()
        page_a.click("#upload-apply")
        expect(page_a.locator("#upload-applied")).to_contain_text(FILE_NAME, timeout=30_000)
        page_a.screenshot(path=str(ARTIFACTS / "upload_session_a.png"), full_page=True)

        # B, at the same time: nothing applied, nothing of A's anywhere.
        page_b.reload()
        expect(page_b.locator("#upload-applied")).to_contain_text("Nog niets", timeout=30_000)
        assert FILE_NAME not in page_b.content()
        page_b.goto(upload_app.url + "/tabel?indicator=caseload&periode=2099")
        page_b.wait_for_timeout(1500)
        assert "2099" not in page_b.locator("#tabel-period").inner_text()
        page_b.screenshot(path=str(ARTIFACTS / "upload_session_b.png"), full_page=True)

        # A's own view has the new period, protected: the table shows <5 and never 1–4.
        page_a.goto(upload_app.url + "/tabel?indicator=caseload&periode=2099")
        expect(page_a.locator("#tabel-body")).to_contain_text("<5", timeout=30_000)
        page_a.screenshot(path=str(ARTIFACTS / "upload_session_a_table.png"), full_page=True)

        query = "/download/export?formaat=xlsx&gebied=GM0344&indicator=caseload&periode=2099"
        resp_a = ctx_a.request.get(upload_app.url + query)
        assert resp_a.status == 200, resp_a.text()
        values, info = _values_from_xlsx(resp_a.body())
        assert "<5" in values
        assert not [v for v in values if isinstance(v, (int, float)) and v in SMALL]
        assert any(FILE_NAME in v for k, v in info.items() if k.startswith("Herkomst"))
        resp_b = ctx_b.request.get(upload_app.url + query)
        assert resp_b.status == 400  # B's atlas has no period 2099: B cannot even ask for A's data
        assert FILE_NAME.encode() not in resp_b.body()
        assert "EXPORT_PERIOD" in resp_b.text()

        # The export panel of A's map links to A's view; the download is A's protected data.
        page_a.goto(upload_app.url + "/?indicator=caseload&periode=2099&soort=buurtteam")
        page_a.locator("#export-panel summary").click()
        link = page_a.locator("#export-panel a.export-link", has_text="CSV voor Nederlandse Excel")
        expect(link).to_have_attribute(
            "href", re.compile(r"formaat=csv&gebied=GM0344&pad=%2F&.*indicator=caseload"), timeout=30_000
        )
        with page_a.expect_download() as info:
            link.click()
        download = info.value
        assert re.fullmatch(r"buurtdekking_GM0344_caseload_2099_\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
        body = Path(download.path()).read_bytes().decode("utf-8-sig")
        cells = [row.split(";")[7] for row in body.split("\r\n")[1:] if row]
        assert "<5" in cells
        assert not {c for c in cells if c.isdigit() and int(c) in SMALL}
        page_a.screenshot(path=str(ARTIFACTS / "upload_session_a_map.png"), full_page=True)

        # Removing it brings the shared atlas back for A.
        page_a.goto(upload_app.url + "/eigen-gegevens")
        page_a.get_by_role("button", name="Verwijderen").click()
        expect(page_a.locator("#upload-applied")).to_contain_text("Nog niets", timeout=30_000)
        assert ctx_a.request.get(upload_app.url + query).status == 400
        assert err_a.all() == []
        assert err_b.all() == []
    finally:
        ctx_a.close()
        ctx_b.close()
