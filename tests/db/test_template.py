"""PostgreSQL under pytest-xdist: the schema is built once into a template database,
and each worker's database is a clone of it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from fixturekit.db import TestDatabase, UnsafeDatabaseError, _template
from fixturekit.db._urls import normalise

from .conftest import POSTGRES_URL, metadata, unique_name

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

pytestmark = [
    pytest.mark.skipif(not POSTGRES_URL, reason="FIXTUREKIT_TEST_POSTGRES_URL is not set"),
    pytest.mark.slow,  # templates and clones: several databases created and dropped per test
]


@pytest.fixture
def admin() -> Iterator[Engine]:
    engine = create_engine(
        normalise(POSTGRES_URL), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    yield engine
    engine.dispose()


def databases(admin: Engine, prefix: str) -> list[str]:
    with admin.connect() as conn:
        rows = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE :p ORDER BY datname"),
            {"p": prefix + "%"},
        )
        return list(rows.scalars())


def worker(monkeypatch: pytest.MonkeyPatch, name: str, builds: list[str]) -> TestDatabase:
    def schema(conn: Connection) -> None:
        builds.append(str(conn.engine.url.database))
        metadata.create_all(conn)

    monkeypatch.setenv("PYTEST_XDIST_WORKER", name)
    return TestDatabase(POSTGRES_URL, schema=schema, name=base_name)


base_name = ""


@pytest.fixture(autouse=True)
def fresh_base_name() -> None:
    global base_name
    base_name = unique_name("tpl")


def test_workers_clone_one_template_built_once(
    monkeypatch: pytest.MonkeyPatch, admin: Engine
) -> None:
    builds: list[str] = []
    first = worker(monkeypatch, "gw0", builds)
    second = worker(monkeypatch, "gw1", builds)
    with first, second:
        assert first.name == f"{base_name}_gw0"
        assert first.template_name == f"{base_name}_template"
        assert builds == [f"{base_name}_template"]  # built once, into the template
        assert databases(admin, base_name) == [
            f"{base_name}_gw0",
            f"{base_name}_gw1",
            f"{base_name}_template",
        ]
        for db in (first, second):
            with db.engine.connect() as conn:
                assert {"users", "posts"} <= set(inspect(conn).get_table_names())
            with db.sandbox() as sandbox:
                sandbox.connection.exec_driver_sql("INSERT INTO users (name) VALUES ('ada')")
        with admin.connect() as conn:
            comments = conn.execute(
                text(
                    "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
                    "WHERE datname LIKE :p"
                ),
                {"p": base_name + "%"},
            ).all()
        assert all(comment.startswith("fixturekit test database") for _, comment in comments)
    assert databases(admin, base_name) == []  # the last worker dropped the template


def test_template_is_dropped_only_when_its_last_user_stops(
    monkeypatch: pytest.MonkeyPatch, admin: Engine
) -> None:
    builds: list[str] = []
    first = worker(monkeypatch, "gw0", builds).start()
    key = (
        normalise(POSTGRES_URL)
        .set(database=first.template_name)
        .render_as_string(hide_password=True)
    )
    # Another worker process is using the template too.
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with _template.file_lock(key):
            path = _template.users_file(key)
            path.write_text(path.read_text() + f"{other.pid}\n")
        first.stop()
        assert databases(admin, base_name) == [f"{base_name}_template"]
    finally:
        other.kill()
        other.wait()
    # That process died without stopping: the next last user drops the template anyway.
    second = worker(monkeypatch, "gw1", builds)
    with second:
        pass
    assert builds == [f"{base_name}_template"]  # reused, not rebuilt
    assert databases(admin, base_name) == []


def test_template_someone_else_made_is_refused_and_left_alone(
    monkeypatch: pytest.MonkeyPatch, admin: Engine
) -> None:
    template = f"{base_name}_template"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{template}"')
    try:
        db = worker(monkeypatch, "gw0", [])
        with pytest.raises(UnsafeDatabaseError, match=f"refusing template database '{template}'"):
            db.start()
        assert databases(admin, base_name) == [template]
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{template}"')


def test_changed_schema_rebuilds_a_kept_template(
    monkeypatch: pytest.MonkeyPatch, admin: Engine
) -> None:
    builds: list[str] = []
    with worker(monkeypatch, "gw0", builds) as db:
        db.keep = True
    assert databases(admin, base_name) == [f"{base_name}_gw0", f"{base_name}_template"]
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    changed = TestDatabase(POSTGRES_URL, schema=metadata, name=base_name)
    with changed, changed.engine.connect() as conn:
        assert {"users", "posts"} <= set(inspect(conn).get_table_names())
    assert databases(admin, base_name) == []
    assert len(builds) == 1


XDIST_TESTS = """
import os

from sqlalchemy import text


def test_one(db_session, fixturekit_database):
    assert fixturekit_database.name.endswith("_" + os.environ["PYTEST_XDIST_WORKER"])
    assert fixturekit_database.template_name is not None
    db_session.execute(text("INSERT INTO notes (text) VALUES ('x')"))
    db_session.commit()


def test_two(db_session):
    assert db_session.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0


def test_three(db_session):
    assert db_session.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0


def test_four(db_session):
    assert db_session.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0
"""


def test_an_xdist_run_clones_per_worker_and_leaves_nothing(
    inner_pytest: InnerPytest, admin: Engine
) -> None:
    inner_pytest.makepyfile(
        models="""
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(50))
""",
        test_notes=XDIST_TESTS,
    )
    url = normalise(POSTGRES_URL).set(database=base_name.removesuffix("_test"))
    inner_pytest.ini(
        f"fixturekit_database_url = {url.render_as_string(hide_password=False)}\n"
        "fixturekit_schema = models:Base.metadata\n"
    )
    inner_pytest.pytester.syspathinsert()
    result = inner_pytest.run("-n", "2", plugins=["xdist"])
    result.assert_outcomes(passed=4)
    assert databases(admin, base_name) == []
