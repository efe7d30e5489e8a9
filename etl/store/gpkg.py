"""The atlas directory store: atlas.gpkg, manifest.json and the build's files, exactly as etl/atlas.py writes them."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from etl import atlas as atlas_dir
from etl.atlas import ATLAS_FILE, MANIFEST_FILE, Atlas
from etl.store.base import AtlasInfo, atlas_info
from geodata.errors import InputError
from geodata.io import list_layers, read_layer


class GpkgStore:
    """One atlas in one directory (the default store)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    @property
    def location(self) -> str:
        return str(self.directory)

    def write_atlas(
        self,
        layers: Mapping[str, pd.DataFrame],
        manifest: Mapping[str, Any],
        *,
        files: Mapping[str, bytes] | None = None,
        validate: bool = False,
    ) -> str:
        written = atlas_dir.write_atlas(Atlas(layers, manifest, files or {}), self.directory, validate=validate)
        return str(written)

    def _gpkg(self) -> Path:
        atlas_dir.read_manifest(self.directory)  # no atlas: the error says how to build one
        return self.directory / ATLAS_FILE

    def read_layer(self, name: str) -> pd.DataFrame:
        gpkg = self._gpkg()
        names = list_layers(gpkg)
        if name not in names:
            raise InputError.single(
                "LAYER_NOT_FOUND",
                f"Laag '{name}' staat niet in de atlas '{gpkg}'. Beschikbare lagen: {', '.join(names)}.",
                f"Layer '{name}' is not in the atlas '{gpkg}'. Available layers: {', '.join(names)}.",
                file=gpkg,
            )
        return read_layer(gpkg, name)

    def read_atlas(self, layers: Sequence[str] | None = None) -> Atlas:
        return atlas_dir.read_atlas(self.directory, layers=list(layers) if layers else None)

    def manifest(self) -> dict[str, Any]:
        return atlas_dir.read_manifest(self.directory)

    def read_file(self, name: str) -> bytes:
        path = self.directory / name
        if not path.is_file():
            raise InputError.single(
                "ATLAS_FILE_MISSING",
                f"De atlas in '{self.directory}' heeft geen bestand '{name}'.",
                f"The atlas in '{self.directory}' has no file '{name}'.",
                file=path,
            )
        return path.read_bytes()

    def list_atlases(self) -> list[AtlasInfo]:
        if not (self.directory / MANIFEST_FILE).is_file():
            return []
        return [atlas_info(self.directory.name, self.location, self.manifest())]

    def version(self) -> str:
        # The manifest is renamed into place last: its change time and size change with every build.
        try:
            stat = (self.directory / MANIFEST_FILE).stat()
        except FileNotFoundError:
            return "0"
        return f"{stat.st_mtime_ns}-{stat.st_ino}-{stat.st_size}"
