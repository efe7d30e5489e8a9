"""The travel benchmark's one command runs end to end at tiny sizes, and its fast and naive methods agree exactly.

Timings are reported by the benchmark, never asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO


@pytest.mark.slow
def test_quick_benchmark_runs_and_methods_agree(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.travel", "--quick", "--out", str(tmp_path), "--naive-sample", "150"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "travel-latest.json").read_text())
    assert set(report["cases"]) == {"utrecht", "national"}
    for case in report["cases"].values():
        assert case["agreement"]["matrix_rows_equal"] is True
        assert case["agreement"]["nearest_equal"] is True
        assert case["fast"]["total_s"] > 0
        assert case["naive"]["total_s"] > 0
    assert report["cases"]["national"]["naive"]["extrapolated"] is True
    assert report["cases"]["national"]["naive"]["origins_searched"] == 150
    assert set(report["whatif_utrecht"]["network"]["whatif_median_s"]) >= {"move one team", "remove one team"}
    assert "| utrecht |" in (tmp_path / "travel-latest.md").read_text()
    assert "What-if on Utrecht" in done.stdout
