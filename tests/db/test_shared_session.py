"""The sandbox's shared session, and how it is offered to other blocks (factories)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fixturekit._internal import context as _context
from fixturekit.db import SandboxError, TestDatabase

from .conftest import User, count


def test_shared_session_is_one_session_per_sandbox(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        shared = sandbox.shared_session
        assert sandbox.shared_session is shared
        assert sandbox.session() is not shared
        dbapi = shared.connection().connection.dbapi_connection
        assert dbapi is sandbox.connection.connection.dbapi_connection
    with db.sandbox() as other:
        assert other.shared_session is not shared


def test_shared_session_commits_stay_in_the_sandbox(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        sandbox.shared_session.add(User(name="ada"))
        sandbox.shared_session.commit()
        assert sandbox.session().scalars(select(User.name)).all() == ["ada"]
        shared = sandbox.shared_session
    assert not shared.in_transaction()
    assert list(shared) == []  # closed: its identity map was emptied
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_running_sandbox_publishes_its_shared_session(db: TestDatabase) -> None:
    assert _context.current_session.get() is None
    with db.sandbox() as sandbox:
        get = _context.current_session.get()
        assert get is not None
        assert get() is sandbox.shared_session
        assert get() is get()
    assert _context.current_session.get() is None


def test_session_published_by_a_sandbox_is_the_one_the_test_sees(db: TestDatabase) -> None:
    # What a factory does: write through the published session; the test's own
    # handle on the shared session sees the very same object, unflushed.
    with db.sandbox() as sandbox:
        get = _context.current_session.get()
        assert get is not None
        ada = User(name="ada")
        get().add(ada)
        assert ada in sandbox.shared_session
        assert sandbox.shared_session.scalars(select(User)).one() is ada


def skip_memory(db: TestDatabase) -> None:
    if db.memory:
        pytest.skip("a sqlite:// memory database runs one sync sandbox at a time")


def test_nested_sandboxes_publish_the_innermost_and_restore_the_outer(
    db: TestDatabase,
) -> None:
    skip_memory(db)
    with db.sandbox() as outer:
        with db.sandbox() as inner:
            get = _context.current_session.get()
            assert get is not None
            assert get() is inner.shared_session
        get = _context.current_session.get()
        assert get is not None
        assert get() is outer.shared_session
    assert _context.current_session.get() is None


def test_sandbox_stopped_out_of_order_leaves_the_later_one_published(
    db: TestDatabase,
) -> None:
    from .conftest import metadata, unique_name

    skip_memory(db)
    other = TestDatabase("sqlite://", schema=metadata, name=unique_name()).start()
    first = db.sandbox().start()
    second = other.sandbox().start()  # another TestDatabase's: not nested in the first
    try:
        first.stop()
        get = _context.current_session.get()
        assert get is not None
        assert get() is second.shared_session
    finally:
        second.stop()
        first.stop()
        other.stop()
    # The stale getter the second restored belongs to a closed sandbox: it says so.
    get = _context.current_session.get()
    if get is not None:
        with pytest.raises(SandboxError, match="not open"):
            get()
        _context.current_session.set(None)


def test_sandbox_stopped_after_a_failure_withdraws_its_session(db: TestDatabase) -> None:
    with pytest.raises(ZeroDivisionError), db.sandbox():
        raise ZeroDivisionError
    assert _context.current_session.get() is None


def test_shared_session_of_a_closed_sandbox_is_an_error(db: TestDatabase) -> None:
    sandbox = db.sandbox()
    with pytest.raises(SandboxError, match="not open"):
        sandbox.shared_session  # noqa: B018
    with sandbox:
        pass
    with pytest.raises(SandboxError, match="not open"):
        sandbox.shared_session  # noqa: B018


@pytest.mark.asyncio
async def test_async_shared_session_is_published_and_closed(db: TestDatabase) -> None:
    assert _context.current_async_session.get() is None
    async with db.async_sandbox() as sandbox:
        shared = sandbox.shared_session
        assert sandbox.shared_session is shared
        get = _context.current_async_session.get()
        assert get is not None
        assert get() is shared
        assert _context.current_session.get() is None  # the sync one is not touched
        ada = User(name="ada")
        shared.add(ada)
        await shared.commit()
        assert ada.name == "ada"  # readable after commit: expire_on_commit=False
        async with sandbox.session() as other:
            assert (await other.scalars(select(User.name))).all() == ["ada"]
    assert _context.current_async_session.get() is None
    assert not shared.in_transaction()
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_second_sandbox_at_once_on_a_memory_database_from_another_context() -> None:
    import contextvars

    from .conftest import metadata

    # Same thread, another context (as another asyncio task has): not nested.
    with (
        TestDatabase("sqlite://", schema=metadata) as db,
        db.sandbox(),
        pytest.raises(SandboxError, match="one sync sandbox can run at a time"),
    ):
        contextvars.Context().run(db.sandbox().start)
