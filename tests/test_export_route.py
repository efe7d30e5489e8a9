"""The dashboard's download route: PDF and print PNG of the current view, permalink to the page it came from."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from pypdf import PdfReader

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_pdf_and_print_png_from_the_route(default_atlas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.app import create_app

    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "s"))
    monkeypatch.delenv("BUURTDEKKING_PUBLIC_URL", raising=False)
    client = create_app(default_atlas).server.test_client()
    resp = client.get("/download/export?formaat=pdf&gebied=WK034404&indicator=inhabitants&pad=/tabel")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/pdf"
    page = PdfReader(io.BytesIO(resp.data)).pages[0]
    text = " ".join(page.extract_text().split())
    assert "Noordoost (WK034404)" in text
    assert "http://localhost/tabel?indicator=inhabitants" in text
    # An unknown page path falls back to the map: a link never points outside the app.
    resp = client.get("/download/export?formaat=png300&gebied=WK034404&indicator=inhabitants&pad=//evil.example/x")
    assert resp.status_code == 200
    width, height = struct.unpack(">II", resp.data[16:24])
    assert abs(width - 3000) <= 2
    assert abs(height - 2055) <= 2
    resp = client.get("/download/export?formaat=pdf&gebied=WK034404&indicator=inhabitants&pad=//evil.example/x")
    assert "http://localhost/?indicator=inhabitants" in " ".join(
        PdfReader(io.BytesIO(resp.data)).pages[0].extract_text().split()
    )
