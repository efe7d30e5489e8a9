"""A throw-away PostgreSQL 15 + PostGIS server for the tests (`postgis_url`), started once per test session."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

PG_BIN = Path(os.environ.get("BUURTDEKKING_PG_BIN", "/usr/lib/postgresql/15/bin"))
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
DATABASE = "buurtdekking"
# PostgreSQL refuses to run as root: as root the server runs as this user (Debian's package creates it).
SERVER_USER = "postgres"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _missing() -> str:
    for path in (PG_BIN / "initdb", PG_BIN / "postgres", POSTGIS_CONTROL):
        if not path.exists():
            return f"{path} not found; `make postgis` installs Debian's postgresql-15-postgis-3"
    return ""


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *cmd] if os.geteuid() == 0 else cmd


def _data_dir(root: Path) -> Path:
    """The data directory: under the test's ``root``, except as root, where pytest's temporary root is private.

    pytest keeps /tmp/pytest-of-root at mode 0700 and every new session (other checkouts' too) resets it, so
    the server user cannot reliably reach anything below it; as root the data directory is a private
    directory of its own in /tmp, owned by the server user, and removed with the server.
    """
    if os.geteuid() != 0:
        data = root / "data"
        data.mkdir(mode=0o700)
        return data
    data = Path(tempfile.mkdtemp(prefix="buurtdekking-pg-"))
    os.chown(data, pwd.getpwnam(SERVER_USER).pw_uid, -1)
    return data


def _stop(data: Path, proc: subprocess.Popen[bytes]) -> None:
    """Fast shutdown by signal to the postmaster itself (``proc`` may be runuser, which need not pass it on)."""
    pid = proc.pid
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((data / "postmaster.pid").read_text().split()[0])
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    shutil.rmtree(data, ignore_errors=True)


def _wait_ready(dsn: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"postgres stopped at start-up:\n{log.read_text(errors='replace')}")
        try:
            with psycopg.connect(dsn, connect_timeout=2):
                return
        except psycopg.OperationalError:
            time.sleep(0.2)
    raise RuntimeError(f"postgres did not accept connections in {timeout:.0f} s:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def postgis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``postgresql://postgres@127.0.0.1:PORT/buurtdekking`` with the postgis extension; removed afterwards."""
    why = _missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    root = tmp_path_factory.mktemp("postgres")
    data = _data_dir(root)
    log = root / "postgres.log"  # written by this process, not the server user
    subprocess.run(
        _as_server_user([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    settings = {
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": "",
        # A throw-away server: durability buys nothing here and costs the shared machine's disk.
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    args = [f"-c{k}={v}" for k, v in settings.items()]
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            _as_server_user([str(PG_BIN / "postgres"), "-D", str(data), *args]), stdout=fh, stderr=subprocess.STDOUT
        )
    try:
        admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        _wait_ready(admin, proc, log)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        url = f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        yield url
    finally:
        _stop(data, proc)
