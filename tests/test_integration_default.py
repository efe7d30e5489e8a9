"""The default Utrecht build on the real data in the data directory."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from etl.atlas import read_atlas, write_atlas
from etl.population import SHARE_15_17_OF_15_24
from geodata.statistics import read_statistics

pytestmark = pytest.mark.integration


def test_default_build_has_utrecht(default_atlas: Path) -> None:
    atlas = read_atlas(default_atlas)
    buurten, wijken = atlas["buurten"], atlas["wijken"]
    assert len(buurten) == 111
    assert len(wijken) == 10
    assert buurten.crs.to_epsg() == 28992
    assert wijken.crs.to_epsg() == 28992
    assert set(buurten["gemeentecode"]) == {"GM0344"}
    assert buurten["buurtcode"].is_unique
    assert buurten["wijknaam"].notna().all()
    assert sorted(wijken["wijknaam"]) == sorted(
        [
            "West",
            "Noordwest",
            "Overvecht",
            "Noordoost",
            "Oost",
            "Binnenstad",
            "Zuid",
            "Zuidwest",
            "Leidsche Rijn",
            "Vleuten-De Meern",
        ]
    )
    assert wijken["n_buurten"].sum() == 111
    # Buurten tile the municipality: 99.2 km², no overlaps (the wijken are their union).
    assert buurten.area.sum() / 1e6 == pytest.approx(99.2, abs=0.2)
    assert wijken.area.sum() == pytest.approx(buurten.area.sum(), rel=1e-6)
    manifest = atlas.manifest
    assert manifest["cbs_year"] == 2024
    assert {i["kind"] for i in manifest["inputs"]} >= {"boundaries", "statistics"}
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["packages"]["geopandas"]
    assert manifest["build_seconds"] > 0
    assert manifest["layers"]["buurten"]["rows"] == 111


def test_youth_estimate_sums_to_the_gemeente_figure(default_atlas: Path, data_dir: Path) -> None:
    buurten = read_atlas(default_atlas, layers=["buurten"])["buurten"]
    stats = read_statistics(data_dir / "cbs/utrecht_kwb_2024_cbs_original.csv").set_index("code")
    gm = stats.loc["GM0344"]
    gemeente_youth = gm["aantal_0_14"] + SHARE_15_17_OF_15_24 * gm["aantal_15_24"]
    total = buurten["youth_population"].sum()
    # CBS rounds buurt counts to multiples of 5, so each buurt's estimate may be off by up to
    # 2.5 + 3/10 × 2.5; the sum must lie within that rounding of the gemeente's own figure.
    bound = len(buurten) * 2.5 * (1 + SHARE_15_17_OF_15_24)
    assert abs(total - gemeente_youth) <= bound
    assert abs(total - gemeente_youth) < 10  # in fact: 76,561 vs 76,563.7
    assert buurten["youth_population_is_estimate"].all()
    zero = buurten.set_index("buurtcode").loc[["BU03440911", "BU03440952"], "youth_population"]
    assert zero.tolist() == [0.0, 0.0]  # the two buurten without inhabitants


def test_atlas_round_trips(default_atlas: Path, tmp_path: Path) -> None:
    first = read_atlas(default_atlas)
    write_atlas(first, tmp_path)
    second = read_atlas(tmp_path)
    for name in first.layers:
        a, b = first[name], second[name]
        assert list(a.columns) == list(b.columns)
        pd.testing.assert_frame_equal(
            pd.DataFrame(a.drop(columns="geometry", errors="ignore")),
            pd.DataFrame(b.drop(columns="geometry", errors="ignore")),
        )
        if isinstance(a, gpd.GeoDataFrame):
            assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all()
