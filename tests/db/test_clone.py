"""isolation="clone": each sandbox gets a fresh database cloned from the template."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, insert, inspect, select, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

from fixturekit.db import SandboxError, SandboxEscapeError, TestDatabase, UnsafeDatabaseError
from fixturekit.db._provision import MARK, MARKER_TABLE
from fixturekit.db._urls import normalise

from .conftest import POSTGRES_URL, User, count, names, users


@pytest.fixture
def clonable(db: TestDatabase) -> TestDatabase:
    if db.backend in ("mysql", "mariadb"):
        pytest.skip("MySQL/MariaDB cannot clone (tested below)")
    return db


def other_engine(url: URL) -> Engine:
    """An engine the application would make from the clone's URL."""
    return create_engine(url.render_as_string(hide_password=False), poolclass=NullPool)


def clone_exists(db: TestDatabase, url: URL) -> bool:
    if db.backend == "sqlite":
        if db.memory:
            return False  # a memory database ends with its last connection
        return Path(str(url.database)).exists()
    admin = create_engine(normalise(POSTGRES_URL), poolclass=NullPool)
    try:
        with admin.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
            ).first()
    finally:
        admin.dispose()
    return found is not None


def test_a_clone_sandbox_really_commits_and_is_dropped_at_exit(clonable: TestDatabase) -> None:
    db = clonable
    with db.sandbox(isolation="clone") as sandbox:
        assert sandbox.isolation == "clone"
        assert sandbox.url.database != db.url.database
        session = sandbox.session()
        session.add(User(name="ada"))
        session.commit()
        app = other_engine(sandbox.url)
        try:
            with app.connect() as conn:  # another connection sees the commit
                assert names(conn) == ["ada"]
        finally:
            app.dispose()
        url = sandbox.url
        assert clone_exists(db, url) or db.memory
    assert not clone_exists(db, url)
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_an_app_server_thread_with_its_own_engine_works_in_a_clone(
    clonable: TestDatabase,
) -> None:
    db = clonable
    seen: list[list[str]] = []

    def app_server(url: URL) -> None:  # commits on its own connections
        engine = other_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(insert(users), {"name": "from the server"})
            with engine.connect() as conn:
                seen.append(names(conn))
        finally:
            engine.dispose()

    with db.sandbox(isolation="clone") as sandbox:
        sandbox.shared_session.add(User(name="seeded by the test"))
        sandbox.shared_session.commit()
        server = threading.Thread(target=app_server, args=(sandbox.url,))
        server.start()
        server.join()
        assert seen == [["from the server", "seeded by the test"]]
        assert names(sandbox.connection) == ["from the server", "seeded by the test"]
    # nothing was reported: writes to the clone are the point, not escapes


def test_each_clone_starts_from_the_schema_without_earlier_data(clonable: TestDatabase) -> None:
    db = clonable
    with db.engine.begin() as conn:  # committed to the test database outside a sandbox
        conn.execute(insert(users), {"name": "outside"})
    try:
        for n in range(3):
            with db.sandbox(isolation="clone") as sandbox:
                assert {"users", "posts"} <= set(inspect(sandbox.connection).get_table_names())
                assert count(sandbox.connection) == 0
                sandbox.connection.execute(insert(users), {"name": f"clone {n}"})
                sandbox.connection.commit()
    finally:
        with db.engine.begin() as conn:
            conn.execute(delete(users))


def test_a_write_to_the_test_database_itself_during_a_clone_sandbox_is_an_escape(
    clonable: TestDatabase,
) -> None:
    db = clonable
    if db.memory:
        pytest.skip("a sqlite:// memory database's engine has one connection")
    sandbox = db.sandbox(isolation="clone").start()
    try:
        with db.engine.begin() as conn:  # the app ignored the clone's URL
            conn.execute(insert(users), {"name": "wrong database"})
        with pytest.raises(SandboxEscapeError, match="INSERT INTO users"):
            sandbox.stop()
    finally:
        with db.engine.begin() as conn:
            conn.execute(delete(users))


def test_bind_points_the_apps_sessionmaker_at_the_clone_and_restores_it(
    clonable: TestDatabase,
) -> None:
    db = clonable
    SessionLocal = sessionmaker(bind=db.engine)
    with db.sandbox(isolation="clone") as sandbox:
        sandbox.bind(SessionLocal)
        with SessionLocal() as session:
            session.add(User(name="ada"))
            session.commit()
        assert names(sandbox.connection) == ["ada"]
    assert SessionLocal.kw["bind"] is db.engine


