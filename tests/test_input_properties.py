"""Every file input, fed anything: accepted or InputError, never another exception — and one verdict for the CLI and the upload page.

For teams, providers and caseloads a file goes both ways: ``etl.rules.check.check_file`` (what ``buurtdekking
validate`` runs) and ``dashboard.uploads.check`` (the upload page's function), with the upload page's limits
on both so that only the page's own security checks (formulas, control characters, file type; codes
``UPLOAD_*``) may differ; without those, both must name the same problems (code, row, column). The boundary
readers (``geodata.cbs`` attribute tables, ``geodata.statistics``) and the number and period parsers get the
same treatment. Budgets: the CI profile (tests/conftest.py) runs a fixed, small sequence; ``HYPOTHESIS_PROFILE=
explore`` runs ``max_examples`` of that profile for every test here.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import math
import random
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from care_fixtures import latlon, utrecht_grid, utrecht_grid_wijken
from fuzz_inputs import EXAMPLES, MUTATIONS, REPO
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from shapely.geometry import box

from dashboard.uploads import check as upload_check
from etl.care import validate_caseloads_frame, validate_providers_frame, validate_teams_frame
from etl.inputs import KINDS
from etl.rules import CareReference, validate
from etl.rules.caseloads import parse_period
from etl.rules.check import check_file
from etl.rules.columns import ALIASES
from etl.upload import UploadLimits
from geodata.cbs import PDOK_2021, SHAPEFILE_ERA, boundaries_from_layers
from geodata.errors import InputError
from geodata.statistics import read_statistics, tidy_statistics
from geodata.tables import ROW_INDEX, infer_decimal, parse_number, parse_numbers, read_table_bytes

GRID = utrecht_grid()
WIJKEN = utrecht_grid_wijken(GRID)
REFERENCE = CareReference.from_frames(GRID, WIJKEN, source="atlas")
VIEW = SimpleNamespace(buurten=GRID, wijken=WIJKEN)  # all the upload page's check reads of an AtlasView
LIMITS = UploadLimits()
UPLOAD_ONLY = ("UPLOAD_",)  # the page's own checks; everything else must be the same through both paths
VALIDATE_FRAME: dict[str, Callable[..., Any]] = {
    "teams": validate_teams_frame,
    "providers": validate_providers_frame,
    "caseloads": validate_caseloads_frame,
}
WORK = Path(tempfile.mkdtemp(prefix="buurtdekking-properties-"))
T = TypeVar("T")


def budget(n: int) -> settings:
    """``n`` examples in CI (derandomized there); the loaded profile's max_examples otherwise."""
    ci = settings.get_current_profile_name() == "ci"
    return settings(
        max_examples=n if ci else settings.default.max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# ---------------------------------------------------------------- the two paths


def attempt(call: Callable[[], T]) -> T | InputError:
    """The result, or the InputError that is the only other allowed outcome (any other exception fails the test)."""
    try:
        return call()
    except InputError as exc:
        return exc


def both_paths(kind: str, data: bytes, suffix: str) -> tuple[set[tuple[str, int | None, str | None]], Any]:
    """The problems (code, row, column) of the CLI path, after asserting both paths agree; and the upload report."""
    path = WORK / f"input{suffix}"
    path.write_bytes(data)
    report = check_file(kind, path, reference=REFERENCE, limits=LIMITS.table())
    upload = upload_check(VIEW, data, name=f"input{suffix}", kind=kind, limits=LIMITS)  # type: ignore[arg-type]
    for p in upload.problems:
        assert p.code != "UPLOAD_INVALID", p.format()  # "could not be checked": a bug, not an answer
        assert p.nl, p
        assert p.en, p
        assert p.nl != p.en, p
    cli = {(p.code, p.row, p.column) for p in report.problems}
    page = {(p.code, p.row, p.column) for p in upload.problems}
    if not any(p.code.startswith(UPLOAD_ONLY) for p in upload.problems):
        assert cli == page, (sorted(cli, key=str), sorted(page, key=str))
        assert report.valid == upload.ok
    else:
        assert not upload.ok
    return cli, upload


# ---------------------------------------------------------------- strategies: files


_CODES = [
    *GRID["buurtcode"],
    "bu03440101",
    "0344 0102",
    "3440103",
    "3440201.0",
    "BU03449999",
    "BU0344011",
    *WIJKEN["wijkcode"],
    "WK034499",
    "Buurt r1c1",
    "buurt r2c2",
    "Wijk 1",
    "Lombok",
]
_LAT, _LON = latlon(136150.0, 455150.0)
_VALUES: dict[str, list[str]] = {
    "teams": [
        "T1",
        "T2",
        "t1",
        "Team A",
        "Lokalis",
        "KOOS",
        "spoor030",
        "buurtteam",
        "Specialistisch",
        "wijkteam",
        str(_LAT),
        str(_LON),
        str(_LAT).replace(".", ","),
        "136150",
        "455150",
        "455150,5",
        "150000",
        "12,5",
        "8",
        "-1",
        "veel",
    ],
    "providers": ["KOOS", "Spoor030", "Spor030", "Lokalis", "West"],
    "caseloads": [
        "2024",
        "2023",
        "2024-Q1",
        "Q5 2024",
        "2024/3",
        "vorig jaar",
        "totaal",
        "buurtteam",
        "specialistisch",
        "verblijf",
        "jeugdbescherming",
        "thuiszorg",
        "huisarts",
        "GP",
        "wijkteam",
        "huisart",
        "3",
        "0",
        "12",
        "2,5",
        "-2",
        "<5",
        "x",
        "-",
        ".",
        "1e309",
        "NaN",
        "inf",
        "123456789012345678901234567890",
        "1.000",
        "1,234",
    ],
}
_NUMBERISH = ["", "", "", "1e309", "-1e309", "NaN", "inf", "٣", "0x1F", "+5", "1,5", "1.5", " 7 ", "1 000"]


def cells(kind: str) -> st.SearchStrategy[str]:
    plausible = st.sampled_from([*_CODES, *_VALUES[kind], *_NUMBERISH])
    junk = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
    return st.one_of(plausible, plausible, junk, st.sampled_from(['"', '""', ";", ",", "\t", "=1+1", "a\nb", "é"]))


def headers(kind: str) -> st.SearchStrategy[list[str]]:
    names = [n for canonical, aliases in ALIASES[kind].items() for n in (canonical, *aliases[:2])]
    required = {
        "teams": ["team_id", "naam", "organisatie", "soort", "buurtcode"],
        "providers": ["wijkcode", "buurtcode", "aanbieder"],
        "caseloads": ["buurtcode", "periode", "totaal", "buurtteam"],
    }[kind]
    return st.one_of(
        st.lists(st.sampled_from([*names, "", "opmerking", "Naam"]), min_size=1, max_size=9),
        st.permutations(required).map(list),
        st.permutations([*required, "soort", "aantal"] if kind == "caseloads" else [*required, "x", "y"]).map(list),
    )


@st.composite
def table_files(draw: st.DrawFn, kind: str) -> tuple[bytes, str]:
    """A table as people send them (or nearly): CSV in any delimiter, quoting, encoding, line end; or XLSX."""
    header = draw(headers(kind))
    n_rows = draw(st.integers(0, 8))
    rows = []
    for _ in range(n_rows):
        width = len(header) + draw(st.sampled_from([0, 0, 0, 0, 0, 1, -1]))
        rows.append([draw(cells(kind)) for _ in range(max(width, 0))])
    form = draw(st.sampled_from(["csv", "csv", "csv", "raw", "xlsx"]))
    if form == "xlsx":
        book = Workbook()
        ws = book.active
        assert ws is not None
        for row in [header, *rows]:
            typed: list[object] = [_typed(v, draw) for v in row]
            try:
                ws.append(typed)
            except Exception:  # openpyxl refuses control characters in strings; such a workbook cannot exist
                ws.append([v if not isinstance(v, str) else "".join(ch for ch in v if ch >= " ") for v in typed])
        buf = io.BytesIO()
        book.save(buf)
        return buf.getvalue(), ".xlsx"
    delim = draw(st.sampled_from([";", ",", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if form == "csv":
        out = io.StringIO()
        csv.writer(out, delimiter=delim, lineterminator=newline).writerows([header, *rows])
        text = out.getvalue()
    else:  # joined by hand: a cell holding the delimiter or a quote breaks the row, as in a hand-made file
        text = newline.join(delim.join(r) for r in [header, *rows]) + draw(st.sampled_from(["", newline]))
    if draw(st.booleans()) and len(text) > 2:
        text = text[: draw(st.integers(1, len(text) - 1))]  # cut off
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return text.encode(encoding, errors="replace"), draw(st.sampled_from([".csv", ".txt", ".tsv"]))


def _typed(value: str, draw: st.DrawFn) -> object:
    """A workbook cell: the text, or the number, boolean, date or empty cell Excel would have made of it."""
    choice = draw(st.integers(0, 5))
    if choice == 0:
        try:
            number = float(value.replace(",", "."))
            return int(number) if number.is_integer() and abs(number) < 1e15 else number
        except ValueError:
            return value
    if choice == 1:
        return None
    if choice == 2:
        return draw(st.sampled_from([True, False, dt.datetime(2024, 3, 1), dt.date(2024, 1, 1), 1e308, -0.0, 2**62]))
    return value


@st.composite
def mutated_examples(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """One of examples/ through one or two of the fuzzer's 21 mutations (tests/fuzz_inputs.py)."""
    name = draw(st.sampled_from(sorted(EXAMPLES)))
    rng = random.Random(draw(st.integers(0, 2**32)))
    data = (REPO / "examples" / name).read_bytes()
    chosen = draw(st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=2))
    for m in chosen:
        try:
            data = MUTATIONS[m](data, rng)
        except Exception:  # an earlier mutation left nothing the next can split; keep the file as it is
            break
    suffix = ".xlsx" if data.startswith(b"PK\x03\x04") else Path(name).suffix
    return EXAMPLES[name], data, suffix


# ---------------------------------------------------------------- the reader


def _assert_text_frame(df: pd.DataFrame) -> None:
    assert df.index.name == ROW_INDEX
    assert df.index.is_monotonic_increasing
    assert df.index.is_unique
    assert len(df) == 0 or df.index[0] >= 2
    for column in df.columns:
        assert isinstance(column, str)
        assert column == column.strip()
        assert all(isinstance(v, str) for v in df[column]), column
        assert all(v == v.strip() for v in df[column]), column


@budget(150)
@given(data=st.binary(max_size=2048))
@example(data="a\tb\r\n1\t2\r\n".encode("utf-16"))  # Dutch Excel "Unicode-tekst"
@example(data=b"a;b\n1;2;3\n")
@example(data=b'a;b\n1;"open\n')
def test_reader_any_bytes_is_a_text_frame_or_input_error(data: bytes) -> None:
    df = attempt(lambda: read_table_bytes(data, name="any.csv"))
    if isinstance(df, InputError):
        assert all(p.code and p.nl and p.en and p.file == "any.csv" for p in df.problems)
        return
    _assert_text_frame(df)


@budget(120)
@given(file=table_files("caseloads"))
def test_reader_tables_are_text_frames_or_input_errors(file: tuple[bytes, str]) -> None:
    data, suffix = file
    try:
        df = read_table_bytes(data, name=f"t{suffix}", limits=LIMITS.table())
    except InputError:
        return
    _assert_text_frame(df)


# ---------------------------------------------------------------- teams, providers, caseloads: CLI = upload page


@pytest.mark.parametrize("kind", KINDS)
@budget(60)
@given(data=st.data())
def test_table_files_same_verdict_on_cli_and_upload_page(kind: str, data: st.DataObject) -> None:
    content, suffix = data.draw(table_files(kind))
    both_paths(kind, content, suffix)


@pytest.mark.parametrize("kind", KINDS)
@budget(25)
@given(content=st.binary(max_size=1024), suffix=st.sampled_from([".csv", ".xlsx", ".tsv"]))
def test_any_bytes_same_verdict_on_cli_and_upload_page(kind: str, content: bytes, suffix: str) -> None:
    both_paths(kind, content, suffix)


@budget(80)
@given(mutated=mutated_examples())
def test_mutated_examples_same_verdict_on_cli_and_upload_page(mutated: tuple[str, bytes, str]) -> None:
    kind, content, suffix = mutated
    both_paths(kind, content, suffix)


# ---------------------------------------------------------------- any table straight into the rules


def any_cell() -> st.SearchStrategy[object]:
    return st.one_of(
        st.none(),
        st.just(np.nan),
        st.just(pd.NA),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.binary(max_size=8),
        st.text(max_size=12),
        st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=2),  # lone surrogates
        st.sampled_from([*_CODES, *_VALUES["teams"], *_VALUES["caseloads"], *_VALUES["providers"], "9" * 400]),
        st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    )


@st.composite
def any_frames(draw: st.DrawFn, kind: str) -> pd.DataFrame:
    columns = draw(headers(kind))
    n = draw(st.integers(0, 6))
    values = {i: [draw(any_cell()) for _ in range(n)] for i in range(len(columns))}
    df = pd.DataFrame(values, dtype=object)
    df.columns = columns  # duplicates and empty names included
    if draw(st.booleans()):
        df.index = pd.Index([7] * n)  # a frame glued together elsewhere: one index label for every row
    return df


@pytest.mark.parametrize("kind", KINDS)
@budget(60)
@given(data=st.data())
def test_any_frame_into_the_rules_is_validated_or_input_error(kind: str, data: st.DataObject) -> None:
    df = data.draw(any_frames(kind))
    checked = attempt(lambda: validate(kind, df, name="frame", reference=REFERENCE))
    if isinstance(checked, InputError):
        assert all(p.code and p.nl and p.en for p in checked.problems)
    with contextlib.suppress(InputError):
        VALIDATE_FRAME[kind](df, name="frame", gdf_buurten=GRID, gdf_wijken=WIJKEN)


# ---------------------------------------------------------------- numbers and periods


@budget(200)
@given(
    values=st.lists(
        st.one_of(any_cell(), st.sampled_from(_NUMBERISH), st.from_regex(r"-?[0-9.,]{1,9}", fullmatch=True)),
        max_size=12,
    ),
    decimal=st.sampled_from([",", "."]),
)
def test_number_parsers_agree_and_only_refuse_with_value_error(values: list[object], decimal: str) -> None:
    assert infer_decimal(values) in {",", "."}
    column = pd.Series(values, dtype=object)
    numbers, bad = parse_numbers(column, decimal=decimal)
    for v, got, is_bad in zip(values, numbers, bad, strict=True):
        try:
            expected = parse_number(v, decimal=decimal)
        except ValueError:
            assert is_bad, v
            assert math.isnan(got)
            continue
        assert not is_bad, v
        assert (math.isnan(got) and expected is None) or got == expected, (v, got, expected)
        assert expected is None or math.isfinite(expected)


@budget(200)
@given(value=st.one_of(any_cell(), st.from_regex(r"[QqKk]?[0-9]{1,4}[-/ Qq]?[0-9]{0,2}", fullmatch=True)))
def test_parse_period_reads_or_says_none(value: object) -> None:
    period = parse_period(value)
    assert period is None or period[:4].isdigit()


# ---------------------------------------------------------------- the boundaries' attribute tables


@st.composite
def kwb_tables(draw: st.DrawFn) -> pd.DataFrame:
    """A CBS Kerncijfers table (any cells), codes of this gemeente or not, with CBS's and other column names."""
    names = draw(
        st.lists(
            st.sampled_from(
                [
                    "gwb_code_10",
                    "gwb_code",
                    "GWB_CODE",
                    "regio",
                    "gm_naam",
                    "a_inw",
                    "aantal_inwoners",
                    "a_00_14",
                    "p_jz_tn",
                    "code",
                    "niveau",
                    "naam",
                    "recs",
                    "x",
                    "",
                ]
            ),
            min_size=1,
            max_size=8,
        )
    )
    n = draw(st.integers(0, 6))
    code = st.sampled_from(["GM0344", "WK034401", "BU03440101", "BU0344010", "bu03440102", "XX", "", "GM0999"])
    columns = {
        i: [
            draw(
                code
                if name.lower().startswith("gwb")
                else st.one_of(any_cell(), st.sampled_from([".", "x", "-", "1e309"]))
            )
            for _ in range(n)
        ]
        for i, name in enumerate(names)
    }
    df = pd.DataFrame(columns, dtype=object)
    df.columns = names
    return df


@budget(120)
@given(raw=kwb_tables(), gemeenten=st.sampled_from([("GM0344",), None]))
def test_statistics_table_is_tidy_or_input_error(raw: pd.DataFrame, gemeenten: tuple[str, ...] | None) -> None:
    try:
        out = tidy_statistics(raw, source="kwb.csv", gemeenten=gemeenten)
    except InputError:
        return
    assert {"code", "niveau", "naam", "gemeentecode"} <= set(out.columns)
    assert not out.columns.duplicated().any()


@budget(40)
@given(content=st.one_of(st.binary(max_size=512), table_files("caseloads").map(lambda f: f[0])))
def test_statistics_file_is_read_or_input_error(content: bytes) -> None:
    path = WORK / "kwb-2024.csv"
    path.write_bytes(content)
    with contextlib.suppress(InputError):
        read_statistics(path, gemeenten=None)


def _attribute_values() -> st.SearchStrategy[object]:
    return st.one_of(any_cell(), st.sampled_from([-99999997, -99999999, -99997, 0, "JA", "NEE", "2024BU03440101"]))


@st.composite
def boundary_layers(draw: st.DrawFn) -> gpd.GeoDataFrame:
    """A buurt layer of a known CBS schema whose attribute table holds anything, on the 3×3 grid."""
    family = draw(st.sampled_from([PDOK_2021, SHAPEFILE_ERA]))
    n = draw(st.integers(1, 6))
    codes = draw(
        st.lists(
            st.sampled_from([*GRID["buurtcode"], "BU0344", "", "bu03440101", None, 3440102.0]), min_size=n, max_size=n
        )
    )
    upper = family is SHAPEFILE_ERA
    data: dict[str, list[object]] = {family.columns["buurtcode"]: codes}
    for canonical in draw(
        st.lists(st.sampled_from(["buurtnaam", "wijkcode", "wijknaam", "gemeentecode", "gemeentenaam"]), unique=True)
    ):
        data[family.columns[canonical]] = [draw(_attribute_values()) for _ in range(n)]
    for extra in draw(
        st.lists(
            st.sampled_from(["water", "aant_inw", "a_inw", "opp_land", "jaarstatcode", "id", "Water", "x"]), unique=True
        )
    ):
        data[extra] = [draw(_attribute_values()) for _ in range(n)]
    frame = pd.DataFrame({(k.upper() if upper else k): v for k, v in data.items()}, dtype=object)
    geometry = [box(136000 + 100 * i, 455000, 136100 + 100 * i, 455100) for i in range(n)]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=draw(st.sampled_from(["EPSG:28992", None])))


@budget(80)
@given(layer=boundary_layers(), gemeenten=st.sampled_from([("GM0344",), None, ("GM0999",)]))
def test_boundary_attribute_tables_are_normalised_or_input_error(
    layer: gpd.GeoDataFrame, gemeenten: tuple[str, ...] | None
) -> None:
    family = PDOK_2021 if "buurtcode" in layer.columns else SHAPEFILE_ERA
    out = attempt(
        lambda: boundaries_from_layers({"buurt": (None, layer, family)}, source="grenzen.gpkg", gemeenten=gemeenten)
    )
    if isinstance(out, InputError):
        assert all(p.code and p.nl and p.en for p in out.problems)
        return
    assert out.buurten["buurtcode"].str.fullmatch(r"BU\d{8}").all()
    assert str(out.buurten.crs).upper().endswith("28992")


@pytest.fixture(scope="module", autouse=True)
def _workdir() -> Iterator[None]:
    yield
    for p in WORK.iterdir():
        p.unlink()
    WORK.rmdir()
