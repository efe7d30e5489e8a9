"""Benchmark: the hotspot stage on Utrecht's 111 buurten, and Gi* permutation inference, esda vs a naive loop.

    python -m bench.hotspots            # 999 permutations; writes bench/results/hotspots-*.json
    python -m bench.hotspots --quick    # 99 permutations, a smoke test of the benchmark itself

(a) The whole computation of the build stage (`etl.hotspots.compute_hotspots`: weights, raw/EB/spatial EB
rates, Gi* and local Moran with conditional permutations, FDR, classes, change) for 5 care types × 2 periods
of fictitious counts on the real buurten (a synthetic 111-buurt grid when the data directory is absent).
(b) One family's Gi* conditional-permutation p-values: esda's engine (`etl.inference.gi_star`) against a
deliberately naive loop (per buurt, per permutation: draw neighbours, sum, compare). Both estimate the same
p-values from different random draws, so they must agree within Monte-Carlo error; the ratio is reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
SOORTEN = {"buurtteam": 0.06, "specialistisch": 0.03, "verblijf": 0.005, "jeugdbescherming": 0.01}


def _buurten() -> Any:
    from etl import config
    from etl.settings import EtlSettings

    path = EtlSettings.from_environ().data_dir / config.DEFAULT_BOUNDARIES
    if path.exists():
        from etl.pipeline import BuildOptions, build_atlas
        from etl.travel import TravelOptions

        atlas = build_atlas(BuildOptions(progress=False, travel=TravelOptions(enabled=False)))
        return atlas["buurten"], "Utrecht (real boundaries)"
    import geopandas as gpd
    from shapely.geometry import box

    cells = [
        box(136000 + 300 * (i % 11), 455000 + 300 * (i // 11), 136300 + 300 * (i % 11), 455300 + 300 * (i // 11))
        for i in range(111)
    ]
    gdf = gpd.GeoDataFrame(
        {"buurtcode": [f"BU9999{i // 11 + 1:02d}{i % 11 + 1:02d}" for i in range(111)]},
        geometry=cells,
        crs="EPSG:28992",
    )
    gdf["youth_population"] = 200.0 + np.random.default_rng(1).gamma(2.0, 300.0, 111)
    return gdf, "synthetic 111-buurt grid (no data directory)"


def _caseloads(gdf: Any) -> pd.DataFrame:
    rng = np.random.default_rng(2024)
    youth = gdf["youth_population"].fillna(0).to_numpy()
    frames = []
    for periode in ("2023", "2024"):
        for soort, rate in SOORTEN.items():
            frames.append(
                pd.DataFrame(
                    {
                        "buurtcode": gdf["buurtcode"],
                        "periode": periode,
                        "soort": soort,
                        "aantal": rng.poisson(youth * rate * rng.gamma(8.0, 1 / 8.0, len(youth))),
                    }
                )
            )
    df = pd.concat(frames, ignore_index=True)
    total = df.groupby(["buurtcode", "periode"], as_index=False)["aantal"].sum().assign(soort="totaal")
    df = pd.concat([df, total], ignore_index=True)
    df["youth_population"] = df["buurtcode"].map(dict(zip(gdf["buurtcode"], gdf["youth_population"], strict=True)))
    return df


def naive_gi_star_p(y: np.ndarray, neighbours: list[list[int]], *, permutations: int, seed: int) -> np.ndarray:
    """Two-sided conditional-permutation p of Gi* (binary weights, self included), one draw at a time."""
    rng = np.random.default_rng(seed)
    n = len(y)
    out = np.empty(n)
    for i in range(n):
        others = np.delete(np.arange(n), i)
        observed = y[i] + y[neighbours[i]].sum()
        k = len(neighbours[i])
        greater = lesser = 0
        for _ in range(permutations):
            s = y[i] + y[rng.choice(others, size=k, replace=False)].sum()
            greater += s >= observed
            lesser += s <= observed
        out[i] = min(1.0, 2 * (min(greater, lesser) + 1) / (permutations + 1))
    return out


def run(*, quick: bool, out_dir: Path) -> dict[str, Any]:
    from etl.hotspots import HotspotOptions, compute_hotspots
    from etl.inference import gi_star
    from etl.rates import empirical_bayes
    from etl.weights import build_weights

    permutations = 99 if quick else 999
    gdf, case = _buurten()
    df = _caseloads(gdf)
    options = HotspotOptions(permutations=permutations)
    compute_hotspots(gdf, df.iloc[:0].copy(), options=options)  # imports and caches, outside the timing
    started = time.perf_counter()
    result = compute_hotspots(gdf, df, options=options)
    stage_s = time.perf_counter() - started

    rows = df[(df["periode"] == "2024") & (df["soort"] == "totaal")].set_index("buurtcode").reindex(gdf["buurtcode"])
    keep = rows["youth_population"].fillna(0).to_numpy() > 0
    exclude = {c: "no_youth" for c, k in zip(gdf["buurtcode"], keep, strict=True) if not k}
    bw = build_weights(gdf, exclude=exclude)
    y = empirical_bayes(
        rows.loc[list(bw.ids), "aantal"].to_numpy(), rows.loc[list(bw.ids), "youth_population"].to_numpy()
    )
    index = {c: i for i, c in enumerate(bw.ids)}
    neighbours = [[index[c] for c in bw.neighbours[code]] for code in bw.ids]
    started = time.perf_counter()
    fast = gi_star(y, bw.fresh(), permutations=permutations, seed=options.seed, alternative="two-sided")
    fast_s = time.perf_counter() - started
    started = time.perf_counter()
    naive = naive_gi_star_p(y, neighbours, permutations=permutations, seed=options.seed)
    naive_s = time.perf_counter() - started
    diff = np.abs(fast.p - naive)
    # A two-sided p from R draws has a standard error of at most 2 × 0.5 / √R; the difference of two
    # independent estimates √2 times that; over ~110 buurten the largest difference stays within 4 of those.
    tolerance = 4 * np.sqrt(2) * 2 * 0.5 / np.sqrt(permutations)
    report = {
        "benchmark": "hotspots",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "case": case,
        "buurten": len(gdf),
        "families": len(result.method["families"]),
        "permutations": permutations,
        "stage_seconds": round(stage_s, 3),
        "gi_star_one_family": {
            "esda_seconds": round(fast_s, 4),
            "naive_seconds": round(naive_s, 4),
            "speedup": round(naive_s / fast_s, 1) if fast_s > 0 else None,
            "max_abs_p_difference": round(float(diff.max()), 4),
            "mean_abs_p_difference": round(float(diff.mean()), 4),
            "tolerance": round(float(tolerance), 4),
            "agree": bool(diff.max() <= tolerance),
        },
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (out_dir / f"hotspots-{stamp}.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


def markdown(report: dict[str, Any]) -> str:
    g = report["gi_star_one_family"]
    return "\n".join(
        [
            f"# Hotspots benchmark ({report['date']})",
            f"Case: {report['case']}; {report['buurten']} buurten, {report['families']} families, "
            f"{report['permutations']} permutations.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| whole computation (weights, rates, Gi*, Moran, change) | {report['stage_seconds']} s |",
            f"| Gi* one family, esda engine | {g['esda_seconds']} s |",
            f"| Gi* one family, naive loop | {g['naive_seconds']} s |",
            f"| speed-up | {g['speedup']}× |",
            f"| max \\|p esda − p naive\\| (tolerance) | {g['max_abs_p_difference']} ({g['tolerance']}) |",
            f"| mean \\|p esda − p naive\\| | {g['mean_abs_p_difference']} |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.hotspots", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--quick", action="store_true", help="99 permutations (smoke test)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    report = run(quick=args.quick, out_dir=args.out)
    print(markdown(report))
    return 0 if report["gi_star_one_family"]["agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
