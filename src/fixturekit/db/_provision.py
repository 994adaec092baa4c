"""Creating, recognising and dropping test databases on each backend.

fixturekit marks every database it creates, and records the hash of the schema it
built there: PostgreSQL in the database's comment, MySQL/MariaDB and SQLite files in a
one-row table ``fixturekit_test_database``. A database with the mark is a leftover of
ours and may be replaced; one without it belongs to someone else and is never dropped.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine, create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from fixturekit.db import _escapes

__all__ = ["FOREIGN", "MARKER_TABLE", "PostgreSQLProvisioner", "Provisioner", "provisioner"]

MARK = "fixturekit test database"
MARKER_TABLE = "fixturekit_test_database"
#: What state() returns for a database that exists but was not made by fixturekit.
FOREIGN = "<foreign>"
#: The schema hash recorded while the schema is being built.
PENDING = "pending"


class Provisioner(Protocol):
    def state(self) -> str | None:
        """None if absent, FOREIGN if not ours, else the schema hash we recorded."""

    def create(self) -> None: ...
    def mark(self, schema_hash: str) -> None: ...
    def drop(self) -> None: ...
    def close(self) -> None: ...


def provisioner(server_url: URL, name: str, sqlite_path: Path | None) -> Provisioner:
    backend = server_url.get_backend_name()
    if backend == "sqlite":
        assert sqlite_path is not None
        return _SQLiteFile(sqlite_path)
    if backend == "postgresql":
        return _PostgreSQL(server_url, name)
    return _MySQL(server_url, name)


def admin_engine(url: URL, *, pooled: bool = False) -> Engine:
    """An AUTOCOMMIT engine for CREATE/DROP DATABASE, ignored by the escape detector."""
    options: dict[str, object] = {} if pooled else {"poolclass": NullPool}
    engine = create_engine(url, isolation_level="AUTOCOMMIT", **options)
    return _escapes.ignore_engine(engine)


_admin_engine = admin_engine


class _PostgreSQL:
    def __init__(self, server_url: URL, name: str, *, admin: Engine | None = None) -> None:
        self.name = name
        self.quoted = '"' + name + '"'  # names are checked: letters, digits, underscores
        self._server_url = server_url
        #: An admin engine given by the caller (who disposes of it) or made on first use.
        self._engine: Engine | None = admin
        self._own_engine = admin is None

    def _admin(self) -> Engine:
        """An engine on a database of the server other than the test database."""
        if self._engine is not None:
            return self._engine
        tried = []
        last: OperationalError | None = None
        for database in (self._server_url.database, "postgres", "template1"):
            if not database or database == self.name or database in tried:
                continue
            tried.append(database)
            engine = _admin_engine(self._server_url.set(database=database))
            try:
                engine.connect().close()
            except OperationalError as exc:
                engine.dispose()
                last = exc
                continue
            self._engine = engine
            return engine
        raise OperationalError(
            f"cannot connect to the PostgreSQL server of "
            f"{self._server_url.render_as_string(hide_password=True)!r} to create the test "
            f"database (tried databases {', '.join(tried)}); is the server running, and may "
            "this user connect and create databases?",
            None,
            last.orig if last is not None and last.orig is not None else Exception(tried),
        ) from last

    def state(self) -> str | None:
        with self._admin().connect() as conn:
            row = conn.execute(
                text(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                    "WHERE datname = :name"
                ),
                {"name": self.name},
            ).first()
        if row is None:
            return None
        comment = row[0] or ""
        prefix = MARK + "; schema="
        return comment[len(prefix) :] if comment.startswith(prefix) else FOREIGN

    def create(self) -> None:
        with self._admin().connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {self.quoted}")
        self.mark(PENDING)

    def create_from(self, template: str, *, schema_hash: str = PENDING) -> None:
        """Create the database as a copy of ``template`` (nobody may be connected to it)."""
        with self._admin().connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE {self.quoted} TEMPLATE "{template}"')
            conn.exec_driver_sql(
                f"COMMENT ON DATABASE {self.quoted} IS '{MARK}; schema={schema_hash}'"
            )

    def mark(self, schema_hash: str) -> None:
        with self._admin().connect() as conn:
            conn.exec_driver_sql(
                f"COMMENT ON DATABASE {self.quoted} IS '{MARK}; schema={schema_hash}'"
            )

    def drop(self) -> None:
        engine = self._admin()
        with engine.connect() as conn:
            force = " WITH (FORCE)" if (conn.dialect.server_version_info or (0,)) >= (13,) else ""
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {self.quoted}{force}")

    def close(self) -> None:
        if self._engine is not None and self._own_engine:
            self._engine.dispose()
        self._engine = None


#: The PostgreSQL provisioner, which can also clone a template database.
PostgreSQLProvisioner = _PostgreSQL


class _MySQL:
    def __init__(self, server_url: URL, name: str) -> None:
        self.name = name
        self.quoted = "`" + name + "`"
        self._engine = _admin_engine(server_url._replace(database=None))

    def state(self) -> str | None:
        with self._engine.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :name"),
                {"name": self.name},
            ).first()
            if exists is None:
                return None
            marked = conn.execute(
                text(
                    "SELECT 1 FROM information_schema.TABLES "
                    "WHERE TABLE_SCHEMA = :name AND TABLE_NAME = :table"
                ),
                {"name": self.name, "table": MARKER_TABLE},
            ).first()
            if marked is None:
                return FOREIGN
            row = conn.exec_driver_sql(
                f"SELECT marker, schema_hash FROM {self.quoted}.{MARKER_TABLE}"
            ).first()
        if row is None or row[0] != MARK:
            return FOREIGN
        return str(row[1])

    def create(self) -> None:
        with self._engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {self.quoted} CHARACTER SET utf8mb4")
            conn.exec_driver_sql(
                f"CREATE TABLE {self.quoted}.{MARKER_TABLE} "
                "(marker VARCHAR(64) NOT NULL, schema_hash VARCHAR(64) NOT NULL)"
            )
            conn.exec_driver_sql(
                f"INSERT INTO {self.quoted}.{MARKER_TABLE} VALUES ('{MARK}', '{PENDING}')"
            )

    def mark(self, schema_hash: str) -> None:
        with self._engine.connect() as conn:
            conn.execute(
                text(f"UPDATE {self.quoted}.{MARKER_TABLE} SET schema_hash = :hash"),
                {"hash": schema_hash},
            )

    def drop(self) -> None:
        with self._engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {self.quoted}")

    def close(self) -> None:
        self._engine.dispose()


class _SQLiteFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _query(self, sql: str, *params: str) -> list[tuple[object, ...]]:
        with contextlib.closing(sqlite3.connect(self.path)) as conn, conn:
            return list(conn.execute(sql, params))

    def state(self) -> str | None:
        if not self.path.exists():
            return None
        try:
            tables = self._query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", MARKER_TABLE
            )
            if not tables:
                return FOREIGN
            rows = self._query(f"SELECT marker, schema_hash FROM {MARKER_TABLE}")
        except sqlite3.DatabaseError:  # not a SQLite database at all
            return FOREIGN
        if len(rows) != 1 or rows[0][0] != MARK:
            return FOREIGN
        return str(rows[0][1])

    def create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._query(
            f"CREATE TABLE {MARKER_TABLE} (marker TEXT NOT NULL, schema_hash TEXT NOT NULL)"
        )
        self._query(f"INSERT INTO {MARKER_TABLE} VALUES (?, ?)", MARK, PENDING)

    def mark(self, schema_hash: str) -> None:
        self._query(f"UPDATE {MARKER_TABLE} SET schema_hash = ?", schema_hash)

    def drop(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(f"{self.path}{suffix}")

    def close(self) -> None:
        pass
