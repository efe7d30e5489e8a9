"""The atlas store interface: one atlas's layers, manifest and files, in a directory or in a database schema."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from etl.atlas import Atlas


@dataclass(frozen=True)
class AtlasInfo:
    """What a store lists of one atlas it holds: where, which gemeenten, which year, when built."""

    name: str
    location: str
    gemeenten: tuple[str, ...]
    cbs_year: int | None
    created: str
    demo: bool
    layers: int


class AtlasStore(Protocol):
    """Where atlases live. The app and the command line read and write only through these methods."""

    @property
    def location(self) -> str:
        """The store as users name it (a directory, or the database URL without its password)."""
        ...

    def write_atlas(
        self,
        layers: Mapping[str, pd.DataFrame],
        manifest: Mapping[str, Any],
        *,
        files: Mapping[str, bytes] | None = None,
        validate: bool = False,
    ) -> str:
        """Write one atlas so that readers see the previous one until the new one is complete; returns where."""
        ...

    def read_layer(self, name: str) -> pd.DataFrame:
        """One layer, as the build wrote it (geometry in EPSG:28992)."""
        ...

    def read_atlas(self, layers: Sequence[str] | None = None) -> Atlas:
        """The manifest and the requested layers (all by default), all of the same build."""
        ...

    def manifest(self) -> dict[str, Any]:
        """The atlas's manifest: inputs, methods, layers, the atlas hash."""
        ...

    def read_file(self, name: str) -> bytes:
        """A file the build stored beside its layers (the what-if travel cache)."""
        ...

    def list_atlases(self) -> list[AtlasInfo]:
        """Every atlas this store holds (a directory holds one, a database one per schema)."""
        ...

    def version(self) -> str:
        """A cheap token that changes whenever a build replaces the atlas: the key for caches."""
        ...


def atlas_info(name: str, location: str, manifest: Mapping[str, Any]) -> AtlasInfo:
    """The listing entry of an atlas, from its manifest."""
    year = manifest.get("cbs_year")
    return AtlasInfo(
        name=name,
        location=location,
        gemeenten=tuple(str(g) for g in manifest.get("gemeenten") or ()),
        cbs_year=int(year) if isinstance(year, int | str) and str(year).isdigit() else None,
        created=str(manifest.get("created", "")),
        demo=bool(manifest.get("demo", False)),
        layers=len(manifest.get("layers") or {}),
    )


def redact(url: str) -> str:
    """``url`` without its password, for messages and listings."""
    return re.sub(r"://([^:@/]*):[^@/]*@", r"://\1:***@", url)
