"""The permalink in an export never carries the Host a request claims: configured URL, allowed host, or relative.

Before, with BUURTDEKKING_PUBLIC_URL unset, ``Host: evil.example`` put ``http://evil.example/?…`` into the XLSX.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from care_grid import care_grid_atlas
from openpyxl import load_workbook

from dashboard.public_url import allowed_hosts, hostname
from dashboard.settings import AppSettings

EXPORT = "/download/export?formaat=xlsx&gebied=WK999902&indicator=inhabitants&pad=/tabel"


def _permalink(xlsx: bytes) -> str:
    wb = load_workbook(io.BytesIO(xlsx), read_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            if row and row[0] == "Link naar deze weergave":
                return str(row[1])
    raise AssertionError("no permalink row in the workbook")


def _export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str, **env: str) -> str:
    from dashboard.app import create_app

    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    for name in ("BUURTDEKKING_PUBLIC_URL", "BUURTDEKKING_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    atlas = tmp_path / "atlas"
    app = create_app(atlas if atlas.exists() else care_grid_atlas(atlas, threshold=10))
    resp = app.server.test_client().get(EXPORT, headers={"Host": host})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return _permalink(resp.data)


@pytest.mark.parametrize(
    ("host", "env", "expected"),
    [
        # No configuration: only the machine's own names are trusted (the test client's default is localhost).
        ("localhost", {}, "http://localhost/tabel?indicator=inhabitants"),
        ("127.0.0.1:8050", {}, "http://127.0.0.1:8050/tabel?indicator=inhabitants"),
        ("evil.example", {}, "/tabel?indicator=inhabitants"),
        ("evil.example:80", {}, "/tabel?indicator=inhabitants"),
        ("localhost.evil.example", {}, "/tabel?indicator=inhabitants"),
        ("[::1]:8050", {}, "http://[::1]:8050/tabel?indicator=inhabitants"),
        ("[bad", {}, "/tabel?indicator=inhabitants"),
        # An allow-list replaces the defaults.
        (
            "dash.utrecht.example",
            {"BUURTDEKKING_ALLOWED_HOSTS": "dash.utrecht.example"},
            "http://dash.utrecht.example/tabel?indicator=inhabitants",
        ),
        ("localhost", {"BUURTDEKKING_ALLOWED_HOSTS": "dash.utrecht.example"}, "/tabel?indicator=inhabitants"),
        # The configured address wins over any Host.
        (
            "evil.example",
            {"BUURTDEKKING_PUBLIC_URL": "https://dash.utrecht.example/"},
            "https://dash.utrecht.example/tabel?indicator=inhabitants",
        ),
    ],
)
def test_the_permalink_in_the_xlsx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str, env: dict[str, str], expected: str
) -> None:
    assert _export(tmp_path, monkeypatch, host, **env) == expected


def _listed(value: str) -> tuple[str, ...]:
    return AppSettings.from_environ({"BUURTDEKKING_ALLOWED_HOSTS": value}).allowed_hosts


def test_allowed_hosts_add_the_host_serve_listens_on() -> None:
    assert allowed_hosts() == {"127.0.0.1", "localhost", "::1"}
    assert allowed_hosts(bind_host="planner-pc.local") == {"127.0.0.1", "localhost", "::1", "planner-pc.local"}
    assert allowed_hosts(bind_host="0.0.0.0") == {
        "127.0.0.1",
        "localhost",
        "::1",
    }  # listening everywhere names no host
    assert allowed_hosts(_listed(" Dash.Example , other.example:8443")) == {
        "dash.example",
        "other.example",
    }


@pytest.mark.parametrize(
    ("host", "name"), [("Example.org:80", "example.org"), ("[::1]", "::1"), ("x:notaport", None), ("", None)]
)
def test_hostname(host: str, name: str | None) -> None:
    assert hostname(host) == name


def test_a_bare_ipv6_address_in_the_list() -> None:
    assert allowed_hosts(_listed("::1,fe80::2")) == {"::1", "fe80::2"}


# ---------------------------------------------------------------- every format, as the export writes it


def _texts(fmt: str, data: bytes) -> str:
    """All the text a reader of the file can see or follow: cells, PDF text and link targets, GeoPackage rows."""
    if fmt == "xlsx":
        wb = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(
            str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
        )
    if fmt == "pdf":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        parts = [" ".join(page.extract_text().split()) for page in reader.pages]
        for page in reader.pages:
            for annot in page.get("/Annots") or []:
                action = annot.get_object().get("/A")
                if action is not None and "/URI" in action:
                    parts.append(f"URI {action['/URI']}")
        return "\n".join(parts)
    if fmt == "gpkg":
        import sqlite3
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".gpkg") as fh:
            fh.write(data)
            fh.flush()
            db = sqlite3.connect(fh.name)
            try:
                tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
                return "\n".join(
                    str(v)
                    for t in tables
                    for row in db.execute(f'SELECT * FROM "{t}"')
                    for v in row
                    if isinstance(v, str)
                )
            finally:
                db.close()
    return data.decode("utf-8-sig")


def _download(client: object, choice: str, host: str) -> bytes:
    resp = client.get(EXPORT.replace("formaat=xlsx", f"formaat={choice}"), headers={"Host": host})  # type: ignore[attr-defined]
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return bytes(resp.data)


@pytest.fixture
def unconfigured_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    from dashboard.app import create_app

    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    for name in ("BUURTDEKKING_PUBLIC_URL", "BUURTDEKKING_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    return create_app(care_grid_atlas(tmp_path / "atlas", threshold=10)).server.test_client()


@pytest.mark.parametrize(("choice", "fmt"), [("xlsx", "xlsx"), ("gpkg", "gpkg"), ("csv", "csv"), ("csvstd", "csv")])
def test_a_claimed_host_is_in_no_export(unconfigured_client: object, choice: str, fmt: str) -> None:
    evil = _texts(fmt, _download(unconfigured_client, choice, "evil.example"))
    own = _texts(fmt, _download(unconfigured_client, choice, "localhost"))
    assert "evil.example" not in evil
    if fmt == "csv":
        # The CSV holds the table only: the Host cannot change a byte of it.
        assert evil == own
        assert "localhost" not in own
    else:
        # The same view's link: relative for the claimed host, absolute for the machine's own name.
        assert "/tabel?indicator=inhabitants" in evil
        assert "http://localhost/tabel?indicator=inhabitants" in own
        assert not re.search(r"https?://[^\s/]*/tabel", evil)  # no absolute link to the view at all


@pytest.mark.slow
def test_a_claimed_host_is_not_in_the_pdf(unconfigured_client: object) -> None:
    evil = _texts("pdf", _download(unconfigured_client, "pdf", "evil.example"))
    assert "evil.example" not in evil
    # Hand-derived: the relative permalink, as text and as the link's target.
    assert "/tabel?indicator=inhabitants" in evil
    assert "URI /tabel?indicator=inhabitants" in evil
    assert not re.search(r"https?://[^\s/]*/tabel", evil)
