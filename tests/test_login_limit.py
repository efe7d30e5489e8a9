"""Login back-off (dashboard/ratelimit.py): per account and per client, 429 + Retry-After, doubling to a cap.

Defaults (hand-set, see LimitSettings): 5 wrong passwords per account and 20 per client are checked; the one
that reaches the limit starts a wait of 1 s; each further wrong one (after its wait) doubles it, up to 900 s.
The clock is the limiter's own, set by the tests, so that no test sleeps.
"""

from __future__ import annotations

import base64
import itertools
import logging
from pathlib import Path

import pytest
from care_grid import care_grid_atlas
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from dashboard.ratelimit import LimitSettings, LoginLimiter, SqliteAttemptStore, client_address
from dashboard.security import ConfigError
from dashboard.settings import AppSettings

PASSWORD = "correct horse battery staple"
WRONG = "Tr0ub4dor&3"


def auth(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def app_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    from dashboard.app import create_app

    atlas = care_grid_atlas(tmp_path / "atlas", threshold=10)
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("BUURTDEKKING_AUTH", "basic")
    monkeypatch.setenv("BUURTDEKKING_AUTH_USERS", "anna:" + generate_password_hash(PASSWORD))
    made = []

    def make(clock: Clock | None = None, sessions: str = "", **env: str) -> tuple[FlaskClient, Clock]:
        """A fresh app (a worker) with its own session directory, or the one named ``sessions`` (shared)."""
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / (sessions or f"sessions{len(made)}")))
        app = create_app(atlas)
        clock = clock or Clock()
        limiter = app.server.extensions["buurtdekking_login_limiter"]
        limiter.clock = clock
        made.append(app)
        return app.server.test_client(), clock

    return make


def get(
    client: FlaskClient, headers: dict[str, str], ip: str = "10.0.0.1", **extra: str
) -> tuple[int, str | None, str]:
    resp = client.get("/assets/logo.svg", headers={**headers, **extra}, environ_base={"REMOTE_ADDR": ip})
    body = resp.get_data(as_text=True) if resp.status_code != 200 else ""
    resp.close()  # a file response holds its file open until closed
    return resp.status_code, resp.headers.get("Retry-After"), body


# ---------------------------------------------------------------- the policy


def test_the_wait_doubles_from_the_limit_up_to_the_cap() -> None:
    s = LimitSettings()
    # free = 5: failures 1-4 wait nothing; the 5th 2^0 = 1 s, the 6th 2 s, the 7th 4 s; the 15th 2^10 = 1024 > 900.
    assert [s.wait_after(n, 5) for n in (1, 4, 5, 6, 7, 14, 15, 200)] == [0, 0, 1, 2, 4, 512, 900, 900]


def test_limiter_counts_accounts_and_clients_apart(tmp_path: Path) -> None:
    clock = Clock()
    limiter = LoginLimiter(
        SqliteAttemptStore(tmp_path / "l.sqlite3"), LimitSettings(account_attempts=2, client_attempts=3), clock
    )
    assert limiter.failed(account="anna", client="ip1", session="") == []
    trips = limiter.failed(account="anna", client="ip1", session="")  # 2nd for anna: her limit, wait 1 s
    assert [(t.scope, t.retry_after) for t in trips] == [("account", 1)]
    assert limiter.retry_after(account="anna", client="ip2", session="") == 1  # any client
    assert limiter.retry_after(account="bob", client="ip1", session="") == 0  # ip1 has 2 of its 3
    trips = limiter.failed(account="bob", client="ip1", session="")  # ip1's 3rd: its limit
    assert [(t.scope, t.retry_after) for t in trips] == [("client", 1)]
    assert limiter.retry_after(account="carl", client="ip1", session="") == 1
    clock.now += 1
    assert limiter.retry_after(account="anna", client="ip2", session="") == 0
    limiter.logged_in(account="anna", session="s1")  # resets anna, not ip1
    assert limiter.store.failures("a:anna", now=clock.now, forget_s=86400) == (0, 0.0)
    assert limiter.store.failures("c:ip1", now=clock.now, forget_s=86400)[0] == 3
    clock.now += 86400 + 1  # a day later every counter is forgotten
    assert limiter.store.failures("c:ip1", now=clock.now, forget_s=86400) == (0, 0.0)


