"""``buurtdekking export``: one view of the atlas to PDF, PNG, XLSX, CSV or GeoPackage (argument parsing only)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from etl import config
from etl.numbers import LANGS
from etl.settings import EtlSettings
from geodata.errors import InputError
from reports.snapshot import FORMATS, snapshot_filename
from reports.tables import DIALECTS
from views.indicators import MODES
from views.state import LEVELS, MAX_CLASSES, MIN_CLASSES, SCHEMES, ViewState

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8050"


def add_export_parser(sub: Any) -> None:
    """The ``export`` subcommand on the ``buurtdekking`` parser's subparsers."""
    e = sub.add_parser(
        "export",
        help="momentopname van een gebied / snapshot of an area (pdf, png, xlsx, csv, gpkg)",
        description="Schrijf de weergave van één indicator voor een gemeente, wijk of buurt naar een bestand. "
        "Write the view of one indicator for a gemeente, wijk or buurt to a file.",
    )
    e.add_argument("--atlas", type=Path, help="atlasmap / atlas directory (default ./atlas)")
    e.add_argument("--area", required=True, help="GM0344, WK034401 of/or BU03440101")
    e.add_argument("--indicator", required=True, help="sleutel uit het indicatorregister / registry key, e.g. caseload")
    e.add_argument("--period", default="", help="periode, bv. 2024 of 2024-Q1 (default: de laatste / the latest)")
    # the defaults and choices are the app's, so an export opens on what the dashboard opens on
    default = ViewState()
    e.add_argument("--mode", default=default.mode, choices=MODES, help="vervoerswijze voor reistijden / travel mode")
    e.add_argument("--soort", default=default.soort, help=f"soort zorg / care type (default {default.soort})")
    e.add_argument("--level", default=default.level, choices=LEVELS, help="eenheden op de kaart / units on the map")
    e.add_argument("--scheme", default=default.scheme, choices=SCHEMES)
    e.add_argument(
        "--classes",
        type=int,
        default=default.k,
        choices=range(MIN_CLASSES, MAX_CLASSES + 1),
        metavar=f"{MIN_CLASSES}-{MAX_CLASSES}",
    )
    e.add_argument("--lang", default=default.lang, choices=LANGS)
    e.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
    e.add_argument(
        "--out",
        help="doelbestand, of een map (bestaand of eindigend op /) / target file, or a directory (existing or ending in /)",
    )
    e.add_argument("--dpi", type=int, default=96, help="PNG: 96 voor scherm, 300 voor druk / 96 screen, 300 print")
    e.add_argument(
        "--csv-dialect",
        default="excel-nl",
        choices=DIALECTS,
        help="excel-nl: ; en decimale komma met BOM (standaard) / standard: RFC 4180 , and decimal point",
    )
    e.add_argument(
        "--base-url",
        default=None,
        help="adres van het dashboard voor de link / dashboard URL for the permalink ($BUURTDEKKING_PUBLIC_URL)",
    )
    e.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    """Write the snapshot; ``args.settings`` (EtlSettings) and ``args.public_url`` come from the command's settings."""
    # late import: `buurtdekking --help` builds this parser; the views and writers (plotly, kaleido, reportlab)
    # would add ~10 s to it under load (-X importtime: views.data alone 10.3 s of 15 s on the shared 2-core box).
    from reports.build import build_snapshot
    from reports.write import write_snapshot
    from views.data import get_view

    settings: EtlSettings = args.settings
    atlas = config.atlas_dir(args.atlas or settings.atlas_dir)
    view = get_view(atlas, cache_dir=settings.cache_dir)
    state = ViewState(
        indicator=args.indicator,
        period=args.period,
        mode=args.mode,
        soort=args.soort,
        scheme=args.scheme,
        k=args.classes,
        level=args.level,
        lang=args.lang,
    )
    base = (args.base_url or args.public_url or DEFAULT_PUBLIC_URL).rstrip("/")
    query = state.to_query()
    if args.area.upper().startswith("BU"):
        query += ("&" if query else "?") + f"buurt={args.area.upper()}"
    snapshot = build_snapshot(view, state, area=args.area, permalink=f"{base}/{query}")
    raw = str(args.out or "")
    out = Path(raw) if raw else Path.cwd()
    if out.is_dir() or raw.endswith(("/", os.sep)):
        out.mkdir(parents=True, exist_ok=True)
        out = out / snapshot_filename(snapshot, args.fmt)
    if out.suffix.lstrip(".").lower() != args.fmt:
        raise InputError.single(
            "EXPORT_SUFFIX",
            f"'{out.name}' past niet bij --format {args.fmt}; gebruik de extensie .{args.fmt}.",
            f"'{out.name}' does not match --format {args.fmt}; use the suffix .{args.fmt}.",
            file=out,
        )
    options: dict[str, object] = {"dpi": args.dpi} if args.fmt == "png" else {}
    if args.fmt == "csv":
        options["dialect"] = args.csv_dialect
    try:
        path = write_snapshot(snapshot, out, fmt=args.fmt, **options)
    except ValueError as exc:
        raise InputError.single(
            "EXPORT_OPTION", f"Exporteren mislukt: {exc}", f"Export failed: {exc}", file=out
        ) from exc
    print(f"Geschreven / written: {path}", file=sys.stderr)
    print(path)
    return 0
