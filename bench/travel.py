"""Benchmark: the origin×team cost matrix and nearest-team queries, fast (scipy csgraph) vs naive (networkx per origin).

    python -m bench.travel            # (a) Utrecht, (b) national-size synthetic; writes bench/results/
    python -m bench.travel --quick    # tiny sizes, a smoke test of the benchmark itself

Both methods run on the same data — the same arcs with the same encoded weights (time, then length), the
same snapped origins and teams — and must agree exactly; each phase runs in its own process so that its peak
memory (``ru_maxrss``) is its own. Travel mode: bike (the mode of coverage and E2SFCA).

* fast — `etl.travel`: build the reversed CSR graph (+ strongly connected part, KD-tree, snapping); the
  matrix by one Dijkstra per team (bounded by ``limit`` minutes when set); nearest team of each set
  (buurtteams, KOOS, Spoor030, all specialists) by one multi-source Dijkstra (``min_only=True``) per set.
* naive — a networkx DiGraph of the same arcs; per origin ``single_source_dijkstra_path_length`` (with the
  same cutoff), its row of the matrix read off, nearest of each set = the row's minimum. On the national case
  it runs on a random sample of origins and is extrapolated linearly (per-origin searches are independent).

(a) Utrecht: the 111 real buurten (representative points) from the data directory, 38 synthetic teams, a
synthetic street grid over Utrecht + 5 km (no OSM extract is available offline). (b) National: ~14,000
origins, ~2,000 teams, a street grid of ≥ 500,000 edges over 189 × 189 km. Also the what-if on Utrecht (all
three modes): seconds per scenario, target < 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.synthetic import Layout, clustered_points, street_grid, team_sets
from geodata.network import MODES, Speeds, StreetNetwork

RESULTS = Path(__file__).resolve().parent / "results"
MODE = "bike"
SETS = ("buurtteam", "spec_KOOS", "spec_Spoor030", "spec_any")


# ---------------------------------------------------------------- cases


def _utrecht_buurten(quick: bool) -> tuple[np.ndarray, pd.DataFrame | None]:
    """Representative points of the real Utrecht buurten (and the frame), or a synthetic 111 when data is absent."""
    from etl import config
    from etl.settings import EtlSettings

    path = EtlSettings.from_environ().data_dir / config.DEFAULT_BOUNDARIES
    if quick or not path.exists():
        rng = np.random.default_rng(344)
        return np.column_stack([rng.uniform(127000, 143000, 111), rng.uniform(450000, 463000, 111)]), None
    from geodata.cbs import read_boundaries

    gdf = read_boundaries(path).buurten
    pts = gdf.geometry.representative_point()
    return np.column_stack([pts.x, pts.y]), gdf


def _utrecht_extent(origins: np.ndarray, gdf: pd.DataFrame | None) -> tuple[float, float, float, float]:
    """What the build keeps of a network for Utrecht: the buurten's bounds plus the default clip buffer."""
    from etl.travel import TravelOptions

    buffer = TravelOptions().clip_buffer_m or 0.0
    if gdf is not None:
        xmin, ymin, xmax, ymax = (float(v) for v in gdf.total_bounds)
    else:
        (xmin, ymin), (xmax, ymax) = origins.min(axis=0), origins.max(axis=0)
    return xmin - buffer, ymin - buffer, xmax + buffer, ymax + buffer