def test_the_counter_is_shared_by_two_stores_on_one_file(tmp_path: Path) -> None:
    # Two workers are two processes with their own connection to the same file: here, two stores.
    one, two = SqliteAttemptStore(tmp_path / "l.sqlite3"), SqliteAttemptStore(tmp_path / "l.sqlite3")
    assert one.fail("a:x", now=10.0, forget_s=100) == 1
    assert two.fail("a:x", now=11.0, forget_s=100) == 2
    assert one.failures("a:x", now=12.0, forget_s=100) == (2, 11.0)


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", "", "203.0.113.9"),  # no proxy configured: the header is anyone's
        ("203.0.113.9", "198.51.100.1", "127.0.0.1", "203.0.113.9"),  # not from our proxy: ignored
        ("127.0.0.1", "198.51.100.1", "127.0.0.1", "198.51.100.1"),
        # The client wrote "1.1.1.1, " itself; our proxy appended what it saw: the last hop not ours counts.
        ("127.0.0.1", "1.1.1.1, 198.51.100.1", "127.0.0.1", "198.51.100.1"),
        ("127.0.0.1", "198.51.100.1, 10.0.0.5", "127.0.0.1,10.0.0.0/8", "198.51.100.1"),
        ("127.0.0.1", "junk", "127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1", "127.0.0.1"),
    ],
)
def test_client_address(remote: str, forwarded: str, trusted: str, expected: str) -> None:
    settings = AppSettings.from_environ({"BUURTDEKKING_TRUSTED_PROXIES": trusted}).limits
    assert client_address(remote, forwarded, settings.trusted_proxies) == expected


@pytest.mark.parametrize(
    "env",
    [
        {"BUURTDEKKING_TRUSTED_PROXIES": "proxy.local"},
        {"BUURTDEKKING_LOGIN_ATTEMPTS": "0"},
        {"BUURTDEKKING_LOGIN_MAX_WAIT": "²"},
    ],
)
def test_bad_limit_settings_stop_the_app(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=next(iter(env))):
        AppSettings.from_environ(env)


# ---------------------------------------------------------------- through the app


def test_400_wrong_passwords_then_the_right_one(app_factory: object) -> None:
    client, clock = app_factory()  # type: ignore[operator]
    answers = [get(client, auth("anna", WRONG)) for _ in range(400)]
    statuses = [a[0] for a in answers]
    # Hand-derived: 5 are checked (401); the 5th starts a 1 s wait; the clock stands still, so the other 395 wait.
    assert statuses == [401] * 5 + [429] * 395
    assert {a[1] for a in answers[5:]} == {"1"}
    assert "probeer het over 1 seconden opnieuw" in answers[5][2]
    assert "try again in 1 seconds" in answers[5][2]
    # The right password during the wait is not even checked.
    assert get(client, auth("anna", PASSWORD))[:2] == (429, "1")
    clock.now += 1
    assert get(client, auth("anna", PASSWORD))[0] == 200
    # That login reset anna's counter: five more wrong ones are checked again.
    assert [get(client, auth("anna", WRONG), ip="10.0.0.2")[0] for _ in range(6)] == [401] * 5 + [429]


def test_each_wrong_password_after_a_wait_doubles_the_next(app_factory: object) -> None:
    client, clock = app_factory()  # type: ignore[operator]
    for _ in range(5):
        get(client, auth("anna", WRONG))
    waits = []
    for _ in range(12):
        status, retry, _ = get(client, auth("anna", WRONG))
        assert status == 429
        waits.append(int(retry or 0))
        clock.now += waits[-1]
        assert get(client, auth("anna", WRONG))[0] == 401  # after the wait: checked (and wrong again)
    # 1, 2, 4 … 512, then the cap of 900 s.
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]


