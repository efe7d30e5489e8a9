"""Load benchmark: simulated planners against the production server, one host against two, in one run.

    python -m bench load                         # 50 planners × 5 minutes, one host, then two hosts
    python -m bench.load --users 10 --duration 30 --hosts 1
    python -m bench.load --capture               # re-record the browser's requests first (bench/load_capture.py)

One host is gunicorn as `make run` starts it (2 workers × 4 threads); two hosts are two such servers on their
own ports (``--host-workers`` workers × 4 threads each, 1 by default: the same number of workers as one host,
on the same two cores), sharing the session directory and secret key as two machines behind one balancer
must; the client sends its requests to them in turn. Each planner (bench/load_client.py) has its own cookie
session and replays what Chromium sent for an indicator switch, a buurt click on the map, a CSV export, a
what-if and an upload with Apply, with 0.5–1.5 s to think between actions. Not a timed test: it reports per
request kind the count, errors and p50/p95/p99, the workers' memory (RSS from /proc) and CPU, and the load
of the machine while it ran. Results go to bench/results/load-*.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.load_capture import MAP_CALLBACKS, SCENARIO, capture, load_scenario
from bench.load_client import Stats, run

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
CHROMIUM = os.environ.get("BUURTDEKKING_CHROMIUM", "/usr/bin/chromium")
GOAL_P95_MS = 100.0
CLOCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- processes


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (gunicorn's workers), from /proc."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return sorted(out)


def rss_mb(pid: int) -> float:
    """Resident memory of one process (0 once it is gone)."""
    try:
        return int((Path("/proc") / str(pid) / "statm").read_text().split()[1]) * PAGE / 1e6
    except OSError:
        return 0.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds one process has used so far."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLOCK, sum(values) / CLOCK


class Sampler:
    """Every worker's RSS every second while the load runs: its peak and its last value."""

    def __init__(self, masters: list[int]) -> None:
        self.masters = masters
        self.peak: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def workers(self) -> list[int]:
        return [w for m in self.masters for w in children(m)]

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            for pid in self.workers():
                mb = rss_mb(pid)
                self.last[pid] = mb
                self.peak[pid] = max(self.peak.get(pid, 0.0), mb)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def gunicorn(atlas: Path, *, workers: int, env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """One host: gunicorn as `make run` starts it, on a free port; (its URL, the master's pid) while it runs."""
    port = _free_port()
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--timeout",
        "120",
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "-",
        "dashboard.wsgi:server",
    ]
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            cmd, cwd=REPO, env={**os.environ, **env, "BUURTDEKKING_ATLAS": str(atlas)}, stdout=fh, stderr=fh
        )
        try:
            deadline = time.monotonic() + 300
            while True:
                try:
                    with urllib.request.urlopen(url + "/_dash-dependencies", timeout=60) as r:
                        if r.status == 200:
                            break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"gunicorn did not start; see {log}") from None
                    time.sleep(0.5)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def hosts(atlas: Path, *, n: int, workers: int, work: Path) -> Iterator[list[tuple[str, int]]]:
    """``n`` hosts sharing one session directory and secret key, as machines behind one balancer would."""
    work.mkdir(parents=True, exist_ok=True)
    env = {
        "BUURTDEKKING_SESSION_DIR": str(work / "sessions"),
        "BUURTDEKKING_SECRET_KEY": secrets.token_urlsafe(32),
    }
    with ExitStack() as stack:
        yield [
            stack.enter_context(gunicorn(atlas, workers=workers, env=env, log=work / f"host{i + 1}.log"))
            for i in range(n)
        ]


# ---------------------------------------------------------------- one case


def measure(
    urls: list[str], masters: list[int], scenario: dict[str, Any], *, users: int, duration_s: float, seed: int
) -> dict[str, Any]:
    """Warm every worker, then the planners for ``duration_s``; the figures of that run."""
    # A worker's first requests pay for loading pages, the CSP and compressed files once in its life.
    run(urls, scenario, users=min(users, 4), duration_s=8, think=(0.05, 0.2), seed=seed + 99)
    with Sampler(masters) as sampler:
        workers = sampler.workers()
        cpu0 = {w: cpu_s(w) for w in workers}
        busy0, total0 = machine_busy()
        own0 = time.process_time()
        load0 = os.getloadavg()
        stats: Stats = run(urls, scenario, users=users, duration_s=duration_s, seed=seed)
        busy1, total1 = machine_busy()
        own1 = time.process_time()
        load1 = os.getloadavg()
        cpu = {w: cpu_s(w) - cpu0.get(w, 0.0) for w in workers}
    wall = stats.stopped - stats.started
    rows = stats.table()
    worker_cpu = sum(cpu.values())
    cores = os.cpu_count() or 1
    return {
        "hosts": len(urls),
        "users": users,
        "duration_s": round(wall, 1),
        "requests": stats.requests(),
        "errors": sum(stats.errors.values()),
        "retries": sum(stats.retries.values()),
        "error_examples": stats.examples,
        "requests_per_s": round(stats.requests() / wall, 1),
        "bytes_in": stats.bytes_in,
        "rows": rows,
        "workers": len(workers),
        "worker_rss_mb_peak": [round(sampler.peak.get(w, 0.0)) for w in workers],
        "worker_rss_mb_end": [round(sampler.last.get(w, 0.0)) for w in workers],
        "worker_cpu_s": round(worker_cpu, 1),
        "worker_cpu_ms_per_request": round(worker_cpu * 1000 / max(stats.requests(), 1), 1),
        "client_cpu_s": round(own1 - own0, 1),
        "machine_busy_pct": round(100 * (busy1 - busy0) / max(total1 - total0, 1e-9), 1),
        # What else used the cores meanwhile: the machine's busy time less our workers and our client.
        "others_cpu_pct_of_machine": round(
            100 * ((busy1 - busy0) - worker_cpu - (own1 - own0)) / max(total1 - total0, 1e-9), 1
        ),
        "cores": cores,
        "loadavg_before": [round(v, 2) for v in load0],
        "loadavg_after": [round(v, 2) for v in load1],
    }


