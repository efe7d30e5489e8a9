"""Where the server time of the recorded requests goes: each replayed in-process, timed, and profiled.

    python -m bench.load_profile --atlas atlas                 # CPU ms per request kind of an indicator switch
    python -m bench.load_profile --atlas atlas --action buurt --profile update_map

The recorded requests of one action (bench/load_scenario.json) go through Flask's test client of a fresh
app, one at a time and in one thread, so the CPU time of each is its server cost alone, whatever else
the machine does; ``--profile KIND`` prints pyinstrument's call tree of that kind's requests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.load_capture import load_scenario


def replay(client: Any, request: dict[str, Any]) -> tuple[int, int]:
    """One recorded request through the test client: (status, response bytes)."""
    headers = {"Referer": "http://localhost" + request["referer"]} if request.get("referer") else {}
    if request["method"] == "POST":
        resp = client.post(request["path"], data=request["body"], content_type="application/json", headers=headers)
    else:
        resp = client.get(request["path"], headers=headers)
    return resp.status_code, len(resp.get_data())


def costs(atlas: Path, action: str, *, rounds: int, profile: str | None, cold: bool = False) -> dict[str, Any]:
    """Median CPU and wall ms and response bytes per request kind of ``action``, over ``rounds`` replays.

    ``cold``: what the view keeps for later requests (views.data.Memo) is dropped before each one, so every
    request computes its answer afresh, as the first to ask for that buurt or indicator does.
    """
    from dashboard.app import create_app
    from views.data import get_view

    app = create_app(atlas)
    client = app.server.test_client()
    variants = load_scenario()["actions"][action]
    requests = [r for waves in variants for wave in waves for r in wave]
    for r in requests:  # the first request of a worker pays for the pages, the CSP, the atlas view
        replay(client, r)
    cpu: dict[str, list[float]] = {}
    wall: dict[str, list[float]] = {}
    size: dict[str, int] = {}
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
    for _ in range(rounds):
        for r in requests:
            memo = getattr(get_view(atlas), "memo", None)  # None before the views kept anything
            if cold and memo is not None:
                memo.clear()
            profiling = profiler is not None and r["kind"] == profile
            if profiling and profiler is not None:
                profiler.start()
            c0, w0 = time.process_time(), time.perf_counter()
            status, n = replay(client, r)
            c1, w1 = time.process_time(), time.perf_counter()
            if profiling and profiler is not None:
                profiler.stop()
            if status not in (200, 204):
                raise RuntimeError(f"{r['kind']}: HTTP {status}")
            cpu.setdefault(r["kind"], []).append((c1 - c0) * 1000)
            wall.setdefault(r["kind"], []).append((w1 - w0) * 1000)
            size[r["kind"]] = n
    out = {
        kind: {
            "n": len(values),
            "cpu_ms": round(statistics.median(values), 1),
            "wall_ms": round(statistics.median(wall[kind]), 1),
            "bytes": size[kind],
        }
        for kind, values in cpu.items()
    }
    if profiler is not None:
        print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load_profile", description=__doc__.split("\n")[0])
    parser.add_argument("--atlas", type=Path, help="the atlas to serve (default: build the default atlas afresh)")
    parser.add_argument("--action", default="switch", help="recorded action to replay (switch, buurt, whatif, …)")
    parser.add_argument("--rounds", type=int, default=5, help="replays of every recorded variant (5)")
    parser.add_argument("--profile", metavar="KIND", help="print pyinstrument's call tree for this request kind")
    parser.add_argument("--cold", action="store_true", help="every request computes afresh (nothing kept between)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-load-profile-") as tmp:
        atlas = args.atlas
        if atlas is None:
            from etl.pipeline import BuildOptions, run_build

            atlas = Path(tmp) / "atlas"
            run_build(BuildOptions(progress=False), atlas)
        result = costs(atlas, args.action, rounds=args.rounds, profile=args.profile, cold=args.cold)
    print(
        f"| {args.action}{' (cold)' if args.cold else ''}: request | n | CPU ms (median) | wall ms | response bytes |"
    )
    print("|---|---:|---:|---:|---:|")
    for kind, row in result.items():
        print(f"| {kind} | {row['n']} | {row['cpu_ms']} | {row['wall_ms']} | {row['bytes']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
