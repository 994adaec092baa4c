from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from fixturekit.db import DatabaseSandbox, TestDatabase
from flask_app import models  # noqa: F401 - registers the tables on Base.metadata
from flask_app.app import create_app
from flask_app.db import DATABASE_URL, Base, Session


@pytest.fixture(scope="session")
def fixturekit_database() -> Iterator[TestDatabase]:
    """``library_test`` (per xdist worker), derived from the app's own URL, built once."""
    with TestDatabase(DATABASE_URL, schema=Base.metadata) as database:
        yield database


@pytest.fixture
def client(db_sandbox: DatabaseSandbox) -> Iterator[FlaskClient]:
    """A test client whose requests' ``Session`` lives in this test's sandbox."""
    db_sandbox.bind(Session)  # the app's scoped_session, restored after the test
    app = create_app()
    app.config["TESTING"] = True
    with app.test_client() as client:
        yield client
