"""Referral routes: per buurt, wijk and provider, how many children entered specialist care by which route.

Utrecht's model says specialist youth care is brought in by the buurtteam, the huisarts or jeugdarts, or SAVE.
:func:`referral_tables` turns the route rows of a validated caseload file (``verwijzer`` filled) into the raw
atlas tables ``referrals_buurt``, ``referrals_wijk`` and ``referrals_provider``: per area, period, care type
and route the count, the area's count of that care type (``totaal``) and the route's share of it
(``aandeel``). Raw counts stay on the server; :func:`etl.protect_referrals.protect_referrals` makes the published form,
and :func:`referral_views` derives the dashboard's summary (share via buurtteam, dominant route) and change
tables from that published form only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from etl.rules.columns import REFERRAL_TYPES, REFERRALS
from etl.rules.reference import CareReference
from etl.sensitive import PRIMARY, REASON_SUFFIX, SECONDARY
from etl.sensitive import SUPPRESSED_SUFFIX as MARK_SUFFIX

KEYS = {"buurt": "buurtcode", "wijk": "wijkcode", "gemeente": "gemeentecode", "provider": "provider"}
COLUMNS = ("periode", "soort", "verwijzer", "aantal", "totaal", "aandeel")
VIA_BUURTTEAM = "buurtteam"
TIE = "gelijk"  # the dominant route when two or more routes share the largest count


class ReferralTables(NamedTuple):
    """The raw route tables of one build (server only)."""

    buurt: pd.DataFrame
    wijk: pd.DataFrame
    provider: pd.DataFrame


def has_routes(df_caseloads: pd.DataFrame) -> bool:
    """Whether a validated caseload frame holds any referral route rows."""
    return "verwijzer" in df_caseloads.columns and bool(df_caseloads["verwijzer"].notna().any())


def share(aantal: pd.Series, totaal: pd.Series) -> pd.Series:
    """aantal / totaal as a float in 0–1; NaN where either is unknown or the total is 0."""
    a = pd.to_numeric(aantal, errors="coerce").astype("float64")
    t = pd.to_numeric(totaal, errors="coerce").astype("float64")
    return (a / t.where(t > 0)).astype("float64")


def _empty(key: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            key: pd.Series(dtype="string"),
            "periode": pd.Series(dtype="string"),
            "soort": pd.Series(dtype="string"),
            "verwijzer": pd.Series(dtype="string"),
            "aantal": pd.Series(dtype="Int64"),
            "totaal": pd.Series(dtype="Int64"),
            "aandeel": pd.Series(dtype="float64"),
        }
    )


def _grid(
    routes: pd.DataFrame,
    totals: pd.DataFrame,
    codes: Sequence[str],
    periods: Sequence[str],
    soorten: Sequence[str],
    *,
    key: str,
    zero: set[str],
) -> pd.DataFrame:
    """Every area × period × care type × route of one level: counts as given, 0 for a route not named where others
    are, all 0 where the care type's count is 0 or nobody lives (``zero``), else unknown."""
    given = routes.groupby(["code", "periode", "soort", "verwijzer"])["aantal"].sum(min_count=1)
    named = set(zip(routes["code"], routes["periode"], routes["soort"], strict=True))
    total = totals.set_index(["code", "periode", "soort"])["aantal"]
    total = total[~total.index.duplicated()]
    index = pd.MultiIndex.from_product(
        [list(codes), list(periods), list(soorten), list(REFERRALS)], names=[key, "periode", "soort", "verwijzer"]
    )
    aantal = given.reindex(index).astype("Float64")
    cell = pd.Series([(c, p, s) for c, p, s, _ in index], index=index)
    known_total = pd.Series(total.reindex(pd.MultiIndex.from_tuples(cell.tolist())).to_numpy(), index=index)
    has_route = cell.isin(named)
    nobody = index.get_level_values(0).isin(list(zero))
    fill_zero = aantal.isna() & (has_route | (known_total == 0).fillna(False).astype(bool) | nobody)
    # An unknown route (CBS '.') keeps the whole breakdown honest: it stays unknown.
    aantal = aantal.mask(fill_zero, 0)
    out = aantal.rename("aantal").reset_index()
    tot = known_total.where(known_total.notna(), np.where(nobody, 0, np.nan)).astype("Float64")
    out["totaal"] = tot.to_numpy()
    return out


