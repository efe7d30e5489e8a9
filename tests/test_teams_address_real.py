"""Teams by postcode on the real data: the 4pp PC4 table, Utrecht's boundaries, DUO's school addresses, a full build."""

from __future__ import annotations

import json
import math
import urllib.error
from pathlib import Path

import pandas as pd
import pytest
import shapely
from conftest import REPO

from cli.main import main
from etl.atlas import read_atlas
from etl.places import postcode_table, with_places
from etl.rules import validate
from etl.rules.check import load_reference
from geodata.errors import InputError
from geodata.geocode import PdokGeocoder

pytestmark = pytest.mark.integration
EXAMPLE = REPO / "examples" / "teams_postcode.csv"
FIXTURES = REPO / "tests" / "fixtures" / "pdok"


def test_the_pc4_table_reads_whole_and_every_utrecht_centre_lies_in_utrecht(data_dir: Path) -> None:
    table = postcode_table(data_dir).frame
    assert len(table) == 4699  # SOURCES.md: all 4,699 Dutch PC4s
    utrecht = table[table["gemeente"] == "Utrecht"]
    assert len(utrecht) == 59
    assert utrecht["soort"].value_counts().to_dict() == {"Adres": 47, "Adres + Postbus": 2, "Postbus": 10}
    # 3500 and 3509 share one stand-in point with nine postbus codes (11 in all)
    assert table.loc[["3500", "3509"], "shared"].tolist() == [11, 11]
    reference, _ = load_reference(data_dir=data_dir)
    inside = shapely.contains(reference.area_tolerant, shapely.points(utrecht["x"], utrecht["y"]))
    assert inside.all()


def test_pc4_precision_in_utrecht_is_about_a_kilometre_or_two(data_dir: Path) -> None:
    # What '± 1–2 km' rests on: Utrecht's 99 km² over its 47 address PC4s with a centre of their own is 2.1 km²
    # each, a circle of radius 0.82 km; neighbouring centres are a median 0.89 km apart.
    table = postcode_table(data_dir).frame
    own = table[
        (table["gemeente"] == "Utrecht") & table["soort"].isin(["Adres", "Adres + Postbus"]) & (table["shared"] == 1)
    ]
    reference, _ = load_reference(data_dir=data_dir)
    km2 = reference.area.area / 1e6
    assert len(own) == 47
    assert 98 < km2 < 100
    radius = math.sqrt(km2 / len(own) / math.pi)
    assert 0.75 < radius < 0.9


def _duo_as_teams(data_dir: Path) -> pd.DataFrame:
    """DUO's 98 Utrecht primary schools as a teams table by address, headers as DUO writes them (fictitious teams)."""
    duo = pd.read_csv(
        data_dir / "other" / "duo_basisscholen_utrecht_gm0344.csv", sep=";", dtype=str, keep_default_na=False
    )
    return pd.DataFrame(
        {
            "team_id": duo["VESTIGINGSCODE"],
            "naam": duo["VESTIGINGSNAAM"],
            "organisatie": "Lokalis",
            "soort": "buurtteam",
            "STRAATNAAM": duo["STRAATNAAM"],
            "HUISNUMMER-TOEVOEGING": duo["HUISNUMMER-TOEVOEGING"],
            "POSTCODE": duo["POSTCODE"],
            "PLAATSNAAM": duo["PLAATSNAAM"],
        }
    )


def test_real_addresses_offline_go_on_their_pc4_centre(data_dir: Path) -> None:
    reference, _ = load_reference(data_dir=data_dir)
    checked = validate(
        "teams", _duo_as_teams(data_dir), name="duo.csv", reference=with_places(reference, data_dir=data_dir)
    )
    frame = checked.frame
    assert len(frame) == 98
    assert (frame["locatie_bron"] == "postcode4").all()
    assert frame["locatie_detail"].str.fullmatch(r"3[45]\d\d").all()
    assert len(checked.locations) == 98
    assert any(
        "98 team(s) op het midden van hun postcode" in n and "98 met een volledig adres" in n for n in checked.notes
    )


def test_real_addresses_with_pdok_down_fall_back_and_ask_once(data_dir: Path, tmp_path: Path) -> None:
    calls: list[str] = []

    def offline(url: str, timeout: float) -> bytes:
        calls.append(url)
        raise urllib.error.URLError("offline")

    reference, _ = load_reference(data_dir=data_dir)
    ref = with_places(reference, data_dir=data_dir).with_places(
        postcodes=postcode_table(data_dir), geocoder=PdokGeocoder(cache_path=tmp_path / "c.json", fetch=offline)
    )
    checked = validate("teams", _duo_as_teams(data_dir), name="duo.csv", reference=ref)
    assert (checked.frame["locatie_bron"] == "postcode4").all()
    assert len(calls) == 1
    assert sum("niet opgezocht" in n for n in checked.notes) == 98


def test_a_postbus_centre_inside_utrecht_is_still_refused(data_dir: Path) -> None:
    # IJsselstein's postbus code 3400 has its point inside gemeente Utrecht (PO boxes are sorted there): placing a
    # team on it would pass every boundary check and be kilometres wrong.
    reference, _ = load_reference(data_dir=data_dir)
    df = pd.DataFrame(
        {"team_id": ["T1"], "naam": ["A"], "organisatie": ["Lokalis"], "soort": ["buurtteam"], "postcode": ["3400"]}
    )
    with pytest.raises(InputError) as err:
        validate("teams", df, name="t.csv", reference=with_places(reference, data_dir=data_dir))
    assert [p.code for p in err.value.problems] == ["POSTCODE_POSTBUS"]
    assert "IJsselstein" in err.value.problems[0].nl


