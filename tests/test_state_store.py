"""Per-user state, cached work and the login back-off, on this machine and in Redis: the same answers from both.

Every store test runs on the disk store and on the Redis store (a throw-away redis-server, tests/engines_redis.py);
the app tests run two app instances (two hosts) on one Redis and check that a session's upload follows its
cookie from one to the other, never to another session.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import redis
from care_grid import care_grid_atlas
from dash import Dash
from flask.testing import FlaskClient
from shapely.geometry import Point, box
from werkzeug.security import generate_password_hash

from dashboard.errors import ConfigError
from dashboard.ratelimit import AttemptStore, LimitSettings, LoginLimiter, SqliteAttemptStore
from dashboard.redis_store import (
    RedisAttemptStore,
    RedisSessionStore,
    connect,
    redacted,
)
from dashboard.session import SessionStore, StateStore, session_digest
from dashboard.settings import AppSettings
from dashboard.uploads import PENDING, applied, apply, pending, remove, stage
from etl.upload import UploadLimits, check_upload
from views import cache as work_cache
from views.cache import DiskCache, RedisCache, WorkCache
from views.geometry import build_layer, cached_layer
from views.i18n import t
from views.protection import publish_tables_cached

KEY = b"k" * 32
COOKIE = "buurtdekking_sessie"
SECRET = "een-gedeelde-sleutel-voor-alle-servers"
TEAMS = b"team_id;naam;organisatie;soort;x;y\r\nT1;Team Een;Lokalis;buurtteam;136050;455050\r\n"


def dead_url() -> str:
    """A Redis address nothing listens on (a port just freed)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def make_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest, ttl_s: int = 3600) -> StateStore:
    if kind == "disk":
        return SessionStore(root=tmp_path / "sessions", key=KEY, ttl_s=ttl_s)
    client: redis.Redis = request.getfixturevalue("redis_db")
    return RedisSessionStore(client=client, key=KEY, ttl_s=ttl_s)


