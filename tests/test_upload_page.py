"""The own-data page: every visible label from the i18n table (Dutch and English); a too-large file gets a message."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
from care_grid import care_grid_atlas
from conftest import page_module

from etl.upload import UploadReport
from geodata.errors import Problem
from views.i18n import LABELS, Lang

VISIBLE_PROPS = ("children", "label", "title", "placeholder", "aria-label")
MB = 1024 * 1024


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The page module, inside a request of a fresh app (the layout reads this session's store)."""
    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("BUURTDEKKING_UPLOAD_MAX_MB", "2")
    from dashboard.app import create_app

    app = create_app(care_grid_atlas(tmp_path / "atlas", threshold=None))
    with app.server.test_request_context("/eigen-gegevens"):
        yield page_module("eigen_gegevens")


def visible(component: Any) -> list[str]:
    """Every text a person sees or hears in a Dash component tree (children, option labels, titles, aria labels)."""
    if isinstance(component, str):
        return [component] if component.strip() else []
    if isinstance(component, (int, float)) or component is None:
        return []
    if isinstance(component, (list, tuple)):
        return [s for c in component for s in visible(c)]
    if isinstance(component, dict):
        return visible(component.get("label"))
    out: list[str] = []
    for prop in VISIBLE_PROPS:
        out += visible(
            getattr(component, prop, None) if prop != "aria-label" else component.to_plotly_json()["props"].get(prop)
        )
    out += visible(getattr(component, "options", None))
    return out


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{\w+\}", template)
    return re.compile("(.+?)".join(re.escape(p) for p in parts), re.DOTALL)


def from_labels(text: str, lang: Lang) -> bool:
    """The text is a label of the i18n table in ``lang`` (placeholders filled with anything)."""
    i = 0 if lang == "nl" else 1
    return any(_pattern(pair[i]).fullmatch(text) for pair in LABELS.values())


def _report() -> UploadReport:
    problem = Problem("COUNT_NEGATIVE", "Aantal -3 is negatief.", "Count -3 is negative.", "fout.csv", 2, "buurtteam")
    return UploadReport(
        kind="caseloads",
        name="fout.csv",
        size=2048,
        sha256="ab" * 32,
        problems=(problem,),
        rows=1,
        columns=("buurtcode",),
    )


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_label_of_the_page_comes_from_the_i18n_table(page: ModuleType, lang: Lang) -> None:
    layout = page.layout(taal=lang) if lang == "en" else page.layout()
    texts = (
        visible(layout)
        + visible(page.report_view(_report(), lang))
        + visible(
            page.applied_view({"teams": {"name": "t.csv", "rows": 3, "applied_at": "2026-11-25T10:00:00+00:00"}}, lang)
        )
    )
    texts += visible(page.too_large([{"name": "groot.csv", "size": 3 * MB}], max_bytes=2 * MB, lang=lang))
    data = {
        "fout.csv",
        "buurtcode",
        "COUNT_NEGATIVE",
        "2",
        "Aantal -3 is negatief.",
        "Count -3 is negative.",
    }  # the file's own content
    strays = [s for s in texts if s not in data and not from_labels(s, lang)]
    assert strays == []
    other: Lang = "en" if lang == "nl" else "nl"
    own_only = [s for s in texts if s not in data and from_labels(s, other) and not from_labels(s, lang)]
    assert own_only == []


def test_the_english_page_is_english(page: ModuleType) -> None:
    texts = visible(page.layout(taal="en"))
    assert "Add your own data" in texts
    assert "Kind of data" in texts
    assert any(s.startswith("Teams (team_id") for s in texts)
    assert not [s for s in texts if re.search(r"\b(gegevens|bestand|sessie|toepassen|rijen)\b", s, re.IGNORECASE)]
    dutch = visible(page.layout())
    assert "Eigen gegevens toevoegen" in dutch


