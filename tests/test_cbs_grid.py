"""CBS 100 m grid squares as --origins: CBS's column names, the secret −99997 as a small count, squares as centroids.

A tiny synthetic vierkant file: four 100 m squares filling one 200 m buurt (the south-west buurt of a 2×2 grid
of 200 m buurten), in both of CBS's schemas. Youth weight = (0–14) + 3/10 × (15–24), a secret count = 2:

    square  0–14     15–24    weight
    A       10       20       10 + 6       = 16
    B       −99997   5        2 + 1.5      = 3.5
    C       −99997   −99997   2 + 0.6      = 2.6
    D       0        0        0
                              sum          = 22.1

The buurt has 100 youth, so the origins weigh 100 × 16/22.1, 100 × 3.5/22.1, 100 × 2.6/22.1 and 0.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from conftest import grid_buurten
from shapely.geometry import box

from etl.atlas import Atlas
from etl.cbs_grid import SECRET_WEIGHT, grid_weight, is_cbs_grid
from etl.reach import add_travel
from etl.travel import TravelOptions, read_origins, weighted_origins

X0, Y0 = 136000.0, 455000.0
SQUARES = [
    box(X0, Y0, X0 + 100, Y0 + 100),
    box(X0 + 100, Y0, X0 + 200, Y0 + 100),
    box(X0, Y0 + 100, X0 + 100, Y0 + 200),
    box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200),
]
CENTRES = [(X0 + 50, Y0 + 50), (X0 + 150, Y0 + 50), (X0 + 50, Y0 + 150), (X0 + 150, Y0 + 150)]
WEIGHTS = [16.0, 3.5, 2.6, 0.0]
# (2/3)·√(10,000/π) = 37.6126 m: people spread over a 100 m square, as seen from its centre
SQUARE_INTRAZONAL_M = 37.6126


def _squares(schema: str) -> gpd.GeoDataFrame:
    young, older = [10, -99997, -99997, 0], [20, 5, -99997, 0]
    if schema == "2021":
        columns = {
            "crs28992res100m": ["E1360N4550", "E1361N4550", "E1360N4551", "E1361N4551"],
            "aantal_inwoners": [60, 25, -99997, 5],
            "aantal_inwoners_0_tot_15_jaar": young,
            "aantal_inwoners_15_tot_25_jaar": older,
        }
    else:
        columns = {
            "C28992R100": ["1360004550", "1361004550", "1360004551", "1361004551"],
            "INWONER": [60, 25, -99997, 5],
            "INW_014": young,
            "INW_1524": older,
        }
    return gpd.GeoDataFrame(columns, geometry=SQUARES, crs="EPSG:28992")


def _buurten() -> gpd.GeoDataFrame:
    b = grid_buurten(2, 200.0)
    b["youth_population"] = [100.0, 50.0, 30.0, 20.0]
    return b


@pytest.mark.parametrize("schema", ["2021", "before 2021"])
def test_cbs_squares_become_weighted_centroids(tmp_path: Path, schema: str) -> None:
    path = tmp_path / "vierkanten.gpkg"
    _squares(schema).to_file(path)
    got = read_origins(path)
    assert got.geometry.geom_type.unique().tolist() == ["Point"]
    assert list(zip(got.geometry.x, got.geometry.y, strict=True)) == CENTRES
    assert got["weight"].tolist() == pytest.approx(WEIGHTS)
    young = "aantal_inwoners_0_tot_15_jaar" if schema == "2021" else "INW_014"
    assert got["weight_column"].iloc[0].startswith(young)
    assert "3/10" in got["weight_column"].iloc[0]
    np.testing.assert_allclose(got["intrazonal_m"], SQUARE_INTRAZONAL_M, atol=1e-4)
    # squares B and C hold a secret count: the note says what they count as
    assert len(got.attrs["notes"]) == 1
    assert "2 square(s)" in got.attrs["notes"][0]
    assert "−99997" in got.attrs["notes"][0]
    origins, _ = weighted_origins(got, _buurten())
    first = origins[origins["buurtcode"] == "BU99990101"]
    assert first["weight"].tolist() == pytest.approx([100 * w / 22.1 for w in WEIGHTS])
    assert first["intrazonal_m"].tolist() == pytest.approx([SQUARE_INTRAZONAL_M] * 4, abs=1e-4)
    # the other three buurten have no squares: their representative point, with their own intrazonal distance
    # (a 200 m buurt: (2/3)·√(40,000/π) = 75.225 m)
    rest = origins[origins["buurtcode"] != "BU99990101"]
    assert rest["intrazonal_m"].tolist() == pytest.approx([75.2253] * 3, abs=1e-3)


def test_an_explicit_cbs_column_still_counts_a_secret_as_two(tmp_path: Path) -> None:
    path = tmp_path / "vierkanten.gpkg"
    _squares("2021").to_file(path)
    got = read_origins(path, weight="aantal_inwoners")
    assert got["weight"].tolist() == [60.0, 25.0, SECRET_WEIGHT, 5.0]
    assert got["weight_column"].iloc[0] == "aantal_inwoners"


def test_cbs_columns_are_recognised_by_name_only() -> None:
    assert is_cbs_grid(["crs28992res100m", "aantal_inwoners"])
    assert is_cbs_grid(["INWONER", "INW_014", "INW_1524", "geometry"])
    assert not is_cbs_grid(["jeugd", "geometry"])
    made = grid_weight(_squares("before 2021").drop(columns="geometry"))
    assert made is not None
    assert made[0].tolist() == pytest.approx(WEIGHTS)
    # only the inhabitants: they are the weight
    only_total = _squares("2021")[["aantal_inwoners"]]
    total = grid_weight(only_total)
    assert total is not None
    assert total[0].tolist() == [60.0, 25.0, SECRET_WEIGHT, 5.0]


def test_cbs_squares_in_the_build(tmp_path: Path) -> None:
    path = tmp_path / "vierkanten.gpkg"
    _squares("2021").to_file(path)
    buurten = _buurten()
    wijken = buurten.dissolve(
        "wijkcode", as_index=False, aggfunc={"youth_population": "sum", "gemeentecode": "first", "wijknaam": "first"}
    )
    from travel_grid import grid_teams

    teams = grid_teams().iloc[[0]].reset_index(drop=True)  # BT-A at (X0 + 50, Y0 + 50): square A's centre
    teams["soort"] = "buurtteam"
    atlas = Atlas({"buurten": buurten, "wijken": wijken, "teams": teams}, {"notes": [], "methods": {}, "inputs": []})
    out = add_travel(atlas, type("O", (), {"travel": TravelOptions(origins=path)})())
    b = out["buurten"].set_index("buurtcode")
    # straight line by bike (× 1.25, 250 m/min) from the four centres to BT-A, each at least the square's
    # floor 37.6126 × 1.25 = 47.016 m: A 47.016, B 125, C 125, D √2·100·1.25 = 176.78 (weight 0)
    expected = (16 * 47.0158 + 3.5 * 125.0 + 2.6 * 125.0) / 22.1
    assert b.loc["BU99990101", "dist_buurtteam_bike_m"] == pytest.approx(expected, abs=1e-3)
    travel = out.manifest["methods"]["travel"]
    assert travel["origins"]["kind"] == "weighted_points"
    assert travel["origins"]["weight_column"].startswith("aantal_inwoners_0_tot_15_jaar")
    assert any("−99997" in n for n in out.manifest["notes"])
