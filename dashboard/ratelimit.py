"""Login back-off per account and per client, shared by the workers of one machine (SQLite in the session directory).

After ``account_attempts`` wrong passwords for one account (or ``client_attempts`` from one client, whatever the
accounts) every further attempt waits: 1 s, then 2, 4, 8 … up to ``max_s``, counted from the last wrong one;
attempts during a wait are refused unchecked (429) and not counted. Unknown accounts are counted exactly like
known ones, so the answers never tell which names exist. A browser session that logged in before the back-off
began keeps working for its own account until it sends a wrong password. Counters are forgotten a day after
their last failure. The store is a small interface (:class:`AttemptStore`): with ``BUURTDEKKING_REDIS`` set,
dashboard/redis_store.py's Redis store takes SQLite's place, so that several machines share the counts.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
STORE_FILE = "logins.sqlite3"


@dataclass(frozen=True)
class LimitSettings:
    account_attempts: int = 5
    client_attempts: int = 20
    base_s: float = 1.0
    max_s: int = 900
    forget_s: int = 24 * 3600
    trusted_proxies: tuple[IPNetwork, ...] = ()

    def wait_after(self, failures: int, free: int) -> float:
        """Seconds to wait after the last of ``failures`` wrong attempts, when ``free`` are allowed without waiting."""
        if failures < free:
            return 0.0
        return float(min(self.max_s, self.base_s * 2.0 ** min(failures - free, 40)))


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def client_address(remote: str | None, forwarded_for: str | None, trusted: tuple[IPNetwork, ...]) -> str:
    """The client's IP: the peer, or — only when the peer is a trusted proxy — the last X-Forwarded-For hop that
    is not one of ours (hops to its left were written by the client and prove nothing)."""
    peer = remote or "unknown"
    peer_ip = _ip(peer)
    if not trusted or not forwarded_for or peer_ip is None or not any(peer_ip in net for net in trusted):
        return peer
    for hop in reversed(forwarded_for.split(",")):
        ip = _ip(hop)
        if ip is None:
            return peer  # our proxy would not write that: treat the header as unusable
        if not any(ip in net for net in trusted):
            return str(ip)
    return peer


class AttemptStore(Protocol):
    """Failure counters and the sessions that logged in, keyed by pseudonyms (never names or addresses)."""

    def failures(self, key: str, *, now: float, forget_s: float) -> tuple[int, float]:
        """(wrong attempts, time of the last) of ``key``; (0, 0.0) when none or forgotten."""
        ...

    def fail(self, key: str, *, now: float, forget_s: float) -> int:
        """Count one more wrong attempt for ``key`` (atomically across workers); the new count."""
        ...

    def reset(self, key: str) -> None: ...

    def remember_session(self, account: str, session: str, *, now: float) -> None: ...

    def known_session(self, account: str, session: str, *, now: float, forget_s: float) -> bool: ...

    def forget_session(self, account: str, session: str) -> None: ...


class SqliteAttemptStore:
    """AttemptStore in one SQLite file (WAL): every worker process of the machine sees the same counters."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS attempts (key TEXT PRIMARY KEY, count INTEGER NOT NULL, last REAL NOT NULL)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS attempts_last ON attempts (last)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS sessions (account TEXT, session TEXT, since REAL NOT NULL, PRIMARY KEY (account, session))"
            )
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        # One connection per thread and process (a worker forked after the app was loaded must not share one).
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            self._local.conn, self._local.pid = conn, os.getpid()
        yield conn

    def failures(self, key: str, *, now: float, forget_s: float) -> tuple[int, float]:
        with self._db() as db:
            row = db.execute("SELECT count, last FROM attempts WHERE key = ?", (key,)).fetchone()
        if row is None or now - row[1] > forget_s:
            return 0, 0.0
        return int(row[0]), float(row[1])

    def fail(self, key: str, *, now: float, forget_s: float) -> int:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT count, last FROM attempts WHERE key = ?", (key,)).fetchone()
                count = 1 if row is None or now - row[1] > forget_s else int(row[0]) + 1
                db.execute("INSERT OR REPLACE INTO attempts (key, count, last) VALUES (?, ?, ?)", (key, count, now))
                db.execute("DELETE FROM attempts WHERE last < ?", (now - forget_s,))
                db.execute("DELETE FROM sessions WHERE since < ?", (now - forget_s,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return count

    def reset(self, key: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM attempts WHERE key = ?", (key,))

    def remember_session(self, account: str, session: str, *, now: float) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO sessions (account, session, since) VALUES (?, ?, ?)", (account, session, now)
            )

    def known_session(self, account: str, session: str, *, now: float, forget_s: float) -> bool:
        with self._db() as db:
            row = db.execute(
                "SELECT since FROM sessions WHERE account = ? AND session = ?", (account, session)
            ).fetchone()
        return row is not None and now - float(row[0]) <= forget_s

    def forget_session(self, account: str, session: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE account = ? AND session = ?", (account, session))


@dataclass(frozen=True)
class Trip:
    """A wait that began with this wrong attempt: for the log."""

    scope: str  # "account" or "client"
    key: str
    retry_after: int


class LoginLimiter:
    """The back-off policy over an AttemptStore. Keys are whatever the caller passes (pseudonyms)."""

    def __init__(self, store: AttemptStore, settings: LimitSettings, clock: Callable[[], float] = time.time) -> None:
        self.store, self.settings, self.clock = store, settings, clock

    def _remaining(self, key: str, free: int, now: float) -> float:
        count, last = self.store.failures(key, now=now, forget_s=self.settings.forget_s)
        return max(0.0, last + self.settings.wait_after(count, free) - now) if count else 0.0

    def retry_after(self, *, account: str, client: str, session: str) -> int:
        """Whole seconds this attempt must wait (0: check the password). A session that logged in to ``account``
        before is not held back: the back-off is for guessing, and that session already knew the password."""
        now = self.clock()
        wait = max(
            self._remaining("a:" + account, self.settings.account_attempts, now),
            self._remaining("c:" + client, self.settings.client_attempts, now),
        )
        if (
            wait > 0
            and session
            and self.store.known_session(account, session, now=now, forget_s=self.settings.forget_s)
        ):
            return 0
        return math.ceil(wait)

    def failed(self, *, account: str, client: str, session: str) -> list[Trip]:
        """Count a wrong attempt against the account and the client; the waits it starts. The session, if it had
        logged in to this account, loses that standing (a stolen cookie buys one guess, not a way around the wait)."""
        now = self.clock()
        if session:
            self.store.forget_session(account, session)
        trips = []
        for scope, key, free in (
            ("account", account, self.settings.account_attempts),
            ("client", client, self.settings.client_attempts),
        ):
            count = self.store.fail(f"{scope[0]}:{key}", now=now, forget_s=self.settings.forget_s)
            wait = self.settings.wait_after(count, free)
            if wait > 0:
                trips.append(Trip(scope, key, math.ceil(wait)))
        return trips

    def logged_in(self, *, account: str, session: str) -> None:
        """A fresh login (not every request of a logged-in browser): the account's counter starts again."""
        now = self.clock()
        self.store.reset("a:" + account)
        if session:
            self.store.remember_session(account, session, now=now)


def limiter_at(root: Path, settings: LimitSettings, store: AttemptStore | None = None) -> LoginLimiter:
    """The back-off over ``store`` (Redis, for several hosts), else over SQLite in ``root`` (the session directory)."""
    return LoginLimiter(store or SqliteAttemptStore(root / STORE_FILE), settings)
