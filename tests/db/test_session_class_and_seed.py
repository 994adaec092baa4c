"""TestDatabase(session_class=) / sandbox.session(class_=), and TestDatabase(seed=)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlmodel
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fixturekit.db import TestDatabase
from fixturekit.db._provision import admin_engine

from .conftest import BACKENDS, User, metadata, names, unique_name


class AppSession(Session):
    """An application's own session class."""


def test_session_class_is_the_sandboxs_session_class(db: TestDatabase) -> None:
    own = TestDatabase("sqlite://", schema=metadata, session_class=AppSession)
    with own, own.sandbox() as sandbox:
        assert type(sandbox.shared_session) is AppSession
        assert type(sandbox.session()) is AppSession
        assert type(sandbox.session(class_=Session)) is Session
    with db.sandbox() as sandbox:
        assert type(sandbox.shared_session) is Session
        session = sandbox.session(class_=AppSession, expire_on_commit=False)
        assert type(session) is AppSession
        session.add(User(name="ada"))
        session.commit()
        assert names(sandbox.connection) == ["ada"]


@pytest.mark.parametrize("bad", [dict, "sqlmodel.Session", Session()])
def test_a_session_class_that_is_not_a_session_is_refused(bad: object) -> None:
    with pytest.raises(TypeError, match=r"session_class= takes a subclass of sqlalchemy"):
        TestDatabase("sqlite://", session_class=bad)  # type: ignore[arg-type]


def test_session_class_option_of_a_sandbox_session_is_checked(db: TestDatabase) -> None:
    with (
        db.sandbox() as sandbox,
        pytest.raises(TypeError, match=r"sandbox\.session\(class_=\) takes a subclass"),
    ):
        sandbox.session(class_=object)  # type: ignore[arg-type]


class SessionClassProbe(sqlmodel.SQLModel, table=True):
    __tablename__ = "fk_session_class_probes"
    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    name: str


def test_sqlmodel_metadata_defaults_to_sqlmodels_session() -> None:
    db = TestDatabase("sqlite://", schema=sqlmodel.SQLModel.metadata)
    assert db.session_class is sqlmodel.Session
    with db, db.sandbox() as sandbox:
        session = sandbox.shared_session
        session.add(SessionClassProbe(name="Deadpond"))
        session.commit()
        assert session.exec(sqlmodel.select(SessionClassProbe.name)).all() == ["Deadpond"]


def seed_users(session: Session) -> None:
    session.add_all([User(name="admin"), User(name="guest")])


@pytest.mark.parametrize("url", BACKENDS)
def test_seed_runs_once_committed_and_every_sandbox_sees_it(url: str) -> None:
    calls: list[Session] = []

    def seed(session: Session) -> None:
        calls.append(session)
        seed_users(session)

    with TestDatabase(url, schema=metadata, seed=seed, name=unique_name()) as db:
        for extra in ("a", "b"):
            with db.sandbox() as sandbox:
                assert names(sandbox.connection) == ["admin", "guest"]
                sandbox.shared_session.add(User(name=extra))
                sandbox.shared_session.commit()
        with db.engine.connect() as conn:
            assert names(conn) == ["admin", "guest"]
    assert len(calls) == 1


def test_seed_that_is_not_callable_is_refused() -> None:
    with pytest.raises(TypeError, match=r"seed= takes a function given a Session"):
        TestDatabase("sqlite://", seed=[User(name="x")])  # type: ignore[arg-type]


def _exists(db: TestDatabase) -> bool:
    if db.backend == "sqlite":
        assert db._url is not None
        assert db._url.database is not None
        return Path(db._url.database).exists()
    if db.backend == "postgresql":
        query = "SELECT 1 FROM pg_database WHERE datname = :name"
    else:
        query = "SELECT 1 FROM information_schema.schemata WHERE schema_name = :name"
    engine = admin_engine(db.source_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query), {"name": db.name}).first() is not None
    finally:
        engine.dispose()


FILE_AND_SERVERS = [param for param in BACKENDS if param.id != "sqlite-memory"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("url", FILE_AND_SERVERS)
def test_a_failing_seed_leaves_no_half_built_database(url: str) -> None:
    def seed(session: Session) -> None:
        session.add_all([User(name="dup"), User(name="dup")])  # unique: fails on flush

    # keep=True: a SQLite file would outlive the run (in a kept directory) if not dropped
    db = TestDatabase(url, schema=metadata, seed=seed, name=unique_name(), keep=True)
    with pytest.raises(IntegrityError) as caught:
        db.start()
    assert any("seed=" in note for note in getattr(caught.value, "__notes__", []))
    assert not db.running
    assert not _exists(db)
