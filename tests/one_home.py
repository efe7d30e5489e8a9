"""Copied facts in the product code, found with ast: a list, mapping or colour assigned in two modules, or spelled
again as a literal by a module that could import it from its home; each finding names the module and line."""

from __future__ import annotations

import ast
import functools
import importlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from import_graph import FLOORS, module_files

CONSTANT = re.compile(r"_?[A-Z][A-Z0-9_]*")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _key(value: object) -> object:
    """A hashable form in which equal facts are equal: a tuple and a list of the same items, a set in any order."""
    if isinstance(value, tuple | list):
        return ("seq", tuple(_key(v) for v in value))
    if isinstance(value, set | frozenset):
        return ("set", frozenset(_key(v) for v in value))
    if isinstance(value, dict):
        return ("map", frozenset((_key(k), _key(v)) for k, v in value.items()))
    return ("value", value)


def is_fact(value: object) -> bool:
    """What counts as a fact worth one home: a collection of two or more items, or a colour."""
    if isinstance(value, tuple | list | set | frozenset | dict):
        return len(value) >= 2
    return isinstance(value, str) and COLOUR.fullmatch(value) is not None


def _literal(node: ast.AST) -> tuple[bool, object]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _module_assignments(tree: ast.Module) -> Iterator[tuple[str, ast.expr, int]]:
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.value, node.lineno
                elif isinstance(target, ast.Tuple):  # A, B = PAIR: each name takes one item (or an unknown value)
                    items = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value] * len(target.elts)
                    for element, item in zip(target.elts, items, strict=False):
                        if isinstance(element, ast.Name):
                            yield element.id, item if item is not node.value else ast.Name("?"), node.lineno
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            yield node.target.id, node.value, node.lineno


@functools.cache
def _trees(root: Path) -> dict[str, ast.Module]:
    return {m: ast.parse(p.read_text(encoding="utf-8"), filename=str(p)) for m, p in module_files(root).items()}


def assigned_constants(root: Path) -> dict[str, dict[str, int]]:
    """Constant name → {module: line} of every module-level assignment of that name (any value)."""
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for module, tree in _trees(root).items():
        for name, _, line in _module_assignments(tree):
            if CONSTANT.fullmatch(name):
                found[name].setdefault(module, line)
    return dict(found)


def facts_assigned_twice(root: Path) -> list[str]:
    """The same list, mapping or colour assigned to a module-level constant in more than one module."""
    places: dict[object, list[tuple[str, str, int]]] = defaultdict(list)
    for module, tree in _trees(root).items():
        for name, value_node, line in _module_assignments(tree):
            ok, value = _literal(value_node)
            if CONSTANT.fullmatch(name) and ok and is_fact(value):
                places[_key(value)].append((module, name, line))
    return sorted(
        " = ".join(f"{m}.{n} (line {line})" for m, n, line in where)
        for where in places.values()
        if len({m for m, _, _ in where}) > 1
    )


def _floor(module: str) -> int:
    return FLOORS.index(module.split(".")[0])


def facts_spelled_again(root: Path, facts: Mapping[str, Iterable[tuple[str, object]]]) -> list[str]:
    """Literals equal to a fact (``facts``: home module → (name, value)) in a module that may import the home:
    one on the home's floor or above. A fact of strings also matches as a set, in any order."""
    wanted: dict[object, list[tuple[str, str]]] = defaultdict(list)
    for home, named in facts.items():
        for name, value in named:
            if not is_fact(value):  # a single word or number is too common to look for as a literal
                continue
            wanted[_key(value)].append((home, name))
            if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
                wanted[_key(set(value))].append((home, name))  # the same names in another order
    found = []
    for module, tree in _trees(root).items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict | ast.Constant):
                continue
            ok, value = _literal(node)
            if not ok or not is_fact(value):
                continue
            keys = [_key(value)]
            if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
                keys.append(_key(set(value)))
            for home, name in {hit for key in keys for hit in wanted.get(key, [])}:
                if module != home and _floor(module) >= _floor(home):
                    found.append(f"{module} (line {node.lineno}) spells {home}.{name} = {value!r} again")
    return sorted(set(found))


def fact_values(modules: Mapping[str, Sequence[str]]) -> dict[str, list[tuple[str, object]]]:
    """The current values of named facts, imported from their home modules (a NamedTuple as its tuple)."""
    out: dict[str, list[tuple[str, object]]] = {}
    for home, names in modules.items():
        module = importlib.import_module(home)
        out[home] = [(n, tuple(v) if isinstance(v := getattr(module, n), tuple) else v) for n in names]
    return out
