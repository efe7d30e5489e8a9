"""Where things are: the data directory, the default Utrecht inputs, the atlas directory and the atlas store."""

from __future__ import annotations

import os
from pathlib import Path

# The variables that override the defaults below, read once by etl.settings (never here).
DATA_ENV = "BUURTDEKKING_DATA"
ATLAS_ENV = "BUURTDEKKING_ATLAS"
STORE_ENV = "BUURTDEKKING_STORE"
DEFAULT_GEMEENTE = "GM0344"
REPO_ROOT = Path(__file__).resolve().parent.parent

# Relative to the data directory (see ../shared/data/SOURCES.md for what each file is).
DEFAULT_BOUNDARIES = Path("cbs/utrecht_buurten_wijken_2024.gpkg")
DEFAULT_STATISTICS = Path("cbs/utrecht_kwb_2024_cbs_original.csv")
# Teams by postcode: the centre of every Dutch PC4 (4pp, 2014), read in place, never copied.
DEFAULT_POSTCODES = Path("other/pc4_centroids_nl_4pp_2014.csv")


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit`` (--data-dir, or EtlSettings.data_dir), else ../shared/data beside the working directory or the repo."""
    if explicit:
        return Path(explicit)
    for base in (Path.cwd(), REPO_ROOT):
        candidate = base.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return REPO_ROOT.parent / "shared" / "data"


def atlas_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit`` (--atlas/--out, or EtlSettings.atlas_dir), else ./atlas."""
    if explicit:
        return Path(explicit)
    return Path.cwd() / "atlas"


def store_url(
    explicit: str | None = None,
    *,
    atlas: str | os.PathLike[str] | None = None,
    configured: str | None = None,
    default_atlas: str | os.PathLike[str] | None = None,
) -> str:
    """--store, else --atlas/--out, else ``configured`` (EtlSettings.store_url, $BUURTDEKKING_STORE), else the atlas
    directory (``default_atlas``: EtlSettings.atlas_dir, else ./atlas).

    A directory holds one atlas as a GeoPackage; ``postgresql://user@host:port/db?schema=name`` one PostGIS schema.
    """
    if explicit:
        return str(explicit)
    if atlas:
        return str(atlas)
    if configured:
        return configured
    return str(atlas_dir(default_atlas))
