"""The server's log (dashboard/logs.py): one line per event, text or JSON, and never a name, a password or a count."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from care_grid import COUNTS, care_grid_atlas
from conftest import ServedApp

from dashboard import logs
from dashboard.security import ConfigError
from dashboard.settings import AppSettings


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """The configured handler's output, as the operator would see it on stderr."""
    out = io.StringIO()
    yield out
    logs.configure()  # back to the default handler on stderr


def _configure(out: io.StringIO, **env: str) -> None:
    settings = AppSettings.from_environ(env)
    logs.configure(level=settings.log_level, fmt=settings.log_format)
    (handler,) = [h for h in logs.log.handlers if getattr(h, "_buurtdekking_handler", False)]
    handler.setStream(out)  # type: ignore[attr-defined]


def test_text_lines(stream: io.StringIO) -> None:
    _configure(stream)
    logs.export(area="WK034404", fmt="xlsx")
    logs.event("debug_only", level=logging.DEBUG)
    (line,) = stream.getvalue().splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO \[\d+\] export area=WK034404 format=xlsx", line)


def test_json_lines_and_debug(stream: io.StringIO) -> None:
    _configure(stream, BUURTDEKKING_LOG_FORMAT="json", BUURTDEKKING_LOG_LEVEL="debug")
    try:
        raise ValueError("boom")
    except ValueError as exc:
        logs.render_error(callback="kaart-figure.data", exc=exc)
    # JSON escapes the traceback's line breaks: still one line per record.
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert {k: first[k] for k in ("level", "event", "callback", "error")} == {
        "level": "ERROR",
        "event": "render_error",
        "callback": "kaart-figure.data",
        "error": "ValueError",
    }
    # At DEBUG (only) the traceback follows, as a record of its own.
    assert second["event"] == "render_error_traceback"
    assert "ValueError: boom" in second["traceback"]


BAD_SETTINGS = [
    (
        {"BUURTDEKKING_LOG_LEVEL": "loud"},
        "BUURTDEKKING_LOG_LEVEL='loud' is geen logniveau; kies DEBUG, INFO, WARNING, ERROR / "
        "is not a log level; choose DEBUG, INFO, WARNING, ERROR",
    ),
    (
        {"BUURTDEKKING_LOG_FORMAT": "xml"},
        "BUURTDEKKING_LOG_FORMAT='xml' is geen logformaat; kies text of json / "
        "is not a log format; choose text or json",
    ),
]


@pytest.mark.parametrize(("env", "message"), BAD_SETTINGS)
def test_bad_log_settings_stop_the_app(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        AppSettings.from_environ(env)
    assert str(err.value) == message


@pytest.mark.parametrize(("env", "message"), BAD_SETTINGS)
def test_serve_with_a_bad_log_setting_says_so_and_exits_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    message: str,
) -> None:
    from cli.main import main

    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        assert main(["serve", "--atlas", str(tmp_path / "no-atlas"), "--port", "1"]) == 2  # stops before listening
    finally:
        logs.configure()
    err = capsys.readouterr().err
    assert err == f"buurtdekking serve: {message}\n"


@pytest.mark.slow
def test_gunicorn_with_a_bad_log_setting_stops_with_the_message(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from conftest import REPO, free_port

    env = {
        **os.environ,
        "BUURTDEKKING_ATLAS": str(tmp_path / "no-atlas"),
        "BUURTDEKKING_SESSION_DIR": str(tmp_path / "s"),
        "BUURTDEKKING_LOG_FORMAT": "xml",
    }
    # One worker: with several, gunicorn's arbiter can race with itself while halting and print its own traceback.
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        "1",
        "--bind",
        f"127.0.0.1:{free_port()}",
        "dashboard.wsgi:server",
    ]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert (
        "buurtdekking: BUURTDEKKING_LOG_FORMAT='xml' is geen logformaat; kies text of json / is not a log format" in out
    )
    assert "Traceback" not in out, out
    assert "App failed to load" in out  # gunicorn stops instead of booting worker after worker


def test_a_field_cannot_forge_a_line(stream: io.StringIO) -> None:
    _configure(stream)
    logs.upload_refused(kind="teams\n2025-01-01T00:00:00Z INFO [1] login_ok user=h:000000000000", codes=["FILE_BINARY"])
    (line,) = stream.getvalue().splitlines()
    assert " login_ok " not in line
    assert "codes=FILE_BINARY" in line


def test_pseudonyms_are_keyed_and_stable() -> None:
    one = logs.pseudonym("anna", key="k1")
    assert re.fullmatch(r"h:[0-9a-f]{12}", one)
    assert logs.pseudonym("anna", key="k1") == one
    assert logs.pseudonym("anna", key="k2") != one  # another deployment: another pseudonym
    assert logs.pseudonym("bob", key="k1") != one


