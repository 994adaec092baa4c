"""The plugin's database fixtures, in pytester projects on SQLite."""

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
from sqlalchemy import func, select

from models import Note


@pytest.mark.parametrize("n", range(3))
def test_commits_do_not_outlive_the_test(db_session, n):
    assert db_session.scalar(select(func.count()).select_from(Note)) == 0
    db_session.add(Note(text=f"note {n}"))
    db_session.commit()
    assert db_session.scalar(select(func.count()).select_from(Note)) == 1


def test_the_sandbox_gives_more_sessions_on_one_transaction(db_sandbox):
    first = db_sandbox.session()
    first.add(Note(text="shared"))
    first.commit()
    second = db_sandbox.session()
    assert second.scalar(select(Note.text)) == "shared"


@pytest.mark.asyncio
async def test_async_session_rolls_back_too(async_db_session):
    async_db_session.add(Note(text="async"))
    await async_db_session.commit()
    count = await async_db_session.scalar(select(func.count()).select_from(Note))
    assert count == 1


@pytest.mark.asyncio
async def test_after_the_async_test_nothing_is_left(async_db_session):
    count = await async_db_session.scalar(select(func.count()).select_from(Note))
    assert count == 0
"""

SHARING_TESTS = """
import pytest
from sqlalchemy import select

from fixturekit._internal import context as _context
from models import Note


def test_db_session_is_the_sandbox_shared_session(db_sandbox, db_session):
    assert db_session is db_sandbox.shared_session
    assert _context.current_session.get()() is db_session


def test_what_another_block_adds_is_in_the_test_session(db_session):
    note = Note(text="from a factory")
    _context.current_session.get()().add(note)  # what a factory does
    assert db_session.scalars(select(Note)).one() is note


def test_no_session_is_published_without_a_database_fixture():
    assert _context.current_session.get() is None
    assert _context.current_async_session.get() is None


@pytest.mark.asyncio
async def test_async_db_session_is_published_to_the_test(async_db_sandbox, async_db_session):
    assert async_db_session is async_db_sandbox.shared_session
    assert _context.current_async_session.get()() is async_db_session
    note = Note(text="async")
    _context.current_async_session.get()().add(note)
    await async_db_session.commit()
    assert (await async_db_session.scalars(select(Note))).one() is note


@pytest.mark.asyncio
async def test_async_data_is_gone_in_the_next_test(async_db_session):
    assert (await async_db_session.scalars(select(Note))).all() == []
"""


#: The nested runs collect test_notes.py, whose async tests need pytest-asyncio.
PLUGINS = ["asyncio"]


def _project(inner: InnerPytest, ini: str) -> None:
    inner.makepyfile(models=MODELS, test_notes=TESTS)
    if ini:
        inner.ini(ini)
    inner.pytester.syspathinsert()


@pytest.mark.slow
def test_ini_options_configure_the_database_fixtures(inner_pytest: InnerPytest) -> None:
    url = f"sqlite:///{inner_pytest.path / 'app.db'}"
    _project(
        inner_pytest,
        f"fixturekit_database_url = {url}\nfixturekit_schema = models:Base.metadata\n",
    )
    result = inner_pytest.run(plugins=PLUGINS)
    result.assert_outcomes(passed=6)
    assert not (inner_pytest.path / "app.db").exists()  # the URL's own database is untouched


@pytest.mark.slow
def test_without_configuration_the_database_fixture_explains_what_to_set(
    inner_pytest: InnerPytest,
) -> None:
    _project(inner_pytest, "")
    result = inner_pytest.run("-k", "outlive", plugins=PLUGINS)
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(["*no fixturekit database is configured*fixturekit_database_url*"])


@pytest.mark.slow
def test_a_bad_schema_spec_is_a_usage_error(inner_pytest: InnerPytest) -> None:
    url = f"sqlite:///{inner_pytest.path / 'app.db'}"
    _project(inner_pytest, f"fixturekit_database_url = {url}\nfixturekit_schema = models.Base\n")
    result = inner_pytest.run("-k", "outlive", plugins=PLUGINS)
    result.stdout.fnmatch_lines(["*fixturekit_schema = 'models.Base'*package.module:attribute*"])
    assert result.ret != 0


@pytest.mark.slow
def test_database_fixtures_share_their_session_with_other_blocks(
    inner_pytest: InnerPytest,
) -> None:
    url = f"sqlite:///{inner_pytest.path / 'app.db'}"
    _project(
        inner_pytest,
        f"fixturekit_database_url = {url}\nfixturekit_schema = models:Base.metadata\n",
    )
    inner_pytest.makepyfile(test_sharing=SHARING_TESTS)
    result = inner_pytest.run("test_sharing.py", plugins=PLUGINS)
    result.assert_outcomes(passed=5)


REUSE_TESTS = """
def test_reused(fixturekit_database):
    print("REUSED", fixturekit_database.reused, fixturekit_database.url.database)
