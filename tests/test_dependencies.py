"""Dependencies match the imports (deptry over the repository, and proof it catches a miss); the two locks agree."""

from __future__ import annotations

import ast
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
# The second run, over the dev side: the dev extra is allowed there, and tests need not use every dependency.
DEV_ARGS = ["tests", "bench", "--exclude", r"\.venv", "--ignore", "DEP002,DEP004"]
# The tools the runtime image must not ship.
DEV_TOOLS = ("pytest", "pytest-xdist", "playwright", "hypothesis", "mypy", "ruff", "deptry", "import-linter")


def _deptry() -> str:
    found = shutil.which("deptry", path=str(Path(sys.executable).parent)) or shutil.which("deptry")
    if found is None:
        pytest.skip("deptry is not installed (it comes with the dev extra: make setup)")
    return found


def _run_deptry(cwd: Path, *args: str, json_out: Path | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--json-output", str(json_out)] if json_out is not None else []
    return subprocess.run(
        [_deptry(), *args, "--no-ansi", *extra], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def _issues(json_out: Path) -> set[tuple[str, str]]:
    return {(issue["error"]["code"], issue["module"]) for issue in json.loads(json_out.read_text(encoding="utf-8"))}


# ---------------------------------------------------------------- the repository


def test_runtime_code_imports_exactly_the_declared_dependencies() -> None:
    result = _run_deptry(REPO, ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_tests_and_bench_import_only_declared_dependencies() -> None:
    result = _run_deptry(REPO, *DEV_ARGS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_lint_runs_the_same_two_checks() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "$(VENV)/bin/deptry .\n" in lint
    assert "$(VENV)/bin/deptry $(DEPTRY_DEV)" in lint
    dev = re.search(r"^DEPTRY_DEV := (.*)$", makefile, flags=re.MULTILINE)
    assert dev is not None
    assert shlex.split(dev.group(1)) == DEV_ARGS


def test_dev_tools_in_runtime_modules_are_imported_only_inside_functions() -> None:
    """A runtime module may reach for a dev tool (deptry's DEP004 exception) only where the runtime never goes."""
    config = PYPROJECT["tool"]["deptry"]
    allowed = set(config["per_rule_ignores"]["DEP004"])
    roots = [REPO / name for name in config["known_first_party"] if name != "bench"]
    module_level: list[str] = []
    seen: set[str] = set()
    for path in sorted(p for root in roots if root.is_dir() for p in root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]
        inside = {id(n) for f in functions for n in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in {name.split(".")[0] for name in names} & allowed:
                seen.add(top)
                if id(node) not in inside:
                    module_level.append(f"{path.relative_to(REPO)}:{node.lineno} {top}")
    assert not module_level
    # an exception nothing needs any more is a hole in the check
    assert seen == allowed


# ---------------------------------------------------------------- the check catches what it should


def _tiny_project(root: Path, *, dependencies: list[str], dev: list[str], imports: list[str]) -> None:
    (root / "tinyproj").mkdir()
    (root / "tinyproj" / "__init__.py").write_text('"""A tiny project."""\n', encoding="utf-8")
    (root / "tinyproj" / "core.py").write_text("".join(f"import {m}\n" for m in imports), encoding="utf-8")
    (root / "pyproject.toml").write_text(
        "[project]\n"
        'name = "tinyproj"\n'
        'version = "0.1.0"\n'
        f"dependencies = {json.dumps(dependencies)}\n"
        "[project.optional-dependencies]\n"
        f"dev = {json.dumps(dev)}\n"
        "[tool.deptry]\n"
        'optional_dependencies_dev_groups = ["dev"]\n',
        encoding="utf-8",
    )


def test_deptry_finds_undeclared_transitive_dev_and_unused_dependencies(tmp_path: Path) -> None:
    # nothing installs tinyproj_nowhere; werkzeug only comes with flask (as it did here before it was declared)
    # and networkx is installed but declared nowhere; pytest is a dev tool imported by runtime code; pandas is
    # declared and never imported.
    _tiny_project(
        tmp_path,
        dependencies=["numpy", "flask", "pandas"],
        dev=["pytest"],
        imports=["numpy", "flask", "tinyproj_nowhere", "werkzeug", "networkx", "pytest"],
    )
    out = tmp_path / "deptry.json"
    result = _run_deptry(tmp_path, ".", json_out=out)
    assert result.returncode == 1, result.stdout + result.stderr
    assert _issues(out) == {
        ("DEP001", "tinyproj_nowhere"),
        ("DEP003", "werkzeug"),
        ("DEP003", "networkx"),
        ("DEP004", "pytest"),
        ("DEP002", "pandas"),
    }


def test_deptry_passes_the_tiny_project_once_it_declares_its_imports(tmp_path: Path) -> None:
    declared = ["numpy", "flask", "networkx", "werkzeug"]
    _tiny_project(tmp_path, dependencies=declared, dev=["pytest"], imports=declared)
    out = tmp_path / "deptry.json"
    result = _run_deptry(tmp_path, ".", json_out=out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _issues(out) == set()


# ---------------------------------------------------------------- the locks


def _pins(lock: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, hashes) of a hash-locked requirements file."""
    pins: dict[str, tuple[str, frozenset[str]]] = {}
    for block in re.split(r"\n(?=[a-z0-9])", lock.read_text(encoding="utf-8")):
        match = re.match(r"([a-z0-9][a-z0-9._-]*)==(\S+)", block)
        if match:
            pins[match.group(1)] = (match.group(2), frozenset(re.findall(r"--hash=(\S+)", block)))
    return pins


def _names(requirements: list[str]) -> set[str]:
    out = set()
    for req in requirements:
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req)
        assert match, req
        out.add(re.sub(r"[-_.]+", "-", match.group(0)).lower())
    return out


def test_dev_lock_pins_every_runtime_package_identically() -> None:
    runtime, dev = _pins(REPO / "requirements.lock"), _pins(REPO / "requirements-dev.lock")
    assert runtime
    assert all(hashes for _, hashes in runtime.values())
    assert {name: pin for name, pin in dev.items() if name in runtime} == runtime


def test_locks_hold_their_declared_dependencies_and_the_runtime_lock_no_dev_tools() -> None:
    runtime, dev = _pins(REPO / "requirements.lock"), _pins(REPO / "requirements-dev.lock")
    project = PYPROJECT["project"]
    assert _names(project["dependencies"]) - runtime.keys() == set()
    assert _names(project["optional-dependencies"]["dev"]) - dev.keys() == set()
    assert set(DEV_TOOLS) <= _names(project["optional-dependencies"]["dev"])
    assert set(DEV_TOOLS) & runtime.keys() == set()
