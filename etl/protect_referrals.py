"""Small-count protection of the referral-route tables, together with the caseload tables they break down.

A route table is a two-way table per period and care type: areas (buurt → wijk → gemeente, and providers)
by routes (buurtteam, huisarts …). Its row sums are caseload counts that ``etl.protect.protect_caseloads``
already published (or hid), its column sums are the coarser areas. Everything an attacker can combine is
audited at once, with the caseload tables' publication fixed (it is never changed here):

1. primary: a route count of 1…t-1 is hidden (``<5``), as is a provider's own total;
2. secondary, cheaply: the tree rule of :func:`etl.protect.protect_counts` down the area hierarchy (per route)
   and across one area's routes (its caseload count as the published parent), repeated until neither adds a
   cell; a route breakdown whose caseload count is hidden never adds up to it in the open;
3. exact: the integer-programming audit of :mod:`etl.protect_audit` over the caseload cells (sums, care-type
   relations) and the route cells (area sums, provider sums, routes = caseload count); while any ``<5`` cell
   of either table is pinned to one value, the smallest route count ≥ t near it that unpins it is hidden;
   where none exists, the zeros near it are hidden (``<5`` then may be 0 in that route's table).

Shares (aandeel = route / caseload count) are hidden where either count is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from etl.protect import ProtectedCaseloads, ProtectionError, protect_caseloads, protect_counts
from etl.protect_audit import PRIMARY as PRIMARY_A
from etl.protect_audit import SECONDARY as SECONDARY_A
from etl.protect_audit import VISIBLE as VISIBLE_A
from etl.protect_audit import Auditor, Relation, System
from etl.referrals import KEYS as LEVEL_KEYS
from etl.rules.columns import CARE_TYPES, REFERRALS, TOTAL
from etl.sensitive import DEFAULT_THRESHOLD, PRIMARY, REASON_SUFFIX, SECONDARY, SUPPRESSED_SUFFIX

ROUTE_TOTAL = "totaal"  # the verwijzer of a provider's own total cell
_VIS, _PRIM, _SEC, _UNK = 0, 1, 2, 3
MAX_TRIES = 8  # candidates audited one by one for a pinned cell; past that the smallest is hidden (and re-audited)
PUBLISHED_COLUMNS = tuple(
    f"{c}{s}" for c in ("aantal", "totaal", "aandeel") for s in ("", SUPPRESSED_SUFFIX, REASON_SUFFIX)
)


class ProtectedReferrals(NamedTuple):
    """The published route tables of every level (``aantal``, ``totaal`` and ``aandeel`` with their marks)."""

    buurt: pd.DataFrame
    wijk: pd.DataFrame
    gemeente: pd.DataFrame
    provider: pd.DataFrame


# ---------------------------------------------------------------- the cells


def _gm(code: str) -> str:
    return "GM" + code[2:6]


def _wk(code: str) -> str:
    return "WK" + code[2:8]


def _route_cells(df_buurt: pd.DataFrame, df_wijk: pd.DataFrame, df_provider: pd.DataFrame | None) -> pd.DataFrame:
    """All route cells in one frame: _level, _area, _parent, periode, soort, verwijzer, aantal (float, NaN unknown)."""
    parts = []
    if len(df_buurt):
        b = df_buurt.assign(_area=df_buurt["buurtcode"].astype(str), _level="buurt")
        b["_parent"] = b["_area"].map(_wk)
        parts.append(b)
    if len(df_wijk):
        w = df_wijk.assign(_area=df_wijk["wijkcode"].astype(str), _level="wijk")
        w["_parent"] = w["_area"].map(_gm)
        parts.append(w)
        g = (
            w.assign(_gm=w["_parent"], aantal=pd.to_numeric(w["aantal"], errors="coerce").astype("float64"))
            .groupby(["_gm", "periode", "soort", "verwijzer"], as_index=False, sort=True)["aantal"]
            .agg(lambda s: np.nan if s.isna().any() else float(s.sum()))
            .rename(columns={"_gm": "_area"})
            .assign(_level="gemeente", _parent=None)
        )
        parts.append(g)
    if df_provider is not None and len(df_provider):
        p = df_provider.assign(_area=df_provider["provider"].astype(str), _level="provider", _parent=None)
        parts.append(p)
        totals = (
            p.assign(aantal=pd.to_numeric(p["aantal"], errors="coerce").astype("float64"))
            .groupby(["_area", "periode", "soort"], as_index=False, sort=True)["aantal"]
            .agg(lambda s: np.nan if s.isna().any() else float(s.sum()))
            .assign(_level="provider", _parent=None, verwijzer=ROUTE_TOTAL)
        )
        parts.append(totals)
    cols = ["_level", "_area", "_parent", "periode", "soort", "verwijzer", "aantal"]
    if not parts:
        return pd.DataFrame(columns=cols)
    cells = pd.concat([part.reindex(columns=cols) for part in parts], ignore_index=True)
    for col in ("_level", "_area", "periode", "soort", "verwijzer"):
        # Plain Python strings: the protection walks these row by row, and Arrow strings are slow at that.
        cells[col] = pd.Series([str(v) for v in cells[col]], index=cells.index, dtype=object)
    cells["_parent"] = cells["_parent"].astype(object).where(cells["_parent"].notna(), None)
    cells["aantal"] = pd.to_numeric(cells["aantal"], errors="coerce").astype("float64")
    return cells


def _caseload_cells(
    df_buurt: pd.DataFrame, df_wijk: pd.DataFrame | None, published: ProtectedCaseloads
) -> pd.DataFrame:
    """The caseload cells of every level with their raw count and published reason (primair, secundair, '')."""
    parts = []
    if len(df_buurt):
        b = df_buurt.assign(_area=df_buurt["buurtcode"].astype(str), _level="buurt")
        b["_parent"] = b["_area"].map(_wk)
        parts.append(b)
    if df_wijk is not None and len(df_wijk):
        w = df_wijk.assign(_area=df_wijk["wijkcode"].astype(str), _level="wijk")
        w["_parent"] = w["_area"].map(_gm)
        top = w
        parts.append(w)
    else:
        top = parts[0].assign(_area=parts[0]["_parent"])
    g = (
        top.assign(_gm=top["_area"].map(_gm), aantal=pd.to_numeric(top["aantal"], errors="coerce"))
        .groupby(["_gm", "periode", "soort"], as_index=False, dropna=False)["aantal"]
        .sum(min_count=1)
        .rename(columns={"_gm": "_area"})
        .assign(_level="gemeente", _parent=None)
    )
    parts.append(g)
    cols = ["_level", "_area", "_parent", "periode", "soort", "aantal"]
    cells = pd.concat([part.reindex(columns=cols) for part in parts], ignore_index=True)
    for col in ("_level", "_area", "periode", "soort"):
        cells[col] = pd.Series([str(v) for v in cells[col]], index=cells.index, dtype=object)
    cells["aantal"] = pd.to_numeric(cells["aantal"], errors="coerce").astype("float64")
    reasons: dict[tuple[str, str, str, str], str] = {}
    for level, frame in (("buurt", published.buurt), ("wijk", published.wijk), ("gemeente", published.gemeente)):
        if frame is None or frame.empty:
            continue
        key = LEVEL_KEYS[level]
        for code, periode, soort, reason in zip(
            frame[key].astype(str),
            frame["periode"].astype(str),
            frame["soort"].astype(str),
            frame["aantal" + REASON_SUFFIX].astype(str),
            strict=True,
        ):
            reasons[(level, code, periode, soort)] = reason
    keys = zip(cells["_level"], cells["_area"], cells["periode"], cells["soort"], strict=True)
    cells["reason"] = [reasons.get(k, "") for k in keys]
    return cells


# ---------------------------------------------------------------- the tree passes


def _states(protected: pd.DataFrame) -> pd.Series:
    """protect_counts' marks → per row _VIS, _PRIM, _SEC or _UNK (hidden zeros count as primary)."""
    reason = protected["aantal" + REASON_SUFFIX].astype(str)
    state = np.select([reason == PRIMARY, reason == SECONDARY], [_PRIM, _SEC], _VIS)
    state = np.where(protected["_raw"].isna().to_numpy() & (state == _VIS), _UNK, state)
    return pd.Series(state, index=protected.index)


