"""No protected count 1–4 in any export of the demo atlas: CSV, XLSX, GeoPackage, PDF (PNG is drawn from the same values)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from cli.main import main

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SMALL = {1, 2, 3, 4}


def _export(atlas: Path, out: Path, *args: str) -> Path:
    assert main(["export", "--atlas", str(atlas), *args, "--out", str(out)]) == 0
    return out


def _numbers(values: list[object]) -> list[float]:
    """Numbers in cells, whether stored as numbers or as text."""
    numeric = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and not np.isnan(v)]
    textual = [float(v) for v in values if isinstance(v, str) and re.fullmatch(r"\d+", v.strip())]
    return numeric + textual


@pytest.fixture(scope="module")
def raw_small(default_atlas: Path) -> pd.DataFrame:
    """The atlas really has small buurt counts (so protection had work to do)."""
    raw = pyogrio.read_dataframe(default_atlas / "atlas.gpkg", layer="caseloads_buurt")
    tot = raw[(raw["soort"] == "totaal")]
    small = tot[pd.to_numeric(tot["aantal"], errors="coerce").isin(SMALL)]
    assert len(small) > 0, "the demo atlas should have small counts for this test to mean anything"
    return small


@pytest.mark.parametrize("level", ["buurt", "wijk"])
def test_counts_in_tables_and_geopackage(
    default_atlas: Path, raw_small: pd.DataFrame, tmp_path: Path, level: str
) -> None:
    period = str(raw_small["periode"].iloc[0])
    base = ["--area", "GM0344", "--indicator", "caseload", "--period", period, "--level", level]
    csv = _export(default_atlas, tmp_path / "x.csv", *base, "--format", "csv").read_bytes().decode("utf-8-sig")
    rows = [r.split(";") for r in csv.split("\r\n")[1:] if r]
    values = [r[-2] for r in rows]
    assert not SMALL & set(_numbers(values))
    if level == "buurt":
        shown = dict(zip([r[0] for r in rows], values, strict=True))
        for code in raw_small.loc[raw_small["periode"] == period, "buurtcode"]:
            assert shown[str(code)] == "<5"
    wb = load_workbook(_export(default_atlas, tmp_path / "x.xlsx", *base, "--format", "xlsx"))
    assert not SMALL & set(_numbers([r[-2] for r in wb["Tabel"].iter_rows(min_row=2, values_only=True)]))
    gpkg = _export(default_atlas, tmp_path / "x.gpkg", *base, "--format", "gpkg")
    layer = pyogrio.read_dataframe(gpkg, layer=f"{level}en", read_geometry=False)
    assert not SMALL & set(_numbers(layer["caseload"].tolist()))
    assert not SMALL & set(_numbers(layer["weergave"].tolist()))
    assert (layer["weergave"] == "<5").any() or level == "wijk"


def test_rates_from_small_counts_are_hidden(default_atlas: Path, raw_small: pd.DataFrame, tmp_path: Path) -> None:
    period = str(raw_small["periode"].iloc[0])
    gpkg = _export(
        default_atlas,
        tmp_path / "r.gpkg",
        "--area",
        "GM0344",
        "--indicator",
        "caseload_rate",
        "--period",
        period,
        "--format",
        "gpkg",
    )
    layer = pyogrio.read_dataframe(gpkg, layer="buurten", read_geometry=False).set_index("buurtcode")
    for code in raw_small.loc[raw_small["periode"] == period, "buurtcode"]:
        assert np.isnan(layer.loc[str(code), "caseload_rate"])
        assert layer.loc[str(code), "status"] == "suppressed"


def test_pdf_key_figures_hold_no_small_count(default_atlas: Path, raw_small: pd.DataFrame, tmp_path: Path) -> None:
    row = raw_small.iloc[0]
    wijk = "WK" + str(row["buurtcode"])[2:8]
    pdf = _export(
        default_atlas,
        tmp_path / "k.pdf",
        "--area",
        str(row["buurtcode"]),
        "--indicator",
        "caseload",
        "--period",
        str(row["periode"]),
        "--format",
        "pdf",
    )
    text = PdfReader(pdf).pages[0].extract_text()
    block = " ".join(text.split("Kerncijfers", 1)[1].split("Methode en parameters", 1)[0].split())
    assert re.match(r"Jeugdigen in zorg \(aantal\), .+? <5 ", block), block  # the buurt itself
    assert "Ter vergelijking: " in block
    # Every bare number in the key figures; numbers of areas carry their noun ("2 buurten") and are not counts.
    bare = re.findall(r"(?<![\d.,–<-])(\d+)(?![\d.,–-]| buurten| wijken)", block)
    assert not SMALL & {int(b) for b in bare}, block
    assert wijk
