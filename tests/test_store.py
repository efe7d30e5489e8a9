"""The atlas store: the same atlas in a GeoPackage directory and in a PostGIS schema, switched atomically."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pytest
from shapely.geometry import MultiPolygon, Point, box

from etl.atlas import ATLAS_FILE, FORMAT
from etl.store import GpkgStore, PostgisStore, open_store, store_key
from etl.store.postgis import content_sha256, parse_url, promote_to_multi
from geodata.errors import InputError

REPO = Path(__file__).resolve().parent.parent
X0, Y0 = 136000.0, 455000.0
CACHE = b"\x00\x01 travel cache \xff"


def tiny_layers(tag: str = "a") -> dict[str, pd.DataFrame]:
    """Two buurten (a square and a two-square multipolygon), one team, a plain table: every dtype the atlas uses."""
    buurten = gpd.GeoDataFrame(
        {
            "buurtcode": pd.Series(["BU99990101", "BU99990102"], dtype="str"),
            "buurtnaam": pd.Series([f"Noord {tag}", None], dtype="str"),
            "youth_population": [120.0, np.nan],
            "inwoners": np.array([1000, 2000], dtype="int64"),
            "water": [False, True],
            # Built frames hold pandas' nullable types and empty columns; both stores read them back alike.
            "status": pd.Series(["ok", pd.NA], dtype="string"),
            "teams_in_buurt": pd.Series([3, pd.NA], dtype="Int64"),
            "gi_z": [np.nan, np.nan],
            "note": pd.Series([None, None], dtype="str"),
        },
        geometry=[
            box(X0, Y0, X0 + 100, Y0 + 100),
            MultiPolygon([box(X0 + 100, Y0, X0 + 200, Y0 + 100), box(X0 + 300, Y0, X0 + 400, Y0 + 100)]),
        ],
        crs="EPSG:28992",
    )
    teams = gpd.GeoDataFrame(
        {"team_id": ["BT-01"], "capaciteit_fte": [4.5]}, geometry=[Point(X0 + 50.25, Y0 + 50.125)], crs="EPSG:28992"
    )
    coverage = pd.DataFrame(
        {
            "niveau": pd.Series(["buurt", "buurt", "wijk"], dtype="str"),
            "code": pd.Series(["BU99990102", "BU99990101", None], dtype="str"),
            "aandeel": [0.25, 1.0, np.nan],
            "rang": np.array([2, 1, 3], dtype="int64"),
        }
    )
    return {"buurten": buurten, "teams": teams, "coverage": coverage}


MANIFEST: dict[str, Any] = {
    "created": "2026-01-02T03:04:05+00:00",
    "gemeenten": ["GM9999"],
    "cbs_year": 2024,
    "demo": True,
    "methods": {"z": {"x": 1}, "a": [1.5, None, "tekst é"]},
}


@pytest.fixture(params=["gpkg", "postgis"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store of each kind: a directory, or a schema of its own in the session's PostgreSQL."""
    if request.param == "gpkg":
        return str(tmp_path / "atlas")
    url: str = request.getfixturevalue("postgis_url")
    return f"{url}?schema=t_{secrets.token_hex(4)}"


def as_read(frame: pd.DataFrame) -> pd.DataFrame:
    """What reading a layer back gives, derived by hand from the GeoPackage reader: text is str (object when the
    column is empty), a nullable integer with a gap float64, and a Polygon beside MultiPolygons a MultiPolygon."""
    out = frame.copy()
    for column, dtype in frame.dtypes.items():
        if str(dtype) in ("str", "string") and frame[column].isna().all():
            out[column] = frame[column].astype(object)
        elif str(dtype) == "string":
            out[column] = frame[column].astype("str")
        elif str(dtype) == "Int64":
            out[column] = (
                frame[column].astype("float64") if frame[column].isna().any() else frame[column].astype("int64")
            )
    if isinstance(out, gpd.GeoDataFrame):
        out = out.set_geometry(promote_to_multi(out.geometry))
    return out


