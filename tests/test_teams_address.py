"""Teams by postcode or address: parsing, the PC4 centre, PDOK from recorded answers, the precision
order, fallbacks and what the report says — on tiny synthetic grids with hand-derived placements. Never online."""

from __future__ import annotations

import json
import urllib.error
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from care_fixtures import grid_postcodes, latlon, reference, text_frame, utrecht_grid, utrecht_grid_wijken
from conftest import REPO

from etl.care import place_teams
from etl.rules import CareReference, validate
from geodata.errors import InputError
from geodata.geocode import (
    PdokGeocoder,
    address_query,
    answer_from_docs,
    parse_point,
    read_cache,
    request_url,
    response_docs,
)
from geodata.postcodes import PostcodeTable, parse_huisnummer, parse_postcode, pc4_frame, split_street_number

FIXTURES = REPO / "tests" / "fixtures" / "pdok"
H = "team_id;naam;organisatie;soort"


def recorded(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# ---------------------------------------------------------------- reading what people type


@pytest.mark.parametrize(
    ("typed", "pc4", "letters"),
    [
        ("3581", "3581", None),
        ("3581ab", "3581", "AB"),
        ("3581 AB", "3581", "AB"),
        ("  3581   ab ", "3581", "AB"),
        ("3581\u00a0AB", "3581", "AB"),
        ("3581.0", "3581", None),
    ],  # a no-break space; a PC4 Excel kept as a number
)
def test_postcodes_are_read_in_any_spacing_and_case(typed: str, pc4: str, letters: str | None) -> None:
    assert parse_postcode(typed) == parse_postcode(f"{pc4}{letters or ''}")
    got = parse_postcode(typed)
    assert got is not None
    assert (got.pc4, got.letters) == (pc4, letters)
    assert got.text == (f"{pc4} {letters}" if letters else pc4)


@pytest.mark.parametrize(
    "typed", ["0581", "358", "35811", "3581 A", "3581 ABC", "3581 SA", "3581-AB", "Utrecht", "3581 1"]
)
def test_not_postcodes(typed: str) -> None:
    # 0581: no Dutch postcode starts with 0; SA, SD and SS are never issued
    assert parse_postcode(typed) is None


@pytest.mark.parametrize(
    ("typed", "number", "text"),
    [
        ("12", 12, "12"),
        ("12a", 12, "12a"),
        ("12 A", 12, "12a"),
        ("12-2", 12, "12-2"),
        ("12-II", 12, "12-II"),
        ("1-A", 1, "1a"),
        ("12 2", 12, "12-2"),
        ("12/3", 12, "12-3"),
    ],
)
def test_house_numbers(typed: str, number: int, text: str) -> None:
    got = parse_huisnummer(typed)
    assert got is not None
    assert (got.number, got.text) == (number, text)


@pytest.mark.parametrize("typed", ["twaalf", "a12", "12 t/m 14", "123456"])
def test_not_house_numbers(typed: str) -> None:
    assert parse_huisnummer(typed) is None


@pytest.mark.parametrize(
    ("cell", "street", "number"),
    [
        ("Bolognalaan 101", "Bolognalaan", "101"),
        ("Laan van Nieuw-Guinea 12-2", "Laan van Nieuw-Guinea", "12-2"),
        ("1e Daalsedijk 3", "1e Daalsedijk", "3"),
        ("Oudegracht", "Oudegracht", ""),
    ],
)
def test_a_street_with_its_number_in_one_cell_is_split(cell: str, street: str, number: str) -> None:
    assert split_street_number(cell) == (street, number)


def test_queries_need_a_number_and_a_full_postcode_or_street_with_place() -> None:
    assert address_query(postcode="3584 cj", huisnummer="101").q == "3584CJ 101"  # type: ignore[union-attr]
    assert address_query(straat="Bolognalaan", huisnummer="101", plaats="Utrecht").q == "Bolognalaan 101 Utrecht"  # type: ignore[union-attr]
    assert address_query(straat="Bolognalaan 101", postcode="3584").q == "Bolognalaan 101 3584"  # type: ignore[union-attr]
    assert (
        address_query(postcode="3584CJ", huisnummer="101").key
        == address_query(postcode="3584 cj", huisnummer=" 101").key
    )  # type: ignore[union-attr]
    assert address_query(postcode="3584", huisnummer="101") is None  # a PC4 and a number: hundreds of addresses
    assert address_query(straat="Bolognalaan", huisnummer="101") is None  # which town?
    assert address_query(postcode="3584CJ") is None


# ---------------------------------------------------------------- the PC4 table


def _pc4_table(rows: list[tuple[str, str, float, float]]) -> PostcodeTable:
    frame = pd.DataFrame(
        [
            {
                "id": pc,
                "postcode": pc,
                "woonplaats": "W",
                "alternatieve_schrijfwijzen": "",
                "gemeente": "G",
                "provincie": "P",
                "netnummer": "",
                "latitude": str(lat),
                "longitude": str(lon),
                "soort": soort,
            }
            for pc, soort, lat, lon in rows
        ]
    )
    return PostcodeTable.of(pc4_frame(frame, name="t.csv"), name="t.csv")


def test_pc4_centres_are_projected_to_rd_amersfoort_is_the_origin() -> None:
    # RD New is defined so that the Onze Lieve Vrouwetoren in Amersfoort is (155000, 463000); in WGS84 that is
    # 52°09'22.178"N 5°23'15.500"E = 52.15517, 5.38721 (five decimals: within 0.6 m).
    table = _pc4_table(
        [("3811", "Adres", 52.15517, 5.38721), ("3812", "Adres", 52.15517, 5.38721), ("3813", "Postbus", 52.2, 5.4)]
    )
    row = table.frame.loc["3811"]
    assert abs(row["x"] - 155000.0) < 1.0
    assert abs(row["y"] - 463000.0) < 1.0
    assert table.frame["shared"].to_dict() == {"3811": 2, "3812": 2, "3813": 1}  # one point for two postcodes


def test_pc4_table_without_its_columns_is_refused() -> None:
    with pytest.raises(InputError) as err:
        pc4_frame(pd.DataFrame({"pc": ["3581"]}), name="x.csv")
    assert err.value.problems[0].code == "POSTCODE_TABLE_INVALID"
    assert "latitude" in err.value.problems[0].nl


# ---------------------------------------------------------------- placing by postcode (offline)


def test_a_team_by_postcode_goes_on_its_pc4_centre() -> None:
    # care_fixtures.GRID_PC4: 9991 at (136150, 455150) in r2c2; 9996 ('Adres + Postbus') at (136250, 455250) in
    # r3c3; the table stores lat/lon with 7 decimals, so the round trip is within a few centimetres.
    df = text_frame(f"{H};postcode\nT1;A;Lokalis;buurtteam;9991\nT2;B;KOOS;specialistisch;9996 ab")
    checked = validate("teams", df, name="t.csv", reference=reference())
    got = checked.frame
    assert got["locatie_bron"].tolist() == ["postcode4", "postcode4"]
    assert got["locatie_detail"].tolist() == ["9991", "9996"]  # a PC6 is used as its PC4
    assert got["x"].round(1).tolist() == [136150.0, 136250.0]
    assert got["y"].round(1).tolist() == [455150.0, 455250.0]
    placed = place_teams(got, utrecht_grid())
    assert placed["buurtcode"].tolist() == ["BU03440202", "BU03440303"]
    assert placed["locatie_detail"].tolist() == ["9991", "9996"]
    assert (
        "t.csv, rij/row 2 (T1): locatie postcode 9991 (midden van het postcodegebied, ± 1–2 km) / location postcode 9991 "
        "(centre of the postcode area, ± 1–2 km)" in checked.notes
    )
    assert set(checked.locations) <= set(checked.notes)
    assert len(checked.locations) == 2
    assert any("2 team(s) op het midden van hun postcode" in n for n in checked.notes)


def test_precision_order_latlon_rd_postcode_buurtcode() -> None:
    lat, lon = latlon(136050.0, 455250.0)  # r3c1
    df = text_frame(
        f"{H};lat;lon;x;y;postcode;buurtcode\n"
        f"T1;A;Lokalis;buurtteam;{lat};{lon};;;9991;BU03440101\n"  # lat/lon beats the postcode
        "T2;B;Lokalis;buurtteam;;;136250;455050;9991;\n"  # x/y (r1c3) beats the postcode
        "T3;C;Lokalis;buurtteam;;;;;9991;BU03440101\n"  # the postcode (r2c2) beats the buurtcode (r1c1)
        "T4;D;Lokalis;buurtteam;;;;;;BU03440101\n"
    )
    got = validate("teams", df, name="t", reference=reference()).frame
    assert got["locatie_bron"].tolist() == ["latlon", "rd", "postcode4", "buurtcode"]
    assert got["locatie_detail"].tolist()[2:] == ["9991", "BU03440101"]
    assert place_teams(got, utrecht_grid())["buurtcode"].tolist() == [
        "BU03440301",
        "BU03440103",
        "BU03440202",
        "BU03440101",
    ]


def test_coordinates_make_a_postcode_only_checked_for_its_form() -> None:
    # 9992 is a postbus and 9999 unknown, but the coordinates place these teams: no problem; a malformed one is.
    df = text_frame(
        f"{H};x;y;postcode\nT1;A;Lokalis;buurtteam;136150;455150;9992\nT2;B;Lokalis;buurtteam;136150;455150;9999"
    )
    assert validate("teams", df, name="t", reference=reference()).frame["locatie_bron"].tolist() == ["rd", "rd"]
    bad = text_frame(f"{H};x;y;postcode\nT1;A;Lokalis;buurtteam;136150;455150;99x1")
    with pytest.raises(InputError) as err:
        validate("teams", bad, name="t", reference=reference())
    assert [p.code for p in err.value.problems] == ["POSTCODE_INVALID"]


@pytest.mark.parametrize(("postcode", "why"), [("9999", "niet in de postcodetabel"), ("9994", "geen eigen middelpunt")])
def test_an_unusable_postcode_falls_back_to_the_buurtcode_with_a_note(postcode: str, why: str) -> None:
    df = text_frame(f"{H};postcode;buurtcode\nT1;A;Lokalis;buurtteam;{postcode};BU03440101")
    checked = validate("teams", df, name="t", reference=reference())
    assert checked.frame["locatie_bron"].tolist() == ["buurtcode"]
    assert any(
        f"postcode {postcode} niet bruikbaar ({why}" in n and "geplaatst op de buurtcode" in n for n in checked.notes
    )


def test_a_postbus_is_a_problem_even_with_a_buurtcode() -> None:
    df = text_frame(f"{H};postcode;buurtcode\nT1;A;Lokalis;buurtteam;9992;BU03440101")
    with pytest.raises(InputError) as err:
        validate("teams", df, name="t", reference=reference())
    (p,) = err.value.problems
    assert (p.code, p.row, p.column) == ("POSTCODE_POSTBUS", 2, "postcode")
    assert "9992 (Teststad)" in p.nl


def test_a_postcode_outside_the_gemeente_names_where_it_is() -> None:
    # 9993's centre (150000, 455000) is east of the grid (x ≤ 136300, y 455000–455300): 150000 − 136300 = 13,700 m.
    df = text_frame(f"{H};postcode\nT1;A;Lokalis;buurtteam;9993")
    with pytest.raises(InputError) as err:
        validate("teams", df, name="t", reference=reference())
    (p,) = err.value.problems
    assert p.code == "POSTCODE_OUTSIDE"
    assert "9993 (Elders, gemeente Elders)" in p.nl
    assert "13700 m" in p.nl


def test_without_the_pc4_table_a_postcode_team_without_buurtcode_is_refused_once() -> None:
    df = text_frame(f"{H};postcode\nT1;A;Lokalis;buurtteam;9991\nT2;B;Lokalis;buurtteam;9996")
    ref = reference().with_places(postcodes=PostcodeTable(Path("/nonexistent/pc4.csv")))
    with pytest.raises(InputError) as err:
        validate("teams", df, name="t", reference=ref)
    assert [(p.code, p.row) for p in err.value.problems] == [("POSTCODE_TABLE_MISSING", None)]
    assert "/nonexistent/pc4.csv" in err.value.problems[0].nl


@pytest.mark.parametrize(
    "header",
    [
        "team_id;naam;organisatie;soort;Postal code;House number",
        "team_id;naam;organisatie;soort;ZIP;Nr",
        "team_id;naam;organisatie;soort;Postcode;Huisnummer",
    ],
)
def test_address_headers_in_dutch_and_english(header: str) -> None:
    got = validate(
        "teams", text_frame(f"{header}\nT1;A;Lokalis;buurtteam;9991 AB;12"), name="t", reference=reference()
    ).frame
    assert got["locatie_bron"].tolist() == ["postcode4"]


def test_an_address_without_postcode_needs_the_geocoder() -> None:
    df = text_frame(f"{H};Straatnaam;Huisnummer;Woonplaats\nT1;A;Lokalis;buurtteam;Teststraat;1;Teststad")
    with pytest.raises(InputError) as err:
        validate("teams", df, name="t", reference=reference())
    (p,) = err.value.problems
    assert (p.code, p.column) == ("ADDRESS_NOT_PLACED", "Straatnaam")
    assert "--geocode pdok" in p.nl
    assert "Teststraat, 1, Teststad" in p.en


# ---------------------------------------------------------------- PDOK, from recorded answers


@dataclass
class Recorder:
    """A fetch that answers from recorded bodies by query, and remembers what it was asked."""

    bodies: dict[str, bytes] = field(default_factory=dict)
    fail: Exception | None = None
    urls: list[str] = field(default_factory=list)

    def __call__(self, url: str, timeout: float) -> bytes:
        self.urls.append(url)
        if self.fail is not None:
            raise self.fail
        from urllib.parse import parse_qs, urlsplit

        q = parse_qs(urlsplit(url).query)["q"][0]
        return self.bodies.get(q, recorded("free_no_match.json"))


# The Bolognalaan document's centroide_rd is (140547.812, 454887.397): a grid with its south-west corner at
# (140500, 454800) has it in r1c1 (x 140500–140600, y 454800–454900). PC4 3584's stand-in centre for these tests
# is put at (140650, 454850), in r1c2, so a fallback to the postcode is visible.
BOLOGNA = (140547.812, 454887.397)
ORIGIN = (140500.0, 454800.0)


def _science_park(fetch: Recorder, cache: Path) -> CareReference:
    lat, lon = latlon(140650.0, 454850.0, 7)
    gdf = utrecht_grid(origin=ORIGIN)
    ref = CareReference.from_frames(gdf, utrecht_grid_wijken(gdf), year=2024, source="grid at the Science Park")
    return ref.with_places(
        postcodes=_pc4_table([("3584", "Adres", lat, lon)]), geocoder=PdokGeocoder(cache_path=cache, fetch=fetch)
    )


def test_the_recorded_answer_is_real_shaped_and_self_consistent() -> None:
    from pyproj import Transformer

    (doc,) = response_docs(recorded("free_3584CJ_101.json"))
    assert doc["type"] == "adres"
    assert parse_point(doc["centroide_rd"]) == BOLOGNA
    lon, lat = parse_point(doc["centroide_ll"])  # type: ignore[misc]
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True).transform(lon, lat)
    assert abs(x - BOLOGNA[0]) < 0.01
    assert abs(y - BOLOGNA[1]) < 0.01
    url = request_url(address_query(postcode="3584 CJ", huisnummer="101"))  # type: ignore[arg-type]
    assert url.startswith(
        "https://api.pdok.nl/bzk/locatieserver/search/v3_1/free?q=3584CJ+101&fq=type%3Aadres&rows=5&fl=id%2Ctype"
    )


