"""Every export table says per row which gemeente and which boundary year its codes belong to (CSV, XLSX, GPKG)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyogrio
import pytest
from care_grid import care_grid_atlas
from openpyxl import load_workbook
from test_export_writers import _validate, grid_snapshot

from cli.main import main
from reports.build import build_snapshot
from reports.snapshot import Snapshot
from reports.tables import read_back_csv
from reports.write import write_snapshot
from views.data import AtlasView, build_view
from views.state import ViewState

# The 3×3 grid: one gemeente GM9999 "Teststad", wijken WK999901–03 (one per row), buurten BU9999<wijk><col>.
# Caseloads 12 3 0 / 7 9 2 / 15 6 8 (row-major from the south-west): 3 (BU99990102) and 2 (BU99990203) are
# below the threshold 5 and shown as <5; so that the wijk total gives neither away, the smallest partner
# that covers it on its own is hidden too (•): 12 in wijk 1 (a 0 is no cover) and 7 in wijk 2.
IDS = ["Gemeentecode", "Gemeentenaam", "Grenzen (jaar)"]
SMALL_CODES = {"BU99990102", "BU99990203"}
PARTNER_CODES = {"BU99990101", "BU99990201"}


@pytest.fixture(scope="module")
def atlas_2024(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return care_grid_atlas(tmp_path_factory.mktemp("grid2024") / "atlas", threshold=5, cbs_year=2024)


@pytest.fixture(scope="module")
def atlas_no_year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return care_grid_atlas(tmp_path_factory.mktemp("gridnoyear") / "atlas", threshold=5)


def _view(atlas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AtlasView:
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    return build_view(atlas, cache_dir=tmp_path / "cache")


@pytest.fixture
def view(atlas_2024: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AtlasView:
    return _view(atlas_2024, tmp_path, monkeypatch)


def test_csv_buurten_of_the_gemeente(view: AtlasView, tmp_path: Path) -> None:
    snap = build_snapshot(view, ViewState(indicator="caseload"), area="GM9999")
    data = write_snapshot(snap, tmp_path / "x.csv").read_bytes()
    header = data.decode("utf-8-sig").split("\r\n", 1)[0]
    assert header == (
        "Buurtcode;Buurtnaam;Wijkcode;Wijknaam;Gemeentecode;Gemeentenaam;Grenzen (jaar);"
        "Jeugdigen in zorg (aantal);Toelichting"
    )
    table = read_back_csv(data).set_index("Buurtcode")
    assert len(table) == 9
    assert table[IDS].drop_duplicates().values.tolist() == [["GM9999", "Teststad", "2024"]]
    # Protection is untouched by the new columns: the same two buurten show <5, the counts from 5 up as they are.
    value = table["Jeugdigen in zorg (aantal)"]
    assert set(value[value == "<5"].index) == SMALL_CODES
    assert set(value[value == "•"].index) == PARTNER_CODES
    shown = value.drop([*SMALL_CODES, *PARTNER_CODES])
    assert shown.to_dict() == {
        "BU99990103": "0",
        "BU99990202": "9",
        "BU99990301": "15",
        "BU99990302": "6",
        "BU99990303": "8",
    }


def test_csv_standard_dialect_and_wijk_level(view: AtlasView, tmp_path: Path) -> None:
    snap = build_snapshot(view, ViewState(indicator="caseload", level="wijk"), area="GM9999")
    text = write_snapshot(snap, tmp_path / "w.csv", dialect="standard").read_bytes().decode("utf-8")
    lines = [r for r in text.split("\r\n") if r]
    assert (
        lines[0] == "Wijkcode,Wijknaam,Gemeentecode,Gemeentenaam,Grenzen (jaar),Jeugdigen in zorg (aantal),Toelichting"
    )
    # Wijk totals 12+3+0, 7+9+2, 15+6+8: none is small, so all three are shown.
    assert lines[1:] == [
        "WK999901,Wijk 1,GM9999,Teststad,2024,15,",
        "WK999902,Wijk 2,GM9999,Teststad,2024,18,",
        "WK999903,Wijk 3,GM9999,Teststad,2024,29,",
    ]


def test_xlsx_of_a_wijk_year_is_a_number(view: AtlasView, tmp_path: Path) -> None:
    snap = build_snapshot(view, ViewState(indicator="caseload"), area="WK999902")
    ws = load_workbook(write_snapshot(snap, tmp_path / "x.xlsx"))["Tabel"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == (
        "Buurtcode",
        "Buurtnaam",
        "Wijkcode",
        "Wijknaam",
        *IDS,
        "Jeugdigen in zorg (aantal)",
        "Toelichting",
    )
    assert [r[:8] for r in rows[1:]] == [
        ("BU99990201", "Buurt r2c1", "WK999902", "Wijk 2", "GM9999", "Teststad", 2024, "•"),
        ("BU99990202", "Buurt r2c2", "WK999902", "Wijk 2", "GM9999", "Teststad", 2024, 9),
        ("BU99990203", "Buurt r2c3", "WK999902", "Wijk 2", "GM9999", "Teststad", 2024, "<5"),
    ]
    year = ws["G2"]
    assert year.data_type == "n"
    assert year.number_format == "0"  # 2024, never shown as 2.024
    assert ws.auto_filter.ref == "A1:I4"
    # The Toelichting keeps its line on the boundaries: the columns add to it, they don't replace it.
    info = dict(load_workbook(tmp_path / "x.xlsx")["Toelichting"].iter_rows(values_only=True))
    assert info["Grenzen (jaar)"] == "2024"


def test_gpkg_of_a_buurt_every_layer_with_a_table(view: AtlasView, tmp_path: Path) -> None:
    snap = build_snapshot(view, ViewState(indicator="caseload"), area="BU99990202")
    path = write_snapshot(snap, tmp_path / "x.gpkg")
    buurten = pyogrio.read_dataframe(path, layer="buurten", read_geometry=False)
    assert list(buurten.columns[:7]) == [
        "buurtcode",
        "buurtnaam",
        "wijkcode",
        "wijknaam",
        "gemeentecode",
        "gemeentenaam",
        "grenzen_jaar",
    ]
    # A buurt is shown among the buurten of its wijk.
    assert buurten["buurtcode"].tolist() == ["BU99990201", "BU99990202", "BU99990203"]
    assert set(buurten["gemeentecode"]) == {"GM9999"}
    assert set(buurten["gemeentenaam"]) == {"Teststad"}
    assert buurten["grenzen_jaar"].tolist() == [2024, 2024, 2024]
    assert buurten.set_index("buurtcode").loc["BU99990203", "weergave"] == "<5"
    gebied = pyogrio.read_dataframe(path, layer="gebied", read_geometry=False)
    assert gebied[["code", "gemeentecode", "gemeentenaam", "grenzen_jaar"]].values.tolist() == [
        ["BU99990202", "GM9999", "Teststad", 2024]
    ]
    with sqlite3.connect(path) as db:
        for layer in ("buurten", "gebied"):
            assert db.execute(f"SELECT DISTINCT typeof(grenzen_jaar) FROM {layer}").fetchall() == [("integer",)]
    assert _validate(path)["results"] == []


def test_unknown_boundary_year_is_empty_not_invented(
    atlas_no_year: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = _view(atlas_no_year, tmp_path, monkeypatch)
    snap = build_snapshot(view, ViewState(indicator="caseload"), area="WK999901")
    table = read_back_csv(write_snapshot(snap, tmp_path / "x.csv").read_bytes())
    assert table[IDS].drop_duplicates().values.tolist() == [["GM9999", "Teststad", ""]]
    ws = load_workbook(write_snapshot(snap, tmp_path / "x.xlsx"))["Tabel"]
    assert {r[6] for r in ws.iter_rows(min_row=2, values_only=True)} == {None}
    path = write_snapshot(snap, tmp_path / "x.gpkg")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT DISTINCT gemeentecode, typeof(grenzen_jaar) FROM buurten").fetchall() == [
            ("GM9999", "null")
        ]
    assert _validate(path)["results"] == []


def test_snapshot_refuses_a_gemeente_the_area_is_not_in() -> None:
    snap = grid_snapshot()
    with pytest.raises(ValueError, match="does not lie in gemeente GM0344"):
        Snapshot(**{**snap.__dict__, "gemeente_code": "GM0344"})


@pytest.mark.integration
def test_cli_export_of_a_utrecht_wijk(default_atlas: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["export", "--atlas", str(default_atlas), "--area", "WK034404", "--indicator", "youth_population"]
    assert main([*base, "--format", "csv", "--out", str(tmp_path / "x.csv")]) == 0
    table = read_back_csv((tmp_path / "x.csv").read_bytes())
    assert len(table) == 11
    assert table[["Wijkcode", *IDS]].drop_duplicates().values.tolist() == [["WK034404", "GM0344", "Utrecht", "2024"]]
    assert main([*base, "--level", "wijk", "--format", "gpkg", "--out", str(tmp_path / "x.gpkg")]) == 0
    wijken = pyogrio.read_dataframe(tmp_path / "x.gpkg", layer="wijken", read_geometry=False)
    assert wijken[["wijkcode", "gemeentecode", "gemeentenaam", "grenzen_jaar"]].values.tolist() == [
        ["WK034404", "GM0344", "Utrecht", 2024]
    ]
    capsys.readouterr()
