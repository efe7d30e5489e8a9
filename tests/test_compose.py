"""The reference deployment: docker-compose.yml and deploy/nginx.conf agree with each other, the docs and the image."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hosts import DEPLOY_NGINX, GUNICORN_FLAGS, NGINX, nginx_config, outputs_of, upstream_servers

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
APPS = ("app1", "app2")
# Settings of the atlas store and the session store that are being added; every other name must be documented.
NEW_NAMES = {"BUURTDEKKING_STORE", "BUURTDEKKING_REDIS"}
ENV_NAME = re.compile(r"\bBUURTDEKKING_[A-Z0-9_]+\b")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_the_services_are_two_apps_a_build_postgis_redis_and_nginx(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {*APPS, "build", "postgis", "redis", "nginx"}
    # One image, built once from the Dockerfile (its test stage runs the suite), run by the apps and the build.
    assert services["build"]["build"]["context"] == "."
    assert (REPO / "Dockerfile").is_file()
    assert {services[s]["image"] for s in (*APPS, "build")} == {"buurtdekking:latest"}
    assert services["postgis"]["image"].startswith("postgis/postgis:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["nginx"]["image"].startswith("nginx:")
    # Only nginx is published; the hosts wait for the atlas to be written and for both stores.
    assert [s for s in services if services[s].get("ports")] == ["nginx"]
    for app in APPS:
        needs = services[app]["depends_on"]
        assert needs["build"]["condition"] == "service_completed_successfully"
        assert needs["postgis"]["condition"] == needs["redis"]["condition"] == "service_healthy"
    assert {a: services["nginx"]["depends_on"][a]["condition"] for a in APPS} == dict.fromkeys(APPS, "service_healthy")
    assert "--store" in " ".join(services["build"]["command"])


def test_every_host_gets_the_same_stores_and_secret_key(compose: dict[str, Any]) -> None:
    services = compose["services"]
    envs = [services[s]["environment"] for s in (*APPS, "build")]
    assert all(env == envs[0] for env in envs)
    env = envs[0]
    assert env["BUURTDEKKING_STORE"].startswith("postgresql://")
    assert "@postgis:5432/" in env["BUURTDEKKING_STORE"]
    assert env["BUURTDEKKING_REDIS"] == "redis://redis:6379/0"
    # Never a key in the file: compose refuses to start until the operator sets one.
    assert re.fullmatch(r"\$\{BUURTDEKKING_SECRET_KEY:\?[^}]+\}", env["BUURTDEKKING_SECRET_KEY"])
    subnet = compose["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    assert env["BUURTDEKKING_TRUSTED_PROXIES"] == subnet


def test_every_setting_named_is_documented_or_one_of_the_two_new_ones() -> None:
    documented = set(ENV_NAME.findall((REPO / "docs" / "CONFIGURATION.md").read_text()))
    named = set(ENV_NAME.findall(COMPOSE.read_text()))
    assert {"BUURTDEKKING_SECRET_KEY", "BUURTDEKKING_STORE", "BUURTDEKKING_REDIS"} <= named
    assert named - documented - NEW_NAMES == set()


def test_nginx_sends_to_exactly_the_app_services_on_their_port(compose: dict[str, Any]) -> None:
    services = compose["services"]
    ports = set()
    for app in APPS:
        command = services[app]["command"]
        ports.add(command[command.index("--bind") + 1].rsplit(":", 1)[1])
    (port,) = ports
    assert upstream_servers(DEPLOY_NGINX.read_text()) == [f"{app}:{port}" for app in APPS]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["nginx"]["volumes"]
    assert services["nginx"]["ports"] == ["${HTTP_PORT:-8080}:80"]


def test_the_apps_run_gunicorn_as_the_image_and_make_run_do(compose: dict[str, Any]) -> None:
    cmd_line = next(line for line in (REPO / "Dockerfile").read_text().splitlines() if line.startswith("CMD "))
    image_cmd = json.loads(cmd_line[4:])
    for app in APPS:
        assert compose["services"][app]["command"] == image_cmd
    flags = list(GUNICORN_FLAGS)  # what tests/hosts.py starts, beside the bind address and worker count
    assert all(
        image_cmd[image_cmd.index(flag) + 1] == value for flag, value in zip(flags[::2], flags[1::2], strict=True)
    )
    run = (REPO / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    for flag, value in zip(flags[::2], flags[1::2], strict=True):
        assert f"{flag} {value}" in run
    assert "HEALTHCHECK" in (REPO / "Dockerfile").read_text()  # what service_healthy waits for


# ---------------------------------------------------------------- the nginx configuration as the tests run it

TINY = """upstream buurtdekking {
    server one:8050 max_fails=1 fail_timeout=10s;
    server two:8050 max_fails=2;
}
server {
    listen 80;
    access_log /var/log/nginx/access.log main;
    location / { proxy_pass http://buurtdekking; }
}
"""


def test_the_generated_config_changes_only_hosts_listen_address_and_paths(tmp_path: Path) -> None:
    conf = nginx_config(
        TINY, upstreams=["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"], listen="127.0.0.1:9", home=tmp_path
    )
    assert "server 127.0.0.1:1 max_fails=1 fail_timeout=10s;" in conf
    assert "server 127.0.0.1:2 max_fails=2;" in conf
    assert "server 127.0.0.1:3 max_fails=2;" in conf  # more hosts than lines: the last line's parameters
    assert "one:8050" not in conf
    assert "two:8050" not in conf
    assert "listen 127.0.0.1:9;" in conf
    assert "listen 80;" not in conf
    assert f"access_log {tmp_path}/access.log main;" in conf
    assert "location / { proxy_pass http://buurtdekking; }" in conf
    assert upstream_servers(conf) == ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]
    assert ("user root;" in conf) == (os.geteuid() == 0)
    with pytest.raises(ValueError, match="upstream"):
        nginx_config("server { listen 80; }", upstreams=["a:1"], listen="b:2", home=tmp_path)


def test_the_deployed_config_is_valid_nginx(tmp_path: Path) -> None:
    if not Path(NGINX).exists():
        pytest.fail(f"nginx not found at {NGINX}; `make nginx` installs Debian's nginx-light")
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        nginx_config(
            DEPLOY_NGINX.read_text(), upstreams=["127.0.0.1:1", "127.0.0.1:2"], listen="127.0.0.1:9", home=tmp_path
        )
    )
    done = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_dash_output_strings_are_split_as_the_renderer_sends_them() -> None:
    assert outputs_of("a.children") == [{"id": "a", "property": "children"}]
    assert outputs_of("..a.children...b.data@0f1e..") == [
        {"id": "a", "property": "children"},
        {"id": "b", "property": "data@0f1e"},
    ]


def _compose_client() -> list[str] | None:
    """``docker compose`` (the plugin) or ``docker-compose``, when one of them runs here; else None."""
    for cmd in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(cmd[0]) is None:
            continue
        if subprocess.run([*cmd, "version"], capture_output=True, timeout=30, check=False).returncode == 0:
            return cmd
    return None


def test_docker_compose_accepts_the_file_offline(tmp_path: Path) -> None:
    client = _compose_client()
    if client is None:
        pytest.skip("no docker compose client here (`docker compose config` needs the compose plugin, not the engine)")
    env = {**os.environ, "BUURTDEKKING_SECRET_KEY": "k" * 48, "POSTGRES_PASSWORD": "p" * 24}
    done = subprocess.run(
        [*client, "-f", str(COMPOSE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    resolved = json.loads(done.stdout)
    assert set(resolved["services"]) == {*APPS, "build", "postgis", "redis", "nginx"}
    assert resolved["services"]["app2"]["environment"]["BUURTDEKKING_SECRET_KEY"] == "k" * 48
