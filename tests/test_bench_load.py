"""The load benchmark's client against the served app: no errors and every recorded kind of request seen.

Timings are reported by the benchmark (bench/load.py), never asserted here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.load import hosts, map_goal, markdown
from bench.load_capture import MAP_CALLBACKS, callback_name, load_scenario, waves
from bench.load_client import Stats, run


def test_waves_follow_what_was_in_flight() -> None:
    # a: 0–10; b starts at 5 while a runs (same wave); c starts at 12 after both ended (b at 11): a new wave;
    # d starts at 13 while c runs (c ends at 20).
    requests = [
        {"kind": "c", "start": 12.0, "end": 20.0},
        {"kind": "a", "start": 0.0, "end": 10.0},
        {"kind": "b", "start": 5.0, "end": 11.0},
        {"kind": "d", "start": 13.0, "end": 14.0},
    ]
    assert [[r["kind"] for r in w] for w in waves(requests)] == [["a", "b"], ["c", "d"]]
    assert "start" not in waves(requests)[0][0]


def test_callback_names_come_from_the_first_output() -> None:
    body = {"outputs": [{"id": "kaart-figure", "property": "data"}, {"id": "kaart-legend", "property": "children"}]}
    assert callback_name(body) == "update_map"
    # an allowed duplicate output carries a hash after '@'
    assert callback_name({"outputs": [{"id": "kaart-detail", "property": "children@ab12"}]}) == "show_detail"
    assert callback_name({"outputs": {"id": "x-y", "property": "data"}}) == "x-y.data"
    picked = {"outputs": [{"id": "upload-report", "property": "children@1"}], "changedPropIds": ["upload-picked.data"]}
    assert callback_name(picked) == "upload_picked"


def test_stats_table_percentiles_and_errors() -> None:
    stats = Stats()
    for ms in (10.0, 20.0, 30.0, 40.0, 50.0):
        stats.add("update_map", ms)
    stats.add("update_map", 60.0, "HTTP 500")
    stats.add("action:switch", 100.0)
    (row, action) = stats.table()
    # 10..60 ms: the median lies halfway between 30 and 40; p95 at 0.95 × 5 = 4.75 of the way: 57.5
    assert row == {
        "kind": "update_map",
        "count": 6,
        "errors": 1,
        "retries": 0,
        "p50_ms": 35.0,
        "p95_ms": 57.5,
        "p99_ms": 59.5,
        "max_ms": 60.0,
    }
    assert action["kind"] == "action:switch"
    assert stats.requests() == 6  # actions are not requests
    case = {"rows": [row], "errors": 1}
    assert map_goal(case) == (57.5, False)  # under 100 ms, but an error


@pytest.mark.slow
@pytest.mark.integration
def test_planners_get_no_errors_and_every_kind_is_seen(default_atlas: Path, tmp_path: Path) -> None:
    # Two hosts of one worker each, in turn: an upload checked by one host is applied by the other, so this
    # also checks that they share the session store as two machines behind one balancer must.
    n_hosts = 2
    scenario = load_scenario()
    recorded = {r["kind"] for actions in scenario["actions"].values() for a in actions for w in a for r in w}
    assert set(MAP_CALLBACKS) <= recorded
    with hosts(default_atlas, n=n_hosts, workers=1, work=tmp_path) as served:
        stats = run([url for url, _ in served], scenario, users=2, duration_s=3, think=(0.05, 0.1), seed=3, tour=True)
    assert dict(stats.errors) == {}, stats.examples
    assert set(stats.ms) >= recorded | {f"action:{name}" for name in scenario["actions"]}
    report = {"date": "-", "commit": "-", "cpus": 2, "users": 2, "duration_s": 3, "think_s": [0.05, 0.1]}
    case = {
        "hosts": n_hosts,
        "rows": stats.table(),
        "errors": 0,
        "retries": 0,
        "requests": stats.requests(),
        "duration_s": 3,
        "requests_per_s": 1,
        "workers": 1,
        "worker_rss_mb_peak": [1],
        "worker_cpu_s": 1,
        "worker_cpu_ms_per_request": 1,
        "machine_busy_pct": 1,
        "others_cpu_pct_of_machine": 1,
        "loadavg_before": [1],
        "loadavg_after": [1],
        "error_examples": [],
    }
    text = markdown({**report, "host_workers": 1, "cases": [case]})
    assert "| update_map |" in text
    json.dumps(case)
