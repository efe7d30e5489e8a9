"""Teams by address in the app, without a browser: the team hover says where its point comes from, the upload check
accepts a teams file by postcode (offline, on the PC4 centre) and says how precise that is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from care_fixtures import grid_postcodes, text_frame, utrecht_grid, utrecht_grid_wijken
from care_grid import care_grid_atlas
from conftest import page_module
from test_upload_page import from_labels, visible

from etl.care import validate_teams_frame
from etl.upload import check_upload
from views.figures import team_location_lines, team_traces


def _teams() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "team_id": ["A", "B", "C", "D"],
            "naam": ["Team A", "Team B", "Team C", "Team D"],
            "organisatie": "Lokalis",
            "soort": "buurtteam",
            "lon": [5.1, 5.11, 5.12, 5.13],
            "lat": [52.09] * 4,
            "locatie_bron": ["postcode4", "adres (PDOK)", "latlon", "whatif"],
            "locatie_detail": ["3581", "Bolognalaan 101, 3584CJ Utrecht", None, None],
        }
    )


def test_the_team_hover_says_where_the_point_comes_from() -> None:
    nl = team_location_lines(_teams(), "nl")
    assert nl[0] == "<br>locatie: postcode 3581 (midden van het postcodegebied, ± 1–2 km)"
    assert (
        nl[1] == "<br>locatie: adres Bolognalaan 101, 3584CJ Utrecht (adrespunt uit de BAG via PDOK, op enkele meters)"
    )
    assert nl[2] == "<br>locatie: lat/lon zoals opgegeven"
    assert nl[3] == ""  # a what-if team: placed by the user on the map, nothing to add
    assert (
        team_location_lines(_teams(), "en")[0] == "<br>location: postcode 3581 (centre of the postcode area, ± 1–2 km)"
    )
    (_, marker) = team_traces(_teams().iloc[:1], lang="nl", visible=set())
    assert marker.hovertemplate[0] == (
        "<b>Team A</b><br>Lokalis · buurtteam<br>locatie: postcode 3581 (midden van het "
        "postcodegebied, ± 1–2 km)<extra></extra>"
    )


def test_an_atlas_without_location_columns_still_hovers() -> None:
    teams = _teams().drop(columns=["locatie_bron", "locatie_detail"])
    assert team_location_lines(teams, "nl") == ["", "", "", ""]


def test_an_upload_by_postcode_is_placed_on_the_pc4_centre() -> None:
    # care_fixtures.GRID_PC4: 9991 in r2c2, 9996 in r3c3; uploads never go online.
    gdf = utrecht_grid()
    data = "team_id;naam;organisatie;soort;postcode;huisnummer\nT1;A;Lokalis;buurtteam;9991 AB;12\nT2;B;KOOS;specialistisch;9996;\n"

    def validate(df: pd.DataFrame, name: str) -> pd.DataFrame:
        return validate_teams_frame(
            df, name=name, gdf_buurten=gdf, gdf_wijken=utrecht_grid_wijken(gdf), postcodes=grid_postcodes()
        )

    report = check_upload(data.encode("utf-8"), name="teams.csv", kind="teams", validate=validate)
    assert report.ok, [p.format() for p in report.problems]
    assert report.frame is not None
    assert report.frame["locatie_bron"].tolist() == ["postcode4", "postcode4"]
    assert report.frame["buurtcode"].tolist() == ["BU03440202", "BU03440303"]


def test_an_upload_without_the_pc4_table_is_refused_not_misplaced() -> None:
    from geodata.errors import InputError
    from geodata.postcodes import PostcodeTable

    gdf = utrecht_grid()
    with pytest.raises(InputError) as err:
        validate_teams_frame(
            text_frame("team_id;naam;organisatie;soort;postcode\nT1;A;Lokalis;buurtteam;9991"),
            name="t.csv",
            gdf_buurten=gdf,
            postcodes=PostcodeTable(Path("/nonexistent.csv")),
        )
    assert "POSTCODE_TABLE_MISSING" in str(err.value)


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    from dashboard.app import create_app

    app = create_app(care_grid_atlas(tmp_path / "atlas", threshold=None))
    with app.server.test_request_context("/eigen-gegevens"):
        yield page_module("eigen_gegevens")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_upload_check_says_where_the_teams_stand_in_labels_of_the_table(page: ModuleType, lang: str) -> None:
    gdf = utrecht_grid()
    data = (
        "team_id;naam;organisatie;soort;postcode;x;y\nT1;A;Lokalis;buurtteam;9991;;\nT2;B;Lokalis;buurtteam;9996;;\n"
        "T3;C;KOOS;buurtteam;;136050;455050\n"
    )
    report = check_upload(
        data.encode("utf-8"),
        name="teams.csv",
        kind="teams",
        validate=lambda df, name: validate_teams_frame(df, name=name, gdf_buurten=gdf, postcodes=grid_postcodes()),
    )
    texts = visible(page.locations_view(report, lang))
    if lang == "nl":
        assert texts[:3] == [
            "Waar de teams staan",
            "1 × x/y (RD) zoals opgegeven",
            "2 × midden van het postcodegebied, ± 1–2 km",
        ]
        assert "--geocode pdok" in texts[3]
    else:
        assert texts[:3] == [
            "Where the teams are",
            "1 × x/y (RD) as given",
            "2 × centre of the postcode area, ± 1–2 km",
        ]
    assert all(from_labels(s, lang) for s in texts)  # type: ignore[arg-type]
    assert page.locations_view(report.__class__(kind="caseloads", name="c", size=1, sha256=""), lang) is None
