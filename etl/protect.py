"""Small-count protection: the one place every count or rate leaving the server goes through.

Rule (default threshold 5; a "count" is a number of children in care)
---------------------------------------------------------------------
1. **Primary suppression.** A count from 1 to ``threshold - 1`` is replaced by NaN and shown as ``<5``.
   Zero is shown ("nobody" identifies nobody). A rate computed from a suppressed count is suppressed
   too: the youth population is public, so the rate would give the count back.
2. **Secondary suppression.** Areas nest (buurt → wijk → gemeente) and a parent's total is the sum of
   its children. When a wijk total and its visible buurten would let anyone compute a suppressed buurt,
   a second cell is hidden: the smallest visible buurt of the same wijk that makes the first one
   unrecoverable (ties: lowest code), else — moving outwards — the buurten of hidden siblings, the
   siblings of the wijk, and only then the wijk or gemeente total itself. Secondary cells are shown as
   ``•`` (they are not small) and are only ever chosen among counts ≥ threshold, never zeros.
3. **Audit.** "Unrecoverable" is checked exactly: for every ``<5`` cell we compute the full range of
   values consistent with everything published (visible counts, totals, ``<5`` = 1…t-1, ``•`` ≥ t).
   On one hierarchy of sums this is one pass up and one pass down the tree (interval propagation is
   exact on tree-shaped sums). A ``<5`` cell is safe when at least two values remain possible.
4. **Small totals.** A parent total that is itself small is a primary cell of the same tree. If a
   split is forced even when everything else is hidden (a wijk ``<5`` over four ``<5`` buurten can
   only be 1+1+1+1), every zero of that hierarchy is hidden too, so ``<5`` may then also mean 0.
5. **Linked tables.** :func:`protect_caseloads` protects the caseload tables of all levels and care
   types together. ``totaal`` counts distinct children, so per area ``type ≤ totaal ≤ Σ types``; with
   those relations the tables are no longer a tree, and the audit becomes an integer program per
   linked group of hidden cells (:mod:`etl.protect_audit`); cells are hidden until none is pinned.

Parents that are not rows of the frame (e.g. wijk totals when only buurten are passed) are assumed
published and can never be hidden; :class:`ProtectionError` is raised when that leaves a cell pinned.

Attacker model and its limit: someone who knows every published number and these rules, and does
arithmetic on them. The choice of secondary cells ("the smallest that helps") is deterministic, so a
person who re-runs the choice on every candidate table could in rare cases narrow a range further;
that is the usual limit of deterministic cell suppression and why the threshold should not be lowered.

Everything a browser, download or export receives must come from :func:`protect_counts`,
:func:`protect_caseloads` or :func:`etl.protect_referrals.protect_referrals`; raw counts stay in the atlas on the server.
Protect whole tables, then filter: protecting a filtered subset loses the totals' context.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from etl.protect_audit import PRIMARY as PRIMARY_A
from etl.protect_audit import SECONDARY as SECONDARY_A
from etl.protect_audit import UNKNOWN as UNKNOWN_A
from etl.protect_audit import VISIBLE as VISIBLE_A
from etl.protect_audit import Auditor, Relation, System
from etl.rules.columns import CARE_TYPES as CASELOAD_TYPES
from etl.rules.columns import TOTAL as TOTAL_TYPE
from etl.sensitive import DEFAULT_THRESHOLD, PRIMARY, REASON_SUFFIX, SECONDARY, SUPPRESSED_SUFFIX
from geodata.codes import gemeentecode_from_code, wijkcode_from_buurtcode

SECONDARY_LABEL = "•"

_VISIBLE, _PRIMARY, _SECONDARY, _UNKNOWN = 0, 1, 2, 3


class ProtectionError(ValueError):
    """The frame cannot be protected as given (e.g. a known parent total pins a cell and cannot be hidden)."""


def suppressed_label(threshold: int = DEFAULT_THRESHOLD) -> str:
    """How a primary-suppressed count is shown: ``<5`` for the default threshold."""
    return f"<{threshold}"


def protection_marker(*, suppressed: bool, reason: str | None = None, threshold: int = DEFAULT_THRESHOLD) -> str | None:
    """The text shown instead of a hidden count or rate (``<5``, or ``•`` when hidden secondarily); None when shown.

    Pass it to :func:`etl.numbers.format_count` / :func:`etl.numbers.format_rate` as ``marker``."""
    if not suppressed:
        return None
    return SECONDARY_LABEL if reason == SECONDARY else suppressed_label(threshold)


# ---------------------------------------------------------------- the tree audit


@dataclass
class _Tree:
    """One hierarchy of sums for one count column and one group: node i's parent is parent[i] (-1 = root)."""

    value: np.ndarray  # float, NaN = unknown to everyone
    parent: np.ndarray  # int
    state: np.ndarray  # int: _VISIBLE, _PRIMARY, _SECONDARY, _UNKNOWN
    suppressible: np.ndarray  # bool: False for implied (published) parents
    key: list[str]  # sort key for tie-breaking (area code)
    zeros_hidden: bool = False  # the fallback: `<t` then means 0 … t-1 throughout this tree

    def __post_init__(self) -> None:
        n = len(self.value)
        self.children: list[list[int]] = [[] for _ in range(n)]
        for i, p in enumerate(self.parent):
            if p >= 0:
                self.children[int(p)].append(i)
        # Children before parents: reverse breadth-first order from the roots.
        order: list[int] = [i for i in range(n) if self.parent[i] < 0]
        head = 0
        while head < len(order):
            order.extend(self.children[order[head]])
            head += 1
        if len(order) != n:
            raise ProtectionError("the parent links contain a cycle")
        self.top_down = order


