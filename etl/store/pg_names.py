"""Names in the PostGIS store: the URL and the atlas schema it names, the names PostgreSQL keeps, our own tables."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError

from etl.store.base import redact
from geodata.errors import InputError, Problem, raise_if_any

DEFAULT_SCHEMA = "atlas"
MANIFEST_TABLE = "atlas_manifest"
FILES_TABLE = "atlas_files"
COLUMNS_TABLE = "atlas_columns"
RESERVED = {MANIFEST_TABLE, FILES_TABLE, COLUMNS_TABLE}
# Row order is part of a layer (the GeoPackage keeps it): every table carries its position in this column.
ROW = "atlas_row"
GEOMETRY = "geometry"
# "__" marks a build's own schemas (staging, and the old atlas during the switch): atlas names never contain it.
SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
STAGING = "__new_"
OLD = "__old_"
# PostgreSQL truncates longer identifiers silently; refuse them instead.
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def url_error(url: str, why_nl: str, why_en: str) -> InputError:
    return InputError.single(
        "STORE_URL",
        f"Ongeldige databank-URL '{url}': {why_nl}. Voorbeeld: postgresql://gebruiker@host:5432/db?schema=utrecht_2024.",
        f"Invalid database URL '{url}': {why_en}. Example: postgresql://user@host:5432/db?schema=utrecht_2024.",
        file=url,
    )


def parse_url(url: str) -> tuple[sa.URL, str]:
    """The SQLAlchemy URL (driver psycopg, without ``schema``) and the atlas schema that ``url`` names."""
    shown = redact(url)
    text = "postgresql://" + url[len("postgres://") :] if url.startswith("postgres://") else url
    try:
        parsed = sa.make_url(text)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise url_error(shown, "dit is geen URL", "this is not a URL") from None
    if parsed.get_backend_name() != "postgresql" or parsed.get_driver_name() not in ("psycopg", "psycopg2", ""):
        raise url_error(shown, "alleen postgresql:// wordt ondersteund", "only postgresql:// is supported")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_driver_name() != "psycopg":
        raise url_error(shown, "gebruik postgresql:// (stuurprogramma psycopg)", "use postgresql:// (driver psycopg)")
    if not parsed.database:
        raise url_error(shown, "de naam van de databank ontbreekt", "the database name is missing")
    schema = parsed.query.get("schema", DEFAULT_SCHEMA)
    if not isinstance(schema, str) or not SCHEMA_NAME.match(schema) or "__" in schema:
        raise InputError.single(
            "STORE_SCHEMA",
            f"Ongeldige schemanaam '{schema}' in '{shown}': kleine letters, cijfers en _ (geen __), hoogstens 40 tekens.",
            f"Invalid schema name '{schema}' in '{shown}': lower-case letters, digits and _ (no __), at most 40 characters.",
            file=shown,
        )
    return parsed.difference_update_query(["schema"]), schema


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def check_names(layers: Mapping[str, pd.DataFrame]) -> None:
    """PostgreSQL would truncate a long name silently and our own tables have fixed names: refuse those first."""
    rule_nl = f"hoogstens 63 tekens, letters, cijfers en _, niet {', '.join(sorted(RESERVED | {ROW}))}"
    rule_en = f"at most 63 characters, letters, digits and _, not {', '.join(sorted(RESERVED | {ROW}))}"
    problems = [
        Problem(
            "STORE_NAME",
            f"Laagnaam '{name}' kan niet in PostGIS ({rule_nl}).",
            f"Layer name '{name}' cannot be stored in PostGIS ({rule_en}).",
            file=name,
        )
        for name in layers
        if not IDENTIFIER.match(name) or name in RESERVED
    ] + [
        Problem(
            "STORE_NAME",
            f"Kolomnaam '{col}' van laag '{name}' kan niet in PostGIS ({rule_nl}).",
            f"Column name '{col}' of layer '{name}' cannot be stored in PostGIS ({rule_en}).",
            file=name,
            column=str(col),
        )
        for name, frame in layers.items()
        for col in frame.columns
        if len(str(col).encode()) > 63 or str(col) == ROW
    ]
    raise_if_any(problems)
