"""Per-user state on the server: a random session id in a signed cookie, data in a private directory, expiring.

Uploads live here and nowhere else: never in the shared atlas, never reachable with another session id.
Files are Parquet and JSON (never pickle), in a directory only the app's user can read, named by an HMAC
of the session id so that the directory listing does not reveal anyone's cookie. ``StateStore`` is what the
app needs of such a store; with ``BUURTDEKKING_REDIS`` the Redis store of dashboard/redis_store.py takes the
directory's place, so that several machines share it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import flask
import geopandas as gpd
import pandas as pd

from dashboard.settings import DEFAULT_TTL_S, AppSettings, default_session_dir

if TYPE_CHECKING:
    from dash import Dash

SID_KEY = "sid"
_SLOT = re.compile(r"^[a-z][a-z0-9_-]{0,40}$")
_SID = re.compile(r"^[A-Za-z0-9_-]{16,200}$")  # what secrets.token_urlsafe(32) gives, with room


def _valid_sid(sid: object) -> bool:
    """A session id we could have issued (a cookie signed with the same key by another version may hold anything)."""
    return isinstance(sid, str) and bool(_SID.match(sid))


def private_dir(path: Path) -> Path:
    """``path`` created if need be, readable by the app's user only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def secret_key(root: Path | None = None, configured: str = "") -> str:
    """``configured`` (BUURTDEKKING_SECRET_KEY), else a random key created once in the session directory (mode 0600)."""
    if configured:
        return configured
    folder = private_dir(root or default_session_dir())
    path = folder / "secret.key"
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another worker won the race: use its key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class StateStore(Protocol):
    """Per-user state: named slots of frames per session id, each with a small JSON description, expiring.

    ``SessionStore`` (a private directory, the default) and ``dashboard.redis_store.RedisSessionStore`` (shared by
    several hosts) implement it; everything that keeps a user's uploads takes this, never one of them.
    """

    @property
    def key(self) -> bytes:
        """The secret that signs the session cookie and names the session's state."""
        ...

    @property
    def ttl_s(self) -> int:
        """Seconds a session's state is kept after its last use."""
        ...

    def put(self, sid: str, slot: str, frame: pd.DataFrame, meta: dict[str, Any]) -> None: ...

    def get(self, sid: str, slot: str) -> tuple[pd.DataFrame, dict[str, Any]] | None: ...

    def meta(self, sid: str) -> dict[str, dict[str, Any]]: ...

    def delete(self, sid: str, slot: str | None = None) -> None: ...

    def touch(self, sid: str) -> None: ...

    def purge_expired(self, now: float | None = None) -> int: ...


def session_digest(key: bytes, sid: str) -> str:
    """The name a session's state is kept under: an HMAC of its id, so that no listing reveals a cookie."""
    if not sid or len(sid) > 200:
        raise ValueError("invalid session id")
    return hmac.new(key, sid.encode(), hashlib.sha256).hexdigest()[:40]


def check_slot(slot: str) -> None:
    if not _SLOT.match(slot):
        raise ValueError(f"invalid slot name {slot!r}")


