"""E2SFCA: hand-derived on the grid, and equal to PySAL `access` on the same inputs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from access import Access
from travel_grid import centre, grid_buurten_youth, grid_network, grid_teams

from etl.access import Decay, e2sfca, parse_decay, relative_to_mean
from etl.travel import DetourFactors, build_mode_graphs, origin_team_costs, representative_origins
from geodata.errors import InputError
from geodata.network import Speeds


def pysal_e2sfca(
    time_min: np.ndarray, demand: np.ndarray, supply: np.ndarray, decay: Decay, allowed: np.ndarray | None = None
) -> np.ndarray:
    """The reference: PySAL access's enhanced_two_stage_fca on a long cost table of the same times."""
    n_o, n_t = time_min.shape
    demand_df = pd.DataFrame({"youth": demand}, index=pd.Index([f"o{i}" for i in range(n_o)], name="geoid"))
    supply_df = pd.DataFrame({"fte": supply}, index=pd.Index([f"t{j}" for j in range(n_t)], name="geoid"))
    pairs = [
        (f"o{i}", f"t{j}", float(time_min[i, j]))
        for i in range(n_o)
        for j in range(n_t)
        if np.isfinite(time_min[i, j]) and (allowed is None or allowed[i, j])
    ]
    cost_df = pd.DataFrame(pairs, columns=["origin", "dest", "minutes"])
    model = Access(
        demand_df=demand_df,
        demand_index=True,
        demand_value="youth",
        supply_df=supply_df,
        supply_index=True,
        supply_value="fte",
        cost_df=cost_df,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="minutes",
    )
    out = model.enhanced_two_stage_fca(name="e2sfca", weight_fn=decay.pysal_weight_fn(), max_cost=decay.max_cost)
    return out["e2sfca_fte"].reindex(demand_df.index).fillna(0.0).to_numpy()


def test_e2sfca_on_the_grid_by_hand(tmp_path: Path) -> None:
    origins = representative_origins(grid_buurten_youth())
    teams = grid_teams().iloc[:2]  # the buurtteams: BT-A (0,0) with 2 FTE, BT-B (2,2) with 1 FTE
    costs = origin_team_costs(
        origin_xy=origins[["x", "y"]].to_numpy(),
        team_ids=teams["team_id"].tolist(),
        team_xy=np.column_stack([teams.geometry.x, teams.geometry.y]),
        speeds=Speeds(),
        detour=DetourFactors(),
        graphs=build_mode_graphs(grid_network(tmp_path), speeds=Speeds()),
    )
    decay = parse_decay("step:0.8=1")  # a plain 2SFCA catchment of two blocks by bike (0.4 min each)
    got = e2sfca(
        time_min=costs.time_min["bike"], demand=origins["weight"].to_numpy(), supply=np.array([2.0, 1.0]), decay=decay
    )
    # within two blocks of (0,0): (0,0) (0,1) (0,2) (1,0) (1,1) (2,0) → youth 10+20+30+40+50+70 = 220
    # within two blocks of (2,2): (2,2) (2,1) (2,0) (1,2) (1,1) (0,2) → youth 90+80+70+60+50+30 = 380
    assert got.catchment_demand.tolist() == pytest.approx([220.0, 380.0])
    r_a, r_b = 2 / 220, 1 / 380
    assert got.ratio.tolist() == pytest.approx([r_a, r_b])
    expected = [r_a, r_a, r_a + r_b, r_a, r_a + r_b, r_b, r_a + r_b, r_b, r_b]
    assert got.access.tolist() == pytest.approx(expected)
    # the decay's bound is inclusive: (0,2) at exactly 0.8 min is inside both catchments
    assert centre(0, 2) == tuple(origins.loc[2, ["x", "y"]])


@pytest.mark.parametrize("spec", ["step:10=1,20=0.68,30=0.22", "step:5=1,12.5=0.5", "gaussian:sigma=8,max=25"])
@pytest.mark.parametrize("seed", [0, 1])
def test_e2sfca_equals_pysal_access(spec: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_o, n_t = 40, 9
    times = rng.uniform(0.0, 35.0, (n_o, n_t)).astype("float32")
    times[rng.random((n_o, n_t)) < 0.1] = np.inf  # some pairs beyond a bounded matrix
    demand = rng.uniform(5.0, 400.0, n_o)
    supply = rng.uniform(0.5, 8.0, n_t)
    decay = parse_decay(spec)
    mine = e2sfca(time_min=times, demand=demand, supply=supply, decay=decay).access
    np.testing.assert_allclose(mine, pysal_e2sfca(times, demand, supply, decay), rtol=1e-10, atol=1e-15)


def test_e2sfca_with_excluded_pairs_equals_pysal_without_them() -> None:
    rng = np.random.default_rng(7)
    times = rng.uniform(0.0, 30.0, (25, 6)).astype("float32")
    demand = rng.uniform(5.0, 100.0, 25)
    supply = rng.uniform(1.0, 4.0, 6)
    provider = np.array(["KOOS", "Spoor030"])[rng.integers(0, 2, 25)]
    team_org = np.array(["KOOS", "KOOS", "KOOS", "Spoor030", "Spoor030", "Spoor030"])
    allowed = provider[:, None] == team_org[None, :]
    decay = parse_decay("step:10=1,20=0.68,30=0.22")
    mine = e2sfca(time_min=times, demand=demand, supply=supply, decay=decay, allowed=allowed).access
    np.testing.assert_allclose(mine, pysal_e2sfca(times, demand, supply, decay, allowed), rtol=1e-10)


def test_unreached_teams_and_origins() -> None:
    times = np.array([[5.0, np.inf], [50.0, np.inf]], dtype="float32")
    got = e2sfca(
        time_min=times, demand=np.array([10.0, 10.0]), supply=np.array([1.0, 3.0]), decay=parse_decay("step:10=1")
    )
    assert got.ratio.tolist() == [0.1, 0.0]  # team 2 reaches no one
    assert got.access.tolist() == [0.1, 0.0]  # origin 2 reaches no team


def test_decay_weights_match_pysal_weight_functions() -> None:
    t = np.array([0.0, 9.99, 10.0, 10.01, 19.0, 25.0, 30.0, 31.0, np.inf])
    for spec in ("step:10=1,20=0.68,30=0.22", "gaussian:sigma=10,max=30"):
        decay = parse_decay(spec)
        fn = decay.pysal_weight_fn()
        expected = [fn(x) if x <= decay.max_cost else 0.0 for x in t]
        np.testing.assert_allclose(decay.weights(t), expected)


@pytest.mark.parametrize("spec", ["", "step:", "step:10", "step:10=-1", "gaussian:sigma=5", "linear:max=3", "step:a=1"])
def test_bad_decay_specs_are_refused(spec: str) -> None:
    with pytest.raises(InputError) as err:
        parse_decay(spec)
    assert err.value.problems[0].code == "DECAY_INVALID"


def test_describe_round_trips() -> None:
    for spec in ("step:10=1,20=0.68,30=0.22", "gaussian:sigma=8,max=25"):
        assert parse_decay(parse_decay(spec).describe()) == parse_decay(spec)


def test_relative_to_the_youth_weighted_mean() -> None:
    rel = relative_to_mean(np.array([1.0, 3.0, np.nan]), np.array([3.0, 1.0, 5.0]))
    # weighted mean of the known values: (1·3 + 3·1) / 4 = 1.5
    assert rel[:2].tolist() == pytest.approx([1 / 1.5, 3 / 1.5])
    assert math.isnan(rel[2])
    assert np.isnan(relative_to_mean(np.zeros(3), np.ones(3))).all()