def assert_same_layer(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert type(got) is type(expected)
    assert list(got.columns) == list(expected.columns)
    assert {c: str(d) for c, d in got.dtypes.items()} == {c: str(d) for c, d in expected.dtypes.items()}
    if isinstance(expected, gpd.GeoDataFrame):
        assert isinstance(got, gpd.GeoDataFrame)
        assert got.crs is not None
        assert got.crs.to_epsg() == 28992
        assert list(got.geom_type) == list(expected.geom_type)
        assert got.geometry.geom_equals_exact(expected.geometry.reset_index(drop=True), tolerance=0).all()
        got, expected = pd.DataFrame(got.drop(columns="geometry")), pd.DataFrame(expected.drop(columns="geometry"))
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True), check_exact=True)


def test_round_trip_keeps_layers_types_values_geometry_manifest_and_files(location: str) -> None:
    store = open_store(location)
    layers = tiny_layers()
    store.write_atlas(layers, MANIFEST, files={"travel_cache.npz": CACHE})
    for name, frame in layers.items():
        assert_same_layer(store.read_layer(name), as_read(frame))
    buurten = store.read_layer("buurten")
    assert buurten["teams_in_buurt"].tolist()[0] == 3.0
    assert str(buurten["gi_z"].dtype) == "float64"
    assert str(buurten["note"].dtype) == "object"
    # Hand-known: the square is 100 m × 100 m, the multipolygon two of them; the second name is missing.
    assert buurten.geometry.area.tolist() == [10_000.0, 20_000.0]
    # Both stores make the square a one-part MultiPolygon beside the other (the GeoPackage writer does).
    assert buurten.geom_type.tolist() == ["MultiPolygon", "MultiPolygon"]
    assert buurten["buurtnaam"].isna().tolist() == [False, True]
    assert store.read_layer("teams").geometry.iloc[0].coords[0] == (X0 + 50.25, Y0 + 50.125)
    assert store.read_layer("coverage")["code"].tolist()[:2] == ["BU99990102", "BU99990101"]  # row order kept
    manifest = store.manifest()
    assert {k: manifest[k] for k in MANIFEST} == MANIFEST
    assert manifest["format"] == FORMAT
    assert list(manifest["layers"]) == ["buurten", "teams", "coverage"]
    assert manifest["layers"]["buurten"] == {
        "rows": 2,
        "columns": [
            "buurtcode",
            "buurtnaam",
            "youth_population",
            "inwoners",
            "water",
            "status",
            "teams_in_buurt",
            "gi_z",
            "note",
        ],
        "crs": "EPSG:28992",
        "geometry_type": ["MultiPolygon", "Polygon"],
    }
    assert manifest["files"]["travel_cache.npz"]["bytes"] == len(CACHE)
    assert store.read_file("travel_cache.npz") == CACHE
    atlas = store.read_atlas(["teams"])
    assert list(atlas.layers) == ["teams"]
    assert atlas.manifest == manifest
    assert list(store.read_atlas().layers) == ["buurten", "teams", "coverage"]


def test_a_rebuild_replaces_the_atlas_and_changes_the_version(location: str) -> None:
    store = open_store(location)
    store.write_atlas(tiny_layers("a"), MANIFEST)
    first = store.version()
    assert store.version() == first  # stable while nothing changes
    time.sleep(0.01)  # a directory's token is the manifest's mtime in ns: make sure the clock moved
    store.write_atlas(tiny_layers("b"), {**MANIFEST, "cbs_year": 2025})
    assert store.version() != first
    assert store.read_layer("buurten")["buurtnaam"].iloc[0] == "Noord b"
    assert store.manifest()["cbs_year"] == 2025
    [info] = [i for i in store.list_atlases() if i.location == store.location]
    assert (info.gemeenten, info.cbs_year, info.demo, info.layers) == (("GM9999",), 2025, True, 3)