@dataclass(frozen=True)
class SessionStore:
    """Named slots of frames per session id, each with a small JSON description; expiring after ``ttl_s`` idle."""

    root: Path
    key: bytes
    ttl_s: int = DEFAULT_TTL_S

    def __post_init__(self) -> None:
        private_dir(self.root)

    @classmethod
    def from_settings(cls, settings: AppSettings) -> SessionStore:
        """The store in the configured session directory, keyed with the configured (or generated) secret key."""
        root = private_dir(settings.session_dir)
        return cls(root=root, key=secret_key(root, settings.secret_key).encode(), ttl_s=settings.session_ttl_s)

    def _dir(self, sid: str) -> Path:
        return self.root / ("s-" + session_digest(self.key, sid))

    @staticmethod
    def _check_slot(slot: str) -> None:
        check_slot(slot)

    def put(self, sid: str, slot: str, frame: pd.DataFrame, meta: dict[str, Any]) -> None:
        """Store ``frame`` (GeoDataFrames keep their CRS) and ``meta`` under ``slot``, replacing what was there."""
        self._check_slot(slot)
        folder = private_dir(self._dir(sid))
        tmp = Path(tempfile.mkdtemp(prefix=f".{slot}-", dir=folder))
        try:
            if isinstance(frame, gpd.GeoDataFrame):
                frame.to_parquet(tmp / "frame.parquet")
            else:
                pd.DataFrame(frame).to_parquet(tmp / "frame.parquet")
            (tmp / "meta.json").write_text(
                json.dumps({**meta, "geo": isinstance(frame, gpd.GeoDataFrame)}, default=str)
            )
            target = folder / slot
            old = folder / f".old-{slot}-{secrets.token_hex(4)}"
            if target.exists():
                target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.touch(sid)
        self.purge_expired()

    def get(self, sid: str, slot: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
        self._check_slot(slot)
        folder = self._dir(sid) / slot
        if not (folder / "meta.json").exists() or self._expired(self._dir(sid)):
            return None
        meta = json.loads((folder / "meta.json").read_text())
        frame = (
            gpd.read_parquet(folder / "frame.parquet") if meta.get("geo") else pd.read_parquet(folder / "frame.parquet")
        )
        self.touch(sid)
        return frame, meta

    def meta(self, sid: str) -> dict[str, dict[str, Any]]:
        """slot → description, for every slot of this session (no frames read)."""
        folder = self._dir(sid)
        if not folder.is_dir() or self._expired(folder):
            return {}
        out = {}
        for sub in sorted(folder.iterdir()):
            if sub.is_dir() and not sub.name.startswith(".") and (sub / "meta.json").exists():
                out[sub.name] = json.loads((sub / "meta.json").read_text())
        return out

    def delete(self, sid: str, slot: str | None = None) -> None:
        folder = self._dir(sid)
        if slot is None:
            shutil.rmtree(folder, ignore_errors=True)
            return
        self._check_slot(slot)
        shutil.rmtree(folder / slot, ignore_errors=True)

    def touch(self, sid: str) -> None:
        folder = self._dir(sid)
        if folder.is_dir():
            os.utime(folder)

    def _expired(self, folder: Path, now: float | None = None) -> bool:
        try:
            return (now or time.time()) - folder.stat().st_mtime > self.ttl_s
        except FileNotFoundError:
            return True

    def purge_expired(self, now: float | None = None) -> int:
        """Remove every session idle for longer than the TTL; returns how many went."""
        gone = 0
        for folder in self.root.glob("s-*"):
            if folder.is_dir() and self._expired(folder, now):
                shutil.rmtree(folder, ignore_errors=True)
                gone += 1
        return gone


def init_sessions(app: Dash, store: StateStore) -> StateStore:
    """Give every browser a random session id in a signed, HttpOnly cookie and keep ``store`` on the server."""
    server = app.server
    server.secret_key = store.key.decode()
    server.config["PERMANENT_SESSION_LIFETIME"] = store.ttl_s
    server.extensions["buurtdekking_sessions"] = store

    def _ensure_sid() -> None:
        if not _valid_sid(flask.session.get(SID_KEY)):
            flask.session[SID_KEY] = secrets.token_urlsafe(32)
            flask.session.permanent = True

    server.before_request(_ensure_sid)
    return store


def current_store() -> StateStore:
    store: StateStore = flask.current_app.extensions["buurtdekking_sessions"]
    return store


def current_sid() -> str:
    """This request's session id (set by init_sessions before any view or callback runs)."""
    sid = flask.session.get(SID_KEY)
    if not _valid_sid(sid):
        sid = secrets.token_urlsafe(32)
        flask.session[SID_KEY] = sid
        flask.session.permanent = True
    return str(sid)
