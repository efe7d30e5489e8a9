"""The documents name only what exists (paths, modules, links, make targets); no code comment names a tracker issue."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# First segments of paths inside the repository; a backticked path starting elsewhere is an output, a URL or a
# file of the data directory (`cbs/…`, `atlas/atlas.gpkg`) and is not checked.
ROOTS = (
    "geodata",
    "etl",
    "views",
    "reports",
    "dashboard",
    "cli",
    "tests",
    "bench",
    "docs",
    "assets",
    "examples",
    "deploy",
    ".ci",
)
TOP_FILES = (
    "Makefile",
    "Dockerfile",
    "pyproject.toml",
    "requirements.lock",
    "README.md",
    "CONTRIBUTING.md",
    "CHANGELOG.md",
    "docker-compose.yml",
)
# Directories the benchmarks and browser tests write into; git does not keep them.
OUTPUT_DIRS = ("bench/results", "tests/artifacts")
PLACEHOLDER = re.compile(r"[<>{}*…$]")
BACKTICKED = re.compile(r"`([^`\n]+)`")
FENCED = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)")
MAKE = re.compile(r"(?:^|[\s;&|(])make ([a-z][a-z0-9-]*)")
TARGET = re.compile(r"^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*:(?![=:])", re.MULTILINE)
# "issue" or "issues" followed by a number (with or without "#"), or "#" and a number on its own; only looked for
# in comments and docstrings, so CSS colours in rules and strings in code are not seen.
ISSUE_NUMBER = re.compile(r"\bissues?\s*#?\s*\d+|(?<![&\w])#\d{1,5}\b(?![.\d])", re.IGNORECASE)
CODE_SUFFIXES = {".py", ".js", ".mjs", ".css", ".toml", ".sh", ".cfg", ".ini", ".yml", ".yaml", ".in", ".override"}
CODE_NAMES = {"Makefile", "Dockerfile", "run"}
SKIP_DIRS = {
    ".venv",
    ".venv-gpkg",
    ".git",
    ".cache",
    "node_modules",
    "__pycache__",
    "vendor",
    "corpus",
    "fixtures",
    "artifacts",
    "results",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "buurtdekking.egg-info",
}


def documents(root: Path) -> list[Path]:
    """README.md, CONTRIBUTING.md and docs/*.md: the documents whose references must hold."""
    found = [root / name for name in ("README.md", "CONTRIBUTING.md") if (root / name).is_file()]
    return found + sorted((root / "docs").glob("*.md"))


def _code_spans(text: str) -> Iterator[str]:
    yield from BACKTICKED.findall(FENCED.sub("", text))
    for block in FENCED.findall(text):
        yield from block.splitlines()


def _repo_path(token: str) -> str | None:
    """The repository path a backticked token names, or None when it names none."""
    token = token.strip().rstrip(".,;:)")
    if " " in token or "://" in token or token.startswith(("/", "~", "$", "-")):
        return None
    head = token.split("/", 1)[0]
    if token in TOP_FILES or (head in ROOTS and "/" in token):
        parts = token.split("/")
        kept = []
        for part in parts:  # `hotspots_{periode}` or `…`: check the part before the placeholder
            if PLACEHOLDER.search(part):
                break
            kept.append(part)
        return "/".join(kept).rstrip("/") or None
    return None


DOTTED = re.compile(r"^(geodata|etl|views|reports|dashboard|cli)((?:\.\w+)+)(?::(\w+))?")


def _missing_dotted(root: Path, token: str) -> str | None:
    """`etl.protect.protect_counts`, `dashboard.wsgi:server`: the module must exist and define the name."""
    match = DOTTED.match(token.strip())
    if not match:
        return None
    parts = [match.group(1), *match.group(2).strip(".").split(".")]
    if PLACEHOLDER.match(token.strip()[match.end() :]):  # `etl.care.validate_*_frame`: the last name is a pattern
        parts = parts[:-1]
    names = [*parts, match.group(3)] if match.group(3) else parts
    for cut in range(len(parts), 0, -1):
        base = root.joinpath(*parts[:cut])
        module = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
        if module.is_file():
            rest = names[cut:]
            if rest and not re.search(
                rf"^(?:def |class |async def )?{rest[0]}\b\s*[(:=]", module.read_text(encoding="utf-8"), re.MULTILINE
            ):
                return f"{'.'.join(parts[:cut])} has no {rest[0]}"
            return None
    return ".".join(parts)


def missing_paths(root: Path) -> list[str]:
    """`doc: path` for every repository path, dotted module name or relative link a document names that is not there."""
    missing = []
    for doc in documents(root):
        text = doc.read_text(encoding="utf-8")
        for span in _code_spans(text):
            for token in [span, *span.split()]:
                path = _repo_path(token)
                if path and not (root / path).exists() and not path.startswith(OUTPUT_DIRS):
                    missing.append(f"{doc.relative_to(root)}: {path}")
                dotted = _missing_dotted(root, token)
                if dotted:
                    missing.append(f"{doc.relative_to(root)}: {dotted}")
        for target in LINK.findall(text):
            if "://" in target or target.startswith(("#", "mailto:")):
                continue
            local = target.split("#", 1)[0]
            if local and not (doc.parent / local).resolve().exists():
                missing.append(f"{doc.relative_to(root)}: link {target}")
    return sorted(set(missing))


def make_targets(root: Path) -> set[str]:
    """The targets the Makefile defines (rules and .PHONY)."""
    text = (root / "Makefile").read_text(encoding="utf-8")
    targets: set[str] = set()
    for names in TARGET.findall(text):
        targets.update(names.split())
    return targets


def named_make_targets(root: Path) -> dict[str, set[str]]:
    """Per document, the targets of every `make X` it names in code (backticks or a fenced block)."""
    named: dict[str, set[str]] = {}
    for doc in documents(root):
        for span in _code_spans(doc.read_text(encoding="utf-8")):
            for target in MAKE.findall(span):
                named.setdefault(str(doc.relative_to(root)), set()).add(target)
    return named


def missing_make_targets(root: Path) -> list[str]:
    defined = make_targets(root)
    return sorted(f"{doc}: make {t}" for doc, targets in named_make_targets(root).items() for t in targets - defined)


def code_files(root: Path) -> Iterator[Path]:
    """Source, test, build and config files (not vendored bundles, test data or environments)."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS for part in rel.parts[:-1]) or not path.is_file():
            continue
        if path.suffix in CODE_SUFFIXES or path.name in CODE_NAMES:
            yield path


def _comments(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of each comment and docstring of a file."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".py":
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                yield tok.start[0], tok.string.lstrip("#")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node, clean=False)
                if doc and node.body:
                    yield node.body[0].lineno, doc
    elif path.suffix in {".js", ".mjs", ".css"}:
        for match in re.finditer(r"//[^\n]*|/\*.*?\*/", text, re.DOTALL):
            if path.suffix == ".css" and match.group().startswith("//"):
                continue
            yield text.count("\n", 0, match.start()) + 1, match.group().lstrip("/*")
    else:
        for number, line in enumerate(text.splitlines(), 1):
            if "#" in line:
                yield number, line.split("#", 1)[1]


