from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fixturekit.db import DatabaseSandbox, TestDatabase
from fixturekit.pytest_plugin import register_fake
from shop import models  # noqa: F401 - registers the tables on Base.metadata
from shop.api import app
from shop.db import DATABASE_URL, Base, SessionLocal
from shop.tests.fakes import FakeNotifier

# Makes a `notifier` fixture, and puts a FakeNotifier in every `harness`.
register_fake(FakeNotifier)


@pytest.fixture(scope="session")
def fixturekit_database() -> Iterator[TestDatabase]:
    """The test database, built once per run from the app's own URL.

    ``sqlite:///./shop.db`` gives ``shop_test`` (``shop_test_gw0``... under xdist) in a
    temporary directory; a PostgreSQL URL in ``SHOP_DATABASE_URL`` gives
    ``<its database>_test`` on that server. The app's database is never touched.
    """
    with TestDatabase(DATABASE_URL, schema=Base.metadata) as database:
        yield database


@pytest.fixture
def sandbox(db_sandbox: DatabaseSandbox) -> DatabaseSandbox:
    """The app's SessionLocal, routed into this test's sandbox: every request's
    session, commits included, is rolled back when the test ends."""
    db_sandbox.bind(SessionLocal)
    return db_sandbox


@pytest.fixture
def session(sandbox: DatabaseSandbox) -> Session:
    """The sandbox's shared session: the same one fixturekit's factories write through."""
    return sandbox.shared_session


@pytest.fixture
def client(sandbox: DatabaseSandbox) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
