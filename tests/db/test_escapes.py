"""The escape detector: writes that bypass the sandbox are reported when it exits."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, delete, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from fixturekit.db import SandboxEscapeError, TestDatabase, _escapes
from fixturekit.db._escapes import is_installed, is_tracking, is_watching

from .conftest import User, count, names, users


@pytest.fixture(autouse=True)
def clean_leftovers(db: TestDatabase) -> Iterator[None]:
    """The escapes these tests provoke really do leak: remove them after each test."""
    yield
    with db.engine.begin() as conn:
        conn.execute(delete(users))


@pytest.fixture
def app_engine(db: TestDatabase) -> Iterator[Engine]:
    """An engine the application made itself, on the test database's URL."""
    engine = create_engine(db.url.render_as_string(hide_password=False), poolclass=NullPool)
    yield engine
    engine.dispose()


def app_sign_up(engine: Engine, name: str) -> None:  # code under test
    with engine.begin() as conn:
        conn.execute(insert(users), {"name": name})


def test_a_commit_on_the_apps_own_engine_is_reported_with_statement_and_caller(
    db: TestDatabase, app_engine: Engine
) -> None:
    sandbox = db.sandbox().start()
    app_sign_up(app_engine, "leaked")
    with pytest.raises(SandboxEscapeError) as caught:
        sandbox.stop()
    message = str(caught.value)
    assert "1 write reached the test database" in message
    assert "INSERT INTO users" in message
    assert "app_sign_up" in message
    assert f"{__file__}:" in message
    assert "conn.execute(insert(users)" in message  # the application's line
    assert "sqlalchemy" not in message.split("from:")[1].split("Route")[0]
    assert "isolation='clone'" in message
    assert "detect_escapes=False" in message
    [escape] = caught.value.escapes
    assert escape.how == "committed"
    assert escape.thread == threading.current_thread().name
    assert escape.frames[-1].name == "app_sign_up"
    with db.engine.connect() as conn:
        assert names(conn) == ["leaked"]  # it did leak: that is what is reported
    assert not is_watching()
    assert not is_tracking()  # the commit/rollback listeners went with the last sandbox


def test_reads_on_another_engine_are_not_reported(db: TestDatabase, app_engine: Engine) -> None:
    with db.sandbox() as sandbox:
        sandbox.session().add(User(name="mine"))
        with app_engine.connect() as conn:
            conn.execute(select(users)).all()
            conn.commit()