def _forced_frame(index: pd.Index, forced: set[int]) -> pd.DataFrame:
    return pd.DataFrame({"aantal": index.isin(list(forced))}, index=index)


def _tree_passes(
    cells: pd.DataFrame, totals: pd.DataFrame, forced: set[int], zeros: set[int], *, threshold: int
) -> np.ndarray:
    """Primary and tree-secondary suppression of the route cells, down the areas and across routes, to a fixed point.

    ``totals`` holds per (level, area, periode, soort) of b/w/g the caseload count and whether it is published.
    Returns the state per row of ``cells``. ``forced`` (secondary) and ``zeros`` (hidden zeros) carry over.
    """
    forced = set(forced)
    values = cells["aantal"].where(~cells.index.isin(list(zeros)))  # a hidden zero: unknown to the tree rule
    tree_rows = cells["_level"].isin(["buurt", "wijk", "gemeente"]).to_numpy()
    route_rows = (cells["verwijzer"] != ROUTE_TOTAL).to_numpy()
    area_keys = ["_level", "_area", "periode", "soort"]
    small = cells["aantal"].between(1, threshold - 1) | cells.index.isin(list(zeros))
    hidden_total = cells[area_keys].merge(totals[[*area_keys, "hidden"]], on=area_keys, how="left")["hidden"]
    relevant = (
        (small | hidden_total.fillna(False).astype(bool).to_numpy())
        .groupby([cells[k] for k in area_keys])
        .transform("any")
        .to_numpy(dtype=bool)
    )
    while True:
        state = np.full(len(cells), _UNK)
        a = cells[tree_rows].assign(aantal=values[tree_rows], _raw=values[tree_rows])
        if len(a):
            out = protect_counts(
                a,
                count_columns=["aantal"],
                area_column="_area",
                parent_column="_parent",
                group_columns=["periode", "soort", "verwijzer"],
                threshold=threshold,
                forced=_forced_frame(a.index, forced),
            )
            state[tree_rows] = _states(out).to_numpy()
        p = cells[~tree_rows].assign(aantal=values[~tree_rows], _raw=values[~tree_rows])
        if len(p):
            out = protect_counts(
                p,
                count_columns=["aantal"],
                area_column="_area",
                group_columns=["periode", "soort", "verwijzer"],
                threshold=threshold,
                forced=_forced_frame(p.index, forced),
            )
            state[~tree_rows] = _states(out).to_numpy()
        found_a = {int(i) for i in np.flatnonzero(state == _SEC)}
        # Across routes: one tree per area, the caseload count (or the provider's own total) as its parent;
        # only areas with something to protect (a <t route or a hidden count) need one.
        partition = cells.assign(aantal=values, _raw=values, _node=cells["verwijzer"])[relevant]
        partition["_up"] = pd.Series(ROUTE_TOTAL, index=partition.index, dtype=object).where(route_rows[relevant], None)
        partition.loc[~route_rows[relevant], "_node"] = ROUTE_TOTAL
        hidden_totals = totals[totals["hidden"]]
        extra = pd.DataFrame(
            {
                "_level": hidden_totals["_level"].to_numpy(),
                "_area": hidden_totals["_area"].to_numpy(),
                "periode": hidden_totals["periode"].to_numpy(),
                "soort": hidden_totals["soort"].to_numpy(),
                "_node": ROUTE_TOTAL,
                "_up": None,
                "aantal": hidden_totals["aantal"]
                .where(hidden_totals["aantal"] > 0)
                .to_numpy(),  # a hidden 0: unknown here
            },
            index=hidden_totals.index + len(cells) + 1,
        )
        extra["_raw"] = extra["aantal"]
        partition = pd.concat([partition, extra])
        shown = totals[~totals["hidden"]].assign(_up=ROUTE_TOTAL)
        force_b = forced | found_a | {int(i) for i in extra.index[hidden_totals["reason"].to_numpy() == SECONDARY]}
        out = protect_counts(
            partition,
            count_columns=["aantal"],
            area_column="_node",
            parent_column="_up",
            group_columns=["_level", "_area", "periode", "soort"],
            threshold=threshold,
            parent_totals=shown[["_up", "_level", "_area", "periode", "soort", "aantal"]],
            forced=_forced_frame(partition.index, force_b),
        )
        state_b = state.copy()
        state_b[relevant] = _states(out).to_numpy()[: int(relevant.sum())]
        found_b = {int(i) for i in np.flatnonzero(state_b == _SEC)}
        hidden_b = (state_b == _PRIM) & (state == _VIS)  # zeros the partition tree had to hide
        new = found_b - forced - found_a
        forced |= found_a | found_b
        zeros_now = {int(i) for i in np.flatnonzero(hidden_b & (cells["aantal"].to_numpy() == 0))}
        if not new and zeros_now <= zeros:
            state = np.where(state_b == _SEC, _SEC, state)
            state = np.where(hidden_b, _PRIM, state)
            break
        zeros |= zeros_now
        values = cells["aantal"].where(~cells.index.isin(list(zeros)))
    hidden_zero = np.zeros(len(cells), dtype=bool)
    hidden_zero[list(zeros)] = True
    state = np.where(hidden_zero & (state != _SEC), _PRIM, state)
    unknown = cells["aantal"].isna().to_numpy()
    return np.where(unknown, _UNK, state)