def test_a_missing_atlas_layer_or_file_is_an_input_error(location: str) -> None:
    store = open_store(location)
    with pytest.raises(InputError) as missing:
        store.manifest()
    assert missing.value.problems[0].code == "ATLAS_MISSING"
    assert [i for i in store.list_atlases() if i.location == store.location] == []
    store.write_atlas(tiny_layers(), MANIFEST)
    with pytest.raises(InputError) as layer:
        store.read_layer("wijken")
    assert layer.value.problems[0].code == "LAYER_NOT_FOUND"
    assert "buurten, teams, coverage" in layer.value.problems[0].en
    with pytest.raises(InputError) as file:
        store.read_file("travel_cache.npz")
    assert file.value.problems[0].code == "ATLAS_FILE_MISSING"


def test_a_build_failing_after_some_layers_leaves_the_previous_atlas(
    location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(location)
    store.write_atlas(tiny_layers("old"), MANIFEST)
    before = store.version()
    written: list[str] = []

    def fail_on_third(frame: pd.DataFrame, path: Path, *, layer: str) -> None:
        written.append(layer)
        if len(written) == 3:
            raise RuntimeError("disk full")
        original_gpkg(frame, path, layer=layer)

    def fail_on_third_pg(self: PostgisStore, staging: str, position: int, name: str, frame: pd.DataFrame) -> None:
        written.append(name)
        if len(written) == 3:
            raise RuntimeError("disk full")
        original_pg(self, staging, position, name, frame)

    import geodata.io

    original_gpkg = geodata.io.write_layer
    original_pg = PostgisStore._write_layer
    monkeypatch.setattr(geodata.io, "write_layer", fail_on_third)
    monkeypatch.setattr(PostgisStore, "_write_layer", fail_on_third_pg)
    with pytest.raises(RuntimeError, match="disk full"):
        store.write_atlas(tiny_layers("new"), {**MANIFEST, "cbs_year": 2030})
    assert written == ["buurten", "teams", "coverage"]
    assert fresh(location).version() == before
    assert store.read_layer("buurten")["buurtnaam"].iloc[0] == "Noord old"
    assert store.manifest()["cbs_year"] == 2024
    if isinstance(store, PostgisStore):
        assert _schemas(store, store.schema) == [store.schema]  # the staging schema went with the failure


def fresh(location: str) -> Any:
    """A store of its own, so that no version remembered by the shared one (for up to a second) hides a change."""
    return PostgisStore(location) if location.startswith("postgresql") else GpkgStore(location)


def _schemas(store: PostgisStore, prefix: str) -> list[str]:
    dsn = store.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) ORDER BY 1", [prefix])
        return [r[0] for r in rows]


# ---------------------------------------------------------------- PostGIS only


# A build that writes a small layer and then holds still in the middle of its big one, until it is killed.
KILLED_WRITER = textwrap.dedent(
    """
    import sys, time, numpy as np, geopandas as gpd
    from shapely import points
    from etl.store import open_store
    from etl.store.postgis import PostgisStore
    n = 20_000
    xy = np.random.default_rng(1).random((n, 2)) * 1000 + (136000, 455000)
    gdf = gpd.GeoDataFrame({"a": np.arange(n)}, geometry=points(xy), crs="EPSG:28992")
    original = PostgisStore._write_layer
    def slow(self, staging, position, name, frame):
        original(self, staging, position, name, frame)
        if name == "small":
            print("WROTE", staging, flush=True)
            time.sleep(120)
    PostgisStore._write_layer = slow
    open_store(sys.argv[1]).write_atlas({"small": gdf.head(10), "big": gdf}, {"killed": True})
    """
)


def test_a_build_killed_mid_write_leaves_the_atlas_serving_and_the_next_build_cleans_up(postgis_url: str) -> None:
    location = f"{postgis_url}?schema=killed"
    store = open_store(location)
    assert isinstance(store, PostgisStore)
    store.write_atlas(tiny_layers("old"), MANIFEST)
    before = store.version()
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, location], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("WROTE killed__new_"), line
    staging = line.split()[1]
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # The dead build's staging schema is still there (with its first layer); the atlas is the old one.
    assert _schemas(store, "killed") == ["killed", staging]
    assert fresh(location).version() == before
    assert_same_layer(store.read_layer("buurten"), as_read(tiny_layers("old")["buurten"]))
    assert store.manifest()["cbs_year"] == 2024
    # The next build finds its lock free (PostgreSQL let go of it with the dead connection) and removes it.
    deadline = time.monotonic() + 10
    store.write_atlas(tiny_layers("new"), MANIFEST)
    while _schemas(store, "killed") != ["killed"] and time.monotonic() < deadline:
        time.sleep(0.1)  # the server may notice the closed connection a moment after the kill
        store.write_atlas(tiny_layers("new"), MANIFEST)
    assert _schemas(store, "killed") == ["killed"]
    assert store.read_layer("buurten")["buurtnaam"].iloc[0] == "Noord new"


