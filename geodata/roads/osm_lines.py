"""Street lines with OpenStreetMap tags as columns (``highway``, ``oneway``, ``maxspeed``, …), e.g. osmnx's GeoPackage.

``u``/``v`` columns (osmnx's ``save_graph_geopackage``) are the node ids, one edge per line; without them
lines are cut where they share a vertex. Optional per-mode columns ``walk``/``bike``/``car`` (yes/no)
override the tag rules for that mode, and ``car_kmh`` the car speed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.errors import InputError
from geodata.roads.junctions import line_frames
from geodata.roads.linefile import whole_number_problems
from geodata.roads.model import MODES, Rule, StreetNetwork
from geodata.roads.osm_tags import TAG_KEYS, as_bool, direction, file_rules, file_tags, parse_maxspeed, rules_per_row

OVERRIDE_COLUMNS = ("walk", "bike", "car", "car_kmh")


def line_rule(row: Mapping[str, object]) -> Rule | None:
    """One line's rule: OSM tag rules, then the per-mode overrides and car_kmh where the file gives them."""
    tags = file_tags(row)
    rules = file_rules(row)
    overrides = {m: as_bool(row.get(m)) for m in MODES}
    if any(v is not None for v in overrides.values()):
        highway, maxspeed, flags = rules if rules is not None else (tags.get("highway", "road"), math.nan, (False,) * 6)
        general = direction(tags.get("oneway")) or 0
        new_flags = list(flags)
        for i, mode in enumerate(MODES):
            allowed = overrides[mode]
            if allowed is None:
                continue
            way = 0 if mode == "walk" else general
            new_flags[2 * i] = allowed and way >= 0
            new_flags[2 * i + 1] = allowed and way <= 0
        rules = (highway, maxspeed, tuple(new_flags)) if any(new_flags) else None
    car_kmh = row.get("car_kmh")
    if rules is not None and car_kmh is not None:
        kmh = parse_maxspeed(car_kmh)
        if not math.isnan(kmh):
            rules = (rules[0], kmh, rules[2])
    return rules


def node_id_columns(gdf: gpd.GeoDataFrame, path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The u/v node ids when the file has both columns (checked: whole numbers), else None."""
    if not {"u", "v"} <= set(gdf.columns):
        return None
    problems = whole_number_problems(gdf, ("u", "v"), path)
    if problems:
        raise InputError(problems)
    return (
        pd.to_numeric(gdf["u"]).to_numpy(dtype="float64"),
        pd.to_numeric(gdf["v"]).to_numpy(dtype="float64"),
    )


def read_osm_lines(gdf: gpd.GeoDataFrame, path: Path) -> StreetNetwork:
    """Lines with a ``highway`` column → network, by the OSM rules of :mod:`geodata.roads.osm_tags`."""
    cols = [c for c in (*TAG_KEYS, *OVERRIDE_COLUMNS) if c in gdf.columns]
    rules = rules_per_row(pd.DataFrame(gdf[cols]), line_rule)
    nodes, edges = line_frames(gdf.geometry.to_numpy(), rules, node_ids=node_id_columns(gdf, path))
    return StreetNetwork(nodes, edges, path.name, "edges", "osm_lines")
