"""The ETL's settings: read once from the environment by an entry point (the command, the WSGI app), then passed down."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from etl import config
from geodata.errors import InputError
from geodata.geocode import PDOK_FREE_URL, default_cache_path

STORE_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class Variable:
    """One environment variable as docs/CONFIGURATION.md lists it: its section, default and meaning in English."""

    name: str
    default: str
    meaning: str
    section: str


ETL_VARIABLES: tuple[Variable, ...] = (
    Variable(
        "BUURTDEKKING_DATA",
        "`../shared/data` beside the working directory or the repository",
        "the data directory (CBS boundaries, Kerncijfers, the PC4 table, road files); `--data-dir` wins",
        "data",
    ),
    Variable(
        "BUURTDEKKING_ATLAS",
        "`./atlas`",
        "the atlas directory that `serve`, `validate`, `export`, `whatif` and `gunicorn dashboard.wsgi:server` "
        "read; `--atlas`/`--out` wins",
        "data",
    ),
    Variable(
        "BUURTDEKKING_STORE",
        "unset: the atlas directory",
        "the atlas store that `serve`, `whatif`, `atlases` and `gunicorn dashboard.wsgi:server` read and `build` "
        "writes: an atlas directory, or `postgresql://user[:password]@host:port/db?schema=name` (one atlas per "
        "schema, default schema `atlas`); `--store` wins, then `--atlas`/`--out`; anything else is refused",
        "data",
    ),
    Variable(
        "BUURTDEKKING_CACHE",
        "`buurtdekking-cache-<uid>` in the temp directory",
        "where each worker keeps the published (protected) tables of an atlas between starts, keyed by the atlas hash",
        "data",
    ),
    Variable(
        "BUURTDEKKING_PDOK_URL",
        f"`{PDOK_FREE_URL}`",
        "another address of PDOK Locatieserver (a proxy, or the tests' local stand-in) for `--geocode pdok`",
        "data",
    ),
    Variable(
        "XDG_CACHE_HOME",
        "`~/.cache`",
        "where `--geocode pdok` keeps its address cache (`buurtdekking/pdok-locatieserver.json` in it); "
        "`--geocode-cache` wins",
        "data",
    ),
)


def default_cache_dir() -> Path:
    """The published-tables cache without BUURTDEKKING_CACHE: per user, in the temp directory."""
    return Path(tempfile.gettempdir()) / f"buurtdekking-cache-{os.getuid()}"


def invalid(name: str, value: str, nl: str, en: str) -> InputError:
    """The error for a variable that cannot be used: its name and value, what is wrong, in Dutch and English."""
    shown = value[:240]
    return InputError.single("SETTING_INVALID", f"{name}={shown!r}: {nl}", f"{name}={shown!r}: {en}", column=name)


def parse_store_url(value: str) -> str | None:
    """BUURTDEKKING_STORE: None when unset, else a directory path or a PostGIS URL, as given."""
    raw = value.strip()
    if not raw:
        return None
    name = "BUURTDEKKING_STORE"
    if "://" in raw:
        parts = urlsplit(raw)
        if parts.scheme.lower() not in STORE_SCHEMES:
            raise invalid(
                name,
                raw,
                f"alleen een map of een URL met {' of '.join(STORE_SCHEMES)}://",
                f"only a directory or a URL with {' or '.join(STORE_SCHEMES)}://",
            )
        if not (parts.netloc or parts.path.strip("/")):
            raise invalid(name, raw, "de URL noemt geen server of database", "the URL names no server or database")
        return raw
    if Path(raw).exists() and not Path(raw).is_dir():
        raise invalid(name, raw, "dit is een bestand, geen map", "this is a file, not a directory")
    return raw


@dataclass(frozen=True)
class EtlSettings:
    """Where the ETL and the commands find their data, atlas, caches and geocoder."""

    data_dir: Path
    atlas_dir: Path
    cache_dir: Path
    geocode_cache: Path
    pdok_url: str = PDOK_FREE_URL
    store_url: str | None = None

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None) -> EtlSettings:
        """Every ETL variable of ``env`` (the process environment when None), checked; InputError names a bad one."""
        env = os.environ if env is None else env

        def get(name: str) -> str:
            return (env.get(name) or "").strip()

        xdg = get("XDG_CACHE_HOME")
        return cls(
            data_dir=Path(get("BUURTDEKKING_DATA")) if get("BUURTDEKKING_DATA") else config.data_dir(),
            atlas_dir=Path(get("BUURTDEKKING_ATLAS")) if get("BUURTDEKKING_ATLAS") else config.atlas_dir(),
            cache_dir=Path(get("BUURTDEKKING_CACHE")) if get("BUURTDEKKING_CACHE") else default_cache_dir(),
            geocode_cache=default_cache_path(Path(xdg) if xdg else None),
            pdok_url=_http_url("BUURTDEKKING_PDOK_URL", get("BUURTDEKKING_PDOK_URL")) or PDOK_FREE_URL,
            store_url=parse_store_url(get("BUURTDEKKING_STORE")),
        )


def _http_url(name: str, value: str) -> str:
    """An http(s) URL as given, "" when unset; anything else is refused."""
    if value and urlsplit(value).scheme.lower() not in ("http", "https"):
        raise invalid(name, value, "geef een http://- of https://-adres", "give an http:// or https:// address")
    return value