@pytest.fixture(params=["disk", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> StateStore:
    return make_store(request.param, tmp_path, request)


def _ok(df: pd.DataFrame, name: str) -> pd.DataFrame:
    return df.copy()


# ---------------------------------------------------------------- the state store


def test_two_sessions_never_see_each_other(store: StateStore) -> None:
    frame = pd.DataFrame({"buurtcode": ["BU1", "BU2"], "aantal": [12, 7]})
    store.put("alice-session-0001", "applied-caseloads", frame, {"name": "a.csv"})
    store.put("bob-session-000002", "pending-teams", pd.DataFrame({"team_id": ["T9"]}), {"name": "b.csv"})
    got = store.get("alice-session-0001", "applied-caseloads")
    assert got is not None
    pd.testing.assert_frame_equal(got[0], frame)
    assert got[1]["name"] == "a.csv"
    assert store.get("bob-session-000002", "applied-caseloads") is None
    assert set(store.meta("alice-session-0001")) == {"applied-caseloads"}
    assert set(store.meta("bob-session-000002")) == {"pending-teams"}
    store.delete("alice-session-0001")
    assert store.meta("alice-session-0001") == {}
    assert set(store.meta("bob-session-000002")) == {"pending-teams"}  # one session's end leaves the other alone


def test_geodataframes_keep_geometry_and_crs(store: StateStore) -> None:
    gdf = gpd.GeoDataFrame({"team_id": ["T1"]}, geometry=[Point(136000, 455000)], crs="EPSG:28992")
    store.put("s-0000000000000001", "applied-teams", gdf, {})
    got = store.get("s-0000000000000001", "applied-teams")
    assert got is not None
    assert isinstance(got[0], gpd.GeoDataFrame)
    assert got[0].crs.to_epsg() == 28992
    assert (got[0].geometry.x.iloc[0], got[0].geometry.y.iloc[0]) == (136000.0, 455000.0)


def test_replacing_and_deleting_one_slot(store: StateStore) -> None:
    sid = "s-0000000000000002"
    store.put(sid, "pending-teams", pd.DataFrame({"a": [1]}), {"n": 1})
    store.put(sid, "pending-teams", pd.DataFrame({"a": [2, 3]}), {"n": 2})
    store.put(sid, "applied-teams", pd.DataFrame({"a": [4]}), {"n": 3})
    got = store.get(sid, "pending-teams")
    assert got is not None
    assert got[0]["a"].tolist() == [2, 3]
    assert got[1]["n"] == 2
    store.delete(sid, "pending-teams")
    assert store.get(sid, "pending-teams") is None
    assert set(store.meta(sid)) == {"applied-teams"}


@pytest.mark.parametrize("slot", ["../x", "a/b", "", "X", "a" * 60])
def test_slot_names_cannot_escape(store: StateStore, slot: str) -> None:
    with pytest.raises(ValueError, match="invalid slot"):
        store.put("s-0000000000000003", slot, pd.DataFrame(), {})


@pytest.mark.parametrize("kind", ["disk", "redis"])
def test_idle_state_expires_and_use_keeps_it(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    store = make_store(kind, tmp_path, request, ttl_s=2)
    store.put("used-000000000001", "applied-teams", pd.DataFrame({"a": [1]}), {})
    store.put("idle-000000000001", "applied-teams", pd.DataFrame({"a": [1]}), {})
    time.sleep(1.2)
    assert store.get("used-000000000001", "applied-teams") is not None  # a use restarts its clock
    time.sleep(1.2)  # 2.4 s after both were stored: only the one used 1.2 s ago is left
    assert store.get("idle-000000000001", "applied-teams") is None
    assert store.meta("idle-000000000001") == {}
    assert store.meta("used-000000000001") != {}
    time.sleep(2.3)
    assert store.get("used-000000000001", "applied-teams") is None
    store.purge_expired()
    assert store.meta("used-000000000001") == {}


def test_redis_keys_are_namespaced_per_session_and_expire(redis_db: redis.Redis) -> None:
    store = RedisSessionStore(client=redis_db, key=KEY, ttl_s=600)
    sid = "my-secret-session-id-0001"
    store.put(sid, "pending-teams", pd.DataFrame({"a": [1]}), {})
    keys = sorted(k.decode() for k in redis_db.keys("*"))
    digest = session_digest(KEY, sid)
    assert keys == [f"buurtdekking:{{{digest}}}:frames", f"buurtdekking:{{{digest}}}:meta"]
    assert not any(sid in k for k in keys)  # the cookie's value is not readable from Redis
    assert all(0 < redis_db.ttl(k) <= 600 for k in keys)
    assert b"PAR1" in (redis_db.hget(keys[0], "pending-teams") or b"")[:4]  # Parquet, never pickle
    # Another secret (another deployment on the same Redis) names the same session differently.
    other = RedisSessionStore(client=redis_db, key=b"x" * 32, ttl_s=600)
    assert other.meta(sid) == {}


def test_the_upload_flow_is_the_same_on_both_stores(store: StateStore) -> None:
    sid = "s-0000000000000004"
    bad = check_upload(b"team_id;naam\nT1;=1+1\n", name="t.csv", kind="teams", validate=_ok)
    assert stage(store, sid, bad) is False
    assert store.meta(sid) == {}
    good = check_upload(b"team_id;naam\nT1;Zuilen\n", name="t.csv", kind="teams", validate=_ok)
    assert stage(store, sid, good) is True
    assert set(store.meta(sid)) == {PENDING + "teams"}
    assert apply(store, sid, "teams") is True
    assert applied(store, sid)["teams"]["sha256"] == good.sha256
    assert pending(store, sid) == {}
    assert applied(store, "s-0000000000000005") == {}
    remove(store, sid, "teams")
    assert applied(store, sid) == {}


@pytest.mark.parametrize(
    ("limits", "data", "code"),
    [
        (UploadLimits(max_bytes=40), b"team_id;naam\n" + b"T1;Zuilen\n" * 5, "UPLOAD_TOO_LARGE"),
        (UploadLimits(max_rows=3), b"team_id;naam\n" + b"T1;Zuilen\n" * 4, "TABLE_TOO_MANY_ROWS"),
        (UploadLimits(max_columns=2), b"a;b;c\n1;2;3\n", "TABLE_TOO_MANY_COLUMNS"),
    ],
)
def test_size_limits_refuse_before_anything_is_stored(
    store: StateStore, limits: UploadLimits, data: bytes, code: str
) -> None:
    sid = "s-0000000000000006"
    kept = check_upload(b"team_id;naam\nT1;Zuilen\n", name="ok.csv", kind="teams", validate=_ok)
    assert stage(store, sid, kept)
    before = store.meta(sid)
    report = check_upload(data, name="groot.csv", kind="teams", validate=_ok, limits=limits)
    assert code in [p.code for p in report.problems]
    assert stage(store, sid, report) is False
    assert store.meta(sid) == before  # the earlier upload is still what is pending


# ---------------------------------------------------------------- cached work


@pytest.fixture(params=["disk", "redis"])
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WorkCache]:
    made: WorkCache = (
        DiskCache(tmp_path / "cache") if request.param == "disk" else RedisCache(request.getfixturevalue("redis_db"))
    )
    work_cache.use_cache(made)
    yield made
    work_cache.use_cache(None)


def test_cache_keeps_bytes_by_key(cache: WorkCache) -> None:
    assert cache.get("tables/none") is None
    cache.put("tables/one.parquet", b"\x00\x01two")
    assert cache.get("tables/one.parquet") == b"\x00\x01two"
    cache.put("tables/one.parquet", b"three")
    assert cache.get("tables/one.parquet") == b"three"
    for bad in ("../etc/passwd", "/abs", "a//b", ".hidden", ""):
        with pytest.raises(ValueError, match="invalid cache key"):
            cache.get(bad)


def test_a_redis_cache_that_is_down_is_a_miss() -> None:
    down = RedisCache(redis.Redis.from_url(dead_url(), socket_connect_timeout=0.2))
    down.put("x/y", b"1")  # no error: the work is just not kept
    assert down.get("x/y") is None


def _caseloads() -> dict[str, pd.DataFrame]:
    return {
        "caseloads_buurt": pd.DataFrame(
            {
                "buurtcode": ["BU99990101", "BU99990102", "BU99990103", "BU99990104"],
                "periode": ["2024"] * 4,
                "soort": ["totaal"] * 4,
                "aantal": [12.0, 3.0, 20.0, 8.0],
            }
        )
    }


def test_published_tables_are_computed_once_per_atlas(cache: WorkCache, monkeypatch: pytest.MonkeyPatch) -> None:
    first = publish_tables_cached(_caseloads(), atlas_sha256="ab" * 32, threshold=5)
    assert "caseloads_buurt" in first
    # 3 < 5 is hidden, and 8 with it (else the gemeente total would give the 3 back).
    assert first["caseloads_buurt"]["aantal"].isna().tolist() == [False, True, False, True]
    assert cache.get(f"{'ab' * 16}-t5/tables.txt") is not None

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("protected again although the cache holds the result")

    monkeypatch.setattr("views.protection.publish_tables", refuse)
    again = publish_tables_cached(_caseloads(), atlas_sha256="ab" * 32, threshold=5)
    pd.testing.assert_frame_equal(again["caseloads_buurt"], first["caseloads_buurt"].reset_index(drop=True))
    with pytest.raises(AssertionError, match="protected again"):
        publish_tables_cached(_caseloads(), atlas_sha256="cd" * 32, threshold=5)  # another atlas: not cached


def test_map_layers_come_back_from_the_cache_byte_for_byte(cache: WorkCache, monkeypatch: pytest.MonkeyPatch) -> None:
    gdf = gpd.GeoDataFrame(
        {"buurtcode": ["BU1", "BU2"], "buurtnaam": ["Een", "Twee"]},
        geometry=[box(136000, 455000, 136100, 455100), box(136100, 455000, 136200, 455100)],
        crs="EPSG:28992",
    )
    built = build_layer(gdf, level="buurt", code_column="buurtcode", name_column="buurtnaam")
    first = cached_layer(gdf, atlas_sha256="ef" * 32, level="buurt", code_column="buurtcode", name_column="buurtnaam")
    monkeypatch.setattr("views.geometry.build_layer", lambda *a, **k: pytest.fail("built again"))
    again = cached_layer(gdf, atlas_sha256="ef" * 32, level="buurt", code_column="buurtcode", name_column="buurtnaam")
    for layer in (first, again):
        assert layer.geojson_bytes == built.geojson_bytes
        assert layer.geojson_gzip == built.geojson_gzip
        assert layer.geometries == built.geometries
        assert (layer.codes, layer.names, layer.tolerance_m) == (built.codes, built.names, built.tolerance_m)
        assert (layer.bounds == built.bounds).all()
        assert (layer.label_points == built.label_points).all()


def test_two_hosts_share_the_redis_cache(redis_url: str, redis_db: redis.Redis) -> None:
    one, two = RedisCache(redis.Redis.from_url(redis_url)), RedisCache(redis.Redis.from_url(redis_url))
    one.put("layers/x/buurt", b"payload")
    assert two.get("layers/x/buurt") == b"payload"
    assert 0 < redis_db.ttl("buurtdekking:cache:layers/x/buurt") <= work_cache.REDIS_TTL_S


# ---------------------------------------------------------------- the login back-off


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "redis"])
def attempts(request: pytest.FixtureRequest, tmp_path: Path) -> AttemptStore:
    if request.param == "sqlite":
        return SqliteAttemptStore(tmp_path / "l.sqlite3")
    return RedisAttemptStore(request.getfixturevalue("redis_db"))


