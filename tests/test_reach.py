"""Every travel metric per buurt and wijk on the street grid, with hand-derived values; and the build stage."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from travel_grid import (
    BIKE_MIN_PER_BLOCK,
    CAR_MIN_PER_BLOCK,
    WALK_MIN_PER_BLOCK,
    blocks,
    code,
    grid_buurten_youth,
    grid_edges,
    grid_network,
    grid_teams,
    grid_wijken,
    youth,
)

from etl.atlas import Atlas, read_atlas, read_manifest, write_atlas
from etl.reach import TravelResult, add_travel, buurt_columns, capacity_notes, check_teams, travel_metrics
from etl.travel import (
    CACHE_FILE,
    DetourFactors,
    TravelOptions,
    build_mode_graphs,
    origin_team_costs,
    representative_origins,
)
from geodata.errors import InputError
from geodata.network import Speeds

CELLS = [(r, c) for r in range(3) for c in range(3)]
PER_BLOCK = {"walk": WALK_MIN_PER_BLOCK, "bike": BIKE_MIN_PER_BLOCK, "car": CAR_MIN_PER_BLOCK}
BT = {"BT-A": (0, 0), "BT-B": (2, 2)}
SPEC = {"SP-K": (2, 0), "SP-S": (0, 2)}
OPTIONS = TravelOptions(thresholds_min=(0.4, 0.8), decay="step:0.8=1")


def _provider(cell: tuple[int, int]) -> str:
    return "Spoor030" if cell[0] == 2 else "KOOS"


def _nearest(cell: tuple[int, int], teams: dict[str, tuple[int, int]]) -> tuple[str, int]:
    # ties (same time, same length) go to the first team in the list
    return min(teams.items(), key=lambda kv: blocks(cell, kv[1]))[0], min(blocks(cell, t) for t in teams.values())


def _metrics(tmp_path: Path, options: TravelOptions = OPTIONS) -> TravelResult:
    gdf_buurten = grid_buurten_youth()
    teams = grid_teams()
    origins = representative_origins(gdf_buurten)
    costs = origin_team_costs(
        origin_xy=origins[["x", "y"]].to_numpy(),
        team_ids=teams["team_id"].tolist(),
        team_xy=np.column_stack([teams.geometry.x, teams.geometry.y]),
        speeds=Speeds(),
        detour=DetourFactors(),
        graphs=build_mode_graphs(grid_network(tmp_path), speeds=Speeds()),
    )
    return travel_metrics(gdf_buurten=gdf_buurten, gdf_teams=teams, origins=origins, costs=costs, options=options)


@pytest.fixture
def result(tmp_path: Path) -> TravelResult:
    return _metrics(tmp_path)


@pytest.mark.parametrize("mode", ["walk", "bike", "car"])
def test_nearest_buurtteam_and_specialists_per_buurt(result: TravelResult, mode: str) -> None:
    b = result.buurten.set_index("buurtcode")
    assert list(result.buurten.columns) == ["buurtcode", *buurt_columns(thresholds_min=(0.4, 0.8))]
    for cell in CELLS:
        row = b.loc[code(*cell)]
        team, k = _nearest(cell, BT)
        assert row[f"nearest_buurtteam_{mode}"] == team
        assert row[f"tt_buurtteam_{mode}_min"] == pytest.approx(k * PER_BLOCK[mode], abs=1e-5)
        assert row[f"dist_buurtteam_{mode}_m"] == pytest.approx(100.0 * k, abs=1e-3)
        contract = "SP-S" if _provider(cell) == "Spoor030" else "SP-K"
        k_contract = blocks(cell, SPEC[contract])
        assert row[f"nearest_spec_contract_{mode}"] == contract
        assert row[f"tt_spec_contract_{mode}_min"] == pytest.approx(k_contract * PER_BLOCK[mode], abs=1e-5)
        any_team, k_any = _nearest(cell, SPEC)
        assert row[f"nearest_spec_any_{mode}"] == any_team
        assert row[f"dist_spec_any_{mode}_m"] == pytest.approx(100.0 * k_any, abs=1e-3)
        gain = (k_contract - k_any) * PER_BLOCK[mode]
        assert row[f"seam_gain_{mode}_min"] == pytest.approx(gain, abs=1e-5)
        assert row[f"seam_{mode}"] == (gain > 2.0)
    assert set(b["travel_method"]) == {"network"}
    # every origin on a junction, every team too: all figures are plain network figures
    for target in ("buurtteam", "spec_contract", "spec_any"):
        assert set(b[f"travel_quality_{target}_{mode}"]) == {"network"}
    assert set(b[f"travel_quality_{mode}"]) == {"network"}
    assert set(b[f"travel_method_{mode}"]) == {"network"}


def test_seam_flag_by_hand(result: TravelResult, tmp_path: Path) -> None:
    b = result.buurten.set_index("buurtcode")
    # on foot (1.2 min a block) the other provider's team is > 2 min faster where it is ≥ 2 blocks nearer
    seam_walk = {code(*c) for c in [(0, 1), (0, 2), (1, 2), (2, 0), (2, 1)]}
    assert set(b.index[b["seam_walk"].astype(bool)]) == seam_walk
    assert not b["seam_bike"].any()  # at most 4 blocks = 1.6 min by bike
    wider = _metrics(tmp_path, TravelOptions(thresholds_min=(0.4, 0.8), decay="step:0.8=1", seam_margin_min=1.0))
    wb = wider.buurten.set_index("buurtcode")
    assert set(wb.index[wb["seam_bike"].astype(bool)]) == {code(0, 2), code(2, 0)}


def test_wijk_values_are_youth_weighted(result: TravelResult) -> None:
    w = result.wijken.set_index("wijkcode")
    for r, wijk in enumerate(["WK999901", "WK999902", "WK999903"]):
        cells = [(r, c) for c in range(3)]
        total = sum(youth(*c) for c in cells)
        expected = sum(youth(*c) * _nearest(c, BT)[1] * BIKE_MIN_PER_BLOCK for c in cells) / total
        assert w.loc[wijk, "tt_buurtteam_bike_min"] == pytest.approx(expected, abs=1e-5)
        within = sum(youth(*c) for c in cells if _nearest(c, BT)[1] <= 1)
        assert w.loc[wijk, "coverage_bike_0_4min"] == pytest.approx(within / total)
        assert w.loc[wijk, "coverage_bike_0_8min"] == pytest.approx(1.0)
    # wijk 1: seams on foot in (0,1) and (0,2): (20 + 30) / 60
    assert w.loc["WK999901", "seam_walk_share"] == pytest.approx(50 / 60)
    assert set(w["travel_method"]) == {"network"}


def test_coverage_table_levels(result: TravelResult) -> None:
    c = result.coverage
    g = c[(c["niveau"] == "gemeente") & (c["target"] == "buurtteam") & (c["mode"] == "bike")].set_index("threshold_min")
    # within one block (0.4 min) of a buurtteam: youth 10 + 20 + 40 + 60 + 80 + 90 = 300 of 450
    assert g.loc[0.4, "youth_within"] == pytest.approx(300.0)
    assert g.loc[0.4, "share"] == pytest.approx(300 / 450)
    p = c[
        (c["niveau"] == "provider")
        & (c["target"] == "spec_contract")
        & (c["mode"] == "bike")
        & (c["threshold_min"] == 0.8)
    ].set_index("code")
    # KOOS (wijk 1, 2) to SP-K at (2,0) within two blocks: (0,0) (1,0) (1,1) → 100 of 210
    assert p.loc["KOOS", "youth_within"] == pytest.approx(100.0)
    assert p.loc["KOOS", "youth_total"] == pytest.approx(210.0)
    # Spoor030 (wijk 3) to SP-S at (0,2) within two blocks: only (2,2) → 90 of 240
    assert p.loc["Spoor030", "share"] == pytest.approx(90 / 240)


def test_e2sfca_columns_by_hand(result: TravelResult) -> None:
    b = result.buurten.set_index("buurtcode")
    r_a, r_b = 2 / 220, 1 / 380  # see test_access: catchments of two blocks
    for cell in CELLS:
        expected = (r_a if blocks(cell, (0, 0)) <= 2 else 0) + (r_b if blocks(cell, (2, 2)) <= 2 else 0)
        assert b.loc[code(*cell), "access_e2sfca"] == pytest.approx(1000 * expected)
    weights = np.array([youth(*c) for c in CELLS])
    values = b["access_e2sfca"].to_numpy()
    mean = (values * weights).sum() / weights.sum()
    np.testing.assert_allclose(b["access_e2sfca_rel"].to_numpy(), values / mean)
    # specialist access counts only the contracted provider: SP-K 3 FTE for KOOS youth within two blocks of
    # (2,0): (0,0) (1,0) (1,1) = 100 → 30 per 1,000; SP-S 3 FTE for Spoor030 youth near (0,2): (2,2) = 90
    spec = b["access_e2sfca_spec"]
    assert spec[code(0, 0)] == pytest.approx(30.0)
    assert spec[code(1, 1)] == pytest.approx(30.0)
    assert spec[code(0, 1)] == 0.0
    assert spec[code(2, 2)] == pytest.approx(3000 / 90)
    assert spec[code(2, 0)] == 0.0


def test_team_load(result: TravelResult) -> None:
    load = result.team_load.set_index("team_id")
    assert load.loc["BT-A", "catchment_youth"] == pytest.approx(220.0)
    assert load.loc["BT-B", "capacity_per_1000_youth"] == pytest.approx(1000 / 380)
    # nearest by bike (ties to BT-A): A serves (0,0) (0,1) (0,2) (1,0) (1,1) (2,0) = 220, B the rest = 230
    assert load.loc["BT-A", "youth_nearest"] == pytest.approx(220.0)
    assert load.loc["BT-B", "youth_per_capacity"] == pytest.approx(230.0)
    assert load.loc["SP-K", "youth_nearest"] == pytest.approx(210.0)  # all KOOS youth
    assert load.loc["SP-S", "youth_nearest"] == pytest.approx(240.0)
    assert set(load["method"]) == {"network"}


def test_without_providers_contract_columns_are_empty(tmp_path: Path) -> None:
    gdf_buurten = grid_buurten_youth().drop(columns="provider")
    teams = grid_teams()
    origins = representative_origins(gdf_buurten)
    costs = origin_team_costs(
        origin_xy=origins[["x", "y"]].to_numpy(),
        team_ids=teams["team_id"].tolist(),
        team_xy=np.column_stack([teams.geometry.x, teams.geometry.y]),
        speeds=Speeds(),
        detour=DetourFactors(),
    )
    res = travel_metrics(gdf_buurten=gdf_buurten, gdf_teams=teams, origins=origins, costs=costs, options=OPTIONS)
    assert res.buurten["tt_spec_contract_bike_min"].isna().all()
    assert res.buurten["seam_bike"].isna().all()
    assert res.buurten["tt_spec_any_bike_min"].notna().all()
    assert set(res.buurten["travel_method"]) == {"straight_line"}
    assert any("provider" in n for n in res.notes)


def test_team_checks_name_row_and_column() -> None:
    teams = grid_teams()
    teams.loc[1, "soort"] = "huisarts"
    teams.loc[2, "capaciteit_fte"] = -1.0
    teams.loc[3, "team_id"] = "BT-A"
    problems = check_teams(teams, supply="capaciteit_fte")
    assert {(p.code, p.row, p.column) for p in problems} == {
        ("TEAM_SOORT", 3, "soort"),
        ("TEAM_CAPACITY", 4, "capaciteit_fte"),
        ("TEAM_ID_DUPLICATE", 5, "team_id"),
    }
    assert check_teams(teams.drop(columns="soort"), supply="capaciteit_fte")[0].code == "TEAMS_COLUMNS"


def test_team_without_capacity_counts_for_travel_not_for_access() -> None:
    teams = grid_teams()
    teams.loc[1, "capaciteit_fte"] = np.nan
    assert check_teams(teams, supply="capaciteit_fte") == []
    notes = capacity_notes(teams, supply="capaciteit_fte")
    assert len(notes) == 1
    assert str(teams.loc[1, "team_id"]) in notes[0]
    assert "E2SFCA" in notes[0]
    assert capacity_notes(grid_teams(), supply="capaciteit_fte") == []


# ---------------------------------------------------------------- the build stage


class _Opts:
    def __init__(self, travel: TravelOptions) -> None:
        self.travel = travel


def _atlas() -> Atlas:
    return Atlas(
        {"buurten": grid_buurten_youth(), "wijken": grid_wijken(), "teams": grid_teams()},
        {"notes": [], "methods": {}, "inputs": []},
    )


def test_build_stage_writes_columns_tables_cache_and_manifest(tmp_path: Path) -> None:
    network = tmp_path / "streets.gpkg"
    grid_edges().to_file(network, layer="edges")
    atlas = add_travel(_atlas(), _Opts(TravelOptions(network=network, thresholds_min=(0.4, 0.8), decay="step:0.8=1")))
    out = tmp_path / "atlas"
    write_atlas(atlas, out)
    manifest = read_manifest(out)
    travel = manifest["methods"]["travel"]
    assert travel["method"] == "network"
    assert travel["speeds_kmh"]["bike_kmh"] == 15.0
    assert travel["network"]["edges"] == 12
    assert travel["thresholds_min"] == [0.4, 0.8]
    assert travel["seam_margin_min"] == 2.0
    assert travel["access"]["decay"] == "step:0.8=1"
    assert travel["date"]
    assert travel["teams"] == {"n": 4, "per_soort": {"buurtteam": 2, "specialistisch": 2}, "is_demo": True}
    assert manifest["files"][CACHE_FILE]["bytes"] == (out / CACHE_FILE).stat().st_size
    assert any(i["kind"] == "network" for i in manifest["inputs"])
    back = read_atlas(out)
    b = back["buurten"].set_index("buurtcode")
    assert b.loc[code(0, 2), "tt_buurtteam_bike_min"] == pytest.approx(0.8, abs=1e-5)
    assert bool(b.loc[code(0, 2), "seam_walk"]) is True
    assert isinstance(back["buurten"], gpd.GeoDataFrame)
    assert back["buurten"].geometry.name in back["buurten"].columns
    assert set(back.layers) >= {"coverage", "team_load"}
    assert set(back["coverage"]["niveau"]) == {"buurt", "wijk", "provider", "gemeente"}
    assert "tt_buurtteam_bike_min" in back["wijken"].columns
    json.dumps(manifest)


def test_build_stage_without_network_is_labelled_straight_line(tmp_path: Path) -> None:
    atlas = add_travel(_atlas(), _Opts(TravelOptions()))
    assert set(atlas["buurten"]["travel_method"]) == {"straight_line"}
    for mode in ("walk", "bike", "car"):
        assert set(atlas["buurten"][f"travel_quality_{mode}"]) == {"estimate (straight line × detour)"}
        assert set(atlas["wijken"][f"travel_quality_buurtteam_{mode}"]) == {"estimate (straight line × detour)"}
    assert atlas.manifest["methods"]["travel"]["method_per_mode"] == {
        "walk": "straight_line",
        "bike": "straight_line",
        "car": "straight_line",
    }
    travel = atlas.manifest["methods"]["travel"]
    assert travel["method"] == "straight_line"
    assert travel["detour_factors"] == {"walk": 1.25, "bike": 1.25, "car": 1.35}
    assert set(atlas["coverage"]["method"]) == {"straight_line"}


def test_build_stage_without_teams_says_so() -> None:
    atlas = Atlas({"buurten": grid_buurten_youth(), "wijken": grid_wijken()}, {"notes": []})
    out = add_travel(atlas, _Opts(TravelOptions()))
    assert "tt_buurtteam_bike_min" not in out["buurten"].columns
    assert any("no teams" in n for n in out.manifest["notes"])


def test_build_stage_refuses_bad_teams() -> None:
    atlas = _atlas()
    teams = grid_teams()
    teams.loc[0, "soort"] = "onbekend"
    with pytest.raises(InputError) as err:
        add_travel(atlas.with_layers(teams=teams), _Opts(TravelOptions()))
    assert err.value.problems[0].code == "TEAM_SOORT"


def test_weighted_origins_in_the_build(tmp_path: Path) -> None:
    points = gpd.GeoDataFrame(
        {"jeugd": [3.0, 1.0]},
        geometry=gpd.points_from_xy([136050.0, 136090.0], [455050.0, 455050.0]),
        crs="EPSG:28992",
    )
    path = tmp_path / "origins.gpkg"
    points.to_file(path)
    network = tmp_path / "streets.gpkg"
    grid_edges().to_file(network, layer="edges")
    atlas = add_travel(_atlas(), _Opts(TravelOptions(network=network, origins=path, origins_weight="jeugd")))
    b = atlas["buurten"].set_index("buurtcode")
    # buurt (0,0): 3/4 of its youth at the junction of BT-A (0 m), 1/4 40 m east (snapped back: 40 m leg)
    assert b.loc[code(0, 0), "dist_buurtteam_bike_m"] == pytest.approx(0.25 * 40.0, abs=1e-3)
    assert atlas.manifest["methods"]["travel"]["origins"]["kind"] == "weighted_points"
    assert pd.notna(b["tt_buurtteam_bike_min"]).all()
