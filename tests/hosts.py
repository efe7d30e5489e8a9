"""Several hosts on one machine: gunicorn processes on free ports, nginx from deploy/nginx.conf in front of them.

A host here is what one machine of a production set-up runs: `gunicorn dashboard.wsgi:server` with the flags
`make run` uses, its own temp directory and table cache, and only what the caller passes as shared state.
"""

from __future__ import annotations

import base64
import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from conftest import ARTIFACTS, REPO, free_port

from etl.store import open_store

DEPLOY_NGINX = REPO / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# The flags of `make run` (and of the Dockerfile's CMD); only the bind address and the worker count vary here.
GUNICORN_FLAGS = ("--threads", "4", "--timeout", "120", "--access-logfile", "-")
UPSTREAM = re.compile(r"(upstream\s+buurtdekking\s*\{)(?P<body>[^}]*)\}")
SERVER_LINE = re.compile(r"^(?P<indent>\s*)server\s+(?P<address>\S+?)(?P<params>(\s+[^;]+)?);", re.MULTILINE)
LISTEN_LINE = re.compile(r"^(?P<indent>\s*)listen\s+[^;]+;", re.MULTILINE)
LOG_PATH = re.compile(r"/var/log/nginx/")
SESSION_COOKIE = "buurtdekking_sessie"  # SESSION_COOKIE_NAME in dashboard/security.py


def directory_state(root: Path, atlas: Path) -> dict[str, str]:
    """What main shares between hosts today: one session directory (a network share in production), one secret
    key, one atlas directory."""
    return {
        "BUURTDEKKING_SESSION_DIR": str(root / "sessions"),
        "BUURTDEKKING_SECRET_KEY": secrets.token_urlsafe(48),
        "BUURTDEKKING_ATLAS": str(atlas),
    }


def redis_state(redis_url: str, atlas: Path) -> dict[str, str]:
    """Several machines as DEPLOY.md describes them: sessions and the login back-off in one Redis, one secret key,
    one atlas; every host keeps its own session directory, so nothing reaches another host through the disk."""
    return {
        "BUURTDEKKING_REDIS": redis_url,
        "BUURTDEKKING_SECRET_KEY": secrets.token_urlsafe(48),
        "BUURTDEKKING_ATLAS": str(atlas),
    }


def copy_atlas(atlas: Path, location: str) -> str:
    """The atlas directory ``atlas`` written into the store at ``location`` (its layers, manifest and files)."""
    source = open_store(atlas)
    manifest = source.manifest()
    files = {name: source.read_file(name) for name in manifest.get("files") or {}}
    return open_store(location).write_atlas(dict(source.read_atlas().layers), manifest, files=files)


def postgis_state(urls: tuple[str, str], atlas: Path) -> dict[str, str]:
    """The full several-hosts set-up: the atlas in one PostGIS schema, sessions and the back-off in one Redis, one
    secret key; no host has an atlas directory or a session directory another host can see."""
    redis_url, postgis_url = urls
    env = redis_state(redis_url, atlas)
    del env["BUURTDEKKING_ATLAS"]
    return {**env, "BUURTDEKKING_STORE": copy_atlas(atlas, f"{postgis_url}?schema=two_hosts")}


# The shared-state backends the hosts are tested on: name → the environment every host gets, from the place of
# the shared state (a directory, or the URL of the test's Redis) and the atlas.
BACKENDS: dict[str, Callable[[Any, Path], dict[str, str]]] = {
    "directory": directory_state,
    "redis": redis_state,
    "postgis": postgis_state,
}