def test_the_sandboxs_own_writes_and_commits_are_not_reported(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        session = sandbox.session()
        session.add(User(name="ada"))
        session.commit()
        sandbox.connection.execute(insert(users), {"name": "grace"})
        sandbox.connection.exec_driver_sql("DELETE FROM users WHERE name = 'grace'")
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_a_foreign_write_that_is_rolled_back_is_not_reported(
    db: TestDatabase, app_engine: Engine
) -> None:
    with db.sandbox(), app_engine.connect() as conn:
        conn.execute(insert(users), {"name": "undone"})
        conn.rollback()
        conn.execute(insert(users), {"name": "closed without commit"})
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_a_write_from_another_thread_is_reported_with_the_thread(
    db: TestDatabase, app_engine: Engine
) -> None:
    worker = threading.Thread(target=app_sign_up, args=(app_engine, "bg"), name="mailer-worker")
    sandbox = db.sandbox().start()
    worker.start()
    worker.join()
    with pytest.raises(SandboxEscapeError, match="in thread 'mailer-worker'") as caught:
        sandbox.stop()
    assert caught.value.escapes[0].frames[-1].name == "app_sign_up"


def test_an_autocommit_write_is_reported_as_autocommitted(db: TestDatabase) -> None:
    engine = create_engine(
        db.url.render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    try:
        sandbox = db.sandbox().start()
        with engine.connect() as conn:
            conn.execute(text("UPDATE users SET name = 'x' WHERE 1 = 0"))
        with pytest.raises(SandboxEscapeError, match="autocommitted on"):
            sandbox.stop()
    finally:
        engine.dispose()


def test_writes_through_the_test_databases_own_engine_are_escapes_too(
    db: TestDatabase,
) -> None:
    if db.memory:
        pytest.skip("a sqlite:// memory database's engine has one connection: the sandbox's")
    sandbox = db.sandbox().start()
    with db.engine.begin() as conn:
        conn.execute(insert(users), {"name": "via db.engine"})
    with pytest.raises(SandboxEscapeError, match="INSERT INTO users"):
        sandbox.stop()


def test_detect_escapes_false_reports_nothing_and_watches_nothing(
    db: TestDatabase, app_engine: Engine
) -> None:
    with db.sandbox(detect_escapes=False):
        assert not is_watching()
        app_sign_up(app_engine, "unwatched")
    with db.engine.connect() as conn:
        assert names(conn) == ["unwatched"]


def test_the_listener_is_installed_once_and_is_idle_while_no_sandbox_watches(
    db: TestDatabase, app_engine: Engine
) -> None:
    for _ in range(3):
        with db.sandbox():
            assert is_installed()
            assert is_watching()
            second = db.async_sandbox()  # not started: changes nothing
            assert second.isolation == "transaction"
        assert is_installed()  # stays for the process: adding/removing costs more
        assert not is_watching()
    assert not _escapes._owned  # no sandbox connection is remembered
    assert not _escapes._pending
    app_sign_up(app_engine, "after")  # no sandbox open: not the detector's business
    assert not _escapes._pending
    assert not is_tracking()
    with db.sandbox():  # ...and the next sandbox does not inherit it
        pass
    # Installed once, not once per sandbox: a leak is reported once.
    sandbox = db.sandbox().start()
    app_sign_up(app_engine, "leaked once")
    with pytest.raises(SandboxEscapeError) as caught:
        sandbox.stop()
    assert [escape.statement.split()[:3] for escape in caught.value.escapes] == [
        ["INSERT", "INTO", "users"]
    ]


def test_a_write_committed_after_the_last_sandbox_closed_is_never_reported(
    db: TestDatabase, app_engine: Engine
) -> None:
    with app_engine.connect() as conn:
        with db.sandbox():
            conn.execute(insert(users), {"name": "pending"})  # not committed yet
        assert not is_watching()
        assert not _escapes._pending  # forgotten with the last sandbox
        conn.commit()  # outside any sandbox
        with db.sandbox():
            pass  # nothing to report: it committed while no sandbox watched
    assert not is_tracking()
    with db.engine.connect() as conn:
        assert names(conn) == ["pending"]


def test_an_escape_during_a_failing_test_is_a_note_on_the_tests_error(
    db: TestDatabase, app_engine: Engine
) -> None:
    if sys.version_info < (3, 11):
        pytest.skip("exception notes need Python 3.11")

    def failing_test() -> None:
        with db.sandbox():
            app_sign_up(app_engine, "leaked")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError) as caught:
        failing_test()
    [note] = caught.value.__notes__
    assert note.startswith("fixturekit: 1 write reached the test database")
    assert "app_sign_up" in note


def test_sandbox_options_are_checked(db: TestDatabase) -> None:
    with pytest.raises(TypeError, match=r"'detect_escape' \(did you mean detect_escapes=\?\)"):
        db.sandbox(detect_escape=False)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="detect_escapes must be True or False, not 'no'"):
        db.sandbox(detect_escapes="no")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="isolation='copy' is not a sandbox isolation"):
        db.sandbox(isolation="copy")


async def app_async_sign_up(url: str, name: str) -> None:  # async code under test
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(users), {"name": name})
    finally:
        await engine.dispose()


@pytest.mark.asyncio
async def test_an_async_engine_of_the_app_is_reported_with_the_awaiting_coroutine(
    db: TestDatabase,
) -> None:
    sandbox = await db.async_sandbox().start()
    await app_async_sign_up(db.async_url.render_as_string(hide_password=False), "async")
    with pytest.raises(SandboxEscapeError) as caught:
        await sandbox.stop()
    [escape] = caught.value.escapes
    assert "INSERT INTO users" in escape.statement
    assert [frame.name for frame in escape.frames][-2:] == [
        "test_an_async_engine_of_the_app_is_reported_with_the_awaiting_coroutine",
        "app_async_sign_up",
    ]
    assert not is_watching()


@pytest.mark.asyncio
async def test_the_async_sandboxs_own_commits_are_not_reported(db: TestDatabase) -> None:
    async with db.async_sandbox() as sandbox:
        session = sandbox.session()
        session.add(User(name="ada"))
        await session.commit()
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_a_sync_write_during_an_async_sandbox_is_reported(db: TestDatabase) -> None:
    import asyncio

    async def scenario() -> None:
        async with db.async_sandbox():
            with db.engine.begin() as conn:
                conn.execute(insert(users), {"name": "sync"})

    with pytest.raises(SandboxEscapeError, match="INSERT INTO users"):
        asyncio.run(scenario())
