"""One TestDatabase object serves pytest's ``fixturekit_database`` fixture and a
``HarnessTestCase.database`` in the same run, whichever runs first; a class with
``database`` set counts as asking for the database (the access guard lets it in)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

POSTGRES_URL = os.environ.get("FIXTUREKIT_TEST_POSTGRES_URL", "")

URLS = [
    pytest.param("sqlite:///app.db", id="sqlite"),
    pytest.param(
        POSTGRES_URL,
        id="postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="FIXTUREKIT_TEST_POSTGRES_URL is not set"
        ),
    ),
]

CONFTEST = """
import pytest
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fixturekit import TestDatabase


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


DB = TestDatabase({url!r}, schema=Base.metadata, name={name!r})


@pytest.fixture(scope="session")
def fixturekit_database():
    with DB as database:
        yield database
"""

PYTEST_TESTS = """
from sqlalchemy import func, select

from conftest import DB, User


def test_with_the_fixture(fixturekit_database, db_session):
    assert fixturekit_database is DB
    db_session.add(User(name="ada"))
    db_session.flush()
    assert db_session.scalar(select(func.count()).select_from(User)) == 1
"""

UNITTEST_TESTS = """
from sqlalchemy import func, select

from fixturekit.testcase import HarnessTestCase
from conftest import DB, User


class UsersTest(HarnessTestCase):
    database = DB

    def test_with_the_class(self):
        self.db_session.add(User(name="grace"))
        self.db_session.commit()
        assert self.db_session.scalar(select(func.count()).select_from(User)) == 1
"""


def _write(inner_pytest: InnerPytest, url: str) -> None:
    name = f"fk_shared_{uuid.uuid4().hex[:10]}_test"
    inner_pytest.makeconftest(CONFTEST.format(url=url, name=name))
    inner_pytest.makepyfile(test_pytest=PYTEST_TESTS, test_unittest=UNITTEST_TESTS)


@pytest.mark.slow
@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(
    "order", [("test_pytest.py", "test_unittest.py"), ("test_unittest.py", "test_pytest.py")]
)
def test_one_database_serves_the_fixture_and_a_harness_testcase_in_either_order(
    inner_pytest: InnerPytest, url: str, order: tuple[str, str]
) -> None:
    _write(inner_pytest, url)
    result = inner_pytest.run(*order)
    result.assert_outcomes(passed=2)
    assert "already started" not in result.stdout.str()


@pytest.mark.slow
def test_a_class_with_database_counts_as_asking_for_it_when_the_guard_is_on(
    inner_pytest: InnerPytest,
) -> None:
    _write(inner_pytest, "sqlite:///app.db")
    inner_pytest.makepyfile(
        test_unasked="""
        import unittest

        from sqlalchemy import text

        from conftest import DB


        class NotAsking(unittest.TestCase):
            def test_connects_without_asking(self):
                with DB.engine.connect() as conn:
                    conn.execute(text("select 1"))
        """
    )
    result = inner_pytest.run("test_pytest.py", "test_unittest.py", "test_unasked.py")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*test_connects_without_asking*without asking for it*"])


def test_a_started_database_is_joined_and_the_last_stop_drops_it(tmp_path: Path) -> None:
    from sqlalchemy import MetaData

    from fixturekit import TestDatabase

    database = TestDatabase(f"sqlite:///{tmp_path}/app.db", schema=MetaData(), name="app_test")
    with database:
        with database as joined:  # a second owner: a fixture, a HarnessTestCase class
            assert joined is database
        assert database.running  # the first owner still has it
        path = Path(str(database.url.database))
        assert path.exists()
    assert not database.running
    assert not path.exists()


def test_a_harness_testcase_and_a_with_block_share_one_database(tmp_path: Path) -> None:
    from sqlalchemy import MetaData

    from fixturekit import TestDatabase
    from fixturekit.db._testcase import _stop_process_databases
    from fixturekit.testcase import HarnessTestCase

    from ._running import run_class

    database = TestDatabase(f"sqlite:///{tmp_path}/app.db", schema=MetaData(), name="app_test")

    class UsesIt(HarnessTestCase):
        def test_it(self) -> None:
            assert self.db_sandbox is not None

    UsesIt.database = database
    try:
        assert run_class(UsesIt).result.wasSuccessful()  # the class started it
        with database:  # a conftest fixture's `with`, after the class
            assert run_class(UsesIt).result.wasSuccessful()
        assert database.running  # the class's process-wide hold remains
    finally:
        _stop_process_databases()
    assert not database.running
