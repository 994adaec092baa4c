"""Writes committed on the SOURCE database (the one the test database's name derives
from) while a sandbox runs are escapes too."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from fixturekit.db import SandboxEscapeError, TestDatabase

from .conftest import SERVERS, metadata, unique_name

if TYPE_CHECKING:
    from tests.conftest import InnerPytest


def _write_to_source(url: str, *, temporary: bool) -> None:
    """What an app whose engine still points at its real database does."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if temporary:  # on a server: leave nothing behind
                conn.execute(text("CREATE TEMPORARY TABLE fk_signups (email VARCHAR(50))"))
            conn.execute(text("INSERT INTO fk_signups (email) VALUES ('ada@example.com')"))
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", SERVERS)
def test_a_commit_on_the_source_database_is_reported(url: str) -> None:
    with TestDatabase(url, schema=metadata, name=unique_name()) as db:
        source = db.source_url.database
        sandbox = db.sandbox()
        with pytest.raises(SandboxEscapeError) as caught, sandbox:
            _write_to_source(db.source_url.render_as_string(hide_password=False), temporary=True)
    message = str(caught.value)
    assert f"committed on the SOURCE database {source!r}" in message
    assert "INSERT INTO fk_signups" in message
    assert "test_source_escapes.py" in message  # the app's frame
    assert any(e.statement.startswith("INSERT") for e in caught.value.escapes)


def test_a_commit_on_a_sqlite_source_file_is_reported(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'app.db'}"
    engine = create_engine(source)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE fk_signups (email VARCHAR(50))"))
    engine.dispose()
    with TestDatabase(source, schema=metadata) as db:
        with pytest.raises(SandboxEscapeError, match="SOURCE database") as caught, db.sandbox():
            _write_to_source(source, temporary=False)
        assert "sandbox.bind(engine)" in str(caught.value)
        with db.sandbox(detect_escapes=False):  # the check is part of escape detection
            _write_to_source(source, temporary=False)


def test_reads_of_the_source_database_are_not_escapes(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'app.db'}"
    engine = create_engine(source)
    with TestDatabase(source, schema=metadata) as db, db.sandbox(), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()


SOURCE_GUARD_TESTS = """
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session


def test_the_app_reads_its_real_database(db_session, pytestconfig):
    engine = create_engine(pytestconfig.getini("fixturekit_database_url"))
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def test_a_bound_engine_on_the_source_url_is_fine(db_sandbox, pytestconfig):
    engine = create_engine(pytestconfig.getini("fixturekit_database_url"))
    db_sandbox.bind(engine)
    with Session(engine) as session:
        session.execute(text("SELECT 1"))
"""


@pytest.mark.slow
def test_tests_with_a_database_fixture_may_not_connect_to_the_source(
    inner_pytest: InnerPytest,
) -> None:
    from .test_fixtures import PLUGINS

    url = f"sqlite:///{inner_pytest.path / 'app.db'}"
    inner_pytest.makepyfile(test_source_guard=SOURCE_GUARD_TESTS)
    inner_pytest.ini(f"fixturekit_database_url = {url}\n")
    result = inner_pytest.run(plugins=PLUGINS)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*test_the_app_reads_its_real_database connected to sqlite:///*app.db, the SOURCE*"]
    )
