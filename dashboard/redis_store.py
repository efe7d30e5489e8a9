"""Per-user state and the login back-off in Redis (``BUURTDEKKING_REDIS``), so that several hosts share them.

Without the variable nothing here is used: sessions stay in a private directory and the back-off in SQLite on
each machine. With it every key is namespaced ``buurtdekking:{<session digest>}:…`` (the braces keep one
session's keys on one Redis Cluster slot), lives as long as an idle session does and is refreshed on each use.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import redis

from dashboard.errors import ConfigError
from dashboard.ratelimit import LimitSettings
from dashboard.session import check_slot, session_digest
from dashboard.settings import AppSettings, redacted

REDIS_ENV = "BUURTDEKKING_REDIS"
NAMESPACE = "buurtdekking"
# A request waits at most this long for Redis before it fails (and the page shows its error notice).
CONNECT_TIMEOUT_S = 2.0
SOCKET_TIMEOUT_S = 5.0


def connect(url: str) -> redis.Redis:
    """A client of the Redis at ``url`` that answered a PING; a clear ConfigError when it does not."""
    client = redis.Redis.from_url(
        url,
        protocol=2,  # RESP2: what every Redis version and Redis-compatible service speaks (RESP3 needs 6+)
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
        health_check_interval=30,
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(
            f"{REDIS_ENV}: Redis op {redacted(url)} antwoordt niet ({type(exc).__name__}); start Redis of maak "
            f"{REDIS_ENV} leeg / Redis at {redacted(url)} does not answer; start Redis or unset {REDIS_ENV}"
        ) from None
    return client


def frame_to_bytes(frame: pd.DataFrame) -> bytes:
    """Parquet (GeoParquet for a GeoDataFrame, keeping its CRS), never pickle."""
    buffer = io.BytesIO()
    if isinstance(frame, gpd.GeoDataFrame):
        frame.to_parquet(buffer)
    else:
        pd.DataFrame(frame).to_parquet(buffer)
    return buffer.getvalue()


def frame_from_bytes(data: bytes, *, geo: bool) -> pd.DataFrame:
    return gpd.read_parquet(io.BytesIO(data)) if geo else pd.read_parquet(io.BytesIO(data))


@dataclass(frozen=True)
class RedisSessionStore:
    """StateStore in Redis: per session a hash of descriptions and a hash of Parquet frames, expiring together."""

    client: redis.Redis
    key: bytes
    ttl_s: int

    @classmethod
    def from_settings(cls, client: redis.Redis, settings: AppSettings) -> RedisSessionStore:
        """The store on ``client``, keyed with the secret every host shares (the settings require it with Redis)."""
        return cls(client=client, key=settings.secret_key.encode(), ttl_s=settings.session_ttl_s)

    def _keys(self, sid: str) -> tuple[str, str]:
        base = f"{NAMESPACE}:{{{session_digest(self.key, sid)}}}"
        return f"{base}:meta", f"{base}:frames"

    def put(self, sid: str, slot: str, frame: pd.DataFrame, meta: dict[str, Any]) -> None:
        """Store ``frame`` and ``meta`` under ``slot`` in one transaction, replacing what was there."""
        check_slot(slot)
        meta_key, frames_key = self._keys(sid)
        text = json.dumps({**meta, "geo": isinstance(frame, gpd.GeoDataFrame)}, default=str)
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(meta_key, slot, text)
        pipe.hset(frames_key, slot, frame_to_bytes(frame))
        pipe.expire(meta_key, self.ttl_s)
        pipe.expire(frames_key, self.ttl_s)
        pipe.execute()

    def get(self, sid: str, slot: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
        check_slot(slot)
        meta_key, frames_key = self._keys(sid)
        pipe = self.client.pipeline(transaction=True)
        pipe.hget(meta_key, slot)
        pipe.hget(frames_key, slot)
        pipe.expire(meta_key, self.ttl_s)
        pipe.expire(frames_key, self.ttl_s)
        text, data, *_ = pipe.execute()
        if text is None or data is None:
            return None
        meta = json.loads(text)
        return frame_from_bytes(data, geo=bool(meta.get("geo"))), meta

    def meta(self, sid: str) -> dict[str, dict[str, Any]]:
        """slot → description, for every slot of this session (no frames read)."""
        meta_key, frames_key = self._keys(sid)
        pipe = self.client.pipeline(transaction=True)
        pipe.hgetall(meta_key)
        pipe.expire(meta_key, self.ttl_s)
        pipe.expire(frames_key, self.ttl_s)
        found, *_ = pipe.execute()
        return {k.decode(): json.loads(v) for k, v in sorted(found.items())}

    def delete(self, sid: str, slot: str | None = None) -> None:
        meta_key, frames_key = self._keys(sid)
        if slot is None:
            self.client.delete(meta_key, frames_key)
            return
        check_slot(slot)
        pipe = self.client.pipeline(transaction=True)
        pipe.hdel(meta_key, slot)
        pipe.hdel(frames_key, slot)
        pipe.execute()

    def touch(self, sid: str) -> None:
        meta_key, frames_key = self._keys(sid)
        pipe = self.client.pipeline(transaction=True)
        pipe.expire(meta_key, self.ttl_s)
        pipe.expire(frames_key, self.ttl_s)
        pipe.execute()

    def purge_expired(self, now: float | None = None) -> int:
        """Nothing to do: Redis removes a session's keys itself when their TTL runs out."""
        return 0


# One wrong attempt, atomically: a counter older than the forget time starts again at 1. ``last`` is kept as the
# caller's text, so that the float comes back exactly as it was sent.
_FAIL = """
local last = redis.call('HGET', KEYS[1], 'last')
local count = 1
if last and tonumber(ARGV[1]) - tonumber(last) <= tonumber(ARGV[2]) then
  count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0') + 1
end
redis.call('HSET', KEYS[1], 'count', count, 'last', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return count
"""


class RedisAttemptStore:
    """AttemptStore (dashboard/ratelimit.py) in Redis: every host sees the same counters; keys expire by themselves."""

    def __init__(self, client: redis.Redis, *, keep_s: int = LimitSettings.forget_s) -> None:
        self.client, self.keep_s = client, keep_s
        self._fail = client.register_script(_FAIL)

    @staticmethod
    def _attempt(key: str) -> str:
        return f"{NAMESPACE}:login:attempt:{key}"

    @staticmethod
    def _session(account: str, session: str) -> str:
        return f"{NAMESPACE}:login:session:{account}:{session}"

    def failures(self, key: str, *, now: float, forget_s: float) -> tuple[int, float]:
        count, last = self.client.hmget(self._attempt(key), ["count", "last"])
        if count is None or last is None or now - float(last) > forget_s:
            return 0, 0.0
        return int(count), float(last)

    def fail(self, key: str, *, now: float, forget_s: float) -> int:
        keep = max(1, math.ceil(max(forget_s, 1.0)))
        return int(self._fail(keys=[self._attempt(key)], args=[repr(float(now)), repr(float(forget_s)), keep]))

    def reset(self, key: str) -> None:
        self.client.delete(self._attempt(key))

    def remember_session(self, account: str, session: str, *, now: float) -> None:
        self.client.set(self._session(account, session), repr(float(now)), ex=self.keep_s)

    def known_session(self, account: str, session: str, *, now: float, forget_s: float) -> bool:
        since = self.client.get(self._session(account, session))
        return since is not None and now - float(since) <= forget_s

    def forget_session(self, account: str, session: str) -> None:
        self.client.delete(self._session(account, session))
