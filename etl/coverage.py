"""Coverage: the share of youth within a travel-time threshold of care, per buurt, wijk, provider and gemeente."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from etl import atlas_schema
from etl.atlas_schema import threshold_label as threshold_label  # callers take it from here
from geodata.network import DEFAULT_MODE

LEVELS: tuple[tuple[str, str], ...] = (
    ("buurt", "buurtcode"),
    ("wijk", "wijkcode"),
    ("provider", "provider"),
    ("gemeente", "gemeentecode"),
)
COLUMNS = ("niveau", "code", "target", "mode", "threshold_min", "youth_within", "youth_total", "share", "method")


def coverage_column(mode: str, threshold_min: float) -> str:
    """The buurt/wijk column holding the share of youth within ``threshold_min`` of a buurtteam by ``mode``."""
    return atlas_schema.coverage(mode, threshold_min)


def coverage_table(
    *,
    origins: pd.DataFrame,
    areas: pd.DataFrame,
    times: Mapping[tuple[str, str], np.ndarray],
    thresholds_min: Sequence[float],
    method: str | Mapping[str, str],
) -> pd.DataFrame:
    """Youth within each threshold, per area at every level, for each (target, mode) of ``times``.

    ``origins``: buurtcode and weight (youth) per origin, aligned with the arrays in ``times``
    (per-origin minutes to the nearest team of a target; NaN/inf = none in reach). ``areas``: buurtcode,
    wijkcode, gemeentecode and (optional) provider per buurt. A time equal to the threshold counts as within.
    Areas without youth get share NaN; buurten without a provider are left out of the provider level.
    ``method``: the travel method of every row, or per mode (a mode may fall back to the straight line).
    """
    codes = areas.drop_duplicates("buurtcode").set_index(areas.drop_duplicates("buurtcode")["buurtcode"].astype(str))
    buurt = origins["buurtcode"].astype(str).to_numpy(dtype=object)
    weight = np.nan_to_num(origins["weight"].to_numpy(dtype="float64"))
    thresholds = np.asarray(list(thresholds_min), dtype="float64")
    # travel times are float32 minutes: compare at that precision so that 0.4 min is within 0.4 min
    limits = thresholds.astype("float32").astype("float64")
    groups = []
    for level, key in LEVELS:
        if key != "buurtcode" and key not in codes.columns:
            continue
        values = buurt if key == "buurtcode" else codes[key].reindex(buurt).to_numpy(dtype=object)
        keep = np.array([isinstance(v, str) and v != "" for v in values], dtype=bool)
        names, inverse = np.unique(values[keep].astype(str), return_inverse=True)
        groups.append((level, names, keep, inverse))
    n_thr = len(thresholds)
    parts: dict[str, list[np.ndarray]] = {
        c: [] for c in ("niveau", "code", "target", "mode", "threshold_min", "youth_within", "youth_total")
    }
    for (target, mode), t in times.items():
        tt = np.nan_to_num(np.asarray(t, dtype="float64"), nan=np.inf)
        within = (tt[:, None] <= limits[None, :]) * weight[:, None]
        for level, names, keep, inverse in groups:
            n = len(names)
            if n == 0:
                continue
            total = np.bincount(inverse, weights=weight[keep], minlength=n)
            sums = np.column_stack([np.bincount(inverse, weights=within[keep, k], minlength=n) for k in range(n_thr)])
            parts["niveau"].append(np.full(n * n_thr, level, dtype=object))
            parts["code"].append(np.repeat(names.astype(object), n_thr))
            parts["target"].append(np.full(n * n_thr, target, dtype=object))
            parts["mode"].append(np.full(n * n_thr, mode, dtype=object))
            parts["threshold_min"].append(np.tile(thresholds, n))
            parts["youth_within"].append(sums.reshape(-1))
            parts["youth_total"].append(np.repeat(total, n_thr))
    if not parts["niveau"]:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in COLUMNS})
    out = pd.DataFrame({c: np.concatenate(v) for c, v in parts.items()})
    total = out["youth_total"].to_numpy()
    out["share"] = np.divide(out["youth_within"].to_numpy(), total, out=np.full(len(out), np.nan), where=total > 0)
    out["method"] = out["mode"].map(method) if isinstance(method, Mapping) else method
    level_order = {level: i for i, (level, _) in enumerate(LEVELS)}
    out = out.assign(_l=out["niveau"].map(level_order)).sort_values(
        ["_l", "code", "target", "mode", "threshold_min"], kind="stable"
    )
    return out[list(COLUMNS)].reset_index(drop=True)


def coverage_wide(
    table: pd.DataFrame, *, niveau: str, target: str = "buurtteam", mode: str = DEFAULT_MODE
) -> pd.DataFrame:
    """One row per area code with a ``coverage_{mode}_{t}min`` share column per threshold."""
    rows = table[(table["niveau"] == niveau) & (table["target"] == target) & (table["mode"] == mode)]
    if rows.empty:
        return pd.DataFrame(index=pd.Index([], name="code"))
    wide = rows.pivot_table(index="code", columns="threshold_min", values="share", aggfunc="first", dropna=False)
    wide.columns = [coverage_column(mode, float(t)) for t in wide.columns]
    wide.index.name = "code"
    return wide
