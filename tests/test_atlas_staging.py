"""A build killed while writing the atlas: the previous atlas still serves, and the next build removes what it left.

The kill is real: a subprocess writes an atlas (one big layer, so that the write takes a while) and gets SIGKILL
while its GeoPackage's SQLite journal exists, i.e. mid-transaction.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from care_grid import care_grid_atlas

from etl.atlas import ATLAS_FILE, MANIFEST_FILE, read_atlas, sha256_file, write_atlas
from etl.staging import GRACE_S, STAGED, STALE_AFTER_S, remove_stale, stale_files

REPO = Path(__file__).resolve().parent.parent

# A build that writes a small layer and then a big one (tens of thousands of points: about a second of writing).
WRITER = textwrap.dedent(
    """
    import sys, numpy as np, geopandas as gpd
    from shapely import points
    from etl.atlas import Atlas, write_atlas
    n = 60_000
    xy = np.random.default_rng(1).random((n, 2)) * 1000 + (136000, 455000)
    gdf = gpd.GeoDataFrame({"a": np.arange(n)}, geometry=points(xy), crs="EPSG:28992")
    if len(sys.argv) > 2:  # hold still mid-write, before the big layer, until killed
        import time, geopandas as _g
        import geodata.io as io
        original = io.write_layer
        def slow(frame, path, *, layer):
            if layer == "big":
                print("HOLDING", flush=True)
                time.sleep(120)
            original(frame, path, layer=layer)
        io.write_layer = slow
    write_atlas(Atlas({"small": gdf.head(10), "big": gdf}, {"killed": True}), sys.argv[1])
    """
)


def _staged(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name not in (ATLAS_FILE, MANIFEST_FILE))


def _start(out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(out), *extra], cwd=REPO, stdout=subprocess.PIPE, text=True
    )


def _serves(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many buurten the dashboard serves from ``out`` (its GeoJSON route)."""
    from dashboard.app import create_app
    from views.data import build_view

    monkeypatch.setenv("BUURTDEKKING_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("BUURTDEKKING_CACHE", str(tmp_path / "cache"))
    client = create_app(out).server.test_client()
    resp = client.get(f"/geo/{build_view(out).token}/buurt.json", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    return len(json.loads(gzip.decompress(resp.data))["features"])


def test_a_build_killed_mid_write_leaves_the_atlas_and_the_next_build_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = care_grid_atlas(tmp_path / "atlas", threshold=10)
    before = sha256_file(out / ATLAS_FILE)
    proc = _start(out)
    deadline = time.monotonic() + 60
    journal = False
    while proc.poll() is None and time.monotonic() < deadline:
        if any(name.endswith("-journal") for name in os.listdir(out)):
            journal = True
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.communicate(timeout=30)  # waits, and closes its pipe
    assert journal, "the writer finished before it could be killed mid-write"
    assert proc.returncode == -signal.SIGKILL
    left = _staged(out)
    # What the reported failure left: the staged GeoPackage, its journal, and (new) the dead build's lock.
    assert any(n.startswith("..staged-") and n.endswith(".gpkg") for n in left), left
    assert any(n.endswith(".gpkg-journal") for n in left), left
    assert any(n.endswith(".lock") for n in left), left
    # The previous atlas is untouched and still serves: same bytes, manifest matching, 9 buurten on the map.
    assert sha256_file(out / ATLAS_FILE) == before
    assert read_atlas(out, layers=["buurten"]).manifest["atlas_sha256"] == before
    assert _serves(out, tmp_path, monkeypatch) == 9
    # The next build removes every file the dead one left, and writes its own atlas.
    atlas = read_atlas(out)
    write_atlas(atlas.with_manifest(rebuilt=True), out)
    assert _staged(out) == []
    assert read_atlas(out, layers=["buurten"]).manifest["rebuilt"] is True
    assert _serves(out, tmp_path, monkeypatch) == 9


def test_a_live_builds_staged_files_are_never_removed(tmp_path: Path) -> None:
    out = care_grid_atlas(tmp_path / "atlas", threshold=10)
    before = sha256_file(out / ATLAS_FILE)
    proc = _start(out, "hold")
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "HOLDING"
        live = _staged(out)
        assert any(n.endswith(".lock") for n in live)
        assert any(n.startswith("..staged-") for n in live)
        # Even long after its start (its files aged by hand), a build that holds its lock keeps its files,
        # and another build writing meanwhile leaves them alone.
        assert stale_files(out, now=time.time() + 10 * STALE_AFTER_S) == []
        write_atlas(read_atlas(out).with_manifest(second=True), out)
        assert _staged(out) == live
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert sha256_file(out / ATLAS_FILE) != before  # the second build's atlas is in place
    assert {p.name for p in remove_stale(out)} == set(live)
    assert _staged(out) == []


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_files_of_the_old_naming_go_when_their_pid_is_dead_or_they_are_old(tmp_path: Path) -> None:
    out = tmp_path / "atlas"
    out.mkdir()
    (out / ATLAS_FILE).write_bytes(b"keep")
    (out / MANIFEST_FILE).write_text("{}")
    (out / "notes.txt").write_text("not ours")
    dead, alive = _dead_pid(), os.getpid()
    # Before this fix a build staged ".staged-<pid>-atlas.gpkg" and the writer "..staged-<pid>-atlas-XXXX.gpkg".
    names = {
        "dead_old": f"..staged-{dead}-atlas-abcd1234.gpkg",
        "dead_journal": f"..staged-{dead}-atlas-abcd1234.gpkg-journal",
        "alive_old": f"..staged-{alive}-atlas-zzzz.gpkg",
        "manifest": ".manifest-x1y2.json",
    }
    for name in names.values():
        (out / name).write_bytes(b"x")
    now = time.time()
    # Just written: a build of the old code may be starting this instant, so nothing goes.
    assert stale_files(out, now=now) == []
    # Untouched for longer than the grace: the dead pid's files and the manifest temp go; the live pid's stays
    # (a pid can be reused, so only age removes it) …
    later = {p.name for p in stale_files(out, now=now + GRACE_S + 1)}
    assert later == {names["dead_old"], names["dead_journal"], names["manifest"]}
    # … until it has been untouched for STALE_AFTER_S.
    much_later = {p.name for p in stale_files(out, now=now + STALE_AFTER_S + 1)}
    assert much_later == set(names.values())
    # Nothing that is not a staged file is ever a candidate.
    assert {ATLAS_FILE, MANIFEST_FILE, "notes.txt"}.isdisjoint(much_later)


@pytest.mark.integration
@pytest.mark.slow
def test_the_real_build_killed_mid_write_then_built_again(
    default_atlas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    out = tmp_path / "atlas"
    shutil.copytree(default_atlas, out)
    before = sha256_file(out / ATLAS_FILE)
    served = _serves(out, tmp_path, monkeypatch)
    cli = [sys.executable, "-m", "cli.main", "build", "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cli, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if any(name.endswith("-journal") for name in os.listdir(out)):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the build finished before it could be killed mid-write"
    # What the killed build left: its staged GeoPackage (and its journal when the kill landed mid-transaction;
    # on a loaded machine the transaction may commit between seeing the journal and the kill landing).
    assert any(STAGED.match(n) and ".gpkg" in n for n in _staged(out)), _staged(out)
    assert sha256_file(out / ATLAS_FILE) == before
    assert _serves(out, tmp_path, monkeypatch) == served
    done = subprocess.run(cli, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert _staged(out) == ["travel_cache.npz"]  # an atlas file of its own, written by the build (not staged)
    assert _serves(out, tmp_path, monkeypatch) == served