def wait_healthy(url: str, *, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Until ``url`` answers 200 (the Dockerfile's health check asks for ``/``); fails early when ``proc`` exits."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
                last = resp.status
        except (OSError, urllib.error.HTTPError) as exc:
            last = exc
        time.sleep(0.25)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s: {last}")


class _Process:
    """A subprocess in its own process group, so that stopping it stops its children (gunicorn's workers) too."""

    proc: subprocess.Popen[bytes]
    log: Path

    def _start(self, cmd: Sequence[str], env: Mapping[str, str], log: Path) -> None:
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._fh = log.open("wb")
        self.proc = subprocess.Popen(
            list(cmd), cwd=REPO, env=dict(env), stdout=self._fh, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (a graceful stop) or SIGKILL (the machine is gone) to the whole group, then wait for it."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if kill:
            # the workers of a killed master may outlive it for a moment; wait until the group is gone
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.killpg(self.proc.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        self._fh.close()


class Host(_Process):
    """One host: gunicorn serving ``dashboard.wsgi:server`` on a free port of 127.0.0.1, as `make run` starts it."""

    def __init__(
        self, name: str, env: Mapping[str, str], home: Path, *, workers: int = 2, timeout: float = 120.0
    ) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.address = f"127.0.0.1:{self.port}"
        # What a machine keeps to itself: its temp directory (so nothing is shared through a default under /tmp)
        # and its cache of published tables. Everything shared comes from ``env``, none of the caller's settings.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("BUURTDEKKING_")}
        own = {"TMPDIR": str(_mkdir(home / "tmp")), "BUURTDEKKING_CACHE": str(_mkdir(home / "cache"))}
        full_env = {**inherited, **own, **env}
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        cmd = [gunicorn, "--workers", str(workers), *GUNICORN_FLAGS, "--bind", self.address, "dashboard.wsgi:server"]
        self._start(cmd, full_env, ARTIFACTS / f"host-{name}-{self.port}.log")
        try:
            wait_healthy(self.url + "/", timeout=timeout, proc=self.proc)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"host {name} did not start ({exc}); log:\n{self.log.read_text()}") from None


class Proxy(_Process):
    """nginx with deploy/nginx.conf, its upstream the given hosts, listening on a free port of 127.0.0.1."""

    def __init__(self, upstreams: Sequence[str], home: Path, *, timeout: float = 30.0) -> None:
        self.home = _mkdir(home)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf = self.home / "nginx.conf"
        self.access_log = self.home / "access.log"
        self.conf.write_text(
            nginx_config(DEPLOY_NGINX.read_text(), upstreams=upstreams, listen=f"127.0.0.1:{self.port}", home=self.home)
        )
        cmd = [NGINX, "-p", str(self.home), "-c", str(self.conf), "-e", str(self.home / "error.log")]
        self._start(cmd, os.environ, ARTIFACTS / f"nginx-{self.port}.log")
        try:
            wait_healthy(self.url + "/", timeout=timeout, proc=self.proc)
        except RuntimeError as exc:
            self.stop()
            errors = (self.home / "error.log").read_text() if (self.home / "error.log").exists() else ""
            raise RuntimeError(f"nginx did not start ({exc}); log:\n{self.log.read_text()}\n{errors}") from None

    def upstreams_used(self, *, at_least: int = 0, timeout: float = 10.0) -> list[str]:
        """The upstream field of every proxied request so far, in order ('a:1, b:2' when a failed and b answered).

        nginx writes a line once a response is sent, so a client may have its answer before the line is there:
        with ``at_least``, wait until that many lines are."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
            if len(lines) >= at_least or time.monotonic() > deadline:
                return [line.split(" upstream=", 1)[1] for line in lines if " upstream=" in line]
            time.sleep(0.05)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def upstream_servers(conf: str) -> list[str]:
    """The addresses of the ``upstream buurtdekking`` block of an nginx configuration, in order."""
    block = UPSTREAM.search(conf)
    if block is None:
        raise ValueError("no 'upstream buurtdekking { … }' block in the nginx configuration")
    return [m["address"] for m in SERVER_LINE.finditer(block["body"])]


def nginx_config(conf: str, *, upstreams: Sequence[str], listen: str, home: Path) -> str:
    """``conf`` (deploy/nginx.conf, an http-level file) for a test: its upstream servers, listen address and log
    paths replaced, wrapped in the main context that a Debian nginx run by an ordinary process needs.

    Everything else — timeouts, body limit, headers, retries — is the deployed file's own text."""
    block = UPSTREAM.search(conf)
    if block is None or not upstreams:
        raise ValueError("no 'upstream buurtdekking { … }' block, or no hosts to put in it")
    lines = list(SERVER_LINE.finditer(block["body"]))
    if not lines:
        raise ValueError("the upstream block has no server line")
    # Each host keeps the parameters (max_fails, fail_timeout) of the deployed line in its place, or the last one's.
    servers = "\n".join(
        f"{lines[min(i, len(lines) - 1)]['indent']}server {address}{lines[min(i, len(lines) - 1)]['params'] or ''};"
        for i, address in enumerate(upstreams)
    )
    body = block["body"][: lines[0].start()] + servers + block["body"][lines[-1].end() :]
    conf = conf[: block.start()] + block[1] + body + "}" + conf[block.end() :]
    conf, n = LISTEN_LINE.subn(lambda m: f"{m['indent']}listen {listen};", conf)
    if n != 1:
        raise ValueError(f"expected one listen line, found {n}")
    conf = LOG_PATH.sub(str(home) + "/", conf)
    # As root, nginx hands its workers to 'nobody', who may not write the temp paths under a root-owned tmp dir.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"    {kind}_temp_path {_mkdir(home / kind)};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        "# Generated by tests/hosts.py from deploy/nginx.conf: the upstream hosts, the listen address and the paths\n"
        "# differ; the http block below is otherwise that file.\n"
        f"{user}worker_processes 1;\ndaemon off;\npid {home / 'nginx.pid'};\nerror_log {home / 'error.log'} warn;\n"
        "events {\n    worker_connections 256;\n}\n"
        f"http {{\n{temp}\n{conf}\n}}\n"
    )


# ---------------------------------------------------------------- a user, as the browser talks to the app


def outputs_of(output: str) -> list[dict[str, str]]:
    """Dash's output string (``..a.children...b.data@hash..`` or ``a.children``) as the renderer sends it."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        component, prop = part.rsplit(".", 1)
        out.append({"id": component, "property": prop})
    return out


class User:
    """One person's browser: a cookie jar, and the page's requests to whichever host (or proxy) it is sent to."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self._deps: dict[str, list[dict[str, Any]]] = {}
        self.sent: dict[str, int] = {}  # requests sent per base URL

    def session_cookie(self) -> str | None:
        return next((c.value for c in self.cookies if c.name == SESSION_COOKIE), None)

    def get(self, base: str, path: str) -> bytes:
        self.sent[base] = self.sent.get(base, 0) + 1
        with self._opener.open(base + path, timeout=60) as resp:
            body: bytes = resp.read()
            return body

    def post(self, base: str, path: str, body: Mapping[str, Any], *, referer: str) -> Any:
        self.sent[base] = self.sent.get(base, 0) + 1
        request = urllib.request.Request(
            base + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Referer": base + referer},
        )
        with self._opener.open(request, timeout=120) as resp:
            return json.loads(resp.read())

    def dependencies(self, base: str) -> list[dict[str, Any]]:
        if base not in self._deps:
            self._deps[base] = json.loads(self.get(base, "/_dash-dependencies"))
        return self._deps[base]

    def callback(
        self, base: str, page: str, inputs: Mapping[str, Any], state: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Fire the callback whose inputs are exactly ``inputs`` (``"id.property"`` → value) as Dash's renderer does:
        every declared State sent (``state`` gives values, the rest None), the first input as the changed one.

        Returns the ``response`` of Dash's answer: component id → property → new value."""
        keys = list(inputs)
        cb = next(
            (
                d
                for d in self.dependencies(base)
                if [f"{i['id']}.{i['property']}" for i in d["inputs"]] == keys and not d.get("clientside_function")
            ),
            None,
        )
        if cb is None:
            raise LookupError(f"no server callback with the inputs {keys}")
        outputs = outputs_of(cb["output"])
        body = {
            "output": cb["output"],
            "outputs": outputs if cb["output"].startswith("..") else outputs[0],
            # a pattern input (an id that is JSON) is sent as the list of the components it matches: pass that list
            "inputs": [
                inputs[key] if i["id"].startswith("{") else {**i, "value": inputs[key]}
                for i, key in zip(cb["inputs"], keys, strict=True)
            ],
            "state": [{**s, "value": (state or {}).get(f"{s['id']}.{s['property']}")} for s in cb["state"]],
            "changedPropIds": [keys[0]],
        }
        answer = self.post(base, "/_dash-update-component", body, referer=page)
        response: dict[str, Any] = answer["response"]
        return response

    # ------------------------------------------------ the own-data page

    def open_own_data(self, base: str) -> dict[str, Any]:
        """Load the own-data page as the browser does (the document, then Dash's page callback); its layout."""
        self.get(base, "/eigen-gegevens")
        response = self.callback(
            base, "/eigen-gegevens", {"_pages_location.pathname": "/eigen-gegevens", "_pages_location.search": ""}
        )
        layout: dict[str, Any] = response["_pages_content"]["children"]
        return layout

    def upload(self, base: str, data: bytes, filename: str, kind: str) -> dict[str, Any]:
        """Drop a file on the own-data page (dcc.Upload's data URL); the check's answer."""
        contents = "data:text/csv;base64," + base64.b64encode(data).decode()
        return self.callback(
            base,
            "/eigen-gegevens",
            {"upload-drop.contents": contents},
            {"upload-drop.filename": filename, "upload-kind.value": kind, "upload-lang.data": "nl"},
        )

    def apply(self, base: str, offered: str) -> dict[str, Any]:
        """Press Apply for the file the page offered (the kind the upload answer put in ``upload-offered``)."""
        return self.callback(
            base,
            "/eigen-gegevens",
            {"upload-apply.n_clicks": 1, '{"kind":["ALL"],"type":"upload-remove"}.n_clicks': []},
            {"upload-offered.data": offered, "upload-lang.data": "nl"},
        )


def texts(component: Any) -> list[str]:
    """Every string in a Dash layout as JSON (children, labels …), depth first."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, Mapping):
        return [s for v in component.values() for s in texts(v)]
    if isinstance(component, list):
        return [s for v in component for s in texts(v)]
    return []


def applied_list(node: Any) -> list[str]:
    """The text of every list item (``Li``) in a Dash layout as JSON: the applied files of the own-data page."""
    if isinstance(node, Mapping):
        if node.get("type") == "Li":
            return [" ".join(texts(node.get("props", {}).get("children")))]
        return [s for v in node.values() for s in applied_list(v)]
    if isinstance(node, list):
        return [s for v in node for s in applied_list(v)]
    return []


def applied_files(layout: Any) -> list[str]:
    """The lines of the own-data page's list of applied files (section 'upload-applied'), empty when it lists none."""

    def find(node: Any) -> Any:
        if isinstance(node, Mapping):
            if node.get("props", {}).get("id") == "upload-applied":
                return node
            return next((hit for v in node.values() if (hit := find(v)) is not None), None)
        if isinstance(node, list):
            return next((hit for v in node if (hit := find(v)) is not None), None)
        return None

    section = find(layout)
    if section is None:
        raise LookupError("the own-data page has no 'upload-applied' section")
    return applied_list(section)