def test_a_live_builds_staging_schema_is_left_alone(postgis_url: str) -> None:
    """Only a dead build's staging goes: one whose session still holds its lock is building right now."""
    store = open_store(f"{postgis_url}?schema=busy")
    assert isinstance(store, PostgisStore)
    dsn = store.url.set(drivername="postgresql").render_as_string(hide_password=False)
    other = "busy__new_0123456789ab"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{other}"')
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", [other])
        store.write_atlas(tiny_layers(), MANIFEST)
        assert _schemas(store, "busy") == ["busy", other]
    store.write_atlas(tiny_layers(), MANIFEST)  # its session ended: now it is a dead build's
    assert _schemas(store, "busy") == ["busy"]


def test_one_database_holds_several_atlases_and_lists_them(postgis_url: str) -> None:
    utrecht = open_store(f"{postgis_url}?schema=utrecht_2024")
    amersfoort = open_store(f"{postgis_url}?schema=amersfoort_2023")
    utrecht.write_atlas(tiny_layers("u"), {**MANIFEST, "gemeenten": ["GM0344"]})
    amersfoort.write_atlas(tiny_layers("a"), {**MANIFEST, "gemeenten": ["GM0307"], "cbs_year": 2023})
    listed = {i.name: i for i in utrecht.list_atlases() if i.name in ("utrecht_2024", "amersfoort_2023")}
    assert listed["utrecht_2024"].gemeenten == ("GM0344",)
    assert listed["amersfoort_2023"].gemeenten == ("GM0307",)
    assert listed["amersfoort_2023"].cbs_year == 2023
    assert listed["amersfoort_2023"].location.endswith("/buurtdekking?schema=amersfoort_2023")
    assert [i.name for i in amersfoort.list_atlases()] == [i.name for i in utrecht.list_atlases()]
    # Each schema is its own atlas.
    assert utrecht.read_layer("buurten")["buurtnaam"].iloc[0] == "Noord u"
    assert amersfoort.read_layer("buurten")["buurtnaam"].iloc[0] == "Noord a"
    assert utrecht.version() != amersfoort.version()


def test_a_schema_holding_something_else_is_never_replaced(postgis_url: str) -> None:
    store = open_store(f"{postgis_url}?schema=theirs")
    assert isinstance(store, PostgisStore)
    dsn = store.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA theirs")
        conn.execute("CREATE TABLE theirs.precious (x int)")
    with pytest.raises(InputError) as exc:
        store.write_atlas(tiny_layers(), MANIFEST)
    assert exc.value.problems[0].code == "STORE_SCHEMA_TAKEN"
    assert _schemas(store, "theirs") == ["theirs"]


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("postgresql://u@h:5432/db?schema=Bad-Name", "STORE_SCHEMA"),
        ("postgresql://u@h:5432/db?schema=a__b", "STORE_SCHEMA"),
        ("postgresql://u@h:5432/", "STORE_URL"),
        ("postgresql://u@h:notaport/db", "STORE_URL"),
        ("mysql://u:geheim@h/db", "STORE_URL"),
        ("postgresql+asyncpg://u@h/db", "STORE_URL"),
    ],
)
def test_a_bad_url_is_an_input_error_without_its_password(url: str, code: str) -> None:
    with pytest.raises(InputError) as exc:
        open_store(url)
    problem = exc.value.problems[0]
    assert problem.code == code
    assert "geheim" not in problem.format()
    assert problem.nl != problem.en