def test_retry_after_is_what_is_left_of_the_wait_rounded_up(app_factory: object) -> None:
    client, clock = app_factory()  # type: ignore[operator]
    assert [get(client, auth("anna", WRONG))[0] for _ in range(5)] == [401] * 5  # the 5th starts 1 s
    clock.now += 1
    assert get(client, auth("anna", WRONG))[0] == 401  # the 6th, checked after the wait: 2^1 = 2 s from now
    clock.now += 0.5
    assert get(client, auth("anna", PASSWORD))[:2] == (429, "2")  # 1.5 s left: rounded up, never down to 0
    clock.now += 1.0
    assert get(client, auth("anna", PASSWORD))[:2] == (429, "1")  # 0.5 s left
    clock.now += 0.5
    assert get(client, auth("anna", PASSWORD))[0] == 200  # exactly 2 s after the 6th


def test_the_issues_attack_400_wrong_in_22_6_s_then_the_right_one(app_factory: object) -> None:
    client, clock = app_factory()  # type: ignore[operator]
    start, step = clock.now, 22.6 / 400  # 56.5 ms apart, as measured in the reported attack
    statuses = []
    for k in range(400):
        clock.now = start + k * step
        statuses.append(get(client, auth("anna", WRONG))[0])
    # Hand-derived (attempt k at t = 0.0565 k s; a checked wrong one at t starts a wait of 1, 2, 4, 8, 16 s):
    #   k = 0-4 checked, the 5th (k=4, t=0.226) waits 1 s, to 1.226; next checked k = ceil(1.226/0.0565) = 22 (t=1.243),
    #   waits 2 s, to 3.243: k = 58 (t=3.277), 4 s, to 7.277: k = 129 (t=7.2885), 8 s, to 15.2885: k = 271 (t=15.3115),
    #   16 s, to 31.3115 — past the attack. 9 guesses in all instead of 400.
    checked = [k for k, status in enumerate(statuses) if status == 401]
    assert checked == [0, 1, 2, 3, 4, 22, 58, 129, 271]
    assert all(status == 429 for k, status in enumerate(statuses) if k not in checked)
    # The right password at 22.6 s is refused unchecked: ceil(31.3115 - 22.6) = ceil(8.7115) = 9 s to go.
    clock.now = start + 22.6
    assert get(client, auth("anna", PASSWORD))[:2] == (429, "9")
    clock.now = start + 15.3115 + 16
    assert get(client, auth("anna", PASSWORD))[0] == 200


def test_two_workers_over_one_session_directory_share_the_counts(app_factory: object) -> None:
    clock = Clock()
    one, _ = app_factory(clock, sessions="shared")  # type: ignore[operator]
    two, _ = app_factory(clock, sessions="shared")  # type: ignore[operator]
    assert one.application is not two.application
    # Hand-derived: the wrong passwords alternate between the workers; the 5th in all (on worker one) trips anna.
    assert [get(w, auth("anna", WRONG))[0] for w in (one, two, one, two, one)] == [401] * 5
    assert get(two, auth("anna", PASSWORD), ip="10.0.0.9")[:2] == (429, "1")  # the other worker knows
    clock.now += 1
    assert get(two, auth("anna", PASSWORD), ip="10.0.0.9")[0] == 200  # logs in through worker two: resets anna
    assert [get(one, auth("anna", WRONG))[0] for _ in range(5)] == [401] * 5  # worker one sees the reset
    assert get(one, auth("anna", WRONG))[0] == 429
    # The client limit is shared too: 10.0.0.1 has 10 of its 20; 10 more for other accounts, spread over both.
    assert [get((one, two)[n % 2], auth(f"u{n}", WRONG))[0] for n in range(10)] == [401] * 10
    assert get(two, auth("u99", WRONG))[:2] == (429, "1")