# ---------------------------------------------------------------- the exact audit


def _system(cl: pd.DataFrame, cells: pd.DataFrame, state: np.ndarray, members: Mapping[str, str]) -> System:
    """Caseload and route cells with every relation an attacker can use; unknown cells drop out of relations."""
    n_cl = len(cl)
    raw = np.concatenate([cl["aantal"].to_numpy(dtype="float64"), cells["aantal"].to_numpy(dtype="float64")])
    unknown = np.isnan(raw)
    values = np.nan_to_num(raw, nan=0.0)
    cl_status = [PRIMARY_A if r == PRIMARY else SECONDARY_A if r == SECONDARY else VISIBLE_A for r in cl["reason"]]
    route_status = [PRIMARY_A if s == _PRIM else SECONDARY_A if s == _SEC else VISIBLE_A for s in state]
    status = cl_status + route_status
    # '<t' may be 0 in a table (period × care type × route) where some zero is hidden.
    cl_zero = (
        pd.Series((cl["aantal"].to_numpy() == 0) & (cl["reason"].to_numpy() == PRIMARY))
        .groupby([cl["periode"].to_numpy(), cl["soort"].to_numpy()])
        .transform("any")
        .to_numpy(dtype=bool)
    )
    route_zero = (
        pd.Series((cells["aantal"].to_numpy() == 0) & (state == _PRIM))
        .groupby([cells["periode"].to_numpy(), cells["soort"].to_numpy(), cells["verwijzer"].to_numpy()])
        .transform("any")
        .to_numpy(dtype=bool)
    )
    system = System(values=values, status=status, may_be_zero=np.concatenate([cl_zero, route_zero]))

    def add_sum(parent: int, kids: Sequence[int]) -> None:
        if unknown[parent] or any(unknown[k] for k in kids) or not kids:
            return
        system.add_sum(parent, kids)
        rest = values[parent] - values[list(kids)].sum()
        if rest:  # a parent larger than its known parts (e.g. children not placed in a buurt)
            system.relations[-1] = Relation(system.relations[-1].coefs, rest, rest)

    # Caseloads: area sums per period and care type; type ≤ totaal ≤ Σ types per area and period.
    cl_pos = {k: i for i, k in enumerate(zip(cl["_area"], cl["periode"], cl["soort"], strict=True))}
    kids: dict[tuple[str, str, str], list[int]] = {}
    for i, (parent, periode, soort) in enumerate(zip(cl["_parent"], cl["periode"], cl["soort"], strict=True)):
        if isinstance(parent, str):
            kids.setdefault((parent, periode, soort), []).append(i)
    for key, children in kids.items():
        if key in cl_pos:
            add_sum(cl_pos[key], children)
    cl_soort = cl["soort"].to_numpy(dtype=object)
    for rows in cl.groupby(["_area", "periode"], sort=False).indices.values():
        by_type = {cl_soort[i]: int(i) for i in rows}
        if TOTAL not in by_type or unknown[by_type[TOTAL]]:
            continue
        types = [by_type[t] for t in CARE_TYPES if t in by_type and not unknown[by_type[t]]]
        for t in types:
            system.add_leq([t], [by_type[TOTAL]])
        if len(types) == len(CARE_TYPES):
            system.add_leq([by_type[TOTAL]], types)

    # Routes: area sums per route; the routes of an area add up to its caseload count (or provider total).
    pos = {
        k: n_cl + i
        for i, k in enumerate(zip(cells["_area"], cells["periode"], cells["soort"], cells["verwijzer"], strict=True))
    }
    route_kids: dict[tuple[str, str, str, str], list[int]] = {}
    for i, (parent, periode, soort, route) in enumerate(
        zip(cells["_parent"], cells["periode"], cells["soort"], cells["verwijzer"], strict=True)
    ):
        if isinstance(parent, str):
            route_kids.setdefault((parent, periode, soort, route), []).append(n_cl + i)
    for route_key, children in route_kids.items():
        if route_key in pos:
            add_sum(pos[route_key], children)
    route_of = cells["verwijzer"].to_numpy(dtype=object)
    for (level, area, periode, soort), rows in cells.groupby(
        ["_level", "_area", "periode", "soort"], sort=False
    ).indices.items():
        routes = [n_cl + int(i) for i in rows if route_of[int(i)] != ROUTE_TOTAL]
        if level == "provider":
            own = pos.get((area, periode, soort, ROUTE_TOTAL))
            if own is not None:
                add_sum(own, routes)
        elif (area, periode, soort) in cl_pos:
            add_sum(cl_pos[(area, periode, soort)], routes)
    # Providers: the sum of their member areas, per route.
    if members:
        member_kids: dict[tuple[str, str, str, str], list[int]] = {}
        for i, (area, periode, soort, route) in enumerate(
            zip(cells["_area"], cells["periode"], cells["soort"], cells["verwijzer"], strict=True)
        ):
            provider = members.get(area)
            if provider is not None:
                member_kids.setdefault((provider, periode, soort, route), []).append(n_cl + i)
        for member_key, children in member_kids.items():
            if member_key in pos:
                add_sum(pos[member_key], children)
    return system


