"""Two hosts sharing state: an upload on host A is seen on host B by its own session only, and survives A stopping."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from care_grid import care_grid_atlas
from hosts import BACKENDS, Host, Proxy, User, applied_files, applied_list

pytestmark = pytest.mark.slow

# A caseloads file for the 3×3 grid of care_grid_atlas: passes every rule, so Apply applies it.
CASELOADS = b"buurtcode;periode;totaal\r\nBU99990101;2024;12\r\nBU99990102;2024;7\r\n"
FILE_NAME = "zorg_twee_hosts.csv"


@pytest.fixture(scope="module")
def atlas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return care_grid_atlas(tmp_path_factory.mktemp("atlas"), threshold=None)


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def shared_state_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, atlas: Path
) -> dict[str, str]:
    """The environment all hosts share (and nothing else is shared between them)."""
    if request.param == "redis":
        return BACKENDS["redis"](request.getfixturevalue("redis_url"), atlas)
    if request.param == "postgis":
        urls = (request.getfixturevalue("redis_url"), request.getfixturevalue("postgis_url"))
        return BACKENDS["postgis"](urls, atlas)
    return BACKENDS[request.param](tmp_path_factory.mktemp(f"shared-{request.param}"), atlas)


@pytest.fixture(scope="module")
def two_hosts(
    shared_state_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Host, Host]]:
    started: list[Host] = []
    try:
        for name in ("a", "b"):
            started.append(Host(name, shared_state_env, tmp_path_factory.mktemp(f"host-{name}")))
        yield started[0], started[1]
    finally:
        for host in started:
            host.stop()


def upload_and_apply(user: User, base: str) -> None:
    """Drop the caseloads file on the own-data page at ``base`` and apply it; checks the page's answers."""
    checked = user.upload(base, CASELOADS, FILE_NAME, "caseloads")
    assert checked["upload-offered"]["data"] == "caseloads", checked
    assert checked["upload-apply"]["disabled"] is False
    done = user.apply(base, "caseloads")
    assert FILE_NAME in " ".join(applied_list(done["upload-applied"]["children"]))


def test_an_upload_on_host_a_is_seen_on_host_b_and_never_by_another_user(two_hosts: tuple[Host, Host]) -> None:
    a, b = two_hosts
    anna, bert = User(), User()
    assert applied_files(anna.open_own_data(a.url)) == []
    upload_and_apply(anna, a.url)
    cookie = anna.session_cookie()
    assert cookie is not None

    # The next request goes to host B, with the same cookie: the same session, the same applied file.
    (line,) = applied_files(anna.open_own_data(b.url))
    assert FILE_NAME in line
    assert "2 rijen" in line  # the two data rows of the file

    # Another person, on either host and in either order, has a session of their own, without it.
    for host in (b, a, b):
        assert applied_files(bert.open_own_data(host.url)) == []
    assert bert.session_cookie() not in (None, cookie)
    # … and anna still has hers on both.
    for host in (a, b):
        assert len(applied_files(anna.open_own_data(host.url))) == 1


def test_a_file_checked_on_host_a_is_applied_on_host_b(two_hosts: tuple[Host, Host]) -> None:
    a, b = two_hosts
    carla = User()
    carla.open_own_data(a.url)
    checked = carla.upload(a.url, CASELOADS, FILE_NAME, "caseloads")
    assert checked["upload-offered"]["data"] == "caseloads"
    # The file staged by host A is what Apply on host B applies: the pending upload is shared state too.
    done = carla.apply(b.url, "caseloads")
    assert FILE_NAME in " ".join(applied_list(done["upload-applied"]["children"]))
    # Apply on a host that has not seen this session's upload would say there is nothing to apply.
    dirk = User()
    dirk.open_own_data(b.url)
    nothing = dirk.apply(a.url, "caseloads")
    assert "upload-applied" not in nothing
    assert nothing["upload-apply"]["disabled"] is True


def test_a_host_with_another_secret_key_gives_a_fresh_session(
    two_hosts: tuple[Host, Host], shared_state_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The same session store but another key: the cookie from host A is not accepted, so nothing is shared."""
    a, _ = two_hosts
    other = Host(
        "c", {**shared_state_env, "BUURTDEKKING_SECRET_KEY": "another-" + "k" * 40}, tmp_path_factory.mktemp("host-c")
    )
    try:
        fien = User()
        upload_and_apply(fien, a.url)
        assert len(applied_files(fien.open_own_data(a.url))) == 1
        assert applied_files(fien.open_own_data(other.url)) == []
    finally:
        other.stop()


@pytest.mark.parametrize("kill", [False, True], ids=["stopped", "killed"])
def test_a_session_survives_its_host_being_stopped(
    shared_state_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory, kill: bool
) -> None:
    hosts: list[Host] = []
    proxy = None
    try:
        for name in ("a", "b"):
            hosts.append(Host(name, shared_state_env, tmp_path_factory.mktemp(f"host-{name}")))
        a, b = hosts
        proxy = Proxy([a.address, b.address], tmp_path_factory.mktemp("nginx"))
        eva = User()
        # Through the proxy, as people use it: the requests go to both hosts in turn.
        eva.open_own_data(proxy.url)
        checked = eva.upload(proxy.url, CASELOADS, FILE_NAME, "caseloads")
        assert checked["upload-offered"]["data"] == "caseloads"
        before = len(proxy.upstreams_used(at_least=1 + eva.sent[proxy.url]))  # and the proxy's health check
        assert {a.address, b.address} <= set(proxy.upstreams_used())

        a.stop(kill=kill)  # mid-session: checked, not yet applied
        assert not a.running

        # Through the proxy, every request now lands on B, and the session goes on where it was.
        done = eva.apply(proxy.url, "caseloads")
        assert FILE_NAME in " ".join(applied_list(done["upload-applied"]["children"]))
        for _ in range(3):
            assert len(applied_files(eva.open_own_data(proxy.url))) == 1
        since_stop = proxy.upstreams_used(at_least=before + 7)[before:]
        assert len(since_stop) == 7  # apply, then three times the page and its page callback
        assert set(since_stop) <= {b.address, f"{a.address}, {b.address}"}  # B, or A refusing and then B
        # Directly on B too; and a newcomer through the proxy sees nothing of it.
        assert len(applied_files(eva.open_own_data(b.url))) == 1
        assert applied_files(User().open_own_data(proxy.url)) == []
    finally:
        if proxy is not None:
            proxy.stop()
        for host in hosts:
            host.stop()
