"""Estimate the youth population (0–17) per area from CBS age bands, and say how it was estimated."""

from __future__ import annotations

import numpy as np
import pandas as pd

# CBS publishes ages in bands 0–14 and 15–24. Ages 15, 16 and 17 are 3 of the 10 years in the second
# band; assuming ages are spread evenly inside a band, 0–17 ≈ (0–14) + 3/10 × (15–24).
SHARE_15_17_OF_15_24 = 3 / 10
METHOD_COUNTS = "schatting/estimate: a_00_14 + 3/10 × a_15_24 (CBS leeftijdsgroepen/age bands)"
METHOD_PERCENTAGES = "schatting/estimate: aantal_inwoners × (p_00_14 + 3/10 × p_15_24) / 100 (CBS percentages)"


def estimate_youth(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``youth_population`` (0–17, an estimate), ``youth_population_method`` and ``..._is_estimate``.

    Uses the counts a_00_14/a_15_24 when present, else inhabitants × the age-band percentages.
    Areas where neither is known get NaN, never zero; water-only buurten get 0.
    """
    out = df.copy()
    youth = pd.Series(np.nan, index=out.index, dtype="float64")
    method = pd.Series(pd.NA, index=out.index, dtype="string")
    if {"aantal_0_14", "aantal_15_24"} <= set(out.columns):
        from_counts = out["aantal_0_14"] + SHARE_15_17_OF_15_24 * out["aantal_15_24"]
        use = from_counts.notna()
        youth[use] = from_counts[use]
        method[use] = METHOD_COUNTS
    if {"aantal_inwoners", "pct_0_14", "pct_15_24"} <= set(out.columns):
        from_pct = out["aantal_inwoners"] * (out["pct_0_14"] + SHARE_15_17_OF_15_24 * out["pct_15_24"]) / 100
        use = youth.isna() & from_pct.notna()
        youth[use] = from_pct[use]
        method[use] = METHOD_PERCENTAGES
    if "aantal_inwoners" in out.columns:
        nobody = out["aantal_inwoners"].eq(0) & youth.isna()
        youth[nobody] = 0.0
        method[nobody] = "geen inwoners/no inhabitants"
    if "water" in out.columns:
        water = out["water"].fillna(False).astype(bool) & youth.isna()
        youth[water] = 0.0
        method[water] = "water"
    out["youth_population"] = youth
    out["youth_population_method"] = method
    out["youth_population_is_estimate"] = method.fillna("").str.startswith("schatting")
    return out