def second_store(attempts: AttemptStore) -> AttemptStore:
    """Another worker or host over the same counters."""
    if isinstance(attempts, SqliteAttemptStore):
        return SqliteAttemptStore(attempts.path)
    assert isinstance(attempts, RedisAttemptStore)
    pool = attempts.client.connection_pool.connection_kwargs
    return RedisAttemptStore(redis.Redis(host=pool["host"], port=pool["port"], db=pool.get("db", 0)))


def test_the_back_off_policy_is_the_same_on_both_stores(attempts: AttemptStore) -> None:
    clock = Clock()
    limiter = LoginLimiter(attempts, LimitSettings(account_attempts=2, client_attempts=3), clock)
    assert limiter.failed(account="anna", client="ip1", session="") == []
    trips = limiter.failed(account="anna", client="ip1", session="")
    assert [(t.scope, t.retry_after) for t in trips] == [("account", 1)]
    assert limiter.retry_after(account="anna", client="ip2", session="") == 1
    assert limiter.retry_after(account="bob", client="ip1", session="") == 0
    trips = limiter.failed(account="bob", client="ip1", session="")
    assert [(t.scope, t.retry_after) for t in trips] == [("client", 1)]
    clock.now += 1
    assert limiter.retry_after(account="anna", client="ip2", session="") == 0
    limiter.logged_in(account="anna", session="s1")
    assert attempts.failures("a:anna", now=clock.now, forget_s=86400) == (0, 0.0)
    assert attempts.failures("c:ip1", now=clock.now, forget_s=86400) == (3, clock.now - 1)
    assert attempts.known_session("anna", "s1", now=clock.now, forget_s=86400)
    limiter.failed(account="anna", client="ip1", session="s1")  # a wrong password loses the session's standing
    assert not attempts.known_session("anna", "s1", now=clock.now, forget_s=86400)
    clock.now += 86400 + 1
    assert attempts.failures("c:ip1", now=clock.now, forget_s=86400) == (0, 0.0)
    assert attempts.fail("c:ip1", now=clock.now, forget_s=86400) == 1  # forgotten: counting starts again


