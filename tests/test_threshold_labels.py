"""Every '<N' the app shows names the threshold of the atlas it serves (manifest care.threshold), never a fixed 5."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from care_grid import care_grid_atlas
from conftest import REPO

from dashboard.components import legend
from dashboard.routes import _text
from etl.protect import suppressed_label
from reports.build import build_snapshot
from reports.tables import csv_bytes
from views.data import AtlasView, build_view
from views.figures import colour_frame
from views.i18n import LABELS, t
from views.indicators import BY_KEY
from views.protection import served_threshold
from views.state import ViewState
from views.values import Selection, indicator_frame

SMALL_UNDER_10 = {"BU99990102", "BU99990201", "BU99990202", "BU99990203", "BU99990302", "BU99990303"}


@pytest.fixture
def view10(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AtlasView:
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    return build_view(care_grid_atlas(tmp_path / "atlas", threshold=10), cache_dir=tmp_path / "cache")


def _texts(component: object) -> list[str]:
    """Every string in a Dash component tree."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [s for c in component for s in _texts(c)]
    children = getattr(component, "children", None)
    return _texts(children) if children is not None else []


def test_served_threshold_is_the_manifests_or_the_default() -> None:
    assert served_threshold({"care": {"threshold": 10}}) == 10
    assert served_threshold({}) == 5


def test_values_legend_and_note_name_the_atlas_threshold(view10: AtlasView) -> None:
    assert served_threshold(view10.manifest) == 10
    for lang in ("nl", "en"):
        frame = indicator_frame(view10, BY_KEY["caseload"], Selection("buurt", "2024", "bike", "totaal"), lang=lang)
        shown = frame.set_index("code")["display"]
        assert set(shown[sorted(SMALL_UNDER_10)]) <= {"<10", "•"}
        assert (shown == "<10").any()
        assert not shown.isin({"<5", *map(str, range(1, 10))}).any()
        coloured = colour_frame(
            frame, BY_KEY["caseload"], scheme="quantiles", k=3, lang=lang, threshold=served_threshold(view10.manifest)
        )
        texts = " ".join(_texts(legend(BY_KEY["caseload"], coloured, lang, level="buurt")))
        assert "<10" in texts
        assert "1–9" in texts  # the indicator's note: counts 1–9 are shown as <10
        assert "<5" not in texts
        assert "1–4" not in texts


def test_snapshot_and_its_csv_name_the_atlas_threshold(view10: AtlasView) -> None:
    snap = build_snapshot(view10, ViewState(indicator="caseload"), area="GM9999")
    assert snap.threshold == 10
    assert set(snap.units.loc[snap.units["status"] == "suppressed", "weergave"]) <= {"<10", "•"}
    assert "<10" in snap.protection_note
    assert "1 tot en met 9" in snap.protection_note
    assert ("Drempel bescherming", "<10") in snap.parameters
    assert any("<10 of •" in label for label, _ in snap.key_figures)
    assert "<10" in snap.method
    text = csv_bytes(snap).decode("utf-8-sig")
    assert "<10" in text
    assert "<5" not in text


def test_route_texts_name_the_threshold() -> None:
    assert _text(pd.Series({"status": "suppressed"}), "nl", 10) == "<10"
    assert _text(pd.Series({"status": "secondary"}), "en", 10) == "•"


def test_every_protection_label_takes_the_threshold() -> None:
    # The marker itself has one home, etl.protect; the labels around it come from views.i18n.
    assert suppressed_label(10) == "<10"
    for key in (
        "suppressed_legend",
        "routes_protected",
        "table_protected_note",
        "sources_protection",
        "export_protected_hint",
    ):
        for lang in ("nl", "en"):
            text = t(key, lang, threshold=10, below=9)
            assert "<10" in text
            assert "<5" not in text
    assert not [k for k, pair in LABELS.items() if any("<5" in s or "1–4" in s for s in pair)]


def test_no_fixed_five_in_the_dashboards_texts() -> None:
    # Labels, notes and exports all take the served threshold; a literal '<5' in the sources would bypass it.
    found = [
        f"{path.relative_to(REPO)}:{i}"
        for path in sorted((REPO / "dashboard").rglob("*.py"))
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"<5\b|1–4\b", line) and not line.lstrip().startswith("#")
    ]
    assert found == []


def test_a_manifest_without_threshold_shows_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    view = build_view(care_grid_atlas(tmp_path / "atlas", threshold=None), cache_dir=tmp_path / "cache")
    frame = indicator_frame(
        view, BY_KEY["caseload"], Selection("buurt", "2024", "bike", "totaal"), lang="nl"
    ).set_index("code")
    assert frame.loc["BU99990102", "display"] == "<5"  # count 3
    assert frame.loc["BU99990302", "display"] == "6"  # hidden under threshold 10, shown under 5