def _sum_up(df: pd.DataFrame, parent_of: Mapping[str, str], *, key: str, parent_key: str) -> pd.DataFrame:
    """Route counts of a coarser level: the sum of its areas (unknown when any is)."""
    frame = df.assign(**{parent_key: df[key].map(parent_of)}).dropna(subset=[parent_key])
    keys = [parent_key, "periode", "soort", "verwijzer"]
    grouped = frame.groupby(keys, sort=True)
    return grouped[["aantal", "totaal"]].agg(lambda s: pd.NA if s.isna().any() else s.sum()).reset_index()


def _finish(df: pd.DataFrame, key: str, providers: Mapping[str, str] | None = None) -> pd.DataFrame:
    out = df.copy()
    for col in ("aantal", "totaal"):
        out[col] = pd.array([pd.NA if pd.isna(v) else int(v) for v in out[col]], dtype="Int64")
    out["aandeel"] = share(out["aantal"], out["totaal"])
    for col in (key, "periode", "soort", "verwijzer"):
        out[col] = out[col].astype("string")
    order = out["verwijzer"].map({r: i for i, r in enumerate(REFERRALS)})
    out = out.assign(_o=order).sort_values([key, "periode", "soort", "_o"], kind="stable").drop(columns="_o")
    if providers is None:
        return out[[key, *COLUMNS]].reset_index(drop=True)
    # Which provider each area belongs to: the protection needs it (provider rows are sums of these areas).
    out["provider"] = out[key].map(providers).astype("string")
    return out[[key, "provider", *COLUMNS]].reset_index(drop=True)


def referral_tables(df_caseloads: pd.DataFrame, gdf_buurten: pd.DataFrame, gdf_wijken: pd.DataFrame) -> ReferralTables:
    """Raw route tables from a validated caseload frame (``etl.rules`` long form with ``verwijzer``).

    Per area × period × care type with routes (``REFERRAL_TYPES``) × route (``REFERRALS``): ``aantal``, the
    area's count of the care type ``totaal`` (the sum of its routes) and ``aandeel`` = aantal / totaal. Where
    an area has route rows, a route it does not name is 0; where it has none, its routes are unknown (NA) —
    except where the care type's count is 0 or nobody lives (0). Wijken and providers (``provider`` of the
    buurten, or of the wijken for wijk-level input) are the sums of their areas, unknown when any part is.
    Periods and care types are those with at least one route row.
    """
    if not has_routes(df_caseloads):
        return ReferralTables(_empty("buurtcode"), _empty("wijkcode"), _empty("provider"))
    rows = df_caseloads[df_caseloads["soort"].isin(REFERRAL_TYPES)]
    routes = rows[rows["verwijzer"].notna()]
    totals = rows[rows["verwijzer"].isna()]
    periods = sorted(routes["periode"].astype(str).unique())
    soorten = [s for s in REFERRAL_TYPES if s in set(routes["soort"].astype(str))]
    level = "buurt" if (routes["niveau"] == "buurt").any() else "wijk"
    reference = CareReference.from_frames(gdf_buurten, gdf_wijken)
    if level == "buurt":
        uninhabited = {c for c, living in reference.inhabited.items() if not living}
        codes = gdf_buurten["buurtcode"].astype(str).tolist()
        df_b = _grid(routes, totals, codes, periods, soorten, key="buurtcode", zero=uninhabited)
        df_w = _sum_up(df_b, reference.wijk_of, key="buurtcode", parent_key="wijkcode")
        base, base_key = df_b, "buurtcode"
        providers = gdf_buurten.set_index("buurtcode")["provider"] if "provider" in gdf_buurten else None
    else:
        codes = gdf_wijken["wijkcode"].astype(str).tolist()
        df_b = _empty("buurtcode")
        df_w = _grid(routes, totals, codes, periods, soorten, key="wijkcode", zero=set())
        base, base_key = df_w, "wijkcode"
        providers = gdf_wijken.set_index("wijkcode")["provider"] if "provider" in gdf_wijken else None
    mapping = {str(k): str(v) for k, v in providers.dropna().items()} if providers is not None else {}
    df_p = (
        _finish(_sum_up(base, mapping, key=base_key, parent_key="provider"), "provider")
        if mapping
        else _empty("provider")
    )
    wijk_providers = (
        gdf_wijken.set_index("wijkcode")["provider"].dropna() if "provider" in gdf_wijken else pd.Series(dtype=str)
    )
    out_b = _finish(df_b, "buurtcode", mapping) if level == "buurt" else df_b.assign(provider=pd.Series(dtype="string"))
    out_w = _finish(df_w, "wijkcode", {str(k): str(v) for k, v in wijk_providers.items()})
    return ReferralTables(out_b, out_w, df_p)