def test_an_unreachable_database_says_so_in_both_languages(tmp_path: Path) -> None:
    from conftest import free_port

    store = open_store(f"postgresql://u:geheim@127.0.0.1:{free_port()}/db?schema=x")
    with pytest.raises(InputError) as exc:
        store.manifest()
    problem = exc.value.problems[0]
    assert problem.code == "STORE_UNREACHABLE"
    assert "niet bereikbaar" in problem.nl
    assert "cannot be reached" in problem.en
    assert "geheim" not in problem.format()
    # The command line prints it as one line and exits 1, no traceback.
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "atlases", "--store", store.location],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "[STORE_UNREACHABLE]" in done.stderr
    assert "Traceback" not in done.stderr


def test_urls_and_paths_pick_their_backend(tmp_path: Path) -> None:
    assert isinstance(open_store(tmp_path), GpkgStore)
    assert isinstance(open_store(str(tmp_path / "atlas")), GpkgStore)
    url, schema = parse_url("postgresql://u:pw@h:5433/db?schema=utrecht_2024&sslmode=disable")
    assert (url.drivername, url.host, url.port, url.database, schema) == (
        "postgresql+psycopg",
        "h",
        5433,
        "db",
        "utrecht_2024",
    )
    assert dict(url.query) == {"sslmode": "disable"}
    assert parse_url("postgres://u@h/db")[1] == "atlas"  # the default schema
    store = open_store("postgresql://u:pw@h/db?schema=s")
    assert store.location == "postgresql://u:***@h/db?schema=s"
    assert store_key(tmp_path / "x" / ".." / "atlas") == str(tmp_path / "atlas")


def test_content_hash_follows_values_and_geometry() -> None:
    layers = tiny_layers()
    same = content_sha256(tiny_layers())
    assert content_sha256(layers) == same
    moved = tiny_layers()
    moved["teams"] = moved["teams"].set_geometry([Point(X0, Y0)], crs="EPSG:28992")
    assert content_sha256(moved) != same
    renamed = tiny_layers("b")
    assert content_sha256(renamed) != same


def test_the_directory_store_writes_what_write_atlas_wrote(tmp_path: Path) -> None:
    """No behaviour change for the default store: the same files, a manifest hashing the GeoPackage."""
    from etl.atlas import sha256_file

    out = tmp_path / "atlas"
    GpkgStore(out).write_atlas(tiny_layers(), MANIFEST, files={"travel_cache.npz": CACHE})
    assert sorted(p.name for p in out.iterdir()) == [ATLAS_FILE, "manifest.json", "travel_cache.npz"]
    assert GpkgStore(out).manifest()["atlas_sha256"] == sha256_file(out / ATLAS_FILE)


# ---------------------------------------------------------------- the real default atlas in both stores


@pytest.fixture(scope="module")
def utrecht_pg(postgis_url: str, data_dir: Path) -> str:
    """The default Utrecht atlas built by `buurtdekking build --store URL` (its GeoPackage twin: conftest's default_atlas)."""
    from cli.main import main

    location = f"{postgis_url}?schema=utrecht_2024"
    assert main(["build", "--store", location, "--data-dir", str(data_dir), "--quiet"]) == 0
    return location


