"""Virtual planners for the load benchmark: asyncio + httpx, one cookie session each, replaying recorded actions.

A planner opens the map page, then picks actions at random by ``WEIGHTS`` (with ``tour``, every recorded action
once first, so that a short run sees each kind of request), with a think time between actions. Each action is sent
as it was recorded (bench/load_capture.py): wave after wave, the requests of one wave together. With several
hosts the requests go to them in turn (round robin), as a balancer without sticky sessions would send them.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

# How often a planner does what (relative): mostly looking at maps, now and then a heavier action.
WEIGHTS = {"switch": 50, "buurt": 30, "export": 8, "whatif": 7, "upload": 5}
TOUR = ("switch", "buurt", "export", "whatif", "upload")
RENDER_ERROR = "app-render-error"  # the notice a failed callback shows (dashboard/callback_guard.py)
TIMEOUT_S = 60.0


@dataclass
class Stats:
    """Round-trip times per request kind (and per action), and what went wrong."""

    ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    retries: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    bytes_in: int = 0
    started: float = field(default_factory=time.monotonic)
    stopped: float = 0.0

    def add(self, kind: str, ms: float, error: str | None = None) -> None:
        self.ms[kind].append(ms)
        if error is not None:
            self.errors[kind] += 1
            if len(self.examples) < 20:
                self.examples.append(f"{kind}: {error}")

    def requests(self) -> int:
        return sum(len(v) for k, v in self.ms.items() if not k.startswith("action:"))

    def table(self) -> list[dict[str, Any]]:
        """One row per kind: count, errors, p50/p95/p99 and max in milliseconds."""
        rows = []
        for kind in sorted(self.ms, key=lambda k: (k.startswith("action:"), k)):
            values = np.asarray(self.ms[kind])
            p50, p95, p99 = np.percentile(values, [50, 95, 99])
            rows.append(
                {
                    "kind": kind,
                    "count": len(values),
                    "errors": self.errors.get(kind, 0),
                    "retries": self.retries.get(kind, 0),
                    "p50_ms": round(float(p50), 1),
                    "p95_ms": round(float(p95), 1),
                    "p99_ms": round(float(p99), 1),
                    "max_ms": round(float(values.max()), 1),
                }
            )
        return rows


class Balancer:
    """The hosts in turn, one request after another."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self._turn = itertools.cycle(range(len(urls)))

    def next(self) -> str:
        return self.urls[next(self._turn)]


def _problem(resp: httpx.Response, request: dict[str, Any]) -> str | None:
    """Why an answer is not what the browser would have been glad to get, or None."""
    if request["method"] == "POST":
        if resp.status_code == 204:  # Dash's answer when nothing changes (PreventUpdate)
            return None
        if resp.status_code != 200:
            return f"HTTP {resp.status_code}: {resp.text[:120]!r}"
        if RENDER_ERROR in resp.text:
            return "the callback failed (render-error notice)"
        return None
    if resp.status_code != 200:
        return f"HTTP {resp.status_code}: {resp.text[:120]!r}"
    return None


async def _request(client: httpx.AsyncClient, base: str, request: dict[str, Any]) -> httpx.Response:
    headers = {"Accept-Encoding": "gzip, deflate, br"}
    if request.get("referer"):
        headers["Referer"] = base + request["referer"]
    if request["method"] == "POST":
        headers["Content-Type"] = "application/json"
        return await client.post(base + request["path"], content=request["body"], headers=headers)
    return await client.get(base + request["path"], headers=headers)


async def send(client: httpx.AsyncClient, balancer: Balancer, request: dict[str, Any], stats: Stats) -> None:
    """One recorded request to the next host, timed from sending until the whole answer is read."""
    base = balancer.next()
    started = time.perf_counter()
    try:
        try:
            resp = await _request(client, base, request)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            # The server closed an idle kept-alive connection just as it was reused (gunicorn keeps them 2 s):
            # a browser sends the request again on a new one, and so do we, once, counting it. A new client
            # with the same cookies: the pool could hand out another connection the server is closing.
            stats.retries[request["kind"]] += 1
            async with httpx.AsyncClient(timeout=TIMEOUT_S, cookies=client.cookies) as fresh:
                resp = await _request(fresh, base, request)
        ms = (time.perf_counter() - started) * 1000
        stats.bytes_in += len(resp.content)
        stats.add(request["kind"], ms, _problem(resp, request))
    except httpx.HTTPError as exc:
        stats.add(request["kind"], (time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}")


async def do_action(
    client: httpx.AsyncClient, balancer: Balancer, name: str, waves: list[list[dict[str, Any]]], stats: Stats
) -> None:
    started = time.perf_counter()
    for wave in waves:
        await asyncio.gather(*(send(client, balancer, r, stats) for r in wave))
    stats.add(f"action:{name}", (time.perf_counter() - started) * 1000)


async def planner(
    n: int,
    balancer: Balancer,
    actions: dict[str, list[Any]],
    stats: Stats,
    *,
    until: float,
    think: tuple[float, float],
    seed: int,
    tour: bool,
) -> None:
    """One person at the dashboard until ``until`` (monotonic): the page, then actions at random.

    With ``tour`` every action once first, finished even after ``until``, so that a short run sees every kind."""
    rng = random.Random(seed * 1000 + n)
    await asyncio.sleep(rng.uniform(0, think[1]))  # people do not all arrive in the same millisecond
    kinds = [k for k in WEIGHTS if actions.get(k)]
    turn = dict.fromkeys(kinds, 0)
    async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False) as client:
        for waves in actions["load"]:
            await do_action(client, balancer, "load", waves, stats)
        first = [k for k in TOUR if k in kinds] if tour else []
        while first or time.monotonic() < until:
            name = first.pop(0) if first else rng.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0]
            # Switches and clicks in the order recorded: each switch's payload is the one sent after the one before.
            variants = actions[name]
            waves = variants[turn[name] % len(variants)]
            turn[name] += 1
            await do_action(client, balancer, name, waves, stats)
            await asyncio.sleep(rng.uniform(*think))


async def run_planners(
    urls: list[str],
    scenario: dict[str, Any],
    *,
    users: int,
    duration_s: float,
    think: tuple[float, float] = (0.5, 1.5),
    seed: int = 1,
    tour: bool = False,
) -> Stats:
    """``users`` planners against ``urls`` for ``duration_s`` seconds (each finishes the action it is in)."""
    stats = Stats()
    balancer = Balancer(urls)
    until = time.monotonic() + duration_s
    await asyncio.gather(
        *(
            planner(n, balancer, scenario["actions"], stats, until=until, think=think, seed=seed, tour=tour)
            for n in range(users)
        )
    )
    stats.stopped = time.monotonic()
    return stats


def run(urls: list[str], scenario: dict[str, Any], **options: Any) -> Stats:
    return asyncio.run(run_planners(urls, scenario, **options))