def referral_summary(tables: ReferralTables) -> dict[str, Any]:
    """What the manifest says about the route tables: periods, care types, the city's mix per period."""
    base = tables.wijk
    if base.empty:
        return {}
    out: dict[str, Any] = {
        "periods": sorted(base["periode"].astype(str).unique()),
        "soorten": [s for s in REFERRAL_TYPES if s in set(base["soort"].astype(str))],
        "routes": list(REFERRALS),
        "rows": {
            "referrals_buurt": len(tables.buurt),
            "referrals_wijk": len(tables.wijk),
            "referrals_provider": len(tables.provider),
        },
        "unknown_cells": int(tables.buurt["aantal"].isna().sum() if len(tables.buurt) else base["aantal"].isna().sum()),
    }
    city: dict[str, dict[str, dict[str, int | None]]] = {}
    for (periode, soort), part in base.groupby(["periode", "soort"], sort=True):
        counts = part.groupby("verwijzer")["aantal"].agg(lambda s: None if s.isna().any() else int(s.sum()))
        city.setdefault(str(periode), {})[str(soort)] = {
            r: None if counts.get(r) is None else int(counts[r]) for r in REFERRALS
        }
    out["counts_per_period"] = city
    out["share"] = "aandeel = aantal / totaal (the area's count of the care type, = the sum of its routes)"
    out["protection"] = (
        "raw counts; published through etl.protect_referrals.protect_referrals together with the caseloads"
    )
    return out


# ---------------------------------------------------------------- views of the published tables


