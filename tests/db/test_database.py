"""TestDatabase: creating, recognising, reusing and dropping the test database."""

from __future__ import annotations

import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from fixturekit.db import TestDatabase, UnsafeDatabaseError
from fixturekit.db._urls import normalise

from .conftest import SERVERS, User, count, metadata, unique_name

#: The file-backed backends: every database-level behaviour is checked on each.
FILE_BACKENDS = [pytest.param("sqlite:///app.db", id="sqlite-file"), *SERVERS]


@pytest.fixture(autouse=True)
def no_xdist_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)


@pytest.fixture
def admin(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the server of the test's ``url`` parameter."""
    url = normalise(request.getfixturevalue("url"))
    if url.get_backend_name() == "mysql":
        url = url._replace(database=None)
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def database_exists(admin: Engine, name: str) -> bool:
    with admin.connect() as conn:
        if admin.dialect.name == "postgresql":
            query = "SELECT 1 FROM pg_database WHERE datname = :name"
        else:
            query = "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :name"
        return conn.execute(text(query), {"name": name}).first() is not None


def kept_sqlite_path(name: str) -> Path:
    return Path(tempfile.gettempdir()) / "fixturekit-databases" / f"{name}.db"


def exists(url: str, admin: Engine | None, name: str) -> bool:
    if url.startswith("sqlite"):
        return kept_sqlite_path(name).exists()
    assert admin is not None
    return database_exists(admin, name)


def test_memory_database_is_shared_by_connections_and_gone_after_exit() -> None:
    with TestDatabase("sqlite://", schema=metadata) as db:
        with db.engine.begin() as conn:
            conn.execute(insert(User.__table__), {"name": "ada"})
        with db.engine.connect() as conn:
            assert count(conn) == 1
        url = db.url
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    engine.dispose()


def test_sqlite_file_lives_in_a_temp_dir_that_is_removed_at_exit() -> None:
    with TestDatabase("sqlite:///app.db", schema=metadata, name=unique_name()) as db:
        path = Path(str(db.url.database))
        assert path.is_file()
        assert path.parent != Path.cwd()
    assert not path.exists()
    assert not path.parent.exists()


@pytest.mark.parametrize("url", SERVERS)
def test_server_database_is_derived_created_and_dropped(url: str, admin: Engine) -> None:
    base = f"fk_{uuid.uuid4().hex[:10]}"  # a database that does not exist on the server
    given = normalise(url).set(database=base)
    with TestDatabase(given, schema=metadata) as db:
        assert db.name == f"{base}_test"
        assert db.url.database == db.name
        assert database_exists(admin, db.name)
        with db.engine.connect() as conn:
            assert {"users", "posts"} <= set(inspect(conn).get_table_names())
    assert not database_exists(admin, db.name)
    assert not database_exists(admin, base)


@pytest.mark.parametrize("url", FILE_BACKENDS)
def test_schema_callable_receives_a_connection(url: str) -> None:
    seen: list[object] = []

    def build(conn: Connection) -> None:
        seen.append(conn)
        conn.execute(text("CREATE TABLE built_by_callable (id INTEGER PRIMARY KEY)"))

    with TestDatabase(url, schema=build, name=unique_name()) as db, db.engine.connect() as conn:
        assert "built_by_callable" in inspect(conn).get_table_names()
    assert len(seen) == 1
    assert isinstance(seen[0], Connection)


def drop_kept(url: str, name: str) -> None:
    if url.startswith("sqlite"):
        kept_sqlite_path(name).unlink(missing_ok=True)
    else:
        TestDatabase(url, name=name).start().stop()


@pytest.mark.parametrize("url", SERVERS)
def test_leftover_of_a_crashed_run_is_recognised_and_replaced(url: str) -> None:
    name = unique_name()
    with (
        TestDatabase(url, schema=metadata, name=name, keep=True) as crashed,
        crashed.engine.begin() as conn,
    ):
        conn.execute(insert(User.__table__), {"name": "left over"})
    with TestDatabase(url, schema=metadata, name=name) as db:
        assert not db.reused
        with db.engine.connect() as conn:
            assert count(conn) == 0


@pytest.mark.parametrize("url", FILE_BACKENDS)
def test_kept_database_is_reused_while_the_schema_is_unchanged(url: str) -> None:
    name = unique_name()
    try:
        with TestDatabase(url, schema=metadata, name=name, keep=True) as first:
            assert not first.reused
            with first.engine.begin() as conn:
                conn.execute(insert(User.__table__), {"name": "kept"})
        with TestDatabase(url, schema=metadata, name=name, keep=True) as second:
            assert second.reused
            with second.engine.connect() as conn:
                assert count(conn) == 1
        changed = MetaData()
        Table("other", changed, Column("id", Integer, primary_key=True))
        with TestDatabase(url, schema=changed, name=name, keep=True) as third:
            assert not third.reused
            with third.engine.connect() as conn:
                assert "users" not in inspect(conn).get_table_names()
                assert "other" in inspect(conn).get_table_names()
    finally:
        drop_kept(url, name)


@pytest.mark.parametrize("url", SERVERS)
def test_database_someone_else_made_is_refused_and_left_alone(url: str, admin: Engine) -> None:
    name = unique_name("theirs")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        with pytest.raises(UnsafeDatabaseError, match=rf"refusing database '{name}'.*did not"):
            TestDatabase(url, schema=metadata, name=name).start()
        assert database_exists(admin, name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name}")


@pytest.mark.parametrize("url", SERVERS)
def test_database_with_a_forged_or_other_comment_is_refused(url: str, admin: Engine) -> None:
    name = unique_name("theirs")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
        if admin.dialect.name == "postgresql":
            conn.exec_driver_sql(f"COMMENT ON DATABASE {name} IS 'team staging copy'")
        else:  # a table of our marker's name, but not our marker row
            conn.exec_driver_sql(
                f"CREATE TABLE {name}.fixturekit_test_database "
                "(marker VARCHAR(64), schema_hash VARCHAR(64))"
            )
    try:
        with pytest.raises(UnsafeDatabaseError, match="did not create it"):
            TestDatabase(url, name=name).start()
        assert database_exists(admin, name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name}")


@pytest.mark.parametrize("content", [b"not a database at all", None])
def test_sqlite_file_someone_else_made_is_refused_and_left_alone(content: bytes | None) -> None:
    name = unique_name("theirs")
    path = kept_sqlite_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if content is None:
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE precious (id INTEGER)")
        conn.close()
    else:
        path.write_bytes(content)
    try:
        with pytest.raises(UnsafeDatabaseError, match=rf"refusing database '{name}'"):
            TestDatabase("sqlite:///app.db", name=name, keep=True).start()
        assert path.exists()
    finally:
        path.unlink()


@pytest.mark.parametrize("url", [*FILE_BACKENDS, pytest.param("sqlite://", id="sqlite-memory")])
def test_unsafe_name_is_refused_before_anything_is_created(url: str) -> None:
    name = f"fk_{uuid.uuid4().hex[:10]}_scratch"
    with pytest.raises(UnsafeDatabaseError, match="has no 'test' in it"):
        TestDatabase(url, name=name)


@pytest.mark.parametrize("url", SERVERS)
def test_unsafe_name_is_used_with_allow_unsafe(url: str, admin: Engine) -> None:
    name = f"fk_{uuid.uuid4().hex[:10]}_scratch"
    with TestDatabase(url, schema=metadata, name=name, allow_unsafe=True) as db:
        assert database_exists(admin, name)
        assert db.url.database == name
    assert not database_exists(admin, name)


@pytest.mark.parametrize("url", SERVERS)
def test_server_that_does_not_answer_is_reported(url: str) -> None:
    dead = normalise(url).set(port=1)
    with pytest.raises(Exception, match=r"(?i)connect"):
        TestDatabase(dead, name=unique_name()).start()


@pytest.mark.parametrize("url", SERVERS)
def test_two_test_databases_of_one_process_never_share_a_database(url: str) -> None:
    name = unique_name()
    with TestDatabase(url, schema=metadata, name=name) as first:
        with pytest.raises(UnsafeDatabaseError, match="another TestDatabase in this process"):
            TestDatabase(url, schema=metadata, name=name).start()
        with first.engine.connect() as conn:  # the first one's database is intact
            assert count(conn) == 0
    with TestDatabase(url, schema=metadata, name=name):  # free again once it stopped
        pass
