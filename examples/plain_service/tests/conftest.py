from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixturekit.db import DatabaseSandbox, TestDatabase
from plain_service.db import Base, SessionLocal


@pytest.fixture(scope="session")
def fixturekit_database() -> Iterator[TestDatabase]:
    # The service gets its URL at start-up; the tests derive theirs from the same one.
    with TestDatabase("sqlite:///billing.db", schema=Base.metadata) as database:
        yield database


@pytest.fixture(autouse=True)
def service_db(db_sandbox: DatabaseSandbox) -> DatabaseSandbox:
    """Every test runs the service's SessionLocal inside its own sandbox."""
    db_sandbox.bind(SessionLocal)
    return db_sandbox
