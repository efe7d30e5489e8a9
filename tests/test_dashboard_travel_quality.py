"""The app and the exports say how sure each travel figure is: beside the minutes, in the legend, on the sources page.

On the grid atlas of travel_grid with 'Verre buurt' (700 m from the streets) and SP-FAR (600 m), routed for
walk and bike on a network whose lines are closed to cars (car=false): car is the straight-line estimate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import page_module
from travel_grid import FAR_CODE, code, grid_buurten_with_far, grid_edges, grid_teams_with_far, grid_wijken

from dashboard.detail import detail_panel
from etl.atlas import Atlas, write_atlas
from etl.reach import add_travel
from etl.travel import TravelOptions
from views.data import AtlasView, build_view
from views.figures import colour_frame
from views.indicators import BY_KEY
from views.state import ViewState
from views.values import Selection, indicator_frame


class _Opts:
    def __init__(self, travel: TravelOptions) -> None:
        self.travel = travel


@pytest.fixture(scope="module")
def atlas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("quality-atlas")
    edges = grid_edges()
    edges["car"] = False
    network = tmp / "streets.gpkg"
    edges.to_file(network, layer="edges")
    buurten = grid_buurten_with_far()
    buurten["aantal_inwoners"] = buurten["youth_population"] * 5
    layers = {"buurten": buurten, "wijken": grid_wijken(), "teams": grid_teams_with_far()}
    built = add_travel(Atlas(layers, {"notes": [], "methods": {}, "inputs": []}), _Opts(TravelOptions(network=network)))
    out = tmp / "atlas"
    write_atlas(built, out)
    return out


@pytest.fixture(scope="module")
def view(atlas: Path) -> AtlasView:
    return build_view(atlas)


def _text(component: Any) -> str:
    if isinstance(component, str):
        return component
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component if c is not None)
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        return " ".join(_text(c) for c in children if c is not None)
    return _text(children) if children is not None else ""


def test_the_value_frame_carries_the_quality_of_each_figure(view: AtlasView) -> None:
    frame = indicator_frame(view, BY_KEY["tt_buurtteam"], Selection("buurt", mode="bike"), lang="nl").set_index("code")
    assert frame.loc[FAR_CODE, "quality"] == "network, far snap"
    assert frame.loc[FAR_CODE, "quality_text"] == "⚠ netwerk, ver aangesloten (> 500 m)"
    assert frame.loc[code(1, 1), "quality_text"] == "netwerk"
    car = indicator_frame(view, BY_KEY["tt_buurtteam"], Selection("buurt", mode="car"), lang="en").set_index("code")
    assert set(car["quality_text"]) == {"estimate: straight line × detour factor"}
    # a wijk is as sure as its least sure buurt: wijk 1 holds the far buurt
    wijk = indicator_frame(view, BY_KEY["tt_buurtteam"], Selection("wijk", mode="bike"), lang="nl").set_index("code")
    assert wijk.loc["WK999901", "quality"] == "network, far snap"
    assert wijk.loc["WK999902", "quality"] == "network"
    # the gemeente has no column of its own: the worst of its buurten
    gm = indicator_frame(view, BY_KEY["tt_buurtteam"], Selection("gemeente", mode="bike"), lang="nl")
    assert gm["quality"].tolist() == ["network, far snap"]
    # a figure that is no travel time has no quality
    assert "quality" not in indicator_frame(view, BY_KEY["youth_population"], Selection("buurt"), lang="nl").columns


def test_the_legend_says_when_figures_are_estimates_or_far_snaps(view: AtlasView) -> None:
    ind = BY_KEY["tt_buurtteam"]
    bike = colour_frame(
        indicator_frame(view, ind, Selection("buurt", mode="bike"), lang="nl"),
        ind,
        scheme="quantiles",
        k=4,
        lang="nl",
        threshold=5,
    )
    assert bike.notes == (
        "⚠ ver aangesloten: 1 gebied(en) waar de buurt of het team meer dan 500 m van het stratennet ligt; die reistijd is onzekerder.",
    )
    car = colour_frame(
        indicator_frame(view, ind, Selection("buurt", mode="car"), lang="en"),
        ind,
        scheme="quantiles",
        k=4,
        lang="en",
        threshold=5,
    )
    assert car.notes == ("Estimate: straight line × detour factor — no street network was used for this mode.",)
    youth = BY_KEY["youth_population"]
    assert (
        colour_frame(
            indicator_frame(view, youth, Selection("buurt"), lang="nl"),
            youth,
            scheme="quantiles",
            k=4,
            lang="nl",
            threshold=5,
        ).notes
        == ()
    )


def test_the_detail_panel_shows_the_quality_under_the_minutes(view: AtlasView) -> None:
    text = _text(detail_panel(view, ViewState(indicator="tt_buurtteam", buurt=FAR_CODE), "nl"))
    # bike: 700 m leg + two blocks = 900 m at 15 km/h = 3.6 min to BT-A
    assert "3,6 min · Buurtteam A ⚠ netwerk, ver aangesloten (> 500 m)" in text
    assert "schatting: hemelsbreed × omwegfactor" in text  # the car row
    near = _text(detail_panel(view, ViewState(indicator="tt_buurtteam", buurt=code(1, 1)), "en"))
    assert "0.8 min · Buurtteam A network" in near


def test_the_table_has_a_quality_column_beside_the_minutes(
    view: AtlasView, atlas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.app import create_app

    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    app = create_app(atlas)
    tabel = page_module("tabel")
    with app.server.test_request_context("/tabel"):
        table = tabel.render_table(
            view, ViewState(indicator="tt_buurtteam", mode="bike"), query="", sort={"column": "name"}
        )
        header = _text(table.children[1])
        assert header.split()[-2:] == ["Betrouwbaarheid", "reistijd"]
        rows = {r.children[1].children: r.children[-1].children for r in table.children[2].children}
        assert rows[FAR_CODE] == "⚠ netwerk, ver aangesloten (> 500 m)"
        assert rows[code(0, 0)] == "netwerk"
        plain = tabel.render_table(view, ViewState(indicator="youth_population"), query="", sort={"column": "name"})
        assert "Betrouwbaarheid" not in _text(plain.children[1])


def test_the_sources_page_names_the_far_buurten_and_teams(
    atlas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.app import create_app

    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    app = create_app(atlas)
    bronnen = page_module("bronnen")
    with app.server.test_request_context("/bronnen"):
        nl = _text(bronnen.layout(taal="nl"))
        en = _text(bronnen.layout(taal="en"))
    assert "Reistijden: hoe zeker" in nl
    assert "fiets: stratennet" in nl
    assert "auto: hemelsbreed × omwegfactor" in nl
    assert f"{FAR_CODE} Verre buurt (700 m)" in nl
    assert "SP-FAR Specialist ver weg (600 m)" in nl
    assert "het netwerk heeft geen straat die deze vervoerswijze mag gebruiken" in nl
    assert f"{FAR_CODE} Verre buurt: 700 m" in nl  # the full list
    assert "snapped farther than 500 m" in en
    assert "the network has no street this mode may use" in en
    from etl.atlas import read_manifest

    section = _text(bronnen._travel_quality(read_manifest(atlas), "en"))
    assert "/ car:" not in section  # each note in the page's language only
    assert "the network has no street this mode may use" in section


def test_exports_carry_the_quality_column_and_notes(view: AtlasView, tmp_path: Path) -> None:
    from reports.build import build_snapshot
    from reports.tables import metadata_rows, read_back_csv
    from reports.write import write_snapshot

    snap = build_snapshot(view, ViewState(indicator="tt_buurtteam", mode="bike"), area="GM9999")
    csv = read_back_csv(write_snapshot(snap, tmp_path / "x.csv").read_bytes()).set_index("Buurtcode")
    assert list(csv.columns)[6:8] == ["Reistijd naar buurtteam (fiets) (min)", "Betrouwbaarheid reistijd"]
    assert csv.loc[FAR_CODE, "Betrouwbaarheid reistijd"] == "⚠ netwerk, ver aangesloten (> 500 m)"
    assert csv.loc[FAR_CODE, "Reistijd naar buurtteam (fiets) (min)"] == "3,6"
    rows = dict(metadata_rows(snap))
    assert "⚠ ver aangesloten: 1 gebied(en)" in rows["Betrouwbaarheid reistijd"]
    car = build_snapshot(view, ViewState(indicator="tt_buurtteam", mode="car"), area="GM9999")
    assert car.quality_notes == (
        "Schatting: hemelsbreed × omwegfactor — voor deze vervoerswijze is geen stratennet gebruikt.",
    )
    import pyogrio

    gpkg = pyogrio.read_dataframe(write_snapshot(car, tmp_path / "x.gpkg"), layer="buurten", read_geometry=False)
    assert set(gpkg["kwaliteit"]) == {"schatting: hemelsbreed × omwegfactor"}
