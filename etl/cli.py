"""The `buurtdekking` command: argument parsing only; each subcommand calls the pipeline or the app."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from etl import config
from geodata.errors import InputError

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors also say what to do in Dutch."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(
            EXIT_USAGE,
            f"{self.prog}: fout/error: {message}\n"
            f"Zie/see '{self.prog} --help'.\n",
        )


def _gemeenten(values: list[str] | None) -> tuple[str, ...]:
    if not values:
        return (config.DEFAULT_GEMEENTE,)
    out: list[str] = []
    for v in values:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return tuple(out)


def _cmd_build(args: argparse.Namespace) -> int:
    from etl.pipeline import BuildOptions, run_build

    opts = BuildOptions(
        boundaries=args.boundaries,
        statistics=args.statistics,
        gemeenten=_gemeenten(args.gemeente),
        data_dir=args.data_dir,
        layer=args.layer,
        crs=args.crs,
        year=args.year,
        no_statistics=args.no_statistics,
        progress=not args.quiet,
    )
    out_dir = config.atlas_dir(args.out)
    path = run_build(opts, out_dir)
    print(f"Atlas geschreven / atlas written: {path}")
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from dashboard.app import create_app

    atlas = config.atlas_dir(args.atlas)
    app = create_app(atlas)
    print(f"buurtdekking: http://{args.host}:{args.port}  (atlas: {atlas})", file=sys.stderr)
    app.run(host=args.host, port=args.port, debug=False)
    return EXIT_OK


def _cmd_fetch(args: argparse.Namespace) -> int:
    from geodata.fetch import fetch_boundaries

    out = fetch_boundaries(
        year=args.year,
        gemeenten=_gemeenten(args.gemeente),
        out=args.out,
        base_url=args.url,
        timeout=args.timeout,
    )
    print(f"Grenzen opgeslagen / boundaries saved: {out}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="buurtdekking",
        description="Jeugdhulp-dekking per buurt in Utrecht / youth-care coverage per neighbourhood.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    b = sub.add_parser("build", help="bouw de atlas / build the atlas")
    b.add_argument("--boundaries", type=Path, help="CBS-grenzen (gpkg, geojson, shp, zip, parquet)")
    b.add_argument("--layer", help="laag met buurten / layer holding the buurten")
    b.add_argument("--statistics", type=Path, help="CBS Kerncijfers wijken en buurten (csv/xlsx)")
    b.add_argument("--no-statistics", action="store_true", help="geen kerncijfers koppelen / skip statistics")
    b.add_argument(
        "--gemeente", action="append", metavar="CODE",
        help="gemeentecode, herhaalbaar of met komma's (standaard GM0344) / repeatable or comma-separated",
    )
    b.add_argument("--crs", help="CRS voor een bestand zonder CRS, bv. EPSG:28992 / CRS of a file without one")
    b.add_argument("--year", type=int, help="jaar van de grenzen / boundary year (else from the file)")
    b.add_argument("--out", type=Path, help="atlasmap / atlas directory (default ./atlas)")
    b.add_argument("--data-dir", type=Path, help=f"datamap / data directory (default ${config.DATA_ENV} or ../shared/data)")
    b.add_argument("--quiet", action="store_true", help="geen voortgang / no progress lines")
    b.set_defaults(func=_cmd_build)

    s = sub.add_parser("serve", help="start het dashboard / serve the dashboard")
    s.add_argument("--atlas", type=Path, help="atlasmap / atlas directory (default ./atlas)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8050)
    s.set_defaults(func=_cmd_serve)

    f = sub.add_parser("fetch-boundaries", help="download CBS-grenzen via PDOK / download boundaries from PDOK")
    f.add_argument("--year", type=int, required=True)
    f.add_argument("--gemeente", action="append", metavar="CODE")
    f.add_argument("--out", type=Path, help="doelbestand / target file (.gpkg)")
    f.add_argument("--url", help="basis-URL van de WFS / WFS base URL ({year} is replaced)")
    f.add_argument("--timeout", type=float, default=60.0)
    f.set_defaults(func=_cmd_fetch)

    from etl.export.command import add_export_parser

    add_export_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except InputError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
