"""`buurtdekking build` from the command line: each schema family, and every bad input's message and exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
import pytest
from test_cbs_boundaries import shapefile_era_frame

from cli.main import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    ("relpath", "gemeente", "n_buurten"),
    [
        ("cbs/utrecht_buurten_wijken_2024.gpkg", "GM0344", 111),  # gebiedsindelingen (statcode)
        ("cbs/utrecht_buurten_2019.gpkg", "GM0344", 111),  # gebiedsindelingen, 2019
        ("cbs/schema_sample_pdok2021_buurten_ermelo.gpkg", "GM0233", 17),  # PDOK 2021 lowercase
    ],
)
def test_build_each_real_schema(
    relpath: str, gemeente: str, n_buurten: int, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        ["build", "--boundaries", str(data_dir / relpath), "--gemeente", gemeente, "--out", str(tmp_path), "--quiet"],
        capsys,
    )
    assert code == 0
    assert "atlas" in out
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["layers"]["buurten"]["rows"] == n_buurten
    assert manifest["gemeenten"] == [gemeente]


def test_build_shapefile_era(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shp = tmp_path / "buurt_2018.shp"
    pyogrio.write_dataframe(shapefile_era_frame(), shp)
    code, _, _ = run(["build", "--boundaries", str(shp), "--out", str(tmp_path / "atlas"), "--quiet"], capsys)
    assert code == 0
    manifest = json.loads((tmp_path / "atlas" / "manifest.json").read_text())
    assert manifest["cbs_year"] == 2018
    assert manifest["boundaries"]["family"].startswith("cbs-shapefile")


def test_build_without_crs_needs_crs_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shp = tmp_path / "buurt.shp"
    with pytest.warns(UserWarning, match="crs"):
        pyogrio.write_dataframe(shapefile_era_frame().set_crs(None, allow_override=True), shp)
    code, _, err = run(["build", "--boundaries", str(shp), "--out", str(tmp_path / "a"), "--quiet"], capsys)
    assert code == 1
    assert "CRS_MISSING" in err
    assert "--crs" in err
    assert str(shp) in err
    code, _, err = run(
        ["build", "--boundaries", str(shp), "--crs", "EPSG:28992", "--out", str(tmp_path / "a"), "--quiet"], capsys
    )
    assert code == 0, err
    code, _, err = run(
        ["build", "--boundaries", str(shp), "--crs", "EPSG:nonsense", "--out", str(tmp_path / "a"), "--quiet"], capsys
    )
    assert code == 1
    assert "CRS_INVALID" in err


@pytest.mark.parametrize(
    ("extra", "expected_code"),
    [
        (["--boundaries", "does/not/exist.gpkg"], "BOUNDARIES_MISSING"),
        (["--gemeente", "Utrecht"], "GEMEENTE_INVALID"),
        (["--gemeente", "GM0363"], "GEMEENTE_NOT_IN_FILE"),
        (["--layer", "buurten_2030"], "LAYER_NOT_FOUND"),
        (["--statistics", "does/not/exist.csv"], "FILE_NOT_FOUND"),
    ],
)
def test_bad_inputs_exit_1_with_bilingual_message(
    extra: list[str], expected_code: str, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["build", "--data-dir", str(data_dir), "--out", str(tmp_path), "--quiet", *extra], capsys)
    assert code == 1
    assert expected_code in err
    line = next(ln for ln in err.splitlines() if expected_code in ln)
    nl, en = line.split(f"[{expected_code}] ", 1)[1].split(" / ", 1)
    assert nl
    assert en
    assert nl != en
    assert not (tmp_path / "manifest.json").exists()


def test_unknown_schema_via_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gdf = shapefile_era_frame().rename(columns={"BU_CODE": "code", "WK_CODE": "w"})
    path = tmp_path / "x.gpkg"
    pyogrio.write_dataframe(gdf, path)
    code, _, err = run(["build", "--boundaries", str(path), "--out", str(tmp_path / "a"), "--quiet"], capsys)
    assert code == 1
    assert "SCHEMA_UNKNOWN" in err
    assert "BU_NAAM" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["build", "--year", "twintig"])
    assert exc.value.code == 2
    assert "fout/error" in capsys.readouterr().err


def test_failed_build_keeps_previous_atlas(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["build", "--data-dir", str(data_dir), "--out", str(tmp_path), "--quiet"], capsys)[0] == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, _, _ = run(
        ["build", "--data-dir", str(data_dir), "--out", str(tmp_path), "--quiet", "--gemeente", "GM0363"], capsys
    )
    assert code == 1
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
