"""HarnessTestCase's ``database`` attribute: a sandbox per test, the database per class
or per process."""

from __future__ import annotations

import unittest
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import sessionmaker

from fixturekit.db import AsyncDatabaseSandbox, DatabaseSandbox, TestDatabase
from fixturekit.db._testcase import _stop_process_databases
from fixturekit.testcase import HarnessTestCase, IsolatedAsyncioHarnessTestCase

from .conftest import BACKENDS, User, count, metadata, unique_name


def run(*classes: type[unittest.TestCase]) -> unittest.TestResult:
    suite = unittest.TestSuite(
        unittest.defaultTestLoader.loadTestsFromTestCase(cls) for cls in classes
    )
    result = unittest.TestResult()
    suite.run(result)
    return result


def problems(result: unittest.TestResult) -> list[str]:
    return [text for _case, text in result.errors + result.failures]


@pytest.fixture(autouse=True)
def stop_process_databases() -> Any:
    yield
    _stop_process_databases()


@pytest.mark.parametrize("url", BACKENDS)
def test_each_test_gets_a_sandbox_on_a_database_shared_by_the_classes(url: str) -> None:
    database = TestDatabase(url, schema=metadata, name=unique_name())
    SessionLocal = sessionmaker()
    seen: list[Any] = []

    class First(HarnessTestCase):
        database_bind = (SessionLocal,)

        def test_commit(self) -> None:
            assert isinstance(self.db_sandbox, DatabaseSandbox)
            assert self.db_session is self.db_sandbox.shared_session
            with SessionLocal() as session:  # the app's factory, bound to the sandbox
                session.add(User(name="ada"))
                session.commit()
            assert self.db_session.scalars(select(User.name)).all() == ["ada"]
            seen.append(self.db_sandbox)

        def test_then_empty(self) -> None:
            assert self.db_session.scalars(select(User)).all() == []

    class Second(HarnessTestCase):
        def test_same_database(self) -> None:
            assert self.db_sandbox.connection.engine is database.engine
            assert self.db_session.scalars(select(User)).all() == []

    First.database = Second.database = database
    result = run(First, Second)
    assert problems(result) == []
    assert result.testsRun == 3
    assert database.running  # shared for the rest of the process
    with database.engine.connect() as conn:
        assert count(conn) == 0
    assert SessionLocal.kw.get("bind") is None  # restored after each test
    with pytest.raises(Exception, match="not open"):
        seen[0].connection  # noqa: B018
    _stop_process_databases()
    assert not database.running


def test_a_database_function_gives_each_class_its_own_database() -> None:
    made: list[TestDatabase] = []

    def database() -> TestDatabase:
        made.append(TestDatabase("sqlite:///app.db", schema=metadata, name=unique_name()))
        return made[-1]

    class Base(HarnessTestCase):
        def test_one(self) -> None:
            assert self.db_sandbox.connection.engine is made[-1].engine

        def test_two(self) -> None:
            assert self.db_sandbox.connection.engine is made[-1].engine

    Base.database = database  # a function: read from the class, it stays unbound

    class Sub(Base):
        pass

    result = run(Base, Sub)
    assert problems(result) == []
    assert len(made) == 2  # one per class, not per test
    assert not any(db.running for db in made)  # stopped with each class's cleanups


def test_a_database_started_by_the_user_is_used_and_left_running() -> None:
    with TestDatabase("sqlite://", schema=metadata) as database:

        class Case(HarnessTestCase):
            def test_it(self) -> None:
                assert self.db_sandbox.connection.engine is database.engine

        Case.database = database
        assert problems(run(Case)) == []
        _stop_process_databases()
        assert database.running


def test_async_twin_gives_an_async_sandbox_and_binds_async_makers() -> None:
    database = TestDatabase("sqlite:///app.db", schema=metadata, name=unique_name())
    AsyncSessionLocal = async_sessionmaker(expire_on_commit=False)

    class Case(IsolatedAsyncioHarnessTestCase):
        database_bind = (AsyncSessionLocal,)

        async def test_commit(self) -> None:
            assert isinstance(self.db_sandbox, AsyncDatabaseSandbox)
            async with AsyncSessionLocal() as session:
                session.add(User(name="ada"))
                await session.commit()
            names = (await self.db_session.scalars(select(User.name))).all()
            assert names == ["ada"]

        async def test_then_empty(self) -> None:
            assert (await self.db_session.scalars(select(User))).all() == []

    Case.database = database
    result = run(Case)
    assert problems(result) == []
    assert result.testsRun == 2
    with database.engine.connect() as conn:
        assert count(conn) == 0


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"database": "sqlite://"}, "must be a fixturekit.TestDatabase"),
        ({"database": lambda: "sqlite://"}, "returned 'sqlite://', not a fixturekit.TestDatabase"),
        (
            {"database": TestDatabase("sqlite://"), "database_bind": sessionmaker()},
            "database_bind must be a tuple of sessionmakers",
        ),
    ],
)
def test_a_bad_database_configuration_is_explained(
    attributes: dict[str, Any], message: str
) -> None:
    Case = type("Case", (HarnessTestCase,), {**attributes, "test_it": lambda self: None})
    result = run(Case)
    assert len(result.errors) == 1
    assert message in result.errors[0][1]


def test_db_session_without_a_database_says_what_to_set() -> None:
    class Case(HarnessTestCase):
        def test_it(self) -> None:
            self.db_session  # noqa: B018

    result = run(Case)
    assert len(result.errors) == 1
    assert "give the class a database, e.g. database = TestDatabase(" in result.errors[0][1]


@pytest.mark.parametrize("url", BACKENDS)
def test_factories_create_into_the_test_cases_sandbox_without_a_session(url: str) -> None:
    import fixturekit as fk

    class UserFactory(fk.Factory[User], register=False):
        name = fk.Sequence(lambda n: f"user{n}")

    database = TestDatabase(url, schema=metadata, name=unique_name())

    class Created(HarnessTestCase):
        def test_create(self) -> None:
            user = UserFactory.create()  # no session: the sandbox's shared one
            assert self.db_session.get(User, user.id) is user
            assert count(self.db_session) == 1

        def test_then_empty(self) -> None:
            assert count(self.db_session) == 0

    Created.database = database
    result = run(Created)
    assert problems(result) == []
    assert result.testsRun == 2
