"""The atlas store behind one interface: a directory with a GeoPackage (default) or a PostGIS schema."""

from __future__ import annotations

import os
import re
from pathlib import Path

from etl.store.base import AtlasInfo, AtlasStore, redact
from etl.store.gpkg import GpkgStore
from etl.store.postgis import PostgisStore, postgis_store
from geodata.errors import InputError

__all__ = ["AtlasInfo", "AtlasStore", "GpkgStore", "PostgisStore", "is_url", "open_store", "store_key"]

URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(location: str | os.PathLike[str]) -> bool:
    return isinstance(location, str) and bool(URL.match(location))


def store_key(location: str | os.PathLike[str]) -> str:
    """One spelling per store, for caches: a database URL as given, a directory resolved."""
    return str(location) if is_url(location) else str(Path(location).resolve())


def open_store(location: str | os.PathLike[str]) -> AtlasStore:
    """``postgresql://user@host:port/db?schema=name`` → that PostGIS schema; anything else is an atlas directory."""
    if not is_url(location):
        return GpkgStore(location)
    text = redact(str(location))
    if text.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        return postgis_store(str(location))
    scheme = text.split("://", 1)[0]
    raise InputError.single(
        "STORE_URL",
        f"Onbekend soort atlasopslag '{scheme}://' in '{text}': geef een map of een postgresql://-URL.",
        f"Unknown kind of atlas store '{scheme}://' in '{text}': give a directory or a postgresql:// URL.",
        file=text,
    )
