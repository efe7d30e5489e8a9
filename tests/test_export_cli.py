"""`buurtdekking export` on the real Utrecht atlas: every format, dated file names, bad flags with clear messages."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyogrio
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from cli.main import main

pytestmark = pytest.mark.integration
WIJK = "WK034404"  # Noordoost


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["export", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_and_xlsx_of_a_wijk(default_atlas: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "--atlas",
        str(default_atlas),
        "--area",
        WIJK,
        "--indicator",
        "youth_population",
        "--format",
        "csv",
        "--out",
        str(tmp_path),
    )
    assert code == 0
    path = Path(out.strip())
    assert path.name == f"buurtdekking_{WIJK}_youth-population_{dt.datetime.now(dt.UTC).date().isoformat()}.csv"
    text = path.read_bytes().decode("utf-8-sig")
    header, *rows = [r for r in text.split("\r\n") if r]
    assert (
        header
        == "Buurtcode;Buurtnaam;Wijkcode;Wijknaam;Gemeentecode;Gemeentenaam;Grenzen (jaar);Jeugdigen 0–17 jaar (schatting);Toelichting"
    )
    assert len(rows) == 11
    assert all(r.split(";")[2] == WIJK for r in rows)
    code, out, _ = run(
        capsys,
        "--atlas",
        str(default_atlas),
        "--area",
        WIJK,
        "--indicator",
        "inhabitants",
        "--format",
        "xlsx",
        "--out",
        str(tmp_path / "w.xlsx"),
    )
    assert code == 0
    ws = load_workbook(out.strip())["Tabel"]
    values = [r[7] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(values) == 11
    assert all(isinstance(v, (int, float)) for v in values)


def test_gpkg_of_the_city_at_wijk_level(
    default_atlas: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "utrecht.gpkg"
    code, _, _ = run(
        capsys,
        "--atlas",
        str(default_atlas),
        "--area",
        "GM0344",
        "--indicator",
        "youth_population",
        "--level",
        "wijk",
        "--format",
        "gpkg",
        "--out",
        str(out),
    )
    assert code == 0
    layers = dict(pyogrio.list_layers(out))
    assert layers["wijken"] == "MultiPolygon"
    assert len(pyogrio.read_dataframe(out, layer="wijken")) == 10


@pytest.mark.slow
def test_pdf_of_a_buurt(default_atlas: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    buurt = pyogrio.read_dataframe(
        default_atlas / "atlas.gpkg", layer="buurten", columns=["buurtcode", "wijkcode"], read_geometry=False
    )
    code_bu = str(buurt.loc[buurt["wijkcode"] == WIJK, "buurtcode"].iloc[0])
    code, out, _ = run(
        capsys,
        "--atlas",
        str(default_atlas),
        "--area",
        code_bu.lower(),
        "--indicator",
        "youth_population",
        "--format",
        "pdf",
        "--out",
        str(tmp_path),
        "--base-url",
        "https://buurtdekking.example/",
    )
    assert code == 0
    reader = PdfReader(out.strip())
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert f"({code_bu})" in text
    assert "Ter vergelijking: Noordoost" in text
    assert f"https://buurtdekking.example/?buurt={code_bu}" in text
    assert "wijk- en buurtkaart 2024" in text


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (
            ["--area", "WK9", "--indicator", "youth_population", "--format", "csv"],
            "EXPORT_AREA",
            "geef een gemeente-, wijk- of buurtcode",
        ),
        (
            ["--area", "WK999999", "--indicator", "youth_population", "--format", "csv"],
            "EXPORT_AREA",
            "bestaat niet in deze atlas",
        ),
        (
            ["--area", "GM0344", "--indicator", "nope", "--format", "csv"],
            "EXPORT_INDICATOR",
            "kies uit: youth_population",
        ),
        (
            ["--area", "GM0344", "--indicator", "gi_class", "--level", "wijk", "--format", "csv"],
            "EXPORT_LEVEL",
            "bestaat alleen per buurt",
        ),
        (
            ["--area", "GM0344", "--indicator", "youth_population", "--format", "csv", "--out", "x.pdf"],
            "EXPORT_SUFFIX",
            "gebruik de extensie .csv",
        ),
    ],
)
def test_bad_flags(
    default_atlas: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: str, needle: str
) -> None:
    args = [a if a != "x.pdf" else str(tmp_path / "x.pdf") for a in args]
    rc, _, err = run(capsys, "--atlas", str(default_atlas), *args)
    assert rc == 1
    assert f"[{code}]" in err
    assert needle in err
    assert not list(tmp_path.iterdir())


def test_missing_atlas_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(
        capsys, "--atlas", str(tmp_path), "--area", "GM0344", "--indicator", "youth_population", "--format", "csv"
    )
    assert rc == 1
    assert re.search(r"ATLAS_MISSING", err)
