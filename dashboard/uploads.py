"""A user's own uploads: check, keep as pending, apply to their session only, and overlay on the shared view.

Flow: bytes → ``etl.upload.check_upload`` (limits, type, shape, then the care rules of the kind) → a report
the user sees first → only a report without problems can be applied → the applied frame lives in the session
store (dashboard/session.py) and ``session_view`` lays it over the read-only atlas for that user alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd

from dashboard.errors import ConfigError
from dashboard.session import SessionStore, current_sid, current_store
from etl.care import validate_caseloads_frame, validate_providers_frame, validate_teams_frame
from etl.inputs import KINDS
from etl.sensitive import CASELOAD_PREFIXES
from etl.upload import UploadLimits, UploadReport, Validator, check_upload
from geodata.crs import RD_NEW, WGS84
from views.data import AtlasView, get_view
from views.protection import manifest_threshold, publish_tables

PENDING, APPLIED = "pending-", "applied-"
# The care-data rules per kind (etl.care). Each takes the text frame and the file name plus the boundaries,
# and returns the validated frame or raises InputError with every problem.
RULES: dict[str, Callable[..., pd.DataFrame]] = {
    "teams": validate_teams_frame,
    "providers": validate_providers_frame,
    "caseloads": validate_caseloads_frame,
}


def limits_from_env(env: dict[str, str] | None = None) -> UploadLimits:
    """``BUURTDEKKING_UPLOAD_MAX_MB`` (10), ``…_MAX_ROWS`` (50 000), ``…_MAX_COLUMNS`` (60)."""

    env = dict(os.environ) if env is None else env
    base = UploadLimits()
    try:
        limits = UploadLimits(
            max_bytes=int(float(env.get("BUURTDEKKING_UPLOAD_MAX_MB", base.max_bytes / 1024 / 1024)) * 1024 * 1024),
            max_rows=int(env.get("BUURTDEKKING_UPLOAD_MAX_ROWS", base.max_rows)),
            max_columns=int(env.get("BUURTDEKKING_UPLOAD_MAX_COLUMNS", base.max_columns)),
        )
    except ValueError as exc:
        raise ConfigError(f"BUURTDEKKING_UPLOAD_MAX_*: geen getal / not a number ({exc})") from exc
    if min(limits.max_bytes, limits.max_rows, limits.max_columns) <= 0:
        raise ConfigError("BUURTDEKKING_UPLOAD_MAX_*: moet groter dan 0 zijn / must be greater than 0")
    return limits


def validator_for(kind: str, view: AtlasView) -> Validator | None:
    """The care rules for ``kind`` bound to this atlas's boundaries, or None for a kind that has none."""
    func = RULES.get(kind)
    if func is None:
        return None

    def validate(df: pd.DataFrame, name: str) -> pd.DataFrame:
        return func(df, name=name, gdf_buurten=view.buurten, gdf_wijken=view.wijken)

    return validate


def check(view: AtlasView, data: bytes, *, name: str, kind: str, limits: UploadLimits | None = None) -> UploadReport:
    return check_upload(
        data, name=name, kind=kind, validate=validator_for(kind, view), limits=limits or limits_from_env()
    )


def stage(store: SessionStore, sid: str, report: UploadReport) -> bool:
    """Keep a valid upload as pending (replacing an earlier one of its kind) and say True.

    A refused one changes nothing: the pending and applied uploads the user had stay exactly as they were.
    """
    if not report.ok or report.frame is None:
        return False
    store.put(sid, PENDING + report.kind, report.frame, _meta(report))
    return True


