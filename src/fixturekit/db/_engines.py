"""Engines for the test database, with SQLite's SAVEPOINT support switched on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, create_engine
from sqlalchemy.pool import NullPool, StaticPool

__all__ = ["make_async_engine", "make_sync_engine", "take_over_sqlite_transactions"]


def _connect(dbapi_connection: Any, connection_record: Any) -> None:
    # The stdlib driver begins transactions itself, and not before SAVEPOINT or DDL,
    # so a rolled-back savepoint's rows could survive. Switch its handling off...
    dbapi_connection.isolation_level = None


def _begin(connection: Connection) -> None:
    # ...and begin every transaction ourselves.
    connection.exec_driver_sql("BEGIN")


def take_over_sqlite_transactions(engine: Engine) -> None:
    """Make pysqlite/aiosqlite transactions (and so SAVEPOINTs) behave like other databases'."""
    if not event.contains(engine, "connect", _connect):
        event.listen(engine, "connect", _connect)
        event.listen(engine, "begin", _begin)


def make_sync_engine(url: URL, *, memory: bool) -> Engine:
    options: dict[str, Any] = {}
    if memory:
        options["poolclass"] = StaticPool
        options["connect_args"] = {"check_same_thread": False}
    engine = create_engine(url, **options)
    if url.get_backend_name() == "sqlite":
        take_over_sqlite_transactions(engine)
    return engine


def make_async_engine(url: URL) -> Any:
    """An AsyncEngine without a pool.

    Async drivers' connections belong to the event loop that opened them, and test
    runners commonly give each test its own loop, so pooled connections would outlive
    their loop. (A SQLite memory database lives on in the sync engine's connection.)
    SQLAlchemy's asyncpg and aiomysql adapters serialise the operations on one
    connection, so queries from several sessions of one sandbox take turns instead of
    failing with asyncpg's "another operation is in progress".
    """
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, poolclass=NullPool)
    if url.get_backend_name() == "sqlite":
        take_over_sqlite_transactions(engine.sync_engine)
    return engine
