"""Dashboard building blocks without a browser: URL state, geometry budget, protected values, colours, scenarios."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import grid_buurten, grid_wijken, page_module
from dash import no_update

from dashboard.scenario import Step, decode, encode
from etl.atlas import Atlas, write_atlas
from geodata.errors import InputError
from views.data import build_view
from views.figures import Z_MISSING, Z_SUPPRESSED, colour_frame
from views.geometry import build_layer
from views.indicators import BY_KEY, REGISTRY
from views.state import ViewState, parse_state
from views.values import Selection, available, indicator_frame

# ---------------------------------------------------------------- URL state


def test_state_round_trips_through_the_query_string() -> None:
    state = ViewState(
        indicator="caseload_rate",
        period="2023",
        mode="walk",
        scheme="natural_breaks",
        k=4,
        level="wijk",
        buurt="BU03440112",
        lang="en",
        scenario="remove:LOK-01",
    )
    parsed, problems = parse_state(state.to_query())
    assert problems == []
    assert parsed == state


def test_default_state_makes_an_empty_query() -> None:
    assert ViewState().to_query() == ""


def test_bad_url_parameters_fall_back_with_a_message_in_both_languages() -> None:
    state, problems = parse_state("?indicator=nope&klassen=12&modus=boot&foo=1&schema=quantiles")
    assert state.indicator == ViewState().indicator
    assert state.k == 5
    assert state.mode == "bike"
    assert state.scheme == "quantiles"
    assert {p.column for p in problems} == {"indicator", "klassen", "modus", "foo"}
    for p in problems:
        assert p.nl != p.en
        assert p.file == "URL"


# ---------------------------------------------------------------- geometry


def _grid_atlas(tmp_path: Path, *, with_caseloads: bool = True) -> Path:
    gdf = grid_buurten()
    gdf["youth_population"] = [100.0, 40.0, 0.0, 80.0, 60.0, 20.0, 90.0, 70.0, 50.0]
    gdf["aantal_inwoners"] = gdf["youth_population"] * 5
    gdf["provider"] = ["KOOS"] * 3 + ["Spoor030"] * 6
    wijken = grid_wijken(gdf)
    layers: dict[str, pd.DataFrame] = {"buurten": gdf, "wijken": wijken}
    if with_caseloads:
        counts = [12, 3, 0, 7, 9, 2, 15, 6, 8]
        df = pd.DataFrame(
            {
                "buurtcode": gdf["buurtcode"],
                "periode": "2024",
                "soort": "totaal",
                "aantal": [float(c) for c in counts],
                "youth_population": gdf["youth_population"],
            }
        )
        df["rate_per_1000"] = df["aantal"] / df["youth_population"].where(df["youth_population"] > 0) * 1000
        layers["caseloads_buurt"] = df
        w = (
            df.assign(wijkcode=gdf["wijkcode"])
            .groupby(["wijkcode", "periode", "soort"], as_index=False)[["aantal", "youth_population"]]
            .sum()
        )
        w["rate_per_1000"] = w["aantal"] / w["youth_population"] * 1000
        layers["caseloads_wijk"] = w
    out = tmp_path / "atlas"
    write_atlas(Atlas(layers, {"test": True}), out)
    return out


def test_geometry_fits_the_budget_whatever_the_input_resolution() -> None:
    gdf = grid_buurten(n=12, size=400.0)
    gdf["geometry"] = shapely.segmentize(gdf.geometry.to_numpy(), 1.0)  # a vertex every metre
    layer = build_layer(gdf, level="buurt", code_column="buurtcode", name_column="buurtnaam", budget_gzip_bytes=8_000)
    assert len(layer.geojson_gzip) <= 8_000
    assert json.loads(gzip.decompress(layer.geojson_gzip))["features"][0]["id"] == layer.codes[0]
    # straight edges lose their 1 m vertices: a square keeps about its 4 corners
    n_coords = sum(len(g["coordinates"][0]) for g in layer.geometries)
    assert n_coords < 12 * 12 * 10


def test_simplification_keeps_neighbours_sharing_their_edges() -> None:
    gdf = grid_buurten(n=4, size=300.0)
    rng = np.random.default_rng(1)
    # wiggly shared boundaries: jitter every vertex of a segmentized grid the same way for both neighbours
    dense = shapely.segmentize(gdf.geometry.to_numpy(), 5.0)
    coords = shapely.get_coordinates(dense)
    offsets = {tuple(np.round(c, 3)): rng.normal(0, 0.6, 2) for c in coords}
    moved = [
        shapely.transform(g, lambda xy: np.array([xy_ + offsets[tuple(np.round(xy_, 3))] for xy_ in xy])) for g in dense
    ]
    gdf["geometry"] = moved
    layer = build_layer(gdf, level="buurt", code_column="buurtcode", name_column="buurtnaam", tolerances_m=(8.0,))
    shapes = gpd.GeoSeries([shapely.geometry.shape(g) for g in layer.geometries], crs="EPSG:4326").to_crs("EPSG:28992")
    union = shapely.union_all(shapes.to_numpy())
    assert abs(shapes.area.sum() - union.area) / union.area < 1e-3  # no overlaps
    assert abs(union.area - gdf.area.sum()) / union.area < 0.02  # no gaps opened


def test_map_names_are_those_in_view_or_none_when_more_than_the_map_holds() -> None:
    # Four separate squares of 100, 400, 200 and 300 m side, 1 km apart along the x axis.
    sides = [100.0, 400.0, 200.0, 300.0]
    squares = [shapely.box(136000 + 1000 * i, 455000, 136000 + 1000 * i + s, 455000 + s) for i, s in enumerate(sides)]
    gdf = gpd.GeoDataFrame(
        {"code": ["A", "B", "C", "D"], "naam": ["a", "b", "c", "d"]}, geometry=squares, crs="EPSG:28992"
    )
    layer = build_layer(gdf, level="gemeente", code_column="code", name_column="naam")
    names, points = layer.labels(None, 4)
    assert names == ["a", "b", "c", "d"]
    assert points.tolist() == layer.label_points.tolist()
    assert layer.labels(None, 3)[0] == []  # four in view, room for three: none rather than an arbitrary few
    # In view: the first two squares only (the view's east edge lies between the second and third square).
    west = layer.bounds[0, 0] - 0.001
    east = (layer.bounds[1, 2] + layer.bounds[2, 0]) / 2
    bbox = (west, layer.bounds[:, 1].min() - 0.001, east, layer.bounds[:, 3].max() + 0.001)
    names, points = layer.labels(bbox, 3)
    assert names == ["a", "b"]
    assert points.tolist() == layer.label_points[[0, 1]].tolist()
    assert layer.labels(bbox, 1)[0] == []
    assert layer.labels((0.0, 0.0, 1.0, 1.0), 10)[0] == []


# ---------------------------------------------------------------- values and protection


def test_protected_counts_show_as_suppressed_and_never_as_numbers(tmp_path: Path) -> None:
    view = build_view(_grid_atlas(tmp_path))
    frame = indicator_frame(view, BY_KEY["caseload"], Selection("buurt", "2024", "bike", "totaal"), lang="nl")
    by_code = frame.set_index("code")
    assert by_code.loc["BU99990102", "display"] == "<5"  # count 3
    assert by_code.loc["BU99990203", "display"] == "<5"  # count 2
    assert np.isnan(by_code.loc["BU99990102", "value"])
    assert by_code.loc["BU99990103", "display"] == "0"  # zero identifies nobody
    shown = set(frame["display"])
    assert not shown & {"1", "2", "3", "4"}
    rates = indicator_frame(
        view, BY_KEY["caseload_rate"], Selection("buurt", "2024", "bike", "totaal"), lang="nl"
    ).set_index("code")
    assert rates.loc["BU99990102", "status"] == "suppressed"


def test_raw_tables_never_reach_the_view(tmp_path: Path) -> None:
    view = build_view(_grid_atlas(tmp_path))
    published = view.tables["caseloads_buurt"]
    assert published["aantal"].dropna().isin([1, 2, 3, 4]).sum() == 0
    assert "aantal__onderdrukt" in published.columns


def test_wijk_values_sum_the_buurten_when_the_atlas_has_none(tmp_path: Path) -> None:
    view = build_view(_grid_atlas(tmp_path, with_caseloads=False))
    frame = indicator_frame(view, BY_KEY["youth_population"], Selection("wijk"), lang="en").set_index("code")
    assert frame.loc["WK999901", "value"] == 140.0
    assert frame.loc["WK999902", "display"] == "160"


def test_registry_hides_indicators_the_atlas_lacks(tmp_path: Path) -> None:
    view = build_view(_grid_atlas(tmp_path, with_caseloads=False))
    keys = {ind.key for ind in available(view)}
    assert {"youth_population", "inhabitants", "provider"} <= keys
    assert "caseload" not in keys
    assert "tt_buurtteam" not in keys
    assert len({ind.key for ind in REGISTRY}) == len(REGISTRY)


def test_colours_mark_suppressed_and_missing_apart_from_classes(tmp_path: Path) -> None:
    view = build_view(_grid_atlas(tmp_path))
    frame = indicator_frame(view, BY_KEY["caseload_rate"], Selection("buurt", "2024", "bike", "totaal"), lang="nl")
    coloured = colour_frame(frame, BY_KEY["caseload_rate"], scheme="quantiles", k=3, lang="nl", threshold=5)
    z = dict(zip(frame["code"], coloured.z, strict=True))
    assert z["BU99990102"] == Z_SUPPRESSED
    assert z["BU99990103"] == Z_MISSING  # no youth: no rate
    assert {e.label for e in coloured.entries} >= {"geen gegevens"}
    assert "kwantielen" in coloured.scheme_text


def test_categories_get_their_fixed_colours(tmp_path: Path) -> None:
    view = build_view(_grid_atlas(tmp_path, with_caseloads=False))
    frame = indicator_frame(view, BY_KEY["provider"], Selection("buurt"), lang="nl")
    coloured = colour_frame(frame, BY_KEY["provider"], scheme="quantiles", k=5, lang="nl", threshold=5)
    assert [e.label for e in coloured.entries] == ["KOOS", "Spoor030"]
    assert coloured.z == [0, 0, 0, 1, 1, 1, 1, 1, 1]


# ---------------------------------------------------------------- scenarios


def test_scenario_text_round_trips() -> None:
    steps = [
        Step("add", "Nieuw team,136000,455900,Lokalis,buurtteam"),
        Step("remove", "LOK-01"),
        Step("move", "KOOS-01,135000,456000"),
    ]
    assert decode(encode(steps)) == steps


def test_a_bad_scenario_step_names_itself() -> None:
    with pytest.raises(InputError) as err:
        decode("add:x,1,2,Lokalis,buurtteam;teleport:LOK-01")
    assert "teleport:LOK-01" in err.value.problems[0].nl


# ---------------------------------------------------------------- map names on zoom


def _call_update_map(app: object, relayout: dict[str, object] | None, triggered: str) -> tuple[object, ...]:
    from contextvars import copy_context

    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    kaart = page_module("kaart")

    def run() -> tuple[object, ...]:
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": triggered, "value": relayout}]))
        with app.server.test_request_context("/"):  # type: ignore[attr-defined]
            lod = {"level": "buurt", "codes": False, "n": 9}
            return tuple(
                kaart.update_map("youth_population", None, None, None, "quantiles", 5, "buurt", relayout, lod, None)
            )

    return copy_context().run(run)


def test_the_map_names_the_areas_in_view_when_there_are_more_than_it_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.app import create_app

    atlas = _grid_atlas(tmp_path)
    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    app = create_app(atlas)
    kaart = page_module("kaart")

    monkeypatch.setattr(kaart, "MAX_LABELS", 2)
    view = build_view(atlas)
    wijken = view.layers["wijk"]
    with app.server.test_request_context("/"):
        fig = kaart.build_figure(view, ViewState(), "nl")[0]
    # Three wijken in view, room for two names: the first map writes none.
    assert list(fig.data[2].text) == []
    # Zoomed in on the first wijk only: its name is written, whatever its size.
    b = wijken.bounds[0]
    first = [[b[0], b[3]], [b[2], b[3]], [b[2], b[1]], [b[0], b[1]]]
    patch = _call_update_map(app, {"map._derived": {"coordinates": first}}, "kaart-view.data")[0]
    ops = {tuple(op["location"]): op["params"]["value"] for op in patch.to_plotly_json()["operations"]}
    assert ops[("data", 2, "text")] == [wijken.names[0]]
    assert ops[("data", 2, "lon")] == [wijken.label_points[0, 0]]
    # Without more names than the map holds, a pan or zoom changes nothing.
    monkeypatch.setattr(kaart, "MAX_LABELS", 60)
    assert _call_update_map(app, {"map._derived": {"coordinates": first}}, "kaart-view.data")[0] is no_update


# ---------------------------------------------------------------- sources page


def _page_text(component: object) -> str:
    if isinstance(component, str | int | float):
        return str(component)
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        return " ".join(_page_text(c) for c in children if c is not None)
    return _page_text(children) if children is not None else ""


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_sources_page_says_what_the_manifest_lacks_instead_of_question_marks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    from dashboard.app import create_app

    atlas = _grid_atlas(tmp_path)  # its manifest has no build date, duration or CBS year
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    app = create_app(atlas)
    bronnen = page_module("bronnen")

    with app.server.test_request_context("/bronnen"):
        text = _page_text(bronnen.layout(taal=lang))
    assert "?" not in text
    assert ("niet in zijn manifest" if lang == "nl" else "not in its manifest") in text
    assert ("(jaar onbekend)" if lang == "nl" else "(year unknown)") in text


# ---------------------------------------------------------------- coarser levels until you zoom in


def test_too_many_features_in_view_show_the_next_coarser_level_until_zoomed_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.app import create_app

    atlas = _grid_atlas(tmp_path)
    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    create_app(atlas)
    kaart = page_module("kaart")
    monkeypatch.setattr(kaart, "MAX_FEATURES_IN_VIEW", 4)  # the 3×3 grid's 9 buurten are "too many"
    view = build_view(atlas)
    buurten = view.layers["buurt"]
    assert kaart.choose_level(view, "buurt", None) == ("wijk", None)  # 3 wijken
    assert kaart.choose_level(view, "wijk", None) == ("wijk", None)
    # Zoomed in on the first buurt: the buurten in view (it and its touching neighbours) and no more.
    b = buurten.bounds[0]
    shown, codes = kaart.choose_level(view, "buurt", (b[0] + 1e-5, b[1] + 1e-5, b[2] - 1e-5, b[3] - 1e-5))
    assert (shown, codes) == ("buurt", [buurten.codes[0]])
    # A view of everything again: back to the wijken.
    whole = (
        buurten.bounds[:, 0].min(),
        buurten.bounds[:, 1].min(),
        buurten.bounds[:, 2].max(),
        buurten.bounds[:, 3].max(),
    )
    assert kaart.choose_level(view, "buurt", whole) == ("wijk", None)
