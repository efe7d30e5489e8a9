"""Facts the app, the exports and the pipeline share are read from one place: the consumers agree with each other."""

from __future__ import annotations

import dataclasses

import pandas as pd
from test_export_writers import grid_snapshot

from dashboard import figures
from dashboard.figures import team_traces
from etl.export import snapshot as export_snapshot
from etl.export.mapfig import map_figure


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
    # dashboard.snapshot hands the screen's entries to the export as they are: no field order to swap
    assert figures.LegendEntry is export_snapshot.LegendEntry