"""


@pytest.mark.slow
def test_reuse_db_option_keeps_the_database_for_the_next_run(inner_pytest: InnerPytest) -> None:
    import uuid
    from pathlib import Path

    name = f"reuse{uuid.uuid4().hex[:8]}"
    _project(
        inner_pytest,
        f"fixturekit_database_url = sqlite:///{name}.db\n"
        "fixturekit_schema = models:Base.metadata\n",
    )
    inner_pytest.makepyfile(test_reuse=REUSE_TESTS)
    args = ("-s", "test_reuse.py")
    first = inner_pytest.run(*args, "--fixturekit-reuse-db", plugins=PLUGINS)
    first.stdout.fnmatch_lines(["*REUSED False *"])
    path = Path(first.stdout.str().split("REUSED False ")[1].split()[0])
    try:
        assert path.exists()
        second = inner_pytest.run(*args, "--fixturekit-reuse-db", plugins=PLUGINS)
        second.stdout.fnmatch_lines(["*REUSED True *"])
        third = inner_pytest.run(*args, plugins=PLUGINS)  # without it: a new database
        third.stdout.fnmatch_lines(["*REUSED False *"])
    finally:
        path.unlink(missing_ok=True)


INI_EXTRAS_MODELS = (
    MODELS
    + """

from sqlalchemy.orm import Session


class AppSession(Session):
    pass


def seed(session):
    session.add(Note(text="seeded"))
"""
)

INI_EXTRAS_TESTS = """
from sqlalchemy import select

from models import AppSession, Note


def test_session_class_and_seed(db_session):
    assert type(db_session) is AppSession
    assert db_session.scalars(select(Note.text)).all() == ["seeded"]
    db_session.add(Note(text="mine"))
    db_session.commit()


def test_the_seed_stays_and_the_rest_rolls_back(db_session):
    assert db_session.scalars(select(Note.text)).all() == ["seeded"]
"""


@pytest.mark.slow
def test_ini_session_class_and_seed_data(inner_pytest: InnerPytest) -> None:
    url = f"sqlite:///{inner_pytest.path / 'app.db'}"
    inner_pytest.makepyfile(models=INI_EXTRAS_MODELS, test_extras=INI_EXTRAS_TESTS)
    inner_pytest.ini(
        f"fixturekit_database_url = {url}\nfixturekit_schema = models:Base.metadata\n"
        "fixturekit_session_class = models:AppSession\nfixturekit_seed_data = models:seed\n"
    )
    inner_pytest.pytester.syspathinsert()
    result = inner_pytest.run(plugins=PLUGINS)
    result.assert_outcomes(passed=2)


@pytest.mark.slow
def test_ini_session_class_of_the_wrong_kind_is_a_usage_error(inner_pytest: InnerPytest) -> None:
    url = f"sqlite:///{inner_pytest.path / 'app.db'}"
    inner_pytest.makepyfile(models=INI_EXTRAS_MODELS, test_extras=INI_EXTRAS_TESTS)
    inner_pytest.ini(
        f"fixturekit_database_url = {url}\nfixturekit_schema = models:Base.metadata\n"
        "fixturekit_session_class = models:Note\n"
    )
    inner_pytest.pytester.syspathinsert()
    result = inner_pytest.run(plugins=PLUGINS)
    result.stdout.fnmatch_lines(["*session_class= takes a subclass of sqlalchemy.orm.Session*"])
    assert result.ret != 0