def test_a_team_at_an_address_is_placed_by_pdok_and_asked_once(tmp_path: Path) -> None:
    fetch = Recorder({"3584CJ 101": recorded("free_3584CJ_101.json")})
    cache = tmp_path / "cache.json"
    df = text_frame(f"{H};postcode;huisnummer\nT1;A;Lokalis;buurtteam;3584 cj;101\nT2;B;KOOS;buurtteam;3584CJ;101")
    checked = validate("teams", df, name="t.csv", reference=_science_park(fetch, cache))
    got = checked.frame
    assert got["locatie_bron"].tolist() == ["adres (PDOK)", "adres (PDOK)"]
    assert got["locatie_detail"].tolist() == ["Bolognalaan 101, 3584CJ Utrecht"] * 2
    assert (got["x"].iat[0], got["y"].iat[0]) == BOLOGNA
    assert place_teams(got, utrecht_grid(origin=ORIGIN))["buurtcode"].tolist() == ["BU03440101", "BU03440101"]
    assert len(fetch.urls) == 1  # two rows, one address
    assert (
        "locatie adres Bolognalaan 101, 3584CJ Utrecht (adrespunt uit de BAG via PDOK, op enkele meters)"
        in checked.notes[-2]
    )

    # A rebuild asks nothing: the cache answers, even when the network is down.
    assert list(read_cache(cache)) == ["3584cj 101"]
    offline = Recorder(fail=urllib.error.URLError("no network"))
    ref = _science_park(offline, cache)
    again = validate("teams", df, name="t.csv", reference=ref).frame
    assert offline.urls == []
    assert (again["x"].iat[0], again["y"].iat[0]) == BOLOGNA
    assert ref.geocoder.summary()["from_cache"] == 1  # type: ignore[union-attr]


