"""Browser-ready polygon layers: topology-preserving simplification to a byte budget, rounded WGS84 GeoJSON."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geodata.crs import to_wgs84
from views.cache import shared_cache

# 5 decimals of a degree is about 1 m in Utrecht: more digits only cost bytes.
COORD_DECIMALS = 5
# Tolerances (metres, RD New) tried from fine to coarse until the layer fits the budget; 2 m is below a
# pixel up to zoom 15, so a coarse input is sent as is and a detailed one is thinned only as far as needed.
TOLERANCES_M = (2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0)
BUDGET_GZIP_BYTES = 120_000


@dataclass(frozen=True)
class PolygonLayer:
    """One level's features: codes, names, per-feature GeoJSON geometry and WGS84 bounds for view queries."""

    level: str
    codes: tuple[str, ...]
    names: tuple[str, ...]
    geometries: tuple[dict[str, Any], ...]
    bounds: np.ndarray  # (n, 4) minlon, minlat, maxlon, maxlat
    label_points: np.ndarray  # (n, 2) lon, lat inside each polygon
    tolerance_m: float
    geojson_bytes: bytes
    geojson_gzip: bytes

    def feature_collection(self, codes: set[str] | None = None) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "id": c, "properties": {}, "geometry": g}
                for c, g in zip(self.codes, self.geometries, strict=True)
                if codes is None or c in codes
            ],
        }

    def labels(self, bbox: tuple[float, float, float, float] | None, limit: int) -> tuple[list[str], np.ndarray]:
        """The names (and their points) to write on the map: those whose point is in view, or none when more
        than ``limit`` are, like a minimum zoom: a national map of 342 gemeenten cannot show their names
        legibly, and MapLibre's placement of them in software GL costs half a second. Zooming in writes them."""
        points = self.label_points
        keep = np.ones(len(points), dtype=bool)
        if bbox is not None:
            minx, miny, maxx, maxy = bbox
            keep = (points[:, 0] >= minx) & (points[:, 0] <= maxx) & (points[:, 1] >= miny) & (points[:, 1] <= maxy)
        idx = np.flatnonzero(keep)
        if len(idx) > limit:
            idx = idx[:0]
        return [self.names[i] for i in idx], points[idx]

    def codes_in_view(self, bbox: tuple[float, float, float, float]) -> list[str]:
        minx, miny, maxx, maxy = bbox
        b = self.bounds
        hit = (b[:, 0] <= maxx) & (b[:, 2] >= minx) & (b[:, 1] <= maxy) & (b[:, 3] >= miny)
        return [self.codes[i] for i in np.flatnonzero(hit)]