def per_build_removed(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without what differs between any two builds of the same inputs: its timestamps and durations,
    the travel cache's hash (its header holds a timestamp), and the atlas hash (the GeoPackage's is of its file
    bytes, the database's of its layers' contents)."""
    out = {k: v for k, v in manifest.items() if k not in {"created", "build_seconds", "atlas_sha256", "files"}}
    out["methods"] = {**out["methods"], "hotspots": {**out["methods"]["hotspots"], "seconds": None}}
    out["files"] = sorted(manifest.get("files") or {})
    return out


def npz_without_timestamp(data: bytes) -> dict[str, Any]:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays: dict[str, Any] = {k: npz[k].tolist() for k in npz.files}
    arrays["header"] = {k: v for k, v in json.loads(str(arrays["header"])).items() if k != "created"}
    return arrays


@pytest.mark.integration
@pytest.mark.slow
def test_the_default_atlas_built_into_gpkg_and_postgis_has_identical_layers(
    default_atlas: Path, utrecht_pg: str
) -> None:
    gpkg, pg = open_store(default_atlas).read_atlas(), open_store(utrecht_pg).read_atlas()
    # The same layers; GDAL lists a GeoPackage's spatial layers before its tables, PostGIS keeps the build order.
    assert sorted(pg.layers) == sorted(gpkg.layers)
    assert list(pg.layers) == list(pg.manifest["layers"])
    assert len(gpkg.layers) >= 10  # buurten, wijken, teams, hotspots, caseloads, referrals, coverage …
    for name, frame in gpkg.layers.items():
        assert_same_layer(pg[name], frame)
    assert per_build_removed(pg.manifest) == per_build_removed(gpkg.manifest)
    assert list(pg.manifest["files"]) == ["travel_cache.npz"]
    buurten = pg["buurten"]
    assert isinstance(buurten, gpd.GeoDataFrame)
    assert len(buurten) == 111  # Utrecht's buurten in 2024
    cache = open_store(utrecht_pg).read_file("travel_cache.npz")
    assert hashlib.sha256(cache).hexdigest() == pg.manifest["files"]["travel_cache.npz"]["sha256"]
    assert npz_without_timestamp(cache) == npz_without_timestamp((default_atlas / "travel_cache.npz").read_bytes())
    # SRID 28992 on the database's own geometry columns, as QGIS and other clients see it.
    store = open_store(utrecht_pg)
    assert isinstance(store, PostgisStore)
    dsn = store.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        srids = conn.execute("SELECT DISTINCT srid FROM geometry_columns WHERE f_table_schema = 'utrecht_2024'")
        assert [r[0] for r in srids] == [28992]


@pytest.mark.integration
@pytest.mark.slow
def test_the_app_serves_the_same_map_from_postgis_as_from_gpkg(
    default_atlas: Path, utrecht_pg: str, postgis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import page_module
    from plotly.utils import PlotlyJSONEncoder

    from dashboard.app import create_app
    from dashboard.paths import atlas_dir
    from etl.whatif import apply_scenario, load_whatif_base, parse_scenario
    from views.data import get_view
    from views.state import ViewState

    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    served: dict[str, Any] = {}
    for kind, location in (("gpkg", str(default_atlas)), ("postgis", utrecht_pg)):
        app = create_app(location)
        client = app.server.test_client()
        view = get_view(location)
        resp = client.get(f"/geo/{view.token}/buurt.json")
        assert resp.status_code == 200
        kaart = page_module("kaart")
        with app.server.test_request_context("/"):
            assert atlas_dir() == (utrecht_pg if kind == "postgis" else str(default_atlas.resolve()))
            fig, legend, alt, lod, note = kaart.build_figure(
                get_view(atlas_dir()), ViewState(indicator="tt_buurtteam", mode="bike"), "nl"
            )
        figure = fig.to_plotly_json()
        # The one difference by design: the geometry's URL carries the atlas hash (of the file, of the contents).
        assert figure["data"][0]["geojson"] == f"/geo/{view.token}/buurt.json"
        figure["data"][0]["geojson"] = "/geo/TOKEN/buurt.json"
        page = client.get("/bronnen")
        assert page.status_code == 200
        served[kind] = {
            "geojson": resp.data,
            "figure": figure,
            "legend": json.loads(json.dumps(legend, cls=PlotlyJSONEncoder)),  # components compare by identity
            "alt": alt,
            "lod": lod,
            "note": note,
        }
        base = load_whatif_base(location)
        summary = apply_scenario(base, parse_scenario(remove=["LOK-01"])).summary
        served[kind]["whatif"] = {k: v for k, v in summary.items() if k != "seconds"}
    # The sources page lists what the store holds, this atlas marked.
    open_store(f"{postgis_url}?schema=tiny_other").write_atlas(tiny_layers(), MANIFEST)
    app = create_app(utrecht_pg)
    with app.server.test_request_context("/bronnen"):
        sources = json.dumps(page_module("bronnen").layout(taal="nl"), cls=PlotlyJSONEncoder)
    assert "Atlassen in deze opslag" in sources
    assert "utrecht_2024: GM0344, CBS-jaar 2024, gebouwd " in sources
    assert "(deze atlas)" in sources.split("utrecht_2024:")[1].split('"')[0]
    assert "tiny_other: GM9999, CBS-jaar 2024, gebouwd 2026-01-02T03:04:05+00:00" in sources
    assert served["postgis"]["geojson"] == served["gpkg"]["geojson"]
    assert len(served["postgis"]["figure"]["data"][0]["locations"]) == 111
    assert served["postgis"] == served["gpkg"]


@pytest.mark.integration
@pytest.mark.slow
def test_gunicorn_serves_the_postgis_atlas_named_by_buurtdekking_store(
    default_atlas: Path, utrecht_pg: str, tmp_path: Path
) -> None:
    import urllib.request

    from conftest import ServedApp

    from views.data import get_view

    env = {
        "BUURTDEKKING_STORE": utrecht_pg,
        "BUURTDEKKING_SESSION_DIR": str(tmp_path / "sessions"),
        "BUURTDEKKING_CACHE": str(tmp_path / "cache"),
    }
    # BUURTDEKKING_ATLAS (set by ServedApp) names an empty directory: what is served comes from the database.
    served = ServedApp(tmp_path / "no-atlas", env=env, gunicorn=True, timeout=240)  # two workers boot on a busy machine
    try:
        token = get_view(utrecht_pg).token
        bodies = []
        for _ in range(4):  # both workers, each with its own connections after the fork
            with urllib.request.urlopen(f"{served.url}/geo/{token}/buurt.json", timeout=30) as resp:
                assert resp.headers["Cache-Control"].startswith("public, max-age=31536000")
                bodies.append(resp.read())
    finally:
        served.stop()
    gpkg_client = __import__("dashboard.app", fromlist=["create_app"]).create_app(default_atlas).server.test_client()
    expected = gpkg_client.get(f"/geo/{get_view(default_atlas).token}/buurt.json").data
    assert all(body == expected for body in bodies)


def test_the_atlases_command_lists_the_store(postgis_url: str, tmp_path: Path) -> None:
    from cli.main import main

    url = f"{postgis_url}?schema=listed_2022"
    open_store(url).write_atlas(tiny_layers(), {**MANIFEST, "cbs_year": 2022})
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "atlases", "--store", url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [line] = [ln for ln in done.stdout.splitlines() if ln.startswith("listed_2022\t")]
    assert line.split("\t")[:3] == ["listed_2022", "GM9999", "2022"]
    assert line.endswith(f"{url}  demo")
    # A directory store lists its one atlas; an empty one says so and exits 1.
    GpkgStore(tmp_path / "atlas").write_atlas(tiny_layers(), MANIFEST)
    assert main(["atlases", "--store", str(tmp_path / "atlas")]) == 0
    assert main(["atlases", "--store", str(tmp_path / "empty")]) == 1


def test_the_store_is_named_by_option_then_atlas_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from etl import config
    from etl.settings import EtlSettings

    def named(env: dict[str, str], explicit: str | None = None, atlas: Path | None = None) -> str:
        settings = EtlSettings.from_environ(env)
        return config.store_url(explicit, atlas=atlas, configured=settings.store_url, default_atlas=settings.atlas_dir)

    monkeypatch.chdir(tmp_path)
    assert named({}) == str(tmp_path / "atlas")
    assert named({config.ATLAS_ENV: "/srv/atlas"}) == "/srv/atlas"
    env = {config.ATLAS_ENV: "/srv/atlas", config.STORE_ENV: "postgresql://bd@db/bd?schema=utrecht_2024"}
    assert named(env) == "postgresql://bd@db/bd?schema=utrecht_2024"
    assert named(env, atlas=Path("elders")) == "elders"
    assert named(env, "postgresql://bd@db/bd?schema=x", Path("elders")) == "postgresql://bd@db/bd?schema=x"