def test_street_and_place_are_enough_for_pdok(tmp_path: Path) -> None:
    fetch = Recorder({"Bolognalaan 101 utrecht": recorded("free_3584CJ_101.json")})  # asked as typed
    df = text_frame(f"{H};straat;plaats\nT1;A;Lokalis;buurtteam;Bolognalaan 101;utrecht")
    got = validate("teams", df, name="t", reference=_science_park(fetch, tmp_path / "c.json")).frame
    assert got["locatie_bron"].tolist() == ["adres (PDOK)"]


def test_pdok_unreachable_falls_back_to_the_postcode_and_says_so(tmp_path: Path) -> None:
    fetch = Recorder(fail=urllib.error.URLError("Name or service not known"))
    df = text_frame(f"{H};postcode;huisnummer\nT1;A;Lokalis;buurtteam;3584CJ;101\nT2;B;Lokalis;buurtteam;3584CJ;103")
    ref = _science_park(fetch, tmp_path / "c.json")
    checked = validate("teams", df, name="t.csv", reference=ref)
    assert checked.frame["locatie_bron"].tolist() == ["postcode4", "postcode4"]
    assert checked.frame["x"].round(1).tolist() == [140650.0, 140650.0]
    assert len(fetch.urls) == 1  # after the first failure nothing more is asked
    fallbacks = [n for n in checked.notes if "niet opgezocht" in n]
    assert len(fallbacks) == 2
    assert (
        "t.csv, rij/row 2 (T1): adres '3584 CJ 101' niet opgezocht (PDOK Locatieserver niet bereikbaar (Name or service "
        "not known)); geplaatst op de postcode / address '3584 CJ 101' not looked up" in fallbacks[0]
    )
    assert not (tmp_path / "c.json").exists()  # a failure is never cached
    assert ref.geocoder.summary()["failed"] == 2  # type: ignore[union-attr]


