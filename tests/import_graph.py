"""The project's import graph from the source (ast) and the floor rules checked on it; each finding names its modules."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

# Bottom to top: a module may import its own floor or a lower one.
FLOORS = ("geodata", "etl", "views", "reports", "dashboard", "cli")
DASH_FREE = ("views", "reports")
WEB_PACKAGES = ("dash", "flask")
APP_MODULE = "dashboard.app"
PAGES = "dashboard.pages"
LATE_MARK = "# late import:"
# What a late import's comment must name: the start-up it saves, measured ('~2 s', '0.4–2.6 s', '300 ms').
MEASURED = re.compile(r"\d+(?:[.,]\d+)?(?:–\d+(?:[.,]\d+)?)?\s*(?:ms|s)\b")
# Dev-only packages a runtime module may import inside the function that needs them (pyproject's deptry DEP004):
# the reason is that the runtime never installs them, not a start-up cost.
DEV_TOOLS = ("freetype", "access")


@dataclass(frozen=True)
class Edge:
    """One import statement's target: ``source`` imports ``target`` at ``line``; ``late`` when inside a function."""

    source: str
    target: str
    line: int
    late: bool
    reason: str  # the `# late import:` comment on the statement or just above it (or above its run), else ""


def module_files(root: Path, packages: Sequence[str] = FLOORS) -> dict[str, Path]:
    """Dotted module name → file, for every .py file of ``packages`` under ``root``."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".") if is_package else module.split(".")[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join([*parts, base] if base else parts)
    # `from package import module` imports the module; `from module import name` imports the module.
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]


def _nearest_module(name: str, known: set[str]) -> str:
    while name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _comment_above(lines: list[str], node: ast.stmt) -> str:
    """The comment block right above ``node`` from its `# late import:` line on, or ""."""
    index = node.lineno - 2
    block: list[str] = []
    while index >= 0 and lines[index].strip().startswith("#"):
        block.insert(0, lines[index].strip())
        if lines[index].strip().startswith(LATE_MARK):
            return " ".join(block)
        index -= 1
    return ""


def _reason(lines: list[str], node: ast.stmt, siblings: list[ast.stmt]) -> str:
    statement = lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
    inline = [text[text.index(LATE_MARK) :] for text in statement if LATE_MARK in text]
    if inline or (above := _comment_above(lines, node)):
        return inline[0] if inline else above
    # The comment may stand above a run of consecutive import statements that it covers together.
    index = siblings.index(node)
    while index > 0 and isinstance(siblings[index - 1], ast.Import | ast.ImportFrom):
        index -= 1
        if above := _comment_above(lines, siblings[index]):
            return above
    return ""


def build_graph(root: Path, packages: Sequence[str] = FLOORS) -> list[Edge]:
    """Every import in ``packages`` under ``root``; a project module's target is the module it names."""
    files = module_files(root, packages)
    known = set(files)
    edges: list[Edge] = []
    for module, path in files.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        is_package = path.name == "__init__.py"

        def visit(
            node: ast.AST, *, late: bool, module: str = module, lines: list[str] = lines, is_package: bool = is_package
        ) -> None:
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, field, None)
                if not isinstance(children, list):
                    continue
                for child in children:
                    if isinstance(child, ast.Import | ast.ImportFrom):
                        for target in _targets(child, module, is_package, known):
                            top = target.split(".")[0]
                            name = _nearest_module(target, known) if top in packages else target
                            reason = _reason(lines, child, children) if late else ""
                            edges.append(Edge(module, name, child.lineno, late, reason))
                    inner = late or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                    visit(child, late=inner)

        visit(ast.parse(source, filename=str(path)), late=False)
    return edges


def _floor(module: str) -> int:
    return FLOORS.index(module.split(".")[0])


def _project(edges: Iterable[Edge]) -> list[Edge]:
    return [e for e in edges if e.target.split(".")[0] in FLOORS]


def upward_imports(edges: Iterable[Edge]) -> list[str]:
    """A module that imports a higher floor: ``views.x (line 3) imports dashboard.y``."""
    return [
        f"{e.source} (line {e.line}) imports {e.target}: floor {e.target.split('.')[0]} is above {e.source.split('.')[0]}"
        for e in _project(edges)
        if _floor(e.target) > _floor(e.source)
    ]


def web_imports(edges: Iterable[Edge]) -> list[str]:
    """A module of views/ or reports/ that imports dash or flask."""
    return [
        f"{e.source} (line {e.line}) imports {e.target}: {e.source.split('.')[0]}/ must stay free of Dash and Flask"
        for e in edges
        if e.source.split(".")[0] in DASH_FREE and e.target.split(".")[0] in WEB_PACKAGES
    ]


def import_cycles(edges: Iterable[Edge]) -> list[str]:
    """One cycle per knot of modules that import each other (function-level imports count too)."""
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_edges_from((e.source, e.target) for e in _project(edges) if e.source != e.target)
    found = []
    for knot in nx.strongly_connected_components(graph):
        if len(knot) > 1:
            cycle = nx.find_cycle(graph.subgraph(knot))
            found.append(" → ".join([*(a for a, _ in cycle), cycle[0][0]]))
    return sorted(found)


def pages_importing_app(edges: Iterable[Edge]) -> list[str]:
    """A page module that imports the app module (Dash Pages: the app imports the pages, never the reverse)."""
    return [
        f"{e.source} (line {e.line}) imports {APP_MODULE}"
        for e in edges
        if e.source.startswith(PAGES + ".") and e.target == APP_MODULE
    ]


def unexplained_late_imports(edges: Iterable[Edge]) -> list[str]:
    """A function-level import without a ``# late import:`` comment naming the start-up cost it saves, measured
    (a dev tool of ``DEV_TOOLS`` needs the comment, not a figure)."""
    found = []
    for e in edges:
        if not e.late:
            continue
        if not e.reason:
            found.append(f"{e.source} (line {e.line}) imports {e.target} inside a function")
        elif not MEASURED.search(e.reason) and e.target.split(".")[0] not in DEV_TOOLS:
            found.append(f"{e.source} (line {e.line}) imports {e.target} late without a measured cost: {e.reason}")
    return list(dict.fromkeys(found))


def problems(root: Path) -> dict[str, list[str]]:
    """Every rule's findings for the tree under ``root`` (empty lists when it keeps to the floors)."""
    edges = build_graph(root)
    return {
        "upward": upward_imports(edges),
        "web": web_imports(edges),
        "cycles": import_cycles(edges),
        "pages": pages_importing_app(edges),
        "late": unexplained_late_imports(edges),
    }


def modules_named(findings: Iterable[str]) -> set[str]:
    """The dotted module names (package.module) a list of findings mentions (for tests on synthetic trees)."""
    return set(re.findall(r"\b(?:" + "|".join(FLOORS) + r")(?:\.\w+)+", " ".join(findings)))