def test_concurrent_attempts_are_each_counted_once(attempts: AttemptStore) -> None:
    stores = [attempts, second_store(attempts)]
    counts: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        store = stores[n % 2]
        start.wait()
        for i in range(25):
            got = store.fail("a:target", now=100.0 + i / 1000, forget_s=3600)
            with lock:
                counts.append(got)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == list(range(1, 201))  # no count lost, none given twice
    assert attempts.failures("a:target", now=101.0, forget_s=3600)[0] == 200


def test_redis_login_keys_expire_by_themselves(redis_db: redis.Redis) -> None:
    store = RedisAttemptStore(redis_db, keep_s=600)
    store.fail("a:x", now=10.0, forget_s=300)
    store.remember_session("x", "s", now=10.0)
    assert 0 < redis_db.ttl("buurtdekking:login:attempt:a:x") <= 300
    assert 0 < redis_db.ttl("buurtdekking:login:session:x:s") <= 600


# ---------------------------------------------------------------- configuration


def _redis_url(env: dict[str, str]) -> str | None:
    return AppSettings.from_environ({**env, "BUURTDEKKING_SECRET_KEY": SECRET}).redis_url


@pytest.mark.parametrize(
    "url", ["localhost:6379", "http://127.0.0.1:6379", "redis://", "redis://h:notaport/0", "redis://h:6379/x"]
)
def test_a_bad_redis_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="BUURTDEKKING_REDIS") as err:
        _redis_url({"BUURTDEKKING_REDIS": url})
    assert "geen Redis-adres" in str(err.value)
    assert "not a Redis address" in str(err.value)


