"""The PostGIS store: one atlas per schema, built in a staging schema and switched in one transaction."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from shapely.geometry import MultiLineString, MultiPoint, MultiPolygon
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from etl.atlas import Atlas, full_manifest
from etl.atlas_schema import validate_atlas
from etl.store.base import AtlasInfo, atlas_info
from etl.store.pg_names import (
    COLUMNS_TABLE,
    FILES_TABLE,
    GEOMETRY,
    MANIFEST_TABLE,
    OLD,
    ROW,
    STAGING,
    check_names,
    parse_url,
    quote,
)
from geodata.errors import InputError

CONNECT_TIMEOUT_S = 5
# The app asks for the version on every request: one query per second is plenty (a few ms each under load), and a
# new build is then served at most this much later.
VERSION_TTL_S = 1.0


def content_sha256(layers: Mapping[str, pd.DataFrame]) -> str:
    """A hash of the layers' names, columns, types, values and geometries (the database has no file to hash)."""
    digest = hashlib.sha256()
    for name, frame in layers.items():
        digest.update(json.dumps([name, [[str(c), str(d)] for c, d in frame.dtypes.items()]]).encode())
        geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
        plain = pd.DataFrame(frame.drop(columns=[geometry]) if geometry else frame)
        if plain.shape[1]:
            digest.update(pd.util.hash_pandas_object(plain, index=False).to_numpy().tobytes())
        if geometry:
            for wkb in frame.geometry.to_wkb():
                digest.update(b"\0" if wkb is None else wkb)
    return digest.hexdigest()


def promote_to_multi(geometry: gpd.GeoSeries) -> gpd.GeoSeries:
    """Polygons beside MultiPolygons become MultiPolygons (lines, points alike), as the GeoPackage writer does."""
    kinds = set(geometry.geom_type.dropna())
    for single, multi in (("Point", MultiPoint), ("LineString", MultiLineString), ("Polygon", MultiPolygon)):
        if {single, f"Multi{single}"} == kinds:
            return geometry.map(lambda g, s=single, m=multi: m([g]) if g is not None and g.geom_type == s else g)
    return geometry


def empty_dtype(written: str) -> str:
    """The type of a column without any value, as the GeoPackage reader gives it back: float64 for numbers (the
    database reader says object), object for the rest.

    Columns with values come back from PostgreSQL as from the GeoPackage already: text as str, integers as
    int64 (float64 with gaps), floats as float64, booleans as bool.
    """
    return "float64" if written.lower().startswith(("float", "int", "uint")) else "object"