def test_build_with_teams_by_postcode_from_the_real_data(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "atlas"
    code = main(
        ["build", "--data-dir", str(data_dir), "--teams", str(EXAMPLE), "--out", str(out), "--quiet", "--no-hotspots"]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    atlas = read_atlas(out, layers=["teams", "buurten"])
    teams = atlas["teams"]
    assert len(teams) == 6
    assert (teams["locatie_bron"] == "postcode4").all()
    assert teams["locatie_detail"].tolist() == ["3562", "3511", "3544", "3524", "3452", "3521"]
    assert teams["buurtcode"].str.startswith("BU0344").all()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    locations = manifest["care"]["teams"]["locations"]
    assert locations["per_locatie_bron"] == {"postcode4": 6}
    assert locations["precision"]["postcode4"]["en"] == "centre of the postcode area, ± 1–2 km"
    assert locations["postcodes"] == {"source": "other/pc4_centroids_nl_4pp_2014.csv", "year": 2014}
    assert "geocoder" not in locations  # nothing was asked online
    assert not any("rij/row" in n for n in manifest["notes"])  # per-row lines are the report's, not the manifest's
    assert any("6 team(s) op het midden van hun postcode" in n for n in manifest["notes"])
    # The travel stage took them: every buurt's nearest buurtteam is one of the four buurtteams of the file.
    assert set(atlas["buurten"]["nearest_buurtteam_bike"].dropna()) <= {"PC-01", "PC-02", "PC-05", "PC-06"}
    assert atlas["buurten"]["nearest_buurtteam_bike"].notna().all()


def test_validate_the_example_lists_each_row_and_as_json(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "teams", str(EXAMPLE), "--data-dir", str(data_dir), "--json"])
    out = capsys.readouterr().out
    assert code == 0
    report = json.loads(out)
    rows = [n for n in report["notes"] if "locatie postcode" in n]
    assert len(rows) == 6
    assert rows[0].startswith(
        f"{EXAMPLE}, rij/row 2 (PC-01): locatie postcode 3562 (midden van het postcodegebied, ± 1–2 km)"
    )


class StandInPdok:
    """PDOK's free endpoint on localhost, answering recorded bodies by query; counts what it is asked."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        import threading
        import urllib.parse
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.asked: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
                stand_in.asked.append(query["q"])
                body = bodies.get(query["q"], (FIXTURES / "free_no_match.json").read_bytes())
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bzk/locatieserver/search/v3_1/free"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_build_and_validate_with_geocode_pdok_ask_once_then_use_the_cache(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fictitious team at the recorded address (Bolognalaan 101, RD 140547.812 454887.397: buurt BU03440533 Utrecht
    # Science Park, as PDOK's own document says) and one at a made-up number PDOK does not know (→ its PC4 3584).
    teams = tmp_path / "teams.csv"
    teams.write_text(
        "team_id;naam;organisatie;soort;postcode;huisnummer\nA1;Fictief team A;Lokalis;buurtteam;3584 CJ;101\n"
        "A2;Fictief team B;KOOS;specialistisch;3584 ZZ;999\n",
        encoding="utf-8",
    )
    pdok = StandInPdok({"3584CJ 101": (FIXTURES / "free_3584CJ_101.json").read_bytes()})
    monkeypatch.setenv("BUURTDEKKING_PDOK_URL", pdok.url)
    cache = tmp_path / "geocode.json"
    try:
        out = tmp_path / "atlas"
        base = [
            "build",
            "--data-dir",
            str(data_dir),
            "--teams",
            str(teams),
            "--out",
            str(out),
            "--quiet",
            "--no-hotspots",
            "--no-travel",
            "--geocode",
            "pdok",
            "--geocode-cache",
            str(cache),
        ]
        assert main(base) == 0, capsys.readouterr().err
        assert sorted(pdok.asked) == ["3584CJ 101", "3584ZZ 999"]
        atlas = read_atlas(out, layers=["teams"])
        placed = atlas["teams"].set_index("team_id")
        assert placed.loc["A1", "locatie_bron"] == "adres (PDOK)"
        assert (placed.loc["A1", "geometry"].x, placed.loc["A1", "geometry"].y) == (140547.812, 454887.397)
        assert placed.loc["A1", "buurtcode"] == "BU03440533"
        assert (placed.loc["A2", "locatie_bron"], placed.loc["A2", "locatie_detail"]) == ("postcode4", "3584")
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        geocoder = manifest["care"]["teams"]["locations"]["geocoder"]
        assert (geocoder["asked"], geocoder["from_cache"], geocoder["failed"]) == (2, 0, 0)
        assert any("'3584 ZZ 999' niet gevonden" in n for n in manifest["notes"])

        # A rebuild asks nothing twice; validate reads the same cache and says per row what it used.
        assert main(base) == 0
        capsys.readouterr()
        assert len(pdok.asked) == 2
        assert (
            main(
                [
                    "validate",
                    "teams",
                    str(teams),
                    "--data-dir",
                    str(data_dir),
                    "--geocode",
                    "pdok",
                    "--geocode-cache",
                    str(cache),
                ]
            )
            == 0
        )
        printed = capsys.readouterr()
        assert len(pdok.asked) == 2
        assert "0 adres(sen) gevraagd, 2 uit de cache" in printed.err
        assert (
            "(A1): locatie adres Bolognalaan 101, 3584CJ Utrecht (adrespunt uit de BAG via PDOK, op enkele meters)"
            in printed.out
        )
    finally:
        pdok.close()
