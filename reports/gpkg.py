"""The area's layers as a GeoPackage (EPSG:28992) with protected values, valid under PDOK's geopackage-validator."""

from __future__ import annotations

import os
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from etl.sensitive import MISSING, SUPPRESSED
from geodata.crs import RD_NEW
from reports.snapshot import QUALITY_COLUMN, Snapshot
from reports.tables import metadata_rows

# PDOK RQ1/RQ6: names start with a letter and hold only a-z, 0-9 and _. RC: geometry column 'geom'.
GEOMETRY_NAME = "geom"
GPKG_VERSION = "1.3"  # the newest version PDOK's validator and older GDALs fully support
_NAME_BAD = re.compile(r"[^a-z0-9_]+")


def safe_name(text: str) -> str:
    """A PDOK-valid layer or column name: lower case a-z, 0-9 and _, starting with a letter."""
    name = _NAME_BAD.sub("_", text.strip().lower()).strip("_")
    if not name or not name[0].isalpha():
        name = "v_" + name
    return name[:60]


def _polygons(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """MultiPolygons with counter-clockwise exteriors (PDOK RC: orientation), one type for the whole layer."""
    geoms = shapely.make_valid(gdf.geometry.to_numpy())
    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    multi = [
        g
        if g is None or isinstance(g, shapely.MultiPolygon)
        else shapely.MultiPolygon([p for p in getattr(g, "geoms", [g]) if isinstance(p, shapely.Polygon)])
        for g in geoms
    ]
    return gpd.GeoSeries(multi, index=gdf.index, crs=RD_NEW)


def unit_layer(snapshot: Snapshot) -> gpd.GeoDataFrame:
    """The units of the view with the protected value (NULL where suppressed or missing) and its shown text."""
    level = snapshot.unit_level
    units = snapshot.units.sort_values("code").reset_index(drop=True)
    out = pd.DataFrame({f"{level}code": units["code"].astype(str), f"{level}naam": units["naam"].astype(str)})
    if level == "buurt":
        for col in ("wijkcode", "wijknaam"):
            out[col] = units[col].astype(str) if col in units else ""
    out = out.assign(**gemeente_columns(snapshot, len(out)))
    value_col = safe_name(snapshot.indicator_key)
    if snapshot.kind == "category":
        out[value_col] = units["weergave"].where(units["status"] == "ok").astype(object)
    else:
        values = pd.to_numeric(units["waarde"], errors="coerce").astype("float64")
        out[value_col] = values.mask(units["status"].isin([SUPPRESSED, MISSING]).to_numpy())
    out["weergave"] = units["weergave"].astype(str)
    out["status"] = units["status"].astype(str)
    if QUALITY_COLUMN in units:
        out[QUALITY_COLUMN] = units[QUALITY_COLUMN].where(units["status"] == "ok").astype(object)
    out["periode"] = snapshot.period
    out["is_demo"] = snapshot.is_demo
    return gpd.GeoDataFrame(out, geometry=_polygons(units).to_numpy(), crs=RD_NEW)


def gemeente_columns(snapshot: Snapshot, n: int) -> dict[str, pd.Series]:
    """``gemeentecode``, ``gemeentenaam`` (text) and ``grenzen_jaar`` (integer, NULL when unknown) for ``n`` rows."""
    year = snapshot.boundary_year_number
    return {
        "gemeentecode": pd.Series([snapshot.gemeente_code] * n, dtype=object),
        "gemeentenaam": pd.Series([snapshot.gemeente_name] * n, dtype=object),
        "grenzen_jaar": pd.Series([year] * n, dtype="Int32"),
    }


def area_layer(snapshot: Snapshot) -> gpd.GeoDataFrame:
    outline = shapely.union_all(snapshot.units.geometry.to_numpy())
    frame = gpd.GeoDataFrame(
        {
            "code": [snapshot.area_code],
            "naam": [snapshot.area_name],
            "niveau": [snapshot.area_level],
            **gemeente_columns(snapshot, 1),
        },
        geometry=[outline],
        crs=RD_NEW,
    )
    return frame.set_geometry(_polygons(frame).to_numpy()).set_crs(RD_NEW, allow_override=True)


def teams_layer(snapshot: Snapshot) -> gpd.GeoDataFrame | None:
    teams = snapshot.teams
    if teams is None or teams.empty:
        return None
    keep = [c for c in ("team_id", "naam", "organisatie", "soort", "is_demo") if c in teams.columns]
    out = pd.DataFrame({safe_name(c): teams[c].astype(str) if c != "is_demo" else teams[c].astype(bool) for c in keep})
    geoms = gpd.GeoSeries(teams.geometry.to_numpy(), crs=teams.crs).to_crs(RD_NEW)
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry=geoms.to_numpy(), crs=RD_NEW)


def info_table(snapshot: Snapshot) -> pd.DataFrame:
    rows = metadata_rows(snapshot)
    return pd.DataFrame({"sleutel": [k for k, _ in rows], "waarde": [v for _, v in rows]})


def write_gpkg(snapshot: Snapshot, path: str | os.PathLike[str], **_: object) -> None:
    """Layers: the units (``buurten`` or ``wijken``), ``gebied`` (the area outline), ``teams`` (when any) and
    the attribute table ``toelichting`` (method, protection, lineage). Empty layers are left out (PDOK RQ2)."""
    target = Path(path)
    if target.exists():
        target.unlink()
    layers: list[tuple[str, pd.DataFrame]] = [
        (f"{snapshot.unit_level}en", unit_layer(snapshot)),
        ("gebied", area_layer(snapshot)),
    ]
    teams = teams_layer(snapshot)
    if teams is not None:
        layers.append(("teams", teams))
    layers.append(("toelichting", info_table(snapshot)))
    for i, (name, frame) in enumerate(layers):
        options: dict[str, object] = {"driver": "GPKG", "layer": safe_name(name), "append": i > 0}
        if i == 0:
            options["dataset_options"] = {"VERSION": GPKG_VERSION}
        if isinstance(frame, gpd.GeoDataFrame):
            options["layer_options"] = {"GEOMETRY_NAME": GEOMETRY_NAME}
            pyogrio.write_dataframe(frame, target, **options)
        else:
            pyogrio.write_dataframe(pd.DataFrame(frame), target, **options)
