"""pytest: once a fixturekit database is configured, tests that connect to it must ask."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

MODELS = """
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(50))
"""

TESTS = """
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

import models

seen = {}


def connect(url):
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar()
    finally:
        engine.dispose()


def test_1_with_the_fixture_the_database_is_open(db_session, fixturekit_database):
    seen["url"] = fixturekit_database.url.render_as_string(hide_password=False)
    assert connect(seen["url"]) == 1


def test_2_without_a_fixture_the_test_database_is_refused():
    connect(seen["url"])


def test_3_without_a_fixture_the_source_database_is_refused():
    connect(models.SOURCE_URL)


@pytest.mark.fixturekit_db
def test_4_the_marker_allows_it():
    assert connect(seen["url"]) == 1


@pytest.mark.db
def test_5_the_short_marker_allows_it_too():
    assert connect(seen["url"]) == 1


def test_6_other_databases_are_never_refused(tmp_path):
    assert connect(f"sqlite:///{tmp_path / 'other.db'}") == 1


def test_7_asking_during_the_test_counts(request):
    request.getfixturevalue("db_sandbox")
    assert connect(seen["url"]) == 1
"""


def _project(inner: InnerPytest, ini: str, *, url: str) -> None:
    inner.makepyfile(models=MODELS + f"\nSOURCE_URL = {url!r}\n", test_access=TESTS)
    if ini:
        inner.ini(ini)
    inner.pytester.syspathinsert()


@pytest.mark.slow
def test_unasked_connections_to_an_ini_configured_database_fail_the_test(
    inner_pytest: InnerPytest,
) -> None:
    url = f"sqlite:///{inner_pytest.path / 'app.db'}"
    _project(
        inner_pytest,
        f"fixturekit_database_url = {url}\nfixturekit_schema = models:Base.metadata\n",
        url=url,
    )
    result = inner_pytest.run()
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*test_2_without_a_fixture_the_test_database_is_refused*connected to sqlite*"
            "app_test*.db, the fixturekit test database*Add the db_session fixture*"
            "@pytest.mark.fixturekit_db*",
        ]
    )
    result.stdout.fnmatch_lines(["*test_3_*connected to sqlite*app.db*db_session*"])


@pytest.mark.slow
def test_a_conftest_database_fixture_is_guarded_once_it_was_set_up(
    inner_pytest: InnerPytest,
) -> None:
    url = f"sqlite:///{inner_pytest.path / 'app.db'}"
    _project(inner_pytest, "", url=url)
    inner_pytest.makeconftest(
        f"""
import pytest
from fixturekit.db import TestDatabase
import models


@pytest.fixture(scope="session")
def fixturekit_database():
    with TestDatabase({url!r}, schema=models.Base.metadata) as db:
        yield db
"""
    )
    inner_pytest.makepyfile(
        test_0_before="""
from test_access import connect
import models


def test_before_any_database_fixture_nothing_is_refused():
    assert connect(models.SOURCE_URL) == 1
"""
    )
    result = inner_pytest.run("test_0_before.py", "test_access.py")
    result.assert_outcomes(passed=6, failed=2)


@pytest.mark.slow
def test_projects_without_a_fixturekit_database_are_never_refused(
    inner_pytest: InnerPytest,
) -> None:
    inner_pytest.makepyfile(
        test_plain="""
from sqlalchemy import create_engine, text


def test_connects(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'app_test.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()
"""
    )
    result = inner_pytest.run()
    result.assert_outcomes(passed=1)


def test_the_markers_are_registered(inner_pytest: InnerPytest) -> None:
    result = inner_pytest.run_inprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.fixturekit_db:*", "@pytest.mark.db:*"])