def _close_lines(system: System, n_cl: int, threshold: int) -> tuple[set[int], set[int]]:
    """Cells to hide so that no sum holds exactly one hidden cell (it would follow from the others).

    The classic necessary condition of cell suppression, checked on every published sum at once (the tree
    rule only sees one tree at a time): a lone hidden cell — a ``<t``, a ``•`` or a hidden caseload count —
    gets a partner, the smallest visible route count ≥ t of that sum, else that sum's zeros. Returns route
    positions (secondary, zeros).
    """
    hidden = np.array([s != VISIBLE_A for s in system.status])
    values = system.values
    hide: set[int] = set()
    zeros: set[int] = set()
    for rel in system.relations:
        if rel.lo != rel.hi:
            continue
        cells = list(rel.coefs)
        if sum(bool(hidden[c]) for c in cells) != 1:
            continue
        routes = [c for c in cells if c >= n_cl and not hidden[c]]
        big = sorted((c for c in routes if values[c] >= threshold), key=lambda c: (values[c], c))
        if big:
            hide.add(big[0] - n_cl)
            hidden[big[0]] = True
            continue
        nought = [c for c in routes if values[c] == 0]
        zeros |= {c - n_cl for c in nought}
        hidden[nought] = True
    return hide, zeros


def _pinned_after(system: System, auditor: Auditor, cell: int, hide: Sequence[int]) -> bool:
    """Whether ``cell`` stays pinned with ``hide`` hidden as well (the system is restored afterwards)."""
    before = [system.status[h] for h in hide]
    for h in hide:
        system.status[h] = SECONDARY_A
    try:
        return auditor.is_exposed(system, cell)
    finally:
        for h, b in zip(hide, before, strict=True):
            system.status[h] = b