def test_clones_are_marked_as_fixturekits(clonable: TestDatabase) -> None:
    db = clonable
    with db.sandbox(isolation="clone") as sandbox:
        if db.backend == "postgresql":
            comment = sandbox.connection.execute(
                text(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                    "WHERE datname = current_database()"
                )
            ).scalar_one()
            assert comment.startswith(MARK)
        elif not db.memory:
            marker = sandbox.connection.exec_driver_sql(
                f"SELECT marker FROM {MARKER_TABLE}"
            ).scalar_one()
            assert marker == MARK


def test_a_foreign_database_with_the_clones_name_is_refused(clonable: TestDatabase) -> None:
    db = clonable
    if db.memory:
        pytest.skip("memory clones have random names")
    name = f"{db.name}_clone{db._clones + 1}"
    if db.backend == "postgresql":
        admin = create_engine(
            normalise(POSTGRES_URL), poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            with pytest.raises(UnsafeDatabaseError, match="fixturekit did not create it"):
                db.sandbox(isolation="clone").start()
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE "{name}"')
            admin.dispose()
    else:
        path = Path(str(db.url.database)).parent / f"{name}.db"
        path.write_text("somebody's notes")
        try:
            with pytest.raises(UnsafeDatabaseError, match="fixturekit did not create it"):
                db.sandbox(isolation="clone").start()
            assert path.read_text() == "somebody's notes"
        finally:
            path.unlink()


def test_a_marked_leftover_clone_of_a_crashed_run_is_replaced(clonable: TestDatabase) -> None:
    db = clonable
    if db.memory:
        pytest.skip("memory clones do not outlive the process")
    crashed = db.sandbox(isolation="clone").start()
    url = crashed.url
    crashed._clone = None  # the process "dies": the clone is left behind
    crashed.stop()
    assert clone_exists(db, url)
    db._clones -= 1  # the next run counts from the same number
    with db.sandbox(isolation="clone") as sandbox:
        assert sandbox.url.database == url.database
        assert count(sandbox.connection) == 0
    assert not clone_exists(db, url)


def test_async_clone_sandbox_commits_for_real(clonable: TestDatabase) -> None:
    db = clonable

    async def scenario() -> list[str]:
        async with db.async_sandbox(isolation="clone") as sandbox:
            async with sandbox.session() as session:
                session.add(User(name="ada"))
                await session.commit()
            app = create_async_engine(
                sandbox.url.render_as_string(hide_password=False), poolclass=NullPool
            )
            try:
                async with app.connect() as conn:
                    found = (await conn.execute(select(users.c.name))).scalars().all()
            finally:
                await app.dispose()
            with pytest.raises(SandboxError, match="has no connection of its own"):
                sandbox.connection  # noqa: B018
            return list(found)

    assert asyncio.run(scenario()) == ["ada"]
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_clone_isolation_is_refused_on_mysql(db: TestDatabase) -> None:
    if db.backend not in ("mysql", "mariadb"):
        pytest.skip("MySQL/MariaDB only")
    with pytest.raises(SandboxError, match="not supported on MySQL/MariaDB"):
        db.sandbox(isolation="clone")
    with pytest.raises(SandboxError, match="not supported on MySQL/MariaDB"):
        db.async_sandbox(isolation="clone")


@pytest.fixture
def no_clone_left(db: TestDatabase) -> Iterator[None]:
    yield
    if db.backend == "postgresql":
        admin = create_engine(normalise(POSTGRES_URL), poolclass=NullPool)
        with admin.connect() as conn:
            left = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                {"p": f"{db.name}_clone%"},
            ).all()
        admin.dispose()
        assert left == []
    elif db.backend == "sqlite" and not db.memory:
        assert list(Path(str(db.url.database)).parent.glob("*_clone*")) == []


def test_many_clone_sandboxes_leave_no_database_behind(
    clonable: TestDatabase, no_clone_left: None
) -> None:
    for n in range(10):
        with clonable.sandbox(isolation="clone") as sandbox:
            sandbox.connection.execute(insert(users), {"name": f"u{n}"})
            sandbox.connection.commit()
    with pytest.raises(DBAPIError), clonable.sandbox(isolation="clone") as sandbox:
        sandbox.connection.exec_driver_sql("SELECT * FROM no_such_table")
