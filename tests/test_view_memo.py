"""What a view keeps for later requests (views.data.Memo): within its budget, per view, never across sessions."""

from __future__ import annotations

import dataclasses

import pandas as pd

from views.data import AtlasView, Memo
from views.indicators import BY_KEY
from views.values import Selection, indicator_frame


def test_memo_computes_once_and_drops_the_least_recently_used_over_its_budget() -> None:
    memo = Memo(budget=5)
    calls: list[str] = []

    def make(name: str) -> str:
        calls.append(name)
        return name.upper()

    assert memo.get("a", lambda: make("a"), cost=2) == "A"
    assert memo.get("a", lambda: make("a"), cost=2) == "A"  # kept: not computed again
    assert memo.get("b", lambda: make("b"), cost=2) == "B"
    memo.get("a", lambda: make("a"), cost=2)  # a is now the most recently used
    assert memo.get("c", lambda: make("c"), cost=2) == "C"  # 2 + 2 + 2 > 5: b, the least recent, goes
    assert calls == ["a", "b", "c"]
    memo.get("b", lambda: make("b"), cost=2)
    assert calls == ["a", "b", "c", "b"]
    assert memo.get("huge", lambda: make("huge"), cost=6) == "HUGE"  # over the whole budget: never kept
    memo.get("huge", lambda: make("huge"), cost=6)
    assert calls[-2:] == ["huge", "huge"]
    assert len(memo) == 2


def _view() -> AtlasView:
    buurten = pd.DataFrame(
        {
            "buurtcode": ["BU1", "BU2"],
            "buurtnaam": ["Een", "Twee"],
            "wijkcode": ["WK1", "WK1"],
            "wijknaam": ["Wijk", "Wijk"],
            "gemeentecode": ["GM1", "GM1"],
            "gemeentenaam": ["Stad", "Stad"],
            "youth_population": [100.0, 200.0],
        }
    )
    empty = pd.DataFrame()
    return AtlasView(
        atlas_dir="-",
        token="t",
        buurten=buurten,  # type: ignore[arg-type]
        wijken=empty,  # type: ignore[arg-type]
        gemeenten=empty,  # type: ignore[arg-type]
        tables={},
        teams=empty,
        manifest={},
        layers={},
        center={},
        zoom=10.0,
    )


def test_a_session_view_keeps_its_own_values_and_callers_get_copies() -> None:
    shared = _view()
    youth = BY_KEY["youth_population"]
    first = indicator_frame(shared, youth, Selection("buurt"), lang="nl")
    assert first["value"].tolist() == [100.0, 200.0]
    first.loc[0, "value"] = -1.0  # a caller changing its copy changes nothing kept
    assert indicator_frame(shared, youth, Selection("buurt"), lang="nl")["value"].tolist() == [100.0, 200.0]
    # A session's view with other youth figures (as an upload makes it) starts with nothing kept.
    own = dataclasses.replace(shared, buurten=shared.buurten.assign(youth_population=[7.0, 9.0]))
    assert own.memo is not shared.memo
    assert indicator_frame(own, youth, Selection("buurt"), lang="nl")["value"].tolist() == [7.0, 9.0]
    assert indicator_frame(shared, youth, Selection("buurt"), lang="nl")["value"].tolist() == [100.0, 200.0]
