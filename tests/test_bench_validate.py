"""The validate benchmark's one command runs end to end on small files, which both trees find valid.

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
def test_small_benchmark_runs_and_both_trees_accept_the_files(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.validate", "--rows", "300", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "validate-latest.json").read_text())
    assert set(report["files"]) == {
        "teams.csv",
        "teams_example_repeated.csv",
        "caseloads_wide.csv",
        "caseloads_long.tsv",
    }
    for entry in report["files"].values():
        assert entry["today"] == {**entry["today"], "valid": True, "rows": 300, "problems": 0}
        assert entry["cli_process"]["exit"] == 0
        if report["baseline"] is not None:  # git and the baseline commit are there (not in a bare export)
            assert entry["baseline"]["valid"] is True
            assert entry["baseline"]["rows"] == 300
    assert "| teams.csv |" in (tmp_path / "validate-latest.md").read_text()
