"""The `buurtdekking` command: argument parsing only; each subcommand calls the pipeline or the app."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dashboard.errors import ConfigError
from dashboard.settings import AppSettings, public_url
from etl import config
from etl.inference import ALTERNATIVES, CORRECTIONS
from etl.inputs import KINDS
from etl.numbers import DEFAULT_LANG, LANGS
from etl.settings import EtlSettings
from etl.weights import ISLAND_POLICIES, WeightsSpec
from geodata.errors import InputError
from reports.command import add_export_parser

if TYPE_CHECKING:
    from etl.care import CareOptions
    from etl.hotspots import HotspotOptions
    from etl.travel import TravelOptions

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors also say what to do in Dutch."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(
            EXIT_USAGE,
            f"{self.prog}: fout/error: {message}\nZie/see '{self.prog} --help'.\n",
        )


def _gemeenten(values: list[str] | None) -> tuple[str, ...]:
    if not values:
        return (config.DEFAULT_GEMEENTE,)
    out: list[str] = []
    for v in values:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return tuple(out)


def _cmd_build(args: argparse.Namespace) -> int:
    # late import: the whole pipeline (geopandas, scipy, networkx): ~5 s of -X importtime under load, only for build
    from etl.pipeline import BuildOptions, run_build

    settings: EtlSettings = args.settings
    opts = BuildOptions(
        boundaries=args.boundaries,
        statistics=args.statistics,
        gemeenten=_gemeenten(args.gemeente),
        data_dir=args.data_dir or settings.data_dir,
        layer=args.layer,
        crs=args.crs,
        year=args.year,
        no_statistics=args.no_statistics,
        progress=not args.quiet,
        travel=_travel_options(args),
        hotspots=_hotspot_options(args),
        care=_care_options(args, settings),
    )
    path = run_build(opts, _store(args, args.out))
    print(f"Atlas geschreven / atlas written: {path}")
    return EXIT_OK


def _care_options(args: argparse.Namespace, settings: EtlSettings) -> CareOptions:
    # late import: the care rules (geopandas, pandas): ~6 s of -X importtime under load, only for build
    from etl.care import CareOptions
    from etl.rules.columns import DEFAULT_PROVIDERS

    return CareOptions(
        teams=args.teams,
        providers=args.providers,
        caseloads=args.caseloads,
        demo=not args.no_demo,
        threshold=args.threshold,
        known_providers=tuple(dict.fromkeys([*DEFAULT_PROVIDERS, *(args.known_provider or [])])),
        geocode=args.geocode,
        geocode_cache=args.geocode_cache or settings.geocode_cache,
        pdok_url=settings.pdok_url,
    )


def _cmd_validate(args: argparse.Namespace) -> int:
    # late import: the reference data and rules (geopandas): ~5 s of -X importtime under load, only for validate
    from etl.places import geocoder_note, geocoder_summary, with_places
    from etl.rules.check import check_file, load_reference
    from etl.rules.columns import DEFAULT_PROVIDERS

    settings: EtlSettings = args.settings
    data_dir = args.data_dir or settings.data_dir
    reference, info = load_reference(atlas_dir=args.atlas, data_dir=data_dir, default_atlas=settings.atlas_dir)
    reference = with_places(
        reference,
        data_dir=data_dir,
        geocode=args.geocode,
        cache=args.geocode_cache or settings.geocode_cache,
        base_url=settings.pdok_url,
    )
    if info["source"] != "atlas":
        print(
            f"Geen atlas gevonden; gecontroleerd tegen de standaardgrenzen {info['year']} ({info['path']}) / "
            f"no atlas found; checked against the default boundaries {info['year']} ({info['path']})",
            file=sys.stderr,
        )
    known = tuple(dict.fromkeys([*DEFAULT_PROVIDERS, *(args.known_provider or [])]))
    report = check_file(args.kind, args.file, reference=reference, reference_info=info, known_providers=known)
    geocoded = geocoder_note(geocoder_summary(reference))
    if geocoded:
        print(geocoded, file=sys.stderr)
    if args.json:
        print(report.to_json())
    else:
        for line in report.lines():
            print(line)
    return EXIT_OK if report.valid else EXIT_INPUT


def _threshold(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 2:
        raise argparse.ArgumentTypeError(f"'{text}': een geheel getal ≥ 2 / a whole number ≥ 2")
    return value


def _minutes_list(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        values = ()
    if not values or any(not v > 0 for v in values):
        raise argparse.ArgumentTypeError(f"'{text}': minuten, bv./minutes, e.g. 10,15,20")
    return values


def _travel_options(args: argparse.Namespace) -> TravelOptions:
    # late import: the travel stage (networkx, scipy): ~7 s of -X importtime under load, only for build
    from etl.travel import TravelOptions
    from geodata.network import Speeds

    defaults = Speeds()
    speeds = Speeds(
        walk_kmh=args.walk_kmh or defaults.walk_kmh,
        bike_kmh=args.bike_kmh or defaults.bike_kmh,
        car_default_kmh=args.car_kmh or defaults.car_default_kmh,
        car_max_kmh=args.car_max_kmh or defaults.car_max_kmh,
    )
    base = TravelOptions()
    return TravelOptions(
        network=args.network,
        network_layer=args.network_layer,
        network_crs=args.network_crs,
        network_speeds=args.network_speeds,
        origins=args.origins,
        origins_layer=args.origins_layer,
        origins_weight=args.origins_weight,
        speeds=speeds,
        thresholds_min=args.thresholds or base.thresholds_min,
        seam_margin_min=base.seam_margin_min if args.seam_margin is None else args.seam_margin,
        decay=args.decay or base.decay,
        matrix_limit_min=args.matrix_limit,
        enabled=not args.no_travel,
    )


def _hotspot_options(args: argparse.Namespace) -> HotspotOptions:
    # late import: the hotspot stage (esda, libpysal): ~9 s of -X importtime under load, only for build
    from etl.hotspots import HotspotOptions

    base = HotspotOptions()
    change = tuple(p.strip() for p in args.change.split(",")) if args.change else None
    return HotspotOptions(
        enabled=not args.no_hotspots,
        weights=WeightsSpec.parse(args.weights or base.weights.kind, islands=args.islands or base.weights.islands),
        permutations=base.permutations if args.permutations is None else args.permutations,
        seed=base.seed if args.seed is None else args.seed,
        alpha=base.alpha if args.alpha is None else args.alpha,
        correction=args.correction or base.correction,
        alternative=args.alternative or base.alternative,
        change=change,
    )


def _cmd_whatif(args: argparse.Namespace) -> int:

    # late import: the what-if model (travel and coverage): ~14 s of -X importtime under load, only for whatif
    from etl.whatif import apply_scenario, format_summary, load_whatif_base, parse_scenario

    scenario = parse_scenario(
        add=args.add or (), move=args.move or (), remove=args.remove or (), capacity=args.capacity or ()
    )
    base = load_whatif_base(_store(args, args.atlas))
    result = apply_scenario(base, scenario)
    if args.json:
        print(json.dumps(result.summary, ensure_ascii=False, indent=2, default=str))
    else:
        print(format_summary(result, lang=args.lang))
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    # late import: Dash and the whole app: ~20 s of -X importtime under load, only for serve
    from dashboard.app import create_app
    from dashboard.settings import normalise_prefix
    from etl.store import open_store
    from views.data import get_view

    try:
        settings = AppSettings.from_environ(etl=args.settings)
        atlas = _store(args, args.atlas)
        prefix = None if args.url_prefix is None else normalise_prefix(args.url_prefix, source="--url-prefix")
        app = create_app(atlas, settings=settings, url_prefix=prefix)
    except ConfigError as exc:  # a server setting (login, log, limits, prefix): say which, then stop
        print(f"buurtdekking serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    app.server.config["BUURTDEKKING_BIND_HOST"] = args.host  # a Host the permalinks may use (dashboard/public_url.py)
    # Read the atlas before listening, so the first visitor does not wait for it (and no atlas is no error).
    with contextlib.suppress(InputError):
        get_view(atlas)
    print(
        f"buurtdekking: http://{args.host}:{args.port}{app.config.routes_pathname_prefix}"
        f"  (atlas: {open_store(atlas).location})",
        file=sys.stderr,
    )
    app.run(host=args.host, port=args.port, debug=False)
    return EXIT_OK


def _cmd_atlases(args: argparse.Namespace) -> int:
    # late import: the store (geopandas, SQLAlchemy): ~1.5 s more of start-up at load 5, only for commands that read an atlas
    from etl.store import open_store

    store = open_store(_store(args, args.atlas))
    held = store.list_atlases()
    if not held:
        print(f"Geen atlas in / no atlas in {store.location}", file=sys.stderr)
        return EXIT_INPUT
    for info in held:
        year = "" if info.cbs_year is None else str(info.cbs_year)
        demo = "  demo" if info.demo else ""
        print(f"{info.name}\t{','.join(info.gemeenten)}\t{year}\t{info.created}\t{info.location}{demo}")
    return EXIT_OK


def _store(args: argparse.Namespace, atlas: Path | None) -> str:
    """Where the command's atlas is: --store, else --atlas/--out, else BUURTDEKKING_STORE, else the atlas dir."""
    settings: EtlSettings = args.settings
    return config.store_url(args.store, atlas=atlas, configured=settings.store_url, default_atlas=settings.atlas_dir)


