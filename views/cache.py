"""Cached server-side work (published tables, map payloads): bytes by key, on local disk or shared in Redis.

Only derived, publishable work is kept here (protected tables, simplified geometry), keyed by the atlas's
sha256, so that a restarted worker or another host reads it instead of computing it again. A cache that cannot
be read or written is a miss: the work is done again and nothing else changes.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import redis

from etl.settings import default_cache_dir

REDIS_PREFIX = "buurtdekking:cache:"
# Old atlas versions are never asked for again; a month after its last read an entry goes.
REDIS_TTL_S = 30 * 24 * 3600
_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


class WorkCache(Protocol):
    """Bytes by key; ``get`` gives None for anything missing or unreadable."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, value: bytes) -> None: ...


def _check(key: str) -> str:
    if len(key) > 300 or not _KEY.match(key):
        raise ValueError(f"invalid cache key {key!r}")
    return key


@dataclass(frozen=True)
class DiskCache:
    """WorkCache in a directory of this machine (the default): keys are relative paths below ``root``."""

    root: Path

    def get(self, key: str) -> bytes | None:
        try:
            return (self.root / _check(key)).read_bytes()
        except OSError:
            return None

    def put(self, key: str, value: bytes) -> None:
        path = self.root / _check(key)
        with contextlib.suppress(OSError):  # no writable cache: the next worker computes again
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(value)
            os.replace(tmp, path)


@dataclass(frozen=True)
class RedisCache:
    """WorkCache shared by every host on one Redis; an entry lives ``ttl_s`` after its last read."""

    client: redis.Redis
    prefix: str = REDIS_PREFIX
    ttl_s: int = REDIS_TTL_S

    def get(self, key: str) -> bytes | None:
        name = self.prefix + _check(key)
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.get(name)
            pipe.expire(name, self.ttl_s)  # not GETEX: that needs Redis 6.2
            value, _ = pipe.execute()
        except redis.RedisError:
            return None  # the work is done here instead; the user's own state reports Redis being down
        return value if isinstance(value, bytes) else None

    def put(self, key: str, value: bytes) -> None:
        with contextlib.suppress(redis.RedisError):
            self.client.set(self.prefix + _check(key), value, ex=self.ttl_s)


_configured: list[WorkCache] = []


def use_cache(cache: WorkCache | None) -> None:
    """Make ``cache`` this process's cache of work (None: back to the local disk)."""
    _configured[:] = [cache] if cache is not None else []


def shared_cache() -> WorkCache:
    """The cache configured with ``use_cache`` (create_app does), else the local disk's default cache directory."""
    return _configured[0] if _configured else DiskCache(default_cache_dir())
