"""The floors hold: no upward import, views/reports free of Dash, no cycle, pages apart from the app, late imports explained."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from import_graph import (
    FLOORS,
    build_graph,
    import_cycles,
    modules_named,
    pages_importing_app,
    problems,
    unexplained_late_imports,
    upward_imports,
    web_imports,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def findings() -> dict[str, list[str]]:
    return problems(REPO)


def test_the_graph_sees_the_whole_project() -> None:
    edges = build_graph(REPO)
    sources = {e.source.split(".")[0] for e in edges}
    assert sources == set(FLOORS)
    assert any(e.source == "dashboard.paths" and e.target == "views.data" for e in edges)


def test_no_module_imports_a_higher_floor(findings: dict[str, list[str]]) -> None:
    assert findings["upward"] == [], "\n".join(findings["upward"])


def test_views_and_reports_import_no_dash_or_flask(findings: dict[str, list[str]]) -> None:
    assert findings["web"] == [], "\n".join(findings["web"])


def test_no_import_cycle(findings: dict[str, list[str]]) -> None:
    assert findings["cycles"] == [], "\n".join(findings["cycles"])


def test_page_modules_do_not_import_the_app_module(findings: dict[str, list[str]]) -> None:
    assert findings["pages"] == [], "\n".join(findings["pages"])


def test_every_function_level_import_says_what_it_saves(findings: dict[str, list[str]]) -> None:
    assert findings["late"] == [], "\n".join(findings["late"])


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


BAD_TREE = {
    "geodata/__init__.py": "",
    "geodata/base.py": "from etl.loop_a import A\n",
    "etl/__init__.py": "",
    "etl/loop_a.py": "from etl.loop_b import B\nA = 1\n",
    "etl/loop_b.py": "from etl import loop_a\nB = 2\n",
    "etl/hidden.py": """\
        def load():
            from etl.loop_a import A

            return A


        def explained():
            # late import: ~1.2 s of -X importtime, only for this
            from etl.loop_b import B
            from etl.loop_a import A

            return A + B


        def vague():
            # late import: it is slow
            import scipy.stats

            return scipy.stats


        def standard():
            import json

            return json


        def dev_tool():
            # late import: a dev tool, never installed at runtime
            import freetype

            return freetype
        """,
    "views/__init__.py": "",
    "views/figure.py": "from dash import Patch\n",
    "reports/__init__.py": "",
    "reports/web.py": "import flask\n",
    "dashboard/__init__.py": "",
    "dashboard/app.py": "import dash\n",
    "dashboard/pages/__init__.py": "",
    "dashboard/pages/home.py": "from dashboard.app import atlas\nfrom ..app import atlas as again\n",
    "cli/__init__.py": "",
    "cli/main.py": "from dashboard.app import atlas\n",
}


def test_the_checker_catches_every_rule_on_a_synthetic_bad_tree(tmp_path: Path) -> None:
    _write(tmp_path, BAD_TREE)
    edges = build_graph(tmp_path)
    upward = upward_imports(edges)
    assert modules_named(upward) == {"geodata.base", "etl.loop_a"}, upward
    web = web_imports(edges)
    assert modules_named(web) == {"views.figure", "reports.web"}, web
    assert "dashboard.app" not in modules_named(web)  # the app floor may use Dash
    cycles = import_cycles(edges)
    assert len(cycles) == 1, cycles
    assert modules_named(cycles) == {"etl.loop_a", "etl.loop_b"}, cycles
    pages = pages_importing_app(edges)
    assert len(pages) == 2, pages
    assert modules_named(pages) == {"dashboard.pages.home", "dashboard.app"}, pages
    late = unexplained_late_imports(edges)
    assert late == [
        "etl.hidden (line 2) imports etl.loop_a inside a function",
        "etl.hidden (line 17) imports scipy.stats late without a measured cost: # late import: it is slow",
        "etl.hidden (line 23) imports json inside a function",
    ], late


def test_the_checker_passes_a_tree_that_keeps_to_the_floors(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "geodata/__init__.py": "",
            "geodata/base.py": "import json\n",
            "etl/__init__.py": "",
            "etl/stage.py": "from geodata.base import json\n",
            "views/__init__.py": "",
            "views/figure.py": "import plotly\nfrom etl import stage\n",
            "dashboard/__init__.py": "",
            "dashboard/app.py": "import dash\nfrom views.figure import plotly\n",
        },
    )
    assert problems(tmp_path) == {"upward": [], "web": [], "cycles": [], "pages": [], "late": []}


def _lint_imports() -> str | None:
    beside = Path(sys.executable).parent / "lint-imports"
    return str(beside) if beside.is_file() else shutil.which("lint-imports")


def test_import_linter_contracts_are_kept() -> None:
    exe = _lint_imports()
    if exe is None:
        pytest.skip("lint-imports (import-linter) is not installed in this environment; `make setup` installs it")
    done = subprocess.run([exe, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout, done.stdout
