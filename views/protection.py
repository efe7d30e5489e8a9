"""Small-count protection at the app's door: sensitive atlas tables are replaced by their published form on load.

The app never holds raw counts: when a worker loads the atlas, ``caseloads_*`` go through
``etl.protect.protect_caseloads`` (the one protection function), ``referrals_*`` through
``etl.protect_referrals.protect_referrals`` (together with the caseloads they break down; the summary and change views
are derived from that published form) and ``hotspots_*`` through the hotspot stage's published view. Fail
closed: a sensitive table that has no protection function here is dropped, so its indicators are hidden
instead of shown unprotected.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from etl.hotspots import CHANGE_TABLE as HOTSPOTS_CHANGE_TABLE
from etl.hotspots import TABLE as HOTSPOTS_TABLE
from etl.hotspots import protected_change, protected_hotspots
from etl.protect import ProtectedCaseloads, protect_caseloads
from etl.protect_referrals import protect_referrals
from etl.referrals import referral_views
from etl.sensitive import DEFAULT_THRESHOLD, REASON_SUFFIX, SECONDARY, SENSITIVE_PREFIXES
from etl.sensitive import SUPPRESSED_SUFFIX as MARK_SUFFIX
from views.cache import DiskCache, shared_cache

# Per published table: the column that marks a suppressed row, per value column ("" = the row mark).
ROW_MARK = "suppressed"
SECONDARY_REASONS = (SECONDARY, "secondary")


def publish_tables(tables: Mapping[str, pd.DataFrame], *, threshold: int | None = None) -> dict[str, pd.DataFrame]:
    """The non-spatial atlas tables as they may be shown: sensitive ones protected, or dropped if that is impossible.

    ``threshold`` is the build's (manifest ``care.threshold``), so the app hides exactly what the build's
    hotspot stage hid; None means etl.protect's default.
    """
    threshold = DEFAULT_THRESHOLD if threshold is None else int(threshold)
    out = {k: v for k, v in tables.items() if not k.startswith(SENSITIVE_PREFIXES)}
    if "caseloads_buurt" in tables:
        result = protect_caseloads(tables["caseloads_buurt"], tables.get("caseloads_wijk"), threshold=threshold)
        for level in ("buurt", "wijk", "gemeente"):
            frame = getattr(result, level)
            if frame is not None and len(frame):
                out[f"caseloads_{level}"] = frame
        out.update(_publish_referrals(tables, result, threshold=threshold))
    views: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
        HOTSPOTS_TABLE: protected_hotspots,
        HOTSPOTS_CHANGE_TABLE: protected_change,
    }
    for name, publish in views.items():
        if name in tables:
            out[name] = publish(tables[name])
    return out


def _publish_referrals(
    tables: Mapping[str, pd.DataFrame], caseloads: ProtectedCaseloads, *, threshold: int
) -> dict[str, pd.DataFrame]:
    """Referral routes, protected with the caseloads they break down, plus their summary and change views."""
    if not any(k.startswith("referrals_") for k in tables):
        return {}
    empty = pd.DataFrame()
    result = protect_referrals(
        tables.get("referrals_buurt", empty),
        tables.get("referrals_wijk", empty),
        tables.get("referrals_provider"),
        caseloads_buurt=tables["caseloads_buurt"],
        caseloads_wijk=tables.get("caseloads_wijk"),
        published_caseloads=caseloads,
        threshold=threshold,
    )
    published = {f"referrals_{level}": getattr(result, level) for level in ("buurt", "wijk", "gemeente", "provider")}
    published = {k: v for k, v in published.items() if len(v)}
    derived = referral_views(published, threshold=threshold)
    return {**published, **derived}


def manifest_threshold(manifest: Mapping[str, object]) -> int | None:
    """The protection threshold the atlas was built with (manifest care.threshold), if it says."""
    care = manifest.get("care")
    value = care.get("threshold") if isinstance(care, Mapping) else None
    return int(value) if isinstance(value, int | float) else None


def served_threshold(manifest: Mapping[str, object]) -> int:
    """The threshold the app protects with and every ``<N`` label shows: the atlas's own, else the default."""
    found = manifest_threshold(manifest)
    return DEFAULT_THRESHOLD if found is None else found


def publish_tables_cached(
    tables: Mapping[str, pd.DataFrame],
    *,
    atlas_sha256: str,
    threshold: int | None = None,
    cache_dir: Path | None = None,
) -> dict[str, pd.DataFrame]:
    """publish_tables, computed once per atlas content (its sha256) and kept as Parquet in the work cache.

    Protecting linked caseload tables can take minutes; a restarted worker or another host (with the Redis
    cache, views/cache.py) reads the result instead. Only published (protected) tables are kept, never raw counts.
    ``cache_dir``: a cache directory of the caller's own (a test, the export command) instead of the process's
    work cache.
    """
    sensitive = sorted(k for k in tables if k.startswith(SENSITIVE_PREFIXES))
    if not sensitive or not atlas_sha256:
        return publish_tables(tables, threshold=threshold)
    cache = DiskCache(cache_dir) if cache_dir is not None else shared_cache()
    folder = f"{atlas_sha256[:32]}-t{DEFAULT_THRESHOLD if threshold is None else int(threshold)}"
    public = {k: v for k, v in tables.items() if not k.startswith(SENSITIVE_PREFIXES)}
    index = cache.get(f"{folder}/tables.txt")
    if index is not None:
        names = [n for n in index.decode("utf-8").split() if n]
        blobs = {n: cache.get(f"{folder}/{n}.parquet") for n in names}
        try:
            if all(b is not None for b in blobs.values()):  # an evicted table: all are protected again
                return {**public, **{n: pd.read_parquet(io.BytesIO(b)) for n, b in blobs.items() if b is not None}}
        except (OSError, ValueError):
            pass  # a damaged cache is rebuilt below
    published = publish_tables(tables, threshold=threshold)
    done = {k: v for k, v in published.items() if k.startswith(SENSITIVE_PREFIXES)}
    for name, frame in done.items():
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        cache.put(f"{folder}/{name}.parquet", buffer.getvalue())
    # The index last: a reader that finds it finds every table it names.
    cache.put(f"{folder}/tables.txt", "\n".join(done).encode("utf-8"))
    return published


def suppression(frame: pd.DataFrame, column: str, count_column: str | None) -> tuple[pd.Series, pd.Series]:
    """Per row: suppressed? and secondary (shown as •)? from the marks the protection functions add."""
    idx = frame.index
    if column + MARK_SUFFIX in frame:
        marked = frame[column + MARK_SUFFIX].fillna(False).astype(bool)
    elif ROW_MARK in frame:
        marked = frame[ROW_MARK].fillna(False).astype(bool)
    else:
        marked = pd.Series(False, index=idx)
    reason_col = f"{count_column or column}{REASON_SUFFIX}"
    if reason_col in frame:
        secondary = frame[reason_col].astype(str).isin(SECONDARY_REASONS)
    elif "reason" in frame:
        secondary = frame["reason"].astype(str).isin(SECONDARY_REASONS)
    else:
        secondary = pd.Series(False, index=idx)
    return marked, secondary & marked
