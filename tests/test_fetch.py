"""fetch-boundaries against a local stand-in for PDOK's WFS serving real-format (PDOK 2021+) data."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest

import geodata.fetch
from cli.main import main
from geodata.cbs import read_boundaries
from geodata.errors import InputError


class FakeWFS:
    """Serves GetFeature with PDOK's paging (count/startIndex) and gemeentecode filter; records requests."""

    def __init__(self, layers: dict[str, gpd.GeoDataFrame], *, status: int = 200, body: bytes | None = None) -> None:
        self.layers = {k: json.loads(v.to_json(drop_id=True)) for k, v in layers.items()}
        self.status = status
        self.body = body
        self.requests: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
                fake.requests.append({"path": urllib.parse.urlparse(self.path).path, **query})
                payload = fake.body if fake.body is not None else fake.page(query)
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cbs/wijkenbuurten/{{year}}/wfs/v1_0"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def page(self, query: dict[str, str]) -> bytes:
        layer = self.layers[query["typeNames"].split(":")[1]]
        wanted = [part.split("</fes:Literal>")[0] for part in query["filter"].split("<fes:Literal>")[1:]]
        feats = [f for f in layer["features"] if f["properties"]["gemeentecode"] in wanted]
        start, count = int(query["startIndex"]), int(query["count"])
        return json.dumps({"type": "FeatureCollection", "features": feats[start : start + count]}).encode()


@pytest.fixture
def ermelo_layers(data_dir: Path) -> dict[str, gpd.GeoDataFrame]:
    buurten = gpd.read_file(data_dir / "cbs/schema_sample_pdok2021_buurten_ermelo.gpkg")
    wijken = buurten.dissolve(by="wijkcode", as_index=False)[["wijkcode", "gemeentecode", "gemeentenaam", "geometry"]]
    wijken["wijknaam"] = ["Ermelo", "Ermelo-Buiten", "Water"]
    return {"buurten": buurten, "wijken": wijken}


@pytest.fixture
def wfs(ermelo_layers: dict[str, gpd.GeoDataFrame]) -> Iterator[FakeWFS]:
    server = FakeWFS(ermelo_layers)
    yield server
    server.close()


def test_fetch_pages_filters_and_writes_a_readable_file(
    wfs: FakeWFS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(geodata.fetch, "PAGE_SIZE", 5)  # exercise paging: 17 buurten in 4 pages
    out = geodata.fetch.fetch_boundaries(
        year=2021, gemeenten=["GM0233"], out=tmp_path / "ermelo_2021.gpkg", base_url=wfs.url, progress=False
    )
    buurt_requests = [r for r in wfs.requests if r["typeNames"] == "wijkenbuurten:buurten"]
    assert [r["startIndex"] for r in buurt_requests] == ["0", "5", "10", "15"]
    assert all(r["path"] == "/cbs/wijkenbuurten/2021/wfs/v1_0" for r in wfs.requests)
    assert all(r["srsName"] == "EPSG:28992" and r["outputFormat"] == "application/json" for r in wfs.requests)
    bnd = read_boundaries(out, gemeenten=["GM0233"])
    assert len(bnd.buurten) == 17
    assert bnd.layers["wijken"] == "wijken"
    assert set(bnd.wijken["wijknaam"]) == {"Ermelo", "Ermelo-Buiten", "Water"}


def test_fetch_via_cli_then_build(wfs: FakeWFS, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "grenzen.gpkg"
    code = main(["fetch-boundaries", "--year", "2021", "--gemeente", "GM0233", "--url", wfs.url, "--out", str(target)])
    assert code == 0, capsys.readouterr().err
    code = main(
        [
            "build",
            "--boundaries",
            str(target),
            "--gemeente",
            "GM0233",
            "--year",
            "2021",
            "--out",
            str(tmp_path / "atlas"),
            "--quiet",
        ]
    )
    assert code == 0
    manifest = json.loads((tmp_path / "atlas" / "manifest.json").read_text())
    assert manifest["layers"]["buurten"]["rows"] == 17


def test_fetch_unknown_gemeente_writes_nothing(wfs: FakeWFS, tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        geodata.fetch.fetch_boundaries(
            year=2021, gemeenten=["GM0344"], out=tmp_path / "x.gpkg", base_url=wfs.url, progress=False
        )
    assert err.value.problems[0].code == "FETCH_EMPTY"
    assert not (tmp_path / "x.gpkg").exists()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (500, b"oops", "FETCH_FAILED"),
        (200, b"<html>maintenance</html>", "FETCH_NOT_GEOJSON"),
        (200, b'{"a": 1}', "FETCH_NOT_GEOJSON"),
    ],
)
def test_fetch_server_errors(
    status: int, body: bytes, expected: str, tmp_path: Path, ermelo_layers: dict[str, gpd.GeoDataFrame]
) -> None:
    server = FakeWFS(ermelo_layers, status=status, body=body)
    try:
        with pytest.raises(InputError) as err:
            geodata.fetch.fetch_boundaries(
                year=2021, gemeenten=["GM0233"], out=tmp_path / "x.gpkg", base_url=server.url, progress=False
            )
    finally:
        server.close()
    assert err.value.problems[0].code == expected
    assert not (tmp_path / "x.gpkg").exists()


def test_fetch_offline_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        geodata.fetch.fetch_boundaries(
            year=2024, out=tmp_path / "x.gpkg", base_url="http://127.0.0.1:9/wfs", timeout=2, progress=False
        )
    problem = err.value.problems[0]
    assert problem.code == "FETCH_FAILED"
    assert "--data-dir" in problem.nl
    assert "--boundaries" in problem.en


def test_fetch_bad_year(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        geodata.fetch.fetch_boundaries(year=24, out=tmp_path / "x.gpkg", progress=False)
    assert err.value.problems[0].code == "YEAR_INVALID"