def test_pdok_guessing_another_address_is_not_taken(tmp_path: Path) -> None:
    # Asked for number 103, PDOK's best (recorded) document is number 101: another building, so not ours.
    fetch = Recorder({"3584CJ 103": recorded("free_3584CJ_101.json")})
    df = text_frame(f"{H};postcode;huisnummer\nT1;A;Lokalis;buurtteam;3584CJ;103")
    checked = validate("teams", df, name="t", reference=_science_park(fetch, tmp_path / "c.json"))
    assert checked.frame["locatie_bron"].tolist() == ["postcode4"]
    assert any(
        "niet gevonden (PDOK kent dit adres niet; beste treffer van PDOK: 'Bolognalaan 101, 3584CJ Utrecht')" in n
        for n in checked.notes
    )
    answer = answer_from_docs(
        response_docs(recorded("free_3584CJ_101.json")), address_query(postcode="3584CJ", huisnummer="103")
    )  # type: ignore[arg-type]
    assert answer.status == "not_found"


def test_an_address_pdok_cannot_find_and_no_postcode_is_a_problem(tmp_path: Path) -> None:
    fetch = Recorder()  # every query gets the empty answer
    df = text_frame(f"{H};straat;huisnummer;plaats\nT1;A;Lokalis;buurtteam;Nergensstraat;9;Utrecht")
    with pytest.raises(InputError) as err:
        validate("teams", df, name="t", reference=_science_park(fetch, tmp_path / "c.json"))
    (p,) = err.value.problems
    assert p.code == "ADDRESS_NOT_PLACED"
    assert "PDOK kent dit adres niet" in p.nl


