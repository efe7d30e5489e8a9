"""A tiny street grid over conftest's 3×3 buurten, with teams, youth and providers, for hand-derived travel answers.

Streets run through the buurt centres: 3×3 junctions 100 m apart (12 residential edges), so every buurt's
representative point (its centre) sits on a junction and a route of k blocks is k × 100 m:
bike 15 km/h → 0.4 min per block, walk 5 km/h → 1.2 min, car (no maxspeed → urban 30 km/h) → 0.2 min.

Buurt (r, c) = row r from the south, column c from the west; code BU9999{r+1:02d}{c+1:02d}; wijk = row.
Teams (column order): BT-A buurtteam at (0,0), BT-B buurtteam at (2,2), SP-K specialist KOOS at (2,0),
SP-S specialist Spoor030 at (0,2). Providers: wijk 1 and 2 KOOS, wijk 3 Spoor030. Youth: 10, 20, … 90
row-major.

Intrazonal floor (etl.intrazonal) of a 100 m × 100 m buurt: A = 10,000 m², (2/3)·√(A/π) = (2/3)·56.419 =
37.613 m; × detour 1.25 (walk, bike) = 47.016 m, × 1.35 (car) = 50.777 m. Walk 5 km/h = 83.333 m/min →
0.56419 min (33.85 s); bike 15 km/h = 250 m/min → 0.18806 min (11.28 s); car 30 km/h = 500 m/min →
0.10155 min (6.09 s). It binds only for a team in the buurt's own centre: one block (100 m) is more.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from conftest import grid_buurten
from shapely.geometry import LineString, Point, box

from geodata.network import StreetNetwork, read_edges

X0, Y0 = 136000.0, 455000.0
BIKE_MIN_PER_BLOCK = 0.4
WALK_MIN_PER_BLOCK = 1.2
CAR_MIN_PER_BLOCK = 0.2
INTRAZONAL_M = 37.6126  # (2/3)·√(10,000/π)
INTRA_DIST_M = {"walk": 47.0158, "bike": 47.0158, "car": 50.7770}
INTRA_MIN = {"walk": 0.56419, "bike": 0.18806, "car": 0.10155}


def centre(r: int, c: int) -> tuple[float, float]:
    return (X0 + 50.0 + 100.0 * c, Y0 + 50.0 + 100.0 * r)


def code(r: int, c: int) -> str:
    return f"BU9999{r + 1:02d}{c + 1:02d}"


def grid_edges(*, highway: str = "residential") -> gpd.GeoDataFrame:
    lines = []
    for r in range(3):
        for c in range(3):
            if c < 2:
                lines.append(LineString([centre(r, c), centre(r, c + 1)]))
            if r < 2:
                lines.append(LineString([centre(r, c), centre(r + 1, c)]))
    return gpd.GeoDataFrame({"highway": [highway] * len(lines)}, geometry=lines, crs="EPSG:28992")


def grid_network(tmp_path: Path) -> StreetNetwork:
    path = tmp_path / "grid_edges.gpkg"
    grid_edges().to_file(path, layer="edges")
    return read_edges(path)


def grid_teams() -> gpd.GeoDataFrame:
    rows = [
        ("BT-A", "Buurtteam A", "Lokalis", "buurtteam", 2.0, (0, 0)),
        ("BT-B", "Buurtteam B", "Lokalis", "buurtteam", 1.0, (2, 2)),
        ("SP-K", "Specialist KOOS", "KOOS", "specialistisch", 3.0, (2, 0)),
        ("SP-S", "Specialist Spoor", "Spoor030", "specialistisch", 3.0, (0, 2)),
    ]
    return gpd.GeoDataFrame(
        {
            "team_id": [r[0] for r in rows],
            "naam": [r[1] for r in rows],
            "organisatie": [r[2] for r in rows],
            "soort": [r[3] for r in rows],
            "capaciteit_fte": [r[4] for r in rows],
            "is_demo": True,
        },
        geometry=[Point(centre(*r[5])) for r in rows],
        crs="EPSG:28992",
    )


def grid_buurten_youth() -> gpd.GeoDataFrame:
    gdf = grid_buurten()
    gdf["youth_population"] = [10.0 * (i + 1) for i in range(9)]
    gdf["provider"] = gdf["wijkcode"].map({"WK999901": "KOOS", "WK999902": "KOOS", "WK999903": "Spoor030"})
    return gdf


def grid_wijken() -> gpd.GeoDataFrame:
    b = grid_buurten_youth()
    w = b.dissolve("wijkcode", as_index=False, aggfunc={"youth_population": "sum", "gemeentecode": "first"})
    w["wijknaam"] = ["Wijk 1", "Wijk 2", "Wijk 3"]
    return w


def blocks(a: tuple[int, int], b: tuple[int, int]) -> int:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


def youth(r: int, c: int) -> float:
    return 10.0 * (3 * r + c + 1)


def as_frame(values: dict[str, float]) -> pd.Series:
    return pd.Series(values, dtype="float64")


FAR_CODE = "BU99990104"  # a tenth buurt, 700 m east of the last junction


def grid_buurten_with_far() -> gpd.GeoDataFrame:
    """The 3×3 grid plus 'Verre buurt' (wijk 1, KOOS, 100 youth), centred 700 m east of junction (0,2) at (X0 + 250, Y0 + 50)."""
    b = grid_buurten_youth()
    far = b.iloc[[0]].copy()
    far["buurtcode"], far["buurtnaam"], far["youth_population"] = FAR_CODE, "Verre buurt", 100.0
    far["geometry"] = [box(X0 + 900, Y0, X0 + 1000, Y0 + 100)]
    return gpd.GeoDataFrame(pd.concat([b, far], ignore_index=True), geometry="geometry", crs=b.crs)


def grid_teams_with_far() -> gpd.GeoDataFrame:
    """The grid teams plus SP-FAR (KOOS) 600 m north of junction (2,0): never the nearest KOOS team (SP-K is at (2,0))."""
    teams = grid_teams()
    far = teams.iloc[[2]].copy()
    far["team_id"], far["naam"] = "SP-FAR", "Specialist ver weg"
    far["geometry"] = [Point(X0 + 50, Y0 + 850)]
    return gpd.GeoDataFrame(pd.concat([teams, far], ignore_index=True), geometry="geometry", crs=teams.crs)