def _fixes(
    cl: pd.DataFrame, cells: pd.DataFrame, system: System, exposed: list[int], auditor: Auditor, *, threshold: int
) -> tuple[set[int], set[int]]:
    """Route cells to hide next (secondary, zeros) so that the pinned cells come free; nearest and smallest first."""
    n_cl = len(cl)
    level = np.concatenate([cl["_level"].to_numpy(dtype=object), cells["_level"].to_numpy(dtype=object)])
    area = np.concatenate([cl["_area"].to_numpy(dtype=object), cells["_area"].to_numpy(dtype=object)])
    parent = np.concatenate([cl["_parent"].to_numpy(dtype=object), cells["_parent"].to_numpy(dtype=object)])
    periode = np.concatenate([cl["periode"].to_numpy(dtype=object), cells["periode"].to_numpy(dtype=object)])
    soort = np.concatenate([cl["soort"].to_numpy(dtype=object), cells["soort"].to_numpy(dtype=object)])
    route = np.concatenate([np.full(n_cl, TOTAL, dtype=object), cells["verwijzer"].to_numpy(dtype=object)])
    is_route = np.arange(n_cl + len(cells)) >= n_cl
    visible_big = is_route & (np.array([s == VISIBLE_A for s in system.status])) & (system.values >= threshold)
    hide: set[int] = set()
    zeros: set[int] = set()
    for cell in exposed:
        if hide and not _pinned_after(system, auditor, cell, sorted(hide)):
            continue
        same = (periode == periode[cell]) & (soort == soort[cell]) & is_route
        own_area = same & (area == area[cell]) & (level == level[cell])
        related = (parent == parent[cell]) | (area == parent[cell]) | (parent == area[cell]) | (level == "provider")
        # First the area's other routes and the same route one step up, down or aside (providers included);
        # then any route of those areas; then anything of this period and care type.
        kin = same & ((route == route[cell]) | (route[cell] == TOTAL)) & related
        near = own_area | (same & related)
        rings = (own_area | kin, near & ~(own_area | kin), same & ~near)
        tiers = [[int(i) for i in np.flatnonzero(ring & visible_big)] for ring in rings]
        for tier in tiers:
            tier.sort(key=lambda i: (system.values[i], str(area[i]), str(route[i])))
        chosen = next(
            (o for tier in tiers for o in tier[:MAX_TRIES] if not _pinned_after(system, auditor, cell, [o])), None
        )
        if chosen is not None:
            hide.add(chosen)
            continue
        # No single count frees it (a cycle of hidden cells is needed): add the nearest, smallest ones in turn.
        ordered = [o for tier in tiers for o in tier]
        picked: list[int] = []
        for o in ordered[: MAX_TRIES * 3]:
            picked.append(o)
            if not _pinned_after(system, auditor, cell, picked):
                break
        if picked:
            hide |= set(picked)
            continue
        ring_zeros = {
            int(i) - n_cl for i in np.flatnonzero(near & (system.values == 0)) if system.status[int(i)] == VISIBLE_A
        }
        if not ring_zeros:
            raise ProtectionError(
                f"cannot protect the referral routes of {area[cell]} ({soort[cell]}, {periode[cell]}): "
                "no count near it can be hidden"
            )
        zeros |= ring_zeros
    return {h - n_cl for h in hide}, zeros