def _meta(report: UploadReport) -> dict[str, Any]:
    return {
        "kind": report.kind,
        "name": report.name,
        "sha256": report.sha256,
        "size": report.size,
        "rows": report.rows,
        "checked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def apply(store: SessionStore, sid: str, kind: str) -> bool:
    """Move the pending upload of ``kind`` to applied; False when there is none (nothing changes then)."""
    found = store.get(sid, PENDING + kind)
    if found is None:
        return False
    frame, meta = found
    store.put(sid, APPLIED + kind, frame, {**meta, "applied_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    store.delete(sid, PENDING + kind)
    return True


def remove(store: SessionStore, sid: str, kind: str) -> None:
    store.delete(sid, APPLIED + kind)


def applied(store: SessionStore, sid: str) -> dict[str, dict[str, Any]]:
    """kind → description of what this session applied."""
    return {slot[len(APPLIED) :]: meta for slot, meta in store.meta(sid).items() if slot.startswith(APPLIED)}


def pending(store: SessionStore, sid: str) -> dict[str, dict[str, Any]]:
    """kind → description of what this session checked and may still apply."""
    return {slot[len(PENDING) :]: meta for slot, meta in store.meta(sid).items() if slot.startswith(PENDING)}


def _teams_for_view(frame: pd.DataFrame) -> pd.DataFrame:
    gdf = frame if isinstance(frame, gpd.GeoDataFrame) else gpd.GeoDataFrame(frame)
    wgs = (gdf if gdf.crs is not None else gdf.set_crs(RD_NEW)).to_crs(WGS84)
    out = pd.DataFrame(wgs.drop(columns=wgs.geometry.name))
    out["lon"] = wgs.geometry.x.round(5)
    out["lat"] = wgs.geometry.y.round(5)
    for col in ("team_id", "naam", "organisatie", "soort"):
        if col not in out:
            out[col] = ""
    return out.reset_index(drop=True)


def _providers_on(view: AtlasView, frame: pd.DataFrame) -> AtlasView:
    """Provider per buurt (a buurt row overrides its wijk's row) onto the buurten and wijken."""
    level = frame["niveau"].astype(str) if "niveau" in frame else pd.Series("", index=frame.index)
    rows_b = frame[(level == "buurt") & frame["buurtcode"].notna()] if "buurtcode" in frame else frame.iloc[:0]
    rows_w = frame[(level == "wijk") & frame["wijkcode"].notna()] if "wijkcode" in frame else frame.iloc[:0]
    by_buurt = (
        pd.Series(rows_b["aanbieder"].astype(str).to_numpy(), index=rows_b["buurtcode"].astype(str))
        if len(rows_b)
        else pd.Series(dtype=str)
    )
    by_wijk = (
        pd.Series(rows_w["aanbieder"].astype(str).to_numpy(), index=rows_w["wijkcode"].astype(str))
        if len(rows_w)
        else pd.Series(dtype=str)
    )
    buurten = view.buurten.copy()
    buurten["provider"] = (
        buurten["buurtcode"].astype(str).map(by_buurt).fillna(buurten["wijkcode"].astype(str).map(by_wijk))
    )
    wijken = view.wijken.copy()
    wijken["provider"] = wijken["wijkcode"].astype(str).map(by_wijk)
    return dataclasses.replace(view, buurten=buurten, wijken=wijken)


def _caseloads_on(view: AtlasView, frame: pd.DataFrame) -> AtlasView:
    """The session's caseload tables in place of the atlas's, published through the one protection function.

    ``frame`` is ``etl.care.validate_caseloads_frame``'s long frame (``niveau`` buurt | wijk); the raw counts
    never leave this function unprotected: ``publish_tables`` runs ``etl.protect.protect_caseloads``.
    """
    level = frame["niveau"].astype(str)
    # Referral-route rows have a verwijzer; the atlas's own route tables never mix with an upload.
    route = frame["verwijzer"].notna() if "verwijzer" in frame else pd.Series(False, index=frame.index)
    route_columns = ["verwijzer", "provider", "totaal", "aandeel"]
    raw = {
        "caseloads_buurt": frame[~route & (level == "buurt")]
        .drop(columns=["niveau", "wijkcode", *route_columns], errors="ignore")
        .reset_index(drop=True),
        "caseloads_wijk": frame[~route & (level == "wijk")]
        .drop(columns=["niveau", "buurtcode", *route_columns], errors="ignore")
        .reset_index(drop=True),
    }
    keys = {"buurt": ["buurtcode", "provider"], "wijk": ["wijkcode", "provider"], "provider": ["provider"]}
    for lv, key in keys.items():
        rows = frame[route & (level == lv)]
        if len(rows):
            raw[f"referrals_{lv}"] = rows[
                [*key, "periode", "soort", "verwijzer", "aantal", "totaal", "aandeel"]
            ].reset_index(drop=True)
    published = publish_tables(raw, threshold=manifest_threshold(view.manifest))
    tables = {k: v for k, v in view.tables.items() if not k.startswith(CASELOAD_PREFIXES)}
    tables.update({k: v for k, v in published.items() if k.startswith(CASELOAD_PREFIXES)})
    return dataclasses.replace(view, tables=tables)


def session_view(view: AtlasView, store: SessionStore, sid: str) -> AtlasView:
    """``view`` with this session's applied uploads laid over it; the shared view itself is never changed."""
    kinds = applied(store, sid)
    out = view
    for kind in KINDS:
        if kind not in kinds:
            continue
        found = store.get(sid, APPLIED + kind)
        if found is None:
            continue
        frame, _ = found
        if kind == "teams":
            out = dataclasses.replace(out, teams=_teams_for_view(frame))
        elif kind == "providers":
            out = _providers_on(out, frame)
        else:
            out = _caseloads_on(out, frame)
    return out


def current_view(atlas_dir: str) -> AtlasView:
    """The shared atlas view with this request's own uploads laid over it: what every page of this user shows."""
    return session_view(get_view(atlas_dir), current_store(), current_sid())
