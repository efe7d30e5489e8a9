"""Staged files beside the atlas: one build's name prefix and lock, and removing what dead builds left behind."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

LOG = logging.getLogger("buurtdekking.atlas")
# ".staged-<pid>-<token>-…" (this module's builds) or ".staged-<pid>-…" (builds before the lock); the GeoPackage
# writer stages into ".<name>-XXXX.gpkg" beside its target, hence one or two dots.
STAGED = re.compile(r"^\.{1,2}staged-(?P<pid>\d+)-(?:(?P<token>[0-9a-f]{12})[-.])?")
LEGACY_MANIFEST = re.compile(r"^\.manifest-[^/]*\.json$")
LOCK = "lock"
# A lock is taken under this name and then renamed, so that a lock under its own name is always held or dead.
LOCK_BIRTH = re.compile(r"^\.lock-birth-\d+-[0-9a-f]{12}$")
# Files of the old naming or half-born locks younger than this may belong to a build starting up this instant.
GRACE_S = 10.0
# A staged file without a lock that nobody touched for this long belongs to no live build, whatever its pid
# (a live build writes its GeoPackage continuously; a pid may be reused by an unrelated process).
STALE_AFTER_S = 3600.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _lock_is_free(lock: Path) -> bool:
    """True when no process holds ``lock`` (flock is released when its holder dies, even by SIGKILL)."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return False  # its build just finished and removed it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # releases our probe lock too
    return True


def stale_files(out: Path, *, own: str = "", now: float | None = None) -> list[Path]:
    """Staged files in ``out`` that no live build owns; never this build's own (``own``: its prefix), never the atlas."""
    now = time.time() if now is None else now
    groups: dict[tuple[str, str], list[Path]] = {}
    legacy: list[Path] = []
    for path in out.iterdir():
        name = path.name
        if own and name.lstrip(".").startswith(own.strip(".-")):
            continue
        match = STAGED.match(name)
        if match:
            groups.setdefault((match["pid"], match["token"] or ""), []).append(path)
        elif (LEGACY_MANIFEST.match(name) or LOCK_BIRTH.match(name)) and _age(path, now) > GRACE_S:
            legacy.append(path)  # both live for milliseconds in a live build
    stale = legacy
    for (pid, token), paths in groups.items():
        lock = out / f".staged-{pid}-{token}.{LOCK}"
        if token and lock.exists():
            dead = _lock_is_free(lock)
        else:
            newest = min(_age(p, now) for p in paths)
            dead = (not _pid_alive(int(pid)) and newest > GRACE_S) or newest > STALE_AFTER_S
        if dead:
            stale += sorted(paths, key=lambda p: p.name.endswith(f".{LOCK}"))  # the lock goes last
    return stale


def remove_stale(out: Path, *, own: str = "") -> list[Path]:
    """Remove what :func:`stale_files` finds; returns what went."""
    gone = []
    for path in stale_files(out, own=own):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            gone.append(path)
    if gone:
        LOG.info("stale_staged_removed dir=%s", out)
    return gone


@contextlib.contextmanager
def staging(out: Path) -> Iterator[str]:
    """This build's prefix for the files it stages in ``out``, held under a lock while it writes.

    On entry the leftovers of dead builds are removed; on exit whatever this build staged and did not rename.
    """
    token = secrets.token_hex(6)
    prefix = f".staged-{os.getpid()}-{token}-"
    lock = out / f"{prefix[:-1]}.{LOCK}"
    birth = out / f".lock-birth-{os.getpid()}-{token}"
    fd = os.open(birth, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.replace(birth, lock)  # the flock stays with the file under its new name
        remove_stale(out, own=prefix)
        yield prefix
    finally:
        for path in out.glob(f"*{prefix.lstrip('.')}*"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        for path in (birth, lock):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        os.close(fd)