# ---------------------------------------------------------------- the published tables


def _published(
    table: pd.DataFrame,
    key: str,
    level: str,
    cells: pd.DataFrame,
    state: np.ndarray,
    totals: Mapping[tuple[str, str, str, str], tuple[float, bool, str]],
) -> pd.DataFrame:
    lookup = {
        k: i
        for i, k in enumerate(
            zip(cells["_level"], cells["_area"], cells["periode"], cells["soort"], cells["verwijzer"], strict=True)
        )
    }
    out = table.reset_index(drop=True).copy()
    rows = [
        lookup[(level, str(a), str(p), str(s), str(r))]
        for a, p, s, r in zip(out[key], out["periode"], out["soort"], out["verwijzer"], strict=True)
    ]
    st = state[rows]
    hidden = (st == _PRIM) | (st == _SEC)
    reason = np.select([st == _PRIM, st == _SEC], [PRIMARY, SECONDARY], "")
    raw_count = pd.to_numeric(out["aantal"], errors="coerce").astype("float64")
    out["aantal"] = raw_count.mask(hidden)
    out["aantal" + SUPPRESSED_SUFFIX] = hidden
    out["aantal" + REASON_SUFFIX] = reason
    tot = [
        totals.get((level, str(a), str(p), str(s)), (np.nan, False, ""))
        for a, p, s in zip(out[key], out["periode"], out["soort"], strict=True)
    ]
    t_value = np.array([t[0] for t in tot], dtype="float64")
    t_hidden = np.array([t[1] for t in tot], dtype=bool)
    t_reason = np.array([t[2] for t in tot], dtype=object)
    out["totaal"] = pd.Series(t_value).mask(t_hidden).to_numpy()
    out["totaal" + SUPPRESSED_SUFFIX] = t_hidden
    out["totaal" + REASON_SUFFIX] = np.where(t_hidden, t_reason, "")
    s_hidden = hidden | t_hidden
    raw_share = (raw_count / pd.Series(t_value).where(pd.Series(t_value) > 0)).astype("float64")
    out["aandeel"] = raw_share.mask(s_hidden).to_numpy()
    out["aandeel" + SUPPRESSED_SUFFIX] = s_hidden
    out["aandeel" + REASON_SUFFIX] = np.where(hidden, reason, np.where(t_hidden, t_reason, ""))
    return out[[key, "periode", "soort", "verwijzer", *PUBLISHED_COLUMNS]]