def test_redis_url_unset_means_the_local_stores() -> None:
    assert _redis_url({}) is None
    assert _redis_url({"BUURTDEKKING_REDIS": " "}) is None
    assert _redis_url({"BUURTDEKKING_REDIS": "redis://r:6379/2"}) == "redis://r:6379/2"
    assert _redis_url({"BUURTDEKKING_REDIS": "unix:///run/redis.sock"}) == "unix:///run/redis.sock"


def test_redis_down_at_start_says_so_without_the_password() -> None:
    url = dead_url().replace("redis://", "redis://app:geheim@")
    with pytest.raises(ConfigError, match="antwoordt niet") as err:
        connect(url)
    assert "does not answer" in str(err.value)
    assert "geheim" not in str(err.value)
    assert redacted(url).startswith("redis://app:***@127.0.0.1:")


@pytest.mark.slow
def test_gunicorn_stops_with_the_message_when_redis_does_not_answer(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from conftest import REPO, free_port

    env = {
        **os.environ,
        "BUURTDEKKING_ATLAS": str(tmp_path / "no-atlas"),
        "BUURTDEKKING_SESSION_DIR": str(tmp_path / "s"),
        "BUURTDEKKING_REDIS": dead_url(),
        "BUURTDEKKING_SECRET_KEY": SECRET,
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    cmd = [gunicorn, "--workers", "1", "--bind", f"127.0.0.1:{free_port()}", "dashboard.wsgi:server"]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "buurtdekking: BUURTDEKKING_REDIS: Redis op redis://127.0.0.1:" in out, out
    assert "does not answer; start Redis or unset BUURTDEKKING_REDIS" in out
    assert "Traceback" not in out, out


def _app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str) -> Path:
    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("BUURTDEKKING_REDIS", url)
    monkeypatch.setenv("BUURTDEKKING_SECRET_KEY", SECRET)
    return care_grid_atlas(tmp_path / "atlas", threshold=None)


@pytest.fixture
def redis_apps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str, redis_db: redis.Redis) -> Iterator[Any]:
    from dashboard.app import create_app

    atlas = _app_env(monkeypatch, tmp_path, redis_url)
    made: list[Dash] = []

    def host() -> Dash:
        """A fresh app with a session directory of its own: all it shares with another host is Redis."""
        monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / f"sessions-{len(made)}"))
        app = create_app(atlas)
        assert isinstance(app.server.extensions["buurtdekking_sessions"], RedisSessionStore)
        made.append(app)
        return app

    yield host
    work_cache.use_cache(None)


