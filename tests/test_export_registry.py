"""Every indicator of the registry that the demo atlas has exports, at every level it exists, to a valid GeoPackage."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyogrio
import pytest
from test_export_writers import VALIDATOR

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_every_available_indicator_exports(default_atlas: Path, tmp_path: Path) -> None:
    from reports.build import build_snapshot
    from reports.write import write_snapshot
    from views.data import get_view
    from views.state import ViewState
    from views.values import available

    view = get_view(default_atlas)
    done = []
    for level in ("buurt", "wijk"):
        for ind in available(view, level=level):
            snap = build_snapshot(view, ViewState(indicator=ind.key, level=level), area="GM0344")
            assert len(snap.units) == (111 if level == "buurt" else 10)
            assert snap.legend, ind.key
            csv = write_snapshot(snap, tmp_path / f"{ind.key}_{level}.csv").read_bytes().decode("utf-8-sig")
            header = csv.split("\r\n", 1)[0].split(";")
            # the value right after the unit's code and name columns and the gemeente with the boundary year;
            # a travel figure says how sure it is beside it
            assert header[7 if level == "buurt" else 5].startswith(ind.label("nl"))
            if ind.quality:
                assert header[(7 if level == "buurt" else 5) + 1] == "Betrouwbaarheid reistijd", ind.key
            gpkg = write_snapshot(snap, tmp_path / f"{ind.key}_{level}.gpkg")
            assert len(pyogrio.read_dataframe(gpkg, layer=f"{level}en", read_geometry=False)) == len(snap.units)
            done.append(gpkg)
    assert len(done) >= 20
    for gpkg in done:
        proc = subprocess.run(
            [str(VALIDATOR), "validate", "--gpkg-path", str(gpkg)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        report = json.loads(proc.stdout)
        assert report["success"] is True, (gpkg.name, report["results"])
        assert report["results"] == [], (gpkg.name, report["results"])
