"""Golden-structure checks of every export writer on a 3×3 grid snapshot with hand-set protected values."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import struct
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from conftest import REPO, grid_buurten
from openpyxl import load_workbook
from pypdf import PdfReader
from shapely.geometry import Point

from geodata.errors import InputError
from reports.png import with_dpi
from reports.snapshot import LegendEntry, Snapshot, export_filename
from reports.tables import csv_bytes, neutralise, read_back_csv
from reports.write import write_snapshot

# Value per buurt (row-major from the south-west); None = suppressed (<5), nan = no data.
VALUES: list[float | None] = [0.0, 7.0, None, 12.0, float("nan"), 25.0, 9.0, 6.0, 40.0]
EVIL_NAMES = {
    1: '=HYPERLINK("http://evil.example","klik")',
    3: "+31 6 1234",
    5: "-2+3",
    6: "@SUM(A1:A9)",
    7: "\tTab",
    8: "\rCR",
}
VALIDATOR = Path(os.environ.get("BUURTDEKKING_GPKG_VALIDATOR", REPO / ".venv-gpkg" / "bin" / "geopackage-validator"))


def grid_snapshot(
    *, is_demo: bool = True, kind: str = "number", protection: str = "count", decimals: int = 0
) -> Snapshot:
    gdf = grid_buurten()
    rows = []
    for _i, v in enumerate(VALUES):
        if v is None:
            rows.append((np.nan, "<5", "suppressed", "#9e9e9e"))
        elif np.isnan(v):
            rows.append((np.nan, "geen gegevens", "missing", "#d9d9d9"))
        else:
            rows.append((v, f"{v:.{decimals}f}".replace(".", ","), "ok", "#41b6c4" if v < 10 else "#225ea8"))
    units = gpd.GeoDataFrame(
        {
            "code": gdf["buurtcode"],
            "naam": [EVIL_NAMES.get(i, n) for i, n in enumerate(gdf["buurtnaam"])],
            "wijkcode": gdf["wijkcode"],
            "wijknaam": gdf["wijknaam"],
            "waarde": [r[0] for r in rows],
            "weergave": [r[1] for r in rows],
            "status": [r[2] for r in rows],
            "kleur": [r[3] for r in rows],
        },
        geometry=gdf.geometry,
        crs="EPSG:28992",
    )
    wijken = gdf.dissolve(by="wijkcode", as_index=False)[["wijkcode", "wijknaam", "geometry"]].rename(
        columns={"wijkcode": "code", "wijknaam": "naam"}
    )
    teams = gpd.GeoDataFrame(
        {
            "team_id": ["T1", "T2"],
            "naam": ["Buurtteam Noord", "=cmd|' /C calc'!A0"],
            "organisatie": ["Lokalis", "KOOS"],
            "soort": ["buurtteam", "specialistisch"],
            "is_demo": [True, True],
        },
        geometry=[Point(136050, 455050), Point(136250, 455250)],
        crs="EPSG:28992",
    )
    return Snapshot(
        area_code="GM9999",
        area_name="Teststad",
        area_level="gemeente",
        unit_level="buurt",
        indicator_key="caseload",
        indicator_label="Jeugdigen in zorg (aantal)",
        units=units,
        legend=(
            LegendEntry("0 – 9", "#41b6c4"),
            LegendEntry("10 – 40", "#225ea8"),
            LegendEntry("beschermd (<5)", "#9e9e9e"),
            LegendEntry("geen gegevens", "#d9d9d9"),
        ),
        legend_title="kwantielen, 2 klassen",
        kind=kind,
        decimals=decimals,
        protection=protection,  # type: ignore[arg-type]
        context=wijken,
        teams=teams,
        highlight="BU99990202",
        key_figures=(("Jeugdigen in zorg, Teststad", "99"), ("Jeugdigen 0–17 (schatting)", "1.234")),
        method="Aantal unieke jeugdigen met jeugdhulp per buurt en periode.",
        parameters=(("Periode", "2024"), ("Soort", "totaal"), ("Drempel", "5")),
        boundary_year="2024",
        gemeente_code="GM9999",
        gemeente_name="Teststad",
        data_date="2024-12-31",
        protection_note="Aantallen 1–4 worden als <5 getoond.",
        permalink="http://127.0.0.1:8050/?indicator=caseload&periode=2024",
        is_demo=is_demo,
        lineage=(("atlas", "sha256 0123456789ab"), ("caseloads", "demo (seed 42)")),
        created=dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC),
    )


@pytest.fixture
def snap() -> Snapshot:
    return grid_snapshot()


def _no_small_counts(values: list[object]) -> None:
    for v in values:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not np.isnan(v):
            assert not 1 <= v <= 4, f"small count {v} leaked"
        if isinstance(v, str) and v.strip().isdigit():
            assert not 1 <= int(v) <= 4, f"small count {v!r} leaked"


# ---------------------------------------------------------------- names and guards


def test_filename_carries_area_indicator_period_and_date() -> None:
    name = export_filename(area="WK034401", indicator="caseload", period="2024-Q1", fmt="pdf", day=dt.date(2026, 3, 1))
    assert name == "buurtdekking_WK034401_caseload_2024-Q1_2026-03-01.pdf"
    assert export_filename(area="../../etc/passwd", indicator="a b", fmt="csv", day=dt.date(2026, 1, 1)) == (
        "buurtdekking_etc-passwd_a-b_2026-01-01.csv"
    )


def test_unknown_format_is_an_input_error(snap: Snapshot, tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        write_snapshot(snap, tmp_path / "x.docx")
    assert err.value.problems[0].code == "EXPORT_FORMAT"


def test_writer_refuses_an_unprotected_small_count(snap: Snapshot, tmp_path: Path) -> None:
    leaky = snap.units.copy()
    leaky.loc[2, "waarde"] = 3.0
    bad = Snapshot(**{**snap.__dict__, "units": leaky})
    for fmt in ("csv", "xlsx", "gpkg"):
        with pytest.raises(ValueError, match="unprotected small count"):
            write_snapshot(bad, tmp_path / f"x.{fmt}")
        assert not (tmp_path / f"x.{fmt}").exists()


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_neutralise_prefixes_formula_triggers(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert neutralise("Zuilen") == "Zuilen"
    assert neutralise(-1.5) == -1.5


# ---------------------------------------------------------------- CSV


def test_csv_dutch_excel_dialect(snap: Snapshot, tmp_path: Path) -> None:
    path = write_snapshot(snap, tmp_path / "x.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert (
        lines[0]
        == "Buurtcode;Buurtnaam;Wijkcode;Wijknaam;Gemeentecode;Gemeentenaam;Grenzen (jaar);Jeugdigen in zorg (aantal);Toelichting"
    )
    df = read_back_csv(data)
    assert len(df) == 9
    by_code = df.set_index("Buurtcode")
    assert by_code.loc["BU99990103", "Jeugdigen in zorg (aantal)"] == "<5"
    assert by_code.loc["BU99990103", "Toelichting"].startswith("beschermd")
    assert by_code.loc["BU99990202", "Jeugdigen in zorg (aantal)"] == ""
    assert by_code.loc["BU99990202", "Toelichting"] == "geen gegevens"
    assert by_code.loc["BU99990303", "Jeugdigen in zorg (aantal)"] == "40"
    names = by_code["Buurtnaam"].tolist()
    assert "'" + EVIL_NAMES[1] in names
    assert "'+31 6 1234" in names
    assert "'@SUM(A1:A9)" in names
    assert all(not n.startswith(("=", "+", "-", "@", "\t", "\r")) for n in names)
    _no_small_counts(df["Jeugdigen in zorg (aantal)"].tolist())


def test_csv_decimal_comma_and_standard_dialect() -> None:
    snap = grid_snapshot(protection="rate", decimals=1)
    units = snap.units.copy()
    units.loc[0, "waarde"] = 12.345
    rate = Snapshot(**{**snap.__dict__, "units": units})
    nl = csv_bytes(rate, dialect="excel-nl").decode("utf-8-sig")
    assert "BU99990101;Buurt r1c1;WK999901;Wijk 1;GM9999;Teststad;2024;12,3;" in nl
    std = csv_bytes(rate, dialect="standard")
    assert not std.startswith(b"\xef\xbb\xbf")
    assert "BU99990101,Buurt r1c1,WK999901,Wijk 1,GM9999,Teststad,2024,12.3," in std.decode("utf-8")
    assert read_back_csv(std).shape == (9, 9)


# ---------------------------------------------------------------- XLSX


def test_xlsx_cells_headers_and_no_formulas(snap: Snapshot, tmp_path: Path) -> None:
    path = write_snapshot(snap, tmp_path / "x.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Tabel", "Toelichting"]
    ws = wb["Tabel"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == (
        "Buurtcode",
        "Buurtnaam",
        "Wijkcode",
        "Wijknaam",
        "Gemeentecode",
        "Gemeentenaam",
        "Grenzen (jaar)",
        "Jeugdigen in zorg (aantal)",
        "Toelichting",
    )
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["BU99990101"][7] == 0
    assert by_code["BU99990303"][7] == 40
    assert by_code["BU99990103"][7] == "<5"
    assert by_code["BU99990202"][7] is None
    assert by_code["BU99990102"][1] == "'" + EVIL_NAMES[1]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"formula in {cell.coordinate}"
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    _no_small_counts([r[7] for r in rows[1:]])
    info = dict(wb["Toelichting"].iter_rows(values_only=True))
    assert info["LET OP"].startswith("Fictieve demogegevens")
    assert info["Grenzen (jaar)"] == "2024"
    assert info["Link naar deze weergave"].startswith("http://127.0.0.1:8050/?indicator=caseload")
    assert info["Herkomst: atlas"] == "sha256 0123456789ab"


# ---------------------------------------------------------------- GeoPackage


def test_gpkg_layers_protected_values_round_trip(snap: Snapshot, tmp_path: Path) -> None:
    path = write_snapshot(snap, tmp_path / "x.gpkg")
    layers = dict(pyogrio.list_layers(path))
    assert layers == {"buurten": "MultiPolygon", "gebied": "MultiPolygon", "teams": "Point", "toelichting": None}
    buurten = gpd.read_file(path, layer="buurten")
    assert buurten.crs.to_epsg() == 28992
    assert pyogrio.read_info(path, layer="buurten")["geometry_name"] == "geom"
    assert len(buurten) == 9
    row = buurten.set_index("buurtcode")
    assert np.isnan(row.loc["BU99990103", "caseload"])
    assert row.loc["BU99990103", "weergave"] == "<5"
    assert row.loc["BU99990303", "caseload"] == 40
    _no_small_counts(buurten["caseload"].tolist())
    assert buurten.area.sum() == pytest.approx(90000.0)
    gebied = gpd.read_file(path, layer="gebied")
    assert gebied.area.iloc[0] == pytest.approx(90000.0)
    info = pyogrio.read_dataframe(path, layer="toelichting")
    assert "Bescherming" in info["sleutel"].tolist()


def _validate(path: Path) -> dict[str, object]:
    if not VALIDATOR.exists():
        pytest.fail(f"PDOK geopackage-validator not found at {VALIDATOR}; run `make gpkg-validator`")
    proc = subprocess.run(
        [str(VALIDATOR), "validate", "--gpkg-path", str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_gpkg_passes_pdok_validator_without_errors(snap: Snapshot, tmp_path: Path) -> None:
    path = write_snapshot(snap, tmp_path / "x.gpkg")
    report = _validate(path)
    assert report["success"] is True, report
    # Not only no errors: no recommendation or GDAL warning either.
    assert report["results"] == [], json.dumps(report["results"], indent=1)


# ---------------------------------------------------------------- PNG


def _png_info(data: bytes) -> tuple[int, int, int | None]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    pos, ppm = 8, None
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        if data[pos + 4 : pos + 8] == b"pHYs":
            ppm = struct.unpack(">I", data[pos + 8 : pos + 12])[0]
        pos += 12 + length
    return width, height, ppm


@pytest.mark.slow
def test_png_size_and_print_resolution(snap: Snapshot, tmp_path: Path) -> None:
    screen = write_snapshot(snap, tmp_path / "screen.png").read_bytes()
    w, h, ppm = _png_info(screen)
    assert (w, h) == (960, 658)
    assert ppm == round(96 / 0.0254)
    pr = write_snapshot(snap, tmp_path / "print.png", dpi=300).read_bytes()
    w3, h3, ppm3 = _png_info(pr)
    assert abs(w3 - 3000) <= 2
    assert abs(h3 - 2055) <= 2
    assert ppm3 == round(300 / 0.0254)
    (REPO / "tests" / "artifacts").mkdir(parents=True, exist_ok=True)
    (REPO / "tests" / "artifacts" / "export_grid.png").write_bytes(screen)


def test_with_dpi_replaces_existing_phys() -> None:
    import zlib

    ihdr = b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    idat = b"IDAT" + zlib.compress(b"\x00\x00")
    png = b"\x89PNG\r\n\x1a\n"
    for body in (ihdr, idat, b"IEND"):
        png += struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    once = with_dpi(png, 300)
    twice = with_dpi(once, 150)
    assert twice.count(b"pHYs") == 1
    assert _png_info(twice)[2] == round(150 / 0.0254)


# ---------------------------------------------------------------- PDF


@pytest.mark.slow
def test_pdf_is_one_a4_page_with_everything(snap: Snapshot, tmp_path: Path) -> None:
    path = write_snapshot(snap, tmp_path / "x.pdf")
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = reader.pages[0].extract_text()
    flat = " ".join(text.split())
    for needle in (
        "Jeugdigen in zorg (aantal)",
        "Teststad (GM9999)",
        "periode 2024",
        "FICTIEVE DEMODATA",
        "Kerncijfers",
        "Methode en parameters",
        "wijk- en buurtkaart 2024",
        "Gegevens: 2024-12-31",
        "Aantallen 1–4 worden als <5 getoond.",
        "http://127.0.0.1:8050/?indicator=caseload&periode=2024",
        "Herkomst",
        "kwantielen, 2 klassen",
    ):
        assert needle in flat, f"{needle!r} not in PDF text"
    assert len(reader.pages[0].images) == 1
    links = [a.get_object()["/A"]["/URI"] for a in reader.pages[0].get("/Annots", [])]
    assert "http://127.0.0.1:8050/?indicator=caseload&periode=2024" in links
    assert reader.metadata is not None
    assert reader.metadata.title
    assert "Teststad" in reader.metadata.title


def test_pdf_without_demo_has_no_demo_banner(tmp_path: Path) -> None:
    path = write_snapshot(grid_snapshot(is_demo=False), tmp_path / "x.pdf")
    text = PdfReader(path).pages[0].extract_text()
    assert "FICTIEVE" not in text


def test_snapshot_rejects_wrong_crs_and_missing_columns(snap: Snapshot) -> None:
    with pytest.raises(ValueError, match="EPSG:28992"):
        Snapshot(**{**snap.__dict__, "units": snap.units.to_crs("EPSG:4326")})
    with pytest.raises(ValueError, match="lack columns"):
        Snapshot(**{**snap.__dict__, "units": snap.units.drop(columns=["kleur"])})