def test_redis_without_an_explicit_secret_key_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    from dashboard.app import create_app

    atlas = _app_env(monkeypatch, tmp_path, redis_url)
    monkeypatch.delenv("BUURTDEKKING_SECRET_KEY")
    try:
        with pytest.raises(ConfigError, match="BUURTDEKKING_SECRET_KEY") as err:
            create_app(atlas)
    finally:
        work_cache.use_cache(None)
    assert "dezelfde sleutel" in str(err.value)
    assert "the same key" in str(err.value)


# ---------------------------------------------------------------- two hosts on one Redis


def _callback(app: Dash, client: FlaskClient, input_id: str, values: dict[str, Any]) -> Any:
    """POST the callback whose first input is ``input_id`` as Dash's renderer would; ``values`` by id.property."""
    client.get("/assets/logo.svg").close()  # Dash fills its callback map on the first request
    key, cb = next((k, v) for k, v in app.callback_map.items() if v["inputs"] and v["inputs"][0]["id"] == input_id)
    outputs = cb["output"] if isinstance(cb["output"], list | tuple) else [cb["output"]]

    def sent(dep: dict[str, str]) -> Any:
        # A pattern (ALL) dependency is sent as the list of its matches: none on this page yet.
        return [] if dep["id"].startswith("{") else {**dep, "value": values.get(f"{dep['id']}.{dep['property']}")}

    body = {
        "output": key,
        "outputs": [{"id": o.component_id_str(), "property": o.component_property} for o in outputs],
        "inputs": [sent(d) for d in cb["inputs"]],
        "state": [sent(d) for d in cb["state"]],
        "changedPropIds": [f"{input_id}.{cb['inputs'][0]['property']}"],
    }
    return client.post("/_dash-update-component", json=body, headers={"Referer": "http://localhost/eigen-gegevens"})


def _upload(app: Dash, client: FlaskClient, name: str) -> Any:
    contents = "data:text/csv;base64," + base64.b64encode(TEAMS).decode()
    values = {
        "upload-drop.contents": contents,
        "upload-drop.filename": name,
        "upload-kind.value": "teams",
        "upload-lang.data": "nl",
    }
    return _callback(app, client, "upload-drop", values)


def _pending_for(app: Dash, cookie: str | None) -> dict[str, Any]:
    from dashboard.session import current_sid, current_store

    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    with app.server.test_request_context("/", headers=headers):
        return pending(current_store(), current_sid())


