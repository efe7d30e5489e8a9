"""How sure each travel figure is: a quality per origin, buurt and wijk, snap statistics and far-snap notes.

Per mode and target (nearest buurtteam, contracted specialist team, any specialist team) every origin's
figure is one of, from worst to best:

* ``unreachable`` — on the network, no team of the set can be reached from the origin (the set exists);
* ``network, far snap`` — on the network, but the origin or the team nearest to it lies more than
  ``FAR_SNAP_M`` (500 m) from the street it was snapped to: that straight leg is a guess;
* ``network`` — on the network, both legs within 500 m;
* ``estimate (straight line × detour)`` — the mode is computed by the straight-line method (no network, or
  the network left this mode without usable streets).

A buurt takes the worst quality of its origins that carry youth (all of them if none does), i.e. of the
origins its youth-weighted figure is made of; a wijk the worst of its buurten' origins in the same way.
``travel_quality_{mode}`` is the worst over the three targets. Where a target has no team for an area at
all (no contracted provider), its quality is empty, like the figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from etl import atlas_schema
from etl.travel import FAR_SNAP_M, METHOD_NETWORK, Nearest, TravelCosts
from geodata.network import MODE_NL

QUALITY_NETWORK = "network"
QUALITY_FAR_SNAP = "network, far snap"
QUALITY_ESTIMATE = "estimate (straight line × detour)"
QUALITY_UNREACHABLE = "unreachable"
QUALITY_VALUES = (QUALITY_NETWORK, QUALITY_FAR_SNAP, QUALITY_ESTIMATE, QUALITY_UNREACHABLE)
# rank 0 = no figure; higher = less sure (an estimate mode has only ranks 0 and 1)
_NETWORK_LABELS = (None, QUALITY_NETWORK, QUALITY_FAR_SNAP, QUALITY_UNREACHABLE)
_ESTIMATE_LABELS = (None, QUALITY_ESTIMATE, QUALITY_ESTIMATE, QUALITY_ESTIMATE)


def quality_column(mode: str, target: str | None = None) -> str:
    """``travel_quality_{mode}`` (worst over targets) or ``travel_quality_{target}_{mode}``."""
    return atlas_schema.travel_quality(mode, target)


def origin_ranks(costs: TravelCosts, *, mode: str, near: Nearest, has_set: np.ndarray) -> np.ndarray:
    """Per origin 0 (no team of the set), 1 (network or estimate), 2 (far snap) or 3 (unreachable)."""
    has = np.asarray(has_set, dtype=bool)
    rank = np.where(has, 1, 0).astype(np.int8)
    if costs.method_of(mode) != METHOD_NETWORK or costs.origin_snap is None or costs.team_snap is None:
        return rank
    o_leg = costs.origin_snap[mode].leg_m
    t_leg = costs.team_snap[mode].leg_m
    team = near.team
    reached = has & (team >= 0) & np.isfinite(near.time_min)
    team_far = t_leg[np.maximum(team, 0)] > FAR_SNAP_M if len(t_leg) else np.zeros(len(team), dtype=bool)
    far = reached & ((o_leg > FAR_SNAP_M) | team_far)
    rank[far] = 2
    rank[has & ~reached] = 3
    return rank


def worst_per_group(rank: np.ndarray, group: np.ndarray, weight: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group the highest rank among its origins with weight > 0 (all its origins when none has weight)."""
    ok = group >= 0
    g, r, w = group[ok], rank[ok].astype(np.int64), np.nan_to_num(weight[ok]) > 0
    weighted = np.zeros(n_groups, dtype=np.int64)
    every = np.zeros(n_groups, dtype=np.int64)
    np.maximum.at(weighted, g[w], r[w])
    np.maximum.at(every, g, r)
    has_weight = np.bincount(g[w], minlength=n_groups) > 0
    return np.where(has_weight, weighted, every)


_LABEL_ARRAYS = {
    METHOD_NETWORK: np.array(_NETWORK_LABELS, dtype=object),
    "other": np.array(_ESTIMATE_LABELS, dtype=object),
}


def labels(rank: np.ndarray, *, method: str) -> np.ndarray:
    """Quality text per rank for a mode computed by ``method`` (object array; rank 0 stays None).

    Plain objects rather than a pandas string array: a what-if builds two dozen of these per scenario,
    and the string array's construction alone cost it ~10 % (measured, bench/travel.py)."""
    names = _LABEL_ARRAYS[METHOD_NETWORK if method == METHOD_NETWORK else "other"]
    return np.asarray(names[np.asarray(rank, dtype=np.int64)], dtype=object)


# ---------------------------------------------------------------- for the manifest


def _leg_stats(leg: np.ndarray) -> dict[str, Any]:
    if len(leg) == 0:
        return {"n": 0, "leg_m_median": None, "leg_m_p95": None, "leg_m_max": None, "far_n": 0}
    return {
        "n": len(leg),
        "leg_m_median": round(float(np.median(leg)), 1),
        "leg_m_p95": round(float(np.percentile(leg, 95)), 1),
        "leg_m_max": round(float(np.max(leg)), 1),
        "far_n": int((leg > FAR_SNAP_M).sum()),
    }