def test_unknown_accounts_get_exactly_the_same_answers(app_factory: object) -> None:
    client, _ = app_factory()  # type: ignore[operator]
    known = [get(client, auth("anna", WRONG), ip="10.0.0.1") for _ in range(8)]
    unknown = [get(client, auth("mallory", WRONG), ip="10.0.0.2") for _ in range(8)]
    assert known == unknown


def test_one_client_trying_many_accounts_is_held_back(app_factory: object) -> None:
    client, _ = app_factory()  # type: ignore[operator]
    statuses = [get(client, auth(f"user{n}", WRONG), ip="10.0.0.7")[0] for n in range(25)]
    assert statuses == [401] * 20 + [429] * 5  # the 20th reached the client limit
    assert get(client, auth("user99", WRONG), ip="10.0.0.8")[0] == 401  # another client is not


def test_x_forwarded_for_counts_only_behind_a_trusted_proxy(app_factory: object) -> None:
    client, _ = app_factory()  # type: ignore[operator]
    # Without a trusted proxy a client cannot escape its limit by inventing addresses.
    statuses = [
        get(client, auth(f"u{n}", WRONG), ip="10.0.0.7", **{"X-Forwarded-For": f"198.51.100.{n}"})[0] for n in range(21)
    ]
    assert statuses[-1] == 429
    client, _ = app_factory(BUURTDEKKING_TRUSTED_PROXIES="127.0.0.1")  # type: ignore[operator]
    # Behind the proxy, the clients it names are counted apart: 21 clients with one attempt each.
    statuses = [
        get(client, auth(f"u{n}", WRONG), ip="127.0.0.1", **{"X-Forwarded-For": f"198.51.100.{n}"})[0]
        for n in range(21)
    ]
    assert statuses == [401] * 21


def test_a_browser_logged_in_before_the_attack_keeps_working(app_factory: object) -> None:
    planner, _ = app_factory()  # type: ignore[operator]
    assert get(planner, auth("anna", PASSWORD), ip="10.0.0.1")[0] == 200  # logs in: a session remembered
    attacker = planner.application.test_client()
    assert [get(attacker, auth("anna", WRONG), ip="10.9.9.9")[0] for _ in range(7)] == [401] * 5 + [429] * 2
    assert get(planner, auth("anna", PASSWORD), ip="10.0.0.1")[0] == 200  # still in
    # A wrong password from that session costs it its standing: then it waits like anyone else.
    assert get(planner, auth("anna", WRONG), ip="10.0.0.1")[0] == 401
    assert get(planner, auth("anna", PASSWORD), ip="10.0.0.1")[0] == 429