def map_goal(case: dict[str, Any]) -> tuple[float, bool]:
    """The worst p95 of the map's callbacks in ``case`` and whether it meets the goal with no errors at all."""
    p95 = max((r["p95_ms"] for r in case["rows"] if r["kind"] in MAP_CALLBACKS), default=float("nan"))
    return p95, p95 <= GOAL_P95_MS and case["errors"] == 0


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Load benchmark, {report['date']} at {report['commit']} ({report['cpus']} CPUs, load generator on the same cores).",
        f"{report['users']} planners × {report['duration_s']} s, think time {report['think_s'][0]}–{report['think_s'][1]} s.",
        "",
    ]
    for case in report["cases"]:
        label = (
            "one host (2 workers × 4 threads)"
            if case["hosts"] == 1
            else (f"{case['hosts']} hosts ({report['host_workers']} worker(s) × 4 threads each, round robin)")
        )
        p95, ok = map_goal(case)
        lines += [
            f"**{label}**: {case['requests']} requests in {case['duration_s']} s ({case['requests_per_s']}/s), "
            f"{case['errors']} errors, {case['retries']} sent again on a fresh connection; map callbacks p95 {p95:.0f} ms (goal ≤ {GOAL_P95_MS:.0f} ms, 0 errors: "
            f"{'met' if ok else 'not met'}). Workers: {case['workers']}, RSS peak "
            f"{' + '.join(str(v) for v in case['worker_rss_mb_peak'])} MB, CPU {case['worker_cpu_s']} s "
            f"({case['worker_cpu_ms_per_request']} ms a request); machine busy {case['machine_busy_pct']} % "
            f"(others {case['others_cpu_pct_of_machine']} %), load {case['loadavg_before'][0]} → {case['loadavg_after'][0]}.",
            "",
            "| request | count | errors | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r['kind']} | {r['count']} | {r['errors']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['max_ms']:.0f} |"
            for r in case["rows"]
        ]
        if case["error_examples"]:
            lines += ["", "Errors, first ones: " + "; ".join(case["error_examples"][:5])]
        lines.append("")
    return "\n".join(lines)


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="simulated planners (default 50)")
    parser.add_argument("--duration", type=float, default=300, help="seconds of load per case (default 300)")
    parser.add_argument(
        "--hosts", default="1,2", help="the cases, comma-separated: 1 = one host, 2 = two hosts (default 1,2)"
    )
    parser.add_argument("--host-workers", type=int, default=1, help="gunicorn workers of each of several hosts (1)")
    parser.add_argument("--atlas", type=Path, help="an existing atlas (default: build the default atlas afresh)")
    parser.add_argument("--capture", action="store_true", help=f"re-record {SCENARIO.name} in Chromium first")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    cases = [int(c) for c in args.hosts.split(",") if c.strip()]
    think = (0.5, 1.5)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        work = Path(tmp)
        atlas = args.atlas
        if atlas is None:
            from etl.pipeline import BuildOptions, run_build

            atlas = work / "atlas"
            run_build(BuildOptions(progress=False), atlas)
        if args.capture:
            with hosts(atlas, n=1, workers=2, work=work / "capture") as served:
                capture(served[0][0], atlas, chromium=CHROMIUM)
            print(f"recorded {SCENARIO}", file=sys.stderr)
        scenario = load_scenario()
        report: dict[str, Any] = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "commit": _commit(),
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "users": args.users,
            "duration_s": args.duration,
            "think_s": list(think),
            "host_workers": args.host_workers,
            "scenario_recorded": scenario.get("recorded"),
            "cases": [],
        }
        for n in cases:
            print(f"[load] {n} host(s), {args.users} planners, {args.duration:.0f} s", file=sys.stderr, flush=True)
            case_dir = work / f"hosts{n}"
            with hosts(atlas, n=n, workers=2 if n == 1 else args.host_workers, work=case_dir) as served:
                report["cases"].append(
                    measure(
                        [u for u, _ in served],
                        [p for _, p in served],
                        scenario,
                        users=args.users,
                        duration_s=args.duration,
                        seed=args.seed,
                    )
                )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = json.dumps(report, indent=2)
    (RESULTS / f"load-{stamp}.json").write_text(text)
    (RESULTS / "load-latest.json").write_text(text)
    md = markdown(report)
    (RESULTS / "load-latest.md").write_text(md)
    print(md)
    return 0 if all(c["errors"] == 0 for c in report["cases"]) else 1


if __name__ == "__main__":
    sys.exit(main())
