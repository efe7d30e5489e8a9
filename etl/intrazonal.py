"""Intrazonal distance: how far, on average, the youth of a buurt (or a grid cell) live from its origin point.

An origin point stands for people spread over an area, so no trip from it is shorter, on average, than
the mean distance inside that area. For an area A taken as a disc of the same area (radius R = √(A/π)),
the mean distance of a uniformly spread point to the centre is

    ∫₀ᴿ r · (2r / R²) dr = (2/3)·R = (2/3)·√(A/π)

(the distance r of a uniform point in a disc has density 2r/R²). Why an accessibility measure needs such
an intrazonal term at all: Frost & Spence (1995), "The rediscovery of accessibility and economic
potential: the critical issue of self-potential", *Environment and Planning A* 27. For a square of side s it
gives 0.376·s; the exact mean distance of a square to its centre is s·(√2 + ln(1 + √2))/6 = 0.383·s, so
the disc is within 2 % for grid cells and a fair, documented estimate for compact buurten.

It is also a lower bound for travel to any team t, not only to one inside the buurt: for people X spread
around the point c, E|X − t| ≥ |t − c| (the mean is not shorter than the distance of the means), and
E|X − t| ≥ E|X − c| when the spread is symmetric about c, as the disc is (its centre minimises the
mean distance). So the floor binds only where a team stands closer to the point than that mean. `etl.travel.floor` turns it into a time at the mode's speed and detour factor.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

HECTARE_M2 = 10_000.0


def disc_mean_distance_m(area_m2: np.ndarray | float) -> np.ndarray:
    """(2/3)·√(A/π): the mean distance (m) from a uniform point of a disc of area A (m²) to its centre; 0 for A ≤ 0."""
    area = np.nan_to_num(np.asarray(area_m2, dtype="float64"), nan=0.0)
    return np.asarray((2.0 / 3.0) * np.sqrt(np.clip(area, 0.0, None) / np.pi), dtype="float64")


def land_area_m2(gdf_buurten: gpd.GeoDataFrame) -> np.ndarray:
    """Each buurt's land area: CBS's ``opp_land_ha`` where given and positive, else the polygon's area (RD New m²).

    Land, not total area: nobody lives on the water of a buurt, so it does not stretch their trips.
    """
    geometry_area = np.asarray(gdf_buurten.geometry.area.to_numpy(dtype="float64"), dtype="float64")
    if "opp_land_ha" not in gdf_buurten.columns:
        return geometry_area
    land = pd.to_numeric(gdf_buurten["opp_land_ha"], errors="coerce").to_numpy(dtype="float64") * HECTARE_M2
    return np.asarray(np.where(np.isfinite(land) & (land > 0), land, geometry_area), dtype="float64")


def buurt_intrazonal_m(gdf_buurten: gpd.GeoDataFrame) -> np.ndarray:
    """Per buurt (in row order) the mean distance within it, from its land area."""
    return disc_mean_distance_m(land_area_m2(gdf_buurten))