class PostgisStore:
    """Atlases in one PostgreSQL database with PostGIS: this store reads and writes the one in ``schema``."""

    def __init__(self, url: str) -> None:
        self.url, self.schema = parse_url(url)
        self.engine: Engine = sa.create_engine(
            self.url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
        )
        self._version: tuple[float, str] = (-VERSION_TTL_S, "")
        # A forked server worker (gunicorn) must not share the parent's open connections.
        os.register_at_fork(after_in_child=lambda: self.engine.dispose(close=False))

    @property
    def location(self) -> str:
        shown = self.url.set(drivername="postgresql").update_query_dict({"schema": self.schema})
        return shown.render_as_string(hide_password=True)

    # ------------------------------------------------------------ connections and errors

    @contextlib.contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except OperationalError as exc:
            where = f"{self.url.host or 'localhost'}:{self.url.port or 5432}/{self.url.database}"
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else ""
            raise InputError.single(
                "STORE_UNREACHABLE",
                f"De databank {where} is niet bereikbaar ({detail}). Draait PostgreSQL en klopt de URL?",
                f"The database {where} cannot be reached ({detail}). Is PostgreSQL running and is the URL right?",
                file=self.location,
            ) from None
        try:
            with conn:
                yield conn
        except DBAPIError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise InputError.single(
                "STORE_ERROR",
                f"De databank weigerde: {detail}",
                f"The database refused: {detail}",
                file=self.location,
            ) from None

    def _lock_key(self) -> str:
        return f"buurtdekking-atlas:{self.url.database}:{self.schema}"

    def _is_atlas(self, conn: Connection, schema: str) -> bool:
        found = conn.execute(
            sa.text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND table_name = :t"),
            {"s": schema, "t": MANIFEST_TABLE},
        ).first()
        return found is not None

    def _atlas_names(self, conn: Connection) -> list[str]:
        rows = conn.execute(
            sa.text("SELECT table_schema FROM information_schema.tables WHERE table_name = :t ORDER BY table_schema"),
            {"t": MANIFEST_TABLE},
        )
        return [str(r[0]) for r in rows if "__" not in str(r[0])]

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A transaction that sees one atlas: a switch waits until it ends (and it waits for a switch)."""
        with self._connect() as conn, conn.begin():
            conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(hashtext(:k))"), {"k": self._lock_key()})
            if not self._is_atlas(conn, self.schema):
                held = self._atlas_names(conn)
                listed = ", ".join(held) or "-"
                raise InputError.single(
                    "ATLAS_MISSING",
                    f"Geen atlas in schema '{self.schema}' van {self.url.database}. Wel: {listed}. Bouw er een met "
                    f"'buurtdekking build --store URL?schema={self.schema}'.",
                    f"No atlas in schema '{self.schema}' of {self.url.database}. Held: {listed}. Build one with "
                    f"'buurtdekking build --store URL?schema={self.schema}'.",
                    file=self.location,
                )
            yield conn

    # ------------------------------------------------------------ reading

    def _manifest(self, conn: Connection, schema: str) -> dict[str, Any]:
        rows = conn.execute(sa.text(f"SELECT key, value FROM {quote(schema)}.{MANIFEST_TABLE} ORDER BY position"))
        return {str(key): value for key, value in rows}

    def _columns(self, conn: Connection) -> dict[str, list[tuple[str, str, int | None]]]:
        rows = conn.execute(
            sa.text(
                f"SELECT layer, column_name, dtype, srid FROM {quote(self.schema)}.{COLUMNS_TABLE} "
                "ORDER BY layer_position, position"
            )
        )
        out: dict[str, list[tuple[str, str, int | None]]] = {}
        for layer, column, dtype, srid in rows:
            out.setdefault(str(layer), []).append((str(column), str(dtype), srid))
        return out

    def _read_layer(self, conn: Connection, name: str, columns: list[tuple[str, str, int | None]]) -> pd.DataFrame:
        sql = f"SELECT * FROM {quote(self.schema)}.{quote(name)} ORDER BY {ROW}"
        geometry = [(c, srid) for c, dtype, srid in columns if dtype == GEOMETRY]
        frame: pd.DataFrame
        if geometry:
            geom_col, srid = geometry[0]
            frame = gpd.read_postgis(sa.text(sql), conn, geom_col=geom_col, crs=f"EPSG:{srid}" if srid else None)
        else:
            frame = pd.read_sql(sa.text(sql), conn)
        frame = frame[[c for c, _, _ in columns]].reset_index(drop=True)
        for column, dtype, _ in columns:
            if dtype != GEOMETRY and frame[column].dtype == object and frame[column].isna().all():
                frame[column] = frame[column].astype(empty_dtype(dtype))
        return frame

    def read_layer(self, name: str) -> pd.DataFrame:
        return self.read_atlas([name])[name]

    def read_atlas(self, layers: Sequence[str] | None = None) -> Atlas:
        with self._reading() as conn:
            manifest = self._manifest(conn, self.schema)
            columns = self._columns(conn)
            names = list(layers) if layers else list(columns)
            missing = [n for n in names if n not in columns]
            if missing:
                raise InputError.single(
                    "LAYER_NOT_FOUND",
                    f"Laag '{missing[0]}' staat niet in de atlas {self.location}. Beschikbare lagen: {', '.join(columns)}.",
                    f"Layer '{missing[0]}' is not in the atlas {self.location}. Available layers: {', '.join(columns)}.",
                    file=self.location,
                )
            return Atlas({n: self._read_layer(conn, n, columns[n]) for n in names}, manifest)

    def manifest(self) -> dict[str, Any]:
        with self._reading() as conn:
            return self._manifest(conn, self.schema)

    def read_file(self, name: str) -> bytes:
        with self._reading() as conn:
            found = conn.execute(
                sa.text(f"SELECT content FROM {quote(self.schema)}.{FILES_TABLE} WHERE name = :n"), {"n": name}
            ).first()
        if found is None:
            raise InputError.single(
                "ATLAS_FILE_MISSING",
                f"De atlas {self.location} heeft geen bestand '{name}'.",
                f"The atlas {self.location} has no file '{name}'.",
                file=self.location,
            )
        return bytes(found[0])

    def list_atlases(self) -> list[AtlasInfo]:
        with self._connect() as conn, conn.begin():
            names = self._atlas_names(conn)
            base = self.url.set(drivername="postgresql")
            return [
                atlas_info(
                    name,
                    base.update_query_dict({"schema": name}).render_as_string(hide_password=True),
                    self._manifest(conn, name),
                )
                for name in names
            ]

    def version(self) -> str:
        checked, version = self._version
        if time.monotonic() - checked < VERSION_TTL_S:
            return version
        # The switch renames a fresh schema into place: its oid is new with every build.
        with self._connect() as conn:
            oid = conn.execute(sa.text("SELECT oid FROM pg_namespace WHERE nspname = :s"), {"s": self.schema}).scalar()
        self._version = (time.monotonic(), f"pg-{oid or 0}")
        return self._version[1]

    # ------------------------------------------------------------ writing

    def write_atlas(
        self,
        layers: Mapping[str, pd.DataFrame],
        manifest: Mapping[str, Any],
        *,
        files: Mapping[str, bytes] | None = None,
        validate: bool = False,
    ) -> str:
        """Write every table into a fresh staging schema, then switch it in; a failure or a kill changes nothing."""
        if validate:
            validate_atlas(layers)
        check_names(layers)
        atlas = Atlas(layers, manifest, dict(files or {}))
        written = full_manifest(atlas, atlas_sha256=content_sha256(layers))
        staging = f"{self.schema}{STAGING}{secrets.token_hex(6)}"
        with self._connect() as guard:
            # Held for the whole build by this session: the next build knows a staging schema whose lock is
            # free belongs to a build that died (PostgreSQL releases it with the connection).
            guard.execute(sa.text("SELECT pg_advisory_lock(hashtext(:n))"), {"n": staging})
            guard.commit()
            try:
                self._drop_dead_staging(guard)
                self._require_postgis(guard)
                self._refuse_foreign(guard)
                guard.commit()  # no transaction left open on the lock's session while the build writes
                with self._connect() as conn, conn.begin():
                    conn.execute(sa.text(f"CREATE SCHEMA {quote(staging)}"))
                    _create_columns_table(conn, staging)
                for position, (name, frame) in enumerate(layers.items()):
                    self._write_layer(staging, position, name, frame)
                self._write_extras(staging, written, atlas.files)
                self._switch(staging)
                self._version = (-VERSION_TTL_S, "")  # this process sees its own build at once
            except BaseException:
                with contextlib.suppress(Exception), self._connect() as conn, conn.begin():
                    conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {quote(staging)} CASCADE"))
                raise
            finally:
                with contextlib.suppress(Exception):
                    guard.execute(sa.text("SELECT pg_advisory_unlock(hashtext(:n))"), {"n": staging})
                    guard.commit()
        return self.location

    def _require_postgis(self, conn: Connection) -> None:
        if conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first() is None:
            raise InputError.single(
                "STORE_POSTGIS",
                f"De databank {self.url.database} heeft geen PostGIS: voer 'CREATE EXTENSION postgis' uit.",
                f"The database {self.url.database} has no PostGIS: run 'CREATE EXTENSION postgis'.",
                file=self.location,
            )

    def _drop_dead_staging(self, guard: Connection) -> None:
        """Remove the staging schemas of builds of this atlas that were killed (their lock is free)."""
        names = guard.execute(
            sa.text("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, :p)"),
            {"p": self.schema + STAGING},
        ).scalars()
        for name in list(names):
            if guard.execute(sa.text("SELECT pg_try_advisory_lock(hashtext(:n))"), {"n": name}).scalar():
                guard.execute(sa.text(f"DROP SCHEMA IF EXISTS {quote(name)} CASCADE"))
                guard.execute(sa.text("SELECT pg_advisory_unlock(hashtext(:n))"), {"n": name})
            guard.commit()

    def _write_layer(self, staging: str, position: int, name: str, frame: pd.DataFrame) -> None:
        table = frame.reset_index(drop=True)
        geometry = table.geometry.name if isinstance(table, gpd.GeoDataFrame) and table.geometry.name in table else None
        srid = table.crs.to_epsg() if geometry and table.crs is not None else None
        columns = [
            {
                "layer": name,
                "layer_position": position,
                "column_name": str(col),
                "position": i,
                "dtype": GEOMETRY if col == geometry else str(dtype),
                "srid": srid if col == geometry else None,
            }
            for i, (col, dtype) in enumerate(table.dtypes.items())
        ]
        with self._connect() as conn, conn.begin():
            if geometry:
                table = table.set_geometry(promote_to_multi(table.geometry))
                gpd.GeoDataFrame(table).to_postgis(name, conn, schema=staging, index=True, index_label=ROW)
            else:
                pd.DataFrame(table).to_sql(name, conn, schema=staging, index=True, index_label=ROW)
            conn.execute(
                sa.text(
                    f"INSERT INTO {quote(staging)}.{COLUMNS_TABLE} (layer, layer_position, column_name, position, dtype, "
                    "srid) VALUES (:layer, :layer_position, :column_name, :position, :dtype, :srid)"
                ),
                columns,
            )

    def _write_extras(self, staging: str, manifest: Mapping[str, Any], files: Mapping[str, bytes]) -> None:
        with self._connect() as conn, conn.begin():
            conn.execute(
                sa.text(
                    f"CREATE TABLE {quote(staging)}.{MANIFEST_TABLE} (position integer NOT NULL, key text PRIMARY KEY, "
                    "value json NOT NULL)"
                )
            )
            # json, not jsonb: it keeps the text as written, so key order (the layers, in build order) survives.
            conn.execute(
                sa.text(
                    f"INSERT INTO {quote(staging)}.{MANIFEST_TABLE} (position, key, value) VALUES (:p, :k, CAST(:v AS json))"
                ),
                [
                    {"p": i, "k": key, "v": json.dumps(value, ensure_ascii=False, default=str)}
                    for i, (key, value) in enumerate(manifest.items())
                ],
            )
            conn.execute(
                sa.text(f"CREATE TABLE {quote(staging)}.{FILES_TABLE} (name text PRIMARY KEY, content bytea NOT NULL)")
            )
            if files:
                conn.execute(
                    sa.text(f"INSERT INTO {quote(staging)}.{FILES_TABLE} (name, content) VALUES (:n, :c)"),
                    [{"n": name, "c": content} for name, content in files.items()],
                )

    def _refuse_foreign(self, conn: Connection) -> None:
        """Never replace a schema that holds something else than an atlas."""
        live = conn.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": self.schema}).first()
        if live is not None and not self._is_atlas(conn, self.schema):
            raise InputError.single(
                "STORE_SCHEMA_TAKEN",
                f"Schema '{self.schema}' bestaat al en is geen atlas; kies een ander schema (?schema=…).",
                f"Schema '{self.schema}' exists and is not an atlas; choose another schema (?schema=…).",
                file=self.location,
            )

    def _switch(self, staging: str) -> None:
        """In one transaction: the live atlas renamed away, the staging schema renamed live, the old one dropped."""
        old = f"{self.schema}{OLD}{staging.rsplit('_', 1)[-1]}"
        with self._connect() as conn, conn.begin():
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": self._lock_key()})
            self._refuse_foreign(conn)
            live = conn.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": self.schema}).first()
            if live is not None:
                conn.execute(sa.text(f"ALTER SCHEMA {quote(self.schema)} RENAME TO {quote(old)}"))
            conn.execute(sa.text(f"ALTER SCHEMA {quote(staging)} RENAME TO {quote(self.schema)}"))
            if live is not None:
                conn.execute(sa.text(f"DROP SCHEMA {quote(old)} CASCADE"))


def _create_columns_table(conn: Connection, staging: str) -> None:
    conn.execute(
        sa.text(
            f"CREATE TABLE {quote(staging)}.{COLUMNS_TABLE} (layer text NOT NULL, layer_position integer NOT NULL, "
            "column_name text NOT NULL, position integer NOT NULL, dtype text NOT NULL, srid integer, "
            "PRIMARY KEY (layer, column_name))"
        )
    )


@functools.lru_cache(maxsize=16)
def postgis_store(url: str) -> PostgisStore:
    """One store (and one connection pool) per URL and process."""
    return PostgisStore(url)