def test_a_geocoded_address_outside_the_gemeente_is_location_outside(tmp_path: Path) -> None:
    # Lijsterstraat 20 in Amersfoort, (155990.61, 464256.19): far from the Science Park grid.
    fetch = Recorder({"3815DT 20": recorded("free_3815DT_20.json")})
    df = text_frame(f"{H};postcode;huisnummer\nT1;A;Lokalis;buurtteam;3815 DT;20")
    with pytest.raises(InputError) as err:
        validate("teams", df, name="t", reference=_science_park(fetch, tmp_path / "c.json"))
    (p,) = err.value.problems
    assert (p.code, p.column) == ("LOCATION_OUTSIDE", "postcode")
    assert "Lijsterstraat 20, 3815DT Amersfoort" in p.nl


def test_rows_with_coordinates_are_never_looked_up(tmp_path: Path) -> None:
    fetch = Recorder({"3584CJ 101": recorded("free_3584CJ_101.json")})
    df = text_frame(f"{H};x;y;postcode;huisnummer\nT1;A;Lokalis;buurtteam;140550;454850;3584CJ;101")
    got = validate("teams", df, name="t", reference=_science_park(fetch, tmp_path / "c.json")).frame
    assert got["locatie_bron"].tolist() == ["rd"]
    assert fetch.urls == []


