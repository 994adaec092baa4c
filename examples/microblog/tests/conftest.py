"""The test setup of the Flask recipe's Flask-SQLAlchemy section (docs/recipes/flask.md).

SQLite always; PostgreSQL and MariaDB too when ``FIXTUREKIT_TEST_POSTGRES_URL`` /
``FIXTUREKIT_TEST_MYSQL_URL`` name servers to create the test database on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

import microblog.models  # noqa: F401 - registers the tables on db.metadata
from fixturekit.db import DatabaseSandbox, TestDatabase
from fixturekit.mail import FakeMailer
from microblog import create_app, db

SERVERS = {
    "postgresql": os.environ.get("FIXTUREKIT_TEST_POSTGRES_URL", ""),
    "mysql": os.environ.get("FIXTUREKIT_TEST_MYSQL_URL", ""),
}
BACKENDS = [
    pytest.param("sqlite:///microblog.db", id="sqlite"),
    *(pytest.param(url, id=name) for name, url in SERVERS.items() if url),
]


@pytest.fixture(scope="session", params=BACKENDS)
def fixturekit_database(request: pytest.FixtureRequest) -> Iterator[TestDatabase]:
    """``microblog_test``, built once per run on each backend."""
    url = request.param
    with TestDatabase(url, schema=db.metadata, name="microblog_test") as database:
        yield database


@pytest.fixture(scope="session")
def app(fixturekit_database: TestDatabase) -> Flask:
    """The app, configured as in production but on the test database."""
    url = fixturekit_database.url.render_as_string(hide_password=False)
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})


@pytest.fixture
def client(app: Flask, db_sandbox: DatabaseSandbox, mailer: FakeMailer) -> Iterator[FlaskClient]:
    """A test client whose requests commit inside this test's sandbox and whose mail,
    sent by smtplib from any thread, lands in ``mailer``."""
    db_sandbox.bind(db)  # every engine of db.engines, and db.session, restored after
    with mailer.patch_smtplib(), app.test_client() as client:
        yield client
