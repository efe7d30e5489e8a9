"""Shared fixtures: tiny synthetic grids, the real-data atlas, a served app and headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from hypothesis import settings
from shapely.geometry import box

from etl import config
from etl.settings import EtlSettings

# Fixtures of the external engines (a throw-away Redis and PostgreSQL/PostGIS), each in its own module beside
# this one (tests/ is on sys.path, not a package).
pytest_plugins = ["engines_redis", "engines_pg"]

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = os.environ.get("BUURTDEKKING_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# CI must give the same verdict on the same commit: property tests run a fixed example sequence there.
# `HYPOTHESIS_PROFILE=explore make unit` searches fresh random examples (and more of them) while developing.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", max_examples=2000, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# ---------------------------------------------------------------- synthetic data


def grid_buurten(
    n: int = 3, size: float = 100.0, *, origin: tuple[float, float] = (136000.0, 455000.0)
) -> gpd.GeoDataFrame:
    """An n×n grid of square buurten of ``size`` metres in RD New, canonical schema, one gemeente GM9999.

    Row-major from the south-west: buurt i (0-based) is column i % n, row i // n; codes BU99990{w}{b}
    where the wijk is the row (01, 02, 03) and the buurt number is the column + 1.
    """
    x0, y0 = origin
    rows = []
    for r in range(n):
        for c in range(n):
            code = f"BU9999{r + 1:02d}{c + 1:02d}"
            rows.append(
                {
                    "buurtcode": code,
                    "buurtnaam": f"Buurt r{r + 1}c{c + 1}",
                    "wijkcode": code.replace("BU", "WK")[:8],
                    "wijknaam": f"Wijk {r + 1}",
                    "gemeentecode": "GM9999",
                    "gemeentenaam": "Teststad",
                    "water": False,
                    "geometry": box(x0 + c * size, y0 + r * size, x0 + (c + 1) * size, y0 + (r + 1) * size),
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=config_rd())


def grid_wijken(buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The wijken of grid buurten that carry ``youth_population`` and ``aantal_inwoners``: unions, with the sums."""
    return buurten.dissolve(
        by="wijkcode",
        as_index=False,
        aggfunc={
            "wijknaam": "first",
            "gemeentecode": "first",
            "gemeentenaam": "first",
            "youth_population": "sum",
            "aantal_inwoners": "sum",
        },
    )


def config_rd() -> str:
    return "EPSG:28992"


@pytest.fixture
def gdf_grid() -> gpd.GeoDataFrame:
    return grid_buurten()


# ---------------------------------------------------------------- real data


@pytest.fixture(scope="session")
def data_dir() -> Path:
    root = EtlSettings.from_environ().data_dir
    if not (root / config.DEFAULT_BOUNDARIES).exists():
        pytest.fail(f"real data not found in {root}; set BUURTDEKKING_DATA")
    return root


@pytest.fixture(scope="session")
def default_atlas(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """The default Utrecht atlas, built once per test session from the data directory."""
    from etl.pipeline import BuildOptions, run_build

    out = tmp_path_factory.mktemp("atlas")
    run_build(BuildOptions(data_dir=data_dir, progress=False), out)
    return out


# ---------------------------------------------------------------- served app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError as exc:
            last = exc
        time.sleep(0.25)
    raise RuntimeError(f"server at {url} did not come up: {last}")


def page_module(name: str) -> Any:
    """A page module as Dash Pages imported it for the last app created (``pages.<name>``).

    Importing ``dashboard.pages.<name>`` instead would register the page and its callbacks a second time,
    and every later app would then refuse requests over the duplicate path."""
    import dash

    for module in dash.page_registry:
        if module.rsplit(".", 1)[-1] == name:
            return sys.modules[module]
    raise LookupError(f"no page {name!r} registered: create an app first")


def gunicorn_command(port: int) -> list[str]:
    """The production server (gunicorn, two workers) on ``port`` of 127.0.0.1."""
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        "2",
        "--timeout",
        "120",
        "--bind",
        f"127.0.0.1:{port}",
        "dashboard.wsgi:server",
    ]


