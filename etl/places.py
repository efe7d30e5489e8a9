"""What places teams given by address: the PC4 table of the data directory and, only when asked, PDOK with its cache."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from etl import config
from etl.rules.reference import CareReference
from geodata.geocode import PDOK_FREE_URL, PdokGeocoder, default_cache_path
from geodata.postcodes import PostcodeTable

GEOCODERS = ("pdok",)


def postcode_table(data_dir: str | os.PathLike[str] | None = None) -> PostcodeTable:
    """The PC4 centroid table in the data directory (read on first use; missing is fine until a team needs it)."""
    return PostcodeTable(config.data_dir(data_dir) / config.DEFAULT_POSTCODES)


def geocoder(name: str | None, *, cache: Path | None = None, base_url: str = PDOK_FREE_URL) -> PdokGeocoder | None:
    """PDOK Locatieserver with its cache file for ``--geocode pdok``; None without the flag (nothing goes online).

    ``base_url`` is another address of the same service (EtlSettings.pdok_url: a proxy or a local stand-in)."""
    if name is None:
        return None
    if name not in GEOCODERS:
        raise ValueError(f"unknown geocoder {name!r}; expected one of {GEOCODERS}")
    return PdokGeocoder(cache_path=cache or default_cache_path(), base_url=base_url)


def with_places(
    reference: CareReference,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    geocode: str | None = None,
    cache: Path | None = None,
    base_url: str = PDOK_FREE_URL,
) -> CareReference:
    """``reference`` able to place teams by postcode (offline) and, with ``geocode``, by address."""
    return reference.with_places(
        postcodes=postcode_table(data_dir), geocoder=geocoder(geocode, cache=cache, base_url=base_url)
    )


def geocoder_summary(reference: CareReference) -> dict[str, Any] | None:
    """What the geocoder of this reference did (asked, from cache, failed), for the manifest and the output."""
    found = reference.geocoder
    return found.summary() if isinstance(found, PdokGeocoder) else None


def geocoder_note(summary: dict[str, Any] | None) -> str | None:
    if not summary:
        return None
    return (
        f"PDOK Locatieserver: {summary['asked']} adres(sen) gevraagd, {summary['from_cache']} uit de cache, "
        f"{summary['failed']} mislukt (cache: {summary['cache']}) / {summary['asked']} address(es) asked, "
        f"{summary['from_cache']} from the cache, {summary['failed']} failed"
    )
