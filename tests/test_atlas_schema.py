"""The atlas schema: the docs are generated from it, the build writes exactly it, and a layer off it is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from etl import atlas_schema as schema
from etl.atlas import Atlas, read_atlas, write_atlas
from etl.atlas_docs import REGENERATE, render_markdown
from etl.pipeline import BuildOptions, build_atlas, run_build
from etl.reach import buurt_columns
from geodata.errors import InputError
from geodata.network import MODES
from views.indicators import MODES as DASHBOARD_MODES
from views.indicators import REGISTRY

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- docs/ATLAS.md


def test_the_committed_atlas_doc_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "ATLAS.md").read_text(encoding="utf-8")
    assert committed == render_markdown(), f"docs/ATLAS.md is stale: run `make docs` ({REGENERATE})"


def test_the_doc_has_every_layer_and_every_column() -> None:
    text = render_markdown()
    for layer in schema.LAYERS:
        assert f"### `{layer.name}`" in text
        for col in layer.columns:
            assert f"| `{col.label or col.name}` | {col.dtype} |" in text, (layer.name, col.name)


# ---------------------------------------------------------------- names


def test_closed_families_expand_over_the_modes_and_targets() -> None:
    tt = schema.BY_NAME["buurten"].column("tt_{target}_{mode}_min")
    assert tt.names() == tuple(f"tt_{t}_{m}_min" for t in schema.TARGETS for m in MODES)
    assert schema.travel_time("spec_any", "car") == "tt_spec_any_car_min"
    assert schema.coverage("bike", 7.5) == "coverage_bike_7_5min"
    assert schema.travel_quality("walk") == "travel_quality_walk"
    assert schema.travel_quality("walk", "buurtteam") == "travel_quality_buurtteam_walk"


def test_a_name_outside_its_domain_is_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        schema.travel_time("buurtteam", "boat")
    with pytest.raises(ValueError, match="target"):
        schema.nearest_team("huisarts", "bike")
    with pytest.raises(KeyError):
        schema.column("buurten", "tt_{mode}")


def test_a_placeholder_without_a_value_stays_for_the_mode_picker() -> None:
    assert schema.travel_time("buurtteam", "{mode}") == "tt_buurtteam_{mode}_min"
    assert schema.travel_quality("{mode}", "spec_contract") == "travel_quality_spec_contract_{mode}"


def test_the_columns_the_reach_stage_lists_are_declared() -> None:
    buurten = schema.BY_NAME["buurten"]
    undeclared = [c for c in buurt_columns(thresholds_min=(10.0, 7.5)) if buurten.declared(c) is None]
    assert undeclared == []


def test_every_indicator_column_the_app_reads_is_declared() -> None:
    checked = 0
    for ind in REGISTRY:
        for mode in DASHBOARD_MODES:
            for level in ("buurt", "wijk"):
                # Tables derived when served (referral summaries) or not written at wijk level are not atlas layers.
                layer = schema.layer_for(ind.table(level))
                if layer is None or (level == "wijk" and ind.column_for(mode).startswith("seam_")):
                    continue  # a seam is a buurt figure; wijken carry seam_{mode}_share instead
                assert layer.declared(ind.column_for(mode)) is not None, (ind.key, mode, layer.name)
                if ind.quality:
                    assert layer.declared(ind.quality_for(mode)) is not None, (ind.key, mode, layer.name)
                checked += 1
    assert checked > 40


# ---------------------------------------------------------------- the build writes exactly the schema


@pytest.fixture(scope="module")
def built(data_dir: Path) -> Atlas:
    """The default build (demo teams and caseloads) in memory, before it is written."""
    return build_atlas(BuildOptions(data_dir=data_dir, progress=False))


def test_every_layer_of_the_demo_build_matches_the_schema(built: Atlas) -> None:
    assert schema.check_atlas(built.layers) == []
    for name, frame in built.layers.items():
        layer = schema.layer_for(name)
        assert layer is not None
        present = set(frame.columns) - {"geometry"}
        for col in layer.columns:
            ran = col.stage == layer.stage or any(
                layer.declared(c) is not None and layer.declared(c).stage == col.stage for c in present
            )
            if ran and col.required and not col.is_open:
                assert set(col.names()) <= present, (name, col.name)
    # every stage ran on the default build: travel columns for each mode on both area layers
    assert {"hotspots_buurt", "coverage", "team_load", "referrals_buurt"} <= set(built.layers)
    assert schema.seam_share("car") in built["wijken"].columns


def test_the_written_demo_atlas_has_exactly_the_declared_columns(default_atlas: Path) -> None:
    back = read_atlas(default_atlas)
    problems = schema.check_atlas(back.layers)
    # A nullable int column with a missing value comes back from the GeoPackage as float: the one allowed drift.
    assert all(p.code == "ATLAS_SCHEMA_DTYPE" and "float64, the schema says int" in p.en for p in problems), problems
    assert set(back.layers) == set(back.manifest["layers"])


# ---------------------------------------------------------------- a layer off the schema is refused


def _teams() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "team_id": ["T1"],
            "naam": ["Team 1"],
            "organisatie": ["Lokalis"],
            "soort": ["buurtteam"],
            "capaciteit_fte": [4.5],
            "max_caseload": [None],
            "locatie_bron": ["rd"],
            "locatie_detail": [None],
            "buurtcode": ["BU99990101"],
            "wijkcode": ["WK999901"],
            "is_demo": [False],
        },
        geometry=[Point(136050, 455050)],
        crs="EPSG:28992",
    ).astype({"naam": "string", "max_caseload": "float64", "locatie_detail": "string"})


def _caseloads() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "buurtcode": ["BU99990101", "BU99990102"],
            "periode": ["2024", "2024"],
            "soort": ["totaal", "totaal"],
            "aantal": pd.array([7, None], dtype="Int64"),
            "youth_population": [100.0, 50.0],
            "rate_per_1000": [70.0, None],
        }
    )


@pytest.fixture
def previous(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    write_atlas(Atlas({"teams": _teams(), "caseloads_buurt": _caseloads()}, {"first": True}), tmp_path, validate=True)
    return tmp_path, {p.name: p.read_bytes() for p in tmp_path.iterdir()}


@pytest.mark.parametrize(
    ("layers", "code", "column"),
    [
        ({"caseloads_buurt": _caseloads().assign(extra=1.0)}, "ATLAS_SCHEMA_UNDECLARED", "extra"),
        ({"caseloads_buurt": _caseloads().astype({"aantal": "float64"})}, "ATLAS_SCHEMA_DTYPE", "aantal"),
        ({"caseloads_buurt": _caseloads().drop(columns="rate_per_1000")}, "ATLAS_SCHEMA_MISSING", "rate_per_1000"),
        ({"teams": _teams().to_crs("EPSG:4326")}, "ATLAS_SCHEMA_CRS", "geometry"),
        ({"caseloads_buurt": _caseloads(), "tabel": _caseloads()}, "ATLAS_SCHEMA_LAYER", ""),
    ],
)
def test_a_layer_off_the_schema_is_refused_and_the_previous_atlas_stays(
    previous: tuple[Path, dict[str, bytes]], layers: dict[str, pd.DataFrame], code: str, column: str
) -> None:
    out, before = previous
    with pytest.raises(InputError) as err:
        write_atlas(Atlas(layers, {"second": True}), out, validate=True)
    assert [(p.code, p.column or "") for p in err.value.problems] == [(code, column)]
    assert "Atlaslaag" in err.value.problems[0].nl
    assert "Atlas layer" in err.value.problems[0].en
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_misspelt_metric_is_not_taken_for_a_cbs_attribute() -> None:
    buurten = schema.BY_NAME["buurten"]
    assert buurten.declared("a_inw") is buurten.passthrough  # any other CBS Kerncijfer
    assert buurten.declared("tt_buurteam_bike_min") is None
    assert buurten.declared("coverage_bike_tenmin") is None


def test_the_build_refuses_an_undeclared_column_and_keeps_the_previous_atlas(
    default_atlas: Path, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for f in default_atlas.iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def typo(atlas: Atlas, _opts: BuildOptions) -> Atlas:
        return atlas.with_layers(buurten=atlas["buurten"].assign(tt_buurtteam_bike_mni=1.0))

    import etl.pipeline

    monkeypatch.setattr(etl.pipeline, "STEPS", (*etl.pipeline.STEPS, ("typo", typo)))
    with pytest.raises(InputError) as err:
        run_build(BuildOptions(data_dir=data_dir, progress=False), tmp_path)
    assert [(p.code, p.column) for p in err.value.problems] == [("ATLAS_SCHEMA_UNDECLARED", "tt_buurtteam_bike_mni")]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