def _marks(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    hidden = (
        frame[column + MARK_SUFFIX].fillna(False).to_numpy(dtype=bool)
        if column + MARK_SUFFIX in frame
        else (frame[column].isna().to_numpy())
    )
    reason = (
        frame[column + REASON_SUFFIX].fillna("").astype(str).to_numpy()
        if column + REASON_SUFFIX in frame
        else (np.where(hidden, PRIMARY, ""))
    )
    return hidden, reason


def dominant_route(
    counts: Mapping[str, float], hidden: Mapping[str, str], *, threshold: int, total: float = np.nan
) -> tuple[str | None, str]:
    """The route with the most children, if the published numbers decide it: (route, '') or (None, reason).

    Published counts are 0 or ≥ threshold; a ``<t`` route holds 1…t-1 and a ``•`` route any count ≥ t, and
    with the area's ``total`` published no hidden route can hold more than what the visible ones leave. The
    largest visible count wins when no hidden route can reach it; equal largest counts give ``gelijk``.
    Otherwise the answer would say something about hidden counts, so it is withheld: reason ``primair``
    (only ``<t`` cells stand in the way) or ``secundair``.
    """
    visible = {k: v for k, v in counts.items() if k not in hidden and not np.isnan(v)}
    if len(visible) + len(hidden) < len(counts):
        return None, ""  # an unknown route: no answer, and nothing hidden
    left = total - sum(visible.values()) if not np.isnan(total) else np.inf
    top = max(visible.values(), default=0.0)
    rivals = {k: min(left, threshold - 1.0 if why == PRIMARY else np.inf) for k, why in hidden.items()}
    blocking = {k: cap for k, cap in rivals.items() if cap >= top}
    if blocking:
        return None, SECONDARY if any(hidden[k] == SECONDARY for k in blocking) else PRIMARY
    if top <= 0:
        return None, ""  # no children in this care type
    best = [k for k, v in visible.items() if v == top]
    return (best[0] if len(best) == 1 else TIE), ""


def summary_table(published: pd.DataFrame, *, key: str, threshold: int) -> pd.DataFrame:
    """Per area × period × care type: totaal, the share via buurtteam and the dominant route, with their marks.

    Reads only the published (protected) route table, so it can only repeat or combine what is published.
    """
    rows = []
    hidden_a, reason_a = _marks(published, "aantal")
    hidden_t, reason_t = _marks(published, "totaal")
    hidden_s, reason_s = _marks(published, "aandeel")
    frame = published.assign(_ha=hidden_a, _ra=reason_a, _ht=hidden_t, _rt=reason_t, _hs=hidden_s, _rs=reason_s)
    for (code, periode, soort), part in frame.groupby([key, "periode", "soort"], sort=True):
        by = part.set_index("verwijzer")
        counts = {
            r: float(by.at[r, "aantal"]) if r in by.index and pd.notna(by.at[r, "aantal"]) else np.nan
            for r in REFERRALS
        }
        hidden = {r: str(by.at[r, "_ra"]) or PRIMARY for r in REFERRALS if r in by.index and bool(by.at[r, "_ha"])}
        first = part.iloc[0]
        total = np.nan if bool(first["_ht"]) or pd.isna(first["totaal"]) else float(first["totaal"])
        route, why = dominant_route(counts, hidden, threshold=threshold, total=total)
        bt = by.loc[VIA_BUURTTEAM] if VIA_BUURTTEAM in by.index else None
        rows.append(
            {
                key: code,
                "periode": periode,
                "soort": soort,
                "totaal": first["totaal"],
                "totaal" + MARK_SUFFIX: bool(first["_ht"]),
                "totaal" + REASON_SUFFIX: first["_rt"],
                "share_buurtteam": np.nan if bt is None else bt["aandeel"],
                "share_buurtteam" + MARK_SUFFIX: False if bt is None else bool(bt["_hs"]),
                "share_buurtteam" + REASON_SUFFIX: "" if bt is None else str(bt["_rs"]),
                "dominant": route,
                "dominant" + MARK_SUFFIX: bool(why),
                "dominant" + REASON_SUFFIX: why,
            }
        )
    columns = [
        key,
        "periode",
        "soort",
        "totaal",
        "totaal" + MARK_SUFFIX,
        "totaal" + REASON_SUFFIX,
        "share_buurtteam",
        "share_buurtteam" + MARK_SUFFIX,
        "share_buurtteam" + REASON_SUFFIX,
        "dominant",
        "dominant" + MARK_SUFFIX,
        "dominant" + REASON_SUFFIX,
    ]
    out = pd.DataFrame(rows, columns=columns)
    out[key] = out[key].astype("string")
    out["totaal"] = pd.to_numeric(out["totaal"], errors="coerce").astype("float64")
    out["share_buurtteam"] = pd.to_numeric(out["share_buurtteam"], errors="coerce").astype("float64")
    out["dominant"] = out["dominant"].astype("object")
    return out


def change_table(summary: pd.DataFrame, *, key: str, periods: tuple[str, str] | None = None) -> pd.DataFrame:
    """The change of the share via buurtteam between two periods (default the last two), in share points (0–1).

    Hidden where either share is; the reason is the stronger of the two (``primair`` before ``secundair``).
    """
    available = sorted(summary["periode"].astype(str).unique())
    if periods is None:
        if len(available) < 2:
            return pd.DataFrame(
                columns=[
                    key,
                    "soort",
                    "periode_van",
                    "periode_tot",
                    "share_van",
                    "share_tot",
                    "change",
                    "change" + MARK_SUFFIX,
                    "change" + REASON_SUFFIX,
                ]
            )
        periods = (available[-2], available[-1])
    van, tot = periods
    cols = [key, "soort", "share_buurtteam", "share_buurtteam" + MARK_SUFFIX, "share_buurtteam" + REASON_SUFFIX]
    a = summary[summary["periode"].astype(str) == van][cols]
    b = summary[summary["periode"].astype(str) == tot][cols]
    merged = a.merge(b, on=[key, "soort"], suffixes=("_van", "_tot"), how="outer")
    hidden = merged["share_buurtteam" + MARK_SUFFIX + "_van"].fillna(False).astype(bool) | merged[
        "share_buurtteam" + MARK_SUFFIX + "_tot"
    ].fillna(False).astype(bool)
    reasons = np.where(
        (merged["share_buurtteam" + REASON_SUFFIX + "_van"] == PRIMARY)
        | (merged["share_buurtteam" + REASON_SUFFIX + "_tot"] == PRIMARY),
        PRIMARY,
        SECONDARY,
    )
    change = (merged["share_buurtteam_tot"] - merged["share_buurtteam_van"]).astype("float64")
    return pd.DataFrame(
        {
            key: merged[key].astype("string"),
            "soort": merged["soort"].astype("string"),
            "periode_van": van,
            "periode_tot": tot,
            "share_van": merged["share_buurtteam_van"].where(~hidden).astype("float64"),
            "share_tot": merged["share_buurtteam_tot"].where(~hidden).astype("float64"),
            "change": change.where(~hidden),
            "change" + MARK_SUFFIX: hidden.to_numpy(),
            "change" + REASON_SUFFIX: np.where(hidden, reasons, ""),
        }
    )


def referral_views(published: Mapping[str, pd.DataFrame], *, threshold: int) -> dict[str, pd.DataFrame]:
    """``referral_summary_{level}`` and ``referral_change_{level}`` from the published ``referrals_{level}``."""
    out: dict[str, pd.DataFrame] = {}
    for level, key in KEYS.items():
        table = published.get(f"referrals_{level}")
        if table is None or table.empty:
            continue
        summary = summary_table(table, key=key, threshold=threshold)
        out[f"referral_summary_{level}"] = summary
        change = change_table(summary, key=key)
        if len(change):
            out[f"referral_change_{level}"] = change
    return out