def _add_store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="URL",
        help=f"atlasopslag: een map of postgresql://gebruiker@host:poort/db?schema=naam (standaard ${config.STORE_ENV}, "
        "anders de atlasmap) / atlas store: a directory or postgresql://user@host:port/db?schema=name",
    )


def _cmd_fetch(args: argparse.Namespace) -> int:
    # late import: the WFS client (geopandas, pyogrio): ~6 s of -X importtime under load, only for fetch-boundaries
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


def _add_geocode_arguments(group: argparse._ActionsContainer) -> None:
    """--geocode and --geocode-cache (docs/INPUTS.md: Teams op adres / by address)."""
    group.add_argument(
        "--geocode",
        choices=("pdok",),
        help="teams met postcode + huisnummer of straat + huisnummer + plaats op hun adres plaatsen via PDOK "
        "Locatieserver (internet); zonder: midden van de postcode (PC4) / place teams at their address via PDOK "
        "(online); without: the centre of their postcode (PC4)",
    )
    group.add_argument(
        "--geocode-cache",
        type=Path,
        metavar="F",
        help="cachebestand van de adressen (standaard ~/.cache/buurtdekking/pdok-locatieserver.json) / address cache file",
    )


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
        "--gemeente",
        action="append",
        metavar="CODE",
        help="gemeentecode, herhaalbaar of met komma's (standaard GM0344) / repeatable or comma-separated",
    )
    b.add_argument("--crs", help="CRS voor een bestand zonder CRS, bv. EPSG:28992 / CRS of a file without one")
    b.add_argument("--year", type=int, help="jaar van de grenzen / boundary year (else from the file)")
    b.add_argument("--out", type=Path, help="atlasmap / atlas directory (default ./atlas)")
    _add_store_argument(b)
    b.add_argument(
        "--data-dir", type=Path, help=f"datamap / data directory (default ${config.DATA_ENV} or ../shared/data)"
    )
    b.add_argument("--quiet", action="store_true", help="geen voortgang / no progress lines")
    t = b.add_argument_group("reistijd / travel (docs/METHOD.md: Reistijd en bereik)")
    t.add_argument(
        "--network",
        type=Path,
        metavar="F",
        help="stratennet (.osm.pbf/.osm, .graphml, Geofabrik, NWB Wegen of lijnen met OSM-tags/kolommen per vervoerwijze); zonder: hemelsbreed × omwegfactor / street network (.osm.pbf/.osm, .graphml, Geofabrik, NWB Wegen or lines with OSM tags/per-mode columns); without: straight line × detour factor",
    )
    t.add_argument("--network-layer", metavar="NAME", help="laag met de straten / layer holding the streets")
    t.add_argument(
        "--network-crs",
        metavar="EPSG",
        help="CRS van een netwerkbestand zonder CRS / CRS of a network file without one",
    )
    t.add_argument(
        "--network-speeds",
        type=Path,
        metavar="F",
        help="NDW-maximumsnelheden per WVK_ID (CSV of GIS-bestand) bij een NWB-netwerk / NDW maximum speeds by WVK_ID (CSV or GIS file) for an NWB network",
    )
    t.add_argument(
        "--origins",
        type=Path,
        metavar="F",
        help="gewogen herkomstpunten (adressen, CBS-vierkanten) / weighted origin points",
    )
    t.add_argument("--origins-layer", metavar="NAME")
    t.add_argument(
        "--origins-weight", metavar="COL", help="kolom met het aantal jeugdigen / column with the youth count"
    )
    t.add_argument("--walk-kmh", type=float, help="loopsnelheid (5) / walking speed")
    t.add_argument("--bike-kmh", type=float, help="fietssnelheid (15) / cycling speed")
    t.add_argument("--car-kmh", type=float, help="auto zonder maxspeed, binnen de bebouwde kom (30) / car default")
    t.add_argument("--car-max-kmh", type=float, help="hoogste autosnelheid (100) / car speed cap")
    t.add_argument(
        "--thresholds",
        type=_minutes_list,
        metavar="MIN,…",
        help="drempels voor bereik in minuten / coverage thresholds in minutes (10,15,20)",
    )
    t.add_argument(
        "--seam-margin",
        type=float,
        metavar="MIN",
        help="marge voor de naadvlag in minuten / seam margin in minutes (2)",
    )
    t.add_argument(
        "--decay",
        metavar="SPEC",
        help="E2SFCA-afstandsverval / distance decay: step:10=1,20=0.68,30=0.22 (standaard/default) of/or gaussian:sigma=10,max=30",
    )
    t.add_argument(
        "--matrix-limit",
        type=float,
        metavar="MIN",
        help="begrens de herkomst×team-matrix (groot gebied) / bound the origin×team matrix (large areas); nearest stays exact",
    )
    t.add_argument("--no-travel", action="store_true", help="geen reistijden berekenen / skip travel times")
    h = b.add_argument_group("hotspots (docs/METHOD.md: Hotspots)")
    h.add_argument(
        "--weights",
        metavar="SPEC",
        help="ruimtelijke gewichten: queen (standaard), knn:K of distance[:METERS] / spatial weights",
    )
    h.add_argument(
        "--islands",
        choices=ISLAND_POLICIES,
        help="buurt zonder buren: koppelen aan de dichtstbijzijnde (standaard) of uitsluiten / islands",
    )
    h.add_argument(
        "--permutations", type=int, metavar="R", help="conditionele permutaties (999) / conditional permutations"
    )
    h.add_argument(
        "--seed", type=int, help="toevalszaad van de permutaties, vastgelegd in het manifest / permutation seed"
    )
    h.add_argument("--alpha", type=float, help="significantieniveau (0.05) / significance level")
    h.add_argument("--correction", choices=CORRECTIONS, help="meervoudig toetsen (fdr) / multiple testing")
    h.add_argument("--alternative", choices=ALTERNATIVES, help="toets (two-sided) / alternative hypothesis")
    h.add_argument(
        "--change", metavar="VAN,TOT", help="perioden voor de verandering (de laatste twee) / periods for the change"
    )
    h.add_argument("--no-hotspots", action="store_true", help="geen hotspots berekenen / skip hotspots")
    c = b.add_argument_group("zorggegevens / care data (docs/INPUTS.md: Zorggegevens)")
    c.add_argument(
        "--teams", type=Path, help="teams (csv/xlsx); zonder: fictieve demoteams / without: fictitious demo teams"
    )
    c.add_argument(
        "--providers", type=Path, help="aanbiedersgebieden (csv/xlsx); zonder: contract 2020 / without: 2020 contract"
    )
    c.add_argument(
        "--caseloads",
        type=Path,
        help="caseloads (csv/xlsx); zonder: fictieve demo-aantallen / without: fictitious demo counts",
    )
    c.add_argument("--no-demo", action="store_true", help="geen demogegevens / no demo data (only the files given)")
    c.add_argument(
        "--threshold", type=_threshold, default=5, help="kleine aantallen afschermen onder / suppress counts below (5)"
    )
    c.add_argument(
        "--known-provider", action="append", metavar="NAAM", help="extra bekende aanbieder / extra known provider"
    )
    _add_geocode_arguments(c)
    b.set_defaults(func=_cmd_build)

    v = sub.add_parser("validate", help="controleer een zorgbestand / check a care file")
    v.add_argument("kind", choices=KINDS)
    v.add_argument("file", type=Path)
    v.add_argument("--json", action="store_true", help="uitvoer als JSON / output as JSON")
    v.add_argument("--atlas", type=Path, help="atlas met de grenzen / atlas with the boundaries (default ./atlas)")
    v.add_argument("--data-dir", type=Path, help="datamap als er geen atlas is / data directory when there is no atlas")
    v.add_argument(
        "--known-provider", action="append", metavar="NAAM", help="extra bekende aanbieder / extra known provider"
    )
    _add_geocode_arguments(v)
    v.set_defaults(func=_cmd_validate)

    w = sub.add_parser("whatif", help="wat-als: teams toevoegen/verplaatsen/verwijderen / what-if for teams")
    w.add_argument("--atlas", type=Path, help="atlasmap / atlas directory (default ./atlas)")
    _add_store_argument(w)
    w.add_argument(
        "--add",
        action="append",
        metavar='"naam,x,y,organisatie,soort[,capaciteit]"',
        help="nieuw team (x,y in RD of lengte,breedte) / new team",
    )
    w.add_argument("--move", action="append", metavar='"team_id,x,y"', help="verplaats een team / move a team")
    w.add_argument("--remove", action="append", metavar="TEAM_ID", help="verwijder een team / remove a team")
    w.add_argument("--capacity", action="append", metavar='"team_id,fte"', help="nieuwe capaciteit / new capacity")
    w.add_argument("--json", action="store_true", help="samenvatting als JSON / summary as JSON")
    w.add_argument(
        "--lang",
        default=DEFAULT_LANG,
        choices=LANGS,
        help="getallen met decimale komma (nl) of punt (en) / numbers with a decimal comma (nl) or point (en)",
    )
    w.set_defaults(func=_cmd_whatif)

    s = sub.add_parser("serve", help="start het dashboard / serve the dashboard")
    s.add_argument("--atlas", type=Path, help="atlasmap / atlas directory (default ./atlas)")
    _add_store_argument(s)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8050)
    s.add_argument(
        "--url-prefix",
        metavar="PAD",
        help="pad waaronder de app draait / path the app is served under, e.g. /jeugd/ (default $BUURTDEKKING_URL_PREFIX, else /)",
    )
    s.set_defaults(func=_cmd_serve)

    a = sub.add_parser("atlases", help="welke atlassen de opslag bevat / list the atlases a store holds")
    a.add_argument("--atlas", type=Path, help="atlasmap / atlas directory (default ./atlas)")
    _add_store_argument(a)
    a.set_defaults(func=_cmd_atlases)

    f = sub.add_parser("fetch-boundaries", help="download CBS-grenzen via PDOK / download boundaries from PDOK")
    f.add_argument("--year", type=int, required=True)
    f.add_argument("--gemeente", action="append", metavar="CODE")
    f.add_argument("--out", type=Path, help="doelbestand / target file (.gpkg)")
    f.add_argument("--url", help="basis-URL van de WFS / WFS base URL ({year} is replaced)")
    f.add_argument("--timeout", type=float, default=60.0)
    f.set_defaults(func=_cmd_fetch)

    add_export_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        # The environment is read here, once; the commands get what they need from these settings.
        args.settings = EtlSettings.from_environ()
        if args.command == "export":
            args.public_url = public_url()
        return func(args)
    except ConfigError as exc:  # only export reads a server setting outside serve (the permalink's address)
        print(f"buurtdekking {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InputError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
