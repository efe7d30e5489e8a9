"""CBS Kerncijfers (KWB) in CBS's own column names: parsing, the youth estimate and the join by code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etl.join import join_statistics
from etl.population import estimate_youth
from geodata.errors import InputError
from geodata.statistics import read_statistics, short_wijknaam

# Padded values, CBS's '.' for missing, a BOM, and the gwb_code_8 leading zero — as CBS ships them.
KWB_CSV = (
    "\ufeffgwb_code_10,gwb_code_8,regio,gm_naam,recs,gwb_code,a_inw,a_00_14,a_15_24,a_jz_tn\n"
    "GM9999,9999,Teststad,Teststad,Gemeente,GM9999,  1000,   200,   100,.\n"
    "WK999901,999901,Wijk 01 Noord,Teststad,Wijk,WK999901,   600,   120,    60,.\n"
    "BU99990101,99990101,Buurt r1c1,Teststad,Buurt,BU99990101,   300,    60,    30,.\n"
    "BU99990102,99990102,Buurt r1c2,Teststad,Buurt,BU99990102,   300,    60,    30,.\n"
    "BU99990103,99990103,Buurt r1c3,Teststad,Buurt,BU99990103,     0,     0,     0,.\n"
    "BU03440111,03440111,Elders,Utrecht,Buurt,BU03440111,   999,     9,     9,.\n"
)


@pytest.fixture
def kwb_csv(tmp_path: Path) -> Path:
    path = tmp_path / "kwb-2024.csv"
    path.write_bytes(KWB_CSV.encode("utf-8"))
    return path


def test_read_statistics_parses_cbs_conventions(kwb_csv: Path) -> None:
    df = read_statistics(kwb_csv, gemeenten=["GM9999"])
    assert df["code"].tolist() == ["GM9999", "WK999901", "BU99990101", "BU99990102", "BU99990103"]
    assert df["niveau"].tolist() == ["gemeente", "wijk", "buurt", "buurt", "buurt"]
    row = df.set_index("code").loc["BU99990101"]
    assert row["aantal_inwoners"] == 300
    assert row["aantal_0_14"] == 60
    assert row["aantal_15_24"] == 30
    assert np.isnan(row["aantal_jeugdzorg"])  # CBS '.' is missing, not zero
    assert row["naam"] == "Buurt r1c1"


def test_read_statistics_xlsx_and_semicolons(tmp_path: Path) -> None:
    rows = [line.split(",") for line in KWB_CSV.lstrip("\ufeff").strip().splitlines()]
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    xlsx = tmp_path / "kwb-2023.xlsx"
    frame.to_excel(xlsx, index=False, sheet_name="kwb-2023")
    df = read_statistics(xlsx, gemeenten=["GM9999"])
    assert df.set_index("code").loc["WK999901", "aantal_inwoners"] == 600
    semi = tmp_path / "kwb.csv"
    semi.write_bytes(KWB_CSV.lstrip("\ufeff").replace(",", ";").encode("cp1252"))
    assert read_statistics(semi, gemeenten=["GM9999"])["aantal_0_14"].sum() == 440


def test_read_statistics_rejects_other_tables(tmp_path: Path) -> None:
    path = tmp_path / "iets.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_statistics(path)
    assert err.value.problems[0].code == "STATS_SCHEMA_UNKNOWN"
    assert "gwb_code_10" in err.value.problems[0].en


def test_youth_estimate_by_hand() -> None:
    df = pd.DataFrame(
        {
            "aantal_inwoners": [300.0, 0.0, 1000.0, np.nan],
            "aantal_0_14": [60.0, 0.0, np.nan, np.nan],
            "aantal_15_24": [30.0, 0.0, np.nan, np.nan],
            "pct_0_14": [np.nan, np.nan, 15.0, np.nan],
            "pct_15_24": [np.nan, np.nan, 10.0, np.nan],
        }
    )
    out = estimate_youth(df)
    # 60 + 3/10 × 30 = 69; 1000 × (15 + 3) / 100 = 180; unknown stays unknown.
    assert out["youth_population"].tolist()[:3] == [69.0, 0.0, 180.0]
    assert np.isnan(out["youth_population"].iloc[3])
    assert out["youth_population_is_estimate"].tolist() == [True, True, True, False]
    assert "a_00_14 + 3/10" in out["youth_population_method"].iloc[0]
    assert "p_00_14" in out["youth_population_method"].iloc[2]
    assert "youth_population" not in df.columns  # pure: the input frame is unchanged


def test_join_statistics_by_code(gdf_grid: pd.DataFrame, kwb_csv: Path) -> None:
    stats = read_statistics(kwb_csv, gemeenten=["GM9999"])
    joined, notes = join_statistics(gdf_grid, stats, key="buurtcode")
    assert joined.set_index("buurtcode").loc["BU99990102", "aantal_inwoners"] == 300
    assert np.isnan(joined.set_index("buurtcode").loc["BU99990201", "aantal_inwoners"])
    assert any("6 buurt(en) zonder kerncijfers" in n for n in notes)
    assert joined.crs == gdf_grid.crs
    assert "aantal_inwoners" not in gdf_grid.columns  # pure: the input frame is unchanged


def test_short_wijknaam() -> None:
    assert short_wijknaam("Wijk 05 Oost") == "Oost"
    assert short_wijknaam("Wijk 10 Vleuten-De Meern") == "Vleuten-De Meern"
    assert short_wijknaam("Binnenstad") == "Binnenstad"
