"""The hotspot build stage: atlas layers, manifest, round trip through a GeoPackage, command-line flags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import grid_buurten

from cli.main import build_parser, main
from etl.atlas import Atlas, read_atlas, write_atlas
from etl.hotspots import CHANGE_COLUMNS, DEFAULT_SEED, HotspotOptions, add_hotspots
from etl.pipeline import BuildOptions
from etl.weights import WeightsSpec

SOORTEN = ("buurtteam", "specialistisch", "verblijf", "jeugdbescherming")


def demo_like_atlas(n: int = 6) -> Atlas:
    """A grid atlas with caseloads for two periods and four care types plus their total, as the care-data build writes them."""
    gdf = grid_buurten(n)
    gdf["youth_population"] = 250.0 + (np.arange(n * n) * 53 % 211)
    rng = np.random.default_rng(8)
    rows = []
    for periode in ("2023", "2024"):
        for soort, rate in zip(SOORTEN, (0.06, 0.03, 0.005, 0.01), strict=True):
            counts = rng.poisson(gdf["youth_population"].to_numpy() * rate)
            rows.append(
                pd.DataFrame({"buurtcode": gdf["buurtcode"], "periode": periode, "soort": soort, "aantal": counts})
            )
    df = pd.concat(rows, ignore_index=True)
    total = df.groupby(["buurtcode", "periode"], as_index=False)["aantal"].sum().assign(soort="totaal")
    df = pd.concat([df, total], ignore_index=True)
    df["youth_population"] = df["buurtcode"].map(dict(zip(gdf["buurtcode"], gdf["youth_population"], strict=True)))
    df["rate_per_1000"] = 1000 * df["aantal"] / df["youth_population"]
    return Atlas(
        {"buurten": gdf, "caseloads_buurt": df}, {"methods": {"youth_population": {}}, "notes": ["earlier note"]}
    )


@pytest.fixture(scope="module")
def built() -> Atlas:
    return add_hotspots(demo_like_atlas(), BuildOptions(hotspots=HotspotOptions(permutations=199)))


def test_stage_adds_tables_map_layers_and_the_method(built: Atlas) -> None:
    assert {
        "hotspots_buurt",
        "hotspots_change_buurt",
        "hotspots_2023",
        "hotspots_2024",
        "hotspots_change_2023_2024",
    } <= set(built.layers)
    hb = built["hotspots_buurt"]
    assert len(hb) == 36 * 2 * 5
    for col in (
        "buurtcode",
        "periode",
        "soort",
        "rate_raw",
        "rate_eb",
        "rate_seb",
        "gi_z",
        "gi_p",
        "gi_class",
        "lisa_i",
        "lisa_p",
        "lisa_class",
        "reason",
    ):
        assert col in hb.columns
    assert tuple(built["hotspots_change_buurt"].columns) == CHANGE_COLUMNS
    m = built.manifest["methods"]["hotspots"]
    assert m["status"] == "computed"
    assert (m["permutations"], m["seed"], m["alpha"], m["correction"]) == (199, DEFAULT_SEED, 0.05, "fdr")
    assert m["weights"]["kind"] == "queen"
    assert "method" in m
    assert len(m["families"]) == 10
    # The stage adds to the manifest; it does not replace what earlier stages wrote.
    assert "youth_population" in built.manifest["methods"]
    assert built.manifest["notes"][0] == "earlier note"
    # Small counts exist in this data, so the protection is exercised.
    assert hb["suppressed"].any()


def test_atlas_round_trip_keeps_the_hotspot_layers(built: Atlas, tmp_path: Path) -> None:
    write_atlas(built, tmp_path)
    back = read_atlas(tmp_path)
    for name in ("hotspots_buurt", "hotspots_change_buurt"):
        ours, theirs = built[name], back[name]
        assert list(theirs.columns) == list(ours.columns)
        assert len(theirs) == len(ours)
        for col in ours.columns:
            if pd.api.types.is_float_dtype(ours[col]):
                np.testing.assert_allclose(
                    theirs[col].to_numpy(dtype=float), ours[col].to_numpy(dtype=float), equal_nan=True
                )
            else:
                assert theirs[col].astype(object).where(theirs[col].notna(), None).tolist() == (
                    ours[col].astype(object).where(ours[col].notna(), None).tolist()
                ), col
    layer = back["hotspots_2023"]
    assert layer.crs.to_epsg() == 28992
    assert layer.geom_type.unique().tolist() == ["Polygon"]
    assert {f"{s}_gi_class" for s in (*SOORTEN, "totaal")} <= set(layer.columns)
    manifest = back.manifest
    assert manifest["methods"]["hotspots"]["seed"] == DEFAULT_SEED
    assert manifest["layers"]["hotspots_2024"]["rows"] == 36


def test_stage_without_caseloads_says_it_skipped() -> None:
    atlas = Atlas({"buurten": grid_buurten(3)}, {"methods": {}, "notes": []})
    out = add_hotspots(atlas, BuildOptions())
    assert set(out.layers) == {"buurten"}
    assert out.manifest["methods"]["hotspots"]["status"] == "skipped"
    assert any("no caseloads" in n for n in out.manifest["notes"])
    off = add_hotspots(demo_like_atlas(3), BuildOptions(hotspots=HotspotOptions(enabled=False)))
    assert "hotspots_buurt" not in off.layers
    assert off.manifest["methods"]["hotspots"]["status"] == "disabled"


def test_cli_flags_reach_the_options() -> None:
    from cli.main import _hotspot_options

    args = build_parser().parse_args(
        [
            "build",
            "--weights",
            "knn:5",
            "--islands",
            "exclude",
            "--permutations",
            "4999",
            "--seed",
            "7",
            "--alpha",
            "0.1",
            "--correction",
            "bonferroni",
            "--alternative",
            "folded",
            "--change",
            "2022,2024",
        ]
    )
    opts = _hotspot_options(args)
    assert opts == HotspotOptions(
        weights=WeightsSpec("knn", k=5, islands="exclude"),
        permutations=4999,
        seed=7,
        alpha=0.1,
        correction="bonferroni",
        alternative="folded",
        change=("2022", "2024"),
    )
    assert _hotspot_options(build_parser().parse_args(["build"])) == HotspotOptions()
    assert not _hotspot_options(build_parser().parse_args(["build", "--no-hotspots"])).enabled


@pytest.mark.parametrize(
    ("flags", "text"),
    [
        (["--weights", "rook"], "WEIGHTS_SPEC"),
        (["--permutations", "5"], "--permutations"),
        (["--alpha", "2"], "--alpha"),
    ],
)
def test_cli_refuses_bad_hotspot_flags_before_building(
    flags: list[str], text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["build", "--quiet", "--out", str(tmp_path / "atlas"), "--data-dir", str(tmp_path), *flags])
    assert code == 1
    err = capsys.readouterr().err
    assert text in err
    assert not (tmp_path / "atlas").exists()


def test_stage_fails_closed_when_protection_is_impossible(monkeypatch: pytest.MonkeyPatch) -> None:
    import etl.hotspots
    from etl.protect import ProtectionError

    def impossible(*_args: object, **_kwargs: object) -> None:
        raise ProtectionError("cannot protect the caseload of BU99990101 (totaal, 2024)")

    monkeypatch.setattr(etl.hotspots, "suppression_marks", impossible)
    out = add_hotspots(demo_like_atlas(4), BuildOptions(hotspots=HotspotOptions(permutations=99)))
    assert out["hotspots_buurt"]["suppressed"].all()
    assert (
        etl.hotspots.protected_hotspots(out["hotspots_buurt"])[["rate_raw", "rate_eb", "rate_seb"]].isna().all().all()
    )
    assert any("cannot be protected" in n for n in out.manifest["notes"])
