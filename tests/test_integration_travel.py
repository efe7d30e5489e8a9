"""Travel on the real Utrecht data: the default demo atlas (straight line, labelled) and `build --network` + `whatif`."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString

from cli.main import main
from etl.atlas import read_atlas, read_manifest
from etl.travel import CACHE_FILE

pytestmark = pytest.mark.integration


def test_default_atlas_has_travel_coverage_and_access_labelled_straight_line(default_atlas: Path) -> None:
    atlas = read_atlas(default_atlas, layers=["buurten", "wijken", "coverage", "team_load", "teams"])
    b = atlas["buurten"]
    assert len(b) == 111
    assert set(b["travel_method"]) == {"straight_line"}
    for mode in ("walk", "bike", "car"):
        assert b[f"tt_buurtteam_{mode}_min"].notna().all()
        assert b[f"nearest_buurtteam_{mode}"].isin(set(atlas["teams"]["team_id"])).all()
        assert b[f"tt_spec_contract_{mode}_min"].notna().all()
        # the contracted provider's nearest team is never nearer than the nearest of any provider
        assert (b[f"tt_spec_contract_{mode}_min"] >= b[f"tt_spec_any_{mode}_min"] - 1e-6).all()
    share = b["coverage_bike_15min"]
    assert share.dropna().between(0, 1).all()
    assert (share.isna() == ~(b["youth_population"].fillna(0) > 0)).all()  # NaN exactly where no youth
    # on the straight line walking takes 3× as long as cycling (5 vs 15 km/h, same detour factor); demo
    # teams sit on buurt points, yet no buurt is 0 min from its buurtteam: the intrazonal floor
    # (2/3)·√(A/π) × 1.25 at 15 km/h holds those buurten instead
    walk, bike = b["tt_buurtteam_walk_min"], b["tt_buurtteam_bike_min"]
    assert walk.to_numpy() == pytest.approx(3 * bike.to_numpy(), rel=1e-5)
    assert (bike > 0).all()
    floor_min = (2 / 3) * np.sqrt(b.geometry.area / np.pi) * 1.25 / 250.0
    on_floor = np.isclose(bike, floor_min, rtol=1e-5)
    assert on_floor.sum() >= 1
    assert (bike >= floor_min * (1 - 1e-5)).all()
    assert set(b["travel_quality_bike"]) == {"estimate (straight line × detour)"}
    assert set(b["travel_method_bike"]) == {"straight_line"}
    youth = b["youth_population"].fillna(0)
    rel = (b["access_e2sfca_rel"] * youth).sum() / youth[b["access_e2sfca_rel"].notna()].sum()
    assert rel == pytest.approx(1.0)
    c = atlas["coverage"]
    g = c[(c["niveau"] == "gemeente") & (c["target"] == "buurtteam") & (c["mode"] == "bike")]
    assert g["youth_total"].iloc[0] == pytest.approx(youth.sum())
    assert set(c[c["niveau"] == "provider"]["code"]) == {"KOOS", "Spoor030"}
    assert set(atlas["wijken"]["travel_method"]) == {"straight_line"}
    manifest = read_manifest(default_atlas)
    travel = manifest["methods"]["travel"]
    assert travel["method"] == "straight_line"
    assert travel["detour_factors"] == {"walk": 1.25, "bike": 1.25, "car": 1.35}
    assert CACHE_FILE in manifest["files"]


def test_whatif_on_the_default_atlas(default_atlas: Path, capsys: pytest.CaptureFixture[str]) -> None:
    teams = read_atlas(default_atlas, layers=["teams"])["teams"]
    bt = teams[teams["soort"] == "buurtteam"]["team_id"].iloc[0]
    assert main(["whatif", "--atlas", str(default_atlas), "--remove", str(bt), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["teams"]["removed"] == [bt]
    assert summary["method"] == "straight_line"
    # removing a buurtteam never brings a buurtteam nearer
    bike = summary["per_mode"]["bike"]["mean_tt_buurtteam_min"]
    assert bike["after"] >= bike["before"]


def _utrecht_grid(path: Path, bounds: np.ndarray, spacing: float = 250.0) -> Path:
    """A plain street grid over Utrecht (no OSM extract is available offline), written as GeoPackage edges."""
    xmin, ymin, xmax, ymax = bounds + np.array([-2000, -2000, 2000, 2000])
    xs = np.arange(xmin, xmax + spacing, spacing)
    ys = np.arange(ymin, ymax + spacing, spacing)
    lines = [LineString([(x, y), (x + spacing, y)]) for y in ys for x in xs[:-1]]
    lines += [LineString([(x, y), (x, y + spacing)]) for x in xs for y in ys[:-1]]
    highway = np.where(np.arange(len(lines)) % 7 == 0, "cycleway", "residential")
    gpd.GeoDataFrame({"highway": highway}, geometry=lines, crs="EPSG:28992").to_file(path, layer="edges")
    return path


def test_build_with_a_network_then_whatif(
    tmp_path: Path, data_dir: Path, default_atlas: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bounds = read_atlas(default_atlas, layers=["buurten"])["buurten"].total_bounds
    network = _utrecht_grid(tmp_path / "utrecht_grid.gpkg", bounds)
    out = tmp_path / "atlas"
    code = main(
        [
            "build",
            "--data-dir",
            str(data_dir),
            "--out",
            str(out),
            "--network",
            str(network),
            "--quiet",
            "--thresholds",
            "5,10",
        ]
    )
    assert code == 0, capsys.readouterr().err
    atlas = read_atlas(out, layers=["buurten", "coverage"])
    b = atlas["buurten"]
    assert set(b["travel_method"]) == {"network"}
    assert {"coverage_bike_5min", "coverage_bike_10min"} <= set(b.columns)
    assert set(atlas["coverage"]["threshold_min"]) == {5.0, 10.0}
    travel = read_manifest(out)["methods"]["travel"]
    assert travel["network"]["source"] == "utrecht_grid.gpkg"
    assert travel["network"]["edges_per_mode"]["car"] < travel["network"]["edges"]  # no cars on cycleways
    capsys.readouterr()
    x, y = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    assert main(["whatif", "--atlas", str(out), "--add", f"Nieuw team,{x},{y},Lokalis,buurtteam"]) == 0
    printed = capsys.readouterr().out
    assert "netwerk / street network" in printed
    assert "whatif-1" in printed
    # a route (snap legs included) is never shorter than the straight line to the nearest buurtteam, which
    # the straight-line atlas holds × the bike detour factor 1.25
    straight = read_atlas(default_atlas, layers=["buurten"])["buurten"].set_index("buurtcode")
    net = b.set_index("buurtcode").reindex(straight.index)
    assert (net["dist_buurtteam_bike_m"] >= straight["dist_buurtteam_bike_m"] / 1.25 - 0.01).all()
