"""Building the test database: its schema, then the baseline data of ``seed=``.

Both run in one transaction where the database allows it; `TestDatabase` drops a
database whose build failed, so a failing seed leaves no half-built database.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
from collections.abc import Callable
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, CreateTable

from fixturekit._internal.notes import add_note
from fixturekit.db import _urls
from fixturekit.db._alembic import Alembic

__all__ = ["Schema", "Seed", "build", "check_seed", "check_session_class", "schema_hash"]

#: What ``schema=`` takes: MetaData, a callable that builds the schema on a Connection,
#: "alembic" / Alembic(...), or None (build nothing).
Schema = MetaData | Callable[[Connection], object] | Alembic | str | None

#: What ``seed=`` takes: a function given a Session, run once after the schema.
Seed = Callable[[Session], object]


def _code_identity(function: Any) -> bytes:
    text = f"{function.__module__}.{getattr(function, '__qualname__', '')}"
    with contextlib.suppress(OSError, TypeError):  # no source: the name must do
        text += inspect.getsource(function)
    return text.encode()


def schema_hash(schema: Schema, engine: Engine, seed: Seed | None = None) -> str:
    """What keep=True and templates compare: the schema's DDL (and the seed's code)."""
    digest = hashlib.sha256()
    if isinstance(schema, Alembic):
        digest.update(schema.schema_hash_source().encode())
    elif isinstance(schema, MetaData):
        for table in schema.sorted_tables:
            digest.update(str(CreateTable(table).compile(dialect=engine.dialect)).encode())
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                digest.update(str(CreateIndex(index).compile(dialect=engine.dialect)).encode())
    elif callable(schema):
        digest.update(_code_identity(schema))
    if seed is not None:
        digest.update(b"seed " + _code_identity(seed))
    return digest.hexdigest()[:32]


def check_seed(seed: object) -> Seed | None:
    if seed is not None and not callable(seed):
        raise TypeError(
            f"seed= takes a function given a Session (def seed(session): "
            f"session.add(...)), run once after the schema, not {seed!r}"
        )
    return seed


def check_session_class(session_class: object, what: str = "session_class=") -> type[Session]:
    if not (isinstance(session_class, type) and issubclass(session_class, Session)):
        raise TypeError(
            f"{what} takes a subclass of sqlalchemy.orm.Session (e.g. sqlmodel.Session), "
            f"not {session_class!r}"
        )
    return session_class


def default_session_class(schema: Schema) -> type[Session]:
    """``sqlmodel.Session`` when the schema is ``SQLModel.metadata``, else `Session`."""
    if isinstance(schema, MetaData):
        import sys

        sqlmodel = sys.modules.get("sqlmodel")
        if sqlmodel is not None and schema is sqlmodel.SQLModel.metadata:
            return sqlmodel.Session  # type: ignore[no-any-return]
    return Session


def build(
    engine: Engine,
    schema: Schema,
    *,
    given: URL,
    seed: Seed | None,
    session_class: type[Session],
) -> None:
    """Build ``schema`` on ``engine``'s database, then run ``seed`` and commit."""
    if isinstance(schema, str):
        raise TypeError(f"schema={schema!r}: use 'alembic' or Alembic('alembic.ini')")
    if isinstance(schema, Alembic):
        url = engine.url
        if "+" in given.drivername and given.get_driver_name() in _urls.ASYNC_DRIVERS:
            url = _urls.async_url(url, given)  # an async env.py wants one
        with engine.begin() as conn:
            schema.upgrade(url, conn)
    elif schema is not None:
        with engine.begin() as conn:
            if isinstance(schema, MetaData):
                schema.create_all(conn)
            else:
                schema(conn)
    if seed is not None:
        run_seed(engine, seed, session_class)


def run_seed(engine: Engine, seed: Seed, session_class: type[Session]) -> None:
    name = getattr(seed, "__qualname__", repr(seed))
    with engine.begin() as conn:
        session = session_class(bind=conn)
        try:
            seed(session)
            session.flush()
        except Exception as exc:
            add_note(
                exc,
                f"raised by seed={name}: the test database was not built (nothing of it "
                "is kept); fix the seed function",
            )
            raise
        finally:
            session.close()
