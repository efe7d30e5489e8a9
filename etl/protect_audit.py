"""Exact disclosure audit of linked count tables: the range of every hidden count, by integer programming.

Used where tables are linked in more than one direction (care types × area hierarchy), so the fast
tree audit in :mod:`etl.protect` is not exact. The attacker is assumed to know every published
count, every sum relation, the threshold, that ``<t`` is 1…t-1 (0…t-1 where zeros are hidden) and
that ``•`` is at least t.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

VISIBLE, PRIMARY, SECONDARY, UNKNOWN = "visible", "primary", "secondary", "unknown"
RANDOM_PUSHES = 6  # extra witness solves per large component before cells are checked one by one


@dataclass(frozen=True)
class Relation:
    """``lo ≤ Σ coef·cell ≤ hi`` over cell indices (equalities have lo == hi)."""

    coefs: dict[int, float]
    lo: float
    hi: float


@dataclass
class System:
    """Cells (true values and what is published about each) and the relations an attacker can use."""

    values: np.ndarray
    status: list[str]
    may_be_zero: np.ndarray  # bool: a '<t' cell that may be 0 (zeros hidden in its table)
    relations: list[Relation] = field(default_factory=list)

    def add_sum(self, parent: int, children: Sequence[int]) -> None:
        """parent = Σ children."""
        coefs = {parent: 1.0}
        for c in children:
            coefs[c] = coefs.get(c, 0.0) - 1.0
        self.relations.append(Relation(coefs, 0.0, 0.0))

    def add_leq(self, small: Sequence[int], large: Sequence[int]) -> None:
        """Σ small ≤ Σ large."""
        coefs: dict[int, float] = {}
        for c in small:
            coefs[c] = coefs.get(c, 0.0) + 1.0
        for c in large:
            coefs[c] = coefs.get(c, 0.0) - 1.0
        self.relations.append(Relation(coefs, -math.inf, 0.0))


def _bounds(system: System, threshold: int, cells: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    lo = np.empty(len(cells))
    hi = np.empty(len(cells))
    for j, i in enumerate(cells):
        s = system.status[i]
        if s == PRIMARY:
            lo[j], hi[j] = (0.0 if system.may_be_zero[i] else 1.0), threshold - 1.0
        elif s == SECONDARY:
            lo[j], hi[j] = float(threshold), math.inf
        elif s == UNKNOWN:  # not known to anyone, us included
            lo[j], hi[j] = 0.0, math.inf
        else:
            lo[j] = hi[j] = system.values[i]
    return lo, hi


def _components(system: System) -> list[tuple[list[int], list[Relation]]]:
    """Hidden cells grouped by the relations that link them (visible cells are constants)."""
    hidden = {i for i, s in enumerate(system.status) if s != VISIBLE}
    parent = {i: i for i in hidden}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for rel in system.relations:
        cells = [c for c in rel.coefs if c in hidden]
        for a, b in itertools.pairwise(cells):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
    groups: dict[int, list[int]] = {}
    for i in sorted(hidden):
        groups.setdefault(find(i), []).append(i)
    rels: dict[int, list[Relation]] = {}
    for rel in system.relations:
        cells = [c for c in rel.coefs if c in hidden]
        if cells:
            rels.setdefault(find(cells[0]), []).append(rel)
    return [(cells, rels.get(root, [])) for root, cells in groups.items()]


class _Model:
    """One component as a MILP: hidden cells are the variables, visible cells folded into the bounds."""

    def __init__(self, system: System, threshold: int, cells: list[int], relations: list[Relation]) -> None:
        self.cells = cells
        self.where = {c: j for j, c in enumerate(cells)}
        self.lo, self.hi = _bounds(system, threshold, cells)
        rows, lbs, ubs = [], [], []
        for rel in relations:
            row = np.zeros(len(cells))
            const = 0.0
            for c, coef in rel.coefs.items():
                if c in self.where:
                    row[self.where[c]] += coef
                else:
                    const += coef * system.values[c]
            rows.append(row)
            lbs.append(rel.lo - const)
            ubs.append(rel.hi - const)
        self.a = np.array(rows)
        self.lb = np.array(lbs)
        self.ub = np.array(ubs)
        self.truth = system.values[cells]

    def solve(self, objective: np.ndarray) -> np.ndarray | None:
        """An optimal integer solution, or None when unbounded in that direction."""
        res = milp(
            objective,
            constraints=[LinearConstraint(self.a, self.lb, self.ub)],
            integrality=np.ones(len(self.cells)),
            bounds=Bounds(self.lo, self.hi),
        )
        if res.status == 3:
            return None
        if not res.success or res.x is None:
            raise RuntimeError(f"audit model infeasible: {res.message}")
        solution: np.ndarray = np.round(np.asarray(res.x, dtype="float64"))
        return solution

    def admits(self, x: np.ndarray) -> bool:
        """Whether a (remembered) solution still fits this model."""
        if np.any(x < self.lo - 1e-9) or np.any(x > self.hi + 1e-9):
            return False
        ax = self.a @ x
        return bool(np.all(ax >= self.lb - 1e-9) and np.all(ax <= self.ub + 1e-9))

    def pinned(self, target: int) -> bool:
        """True when every solution gives ``target`` its true value."""
        j = self.where[target]
        objective = np.zeros(len(self.cells))
        objective[j] = 1.0
        low = self.solve(objective)
        if low is not None and low[j] < self.truth[j]:
            return False
        high = self.solve(-objective)
        return high is not None and high[j] <= self.truth[j]


class Auditor:
    """Finds pinned '<t' cells; remembers solutions ("witnesses") so later rounds re-check only what changed.

    A witness is a full assignment of a component that fits everything published. Any cell whose value
    differs between a witness and the truth is not pinned. Hiding more cells only widens the model, so
    witnesses usually survive the next round; they are re-checked before use all the same.
    """

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.witnesses: list[dict[int, float]] = []

    def _remember(self, model: _Model, x: np.ndarray) -> None:
        self.witnesses.append(dict(zip(model.cells, x.tolist(), strict=True)))

    def _freed_by_witnesses(self, model: _Model, targets: set[int]) -> set[int]:
        freed: set[int] = set()
        for w in self.witnesses:
            if not targets - freed:
                break
            if not all(c in w for c in model.cells):
                continue
            x = np.array([w[c] for c in model.cells])
            if model.admits(x):
                freed |= {t for t in targets if x[model.where[t]] != model.truth[model.where[t]]}
        return freed

    def exposed(self, system: System) -> list[int]:
        """Hidden non-zero '<t' cells whose value follows exactly from what is published."""
        found = []
        for cells, relations in _components(system):
            targets = {i for i in cells if system.status[i] == PRIMARY and system.values[i] > 0}
            if not targets or not relations:
                continue
            model = _Model(system, self.threshold, cells, relations)
            open_ = targets - self._freed_by_witnesses(model, targets)
            # Two solutions pushing all open cells up, then down, free most cells at once; in a large
            # component a few pushes in random (seeded) directions free most of the rest, each far cheaper
            # than the two solves of a cell-by-cell check. The answer stays exact either way.
            rng = np.random.default_rng(len(cells))
            pushes = [np.full(len(cells), -1.0), np.full(len(cells), 1.0)]
            pushes += [
                rng.choice([-1.0, 1.0], size=len(cells)) for _ in range(RANDOM_PUSHES if len(targets) >= 8 else 0)
            ]
            for k, direction in enumerate(pushes):
                if not open_ or (k >= 2 and len(open_) < 4):
                    break
                objective = np.zeros(len(cells))
                for t in open_:
                    objective[model.where[t]] = direction[model.where[t]]
                x = model.solve(objective)
                if x is not None:
                    self._remember(model, x)
                    open_ -= {t for t in open_ if x[model.where[t]] != model.truth[model.where[t]]}
            for t in sorted(open_):
                if model.pinned(t):
                    found.append(t)
        return sorted(found)

    def is_exposed(self, system: System, cell: int) -> bool:
        """Whether one hidden cell follows from what is published (audits only its component)."""
        for cells, relations in _components(system):
            if cell in cells:
                return bool(relations) and _Model(system, self.threshold, cells, relations).pinned(cell)
        return False


def exposed_cells(system: System, threshold: int) -> list[int]:
    """Hidden non-zero '<t' cells whose value follows exactly from what is published."""
    return Auditor(threshold).exposed(system)


def is_exposed(system: System, threshold: int, cell: int) -> bool:
    """Whether one hidden cell follows from what is published."""
    return Auditor(threshold).is_exposed(system, cell)