def make_case(name: str, *, quick: bool) -> dict[str, Any]:
    """Network, origins and teams of one case (deterministic)."""
    if name == "utrecht":
        origins, gdf = _utrecht_buurten(quick)
        xmin, ymin, xmax, ymax = _utrecht_extent(origins, gdf)
        spacing = 250.0 if quick else 60.0
        layout = Layout(
            int((xmax - xmin) // spacing) + 1, int((ymax - ymin) // spacing) + 1, spacing, (float(xmin), float(ymin))
        )
        n_teams, limit = 38, None
        rng = np.random.default_rng(30)
        teams = origins[rng.choice(len(origins), n_teams, replace=False)] + rng.normal(0, 150, (n_teams, 2))
    else:
        side = 60 if quick else 540
        layout = Layout(side, side, 350.0, (14000.0, 307000.0))
        n_origins, n_teams = (600, 40) if quick else (14000, 2000)
        origins = clustered_points(n_origins, layout.bbox, n_centres=40 if quick else 400, seed=11, spread=1500.0)
        teams = clustered_points(n_teams, layout.bbox, n_centres=40 if quick else 400, seed=12, spread=1500.0)
        limit = 30.0
    soort, org = team_sets(len(teams), seed=13)
    return {
        "name": name,
        "layout": layout,
        "origins": origins,
        "teams": teams,
        "soort": soort,
        "org": org,
        "limit": limit,
    }


def _save(case: dict[str, Any], network: StreetNetwork, path: Path) -> None:
    e = network.edges
    np.savez(
        path,
        node_xy=network.nodes[["x", "y"]].to_numpy(),
        u=e["u"].to_numpy(),
        v=e["v"].to_numpy(),
        length=e["length_m"].to_numpy(),
        maxspeed=e["maxspeed_kmh"].to_numpy(),
        highway=e["highway"].to_numpy(dtype=str),
        flags=e[[f"{m}_{d}" for m in MODES for d in ("fw", "bw")]].to_numpy(),
        origins=case["origins"],
        teams=case["teams"],
        soort=case["soort"].astype(str),
        org=case["org"].astype(str),
        limit=np.array(np.nan if case["limit"] is None else case["limit"]),
    )


def _load(path: Path) -> tuple[StreetNetwork, dict[str, Any]]:
    with np.load(path) as z:
        edges = pd.DataFrame(
            {
                "u": z["u"],
                "v": z["v"],
                "length_m": z["length"],
                "highway": z["highway"].astype(object),
                "maxspeed_kmh": z["maxspeed"],
            }
        )
        for i, col in enumerate(f"{m}_{d}" for m in MODES for d in ("fw", "bw")):
            edges[col] = z["flags"][:, i]
        nodes = pd.DataFrame({"x": z["node_xy"][:, 0], "y": z["node_xy"][:, 1], "osm_id": -1})
        limit = float(z["limit"])
        data = {
            "origins": z["origins"],
            "teams": z["teams"],
            "soort": z["soort"].astype(object),
            "org": z["org"].astype(object),
            "limit": None if np.isnan(limit) else limit,
        }
    return StreetNetwork(nodes, edges, path.name, "edges"), data


def _set_masks(soort: np.ndarray, org: np.ndarray) -> dict[str, np.ndarray]:
    spec = soort == "specialistisch"
    return {
        "buurtteam": soort == "buurtteam",
        "spec_KOOS": spec & (org == "KOOS"),
        "spec_Spoor030": spec & (org == "Spoor030"),
        "spec_any": spec,
    }


# ---------------------------------------------------------------- phases (each in its own process)


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_fast(data_path: Path, out_path: Path) -> dict[str, Any]:
    from etl.travel import build_mode_graphs, decode, nearest_sets_on_network, network_columns, snap_points

    network, data = _load(data_path)
    base_mb = _rss_mb()
    c0 = time.process_time()
    t0 = time.perf_counter()
    graph = build_mode_graphs(network, speeds=Speeds(), modes=(MODE,))[MODE]
    o_snap = snap_points(graph, data["origins"])
    t_snap = snap_points(graph, data["teams"])
    t1 = time.perf_counter()
    time_min, dist_m = network_columns(graph, origin=o_snap, team=t_snap, limit_min=data["limit"])
    t2 = time.perf_counter()
    found = nearest_sets_on_network(graph, origin=o_snap, team=t_snap, sets=_set_masks(data["soort"], data["org"]))
    nearest = {name: (decode(enc)[0], which) for name, (enc, which) in found.items()}
    t3 = time.perf_counter()
    cpu = time.process_time() - c0
    np.savez(
        out_path,
        time_min=time_min,
        dist_m=dist_m,
        **{f"near_t_{k}": v[0] for k, v in nearest.items()},
        **{f"near_j_{k}": v[1] for k, v in nearest.items()},
    )
    return {
        "prepare_s": t1 - t0,
        "matrix_s": t2 - t1,
        "nearest_s": t3 - t2,
        "total_s": t3 - t0,
        "total_cpu_s": cpu,
        "peak_rss_mb": _peak_mb(),
        "peak_over_data_mb": _peak_mb() - base_mb,
        "nodes": graph.n_nodes,
        "arcs": graph.n_arcs,
        "finite_pairs": int(np.isfinite(time_min).sum()),
    }


def phase_naive(data_path: Path, out_path: Path, sample: int) -> dict[str, Any]:
    import networkx as nx

    from etl.travel import build_mode_graphs, decode, snap_points

    network, data = _load(data_path)
    # the same arcs, weights and snapping as the fast path (prepared outside the timing)
    graph = build_mode_graphs(network, speeds=Speeds(), modes=(MODE,))[MODE]
    o_snap = snap_points(graph, data["origins"])
    t_snap = snap_points(graph, data["teams"])
    forward = graph.reverse.T.tocoo()
    tails, heads, weights = forward.row.tolist(), forward.col.tolist(), forward.data.tolist()
    del graph, forward
    n_o = len(o_snap.nodes)
    rows = (
        np.sort(np.random.default_rng(5).choice(n_o, min(sample, n_o), replace=False))
        if sample < n_o
        else np.arange(n_o)
    )
    limit_enc = None if data["limit"] is None else (np.floor(data["limit"] * 60000) + 1) * 1e8
    base_mb = _rss_mb()
    c0 = time.process_time()
    t0 = time.perf_counter()
    g = nx.DiGraph()
    g.add_weighted_edges_from(zip(tails, heads, weights, strict=True), weight="w")
    t1 = time.perf_counter()
    c1 = time.process_time()
    team_nodes = t_snap.nodes.tolist()
    enc = np.full((len(rows), len(team_nodes)), np.inf)
    for k, i in enumerate(rows):
        reach = nx.single_source_dijkstra_path_length(g, int(o_snap.nodes[i]), cutoff=limit_enc, weight="w")
        got = np.array([reach.get(t, np.inf) for t in team_nodes])
        enc[k] = got + o_snap.leg_enc[i] + t_snap.leg_enc
    if limit_enc is not None:
        enc = np.where(enc < limit_enc, enc, np.inf)
    time_min, dist_m = decode(enc)
    nearest = {
        name: time_min[:, mask].min(axis=1) if mask.any() else np.full(len(rows), np.inf)
        for name, mask in _set_masks(data["soort"], data["org"]).items()
    }
    t2 = time.perf_counter()
    c2 = time.process_time()
    np.savez(out_path, rows=rows, time_min=time_min, dist_m=dist_m, **{f"near_t_{k}": v for k, v in nearest.items()})
    per_origin = (t2 - t1) / len(rows)
    return {
        "graph_s": t1 - t0,
        "searches_s": t2 - t1,
        "origins_searched": len(rows),
        "origins_total": n_o,
        "per_origin_s": per_origin,
        "total_s": (t1 - t0) + per_origin * n_o,
        "total_cpu_s": (c1 - c0) + (c2 - c1) / len(rows) * n_o,
        "extrapolated": len(rows) < n_o,
        "peak_rss_mb": _peak_mb(),
        "peak_over_data_mb": _peak_mb() - base_mb,
    }


def _run_phase(phase: str, data_path: Path, out_path: Path, sample: int) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.travel",
        "--phase",
        phase,
        "--data",
        str(data_path),
        "--phase-out",
        str(out_path),
        "--naive-sample",
        str(sample),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parent.parent)
    if done.returncode != 0:
        raise RuntimeError(f"phase {phase} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _agree(fast_path: Path, naive_path: Path) -> dict[str, Any]:
    with np.load(fast_path) as f, np.load(naive_path) as n:
        rows = n["rows"]
        same_t = np.array_equal(f["time_min"][rows], n["time_min"])
        same_d = np.array_equal(f["dist_m"][rows], n["dist_m"])
        near_ok = True
        for name in SETS:
            naive_t = n[f"near_t_{name}"]
            fast_t = f[f"near_t_{name}"][rows]
            finite = np.isfinite(naive_t)  # the naive search is bounded like the matrix
            near_ok &= bool(np.array_equal(fast_t[finite], naive_t[finite]))
    return {"matrix_rows_equal": bool(same_t and same_d), "nearest_equal": near_ok, "rows_compared": len(rows)}


# ---------------------------------------------------------------- what-if on Utrecht


def whatif_timing(*, quick: bool, repeats: int = 5) -> dict[str, Any]:
    """Seconds per what-if on Utrecht (all three modes, network and straight line), from a loaded base."""
    from etl.travel import DetourFactors, TravelOptions, build_mode_graphs, origin_team_costs, representative_origins
    from etl.whatif import Move, NewTeam, Scenario, apply_scenario, whatif_base

    case = make_case("utrecht", quick=quick)
    origins_xy, gdf = _utrecht_buurten(quick)
    if gdf is None:
        import geopandas as gpd
        from shapely.geometry import Point

        gdf = gpd.GeoDataFrame(
            {
                "buurtcode": [f"BU0344{i:04d}" for i in range(len(origins_xy))],
                "wijkcode": [f"WK0344{i % 10 + 1:02d}" for i in range(len(origins_xy))],
                "gemeentecode": "GM0344",
            },
            geometry=[Point(x, y).buffer(100) for x, y in origins_xy],
            crs="EPSG:28992",
        )
    gdf = gdf.copy()
    gdf["youth_population"] = np.random.default_rng(1).integers(50, 1500, len(gdf)).astype(float)
    contract = pd.read_csv(
        Path(__file__).resolve().parent.parent / "geodata" / "reference" / "utrecht_contract_2020.csv", comment="#"
    )
    gdf["provider"] = gdf["wijkcode"].map(dict(zip(contract["wijkcode"], contract["aanbieder"], strict=True)))
    n_t = len(case["teams"])
    import geopandas as gpd

    teams = gpd.GeoDataFrame(
        {
            "team_id": [f"T{j:02d}" for j in range(n_t)],
            "naam": [f"Team {j}" for j in range(n_t)],
            "organisatie": case["org"],
            "soort": case["soort"],
            "capaciteit_fte": np.random.default_rng(2).uniform(5, 16, n_t).round(1),
        },
        geometry=gpd.points_from_xy(case["teams"][:, 0], case["teams"][:, 1]),
        crs="EPSG:28992",
    )
    origins = representative_origins(gdf)
    network = street_grid(case["layout"], seed=3)
    out: dict[str, Any] = {"buurten": len(gdf), "teams": n_t, "network_edges": len(network.edges)}
    xmid, ymid = origins_xy.mean(axis=0)
    scenarios = {
        "move one team": Scenario(move=(Move("T03", float(xmid), float(ymid)),)),
        "add one buurtteam": Scenario(
            add=(NewTeam("Nieuw", float(xmid) + 800, float(ymid) - 600, "Lokalis", "buurtteam"),)
        ),
        "remove one team": Scenario(remove=("T05",)),
        "change a capacity": Scenario(capacity=(parse_capacity("T01", 20.0),)),
        "add 2 + move 2 + remove 2": Scenario(
            add=(
                NewTeam("N1", float(xmid) - 2000, float(ymid), "Lokalis", "buurtteam"),
                NewTeam("N2", float(xmid) + 2000, float(ymid), "KOOS", "specialistisch"),
            ),
            move=(Move("T07", float(xmid), float(ymid) + 1500), Move("T30", float(xmid) - 1500, float(ymid) - 1500)),
            remove=("T09", "T31"),
        ),
    }
    for method in ("network", "straight_line"):
        graphs = build_mode_graphs(network, speeds=Speeds()) if method == "network" else None
        t0 = time.perf_counter()
        costs = origin_team_costs(
            origin_xy=origins[["x", "y"]].to_numpy(),
            team_ids=teams["team_id"].tolist(),
            team_xy=np.column_stack([teams.geometry.x, teams.geometry.y]),
            speeds=Speeds(),
            detour=DetourFactors(),
            graphs=graphs,
        )
        build_s = time.perf_counter() - t0
        base = whatif_base(gdf_buurten=gdf, gdf_teams=teams, origins=origins, costs=costs, options=TravelOptions())
        timings, cpu = {}, {}
        for label, scenario in scenarios.items():
            runs, cpu_runs = [], []
            for _ in range(repeats):
                t, c = time.perf_counter(), time.process_time()
                apply_scenario(base, scenario)
                runs.append(time.perf_counter() - t)
                cpu_runs.append(time.process_time() - c)
            timings[label] = float(np.median(runs))
            cpu[label] = float(np.median(cpu_runs))
        out[method] = {
            "cost_structure_3_modes_s": build_s,
            "whatif_median_s": timings,
            "whatif_median_cpu_s": cpu,
            "whatif_max_s": max(timings.values()),
        }
    return out


def parse_capacity(team_id: str, fte: float) -> Any:
    from etl.whatif import CapacityChange

    return CapacityChange(team_id, fte)


# ---------------------------------------------------------------- the run


def run(*, quick: bool, naive_sample: int, out_dir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "mode": MODE,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "cases": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("utrecht", "national"):
            case = make_case(name, quick=quick)
            network = street_grid(case["layout"], seed=1 if name == "national" else 3)
            data_path = Path(tmp) / f"{name}.npz"
            _save(case, network, data_path)
            sample = naive_sample if name == "national" else len(case["origins"])
            print(
                f"· {name}: {len(case['origins'])} origins, {len(case['teams'])} teams, {len(network.edges)} edges …",
                file=sys.stderr,
                flush=True,
            )
            fast = _run_phase("fast", data_path, Path(tmp) / f"{name}-fast.npz", sample)
            naive = _run_phase("naive", data_path, Path(tmp) / f"{name}-naive.npz", sample)
            agree = _agree(Path(tmp) / f"{name}-fast.npz", Path(tmp) / f"{name}-naive.npz")
            report["cases"][name] = {
                "origins": len(case["origins"]),
                "teams": len(case["teams"]),
                "edges": len(network.edges),
                "network": network.source,
                "limit_min": case["limit"],
                "fast": fast,
                "naive": naive,
                "speedup": naive["total_s"] / fast["total_s"],
                "speedup_cpu": naive["total_cpu_s"] / fast["total_cpu_s"],
                "agreement": agree,
            }
    print("· what-if on Utrecht …", file=sys.stderr, flush=True)
    report["whatif_utrecht"] = whatif_timing(quick=quick)
    report["bench_seconds"] = time.perf_counter() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = json.dumps(report, indent=2, default=float)
    (out_dir / f"travel-{stamp}.json").write_text(text)
    (out_dir / "travel-latest.json").write_text(text)
    (out_dir / "travel-latest.md").write_text(markdown(report))
    return report


def markdown(report: dict[str, Any]) -> str:
    """The results as the table that goes into docs/benchmarks.md."""
    lines = [
        f"Travel benchmark ({report['date']}, {report['machine']['cpus']} CPUs, mode {report['mode']}{', QUICK' if report['quick'] else ''})",
        "",
        "| case | origins × teams | edges | fast: prepare + matrix + nearest (CPU) | fast peak RSS | naive (networkx): graph + per origin × origins (CPU) | naive peak RSS | speed-up wall (CPU) | agree |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, c in report["cases"].items():
        f, n = c["fast"], c["naive"]
        naive_note = f" (extrapolated from {n['origins_searched']:,})" if n["extrapolated"] else ""
        limit = f", ≤ {c['limit_min']:g} min" if c["limit_min"] else ""
        lines.append(
            f"| {name}{limit} | {c['origins']:,} × {c['teams']:,} | {c['edges']:,} | "
            f"{f['prepare_s']:.2f} + {f['matrix_s']:.2f} + {f['nearest_s']:.2f} = **{f['total_s']:.1f} s** ({f['total_cpu_s']:.1f} s) | {f['peak_rss_mb']:.0f} MB | "
            f"{n['graph_s']:.1f} + {n['per_origin_s'] * 1000:.1f} ms × {n['origins_total']:,} = **{n['total_s']:.1f} s** ({n['total_cpu_s']:.1f} s){naive_note} | {n['peak_rss_mb']:.0f} MB | "
            f"**{c['speedup']:.0f}×** ({c['speedup_cpu']:.0f}×) | {'yes' if c['agreement']['matrix_rows_equal'] and c['agreement']['nearest_equal'] else 'NO'} |"
        )
    w = report["whatif_utrecht"]
    lines += [
        "",
        f"What-if on Utrecht ({w['buurten']} buurten, {w['teams']} teams, {w['network_edges']:,} edges, all three modes), median seconds:",
        "",
    ]
    lines.append("| scenario | network: wall (CPU) | straight line: wall (CPU) |")
    lines.append("|---|---|---|")
    for label in w["network"]["whatif_median_s"]:
        net, sl = w["network"], w["straight_line"]
        lines.append(
            f"| {label} | {net['whatif_median_s'][label]:.3f} ({net['whatif_median_cpu_s'][label]:.3f}) | "
            f"{sl['whatif_median_s'][label]:.3f} ({sl['whatif_median_cpu_s'][label]:.3f}) |"
        )
    lines.append(
        f"| (cost structure from scratch) | {w['network']['cost_structure_3_modes_s']:.2f} | {w['straight_line']['cost_structure_3_modes_s']:.3f} |"
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.travel", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument(
        "--naive-sample", type=int, default=2000, help="origins the naive method searches on the national case"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--phase", choices=["fast", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--phase-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        result = (
            phase_fast(args.data, args.phase_out)
            if args.phase == "fast"
            else phase_naive(args.data, args.phase_out, args.naive_sample)
        )
        print(json.dumps(result, default=float))
        return 0
    report = run(quick=args.quick, naive_sample=args.naive_sample, out_dir=args.out)
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
