"""The 3×3 test grid with caseloads written as an atlas, built with a chosen protection threshold."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from conftest import grid_buurten, grid_wijken

from etl.atlas import Atlas, write_atlas

# Per buurt (row-major from the south-west); with threshold 10 every count from 1 to 9 is hidden.
COUNTS = [12, 3, 0, 7, 9, 2, 15, 6, 8]


def care_grid_atlas(
    out: Path, *, threshold: int | None, names: dict[str, str] | None = None, cbs_year: int | None = None
) -> Path:
    """The 3×3 grid with caseloads, built with ``threshold`` (None: a manifest that names none) and, when given,
    the boundary year ``cbs_year`` in the manifest."""
    gdf = grid_buurten()
    gdf["youth_population"] = [100.0, 40.0, 10.0, 80.0, 60.0, 20.0, 90.0, 70.0, 50.0]
    gdf["aantal_inwoners"] = gdf["youth_population"] * 5
    if names:  # e.g. a buurt name a spreadsheet would run as a formula
        gdf["buurtnaam"] = gdf["buurtcode"].map(names).fillna(gdf["buurtnaam"])
    wijken = grid_wijken(gdf)
    df = pd.DataFrame(
        {
            "buurtcode": gdf["buurtcode"],
            "periode": "2024",
            "soort": "totaal",
            "aantal": [float(c) for c in COUNTS],
            "youth_population": gdf["youth_population"],
        }
    )
    df["rate_per_1000"] = df["aantal"] / df["youth_population"] * 1000
    w = (
        df.assign(wijkcode=gdf["wijkcode"])
        .groupby(["wijkcode", "periode", "soort"], as_index=False)[["aantal", "youth_population"]]
        .sum()
    )
    w["rate_per_1000"] = w["aantal"] / w["youth_population"] * 1000
    manifest: dict[str, object] = {"test": True}
    if threshold is not None:
        manifest["care"] = {"threshold": threshold}
    if cbs_year is not None:
        manifest["cbs_year"] = cbs_year
    write_atlas(Atlas({"buurten": gdf, "wijken": wijken, "caseloads_buurt": df, "caseloads_wijk": w}, manifest), out)
    return out