def _own_data_layout(host: Dash, client: FlaskClient) -> str:
    """The own-data page as the host renders it for this browser (the layout with the page in it)."""
    resp = client.get("/_dash-layout", headers={"Referer": "http://localhost/eigen-gegevens"})
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_an_upload_on_one_host_is_seen_on_another_for_the_same_cookie_only(redis_apps: Any) -> None:
    # Dash hands a page's callbacks to the first app of a process only: host A runs them, host B (a fresh
    # create_app on the same Redis and secret) serves pages and reads the store, as a second machine would.
    host_a, host_b = redis_apps(), redis_apps()
    browser = host_a.server.test_client()
    resp = _upload(host_a, browser, "eigen-teams.csv")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "eigen-teams.csv" in resp.get_data(as_text=True)
    cookie = browser.get_cookie(COOKIE)
    assert cookie is not None

    assert _pending_for(host_b, cookie.value)["teams"]["name"] == "eigen-teams.csv"
    # Apply, from another client that only has the cookie; host B's page then lists the applied file.
    same_browser = host_a.server.test_client()
    same_browser.set_cookie(COOKIE, cookie.value)
    resp = _callback(host_a, same_browser, "upload-apply", {"upload-apply.n_clicks": 1, "upload-offered.data": "teams"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    on_b = host_b.server.test_client()
    on_b.set_cookie(COOKIE, cookie.value)
    assert "eigen-teams.csv" in _own_data_layout(host_b, on_b)
    assert _pending_for(host_b, cookie.value) == {}

    # A different browser (no cookie, or a cookie of its own) never sees it, on either host.
    assert _pending_for(host_b, None) == {}
    stranger = host_b.server.test_client()
    assert "eigen-teams.csv" not in _own_data_layout(host_b, stranger)
    own = stranger.get_cookie(COOKIE)
    assert own is not None
    assert own.value != cookie.value
    for host in (host_a, host_b):
        with host.server.test_request_context("/", headers={"Cookie": f"{COOKIE}={own.value}"}):
            from dashboard.session import current_sid, current_store

            assert current_store().meta(current_sid()) == {}


def test_a_host_with_another_secret_does_not_see_the_session(redis_apps: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    host_a = redis_apps()
    browser = host_a.server.test_client()
    assert _upload(host_a, browser, "eigen-teams.csv").status_code == 200
    cookie = browser.get_cookie(COOKIE)
    assert cookie is not None
    monkeypatch.setenv("BUURTDEKKING_SECRET_KEY", "een-andere-sleutel")
    host_b = redis_apps()
    assert _pending_for(host_b, cookie.value) == {}  # the signature fails: a fresh session


def test_redis_down_mid_request_shows_the_notice_not_a_traceback(redis_apps: Any) -> None:
    import dataclasses

    app = redis_apps()
    store = app.server.extensions["buurtdekking_sessions"]
    dead = redis.Redis.from_url(dead_url(), socket_connect_timeout=0.2, socket_timeout=0.2)
    app.server.extensions["buurtdekking_sessions"] = dataclasses.replace(store, client=dead)
    resp = _upload(app, app.server.test_client(), "eigen-teams.csv")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200, text
    # The page's notice that a part could not be updated (callback_guard.py), in the page's language.
    notice = resp.get_json()["sideUpdate"]["app-render-error"]
    assert notice["hidden"] is False
    assert notice["className"] == "notice render-error"
    assert t("render_error", "nl") in json.dumps(notice["children"], ensure_ascii=False)
    assert "Traceback" not in text
    assert "ConnectionError" not in text


def test_the_login_back_off_is_shared_by_two_hosts(
    redis_apps: Any, monkeypatch: pytest.MonkeyPatch, redis_db: redis.Redis
) -> None:
    monkeypatch.setenv("BUURTDEKKING_AUTH", "basic")
    monkeypatch.setenv("BUURTDEKKING_AUTH_USERS", "anna:" + generate_password_hash("juist-wachtwoord"))
    monkeypatch.setenv("BUURTDEKKING_LOGIN_ATTEMPTS", "3")
    host_a, host_b = redis_apps(), redis_apps()
    wrong = {"Authorization": "Basic " + base64.b64encode(b"anna:fout").decode()}

    def status(host: Dash, headers: dict[str, str]) -> int:
        resp = host.server.test_client().get("/assets/logo.svg", headers=headers)
        resp.close()
        return int(resp.status_code)

    assert [status(h, wrong) for h in (host_a, host_b, host_a)] == [401, 401, 401]  # three free, over two hosts
    assert status(host_b, wrong) == 429  # the fourth waits, on whichever host it lands
    assert status(host_a, wrong) == 429
    assert redis_db.keys("buurtdekking:login:attempt:*")