def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Topology-preserving simplification of a polygon coverage: shared edges stay shared, no slivers open."""
    out = gdf.copy()
    geoms = out.geometry.to_numpy()
    try:
        simplified = shapely.coverage_simplify(geoms, tolerance)
    except shapely.errors.GEOSException:
        simplified = shapely.simplify(geoms, tolerance, preserve_topology=True)
    out[out.geometry.name] = gpd.GeoSeries(simplified, index=out.index, crs=out.crs)
    return out


def _rounded_mapping(geom: shapely.Geometry) -> dict[str, Any]:
    rounded = shapely.set_precision(geom, 10**-COORD_DECIMALS, mode="valid_output")
    mapping: dict[str, Any] = shapely.geometry.mapping(rounded)
    plain: dict[str, Any] = json.loads(json.dumps(mapping))  # tuples → lists, so the bytes and the dicts agree
    return plain


def _encode(codes: list[str], geometries: list[dict[str, Any]]) -> bytes:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": c, "properties": {}, "geometry": g}
            for c, g in zip(codes, geometries, strict=True)
        ],
    }
    return json.dumps(fc, separators=(",", ":")).encode()


def build_layer(
    gdf_rd: gpd.GeoDataFrame,
    *,
    level: str,
    code_column: str,
    name_column: str,
    budget_gzip_bytes: int = BUDGET_GZIP_BYTES,
    tolerances_m: tuple[float, ...] = TOLERANCES_M,
) -> PolygonLayer:
    """Simplify (in RD New metres) with the finest tolerance whose gzipped GeoJSON fits the budget."""
    frame = gdf_rd[[code_column, name_column, gdf_rd.geometry.name]].copy()
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    points = to_wgs84(gpd.GeoDataFrame(geometry=frame.geometry.representative_point(), crs=frame.crs))
    label_points = np.round(np.column_stack([points.geometry.x, points.geometry.y]), COORD_DECIMALS)
    codes = frame[code_column].astype(str).tolist()
    names = frame[name_column].fillna("").astype(str).tolist()
    chosen: tuple[float, list[dict[str, Any]], bytes, bytes, np.ndarray] | None = None
    for tol in tolerances_m:
        wgs = to_wgs84(simplify_coverage(frame, tol))
        geoms = [_rounded_mapping(g) for g in wgs.geometry]
        raw = _encode(codes, geoms)
        packed = gzip.compress(raw, compresslevel=6, mtime=0)
        chosen = (tol, geoms, raw, packed, wgs.geometry.bounds.to_numpy())
        if len(packed) <= budget_gzip_bytes:
            break
    assert chosen is not None
    tol, geoms, raw, packed, bounds = chosen
    return PolygonLayer(level, tuple(codes), tuple(names), tuple(geoms), bounds, label_points, tol, raw, packed)


LAYER_FORMAT = 1  # of a layer in the work cache; another number is another key, never a misread


def layer_to_bytes(layer: PolygonLayer) -> tuple[bytes, bytes]:
    """A layer as (JSON header, its gzipped GeoJSON): what the work cache keeps of it."""
    header = {
        "level": layer.level,
        "codes": list(layer.codes),
        "names": list(layer.names),
        "bounds": layer.bounds.tolist(),
        "label_points": layer.label_points.tolist(),
        "tolerance_m": layer.tolerance_m,
    }
    return json.dumps(header).encode(), layer.geojson_gzip


def layer_from_bytes(header: bytes, packed: bytes) -> PolygonLayer:
    """The layer ``layer_to_bytes`` wrote (the geometries and plain GeoJSON come back from the gzipped bytes)."""
    meta = json.loads(header)
    raw = gzip.decompress(packed)
    geoms = tuple(f["geometry"] for f in json.loads(raw)["features"])
    return PolygonLayer(
        str(meta["level"]),
        tuple(meta["codes"]),
        tuple(meta["names"]),
        geoms,
        np.asarray(meta["bounds"], dtype="float64").reshape(-1, 4),
        np.asarray(meta["label_points"], dtype="float64").reshape(-1, 2),
        float(meta["tolerance_m"]),
        raw,
        packed,
    )


def cached_layer(
    gdf_rd: gpd.GeoDataFrame,
    *,
    atlas_sha256: str,
    level: str,
    code_column: str,
    name_column: str,
    budget_gzip_bytes: int = BUDGET_GZIP_BYTES,
) -> PolygonLayer:
    """build_layer, once per atlas content, level and budget: kept in the work cache (views/cache.py)."""
    if not atlas_sha256:
        return build_layer(
            gdf_rd, level=level, code_column=code_column, name_column=name_column, budget_gzip_bytes=budget_gzip_bytes
        )
    cache = shared_cache()
    key = f"layers/v{LAYER_FORMAT}-{atlas_sha256[:32]}/{level}-{int(budget_gzip_bytes)}"
    header, packed = cache.get(key + ".json"), cache.get(key + ".geojson.gz")
    if header is not None and packed is not None:
        try:
            layer = layer_from_bytes(header, packed)
            if len(layer.codes) == len(layer.geometries) == len(layer.bounds):
                return layer
        except (ValueError, KeyError, TypeError, OSError, EOFError):
            pass  # damaged: built again below
    layer = build_layer(
        gdf_rd, level=level, code_column=code_column, name_column=name_column, budget_gzip_bytes=budget_gzip_bytes
    )
    header, packed = layer_to_bytes(layer)
    cache.put(key + ".geojson.gz", packed)
    cache.put(key + ".json", header)
    return layer


def view_extent(bounds: np.ndarray, *, width_px: int = 900, height_px: int = 560) -> tuple[dict[str, float], float]:
    """Centre and MapLibre zoom fitting all bounds (plus a 10% margin) into a map of about width × height px."""
    minx, miny = float(bounds[:, 0].min()), float(bounds[:, 1].min())
    maxx, maxy = float(bounds[:, 2].max()), float(bounds[:, 3].max())
    # The world is 512 px wide at zoom 0; mercator stretches latitude by 1/cos(lat).
    lat_stretch = 1 / np.cos(np.radians((miny + maxy) / 2))
    zoom_x = np.log2(360 * (width_px / 512) / max((maxx - minx) * 1.1, 1e-6))
    zoom_y = np.log2(360 * (height_px / 512) / max((maxy - miny) * lat_stretch * 1.1, 1e-6))
    zoom = float(np.clip(min(zoom_x, zoom_y), 3, 16))
    return {"lon": round((minx + maxx) / 2, 5), "lat": round((miny + maxy) / 2, 5)}, round(zoom, 2)
