"""Join CBS statistics to boundaries by code (buurten to buurt rows, wijken to wijk rows)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geodata.statistics import short_wijknaam

# Columns that describe the area itself; boundaries win over statistics for these.
_AREA_COLUMNS = {"niveau", "naam", "gemeentecode", "gm_naam", "regio"}


def join_statistics(
    gdf_areas: gpd.GeoDataFrame, df_statistics: pd.DataFrame, *, key: str
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Left-join the statistics rows whose ``code`` matches ``key``; report codes without a partner.

    Indicator columns already present on the areas (e.g. from a shapefile-era boundary file) are
    filled from the statistics where the boundary file had no value, never overwritten.
    """
    level = "buurt" if key == "buurtcode" else "wijk"
    stats = df_statistics[df_statistics["niveau"] == level].set_index("code")
    notes: list[str] = []
    missing = sorted(set(gdf_areas[key]) - set(stats.index))
    if missing:
        notes.append(
            f"{len(missing)} {level}(en) zonder kerncijfers / without statistics: {', '.join(missing[:10])}"
            + (" …" if len(missing) > 10 else "")
        )
    extra = sorted(set(stats.index) - set(gdf_areas[key]))
    if extra:
        notes.append(
            f"{len(extra)} {level}code(s) in kerncijfers niet in de grenzen / not in the boundaries: "
            f"{', '.join(extra[:10])}" + (" …" if len(extra) > 10 else "")
        )
    aligned = stats.reindex(gdf_areas[key])
    aligned.index = gdf_areas.index
    indicators = [c for c in aligned.columns if c not in _AREA_COLUMNS]
    shared = [c for c in indicators if c in gdf_areas.columns]
    out = gdf_areas.copy()
    for col in shared:
        out[col] = out[col].fillna(aligned[col])
    new = aligned[[c for c in indicators if c not in shared]]
    geometry = out.geometry.name
    out = gpd.GeoDataFrame(
        pd.concat([out.drop(columns=geometry), new, out[[geometry]]], axis=1), geometry=geometry, crs=out.crs
    )
    name_col = "buurtnaam" if level == "buurt" else "wijknaam"
    names = aligned["naam"].astype("string")
    if level == "wijk":
        names = names.map(lambda s: short_wijknaam(s) if isinstance(s, str) else s)
    out[name_col] = out[name_col].fillna(names)
    if "gm_naam" in aligned.columns:
        out["gemeentenaam"] = out["gemeentenaam"].fillna(aligned["gm_naam"].astype("string"))
    return out, notes


def fill_wijknaam_on_buurten(gdf_buurten: gpd.GeoDataFrame, gdf_wijken: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Copy the wijk name onto each buurt where the boundary file gave none."""
    names = dict(zip(gdf_wijken["wijkcode"], gdf_wijken["wijknaam"], strict=True))
    out = gdf_buurten.copy()
    out["wijknaam"] = out["wijknaam"].fillna(out["wijkcode"].map(names))
    return out
