"""The app protects with the threshold the atlas was built with (manifest care.threshold), not a fixed 5."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from etl.atlas import read_atlas
from views.protection import manifest_threshold, publish_tables


def test_manifest_threshold() -> None:
    assert manifest_threshold({"care": {"threshold": 10}}) == 10
    assert manifest_threshold({"care": {}}) is None
    assert manifest_threshold({}) is None


def test_publish_tables_uses_the_given_threshold(default_atlas: Path) -> None:
    atlas = read_atlas(default_atlas, layers=["caseloads_buurt", "caseloads_wijk"])
    raw = {name: atlas[name] for name in ("caseloads_buurt", "caseloads_wijk")}
    for threshold in (5, 10):
        published = publish_tables(raw, threshold=threshold)
        counts = pd.to_numeric(published["caseloads_buurt"]["aantal"], errors="coerce")
        shown = counts[counts.notna()]
        assert not shown.between(1, threshold - 1).any()
    # The demo caseloads do hold counts 5–9, so threshold 10 really hides more than threshold 5.
    raw_counts = raw["caseloads_buurt"]["aantal"]
    assert raw_counts.between(5, 9).any()