def issue_number_comments(root: Path) -> list[str]:
    """`file:line: text` for every comment or docstring that points to an issue number."""
    return [
        f"{path.relative_to(root)}:{line}: {match.group()}"
        for path in code_files(root)
        for line, comment in _comments(path)
        if (match := ISSUE_NUMBER.search(comment))
    ]


# ---------------------------------------------------------------- the repository


def test_every_path_the_documents_name_exists() -> None:
    missing = missing_paths(REPO)
    assert not missing, "documents name paths that do not exist:\n" + "\n".join(missing)


def test_every_make_target_the_documents_name_exists() -> None:
    missing = missing_make_targets(REPO)
    assert not missing, "documents name make targets the Makefile lacks:\n" + "\n".join(missing)


def test_readme_names_the_two_commands() -> None:
    assert {"run", "test"} <= named_make_targets(REPO)["README.md"]


def test_no_comment_names_a_tracker_issue_number() -> None:
    found = issue_number_comments(REPO)
    assert not found, "say what the comment means instead of the issue number:\n" + "\n".join(found)


def test_the_checks_see_the_whole_repository() -> None:
    """The scans read what they are meant to read (so an empty walk cannot pass them)."""
    docs = {str(p.relative_to(REPO)) for p in documents(REPO)}
    assert {"README.md", "CONTRIBUTING.md", "docs/ATLAS.md"} <= docs
    files = {str(p.relative_to(REPO)) for p in code_files(REPO)}
    assert {"Makefile", "pyproject.toml", "tests/test_docs.py", "assets/routes.css"} <= files
    assert not any(f.startswith("assets/vendor/") for f in files)
    assert {"run", "test", "setup", "lint", "bench", "lock"} <= make_targets(REPO)


# ---------------------------------------------------------------- a tiny synthetic repository


@pytest.fixture
def bad_repo(tmp_path: Path) -> Path:
    (tmp_path / "Makefile").write_text(".PHONY: run test\nrun:\n\techo run\ntest: run\n\techo test\nX := 1\n")
    (tmp_path / "geodata").mkdir()
    (tmp_path / "geodata" / "cbs.py").write_text(
        '"""Boundaries (issue 3)."""\n# fine comment\nx = "issue 4"  # see #12\n'
    )
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.css").write_text("/* routes, issue 8 */\n.a { color: #333; }\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "A.md").write_text("See [the other](B.md) and [ok](../README.md#top).\n")
    (tmp_path / "README.md").write_text(
        "Run `make run`; `make nope`. Code in `geodata/cbs.py` and `geodata/gone.py`, output in\n"
        "`atlas/atlas.gpkg`, data in `cbs/x.gpkg`, layers `hotspots_{periode}`, results in `bench/results/`.\n"
        "Names `geodata.cbs.x`, `geodata.cbs.read_*`, `geodata.cbs.gone()` and `geodata.nothere`.\n"
        "```bash\nHYPOTHESIS_PROFILE=explore make unit\n```\nSee [docs](docs/A.md), [missing](docs/C.md), "
        "[web](https://example.org/x.md).\n"
    )
    return tmp_path


def test_a_missing_path_and_link_are_caught(bad_repo: Path) -> None:
    assert missing_paths(bad_repo) == [
        "README.md: geodata.cbs has no gone",
        "README.md: geodata.nothere",
        "README.md: geodata/gone.py",
        "README.md: link docs/C.md",
        "docs/A.md: link B.md",
    ]


def test_a_missing_make_target_is_caught(bad_repo: Path) -> None:
    assert make_targets(bad_repo) == {".PHONY", "run", "test"}
    assert missing_make_targets(bad_repo) == ["README.md: make nope", "README.md: make unit"]


def test_issue_numbers_in_comments_are_caught_and_strings_are_not(bad_repo: Path) -> None:
    assert issue_number_comments(bad_repo) == [
        "assets/a.css:1: issue 8",
        "geodata/cbs.py:3: #12",
        "geodata/cbs.py:1: issue 3",
    ]
