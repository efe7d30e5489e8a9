"""Synthetic care data on a real atlas for the dashboard tests: caseloads with many small counts (seeded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etl.atlas import read_atlas, write_atlas

PERIODS = ("2023", "2024")
# Two care types keep the linked-table audit of etl.protect quick (four tiny types take it minutes).
SHARES = {"buurtteam": 0.05, "specialistisch": 0.03}


def synthetic_caseloads(buurten: pd.DataFrame, *, seed: int = 20240601) -> tuple[pd.DataFrame, pd.DataFrame]:
    """caseloads_buurt and caseloads_wijk (raw counts) as the care-data build lays them out; totaal = sum of the types."""
    rng = np.random.default_rng(seed)
    rows = []
    for period in PERIODS:
        for code, wijk, youth in zip(
            buurten["buurtcode"], buurten["wijkcode"], buurten["youth_population"].fillna(0), strict=True
        ):
            counts = {soort: int(rng.poisson(float(youth) * share)) for soort, share in SHARES.items()}
            counts["totaal"] = sum(counts.values())
            for soort, n in counts.items():
                rows.append(
                    {
                        "buurtcode": code,
                        "wijkcode": wijk,
                        "periode": period,
                        "soort": soort,
                        "aantal": float(n),
                        "youth_population": float(youth),
                    }
                )
    df_b = pd.DataFrame(rows)
    df_b["rate_per_1000"] = (
        df_b["aantal"] / df_b["youth_population"].where(df_b["youth_population"] > 0) * 1000
    ).round(3)
    df_w = df_b.groupby(["wijkcode", "periode", "soort"], as_index=False)[["aantal", "youth_population"]].sum()
    df_w["rate_per_1000"] = (
        df_w["aantal"] / df_w["youth_population"].where(df_w["youth_population"] > 0) * 1000
    ).round(3)
    return df_b.drop(columns=["wijkcode"]), df_w


def write_care_atlas(source_atlas: Path, out: Path) -> Path:
    """The source atlas plus synthetic caseloads, written like a real build (no manifest demo flag)."""
    atlas = read_atlas(source_atlas)
    if "caseloads_buurt" in atlas.layers:
        return source_atlas  # the build has (demo) caseloads itself, and its travel cache for the what-if
    df_b, df_w = synthetic_caseloads(atlas["buurten"])
    write_atlas(atlas.with_layers(caseloads_buurt=df_b, caseloads_wijk=df_w), out)
    return out
