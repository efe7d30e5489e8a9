"""Facts the app, the exports and the pipeline share are read from one place: the consumers agree with each other."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import geopandas as gpd
import one_home
import pandas as pd
import pytest
from test_export_writers import grid_snapshot

from cli.main import build_parser
from dashboard import routes
from etl import protect, protect_referrals
from etl.atlas import read_atlas
from etl.care import CareOptions
from etl.inference import GI_CLASSES, LISA_CLASSES
from etl.inputs import KINDS
from etl.palette import ORG_COLOURS, org_colour
from etl.protect import protect_caseloads
from etl.reach import buurt_columns
from etl.rules import RULES
from etl.rules.columns import ALIASES, CARE_TYPES, DEFAULT_PROVIDERS, KNOWN_ORGANISATIONS, REFERRALS, TOTAL
from etl.sensitive import CASELOAD_PREFIXES, HOTSPOT_PREFIXES, SENSITIVE_PREFIXES, SUPPRESSED_SUFFIX
from etl.travel import TravelOptions
from etl.upload import check_upload
from geodata.cbs import gemeente_codes
from geodata.errors import InputError
from geodata.fetch import fetch_boundaries
from geodata.network import MODE_NL
from geodata.network import MODES as NETWORK_MODES
from reports import snapshot as export_snapshot
from reports.mapfig import map_figure
from views import figures
from views.figures import team_traces
from views.i18n import t
from views.indicators import BY_KEY
from views.indicators import MODES as APP_MODES
from views.mapstyle import AREA_EDGE, HIGHLIGHT, WIJK_OUTLINE
from views.protection import publish_tables, served_threshold
from views.state import ViewState


def _screen_marker_colours(teams: pd.DataFrame) -> dict[str, str]:
    screen = pd.DataFrame(teams.drop(columns="geometry")).assign(lon=5.1, lat=52.09)
    traces = team_traces(screen, lang="nl", visible=set())
    # each team group is a ring trace under its marker trace; the marker carries the organisation's colour
    return {str(tr.meta).split("|")[0]: tr.marker.color for tr in traces if not tr.name.endswith("|ring")}


def test_team_markers_have_the_same_colour_on_screen_and_in_the_exported_map() -> None:
    snapshot = grid_snapshot()
    assert snapshot.teams is not None
    exported = map_figure(snapshot).data[-1]
    export_colours = dict(zip(snapshot.teams["organisatie"], exported.marker.color, strict=True))
    screen_colours = _screen_marker_colours(snapshot.teams)
    assert set(export_colours) == {"Lokalis", "KOOS"}
    assert export_colours == {org: screen_colours[org] for org in export_colours}
    assert export_colours["Lokalis"] != export_colours["KOOS"]


def test_an_unknown_organisation_gets_the_same_colour_on_screen_and_in_the_exported_map() -> None:
    snapshot = grid_snapshot()
    assert snapshot.teams is not None
    teams = snapshot.teams.assign(organisatie=["Eigen aanbieder", "Eigen aanbieder"])
    exported = map_figure(dataclasses.replace(snapshot, teams=teams)).data[-1]
    assert set(exported.marker.color) == {_screen_marker_colours(teams)["Eigen aanbieder"]}


def test_the_screen_legend_and_the_export_legend_are_one_type() -> None:
    # reports.build hands the screen's entries to the export as they are: no field order to swap
    assert figures.LegendEntry is export_snapshot.LegendEntry


def _published(default_atlas: Path) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    atlas = read_atlas(default_atlas)
    raw = {k: v for k, v in atlas.layers.items() if not isinstance(v, gpd.GeoDataFrame)}
    return raw, publish_tables(raw, threshold=served_threshold(atlas.manifest))


def test_the_app_counts_exactly_the_tables_the_protection_marks_as_sensitive(default_atlas: Path) -> None:
    raw, published = _published(default_atlas)
    assert any(name.startswith(SENSITIVE_PREFIXES) for name in raw)
    for name, frame in published.items():
        marked = [c for c in frame.columns if c.endswith(SUPPRESSED_SUFFIX) or c == "suppressed"]
        assert bool(marked) == name.startswith(SENSITIVE_PREFIXES), name


def test_an_uploaded_caseload_file_replaces_exactly_what_its_protection_publishes(default_atlas: Path) -> None:
    # dashboard.uploads swaps the tables named by CASELOAD_PREFIXES: they must be all that the caseloads and
    # their referral routes publish, so no table of the atlas's own caseloads survives an upload and the
    # atlas's hotspots (not recomputed from an upload) are kept
    raw, published = _published(default_atlas)
    from_caseloads = publish_tables({k: v for k, v in raw.items() if k.startswith(("caseloads_", "referrals_"))})
    assert set(from_caseloads) == {k for k in published if k.startswith(CASELOAD_PREFIXES)}
    assert {k for k in published if k.startswith(SENSITIVE_PREFIXES)} - set(from_caseloads) == {
        k for k in published if k.startswith(HOTSPOT_PREFIXES)
    }


def test_the_app_and_the_build_protect_with_the_same_default_threshold() -> None:
    build_default = CareOptions().threshold
    assert served_threshold({}) == build_default
    assert inspect.signature(protect_caseloads).parameters["threshold"].default == build_default


def test_the_app_the_export_command_and_the_build_open_on_one_travel_mode() -> None:
    build = TravelOptions()
    assert sorted(APP_MODES) == sorted(NETWORK_MODES)
    assert APP_MODES[0] == build.coverage_mode == build.access_mode == ViewState().mode
    export = build_parser().parse_args(["export", "--area", "GM0344", "--indicator", "caseload", "--format", "csv"])
    assert export.mode == APP_MODES[0]
    # every mode the app offers is one the build writes travel columns for
    assert {c.split("_")[2] for c in buurt_columns() if c.startswith("tt_buurtteam_")} == set(APP_MODES)


def test_the_rules_the_upload_check_the_build_and_the_command_line_take_the_same_input_kinds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert {kind for r in RULES for kind in r.kinds} == set(KINDS)
    assert set(ALIASES) == set(KINDS)
    assert all(hasattr(CareOptions(), kind) for kind in KINDS)
    for kind in KINDS:
        assert build_parser().parse_args(["validate", kind, "file.csv"]).kind == kind
    with pytest.raises(SystemExit):
        build_parser().parse_args(["validate", "budgets", "file.csv"])
    assert "budgets" in capsys.readouterr().err
    for kind in KINDS:
        assert "UPLOAD_KIND" not in {p.code for p in check_upload(b"a;b\n1;2\n", name="x.csv", kind=kind).problems}
    assert [p.code for p in check_upload(b"a;b\n1;2\n", name="x.csv", kind="budgets").problems] == ["UPLOAD_KIND"]


def test_the_app_names_the_modes_as_the_build_notes_do() -> None:
    # etl.quality writes far-snap notes in Dutch with the network's mode names; the app and the exports say the same
    assert {m: t(f"mode_{m}", "nl") for m in APP_MODES} == {m: MODE_NL[m] for m in NETWORK_MODES}
    assert {m: t(f"mode_{m}", "en") for m in APP_MODES} == {m: m for m in NETWORK_MODES}


def test_organisations_care_types_and_routes_have_one_list() -> None:
    assert set(ORG_COLOURS) == set(KNOWN_ORGANISATIONS)  # every organisation the teams rule knows has its colour
    assert protect.CASELOAD_TYPES is CARE_TYPES
    assert protect_referrals.CARE_TYPES is CARE_TYPES
    assert protect.TOTAL_TYPE == protect_referrals.TOTAL == TOTAL
    assert routes.ROUTES is REFERRALS


def test_a_provider_area_has_the_colour_of_its_teams() -> None:
    categories = BY_KEY["provider"].categories
    assert {c.value for c in categories} == set(DEFAULT_PROVIDERS)
    assert all(c.colour == org_colour(c.value) for c in categories)


def test_fetching_and_reading_boundaries_refuse_a_bad_gemeente_code_alike(tmp_path: Path) -> None:
    with pytest.raises(InputError) as fetched:
        fetch_boundaries(
            year=2021,
            gemeenten=["Utrecht"],
            out=tmp_path / "x.gpkg",
            base_url="http://127.0.0.1:9/{year}",
            progress=False,
        )
    with pytest.raises(InputError) as given:
        gemeente_codes(["GM0344", "Utrecht"])
    assert fetched.value.problems == given.value.problems
    assert [p.code for p in given.value.problems] == ["GEMEENTE_INVALID"]
    assert gemeente_codes(["GM0344", "0599"]) == ["GM0344", "GM0599"]


# ---------------------------------------------------------------- one home, checked on the source (ast)

# Each fact with the module that owns it: the lowest floor that needs it; every other module imports it.
HOMES: dict[str, tuple[str, ...]] = {
    "etl.numbers": ("LANGS", "DEFAULT_LANG"),
    "views.state": ("LEVELS", "SCHEMES", "DEFAULT_SCHEME", "MIN_CLASSES", "MAX_CLASSES", "DEFAULT_CLASSES"),
    "etl.rules.columns": (
        "CARE_TYPES",
        "TOTAL",
        "TEAM_SOORTEN",
        "SOORT_BUURTTEAM",
        "SOORT_SPECIALIST",
        "KNOWN_ORGANISATIONS",
        "DEFAULT_PROVIDERS",
        "REFERRALS",
    ),
    "etl.palette": ("OKABE_ITO", "ORG_COLOURS", "OTHER_ORG_COLOUR", "NO_DATA_COLOUR", "SUPPRESSED_COLOUR"),
    "views.mapstyle": ("AREA_EDGE", "WIJK_OUTLINE", "HIGHLIGHT", "INK", "TEXT_COLOUR", "BACKGROUND"),
    "reports.snapshot": ("UNIT_COLUMNS", "FORMATS", "DEMO_COLOUR"),
    "etl.inference": ("CORRECTIONS", "ALTERNATIVES", "GI_CLASSES", "LISA_CLASSES"),
    "etl.weights": ("ISLAND_POLICIES", "WEIGHTS_KINDS"),
    "etl.hotspots": ("TABLE", "CHANGE_TABLE"),
    "etl.quality": ("QUALITY_NETWORK", "QUALITY_FAR_SNAP", "QUALITY_ESTIMATE", "QUALITY_UNREACHABLE"),
    "etl.referrals": ("KEYS",),
    "etl.inputs": ("KINDS",),
    "geodata.roads.model": ("MODES",),
    "geodata.crs": ("RD_NEW", "WGS84", "LONLAT_TO_RD"),
}
REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("home", sorted(HOMES))
def test_each_fact_is_assigned_in_its_home_and_in_no_other_module_with_that_value(home: str) -> None:
    assigned = one_home.assigned_constants(REPO)
    values = one_home.fact_values({home: HOMES[home]})[home]
    for name, value in values:
        assert home in assigned.get(name, {}), f"{name} is not assigned in {home}"
        elsewhere = {m for m in assigned[name] if m != home and one_home.fact_values({m: (name,)})[m][0][1] == value}
        assert not elsewhere, f"{home}.{name} is assigned again in {sorted(elsewhere)}"


def test_no_module_that_may_import_a_fact_spells_it_again() -> None:
    found = one_home.facts_spelled_again(REPO, one_home.fact_values(HOMES))
    assert found == [], "\n".join(found)


def test_no_two_modules_assign_the_same_list_mapping_or_colour() -> None:
    found = one_home.facts_assigned_twice(REPO)
    assert found == [], "\n".join(found)


def test_the_checks_find_a_copied_fact_in_a_synthetic_tree(tmp_path: Path) -> None:
    files = {
        "geodata/__init__.py": "",
        "geodata/low.py": 'LEVELS = ("buurt", "wijk")\n',  # below the home: may not import it, so not a copy
        "views/__init__.py": "",
        "views/state.py": 'LEVELS = ("buurt", "wijk")\nINK = "#1a1a1a"\n',
        "dashboard/__init__.py": "",
        "dashboard/page.py": 'UNITS = ["wijk", "buurt"]\n\ndef pick(x):\n    return x in ("buurt", "wijk")\n',
        "dashboard/other.py": 'LINE = {"color": "#1a1a1a"}\nSHADE = "#1a1a1a"\n',
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    facts = {"views.state": [("LEVELS", ("buurt", "wijk")), ("INK", "#1a1a1a")]}
    spelled = one_home.facts_spelled_again(tmp_path, facts)
    assert [f.split(" spells ")[0] for f in spelled] == [
        "dashboard.other (line 1)",
        "dashboard.other (line 2)",
        "dashboard.page (line 1)",
        "dashboard.page (line 4)",
    ], spelled
    twice = one_home.facts_assigned_twice(tmp_path)
    assert len(twice) == 2, twice  # LEVELS in geodata.low and views.state; INK and SHADE
    assert any("geodata.low.LEVELS" in f and "views.state.LEVELS" in f for f in twice), twice
    assert any("views.state.INK" in f and "dashboard.other.SHADE" in f for f in twice), twice
    assert one_home.facts_spelled_again(tmp_path, {"views.state": [("LEVELS", ("buurt", "bu"))]}) == []


def test_hotspot_classes_on_the_map_are_the_classes_the_build_writes() -> None:
    assert tuple(c.value for c in BY_KEY["gi_class"].categories) == GI_CLASSES
    assert tuple(c.value for c in BY_KEY["change_class"].categories) == GI_CLASSES
    assert tuple(c.value for c in BY_KEY["lisa_class"].categories) == LISA_CLASSES


def test_the_exported_map_draws_the_app_s_outlines_and_highlight() -> None:
    snapshot = grid_snapshot()
    lines = [shape["line"] for shape in map_figure(snapshot).layout.shapes if shape.type == "path"]
    drawn = {(line.color, line.width) for line in lines}
    assert {tuple(WIJK_OUTLINE), tuple(HIGHLIGHT), tuple(AREA_EDGE)} <= drawn
    screen = figures.outline_trace([], name="wijken", style=WIJK_OUTLINE)
    assert (screen.line.color, screen.line.width) == tuple(WIJK_OUTLINE) == ("#1a1a1a", 2.2)
