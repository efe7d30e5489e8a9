"""File IO for geographic data: read any vector source with pyogrio, write GeoPackages atomically."""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from geodata.errors import InputError

VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".parquet", ".geoparquet", ".fgb"}


def _not_found(path: Path) -> InputError:
    return InputError.single(
        "FILE_NOT_FOUND",
        f"Bestand '{path}' bestaat niet. Controleer het pad of de datamap (--data-dir / BUURTDEKKING_DATA).",
        f"File '{path}' does not exist. Check the path or the data directory (--data-dir / BUURTDEKKING_DATA).",
        file=path,
    )


def _unreadable(path: Path, detail: str) -> InputError:
    return InputError.single(
        "FILE_UNREADABLE",
        f"Bestand '{path.name}' is geen leesbaar geografisch bestand (GeoPackage, GeoJSON, Shapefile of GeoParquet): {detail}",
        f"File '{path.name}' is not a readable geographic file (GeoPackage, GeoJSON, Shapefile or GeoParquet): {detail}",
        file=path,
    )


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in {".parquet", ".geoparquet"}


def _zip_target(path: Path) -> str:
    """GDAL reads zipped shapefiles through /vsizip/; point it at the one .shp inside (or the zip itself)."""
    try:
        with zipfile.ZipFile(path) as zf:
            shps = [n for n in zf.namelist() if n.lower().endswith(".shp")]
    except zipfile.BadZipFile as exc:
        raise _unreadable(path, "geen geldig zip-bestand / not a valid zip file") from exc
    if len(shps) == 1:
        return f"/vsizip/{path}/{shps[0]}"
    return f"/vsizip/{path}"


def gdal_path(path: Path) -> str:
    if path.suffix.lower() == ".zip":
        return _zip_target(path)
    return str(path)


def list_layers(path: str | os.PathLike[str]) -> list[str]:
    """Layer names in a vector file (one for GeoJSON, Shapefile and GeoParquet)."""
    p = Path(path)
    if not p.exists():
        raise _not_found(p)
    if _is_parquet(p):
        return [p.stem]
    try:
        return [str(name) for name, _ in pyogrio.list_layers(gdal_path(p))]
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise _unreadable(p, str(exc)) from exc


def read_vector(path: str | os.PathLike[str], *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read one layer of any supported vector file; errors name the file and the layers it does have."""
    p = Path(path)
    if not p.exists():
        raise _not_found(p)
    if _is_parquet(p):
        try:
            return gpd.read_parquet(p)
        except Exception as exc:  # pyarrow raises many types for a bad file
            raise _unreadable(p, str(exc)) from exc
    if layer is not None:
        layers = list_layers(p)
        if layer not in layers:
            raise InputError.single(
                "LAYER_NOT_FOUND",
                f"Laag '{layer}' staat niet in '{p.name}'. Beschikbare lagen: {', '.join(layers)}.",
                f"Layer '{layer}' is not in '{p.name}'. Available layers: {', '.join(layers)}.",
                file=p,
            )
    try:
        return pyogrio.read_dataframe(gdal_path(p), layer=layer)
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise _unreadable(p, str(exc)) from exc


def write_gpkg_atomic(layers: Mapping[str, pd.DataFrame], path: str | os.PathLike[str]) -> None:
    """Write all layers to a temporary GeoPackage beside ``path`` and rename it into place.

    A failure at any layer leaves the previous file untouched. Frames without geometry become
    attribute tables (GeoPackage 'attributes'), which QGIS also opens.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".gpkg", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        for name, frame in layers.items():
            write_layer(frame, tmp, layer=name)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_layer(frame: pd.DataFrame, path: Path, *, layer: str) -> None:
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", append=path.exists())
    else:
        pyogrio.write_dataframe(pd.DataFrame(frame), path, layer=layer, driver="GPKG", append=path.exists())


def read_layer(path: str | os.PathLike[str], layer: str) -> pd.DataFrame:
    """Read one atlas layer; attribute tables come back as plain DataFrames (pyogrio does that)."""
    return pyogrio.read_dataframe(path, layer=layer)
