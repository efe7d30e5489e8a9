"""Care joins on the grid: teams placed in buurten, provider per buurt and wijk, caseload tables and rates."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from care_fixtures import latlon, reference, text_frame, utrecht_grid, utrecht_grid_wijken

from etl.care import (
    TEAM_COLUMNS,
    assign_providers,
    caseload_tables,
    contract_providers,
    place_teams,
    rate_per_1000,
    validate_caseloads_frame,
    validate_providers_frame,
    validate_teams_frame,
)
from etl.rules import validate
from geodata.errors import InputError


def _teams(text: str) -> pd.DataFrame:
    return validate("teams", text_frame(text), name="t", reference=reference()).frame


def test_teams_are_placed_in_the_buurt_they_lie_in() -> None:
    lat, lon = latlon(136150.0, 455150.0)  # centre of r2c2
    teams = _teams(
        "team_id;naam;organisatie;soort;lat;lon;x;y;buurtcode\n"
        f"A;a;Lokalis;buurtteam;{lat};{lon};;;\n"
        "B;b;KOOS;specialistisch;;;136290;455010;\n"  # r1c3
        "C;c;Spoor030;specialistisch;;;;;BU03440301\n"  # r3c1, at its representative point
        "D;d;Lokalis;buurtteam;;;136350;455150;\n"  # 50 m east of the grid: nearest buurt r2c3
    )
    gdf = place_teams(teams, utrecht_grid(), is_demo=False)
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert gdf.crs.to_epsg() == 28992
    assert list(gdf.columns) == [*TEAM_COLUMNS, "geometry"]
    assert gdf["buurtcode"].tolist() == ["BU03440202", "BU03440103", "BU03440301", "BU03440203"]
    assert gdf["wijkcode"].tolist() == ["WK034402", "WK034401", "WK034403", "WK034402"]
    assert gdf["locatie_bron"].tolist() == ["latlon", "rd", "buurtcode", "rd"]
    assert gdf.geometry.iloc[0].distance(gpd.points_from_xy([136150.0], [455150.0])[0]) < 0.5
    assert not gdf["is_demo"].any()
    assert np.isnan(gdf["capaciteit_fte"]).all()


def test_validate_teams_frame_is_the_upload_entry_point() -> None:
    df = text_frame("team_id;naam;organisatie;soort;buurtcode\nA;a;Lokalis;buurtteam;BU03440101")
    gdf = validate_teams_frame(df, name="t.csv", gdf_buurten=utrecht_grid(), gdf_wijken=utrecht_grid_wijken())
    assert gdf["buurtcode"].tolist() == ["BU03440101"]
    with pytest.raises(InputError):
        validate_teams_frame(text_frame("team_id;naam\nA;a"), name="t.csv", gdf_buurten=utrecht_grid())


def _providers(text: str) -> pd.DataFrame:
    return validate_providers_frame(
        text_frame(text), name="p", gdf_buurten=utrecht_grid(), gdf_wijken=utrecht_grid_wijken()
    )


def test_buurt_row_overrides_its_wijk() -> None:
    table = _providers(
        "wijkcode;buurtcode;aanbieder\nWK034401;;KOOS\nWK034402;;KOOS\nWK034403;;Spoor030\n;BU03440202;Spoor030"
    )
    buurten, wijken = assign_providers(utrecht_grid(), utrecht_grid_wijken(), table, source="p.csv")
    assert buurten["provider"].tolist() == ["KOOS"] * 4 + ["Spoor030"] + ["KOOS"] + ["Spoor030"] * 3
    assert buurten["provider_bron"].iloc[4] == "buurt: p.csv"
    assert buurten["provider_bron"].iloc[0] == "wijk: p.csv"
    assert wijken["provider"].tolist() == ["KOOS", "KOOS", "Spoor030"]  # wijk rows win for the wijk itself


def test_wijk_without_a_row_takes_its_buurten_or_the_majority_of_youth() -> None:
    # Wijk 02 only by buurt rows: r2c1 (youth 400) KOOS, r2c2 (500) Spoor030, r2c3 (600) Spoor030 → Spoor030
    # by youth (1100 against 400). Wijk 03 all its inhabited buurten Spoor030 → Spoor030 from its buurten.
    table = _providers(
        "wijkcode;buurtcode;aanbieder\nWK034401;;KOOS\n;BU03440201;KOOS\n;BU03440202;Spoor030\n;BU03440203;Spoor030\n"
        ";BU03440301;Spoor030\n;BU03440302;Spoor030\n;BU03440303;Spoor030"
    )
    _, wijken = assign_providers(utrecht_grid(), utrecht_grid_wijken(), table, source="p.csv")
    assert wijken["provider"].tolist() == ["KOOS", "Spoor030", "Spoor030"]
    assert wijken["provider_bron"].iloc[1].startswith("meerderheid jeugd / majority of youth (KOOS, Spoor030)")
    assert wijken["provider_bron"].iloc[2] == "buurten: p.csv"


def test_a_buurt_with_inhabitants_without_provider_is_an_error_naming_it() -> None:
    table = pd.DataFrame(
        {
            "niveau": ["wijk", "wijk"],
            "wijkcode": ["WK034401", "WK034402"],
            "buurtcode": [None, None],
            "aanbieder": ["KOOS", "KOOS"],
        }
    ).astype("string")
    with pytest.raises(InputError) as err:
        assign_providers(utrecht_grid(), utrecht_grid_wijken(), table, source="p.csv")
    named = {p.nl.split()[1] for p in err.value.problems}
    assert named == {"BU03440301", "BU03440302"}  # BU03440303 has nobody living there
    assert all(p.code == "PROVIDER_GAP" for p in err.value.problems)


def test_contract_applies_only_to_utrecht_wijken() -> None:
    assert contract_providers(pd.DataFrame({"wijkcode": ["WK999901", "WK034401"]})) is None  # not (only) Utrecht
    wijken = pd.DataFrame({"wijkcode": ["WK034401", "WK034405"]})
    table = contract_providers(wijken)
    assert table is not None
    assert table["aanbieder"].tolist() == ["KOOS", "Spoor030"]


# ---------------------------------------------------------------- caseloads


def _caseloads(text: str) -> pd.DataFrame:
    return validate("caseloads", text_frame(text), name="c", reference=reference()).frame


def test_caseload_tables_counts_wijk_sums_and_rates_by_hand() -> None:
    # Youth: r1c1 100, r1c2 200, r1c3 300; wijk 01 = 600.
    long = _caseloads(
        "buurtcode;periode;totaal;buurtteam\n"
        "BU03440101;2024;10;8\nBU03440102;2024;3;3\nBU03440103;2024;6;5\n"
        "BU03440201;2024;1;1\nBU03440202;2024;0;0\nBU03440203;2024;2;2\n"
        "BU03440301;2024;4;4\nBU03440302;2024;5;5"  # BU03440303: nobody lives there → 0
    )
    df_b, df_w = caseload_tables(long, utrecht_grid(), utrecht_grid_wijken())
    assert list(df_b.columns) == ["buurtcode", "periode", "soort", "aantal", "youth_population", "rate_per_1000"]
    assert list(df_w.columns) == ["wijkcode", "periode", "soort", "aantal", "youth_population", "rate_per_1000"]
    tot_b = df_b[df_b["soort"] == "totaal"].set_index("buurtcode")
    assert tot_b.at["BU03440101", "rate_per_1000"] == pytest.approx(100.0)  # 10 / 100 × 1000
    assert tot_b.at["BU03440102", "rate_per_1000"] == pytest.approx(15.0)  # 3 / 200 × 1000
    assert tot_b.at["BU03440303", "aantal"] == 0
    assert math.isnan(tot_b.at["BU03440303", "rate_per_1000"])  # no youth: no rate
    tot_w = df_w[df_w["soort"] == "totaal"].set_index("wijkcode")
    assert tot_w["aantal"].tolist() == [19, 3, 9]
    assert tot_w.at["WK034401", "youth_population"] == 600.0
    assert tot_w.at["WK034401", "rate_per_1000"] == pytest.approx(19 / 600 * 1000)
    assert df_b["aantal"].dtype == "Int64"


def test_a_buurt_missing_from_the_input_is_unknown_and_so_is_its_wijk() -> None:
    long = _caseloads("buurtcode;periode;totaal\nBU03440101;2024;10\nBU03440102;2024;3")
    df_b, df_w = caseload_tables(long, utrecht_grid(), utrecht_grid_wijken())
    b = df_b.set_index("buurtcode")["aantal"]
    assert b["BU03440101"] == 10
    assert pd.isna(b["BU03440103"])
    assert b["BU03440303"] == 0
    assert df_w["aantal"].isna().all()  # every wijk has an unknown inhabited buurt


def test_wijk_level_input_fills_the_wijk_table_only() -> None:
    long = _caseloads(
        "wijkcode;periode;soort;aantal\nWK034401;2024-Q1;totaal;40\nWK034402;2024-Q1;totaal;8\nWK034403;2024-Q1;totaal;2"
    )
    df_b, df_w = caseload_tables(long, utrecht_grid(), utrecht_grid_wijken())
    assert df_b.empty
    assert list(df_b.columns) == ["buurtcode", "periode", "soort", "aantal", "youth_population", "rate_per_1000"]
    assert df_w["aantal"].tolist() == [40, 8, 2]
    assert df_w["rate_per_1000"].iloc[0] == pytest.approx(40 / 600 * 1000)


def test_rate_per_1000_without_youth_is_unknown_not_infinite() -> None:
    rates = rate_per_1000(pd.Series([5, 5, pd.NA], dtype="Int64"), pd.Series([1000.0, 0.0, 50.0]))
    assert rates.iloc[0] == 5.0
    assert rates.iloc[1:].isna().all()


def test_validate_caseloads_frame_gives_both_levels_for_the_dashboard() -> None:
    df = text_frame(
        "buurtcode;periode;totaal\n"
        + "\n".join(f"BU0344{r:02d}{c:02d};2024;{r + c}" for r in (1, 2, 3) for c in (1, 2, 3))
    )
    out = validate_caseloads_frame(df, name="c.csv", gdf_buurten=utrecht_grid(), gdf_wijken=utrecht_grid_wijken())
    assert set(out["niveau"]) == {"buurt", "wijk"}
    buurt = out[out["niveau"] == "buurt"]
    wijk = out[out["niveau"] == "wijk"]
    assert buurt["wijkcode"].notna().all()
    assert wijk["buurtcode"].isna().all()
    assert wijk.set_index("wijkcode")["aantal"].to_dict() == {"WK034401": 9, "WK034402": 12, "WK034403": 15}