def snap_summary(costs: TravelCosts) -> dict[str, Any]:
    """Per mode: how origins and teams were snapped (count, median, p95, max leg in m; how many farther than
    ``FAR_SNAP_M``), and how many origins reach no team and teams are reached by no origin within the
    matrix limit (``limit_min``; without one, on the whole network). Straight-line modes: their method only."""
    out: dict[str, Any] = {}
    for mode in costs.modes:
        if not costs.routed(mode) or costs.origin_snap is None or costs.team_snap is None:
            out[mode] = {"method": costs.method_of(mode)}
            continue
        t = costs.time_min[mode]
        finite = np.isfinite(t)
        out[mode] = {
            "method": METHOD_NETWORK,
            "far_snap_m": FAR_SNAP_M,
            "origins": _leg_stats(costs.origin_snap[mode].leg_m),
            "teams": _leg_stats(costs.team_snap[mode].leg_m),
            "limit_min": costs.limit_min,
            "origins_reaching_no_team": int((~finite.any(axis=1)).sum()) if t.shape[1] else int(t.shape[0]),
            "teams_reached_by_no_origin": int((~finite.any(axis=0)).sum()) if t.shape[0] else int(t.shape[1]),
        }
    return out


def far_snaps(
    costs: TravelCosts,
    *,
    origins: pd.DataFrame,
    buurt_names: Mapping[str, str],
    team_ids: Sequence[str],
    team_names: Mapping[str, str],
) -> dict[str, Any]:
    """Per network mode the buurten with an origin and the teams snapped farther than ``FAR_SNAP_M``, longest first."""
    out: dict[str, Any] = {}
    codes = origins["buurtcode"].astype(str).to_numpy()
    for mode in costs.modes:
        if not costs.routed(mode) or costs.origin_snap is None or costs.team_snap is None:
            continue
        o_leg = costs.origin_snap[mode].leg_m
        far_buurten = (
            pd.DataFrame({"buurtcode": codes, "leg_m": o_leg})[o_leg > FAR_SNAP_M]
            .groupby("buurtcode", sort=False)["leg_m"]
            .max()
            .sort_values(ascending=False)
        )
        t_leg = costs.team_snap[mode].leg_m
        far_teams = [
            (str(team_ids[j]), float(t_leg[j])) for j in np.argsort(-t_leg, kind="stable") if t_leg[j] > FAR_SNAP_M
        ]
        if len(far_buurten) or far_teams:
            out[mode] = {
                "buurten": [
                    {"buurtcode": c, "buurtnaam": buurt_names.get(c, ""), "leg_m": round(float(v), 1)}
                    for c, v in far_buurten.items()
                ],
                "teams": [
                    {"team_id": tid, "naam": team_names.get(tid, ""), "leg_m": round(v, 1)} for tid, v in far_teams
                ],
            }
    return out


def _listed(items: list[str], limit: int = 12) -> str:
    return ", ".join(items[:limit]) + (f" … (+{len(items) - limit})" if len(items) > limit else "")


def far_snap_notes(far: Mapping[str, Any]) -> list[str]:
    """One note per mode naming the buurten (code and name) and teams (id and name) snapped farther than 500 m."""
    notes = []
    for mode, found in far.items():
        buurten = [
            f"{b['buurtcode']} {b['buurtnaam']} ({b['leg_m']:.0f} m)".replace("  ", " ") for b in found["buurten"]
        ]
        teams = [f"{t['team_id']} {t['naam']} ({t['leg_m']:.0f} m)".replace("  ", " ") for t in found["teams"]]
        parts_nl, parts_en = [], []
        if buurten:
            parts_nl.append(f"{len(buurten)} buurt(en): {_listed(buurten)}")
            parts_en.append(f"{len(buurten)} buurt(en): {_listed(buurten)}")
        if teams:
            parts_nl.append(f"{len(teams)} team(s): {_listed(teams)}")
            parts_en.append(f"{len(teams)} team(s): {_listed(teams)}")
        notes.append(
            f"{MODE_NL.get(mode, mode)}: verder dan {FAR_SNAP_M:g} m van het netwerk aangesloten — {'; '.join(parts_nl)}; "
            f"hun reistijden heten 'network, far snap' / "
            f"{mode}: snapped farther than {FAR_SNAP_M:g} m from the network — {'; '.join(parts_en)}; their travel figures are marked 'network, far snap'"
        )
    return notes


FALLBACK_REASONS = {
    "no_edges": (
        "het netwerk heeft geen straat die deze vervoerswijze mag gebruiken",
        "the network has no street this mode may use",
    ),
    "far_from_origins": (
        f"het bruikbare netwerk ligt verder dan {FAR_SNAP_M:g} m van elke herkomst",
        f"the usable network lies farther than {FAR_SNAP_M:g} m from every origin",
    ),
    "far_from_teams": (
        f"het bruikbare netwerk ligt verder dan {FAR_SNAP_M:g} m van elk team",
        f"the usable network lies farther than {FAR_SNAP_M:g} m from every team",
    ),
}


def fallback_notes(reasons: Mapping[str, str], *, source: str) -> list[str]:
    """One note per mode that falls back from the network to the straight-line estimate, with the reason."""
    notes = []
    for mode, code in reasons.items():
        nl, en = FALLBACK_REASONS[code]
        nl_mode = MODE_NL.get(mode, mode)
        notes.append(
            f"{nl_mode}: {source}: {nl}; {nl_mode} is geschat (hemelsbreed × omwegfactor) / "
            f"{mode}: {source}: {en}; {mode} is estimated (straight line × detour factor)"
        )
    return notes


def quality_counts(frame: pd.DataFrame, modes: Sequence[str]) -> dict[str, dict[str, int]]:
    """Per mode how many buurten have each quality (``travel_quality_{mode}``)."""
    out: dict[str, dict[str, int]] = {}
    for mode in modes:
        values = frame[quality_column(mode)].astype("string").fillna("")
        out[mode] = {str(k): int(v) for k, v in values.value_counts().items() if k}
    return out
