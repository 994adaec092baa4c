"""sandbox.bind(db) / bind(db.session) for Flask-SQLAlchemy 3: every engine in
``db.engines`` (binds included) joins the sandbox, with or without an app context."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import URL

from fixturekit._internal import context
from fixturekit.db import SandboxEscapeError, TestDatabase

from .conftest import User, count, names, users

flask = pytest.importorskip("flask")
flask_sqlalchemy = pytest.importorskip("flask_sqlalchemy")


def _uri(url: URL) -> str:
    return url.render_as_string(hide_password=False)


@pytest.fixture
def app_and_db(db: TestDatabase, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    if db.memory:
        pytest.skip("Flask-SQLAlchemy turns a shared-memory SQLite URI into a file path")
    app = flask.Flask("fk_flask_test", instance_path=str(tmp_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = _uri(db.url)
    app.config["SQLALCHEMY_BINDS"] = {"reports": _uri(db.url)}
    fdb = flask_sqlalchemy.SQLAlchemy()
    fdb.init_app(app)
    yield app, fdb
    with app.app_context():
        fdb.session.remove()
        for engine in fdb.engines.values():
            engine.dispose()


@pytest.mark.parametrize("what", ["db", "db.session"])
def test_bound_before_any_app_context(
    db: TestDatabase, app_and_db: tuple[Any, Any], what: str
) -> None:
    app, fdb = app_and_db
    with db.sandbox() as sandbox:
        sandbox.bind(fdb if what == "db" else fdb.session)
        with app.app_context():
            fdb.session.add(User(name="ada"))
            fdb.session.commit()
        with app.app_context():
            assert fdb.session.scalars(select(User.name)).all() == ["ada"]
        assert names(sandbox.connection) == ["ada"]
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_bound_inside_an_app_context(db: TestDatabase, app_and_db: tuple[Any, Any]) -> None:
    app, fdb = app_and_db
    with app.app_context():
        before = fdb.session()
        with db.sandbox() as sandbox:
            sandbox.bind(fdb.session)
            assert fdb.session() is not before  # the registry was cleared
            fdb.session.add(User(name="ada"))
            fdb.session.commit()
            assert names(sandbox.connection) == ["ada"]
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_every_bind_key_joins_the_sandbox(db: TestDatabase, app_and_db: tuple[Any, Any]) -> None:
    app, fdb = app_and_db
    with db.sandbox() as sandbox:
        sandbox.bind(fdb)
        with app.app_context():
            with fdb.engines["reports"].begin() as conn:
                conn.execute(insert(users).values(name="report"))
            with fdb.engine.begin() as conn:
                conn.execute(insert(users).values(name="default"))
        assert names(sandbox.connection) == ["default", "report"]
    with db.engine.connect() as conn:
        assert count(conn) == 0
    with app.app_context():
        assert all("_connection_cls" not in vars(e) for e in fdb.engines.values())


def test_the_apps_session_and_the_sandboxs_mix_in_any_order(
    db: TestDatabase, app_and_db: tuple[Any, Any]
) -> None:
    app, fdb = app_and_db
    with db.sandbox() as sandbox:
        sandbox.bind(fdb)
        own = sandbox.shared_session
        own.add(User(name="made-by-a-factory"))
        own.flush()
        with app.app_context():
            fdb.session.add(User(name="signed-up"))
            fdb.session.commit()
            fdb.session.add(User(name="pending"))
            fdb.session.flush()
            assert len(own.scalars(select(User)).all()) == 3


def test_factories_write_through_the_bound_db_session(
    db: TestDatabase, app_and_db: tuple[Any, Any]
) -> None:
    app, fdb = app_and_db
    with db.sandbox() as sandbox:
        sandbox.bind(fdb)
        getter = context.current_session.get()
        assert getter is not None
        assert getter() is sandbox.shared_session  # no app context: the sandbox's own
        with app.app_context():
            assert getter() is fdb.session()  # the app's session, as the app sees it


def test_the_escape_advice_names_bind_db(db: TestDatabase, app_and_db: tuple[Any, Any]) -> None:
    if db.backend == "sqlite":
        pytest.skip("SQLite has one writer: an outside commit would wait on the sandbox")
    app, fdb = app_and_db

    def leaky_test() -> None:
        with db.sandbox(), app.app_context():
            fdb.session.add(User(name="escaped"))
            fdb.session.commit()

    with pytest.raises(SandboxEscapeError, match=r"sandbox\.bind\(db\) for Flask-SQLAlchemy"):
        leaky_test()
    with db.engine.begin() as conn:
        conn.execute(users.delete())


def test_an_app_initialised_after_the_bind_joins_the_sandbox(
    db: TestDatabase, tmp_path: Path
) -> None:
    if db.memory:
        pytest.skip("Flask-SQLAlchemy turns a shared-memory SQLite URI into a file path")
    fdb = flask_sqlalchemy.SQLAlchemy()
    app = flask.Flask("fk_flask_late", instance_path=str(tmp_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = _uri(db.url)
    with db.sandbox() as sandbox:
        sandbox.bind(fdb)  # as database_bind does, before setUp makes the app
        fdb.init_app(app)
        with app.app_context():
            fdb.session.add(User(name="late"))
            fdb.session.commit()
        assert names(sandbox.connection) == ["late"]
    assert "_make_engine" not in vars(fdb)  # the hook is gone with the sandbox
    with db.engine.connect() as conn:
        assert count(conn) == 0
    with app.app_context():
        fdb.session.remove()
        for engine in fdb.engines.values():
            engine.dispose()


def test_engines_of_other_apps_on_other_backends_are_left_alone(
    db: TestDatabase, app_and_db: tuple[Any, Any], tmp_path: Path
) -> None:
    app, fdb = app_and_db
    other = flask.Flask("fk_flask_other", instance_path=str(tmp_path))
    # An app on another backend, alive in the process (never connected to).
    elsewhere = (
        f"sqlite:///{tmp_path / 'elsewhere.db'}"
        if db.url.get_backend_name() != "sqlite"
        else "postgresql+psycopg://nobody@127.0.0.1:9/none"
    )
    other.config["SQLALCHEMY_DATABASE_URI"] = elsewhere
    fdb.init_app(other)
    with db.sandbox() as sandbox:
        sandbox.bind(fdb)  # no TypeError about the other app's driver
        with app.app_context():
            fdb.session.add(User(name="ada"))
            fdb.session.commit()
        assert names(sandbox.connection) == ["ada"]
    with other.app_context():
        fdb.session.remove()
        for engine in fdb.engines.values():
            engine.dispose()


def test_a_unittest_suite_binds_db_through_database_bind(
    db: TestDatabase, app_and_db: tuple[Any, Any]
) -> None:
    import unittest

    from fixturekit.testcase import HarnessTestCase

    app, fdb = app_and_db

    class SignupTests(HarnessTestCase):
        database = db
        database_bind = (fdb,)

        def test_signup_then_query_the_sandboxs_session(self) -> None:
            with app.app_context():
                fdb.session.add(User(name="ada"))
                fdb.session.commit()
            assert self.db_session.scalars(select(User.name)).all() == ["ada"]

        def test_next_test_starts_empty(self) -> None:
            assert self.db_session.scalars(select(User)).all() == []

    from fixturekit.db._testcase import _stop_process_databases

    result = unittest.TestResult()
    try:
        unittest.defaultTestLoader.loadTestsFromTestCase(SignupTests).run(result)
    finally:
        _stop_process_databases()  # leaves the module's database running (joined)
    assert db.running
    assert [text for _, text in result.errors + result.failures] == []
    assert result.testsRun == 2
    with db.engine.connect() as conn:
        assert count(conn) == 0
