"""The own-data page: every visible label from the i18n table (Dutch and English); a too-large file gets a message."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from care_grid import care_grid_atlas
from conftest import page_module

from dashboard.i18n import LABELS, Lang
from etl.upload import UploadReport
from geodata.errors import Problem

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
        out += visible(getattr(component, prop, None) if prop != "aria-label" else component.to_plotly_json()["props"].get(prop))
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
    return UploadReport(kind="caseloads", name="fout.csv", size=2048, sha256="ab" * 32, problems=(problem,), rows=1, columns=("buurtcode",))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_label_of_the_page_comes_from_the_i18n_table(page: ModuleType, lang: Lang) -> None:
    layout = page.layout(taal=lang) if lang == "en" else page.layout()
    texts = visible(layout) + visible(page.report_view(_report(), lang)) + visible(page.applied_view({"teams": {"name": "t.csv", "rows": 3, "applied_at": "2026-11-25T10:00:00+00:00"}}, lang))
    texts += visible(page.too_large([{"name": "groot.csv", "size": 3 * MB}], max_bytes=2 * MB, lang=lang))
    data = {"fout.csv", "buurtcode", "COUNT_NEGATIVE", "2", "Aantal -3 is negatief.", "Count -3 is negative."}  # the file's own content
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
    nl = " ".join(visible(page.too_large([{"name": "C:\\data\\groot bestand.csv", "size": int(12.5 * MB)}], max_bytes=10 * MB, lang="nl")))
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
    report = UploadReport(kind="caseloads", name="c.csv", size=10, sha256="ab" * 32, rows=2, columns=("buurtcode",), notes=(note,))
    texts = visible(page.report_view(report, lang))
    assert note[0 if lang == "nl" else 1] in texts
    assert note[1 if lang == "nl" else 0] not in texts
