"""The atlas as the app sees it: loaded once per worker, read-only, with browser-ready WGS84 geometry."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from etl.atlas import read_atlas
from geodata.crs import RD_NEW, to_wgs84

# Simplify in RD New metres before reprojecting: 3 m is invisible at city zoom and keeps shared
# edges shared (coverage_simplify), so no slivers open between buurten.
SIMPLIFY_TOLERANCE_M = 3.0
# 5 decimals of a degree is about 1 m in Utrecht: more digits only cost bytes.
COORD_DECIMALS = 5


@dataclass(frozen=True)
class AtlasView:
    """Read-only frames plus precomputed map geometry; callbacks take copies, never mutate."""

    buurten: gpd.GeoDataFrame
    wijken: gpd.GeoDataFrame
    manifest: dict[str, Any]
    buurten_geojson: dict[str, Any]
    wijken_geojson: dict[str, Any]
    wijk_outline_lon: list[float | None]
    wijk_outline_lat: list[float | None]
    wijk_label_points: pd.DataFrame  # wijkcode, wijknaam, lon, lat
    center: dict[str, float]
    zoom: float
    extra_layers: dict[str, pd.DataFrame]


def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Topology-preserving simplification of a polygon coverage (neighbours stay neighbours)."""
    out = gdf.copy()
    geoms = out.geometry.to_numpy()
    try:
        simplified = shapely.coverage_simplify(geoms, tolerance)
    except shapely.errors.GEOSException:
        simplified = shapely.simplify(geoms, tolerance, preserve_topology=True)
    out[out.geometry.name] = gpd.GeoSeries(simplified, index=out.index, crs=out.crs)
    return out


def _round_coords(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.set_precision(geom, 10**-COORD_DECIMALS, mode="valid_output")


def to_geojson(gdf_rd: gpd.GeoDataFrame, *, id_column: str) -> dict[str, Any]:
    """A lean FeatureCollection (only the id) in WGS84 for Plotly; properties go in trace data instead."""
    slim = simplify_coverage(gdf_rd[[id_column, "geometry"]], SIMPLIFY_TOLERANCE_M)
    wgs = to_wgs84(slim)
    features = []
    for code, geom in zip(wgs[id_column], wgs.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        features.append({"type": "Feature", "id": code, "properties": {}, "geometry": shapely.geometry.mapping(_round_coords(geom))})
    return {"type": "FeatureCollection", "features": features}


def outline_coords(gdf_rd: gpd.GeoDataFrame) -> tuple[list[float | None], list[float | None]]:
    """All polygon rings as one line trace (None separates rings): one trace instead of one per wijk."""
    wgs = to_wgs84(simplify_coverage(gdf_rd[["geometry"]], SIMPLIFY_TOLERANCE_M))
    lons: list[float | None] = []
    lats: list[float | None] = []
    for geom in wgs.geometry:
        for poly in getattr(geom, "geoms", [geom]):
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.round(np.asarray(ring.coords), COORD_DECIMALS)
                lons += [*xy[:, 0].tolist(), None]
                lats += [*xy[:, 1].tolist(), None]
    return lons, lats


def _view_extent(gdf_rd: gpd.GeoDataFrame) -> tuple[dict[str, float], float]:
    minx, miny, maxx, maxy = to_wgs84(gdf_rd[["geometry"]]).total_bounds
    # MapLibre zoom (the world is 512 px wide at zoom 0) that fits the extent plus a 10% margin into
    # a map of about 900 × 560 px, a laptop screen; mercator stretches latitude by 1/cos(lat).
    lat_stretch = 1 / np.cos(np.radians((miny + maxy) / 2))
    zoom_x = np.log2(360 * (900 / 512) / max((maxx - minx) * 1.1, 1e-6))
    zoom_y = np.log2(360 * (560 / 512) / max((maxy - miny) * lat_stretch * 1.1, 1e-6))
    zoom = float(np.clip(min(zoom_x, zoom_y), 3, 16))
    return {"lon": float((minx + maxx) / 2), "lat": float((miny + maxy) / 2)}, round(zoom, 2)


def build_view(atlas_dir: str | Path) -> AtlasView:
    atlas = read_atlas(atlas_dir)
    buurten = atlas["buurten"]
    wijken = atlas["wijken"]
    assert isinstance(buurten, gpd.GeoDataFrame)
    assert isinstance(wijken, gpd.GeoDataFrame)
    if buurten.crs is None or buurten.crs.to_epsg() != 28992:
        buurten = buurten.to_crs(RD_NEW)
    lons, lats = outline_coords(wijken)
    label_pts = to_wgs84(gpd.GeoDataFrame(wijken[["wijkcode", "wijknaam"]], geometry=wijken.representative_point(), crs=wijken.crs))
    labels = pd.DataFrame(
        {
            "wijkcode": label_pts["wijkcode"],
            "wijknaam": label_pts["wijknaam"],
            "lon": label_pts.geometry.x.round(COORD_DECIMALS),
            "lat": label_pts.geometry.y.round(COORD_DECIMALS),
        }
    )
    center, zoom = _view_extent(buurten)
    extra = {k: v for k, v in atlas.layers.items() if k not in {"buurten", "wijken"}}
    return AtlasView(
        buurten=buurten,
        wijken=wijken,
        manifest=dict(atlas.manifest),
        buurten_geojson=to_geojson(buurten, id_column="buurtcode"),
        wijken_geojson=to_geojson(wijken, id_column="wijkcode"),
        wijk_outline_lon=lons,
        wijk_outline_lat=lats,
        wijk_label_points=labels,
        center=center,
        zoom=zoom,
        extra_layers=extra,
    )


@functools.lru_cache(maxsize=4)
def _cached_view(atlas_dir: str, manifest_mtime: float) -> AtlasView:
    return build_view(atlas_dir)


def get_view(atlas_dir: str | Path) -> AtlasView:
    """The view of the atlas in ``atlas_dir``; reloaded only when a new build replaced the manifest."""
    manifest = Path(atlas_dir) / "manifest.json"
    mtime = manifest.stat().st_mtime if manifest.exists() else 0.0
    return _cached_view(str(Path(atlas_dir).resolve()), mtime)