def feasible_ranges(tree: _Tree, threshold: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact [lo, hi] of every node given what is published (the attacker's view); hi may be inf."""
    n = len(tree.value)
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    vis = tree.state == _VISIBLE
    lo[vis] = tree.value[vis]
    hi[vis] = tree.value[vis]
    prim = tree.state == _PRIMARY
    lo[prim], hi[prim] = (0.0 if tree.zeros_hidden else 1.0), float(threshold - 1)
    lo[tree.state == _SECONDARY] = float(threshold)
    # Up: what each subtree allows its root to be.
    d_lo, d_hi = lo.copy(), hi.copy()
    for i in reversed(tree.top_down):
        kids = tree.children[i]
        if kids:
            d_lo[i] = max(d_lo[i], float(sum(d_lo[k] for k in kids)))
            d_hi[i] = min(d_hi[i], float(sum(d_hi[k] for k in kids)))
    # Down: what the rest of the tree allows each node to be.
    f_lo, f_hi = d_lo.copy(), d_hi.copy()
    for p in tree.top_down:
        kids = tree.children[p]
        if not kids:
            continue
        sum_lo = float(sum(d_lo[k] for k in kids))
        finite_hi = [d_hi[k] for k in kids if math.isfinite(d_hi[k])]
        n_inf = len(kids) - len(finite_hi)
        sum_hi_finite = float(sum(finite_hi))
        for k in kids:
            others_lo = sum_lo - d_lo[k]
            if math.isfinite(d_hi[k]):
                others_hi = sum_hi_finite - d_hi[k] if n_inf == 0 else math.inf
            else:
                others_hi = sum_hi_finite if n_inf == 1 else math.inf
            f_lo[k] = max(d_lo[k], f_lo[p] - others_hi)
            f_hi[k] = min(d_hi[k], f_hi[p] - others_lo)
    return f_lo, f_hi


def _exposed(tree: _Tree, threshold: int) -> list[int]:
    """Primary cells whose value follows from what is published (range narrower than two values)."""
    lo, hi = feasible_ranges(tree, threshold)
    prim = np.flatnonzero(tree.state == _PRIMARY)
    return [int(i) for i in prim if hi[i] - lo[i] < 1.0 and tree.value[i] > 0]


def _candidates(tree: _Tree, cell: int, threshold: int) -> list[list[int]]:
    """Visible counts ≥ threshold that might hide ``cell``, in tiers of preference, smallest first per ring.

    Tier 1 walks up from the cell: its siblings, its children, the children of hidden siblings (a hidden
    sibling whose buurten are all visible is not hidden at all), then the same around its parent, and so
    on. Tier 2 is the cell's ancestors themselves (hiding a wijk or gemeente total costs planners most).
    Tier 3 is everything else.
    """

    def eligible(i: int) -> bool:
        return bool(tree.state[i] == _VISIBLE and tree.suppressible[i] and tree.value[i] >= threshold)

    def by_size(ids: Sequence[int]) -> list[int]:
        return sorted((i for i in ids if eligible(i)), key=lambda i: (tree.value[i], tree.key[i]))

    local: list[int] = []
    ancestors: list[int] = []
    node = cell
    while node >= 0:
        p = int(tree.parent[node])
        siblings = [k for k in tree.children[p] if k != node] if p >= 0 else []
        hidden = [k for k in siblings if tree.state[k] in (_PRIMARY, _SECONDARY)]
        nephews = [c for s in hidden for c in tree.children[s]]
        for ring in (siblings, tree.children[node], nephews):
            local += [i for i in by_size(ring) if i not in local]
        if p >= 0:
            ancestors.append(p)
        node = p
    ancestors = [i for i in by_size(ancestors) if i not in local]
    ancestors.sort(key=lambda i: -_depth(tree, i))  # nearest first
    taken = set(local) | set(ancestors)
    rest = [i for i in by_size(range(len(tree.value))) if i not in taken]
    return [local, ancestors, rest]


def _depth(tree: _Tree, i: int) -> int:
    depth = 0
    while tree.parent[i] >= 0:
        i = int(tree.parent[i])
        depth += 1
    return depth


def _protect_tree(tree: _Tree, threshold: int) -> None:
    """Primary then greedy secondary suppression, in place on ``tree.state``."""
    small = (tree.value >= 1) & (tree.value < threshold) & (tree.state == _VISIBLE) & tree.suppressible
    tree.state[small] = _PRIMARY
    if threshold <= 1:
        return
    while True:
        exposed = _exposed(tree, threshold)
        if not exposed:
            return
        cell = min(exposed, key=lambda i: tree.key[i])
        tiers = _candidates(tree, cell, threshold)
        if not any(tiers) and not tree.zeros_hidden:
            # E.g. a wijk `<5` over four `<5` buurten: 1+1+1+1. Only hiding every zero of this hierarchy
            # helps (then `<5` may be 0 and the split is no longer forced).
            tree.zeros_hidden = True
            tree.state[(tree.value == 0) & (tree.state == _VISIBLE) & tree.suppressible] = _PRIMARY
            continue
        if not any(tiers):
            raise ProtectionError(
                f"count of {tree.key[cell]} follows from published totals and nothing is left to suppress; "
                "pass the parent level as rows so that its total can be suppressed"
            )
        tree.state[_choose(tree, cell, tiers, threshold)] = _SECONDARY


def _choose(tree: _Tree, cell: int, tiers: list[list[int]], threshold: int) -> int:
    """In the first non-empty tier: the smallest candidate that protects ``cell`` on its own, else the smallest.

    Staying in the nearest tier keeps wijk and gemeente totals visible whenever buurten can do the job.
    """
    tier = next(t for t in tiers if t)
    for option in tier:
        tree.state[option] = _SECONDARY
        fixed = cell not in _exposed(tree, threshold)
        tree.state[option] = _VISIBLE
        if fixed:
            return option
    return tier[0]


# ---------------------------------------------------------------- frames


def protect_counts(
    df: pd.DataFrame,
    *,
    count_columns: Sequence[str],
    area_column: str,
    parent_column: str | None = None,
    group_columns: Sequence[str] = (),
    rate_columns: Mapping[str, str] | None = None,
    parent_totals: pd.DataFrame | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    forced: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return a copy of ``df`` that is safe to publish: suppressed counts and rates are NaN.

    - ``count_columns``: raw counts (non-negative integers; NaN = not known).
    - ``area_column``: the area code of each row; with ``group_columns`` (e.g. periode, soort) it is
      unique. ``parent_column``: the code of the area's parent (buurt → wijkcode). Parents that are rows
      of ``df`` (same group) are cells of the same hierarchy and may themselves be suppressed; parents
      that are not are published totals: the sum of their children, or the value in ``parent_totals``
      (a frame with ``parent_column``, the ``group_columns`` and the count columns).
    - ``rate_columns``: rate column → the count it was computed from; suppressed with that count.
    - ``forced``: optional boolean frame (same index, count columns) of counts ≥ threshold that must be
      hidden as secondary (used to protect another dimension, see :func:`protect_caseloads`).

    Adds ``<col>__onderdrukt`` (bool) for every count and rate column and ``<count>__reden``
    (``primair``, ``secundair`` or empty). See the module docstring for the rule.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    rates = dict(rate_columns or {})
    missing = [c for c in [*count_columns, area_column, *group_columns, *rates, *rates.values()] if c not in df.columns]
    if parent_column is not None and parent_column not in df.columns:
        missing.append(parent_column)
    if missing:
        raise KeyError(f"columns not in frame: {missing}")
    unknown_counts = [c for c in rates.values() if c not in count_columns]
    if unknown_counts:
        raise ValueError(f"rate columns refer to columns that are not count columns: {unknown_counts}")

    out = df.copy()
    states: dict[str, np.ndarray] = {}
    for col in count_columns:
        values = pd.to_numeric(out[col], errors="coerce").astype("float64")
        bad = values.notna() & ((values < 0) | (values != np.floor(values)))
        if bad.any():
            raise ValueError(f"column {col} holds negative or fractional counts, e.g. {values[bad].iloc[0]}")
        state = np.where(values.isna().to_numpy(), _UNKNOWN, _VISIBLE)
        if forced is not None and col in forced.columns:
            force = forced[col].reindex(out.index).fillna(False).to_numpy(dtype=bool)
            state = np.where(force & (state == _VISIBLE) & (values >= threshold).to_numpy(), _SECONDARY, state)
            # A forced zero is the last resort of another dimension: it becomes a '<t' that may be 0.
            state = np.where(force & (state == _VISIBLE) & (values == 0).to_numpy(), _PRIMARY, state)
        states[col] = _suppress_column(
            out,
            values,
            state,
            area_column=area_column,
            parent_column=parent_column,
            group_columns=group_columns,
            parent_totals=parent_totals,
            column=col,
            threshold=threshold,
        )

    for col in count_columns:
        state = states[col]
        hidden = (state == _PRIMARY) | (state == _SECONDARY)
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64").mask(hidden)
        out[col + SUPPRESSED_SUFFIX] = hidden
        out[col + REASON_SUFFIX] = np.select([state == _PRIMARY, state == _SECONDARY], [PRIMARY, SECONDARY], "")
    for rate_col, count_col in rates.items():
        hidden = out[count_col + SUPPRESSED_SUFFIX].to_numpy(dtype=bool)
        out[rate_col] = pd.to_numeric(out[rate_col], errors="coerce").astype("float64").mask(hidden)
        out[rate_col + SUPPRESSED_SUFFIX] = hidden
    return out


def _suppress_column(
    df: pd.DataFrame,
    values: pd.Series,
    state: np.ndarray,
    *,
    area_column: str,
    parent_column: str | None,
    group_columns: Sequence[str],
    parent_totals: pd.DataFrame | None,
    column: str,
    threshold: int,
) -> np.ndarray:
    """Run the tree protection for one count column, group by group; returns the new state per row."""
    result = state.copy()
    if group_columns:
        group_id = df.groupby(list(group_columns), sort=True, dropna=False).ngroup().to_numpy()
    else:
        group_id = np.zeros(len(df), dtype=int)
    totals = _totals_lookup(parent_totals, parent_column, group_columns, column)
    for gid in np.unique(group_id):
        rows = np.flatnonzero(group_id == gid)
        key: Hashable = tuple(df[c].iloc[rows[0]] for c in group_columns)
        codes = df[area_column].iloc[rows].astype(str).tolist()
        if len(set(codes)) != len(codes):
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            raise ValueError(f"area codes repeat within one group {key!r}: {dupes[:5]}")
        tree = _build_tree(
            df,
            rows,
            codes,
            values,
            result,
            parent_column=parent_column,
            group_key=tuple(key) if isinstance(key, tuple) else (key,),
            totals=totals,
        )
        tree.zeros_hidden = bool(((tree.value == 0) & (tree.state == _PRIMARY)).any())
        _protect_tree(tree, threshold)
        result[rows] = tree.state[: len(rows)]
    return result


def _totals_lookup(
    parent_totals: pd.DataFrame | None, parent_column: str | None, group_columns: Sequence[str], column: str
) -> dict[tuple[object, ...], float]:
    if parent_totals is None or parent_column is None or column not in parent_totals.columns:
        return {}
    keys = [parent_column, *group_columns]
    vals = pd.to_numeric(parent_totals[column], errors="coerce")
    return {
        tuple(str(v) if i == 0 else v for i, v in enumerate(row)): float(val)
        for row, val in zip(parent_totals[keys].itertuples(index=False, name=None), vals, strict=True)
    }


def _build_tree(
    df: pd.DataFrame,
    rows: np.ndarray,
    codes: list[str],
    values: pd.Series,
    state: np.ndarray,
    *,
    parent_column: str | None,
    group_key: tuple[object, ...],
    totals: Mapping[tuple[object, ...], float],
) -> _Tree:
    n = len(rows)
    vals = values.iloc[rows].to_numpy(dtype="float64").tolist()
    st = state[rows].tolist()
    parent = [-1] * n
    suppressible = [True] * n
    keys = list(codes)
    if parent_column is not None:
        where = {c: i for i, c in enumerate(codes)}
        implied: dict[str, int] = {}
        for i, raw in enumerate(df[parent_column].iloc[rows].tolist()):
            if raw is None or (isinstance(raw, float) and math.isnan(raw)) or raw is pd.NA:
                continue
            code = str(raw)
            if code in where:
                parent[i] = where[code]
            else:
                if code not in implied:
                    implied[code] = len(vals)
                    vals.append(math.nan)
                    st.append(_VISIBLE)
                    parent.append(-1)
                    suppressible.append(False)
                    keys.append(code)
                parent[i] = implied[code]
        for code, node in implied.items():
            kids = [i for i in range(n) if parent[i] == node]
            given = totals.get((code, *group_key))
            if given is not None and not math.isnan(given):
                vals[node] = given
            else:
                kid_vals = [vals[k] for k in kids]
                vals[node] = math.nan if any(math.isnan(v) for v in kid_vals) else float(sum(kid_vals))
            if math.isnan(vals[node]):
                st[node] = _UNKNOWN
        _add_remainders(vals, st, parent, suppressible, keys)
    return _Tree(
        value=np.asarray(vals, dtype="float64"),
        parent=np.asarray(parent, dtype=int),
        state=np.asarray(st, dtype=int),
        suppressible=np.asarray(suppressible, dtype=bool),
        key=keys,
    )


def _add_remainders(
    vals: list[float], st: list[int], parent: list[int], suppressible: list[bool], keys: list[str]
) -> None:
    """A parent larger than the sum of its known children gets a published 'rest' child, so sums are exact.

    (E.g. children in care whose address could not be placed in a buurt still count in the wijk total.)
    """
    sums: dict[int, float] = {}
    for i, p in enumerate(list(parent)):
        if p >= 0:
            sums[p] = sums.get(p, 0.0) + vals[i]
    for p, total in sums.items():
        if math.isnan(total) or math.isnan(vals[p]):
            continue  # an unknown child absorbs any difference
        rest = vals[p] - total
        if rest < 0:
            raise ProtectionError(
                f"the total of {keys[p]} ({vals[p]:g}) is smaller than the sum of its parts ({total:g})"
            )
        if rest > 0:
            vals.append(rest)
            st.append(_VISIBLE)
            parent.append(p)
            suppressible.append(False)
            keys.append(f"{keys[p]}~rest")


def check_protected(df: pd.DataFrame, *, count_columns: Sequence[str], threshold: int = DEFAULT_THRESHOLD) -> None:
    """Raise ValueError when a count column still shows a value from 1 to threshold - 1 (a guard for exports)."""
    for col in count_columns:
        values = pd.to_numeric(df[col], errors="coerce")
        small = values.notna() & (values >= 1) & (values < threshold)
        if small.any():
            raise ValueError(f"unprotected small count in column {col}: {int(small.sum())} value(s)")


# ---------------------------------------------------------------- the atlas caseload tables


class ProtectedCaseloads(NamedTuple):
    """The three levels of the caseload tables, protected together."""

    buurt: pd.DataFrame
    wijk: pd.DataFrame
    gemeente: pd.DataFrame


def protect_caseloads(
    df_buurt: pd.DataFrame,
    df_wijk: pd.DataFrame | None = None,
    *,
    threshold: int = DEFAULT_THRESHOLD,
) -> ProtectedCaseloads:
    """Protect ``caseloads_buurt`` and ``caseloads_wijk`` together (buurt → wijk → gemeente, per periode/soort).

    The tables are one hierarchy: a wijk count is the sum of its buurten, the gemeente (``gemeentecode``,
    computed here) the sum of its wijken. Across care types, ``totaal`` counts distinct children, so
    ``max(types) ≤ totaal ≤ sum(types)`` holds per area; when that inequality would pin a ``<5`` type,
    the smallest visible type of that area is hidden as well (and kept unrecoverable in its own
    hierarchy). Returns copies with ``aantal`` and ``rate_per_1000`` protected plus the
    ``__onderdrukt``/``__reden`` columns. Pass the tables whole — filter after protecting, never before.
    """
    parts = []
    b = df_buurt.assign(_area=df_buurt["buurtcode"].astype(str), _level="buurt")
    b["_parent"] = b["_area"].map(wijkcode_from_buurtcode)
    parts.append(b)
    if df_wijk is not None and len(df_wijk):
        w = df_wijk.assign(_area=df_wijk["wijkcode"].astype(str), _level="wijk")
        w["_parent"] = w["_area"].map(gemeentecode_from_code)
        parts.append(w)
        top = w
    else:
        top = b.assign(_area=b["_parent"])
    g = (
        top.assign(_gm=top["_area"].map(gemeentecode_from_code))
        .groupby(["_gm", "periode", "soort"], as_index=False, dropna=False)["aantal"]
        .agg(lambda s: np.nan if s.isna().any() else float(s.sum()))  # one unknown wijk: unknown total
        .rename(columns={"_gm": "_area"})
        .assign(_level="gemeente", _parent=pd.NA)
    )
    parts.append(g)
    combined = pd.concat(parts, ignore_index=True)
    has_rate = "rate_per_1000" in combined.columns
    rates = {"rate_per_1000": "aantal"} if has_rate else {}
    forced = pd.DataFrame({"aantal": np.zeros(len(combined), dtype=bool)}, index=combined.index)
    auditor = Auditor(threshold)
    while True:  # each round hides at least one more count ≥ threshold, so this ends
        protected = protect_counts(
            combined,
            count_columns=["aantal"],
            area_column="_area",
            parent_column="_parent",
            group_columns=["periode", "soort"],
            rate_columns=rates,
            threshold=threshold,
            forced=forced,
        )
        extra = _linked_fixes(combined, protected, auditor=auditor)
        if not extra:
            break
        forced.loc[extra, "aantal"] = True
    helper = ["_area", "_level", "_parent"]

    def level(name: str, columns: Sequence[str]) -> pd.DataFrame:
        part = protected[protected["_level"] == name]
        keep = [c for c in part.columns if c not in helper and (c in columns or c.startswith(("aantal", "rate")))]
        return part[keep].reset_index(drop=True)

    out_b = level("buurt", df_buurt.columns)
    out_w = level("wijk", df_wijk.columns if df_wijk is not None else ["wijkcode", "periode", "soort"])
    out_g = level("gemeente", ["periode", "soort"])
    out_g.insert(0, "gemeentecode", protected.loc[protected["_level"] == "gemeente", "_area"].to_numpy())
    return ProtectedCaseloads(out_b, out_w, out_g)


def _caseload_system(raw: pd.DataFrame, protected: pd.DataFrame) -> System:
    """The caseload cells and every relation between them: sums per soort, type ≤ totaal ≤ Σ types."""
    reason = protected["aantal" + REASON_SUFFIX].to_numpy()
    numbers = pd.to_numeric(raw["aantal"], errors="coerce")
    values = numbers.fillna(0).to_numpy(dtype="float64")
    status = [
        PRIMARY_A if r == PRIMARY else SECONDARY_A if r == SECONDARY else UNKNOWN_A if unknown else VISIBLE_A
        for r, unknown in zip(reason, numbers.isna(), strict=True)
    ]
    # '<t' may be 0 in a table (period × care type) whose zeros were hidden, or that shows no count at all
    # (everything hidden: then the tree fell back to hiding zeros, there just were none).
    keys = [raw["periode"].to_numpy(), raw["soort"].to_numpy()]
    hidden_zero = pd.Series((values == 0) & (reason == PRIMARY)).groupby(keys).transform("any")
    none_shown = ~pd.Series(reason == "").groupby(keys).transform("any")
    zero_hidden = hidden_zero | none_shown
    system = System(values=values, status=status, may_be_zero=zero_hidden.to_numpy(dtype=bool))
    pos = {key: i for i, key in enumerate(zip(raw["_area"], raw["periode"], raw["soort"], strict=True))}
    children: dict[tuple[object, object, object], list[int]] = {}
    for i, (parent, periode, soort) in enumerate(zip(raw["_parent"], raw["periode"], raw["soort"], strict=True)):
        if isinstance(parent, str):
            children.setdefault((parent, periode, soort), []).append(i)
    for key, kids in children.items():
        if key in pos:
            system.add_sum(pos[key], kids)
            if numbers.iloc[[pos[key], *kids]].isna().any():
                # An unknown cell: only parent ≥ Σ known children is certain.
                system.relations[-1] = Relation(system.relations[-1].coefs, 0.0, math.inf)
                continue
            rest = values[pos[key]] - values[kids].sum()
            if rest:
                system.relations[-1] = Relation(system.relations[-1].coefs, rest, rest)
    for rows in raw.groupby(["_area", "periode"], sort=False).indices.values():
        by_type = {raw["soort"].iat[i]: int(i) for i in rows}
        if TOTAL_TYPE not in by_type:
            continue
        total = by_type[TOTAL_TYPE]
        types = [by_type[t] for t in CASELOAD_TYPES if t in by_type]
        for t in types:
            system.add_leq([t], [total])
        if len(types) == len(CASELOAD_TYPES):
            system.add_leq([total], types)
    return system


def _linked_fixes(raw: pd.DataFrame, protected: pd.DataFrame, *, auditor: Auditor) -> list[int]:
    """Counts to hide next because the linked tables (sums and care types together) pin a ``<5``.

    Per pinned cell: the smallest visible count ≥ threshold of the same area (another care type), of
    the same parent (a sibling), or the parent itself that unpins it on its own; else the first of those.
    """
    threshold = auditor.threshold
    system = _caseload_system(raw, protected)
    exposed = auditor.exposed(system)
    hide: list[int] = []
    values = system.values
    areas, periods, soorts = (raw[c].astype(str).to_numpy() for c in ("_area", "periode", "soort"))
    parents = raw["_parent"].fillna("").astype(str).to_numpy()
    for cell in exposed:
        if hide and any(values[h] >= threshold and not _exposed_after(system, auditor, cell, h) for h in hide):
            continue
        same = periods == periods[cell]
        ring = same & (
            (areas == areas[cell])
            | ((parents == parents[cell]) & (soorts == soorts[cell]))
            | ((areas == parents[cell]) & (soorts == soorts[cell]))
        )
        options = [int(i) for i in np.flatnonzero(ring) if system.status[i] == VISIBLE_A and values[i] >= threshold]
        if not options:
            options = [int(i) for i in np.flatnonzero(same) if system.status[i] == VISIBLE_A and values[i] >= threshold]
        options.sort(key=lambda i: (values[i], str(areas[i]), str(soorts[i])))
        if not options:
            # Nothing ≥ threshold is left to hide: hide the zeros of this period (then '<t' may be 0 there).
            zeros = [int(i) for i in np.flatnonzero(same) if system.status[i] == VISIBLE_A and values[i] == 0]
            if zeros:
                hide.extend(zeros)
                continue
            raise ProtectionError(f"cannot protect the caseload of {areas[cell]} ({soorts[cell]}, {periods[cell]})")
        chosen = next((o for o in options if not _exposed_after(system, auditor, cell, o)), options[0])
        hide.append(chosen)
    return [int(raw.index[i]) for i in hide]


def _exposed_after(system: System, auditor: Auditor, cell: int, hide: int) -> bool:
    """Whether ``cell`` stays pinned when ``hide`` is hidden too (the system is restored afterwards)."""
    before = system.status[hide]
    system.status[hide] = SECONDARY_A
    try:
        return auditor.is_exposed(system, cell)
    finally:
        system.status[hide] = before
