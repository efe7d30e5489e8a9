"""Benchmark: `buurtdekking validate` on 100,000-row valid care files, against the validator before the table reader was rewritten.

    python -m bench.validate                 # 100,000 rows; writes bench/results/validate-*.json and -latest.md
    python -m bench.validate --rows 5000     # smaller files
    python -m bench.validate --no-baseline   # only today's code (no git needed)

Valid files are generated for the boundaries of the data directory (a synthetic 111-buurt grid without
one), written as people write them (docs/INPUTS.md, *Codes*): buurt codes in turn as BU03440111, bu03440111,
0344 0111 and 3440111 (and, for teams, the buurt's name), decimal commas. Teams: a third each located by
lat/lon, RD x/y and buurtcode; caseloads wide: buurt × month, five count columns; caseloads long: buurt ×
month × care type. A fourth is the case reported slow: examples/teams.csv repeated (unique team ids) to the
same number of rows. Each is checked by ``etl.rules.check.check_file`` —
all of ``validate`` but the process start and reading the boundaries — in a fresh process, once with this
tree and once with the baseline: the same function in the tree of ``--baseline-ref`` (default 98517f0, the
last commit before the reader was rewritten: pandas' python-engine CSV reader and per-cell loops in the rules), unpacked with
``git archive``. The ratio is baseline / today. The whole CLI process (``buurtdekking validate KIND FILE``,
start-up and boundaries included) is timed for today's tree too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
BASELINE_REF = "98517f0"
FILES = (
    ("teams", "teams.csv"),
    ("teams", "teams_example_repeated.csv"),
    ("caseloads", "caseloads_wide.csv"),
    ("caseloads", "caseloads_long.tsv"),
)
PERIODS = [f"{y}-{m:02d}" for y in range(1990, 2100) for m in range(1, 13)]
TYPES = (("totaal", 40), ("buurtteam", 30), ("specialistisch", 12), ("verblijf", 1), ("jeugdbescherming", 2))


def reference() -> tuple[Any, str]:
    """The boundaries files are checked against: the default ones of the data directory, else a synthetic grid."""
    from etl import config
    from etl.rules.reference import CareReference

    # This also runs inside the baseline tree, whose etl may have no settings module: the data directory is the
    # one the parent process put in the environment, else the tree's own default.
    explicit = os.environ.get(config.DATA_ENV)
    data_dir = Path(explicit) if explicit else config.data_dir()
    if (data_dir / config.DEFAULT_BOUNDARIES).exists():
        from etl.rules.check import load_reference

        ref, info = load_reference(atlas_dir=None, data_dir=data_dir)
        return ref, f"default boundaries {info['year']} ({len(ref.buurten)} buurten)"
    import geopandas as gpd
    from shapely.geometry import box

    cells = [
        box(136000 + 300 * (i % 11), 455000 + 300 * (i // 11), 136300 + 300 * (i % 11), 455300 + 300 * (i // 11))
        for i in range(111)
    ]
    codes = [f"BU0344{i // 11 + 1:02d}{i % 11 + 1:02d}" for i in range(111)]
    gdf = gpd.GeoDataFrame(
        {
            "buurtcode": codes,
            "buurtnaam": [f"Buurt {c}" for c in codes],
            "wijkcode": [c[:8].replace("BU", "WK") for c in codes],
            "aantal_inwoners": 1000.0,
        },
        geometry=cells,
        crs="EPSG:28992",
    )
    return CareReference.from_frames(gdf, source="synthetic"), "synthetic 111-buurt grid (no data directory)"


def write_files(directory: Path, *, rows: int) -> dict[str, Path]:
    """The three valid files of ``rows`` data rows each (deterministic)."""
    from pyproj import Transformer

    ref, _ = reference()
    buurten = ref.buurten.sort_values("buurtcode")
    codes = buurten["buurtcode"].astype(str).tolist()
    names = buurten["buurtnaam"].astype(str).tolist()
    unique_names = {n for n in names if names.count(n) == 1}

    def written(k: int, i: int, *, with_names: bool = False) -> str:
        code = codes[k]
        forms = [code, code.lower(), f"{code[2:6]} {code[6:]}", code[3:]]
        if with_names and names[k] in unique_names:
            forms.append(names[k])
        return forms[i % len(forms)]

    points = buurten.geometry.representative_point()
    lon, lat = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True).transform(
        points.x.to_numpy(), points.y.to_numpy()
    )
    paths = {name: directory / name for _, name in FILES}
    with paths["teams.csv"].open("w", encoding="utf-8") as f:
        f.write("team_id;naam;organisatie;soort;lat;lon;x;y;buurtcode;capaciteit_fte;max_caseload\n")
        for i in range(rows):
            k = i % len(codes)
            if i % 3 == 0:
                where = f"{lat[k]:.5f};{lon[k]:.5f};;;".replace(".", ",")
            elif i % 3 == 1:
                where = f";;{points.x.iat[k]:.0f};{points.y.iat[k]:.0f};"
            else:
                where = f";;;;{written(k, i // 3, with_names=True)}"
            f.write(
                f"T{i};Team {i};{('Lokalis', 'KOOS', 'Spoor030')[i % 3]};{('buurtteam', 'specialistisch')[i % 2]};{where};12,5;150\n"
            )
    example = (REPO / "examples" / "teams.csv").read_text(encoding="utf-8").splitlines()
    with paths["teams_example_repeated.csv"].open("w", encoding="utf-8") as f:
        f.write(example[0] + "\n")
        for i in range(rows):
            f.write(f"T{i};" + example[1 + i % (len(example) - 1)].split(";", 1)[1] + "\n")
    cells = [(p, c) for p in PERIODS for c in codes]
    if rows > len(cells):
        raise SystemExit(f"at most {len(cells)} rows: {len(codes)} buurten × {len(PERIODS)} months")
    with paths["caseloads_wide.csv"].open("w", encoding="utf-8") as f:
        f.write("buurtcode;periode;" + ";".join(t for t, _ in TYPES) + "\n")
        for i, (p, c) in enumerate(cells[:rows]):
            f.write(f"{written(codes.index(c), i)};{p};" + ";".join(str(n) for _, n in TYPES) + "\n")
    with paths["caseloads_long.tsv"].open("w", encoding="utf-8") as f:
        f.write("buurtcode\tperiode\tsoort\taantal\n")
        long_rows = ((c, p, t, n) for p, c in cells for t, n in TYPES)
        for i, (c, p, t, n) in zip(range(rows), long_rows, strict=False):
            f.write(f"{written(codes.index(c), i // len(TYPES))}\t{p}\t{t}\t{n}\n")
    return paths


def measure(files: list[tuple[str, str]]) -> dict[str, Any]:
    """In this process (whichever tree comes first on sys.path): check_file per file, timed; boundaries read first."""
    from etl.rules.check import check_file

    ref, _ = reference()
    out = {}
    for kind, path in files:
        started = time.perf_counter()
        report = check_file(kind, path, reference=ref)
        out[Path(path).name] = {
            "seconds": round(time.perf_counter() - started, 3),
            "valid": report.valid,
            "rows": report.rows,
            "problems": len(report.problems),
        }
    return out


def _in_fresh_process(tree: Path, files: list[tuple[str, str]]) -> dict[str, Any]:
    from etl import config
    from etl.settings import EtlSettings

    # The baseline tree's own idea of the data directory is relative to where it was unpacked: give it ours.
    env = {**os.environ, "PYTHONPATH": "", config.DATA_ENV: str(EtlSettings.from_environ().data_dir)}
    code = (
        "import json, sys; sys.path[:0] = sys.argv[1:3]; from bench.validate import measure; "
        "print(json.dumps(measure(json.loads(sys.argv[3]))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tree), str(REPO), json.dumps(files)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tempfile.gettempdir(),
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError(f"measuring in {tree} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _baseline_tree(ref: str, directory: Path) -> Path | None:
    """The packages geodata and etl as of ``ref`` (git archive), or None when git or the commit is not there."""
    target = directory / f"baseline-{ref}"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref, "geodata", "etl"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def _cli_seconds(kind: str, path: Path) -> tuple[float, int]:
    exe = Path(sys.executable).parent / "buurtdekking"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "cli.main"]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "validate", kind, str(path)], capture_output=True, text=True, check=False, cwd=REPO
    )
    return round(time.perf_counter() - started, 2), done.returncode


def run(*, rows: int, baseline_ref: str | None, out_dir: Path) -> dict[str, Any]:
    _, case = reference()
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        paths = write_files(Path(tmp), rows=rows)
        files = [(kind, str(paths[name])) for kind, name in FILES]
        today = _in_fresh_process(REPO, files)
        cli = {paths[name].name: _cli_seconds(kind, paths[name]) for kind, name in FILES}
        tree = _baseline_tree(baseline_ref, Path(tmp)) if baseline_ref else None
        baseline = _in_fresh_process(tree, files) if tree is not None else None
        sizes = {p.name: p.stat().st_size for p in paths.values()}
    results = {}
    for _, name in FILES:
        entry: dict[str, Any] = {
            "bytes": sizes[name],
            "today": today[name],
            "cli_process": {"seconds": cli[name][0], "exit": cli[name][1]},
        }
        if baseline is not None:
            entry["baseline"] = baseline[name]
            entry["ratio"] = (
                round(baseline[name]["seconds"] / today[name]["seconds"], 1) if today[name]["seconds"] else None
            )
        results[name] = entry
    report = {
        "benchmark": "validate",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "case": case,
        "rows": rows,
        "baseline": f"etl.rules.check.check_file at {baseline_ref} (before the reader was rewritten)"
        if baseline is not None
        else None,
        "files": results,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (out_dir / f"validate-{stamp}.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out_dir / "validate-latest.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out_dir / "validate-latest.md").write_text(markdown(report) + "\n", encoding="utf-8")
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Validate benchmark ({report['date']})",
        f"{report['rows']:,} data rows per file; checked against the {report['case']}; "
        f"baseline: {report['baseline'] or 'not measured'}.",
        "",
        "| file | MB | today: check | baseline: check | baseline / today | today: whole `validate` process |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in report["files"].items():
        base = r.get("baseline")
        base_text = (
            "–"
            if base is None
            else f"{base['seconds']} s" + ("" if base["valid"] else f" (invalid: {base['problems']} problems)")
        )
        ratio = "–" if r.get("ratio") is None else f"{r['ratio']}×"
        lines.append(
            f"| {name} | {r['bytes'] / 1e6:.1f} | {r['today']['seconds']} s | {base_text} | {ratio} | "
            f"{r['cli_process']['seconds']} s (exit {r['cli_process']['exit']}) |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.validate", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--baseline-ref",
        default=BASELINE_REF,
        help="git commit of the baseline (default: before the reader was rewritten)",
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    report = run(rows=args.rows, baseline_ref=None if args.no_baseline else args.baseline_ref, out_dir=args.out)
    print(markdown(report))
    ok = all(r["today"]["valid"] and r["cli_process"]["exit"] == 0 for r in report["files"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