def test_a_broken_cache_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    cache = tmp_path / "c.json"
    cache.write_text("{not json", encoding="utf-8")
    df = text_frame(f"{H};postcode;huisnummer\nT1;A;Lokalis;buurtteam;3584CJ;101")
    with pytest.raises(InputError) as err:
        validate("teams", df, name="t", reference=_science_park(Recorder(), cache))
    assert err.value.problems[0].code == "GEOCODE_CACHE_INVALID"
    assert "Verwijder het" in err.value.problems[0].nl


def test_the_cache_file_keeps_pdoks_documents(tmp_path: Path) -> None:
    cache = tmp_path / "sub" / "c.json"
    geocoder = PdokGeocoder(cache_path=cache, fetch=Recorder({"3584CJ 101": recorded("free_3584CJ_101.json")}))
    (answer,) = geocoder.lookup([address_query(postcode="3584CJ", huisnummer="101")]).values()  # type: ignore[list-item]
    assert answer.found
    stored = json.loads(cache.read_text(encoding="utf-8"))
    assert stored["version"] == 1
    assert stored["answers"]["3584cj 101"]["q"] == "3584CJ 101"
    assert stored["answers"]["3584cj 101"]["docs"][0]["centroide_rd"] == "POINT(140547.812 454887.397)"


def test_grid_fixture_table_is_what_the_rules_see() -> None:
    # Guard for the fixtures above: 9994/9995 share one point, 9991 has its own.
    shared = grid_postcodes().frame["shared"]
    assert (shared["9994"], shared["9995"], shared["9991"]) == (2, 2, 1)