def test_logins_and_trips_are_logged_without_names_or_passwords(
    app_factory: object, caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = app_factory()  # type: ignore[operator]
    logger = logging.getLogger("buurtdekking")
    logger.addHandler(caplog.handler)  # the app's logger does not propagate (one line per event)
    try:
        get(client, auth("anna", PASSWORD))
        get(client, auth("anna", PASSWORD))  # the same session: no second login line
        for _ in range(6):
            get(client, auth("anna", WRONG), ip="10.0.0.3")
    finally:
        logger.removeHandler(caplog.handler)
    events = [r.getMessage() for r in caplog.records]
    assert events == ["login_ok"] + ["login_failed"] * 4 + ["login_rate_limited", "login_failed"]
    text = "\n".join(caplog.handler.format(r) + repr(getattr(r, "fields", {})) for r in caplog.records)
    for secret in ("anna", PASSWORD, WRONG, "10.0.0.3", "10.0.0.1"):
        assert secret not in text
    trip = next(r for r in caplog.records if r.getMessage() == "login_rate_limited")
    assert trip.fields["scope"] == "account"  # type: ignore[attr-defined]
    assert trip.fields["retry_after_s"] == 1  # type: ignore[attr-defined]
    failed = [r for r in caplog.records if r.getMessage() == "login_failed"]
    # The same account and client give the same pseudonyms; the planner's client another one.
    assert len({r.fields["user"] for r in failed}) == 1  # type: ignore[attr-defined]
    assert caplog.records[0].fields["user"] == failed[0].fields["user"]  # type: ignore[attr-defined]
    assert caplog.records[0].fields["client"] != failed[0].fields["client"]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- two gunicorn workers


@pytest.mark.slow
def test_two_gunicorn_workers_share_the_back_off(tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import time
    import urllib.error
    import urllib.request

    from conftest import ARTIFACTS, REPO, free_port, gunicorn_command

    atlas = care_grid_atlas(tmp_path / "atlas", threshold=10)
    port = free_port()
    env = {
        **os.environ,
        "BUURTDEKKING_ATLAS": str(atlas),
        "BUURTDEKKING_SESSION_DIR": str(tmp_path / "sessions"),
        "BUURTDEKKING_CACHE": str(tmp_path / "cache"),
        "BUURTDEKKING_AUTH": "basic",
        "BUURTDEKKING_AUTH_USERS": "anna:" + generate_password_hash(PASSWORD),
        "BUURTDEKKING_LOG_LEVEL": "DEBUG",
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / f"gunicorn-login-{port}.log"
    cmd = gunicorn_command(port)
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/assets/logo.svg"

    def status(password: str | None) -> tuple[int, str | None]:
        request = urllib.request.Request(url, headers=auth("anna", password) if password is not None else {})
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return resp.status, None
        except urllib.error.HTTPError as err:
            err.close()
            return err.code, err.headers.get("Retry-After")

    def stall() -> socket.socket:
        """A connection with half a request: the sync worker that accepts it waits for the rest."""
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(b"GET /assets/logo.svg HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        return sock

    try:
        deadline = time.monotonic() + 120
        while True:  # both workers up: each logs its boot; any answer (a 401) means one listens
            booted = log.read_text().count("Booting worker")
            if booted >= 2:
                try:
                    status(None)  # no credentials: not an attempt
                    break
                except OSError:
                    pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.25)
        # Two sync workers answer one request at a time each, and the kernel may hand every connection to the same
        # one. A half-sent request holds one worker, so the next attempt is answered by the other; holding that one
        # in turn and releasing the first makes the attempts alternate between the workers.
        held = stall()
        answers, times = [], []
        for _ in range(30):
            sent = time.monotonic()
            answers.append(status(WRONG))
            times.append((sent, time.monotonic()))
            other = stall()
            time.sleep(0.05)  # taken by the worker that just answered, before the held one is let go
            held.close()
            held = other
        held.close()
        sent = time.monotonic()
        right = status(PASSWORD)
        right_time = (sent, time.monotonic())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    lines = log.read_text().splitlines()
    # Hand-derived: 5 wrong ones checked, then the 1 s wait; the next one waits. Under load 25 requests can take
    # longer than a second, so a later one may be checked again, but only once the wait since the previous
    # checked one (at least 1 s, doubling) can have passed: never two checked within a second.
    codes = [a[0] for a in answers]
    assert codes[:6] == [401] * 5 + [429], lines
    assert set(codes) == {401, 429}, lines
    checked = [i for i, c in enumerate(codes) if c == 401][4:]
    for before, after in itertools.pairwise(checked):
        assert times[after][1] - times[before][0] >= 1.0, (times[before], times[after])
    if right_time[1] - times[checked[-1]][0] < 1.0:  # the right one within the wait: refused, told to wait
        assert right[0] == 429, right
        assert 1 <= int(right[1] or 0) <= 900, right
    # Both workers answered: the count was theirs together, not one worker's own.
    pids = {line.split()[2] for line in lines if " login_failed " in line or " login_wait " in line}
    assert len(pids) == 2, lines
