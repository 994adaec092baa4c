"""sandbox.bind(): the application's own sessionmaker works inside the sandbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from fixturekit.db import TestDatabase

from .conftest import User, count, names


def test_bound_sessionmaker_commits_inside_the_sandbox(db: TestDatabase) -> None:
    SessionLocal = sessionmaker(bind=db.engine, expire_on_commit=False)
    with db.sandbox() as sandbox:
        assert sandbox.bind(SessionLocal) is SessionLocal
        with SessionLocal() as session:
            session.add(User(name="ada"))
            session.commit()
        with SessionLocal() as session:
            assert session.scalars(select(User.name)).all() == ["ada"]
        assert names(sandbox.connection) == ["ada"]
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_bound_sessionmaker_is_restored_at_exit(db: TestDatabase) -> None:
    SessionLocal = sessionmaker(bind=db.engine, expire_on_commit=False)
    before = dict(SessionLocal.kw)
    with db.sandbox() as sandbox:
        sandbox.bind(SessionLocal)
        assert SessionLocal.kw["bind"] is not db.engine
        with SessionLocal() as session:
            joined = session.connection().connection.dbapi_connection
            assert joined is sandbox.connection.connection.dbapi_connection
    assert SessionLocal.kw == before


def test_bound_sessionmaker_is_restored_when_the_test_raises(db: TestDatabase) -> None:
    SessionLocal = sessionmaker(bind=db.engine)
    before = dict(SessionLocal.kw)

    def failing_test() -> None:
        with db.sandbox() as sandbox:
            sandbox.bind(SessionLocal)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing_test()
    assert SessionLocal.kw == before
    assert SessionLocal.kw["bind"] is db.engine


def test_bound_sessionmaker_with_binds_routes_every_mapper_to_the_sandbox(
    db: TestDatabase,
) -> None:
    SessionLocal = sessionmaker(binds={User: db.engine})
    before = dict(SessionLocal.kw)
    with db.sandbox() as sandbox:
        sandbox.bind(SessionLocal)
        with SessionLocal() as session:
            session.add(User(name="ada"))
            session.commit()
        assert names(sandbox.connection) == ["ada"]
    assert SessionLocal.kw == before
    assert SessionLocal.kw["binds"] == {User: db.engine}
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_bound_scoped_session_joins_the_sandbox_and_its_registry_is_cleared(
    db: TestDatabase,
) -> None:
    Scoped = scoped_session(sessionmaker(bind=db.engine))
    before = dict(Scoped.session_factory.kw)
    outside = Scoped()
    with db.sandbox() as sandbox:
        sandbox.bind(Scoped)
        inside = Scoped()
        assert inside is not outside
        inside.add(User(name="ada"))
        inside.commit()
        assert names(sandbox.connection) == ["ada"]
    assert not Scoped.registry.has()
    assert Scoped.session_factory.kw == before
    outside.close()
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_session_of_a_bound_maker_left_open_is_closed_at_exit(db: TestDatabase) -> None:
    SessionLocal = sessionmaker(bind=db.engine)
    with db.sandbox() as sandbox:
        sandbox.bind(SessionLocal)
        session = SessionLocal()
        session.add(User(name="ada"))
        session.flush()
    assert not session.in_transaction()
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_binding_something_else_is_a_type_error(db: TestDatabase) -> None:
    with (
        db.sandbox() as sandbox,
        pytest.raises(TypeError, match="takes a sessionmaker, a scoped_session, an Engine"),
    ):
        sandbox.bind(Session)


def test_binding_an_async_sessionmaker_points_at_the_async_sandbox(db: TestDatabase) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    with db.sandbox() as sandbox, pytest.raises(TypeError, match=r"db\.async_sandbox\(\)"):
        sandbox.bind(async_sessionmaker())
