"""DDL inside a sandbox: rolled back where the database allows, refused on MySQL/MariaDB."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, inspect, text

from fixturekit.db import SandboxError, TestDatabase

from .conftest import count, names, users


def test_ddl_inside_a_sandbox_is_refused_or_rolled_back(db: TestDatabase) -> None:
    if db.backend in ("mysql", "mariadb"):
        with db.sandbox() as sandbox:
            sandbox.connection.execute(insert(users), {"name": "ada"})
            for statement in (
                "CREATE TABLE extra (id INTEGER)",
                "  /* migration */ alter table users ADD COLUMN x INTEGER",
                "DROP TABLE users",
                "TRUNCATE TABLE users",
                "RENAME TABLE users TO people",
            ):
                with pytest.raises(SandboxError, match="commit implicitly"):
                    sandbox.connection.exec_driver_sql(statement)
            assert names(sandbox.connection) == ["ada"]
    else:
        with db.sandbox() as sandbox:
            sandbox.connection.exec_driver_sql("CREATE TABLE extra (id INTEGER)")
            sandbox.connection.exec_driver_sql("DROP TABLE posts")
        with db.engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            assert "extra" not in tables
            assert "posts" in tables
    with db.engine.connect() as conn:
        assert count(conn) == 0
        assert "extra" not in inspect(conn).get_table_names()


def test_refused_ddl_error_shows_the_statement_and_what_to_do(db: TestDatabase) -> None:
    if db.backend not in ("mysql", "mariadb"):
        pytest.skip("only MySQL and MariaDB refuse DDL; the others roll it back")
    with db.sandbox() as sandbox, pytest.raises(SandboxError) as info:
        sandbox.connection.exec_driver_sql("CREATE INDEX ix_name ON users (name)")
    message = str(info.value)
    assert "refusing CREATE inside a database sandbox" in message
    assert "'CREATE INDEX ix_name ON users (name)'" in message
    assert "CREATE TEMPORARY TABLE" in message


def test_temporary_tables_are_allowed_in_a_sandbox(db: TestDatabase) -> None:
    temporary = "CREATE TEMPORARY TABLE scratch (id INTEGER)"
    with db.sandbox() as sandbox:
        sandbox.connection.exec_driver_sql(temporary)
        sandbox.connection.exec_driver_sql("INSERT INTO scratch VALUES (1)")
        assert sandbox.connection.execute(text("SELECT id FROM scratch")).scalar_one() == 1
        sandbox.connection.exec_driver_sql(
            "DROP TEMPORARY TABLE scratch"
            if db.backend in ("mysql", "mariadb")
            else "DROP TABLE scratch"
        )


def test_ddl_outside_the_sandboxs_connection_is_not_refused(db: TestDatabase) -> None:
    if db.backend not in ("mysql", "mariadb"):
        pytest.skip("only MySQL and MariaDB refuse DDL; the others roll it back")
    with db.sandbox():  # the guard is per engine now: it must spare other connections
        pass
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE outside_sandbox (id INTEGER)")
    with db.sandbox(detect_escapes=False) as sandbox, db.engine.begin() as other:
        other.exec_driver_sql("DROP TABLE outside_sandbox")
        with pytest.raises(SandboxError, match="refusing CREATE"):
            sandbox.connection.exec_driver_sql("CREATE TABLE inside_sandbox (id INTEGER)")
    with db.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
    assert "outside_sandbox" not in tables
    assert "inside_sandbox" not in tables


@pytest.mark.asyncio
async def test_ddl_in_an_async_sandbox_is_refused_on_mysql(db: TestDatabase) -> None:
    if db.backend not in ("mysql", "mariadb"):
        pytest.skip("only MySQL and MariaDB refuse DDL; the others roll it back")
    async with db.async_sandbox() as sandbox:
        with pytest.raises(SandboxError, match="refusing DROP"):
            await sandbox.connection.exec_driver_sql("DROP TABLE users")