def test_a_file_over_the_limit_is_named_with_its_size_and_the_limit(page: ModuleType) -> None:
    nl = " ".join(
        visible(
            page.too_large(
                [{"name": "C:\\data\\groot bestand.csv", "size": int(12.5 * MB)}], max_bytes=10 * MB, lang="nl"
            )
        )
    )
    assert "groot bestand.csv is 12,5 MB; het maximum is 10 MB" in nl
    assert "niets veranderd" in nl
    assert "C:\\" not in nl  # no folders of the user's machine
    en = " ".join(visible(page.too_large([{"name": "big.xlsx", "size": 10 * MB + 1}], max_bytes=10 * MB, lang="en")))
    assert "big.xlsx is 10.0 MB; the maximum is 10 MB" in en
    assert "nothing has changed" in en
    assert page.too_large([{"name": "ok.csv", "size": 10 * MB}], max_bytes=10 * MB, lang="nl") is None
    assert page.too_large([{"name": "raar.csv", "size": "veel"}], max_bytes=10 * MB, lang="nl") is None


def test_the_browser_limit_is_the_configured_limit(page: ModuleType) -> None:
    layout = page.layout()

    def find(component: Any, cid: str) -> Any:
        if getattr(component, "id", None) == cid:
            return component
        children = getattr(component, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str):
                hit = find(child, cid)
                if hit is not None:
                    return hit
        return None

    assert find(layout, page.DROP).max_size == 2 * MB  # BUURTDEKKING_UPLOAD_MAX_MB=2
    assert any("hoogstens 2 MB" in s for s in visible(layout))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_what_the_reader_tolerated_is_shown_in_the_page_language(page: ModuleType, lang: Lang) -> None:
    note = ("2 rij(en) eindigen op lege extra velden", "2 row(s) end in empty extra fields")
    report = UploadReport(
        kind="caseloads", name="c.csv", size=10, sha256="ab" * 32, rows=2, columns=("buurtcode",), notes=(note,)
    )
    texts = visible(page.report_view(report, lang))
    assert note[0 if lang == "nl" else 1] in texts
    assert note[1 if lang == "nl" else 0] not in texts


# ---------------------------------------------------------------- a refused file changes nothing stored

# Good files for the 3×3 grid of care_grid_atlas (buurten BU999901rc, wijken WK999901..03); each passes the rules.
GOOD = {
    "teams": b"team_id;naam;organisatie;soort;x;y\r\nT1;Team Een;Lokalis;buurtteam;136050;455050\r\n"
    b"T2;Team Twee;KOOS;specialistisch;136250;455250\r\n",
    "providers": b"wijkcode;aanbieder\r\nWK999901;KOOS\r\nWK999902;Spoor030\r\nWK999903;KOOS\r\n",
    "caseloads": b"buurtcode;periode;totaal\r\nBU99990101;2024;12\r\nBU99990102;2024;7\r\n",
}


def ragged(data: bytes) -> bytes:
    """``data`` with one field too many on its first data row (row 2): the reader refuses that row (ROW_FIELD_COUNT)."""
    header, first, *rest = data.split(b"\r\n")
    return b"\r\n".join([header, first + b";extra", *rest])


def contents(data: bytes) -> str:
    """What dcc.Upload sends: a data URL."""
    import base64

    return "data:text/csv;base64," + base64.b64encode(data).decode()


def stored(page: ModuleType) -> dict[str, tuple[dict[str, Any], list[list[object]]]]:
    """Every slot of this session: its description and its frame's values (what 'nothing changed' is judged on)."""
    store, sid = page.current_store(), page.current_sid()
    out = {}
    for slot, meta in store.meta(sid).items():
        found = store.get(sid, slot)
        assert found is not None
        frame, _ = found
        out[slot] = (meta, pd.DataFrame(frame).drop(columns="geometry", errors="ignore").astype(str).values.tolist())
    return out


