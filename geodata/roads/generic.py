"""Street lines with a column per mode — ``walk``, ``bike``, ``car`` (yes/no) — and optional ``car_kmh`` and ``oneway``.

For files a GIS team prepared itself. Every mode must be said on every line: a blank or unreadable cell is
refused, never read as "allowed". ``oneway`` (yes / -1 / no) applies to bike and car, never on foot;
``u``/``v`` node ids are used when present, else lines meet where they share a vertex.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodata.errors import InputError, Problem
from geodata.roads.junctions import line_frames
from geodata.roads.linefile import column_map, found_columns
from geodata.roads.model import MODES, Rule, StreetNetwork
from geodata.roads.osm_lines import node_id_columns
from geodata.roads.osm_tags import as_bool, direction, first_value, parse_maxspeed, rules_per_row

REQUIRED = MODES


def _rule(row: Mapping[str, object]) -> Rule | None:
    way = direction(first_value(row.get("oneway"))) or 0
    flags: list[bool] = []
    for mode in MODES:
        allowed = bool(as_bool(row[mode]))
        mode_way = 0 if mode == "walk" else way
        flags += [allowed and mode_way >= 0, allowed and mode_way <= 0]
    if not any(flags):
        return None
    kmh = parse_maxspeed(row.get("car_kmh")) if row.get("car_kmh") is not None else math.nan
    return "road", kmh, tuple(flags)


def _value_problems(frame: pd.DataFrame, path: Path) -> list[Problem]:
    problems: list[Problem] = []
    for mode in MODES:
        bad = frame.index[frame[mode].map(as_bool).isna()]
        for row in bad[: 20 - len(problems)]:
            value = frame.at[row, mode]
            problems.append(
                Problem(
                    "NETWORK_MODE_VALUE",
                    f"Kolom {mode} moet ja/nee (1/0, true/false) zijn, niet '{value}'; een lege cel telt niet als 'ja'.",
                    f"Column {mode} must be yes/no (1/0, true/false), not '{value}'; a blank cell does not count as 'yes'.",
                    path.name,
                    int(row) + 2,
                    mode,
                )
            )
    return problems


def read_generic(gdf: gpd.GeoDataFrame, path: Path) -> StreetNetwork:
    """Lines with walk/bike/car columns → network; a missing mode column or a blank cell is refused."""
    cols = column_map(gdf.columns)
    missing = [m for m in REQUIRED if m not in cols]
    if missing:
        raise InputError.single(
            "NETWORK_MODE_COLUMNS",
            f"'{path.name}' heeft kolommen per vervoerwijze, maar {', '.join(missing)} ontbreekt. Geef walk, bike en car "
            f"(ja/nee) op elke lijn. Gevonden kolommen: {found_columns(gdf)}.",
            f"'{path.name}' has per-mode columns, but {', '.join(missing)} is missing. Give walk, bike and car "
            f"(yes/no) on every line. Columns found: {found_columns(gdf)}.",
            file=path,
        )
    wanted = [*MODES, "car_kmh", "oneway"]
    frame = pd.DataFrame({name: gdf[cols[name]] for name in wanted if name in cols})
    problems = _value_problems(frame, path)
    if problems:
        raise InputError(problems)
    renamed = gdf.rename(columns={cols[k]: k for k in ("u", "v") if k in cols})
    rules = rules_per_row(frame, _rule)
    nodes, edges = line_frames(gdf.geometry.to_numpy(), rules, node_ids=node_id_columns(renamed, path))
    return StreetNetwork(nodes, edges, path.name, "edges", "generic")
