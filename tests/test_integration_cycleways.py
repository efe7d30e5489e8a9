"""An atlas on the real Geofabrik-schema cycleways of Utrecht: far snaps named, quality columns, snap statistics.

The file has cycleways only (SOURCES.md): many buurt centres lie kilometres from the nearest line. Whatever
the road-file reader makes of its modes, the build must say how sure each figure is. What this test relies on
is what etl.travel/etl.reach guarantee: bike is routed (the lines are cycleways), every far snap is named in
the build output, the manifest and the quality columns, and a mode the reader leaves without lines is the
labelled straight-line estimate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from etl.atlas import read_atlas, read_manifest
from etl.quality import QUALITY_FAR_SNAP, QUALITY_VALUES

pytestmark = pytest.mark.integration
CYCLEWAYS = Path("osm") / "utrecht_cycleways_geofabrik_schema.geojson"


@pytest.fixture(scope="module")
def built(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("cycleways") / "atlas"
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["build", "--data-dir", str(data_dir), "--out", str(out), "--network", str(data_dir / CYCLEWAYS)])
    assert code == 0, err.getvalue()
    return out, err.getvalue()


def test_far_snaps_are_named_in_output_manifest_and_columns(built: tuple[Path, str]) -> None:
    out, printed = built
    manifest = read_manifest(out)
    travel = manifest["methods"]["travel"]
    assert travel["method_per_mode"]["bike"] == "network"
    atlas = read_atlas(out, layers=["buurten", "wijken"])
    b = atlas["buurten"].set_index("buurtcode")
    far = travel["far_snaps"]["bike"]["buurten"]
    assert far, "the cycleway file leaves buurt centres far from any line"
    for entry in far:
        assert entry["leg_m"] > 500
        assert entry["buurtnaam"] == b.loc[entry["buurtcode"], "buurtnaam"]
        # a far origin makes every figure of its buurt a far snap
        assert b.loc[entry["buurtcode"], "travel_quality_buurtteam_bike"] == QUALITY_FAR_SNAP
    # sorted by the leg, longest first; Rijnenburg lies ~4 km from the nearest cycleway
    assert [e["leg_m"] for e in far] == sorted((e["leg_m"] for e in far), reverse=True)
    assert far[0]["buurtcode"] == "BU03441041"
    assert far[0]["buurtnaam"] == "Rijnenburg"
    # the build output and the manifest notes name them
    note = next(n for n in travel["notes"] if n.startswith("fiets:") and "/ bike: snapped farther than 500 m" in n)
    assert f"{far[0]['buurtcode']} {far[0]['buurtnaam']}" in note
    assert note in manifest["notes"]
    assert f"let op / note: {note}" in printed
    # a buurt near the lines is a far snap only through its nearest team
    far_teams = {t["team_id"] for t in travel["far_snaps"]["bike"]["teams"]}
    near = b.drop(index=[e["buurtcode"] for e in far])
    flagged = near[near["travel_quality_buurtteam_bike"] == QUALITY_FAR_SNAP]
    assert set(flagged["nearest_buurtteam_bike"]) <= far_teams


def test_quality_columns_and_snap_statistics(built: tuple[Path, str]) -> None:
    out, printed = built
    travel = read_manifest(out)["methods"]["travel"]
    atlas = read_atlas(out, layers=["buurten", "wijken", "teams"])
    for layer in ("buurten", "wijken"):
        frame = atlas[layer]
        for mode in ("walk", "bike", "car"):
            for column in (
                f"travel_quality_{mode}",
                *(f"travel_quality_{t}_{mode}" for t in ("buurtteam", "spec_contract", "spec_any")),
            ):
                assert set(frame[column].dropna()) <= set(QUALITY_VALUES), (layer, column)
            assert set(frame[f"travel_method_{mode}"]) == {travel["method_per_mode"][mode]}
    snap = travel["snapping"]["bike"]
    assert snap["origins"]["n"] == 111
    assert snap["teams"]["n"] == len(atlas["teams"])
    assert snap["origins"]["leg_m_median"] <= snap["origins"]["leg_m_p95"] <= snap["origins"]["leg_m_max"]
    # Rijnenburg (no cycleway inside) snaps ~2.8 km to the nearest junction of the split lines
    assert snap["origins"]["leg_m_max"] > 2000
    assert snap["origins"]["far_n"] == len(travel["far_snaps"]["bike"]["buurten"])
    assert snap["origins_reaching_no_team"] == 0  # no matrix limit: every snapped origin reaches a team
    counts = travel["quality"]["buurten_per_mode"]["bike"]
    assert sum(counts.values()) == 111
    # a mode the reader leaves without lines is the labelled straight-line estimate, with a note saying so
    for mode, method in travel["method_per_mode"].items():
        if method == "straight_line":
            assert mode in travel["fallback"]["modes"]
            assert set(atlas["buurten"][f"travel_quality_{mode}"]) == {"estimate (straight line × detour)"}
            nl = {"walk": "lopen", "bike": "fiets", "car": "auto"}[mode]
            assert any(n.startswith(f"{nl}: ") and f"/ {mode}: " in n and "straight line" in n for n in travel["notes"])
            assert f"let op / note: {nl}: " in printed
    json.dumps(travel)


def test_whatif_runs_on_the_cycleway_atlas(built: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = built
    teams = read_atlas(out, layers=["teams"])["teams"]
    bt = str(teams[teams["soort"] == "buurtteam"]["team_id"].iloc[0])
    assert main(["whatif", "--atlas", str(out), "--remove", bt, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["method_per_mode"]["bike"] == "network"