@pytest.mark.parametrize("kind", ["teams", "providers", "caseloads"])
def test_a_refused_file_leaves_pending_and_applied_uploads_as_they_were(page: ModuleType, kind: str) -> None:
    from dashboard.uploads import APPLIED, PENDING, apply

    store, sid = page.current_store(), page.current_sid()
    # One file of this kind applied, a second (different) one checked and offered by the Apply button.
    _, enabled, _, offered = page.on_upload(contents(GOOD[kind]), "eerst.csv", kind, "nl", None)
    assert (enabled, offered) == (False, kind)
    assert apply(store, sid, kind)
    second = GOOD[kind].replace(b"\r\n", b"\r\n\r\n", 1)  # a blank row 2: same table, other bytes (other sha256)
    _, disabled, _, offered = page.on_upload(contents(second), "tweede.csv", kind, "nl", offered)
    assert (disabled, offered) == (False, kind)
    before = stored(page)
    assert set(before) == {APPLIED + kind, PENDING + kind}

    report, disabled, status, offered_after = page.on_upload(
        contents(ragged(GOOD[kind])), "scheef.csv", kind, "nl", offered
    )

    assert stored(page) == before  # nothing stored is lost or half-changed
    assert (disabled, status, offered_after) == (False, "", kind)  # Apply still applies tweede.csv
    texts = visible(report)
    assert "ROW_FIELD_COUNT" in texts
    assert "2" in texts  # the row of the problem, in its own cell
    n_rows = GOOD[kind].count(b"\r\n") - 1  # data rows of the good file; the ragged one has as many
    n_cols = GOOD[kind].split(b"\r\n")[0].count(b";") + 1
    assert any(f"{n_rows} rijen · {n_cols} kolommen" in s for s in texts)
    assert any("tweede.csv" in s and "staat nog klaar" in s for s in texts)
    # What Apply applies now is the second good file, not the refused one.
    assert apply(store, sid, str(offered_after))
    assert page.applied(store, sid)[kind]["name"] == "tweede.csv"


def test_a_refused_file_with_nothing_pending_says_nothing_changed(page: ModuleType) -> None:
    report, disabled, _, offered = page.on_upload(contents(ragged(GOOD["teams"])), "scheef.csv", "teams", "en", None)
    assert (disabled, offered) == (True, None)
    assert stored(page) == {}
    assert "Nothing you loaded or applied before has changed." in visible(report)


def test_an_undecodable_or_too_large_file_keeps_the_offered_one(page: ModuleType) -> None:
    _, _, _, offered = page.on_upload(contents(GOOD["caseloads"]), "goed.csv", "caseloads", "nl", None)
    before = stored(page)
    report, disabled, _, still = page.on_upload("data:text/csv;base64,@@@", "kapot.csv", "caseloads", "nl", offered)
    assert (disabled, still) == (False, "caseloads")
    assert any("goed.csv" in s for s in visible(report))
    report, disabled, _, still = page.on_picked({"files": [{"name": "groot.csv", "size": 3 * MB}]}, "nl", offered)
    assert (disabled, still) == (False, "caseloads")  # the limit is 2 MB here (fixture)
    assert any("goed.csv" in s and "staat nog klaar" in s for s in visible(report))
    assert stored(page) == before


# ---------------------------------------------------------------- the summary line never shows a made-up size


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nl", "niet als tabel te lezen (UPLOAD_BINARY)"),
        ("en", "could not be read as a table (UPLOAD_BINARY)"),
    ],
)
def test_a_file_not_read_as_a_table_says_so_with_its_code(page: ModuleType, lang: Lang, expected: str) -> None:
    report, *_ = page.on_upload(contents(b"%PDF-1.7 not a table"), "brief.csv", "teams", lang, None)
    summary = " ".join(visible(report))
    assert expected in summary
    assert not re.search(r"\b0 (rijen|rows)\b", summary)


@pytest.mark.parametrize(
    ("data", "rows", "cols"),
    [
        # a quote left open swallows the rest of the file: no trustworthy size, so none is shown
        (b'buurtcode;periode;totaal\r\nBU99990101;2024;"12\r\nBU99990102;2024;7\r\n', None, None),
        # ragged row 3 (2 of 3 fields): 2 data rows under a header of 3 columns
        (b"buurtcode;periode;totaal\r\nBU99990101;2024;12\r\nBU99990102;2024\r\n", 2, 3),
        # read, then refused by the rules (BU99999999 is not a buurt of the grid): 2 data rows, 3 columns
        (b"buurtcode;periode;totaal\r\nBU99990101;2024;12\r\nBU99999999;2024;7\r\n", 2, 3),
    ],
)
def test_the_summary_shows_the_real_size_of_a_table_read_and_refused(
    page: ModuleType, data: bytes, rows: int | None, cols: int | None
) -> None:
    report, disabled, *_ = page.on_upload(contents(data), "c.csv", "caseloads", "nl", None)
    assert disabled is True
    summary = next(s for s in visible(report) if "sha256" in s)
    if rows is None:
        assert "niet als tabel te lezen (QUOTE_UNCLOSED)" in summary
    else:
        assert f"{rows} rijen · {cols} kolommen" in summary
