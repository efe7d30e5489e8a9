"""Spatial weights over buurten: neighbours derived by hand on small grids; exclusions and islands reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import grid_buurten
from shapely.geometry import box

from etl.weights import BuurtWeights, WeightsSpec, build_weights, exclusion_reasons
from geodata.errors import InputError


def code(r: int, c: int) -> str:
    """The buurtcode of grid row r, column c (1-based), as tests/conftest.py builds them."""
    return f"BU9999{r:02d}{c:02d}"


def with_island(n: int = 3, *, gap: float = 500.0) -> pd.DataFrame:
    """An n×n grid plus one 100 m buurt `gap` metres east of the grid's south-east corner."""
    gdf = grid_buurten(n)
    x1 = 136000.0 + n * 100.0
    extra = gdf.iloc[[0]].copy()
    extra["buurtcode"] = "BU99999901"
    extra["wijkcode"] = "WK999999"
    extra = extra.set_geometry([box(x1 + gap, 455000.0, x1 + gap + 100.0, 455100.0)], crs=gdf.crs)
    return pd.concat([gdf, extra], ignore_index=True)


def every_buurt_accounted_for(gdf: pd.DataFrame, bw: BuurtWeights) -> None:
    assert sorted([*bw.ids, *bw.excluded]) == sorted(gdf["buurtcode"])
    assert not set(bw.ids) & set(bw.excluded)


def test_queen_on_3x3_grid_by_hand() -> None:
    gdf = grid_buurten(3)
    bw = build_weights(gdf)
    # Queen contiguity: the centre touches all 8, an edge buurt 5, a corner 3 (shared corners count).
    assert set(bw.neighbours[code(2, 2)]) == set(gdf["buurtcode"]) - {code(2, 2)}
    assert set(bw.neighbours[code(1, 2)]) == {code(1, 1), code(1, 3), code(2, 1), code(2, 2), code(2, 3)}
    assert set(bw.neighbours[code(1, 1)]) == {code(1, 2), code(2, 1), code(2, 2)}
    assert sorted(bw.cardinalities().tolist()) == [3, 3, 3, 3, 5, 5, 5, 5, 8]
    assert bw.islands == ()
    assert bw.excluded == {}
    assert bw.components() == 1
    report = bw.report()
    assert (report["kind"], report["neighbours_min"], report["neighbours_max"], report["n"]) == ("queen", 3, 8, 9)


def test_excluded_buurt_leaves_the_graph_and_is_reported() -> None:
    gdf = grid_buurten(3)
    bw = build_weights(gdf, exclude={code(2, 2): "no_youth"})
    assert code(2, 2) not in bw.ids
    assert bw.excluded == {code(2, 2): "no_youth"}
    # Without the centre a corner keeps its two edge neighbours.
    assert set(bw.neighbours[code(1, 1)]) == {code(1, 2), code(2, 1)}
    every_buurt_accounted_for(gdf, bw)


def test_island_is_attached_to_its_nearest_buurt_and_reported() -> None:
    gdf = with_island()
    bw = build_weights(gdf)
    assert bw.islands == ("BU99999901",)
    # The island lies east of row 1: its nearest buurt is the south-east corner, and the link is symmetric.
    assert bw.attached == {"BU99999901": code(1, 3)}
    assert bw.neighbours["BU99999901"] == (code(1, 3),)
    assert "BU99999901" in bw.neighbours[code(1, 3)]
    assert bw.report()["islands"] == ["BU99999901"]
    assert bw.components() == 1
    every_buurt_accounted_for(gdf, bw)


def test_island_can_be_excluded_instead_and_then_says_so() -> None:
    gdf = with_island()
    bw = build_weights(gdf, spec=WeightsSpec(islands="exclude"))
    assert "BU99999901" not in bw.ids
    assert bw.excluded == {"BU99999901": "island"}
    assert bw.islands == ("BU99999901",)
    every_buurt_accounted_for(gdf, bw)


def test_buurt_left_alone_by_exclusions_becomes_an_island() -> None:
    # A 1×3 strip: dropping the middle leaves two buurten without neighbours; both get attached.
    gdf = grid_buurten(3)
    strip = gdf[gdf["buurtcode"].isin([code(1, 1), code(1, 2), code(1, 3)])]
    bw = build_weights(strip, exclude={code(1, 2): "no_youth"})
    assert set(bw.islands) == {code(1, 1), code(1, 3)}
    assert bw.neighbours[code(1, 1)] == (code(1, 3),)


def test_knn_gives_every_buurt_k_neighbours() -> None:
    gdf = grid_buurten(4)
    bw = build_weights(gdf, spec=WeightsSpec("knn", k=3))
    assert set(bw.cardinalities().tolist()) == {3}
    # k is capped at n - 1 rather than failing on a tiny area.
    tiny = build_weights(gdf.iloc[:3], spec=WeightsSpec("knn", k=6))
    assert set(tiny.cardinalities().tolist()) == {2}


def test_distance_band_defaults_to_the_smallest_band_without_islands() -> None:
    gdf = with_island(gap=500.0)
    bw = build_weights(gdf, spec=WeightsSpec("distance"))
    # Centroid of the island is 600 m from the nearest grid centroid: that is the band.
    assert bw.distance_m == pytest.approx(600.0)
    assert bw.islands == ()
    tight = build_weights(gdf, spec=WeightsSpec("distance", distance_m=150.0))
    # 150 m reaches the 4 rook neighbours (100 m) and the diagonals (141 m), not the island.
    assert tight.islands == ("BU99999901",)
    assert len(tight.neighbours[code(2, 2)]) == 8
    assert tight.report()["distance_from"] == "given"


def test_exclusion_reasons() -> None:
    gdf = grid_buurten(3)
    gdf["youth_population"] = [10.0, 0.0, np.nan, 5.0, 5.0, 0.0, 5.0, 5.0, 5.0]
    gdf.loc[5, "water"] = True
    reasons = exclusion_reasons(gdf).astype(object).where(lambda s: s.notna(), None)
    assert reasons.tolist() == [None, "no_youth", "youth_unknown", None, None, "water", None, None, None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("queen", WeightsSpec()),
        ("KNN:8", WeightsSpec("knn", k=8)),
        ("knn", WeightsSpec("knn", k=6)),
        ("distance", WeightsSpec("distance")),
        ("distance:1500", WeightsSpec("distance", distance_m=1500.0)),
    ],
)
def test_spec_parse(text: str, expected: WeightsSpec) -> None:
    assert WeightsSpec.parse(text) == expected


@pytest.mark.parametrize("text", ["rook", "knn:0", "knn:x", "distance:-5", "queen:3", ""])
def test_spec_parse_rejects_with_a_message(text: str) -> None:
    with pytest.raises(InputError) as err:
        WeightsSpec.parse(text)
    problem = err.value.problems[0]
    assert problem.code == "WEIGHTS_SPEC"
    assert problem.column == "--weights"
    assert "queen" in problem.nl
    assert "knn:K" in problem.en


def test_fresh_weights_are_independent_copies() -> None:
    bw = build_weights(grid_buurten(3))
    w = bw.fresh()
    w.transform = "r"
    again = bw.fresh()
    assert again.transform.lower() == "o"
    assert list(again.id_order) == list(bw.ids)
    assert again.weights[code(1, 1)] == [1.0, 1.0, 1.0]


def test_weights_refuse_a_geographic_crs() -> None:
    with pytest.raises(InputError) as err:
        build_weights(grid_buurten(3).to_crs("EPSG:4326"))
    assert err.value.problems[0].code == "WEIGHTS_CRS"
