"""Facts the app, the exports and the pipeline share are read from one place: the consumers agree with each other."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from test_export_writers import grid_snapshot

from cli.main import build_parser
from dashboard import routes
from etl import protect, protect_referrals
from etl.atlas import read_atlas
from etl.care import CareOptions
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
