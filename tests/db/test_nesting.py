"""Sandboxes nest: one opened on a TestDatabase while another of its sandboxes is open
(same thread or task) runs inside it on a savepoint."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from fixturekit._internal import context
from fixturekit.db import SandboxError, TestDatabase

from .conftest import SERVERS, User, count, names, users

if TYPE_CHECKING:
    from tests.conftest import InnerPytest


def test_a_nested_sandbox_sees_the_outer_data_and_rolls_back_its_own(db: TestDatabase) -> None:
    with db.sandbox() as outer:
        outer.shared_session.add(User(name="logged-in"))
        outer.shared_session.commit()
        for name in ("first", "second"):
            with db.sandbox() as inner:
                assert names(inner.connection) == ["logged-in"]
                inner.shared_session.add(User(name=name))
                inner.shared_session.commit()
                assert names(inner.connection) == sorted(["logged-in", name])
        assert names(outer.connection) == ["logged-in"]
        assert outer.shared_session.scalars(select(User.name)).all() == ["logged-in"]
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_three_levels_and_bound_engines(db: TestDatabase) -> None:
    app_engine = create_engine(db.url, poolclass=NullPool)
    SessionLocal = sessionmaker()
    with db.sandbox() as module:
        module.bind(app_engine)
        with app_engine.begin() as conn:
            conn.execute(insert(users).values(name="module"))
        with db.sandbox() as klass:
            klass.bind(SessionLocal)
            with SessionLocal() as session:
                session.add(User(name="class"))
                session.commit()
            with db.sandbox() as test:
                test.bind(app_engine)
                with Session(app_engine) as session:
                    session.add(User(name="test"))
                    session.commit()
                assert names(test.connection) == ["class", "module", "test"]
            assert names(klass.connection) == ["class", "module"]
            with app_engine.connect() as conn:  # the outer binding is back
                assert count(conn) == 2
        assert names(module.connection) == ["module"]
    assert "_connection_cls" not in vars(app_engine)
    with db.engine.connect() as conn:
        assert count(conn) == 0
    app_engine.dispose()


def test_the_innermost_shared_session_is_offered_to_factories(db: TestDatabase) -> None:
    with db.sandbox() as outer:
        with db.sandbox() as inner:
            get = context.current_session.get()
            assert get is not None
            assert get() is inner.shared_session
        get = context.current_session.get()
        assert get is not None
        assert get() is outer.shared_session


def test_stopping_the_outer_sandbox_stops_the_nested_one_first(db: TestDatabase) -> None:
    outer = db.sandbox().start()
    inner = db.sandbox().start()
    inner.shared_session.add(User(name="ada"))
    inner.shared_session.flush()
    outer.stop()
    with pytest.raises(SandboxError, match="not open"):
        inner.connection  # noqa: B018
    inner.stop()  # already stopped: nothing to do
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_a_sandbox_opened_from_another_thread_while_one_runs_is_explained(
    db: TestDatabase,
) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            db.sandbox().start()
        except BaseException as exc:
            errors.append(exc)

    with db.sandbox():
        thread = threading.Thread(target=worker, name="worker-1")
        thread.start()
        thread.join()
    assert len(errors) == 1
    assert isinstance(errors[0], SandboxError)
    assert "open in thread 'MainThread'" in str(errors[0])
    assert "isolation='clone'" in str(errors[0])


def test_a_clone_sandbox_never_nests(db: TestDatabase) -> None:
    if db.backend in ("mysql", "mariadb") or db.memory:
        pytest.skip("MySQL/MariaDB cannot clone; memory clones are covered elsewhere")
    with db.sandbox() as outer:
        outer.shared_session.add(User(name="outer"))
        outer.shared_session.flush()
        with db.sandbox(isolation="clone") as clone, clone.engine.connect() as conn:
            assert count(conn) == 0


MODULE_FIXTURE_TESTS = """
import pytest
from sqlalchemy import select

from models import Note


@pytest.fixture(scope="module")
def logged_in(fixturekit_database):
    with fixturekit_database.sandbox() as module_sandbox:
        module_sandbox.shared_session.add(Note(text="admin"))
        module_sandbox.shared_session.commit()
        yield "admin"


@pytest.mark.parametrize("text", ["one", "two", "three"])
def test_module_data_seen_and_own_rolled_back(logged_in, db_session, text):
    assert db_session.scalars(select(Note.text)).all() == [logged_in]
    db_session.add(Note(text=text))
    db_session.commit()


def test_other_connections_never_see_the_module_data(fixturekit_database):
    with fixturekit_database.engine.connect() as conn:
        assert conn.execute(select(Note)).all() == []
"""


@pytest.mark.slow
@pytest.mark.parametrize("url", [*SERVERS, pytest.param("sqlite-file", id="sqlite-file")])
def test_db_session_nests_in_a_module_scoped_sandbox(inner_pytest: InnerPytest, url: str) -> None:
    from .test_fixtures import MODELS, PLUGINS

    if url == "sqlite-file":
        url = f"sqlite:///{inner_pytest.path / 'app.db'}"
    inner_pytest.makepyfile(models=MODELS, test_module_login=MODULE_FIXTURE_TESTS)
    inner_pytest.ini(f"fixturekit_database_url = {url}\nfixturekit_schema = models:Base.metadata\n")
    inner_pytest.pytester.syspathinsert()
    result = inner_pytest.run(plugins=PLUGINS)
    result.assert_outcomes(passed=4)
