"""sandbox.bind(engine): an application that opens sessions and connections on a
module-level engine (no sessionmaker) works inside the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from fixturekit.db import TestDatabase

from .conftest import User, count, names, users


@pytest.fixture
def app_engine(db: TestDatabase) -> Iterator[Engine]:
    """The application's own engine: created from the URL, never connected yet."""
    engine = create_engine(db.url, poolclass=NullPool)
    yield engine
    engine.dispose()


def test_session_on_a_bound_engine_commits_inside_the_sandbox(
    db: TestDatabase, app_engine: Engine
) -> None:
    with db.sandbox() as sandbox:
        assert sandbox.bind(app_engine) is app_engine
        with Session(app_engine) as session:
            session.add(User(name="ada"))
            session.commit()
        with Session(app_engine) as session:
            assert session.scalars(select(User.name)).all() == ["ada"]
        assert names(sandbox.connection) == ["ada"]
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_connect_and_begin_on_a_bound_engine_join_the_sandbox(
    db: TestDatabase, app_engine: Engine
) -> None:
    with db.sandbox() as sandbox:
        sandbox.bind(app_engine)
        with app_engine.begin() as conn:
            conn.execute(insert(users).values(name="ada"))
        with app_engine.connect() as conn:
            conn.execute(insert(users).values(name="bob"))
            conn.commit()
        with app_engine.connect() as conn:
            conn.execute(insert(users).values(name="never"))
            # closed without a commit: rolled back, as on a real connection
        assert names(sandbox.connection) == ["ada", "bob"]
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_rollback_on_a_bound_engine_drops_only_its_own_work(
    db: TestDatabase, app_engine: Engine
) -> None:
    with db.sandbox() as sandbox:
        sandbox.bind(app_engine)
        sandbox.shared_session.add(User(name="kept"))
        sandbox.shared_session.commit()
        with Session(app_engine) as session:
            session.add(User(name="dropped"))
            session.flush()
            session.rollback()
        assert names(sandbox.connection) == ["kept"]


def test_a_failed_statement_on_a_bound_engine_leaves_the_sandbox_usable(
    db: TestDatabase, app_engine: Engine
) -> None:
    with db.sandbox() as sandbox:
        sandbox.bind(app_engine)
        with Session(app_engine) as session:
            session.add(User(name="ada"))
            session.commit()
        with Session(app_engine) as session:
            session.add(User(name="ada"))
            with pytest.raises(SQLAlchemyError):
                session.commit()
        with Session(app_engine) as session:
            session.add(User(name="bob"))
            session.commit()
        assert names(sandbox.connection) == ["ada", "bob"]


def test_the_engine_is_restored_at_exit(db: TestDatabase, app_engine: Engine) -> None:
    with db.sandbox() as sandbox:
        sandbox.bind(app_engine)
        with app_engine.begin() as conn:
            conn.execute(insert(users).values(name="ada"))
    with app_engine.connect() as conn:
        assert type(conn) is Connection
        assert count(conn) == 0
    assert "_connection_cls" not in vars(app_engine)


def test_the_engine_is_restored_when_the_test_raises(db: TestDatabase, app_engine: Engine) -> None:
    def failing_test() -> None:
        with db.sandbox() as sandbox:
            sandbox.bind(app_engine)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing_test()
    assert "_connection_cls" not in vars(app_engine)


def test_a_connection_left_open_is_cut_off_at_exit(db: TestDatabase, app_engine: Engine) -> None:
    with db.sandbox() as sandbox:
        sandbox.bind(app_engine)
        leftover = app_engine.connect()
        leftover.execute(insert(users).values(name="ada"))
    assert leftover.closed
    with pytest.raises(SQLAlchemyError):
        leftover.execute(select(users))
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_binding_the_test_databases_own_engine(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        sandbox.bind(db.engine)
        with Session(db.engine) as session:
            session.add(User(name="ada"))
            session.commit()
        assert names(sandbox.connection) == ["ada"]
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_sqlmodel_session_on_a_bound_engine(db: TestDatabase, app_engine: Engine) -> None:
    from sqlmodel import Session as SQLModelSession
    from sqlmodel import select as sqlmodel_select

    with db.sandbox() as sandbox:
        sandbox.bind(app_engine)
        with SQLModelSession(app_engine) as session:
            session.add(User(name="ada"))
            session.commit()
            assert session.exec(sqlmodel_select(User.name)).all() == ["ada"]
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_binding_something_else_names_what_it_takes(db: TestDatabase) -> None:
    with (
        db.sandbox() as sandbox,
        pytest.raises(TypeError, match=r"takes a sessionmaker, a scoped_session, an Engine"),
    ):
        sandbox.bind("sqlite://")


def test_binding_an_engine_of_another_driver_is_refused(db: TestDatabase) -> None:
    other = create_engine("mysql+pymysql://localhost/x" if db.backend == "sqlite" else "sqlite://")
    with db.sandbox() as sandbox, pytest.raises(TypeError, match="test database's driver"):
        sandbox.bind(other)


def test_binding_an_async_engine_points_at_the_async_sandbox(db: TestDatabase) -> None:
    with db.sandbox() as sandbox, pytest.raises(TypeError, match=r"db\.async_sandbox\(\)"):
        sandbox.bind(db.async_engine)


def test_clone_sandbox_redirects_a_bound_engine_to_the_clone(db: TestDatabase) -> None:
    if db.backend in ("mysql", "mariadb"):
        pytest.skip("MySQL/MariaDB cannot clone")
    if db.memory:
        pytest.skip("a sqlite:// memory database's engine has one connection")
    app_engine = create_engine(db.url, poolclass=NullPool)
    with db.sandbox(isolation="clone") as sandbox:
        sandbox.bind(app_engine)
        with Session(app_engine) as session:
            session.add(User(name="ada"))
            session.commit()
        with sandbox.engine.connect() as conn:
            assert names(conn) == ["ada"]
    with db.engine.connect() as conn:
        assert count(conn) == 0
    app_engine.dispose()
