"""The atlas on disk: one GeoPackage with all layers (EPSG:28992) plus manifest.json, written atomically."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from etl.atlas_schema import validate_atlas
from etl.staging import staging
from geodata.errors import InputError
from geodata.io import read_layer, write_gpkg_atomic

ATLAS_FILE = "atlas.gpkg"
MANIFEST_FILE = "manifest.json"
FORMAT = "buurtdekking-atlas"
FORMAT_VERSION = 1
PACKAGES = (
    "buurtdekking",
    "geopandas",
    "shapely",
    "pyogrio",
    "pyproj",
    "pandas",
    "numpy",
    "scipy",
    "libpysal",
    "esda",
    "access",
    "mapclassify",
    "dash",
    "plotly",
)


@dataclass(frozen=True)
class Atlas:
    """All layers of one build (name → frame) and the manifest that describes them."""

    layers: Mapping[str, pd.DataFrame]
    manifest: Mapping[str, Any] = field(default_factory=dict)
    # Extra files written beside the GeoPackage (e.g. the what-if travel cache), name → content.
    files: Mapping[str, bytes] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.layers[name]

    def with_layers(self, **layers: pd.DataFrame) -> Atlas:
        return Atlas({**self.layers, **layers}, self.manifest, self.files)

    def with_manifest(self, **entries: Any) -> Atlas:
        return Atlas(self.layers, {**self.manifest, **entries}, self.files)

    def with_files(self, **files: bytes) -> Atlas:
        return Atlas(self.layers, self.manifest, {**self.files, **files})


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def input_record(kind: str, path: str | os.PathLike[str]) -> dict[str, Any]:
    """What the manifest says of one input file: enough to know later exactly what was read."""
    p = Path(path)
    if not p.is_file():
        raise InputError.single(
            "FILE_NOT_FOUND",
            f"Bestand '{p}' ({kind}) bestaat niet.",
            f"File '{p}' ({kind}) does not exist.",
            file=p,
        )
    return {"kind": kind, "path": str(p.resolve()), "name": p.name, "bytes": p.stat().st_size, "sha256": sha256_file(p)}


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def layer_summary(frame: pd.DataFrame) -> dict[str, Any]:
    summary: dict[str, Any] = {"rows": len(frame), "columns": [c for c in frame.columns if c != "geometry"]}
    if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None:
        summary["crs"] = f"EPSG:{frame.crs.to_epsg()}"
        summary["geometry_type"] = sorted(set(frame.geom_type.dropna()))
    return summary


def full_manifest(atlas: Atlas, *, atlas_sha256: str) -> dict[str, Any]:
    """The manifest as written: the build's entries plus format, layer summaries, the atlas hash and its files."""
    manifest = {
        **atlas.manifest,
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "layers": {name: layer_summary(frame) for name, frame in atlas.layers.items()},
        "atlas_sha256": atlas_sha256,
    }
    if atlas.files:
        manifest["files"] = {
            name: {"bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            for name, content in atlas.files.items()
        }
    return manifest


def write_atlas(atlas: Atlas, out_dir: str | os.PathLike[str], *, validate: bool = False) -> Path:
    """Write atlas.gpkg then manifest.json, each via a staged file and a rename.

    If anything fails before the renames, the previous atlas stays as it was. Files staged by a build that was
    killed mid-write (its lock is free) are removed first; a live build's are left alone (etl/staging.py).
    With ``validate`` (the build) every layer is first checked against the atlas schema: one InputError
    listing each problem, raised before anything is written. Without it any layers may be written (test
    fixtures, benchmarks).
    """
    if validate:
        validate_atlas(atlas.layers)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    gpkg = out / ATLAS_FILE
    with staging(out) as prefix:
        staged = out / f"{prefix}{ATLAS_FILE}"
        staged_files = {name: out / f"{prefix}{name}" for name in atlas.files}
        write_gpkg_atomic(atlas.layers, staged)
        for name, content in atlas.files.items():
            staged_files[name].write_bytes(content)
        manifest = full_manifest(atlas, atlas_sha256=sha256_file(staged))
        fd, tmp_manifest = tempfile.mkstemp(prefix=f"{prefix}manifest-", suffix=".json", dir=out)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=2, default=str)
        os.replace(staged, gpkg)
        for name, path in staged_files.items():
            os.replace(path, out / name)
        os.replace(tmp_manifest, out / MANIFEST_FILE)
    return gpkg


def read_manifest(atlas_dir: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(atlas_dir) / MANIFEST_FILE
    if not path.is_file():
        raise InputError.single(
            "ATLAS_MISSING",
            f"Geen atlas in '{atlas_dir}'. Bouw er een met 'buurtdekking build' (of 'make run').",
            f"No atlas in '{atlas_dir}'. Build one with 'buurtdekking build' (or 'make run').",
            file=path,
        )
    with path.open(encoding="utf-8") as fh:
        manifest: dict[str, Any] = json.load(fh)
    if manifest.get("format") != FORMAT:
        raise InputError.single(
            "ATLAS_FORMAT",
            f"'{path}' is geen buurtdekking-atlas.",
            f"'{path}' is not a buurtdekking atlas.",
            file=path,
        )
    return manifest


def read_atlas(atlas_dir: str | os.PathLike[str], *, layers: list[str] | None = None) -> Atlas:
    """Read the manifest and the requested layers (all by default)."""
    manifest = read_manifest(atlas_dir)
    gpkg = Path(atlas_dir) / ATLAS_FILE
    names = layers or [str(n) for n, _ in pyogrio.list_layers(gpkg)]
    return Atlas({name: read_layer(gpkg, name) for name in names}, manifest)