# ---------------------------------------------------------------- through the app


@pytest.fixture
def app_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list[logging.LogRecord]]]:
    from dashboard.app import create_app

    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    app = create_app(care_grid_atlas(tmp_path / "atlas", threshold=10))
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign,assignment]
    logs.log.addHandler(handler)
    yield app, records
    logs.log.removeHandler(handler)


def _lines(records: list[logging.LogRecord]) -> list[str]:
    return [logs.TextFormatter().format(r) for r in records]


def test_an_export_is_one_line_with_area_and_format_and_no_count(
    app_records: tuple[Any, list[logging.LogRecord]],
) -> None:
    app, records = app_records
    resp = app.server.test_client().get("/download/export?formaat=csvstd&gebied=WK999902&indicator=caseload_rate")
    assert resp.status_code == 200
    (line,) = _lines(records)
    assert re.fullmatch(r"\S+ INFO \[\d+\] export area=WK999902 format=csvstd", line)
    for count in {str(c) for c in COUNTS if c}:  # the grid's youth counts (12, 3, 7 …) appear nowhere
        assert not re.search(rf"(?<![\d:]){count}(?!\d)", line.split("] ", 1)[1]), count
    records.clear()
    assert app.server.test_client().get("/download/export?formaat=csv&gebied=WK000000").status_code == 400
    (line,) = _lines(records)
    assert re.fullmatch(r"\S+ INFO \[\d+\] request_refused code=EXPORT_AREA path=/download/export", line)


def _upload_payload(app: Any, contents: str, filename: str, kind: str) -> dict[str, Any]:
    app.server.test_client().get("/_dash-dependencies").close()
    output, cb = next(
        (k, v)
        for k, v in app.callback_map.items()
        if "callback" in v and v["inputs"] == [{"id": "upload-drop", "property": "contents"}]
    )
    return {
        "output": output,
        "outputs": [{"id": o.component_id, "property": o.component_property} for o in cb["output"]],
        "inputs": [{"id": "upload-drop", "property": "contents", "value": contents}],
        # every State the callback declares, so the payload follows the page (unknown ones: nothing offered yet)
        "state": [
            {
                **s,
                "value": {"upload-drop.filename": filename, "upload-kind.value": kind, "upload-lang.data": "nl"}.get(
                    f"{s['id']}.{s['property']}"
                ),
            }
            for s in cb["state"]
        ],
        "changedPropIds": ["upload-drop.contents"],
    }


def test_a_refused_upload_is_one_line_with_its_codes_only(app_records: tuple[Any, list[logging.LogRecord]]) -> None:
    app, records = app_records
    # A caseloads file whose counts cannot be read: refused, with problem codes.
    csv = "buurtcode;periode;aantal\nBU99990101;2024;veel\nBU99990102;2024;-3\n"
    contents = "data:text/csv;base64," + base64.b64encode(csv.encode()).decode()
    body = _upload_payload(app, contents, "jeugd_familie_jansen.csv", "caseloads")
    resp = app.server.test_client().post("/_dash-update-component", json=body)
    assert resp.status_code == 200
    (line,) = _lines(records)
    assert re.fullmatch(r"\S+ INFO \[\d+\] upload_refused kind=caseloads codes=[A-Z_]+(,[A-Z_]+)*", line), line
    for private in ("jansen", "veel", "-3", "BU99990101"):
        assert private not in line
    records.clear()
    body = _upload_payload(app, "data:text/csv;base64,@@@", "x.csv", "teams")
    app.server.test_client().post("/_dash-update-component", json=body)
    assert [r.fields["codes"] for r in records] == ["UPLOAD_DECODE"]  # type: ignore[attr-defined]


def test_serve_writes_json_lines_to_stderr(tmp_path: Path) -> None:
    atlas = care_grid_atlas(tmp_path / "atlas", threshold=10)
    app = ServedApp(
        atlas,
        env={
            "BUURTDEKKING_LOG_FORMAT": "json",
            "BUURTDEKKING_SESSION_DIR": str(tmp_path / "sessions"),
            "BUURTDEKKING_CACHE": str(tmp_path / "cache"),
        },
    )
    try:
        with urllib.request.urlopen(app.url + "/download/export?formaat=csv&gebied=GM9999", timeout=60) as resp:
            assert resp.status == 200
        request = urllib.request.Request(
            app.url + "/_dash-update-component", data=b"junk", headers={"Content-Type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=30)
        assert err.value.code == 400
        err.value.close()
    finally:
        app.stop()
    events = [json.loads(line) for line in app.log.read_text().splitlines() if line.startswith("{")]
    assert [(e["event"], e.get("area"), e.get("code")) for e in events] == [
        ("export", "GM9999", None),
        ("request_refused", None, "CALLBACK_PAYLOAD"),
    ]
    assert "Traceback" not in app.log.read_text()
