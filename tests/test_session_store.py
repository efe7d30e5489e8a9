"""The server-side session store: per-session isolation, expiry, private files, and the upload flow on top of it."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from dashboard.session import SessionStore, secret_key
from dashboard.settings import AppSettings
from dashboard.uploads import PENDING, applied, apply, pending, remove, stage
from etl.upload import UploadLimits, check_upload


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(root=tmp_path / "sessions", key=b"k" * 32, ttl_s=3600)


def test_one_session_never_sees_another(store: SessionStore) -> None:
    frame = pd.DataFrame({"buurtcode": ["BU1"], "aantal": [12]})
    store.put("alice", "applied-caseloads", frame, {"name": "a.csv"})
    got = store.get("alice", "applied-caseloads")
    assert got is not None
    pd.testing.assert_frame_equal(got[0], frame)
    assert store.get("bob", "applied-caseloads") is None
    assert store.meta("bob") == {}
    assert set(store.meta("alice")) == {"applied-caseloads"}


def test_geodataframes_keep_geometry_and_crs(store: SessionStore) -> None:
    gdf = gpd.GeoDataFrame({"team_id": ["T1"]}, geometry=[Point(136000, 455000)], crs="EPSG:28992")
    store.put("s", "applied-teams", gdf, {})
    got = store.get("s", "applied-teams")
    assert got is not None
    assert isinstance(got[0], gpd.GeoDataFrame)
    assert got[0].crs.to_epsg() == 28992


def test_files_are_private_and_do_not_reveal_the_session_id(store: SessionStore) -> None:
    store.put("my-secret-session-id", "pending-teams", pd.DataFrame({"a": [1]}), {})
    dirs = [p for p in store.root.iterdir() if p.is_dir()]
    assert len(dirs) == 1
    assert "my-secret-session-id" not in dirs[0].name
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(dirs[0].stat().st_mode) == 0o700
    assert not list(store.root.rglob("*.pkl"))
    assert not list(store.root.rglob("*.pickle"))


def test_idle_sessions_expire_and_are_purged(store: SessionStore) -> None:
    store.put("old", "applied-teams", pd.DataFrame({"a": [1]}), {})
    store.put("new", "applied-teams", pd.DataFrame({"a": [1]}), {})
    folder = store._dir("old")
    past = time.time() - 2 * store.ttl_s
    os.utime(folder, (past, past))
    assert store.get("old", "applied-teams") is None
    assert store.purge_expired() == 1
    assert not folder.exists()
    assert store.get("new", "applied-teams") is not None


@pytest.mark.parametrize("slot", ["../x", "a/b", "", "X", "a" * 60])
def test_slot_names_cannot_escape(store: SessionStore, slot: str) -> None:
    with pytest.raises(ValueError, match="invalid slot"):
        store.put("s", slot, pd.DataFrame(), {})


def test_secret_key_configured_or_a_private_file(tmp_path: Path) -> None:
    first = secret_key(tmp_path)
    assert len(first) >= 40
    assert secret_key(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600
    configured = AppSettings.from_environ({"BUURTDEKKING_SECRET_KEY": "from-env"}).secret_key
    assert secret_key(tmp_path, configured) == "from-env"


def _ok(df: pd.DataFrame, name: str) -> pd.DataFrame:
    return df.copy()


def test_only_a_valid_upload_is_staged_and_applied(store: SessionStore) -> None:
    bad = check_upload(b"team_id;naam\nT1;=1+1\n", name="t.csv", kind="teams", validate=_ok)
    stage(store, "s", bad)
    assert store.meta("s") == {}
    assert apply(store, "s", "teams") is False
    assert applied(store, "s") == {}

    good = check_upload(b"team_id;naam\nT1;Zuilen\n", name="t.csv", kind="teams", validate=_ok)
    stage(store, "s", good)
    assert set(store.meta("s")) == {PENDING + "teams"}
    assert apply(store, "s", "teams") is True
    meta = applied(store, "s")["teams"]
    assert meta["name"] == "t.csv"
    assert meta["sha256"] == good.sha256
    assert applied(store, "other") == {}
    # A later bad upload of the same kind changes nothing: the applied one and a newer pending one stay as they were.
    newer = check_upload(b"team_id;naam\nT1;Zuilen\nT2;Overvecht\n", name="t2.csv", kind="teams", validate=_ok)
    assert stage(store, "s", newer) is True
    before = store.meta("s")
    assert stage(store, "s", bad) is False
    assert store.meta("s") == before
    assert applied(store, "s")["teams"]["sha256"] == good.sha256
    assert pending(store, "s")["teams"]["sha256"] == newer.sha256
    remove(store, "s", "teams")
    assert applied(store, "s") == {}


def test_upload_limits_from_env() -> None:
    from dashboard.security import ConfigError
    from dashboard.uploads import upload_limits

    def limits_from_env(env: dict[str, str]) -> UploadLimits:
        return upload_limits(AppSettings.from_environ(env))

    assert limits_from_env({}).max_bytes == 10 * 1024 * 1024
    limits = limits_from_env(
        {
            "BUURTDEKKING_UPLOAD_MAX_MB": "2.5",
            "BUURTDEKKING_UPLOAD_MAX_ROWS": "100",
            "BUURTDEKKING_UPLOAD_MAX_COLUMNS": "8",
        }
    )
    assert (limits.max_bytes, limits.max_rows, limits.max_columns) == (int(2.5 * 1024 * 1024), 100, 8)
    with pytest.raises(ConfigError, match="geen getal"):
        limits_from_env({"BUURTDEKKING_UPLOAD_MAX_MB": "veel"})
    with pytest.raises(ConfigError, match="groter dan 0"):
        limits_from_env({"BUURTDEKKING_UPLOAD_MAX_ROWS": "0"})