class ServedApp:
    """A `buurtdekking serve` subprocess on a free port; stopped when the fixture ends."""

    def __init__(
        self,
        atlas: Path,
        *,
        env: dict[str, str] | None = None,
        gunicorn: bool = False,
        timeout: float = 60.0,
        url_prefix: str = "/",
    ) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.url = self.origin + url_prefix.rstrip("/")  # where the app's pages are: self.url + "/tabel"
        self.log = ARTIFACTS / f"server-{self.port}.log"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        full_env = {**os.environ, **(env or {}), "BUURTDEKKING_ATLAS": str(atlas)}
        if gunicorn:
            full_env["BUURTDEKKING_URL_PREFIX"] = url_prefix  # what `--url-prefix` is to `buurtdekking serve`
            cmd = gunicorn_command(self.port)
        else:
            cmd = [sys.executable, "-m", "cli.main", "serve", "--atlas", str(atlas), "--port", str(self.port)]
            if url_prefix != "/":
                cmd += ["--url-prefix", url_prefix]
        self._fh = self.log.open("w")
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=full_env, stdout=self._fh, stderr=subprocess.STDOUT)
        try:
            wait_for(self.url + "/", timeout=timeout)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"app did not start; log:\n{self.log.read_text()}") from None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._fh.close()


@pytest.fixture(scope="session")
def served_app(default_atlas: Path) -> Iterator[ServedApp]:
    app = ServedApp(default_atlas)
    yield app
    app.stop()


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make browser` installs Debian's chromium")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class PageErrors:
    """Console errors, uncaught exceptions, failed or off-site requests and server errors seen by one page."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.console: list[str] = []
        self.exceptions: list[str] = []
        self.failed: list[str] = []
        self.offsite: list[str] = []
        self.closing = False
        self._navigations = 0  # main-frame document loads requested so far
        self._leaving = False  # a document load is requested and the new document has not loaded yet
        self._started: dict[int, tuple[int, bool]] = {}
        self.aborted: list[tuple[str, int, bool]] = []  # (request and failure, document loads before it, leaving)

    def all(self) -> list[str]:
        return self.console + self.exceptions + self.failed + self.unexplained_aborts() + self.offsite

    def unexplained_aborts(self) -> list[str]:
        """Aborted requests that neither leaving the page (a later document load) nor closing it explains."""
        return [url for url, nav, leaving in self.aborted if not (leaving or self._navigations > nav)]

    def watch(self, page: Any) -> None:
        """Record the page's console errors, uncaught exceptions, failed requests, 5xx answers and requests that leave 127.0.0.1."""
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" and not self.closing else None)
        page.on("pageerror", lambda e: self.exceptions.append(str(e)))
        page.on("request", self._on_request)
        page.on("requestfailed", self._on_failed)
        page.on("response", lambda r: self.failed.append(f"{r.url} HTTP {r.status}") if r.status >= 500 else None)
        page.on("domcontentloaded", lambda _: setattr(self, "_leaving", False))

    def _on_request(self, request: Any) -> None:
        if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            self.offsite.append(request.url)
        if request.is_navigation_request() and request.frame.parent_frame is None:
            self._navigations += 1
            self._leaving = True
        self._started[id(request)] = (self._navigations, self._leaving)

    def _on_failed(self, request: Any) -> None:
        nav, leaving = self._started.pop(id(request), (self._navigations, self._leaving))
        if (request.failure or "").endswith("ERR_ABORTED"):
            # The browser cancels what is still in flight when the page loads another document or closes:
            # that is the test (or a person) leaving, not the app failing. Whether a later load explains the
            # abort is decided in all(), because Chromium may report the abort before the load's request.
            self.aborted.append((f"{request.url} {request.failure}", nav, leaving or self.closing))
            return
        self.failed.append(f"{request.url} {request.failure}")


@pytest.fixture
def page(browser: object, served_app: ServedApp, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh page; the test fails if the page logged a console error or fetched anything off-site."""
    context = browser.new_context(viewport={"width": 1366, "height": 860}, locale="nl-NL")  # type: ignore[attr-defined]
    pg = context.new_page()
    errors = PageErrors(served_app.url)
    errors.watch(pg)
    pg.errors = errors  # type: ignore[attr-defined]
    pg.base_url = served_app.url  # type: ignore[attr-defined]
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        errors.closing = True
        context.close()
    if not getattr(request.node, "allow_console_errors", False):
        assert errors.all() == [], f"browser errors: {errors.all()}"