def protect_referrals(
    df_buurt: pd.DataFrame,
    df_wijk: pd.DataFrame,
    df_provider: pd.DataFrame | None = None,
    *,
    caseloads_buurt: pd.DataFrame,
    caseloads_wijk: pd.DataFrame | None = None,
    published_caseloads: ProtectedCaseloads | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> ProtectedReferrals:
    """Protect ``referrals_buurt/wijk/provider`` together with the caseload tables whose counts they break down.

    The caseload publication (``published_caseloads``, else ``protect_caseloads`` of the raw tables) is kept as
    it is; route counts are hidden around it so that no ``<5`` of either table can be recovered, and shares
    (``aandeel``) are hidden wherever the route count or the area's count is. Returns ``.buurt``, ``.wijk``,
    ``.gemeente``, ``.provider``. The method: this module.
    """
    if published_caseloads is None:
        published_caseloads = protect_caseloads(caseloads_buurt, caseloads_wijk, threshold=threshold)
    cells = _route_cells(df_buurt, df_wijk, df_provider)
    cl = _caseload_cells(caseloads_buurt, caseloads_wijk, published_caseloads)
    base = df_buurt if len(df_buurt) else df_wijk
    base_key = "buurtcode" if len(df_buurt) else "wijkcode"
    if df_provider is not None and len(df_provider) and "provider" not in base.columns:
        raise ValueError(f"the {base_key} route table needs a 'provider' column to protect the provider table with it")
    members = (
        {str(a): str(p) for a, p in zip(base[base_key], base["provider"], strict=True) if pd.notna(p)}
        if df_provider is not None and len(df_provider)
        else {}
    )

    cl_index = {k: i for i, k in enumerate(zip(cl["_level"], cl["_area"], cl["periode"], cl["soort"], strict=True))}
    groups = cells[cells["_level"] != "provider"][["_level", "_area", "periode", "soort"]].drop_duplicates()
    t_rows = []
    for key in zip(groups["_level"], groups["_area"], groups["periode"], groups["soort"], strict=True):
        i = cl_index.get(key)
        if i is None:
            continue
        reason = str(cl["reason"].iat[i])
        t_rows.append(
            {
                "_level": key[0],
                "_area": key[1],
                "periode": key[2],
                "soort": key[3],
                "aantal": cl["aantal"].iat[i],
                "hidden": reason in (PRIMARY, SECONDARY),
                "reason": reason,
            }
        )
    totals = pd.DataFrame(t_rows, columns=["_level", "_area", "periode", "soort", "aantal", "hidden", "reason"])
    totals["hidden"] = totals["hidden"].astype(bool)
    totals["aantal"] = pd.to_numeric(totals["aantal"], errors="coerce").astype("float64")

    forced: set[int] = set()
    zeros: set[int] = set()
    auditor = Auditor(threshold)
    while True:  # each round hides at least one more cell, so this ends
        state = _tree_passes(cells, totals, forced, zeros, threshold=threshold)
        while True:
            system = _system(cl, cells, state, members)
            lone, lone_zeros = _close_lines(system, len(cl), threshold)
            if not lone and not lone_zeros:
                break
            forced |= lone
            zeros |= lone_zeros
            state[list(lone)] = _SEC
            state[list(lone_zeros)] = _PRIM
        exposed = auditor.exposed(system)
        if not exposed:
            break
        more, more_zeros = _fixes(cl, cells, system, exposed, auditor, threshold=threshold)
        if not (more - forced) and not (more_zeros - zeros):
            raise ProtectionError("the referral tables cannot be protected: no further cell helps")
        forced |= more
        zeros |= more_zeros

    # Totals of each route row: the caseload count as published; a provider's own total as protected here.
    published_totals: dict[tuple[str, str, str, str], tuple[float, bool, str]] = {}
    for level, area, periode, soort, value, is_hidden, reason in totals.itertuples(index=False, name=None):
        published_totals[(level, area, periode, soort)] = (float(value), bool(is_hidden), str(reason))
    for j in np.flatnonzero((cells["verwijzer"] == ROUTE_TOTAL).to_numpy()):
        s = state[j]
        published_totals[("provider", cells["_area"].iat[j], cells["periode"].iat[j], cells["soort"].iat[j])] = (
            float(cells["aantal"].iat[j]),
            bool(s in (_PRIM, _SEC)),
            PRIMARY if s == _PRIM else SECONDARY if s == _SEC else "",
        )

    def level_table(level: str, table: pd.DataFrame | None) -> pd.DataFrame:
        key = LEVEL_KEYS[level]
        if table is None or table.empty:
            return pd.DataFrame(columns=[key, "periode", "soort", "verwijzer", *PUBLISHED_COLUMNS])
        return _published(table, key, level, cells, state, published_totals)

    g_rows = cells[(cells["_level"] == "gemeente")].rename(columns={"_area": "gemeentecode"})
    order = {r: i for i, r in enumerate(REFERRALS)}
    g_rows = g_rows.assign(_o=g_rows["verwijzer"].map(order)).sort_values(
        ["gemeentecode", "periode", "soort", "_o"], kind="stable"
    )
    return ProtectedReferrals(
        buurt=level_table("buurt", df_buurt),
        wijk=level_table("wijk", df_wijk),
        gemeente=level_table("gemeente", g_rows[["gemeentecode", "periode", "soort", "verwijzer", "aantal"]]),
        provider=level_table("provider", df_provider),
    )
