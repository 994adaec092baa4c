"""DatabaseSandbox: whatever the code under test does, nothing survives the sandbox."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.exc import IntegrityError

from fixturekit.db import SandboxError, TestDatabase

from .conftest import Post, User, count, names, posts, users


def test_commit_inside_sandbox_is_rolled_back_at_exit(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        session = sandbox.session()
        session.add(User(name="ada"))
        session.commit()
        assert count(sandbox.connection) == 1
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_committed_data_stays_visible_later_in_the_same_test(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        first = sandbox.session()
        ada = User(name="ada")
        first.add(ada)
        first.commit()
        first.add(Post(user_id=ada.id, title="hello"))
        first.commit()
        first.close()
        second = sandbox.session()
        user = second.scalars(select(User)).one()
        assert user.name == "ada"
        assert second.scalars(select(Post.title)).all() == ["hello"]
        assert count(sandbox.connection, posts) == 1


def test_rollback_discards_uncommitted_work_and_keeps_committed(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        session = sandbox.session()
        session.add(User(name="kept"))
        session.commit()
        session.add(User(name="dropped"))
        session.flush()
        session.rollback()
        assert names(sandbox.connection) == ["kept"]
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_begin_nested_rollback_keeps_the_enclosing_work(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        session = sandbox.session()
        session.add(User(name="outer"))
        with session.begin_nested():
            session.add(User(name="inner-kept"))
        nested = session.begin_nested()
        session.add(User(name="inner-dropped"))
        session.flush()
        nested.rollback()
        session.commit()
        assert names(sandbox.connection) == ["inner-kept", "outer"]
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_integrity_error_can_be_rolled_back_and_the_test_carries_on(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        session = sandbox.session()
        session.add(User(name="ada"))
        session.commit()
        session.add(User(name="ada"))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        session.add(User(name="grace"))
        session.commit()
        assert names(sandbox.connection) == ["ada", "grace"]
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_flushed_but_uncommitted_rows_are_rolled_back(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        session = sandbox.session()
        session.add(User(name="ada"))
        session.flush()
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_writes_on_the_sandbox_connection_are_rolled_back(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        sandbox.connection.execute(insert(users), [{"name": "a"}, {"name": "b"}])
        assert count(sandbox.connection) == 2
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_sessions_left_open_are_closed_when_the_sandbox_exits(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        session = sandbox.session()
        session.add(User(name="ada"))
        session.flush()
        assert session.in_transaction()
    assert not session.in_transaction()


def test_sandbox_exit_after_an_error_in_the_test_still_rolls_back(db: TestDatabase) -> None:
    def failing_test() -> None:
        with db.sandbox() as sandbox:
            session = sandbox.session()
            session.add(User(name="ada"))
            session.commit()
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        failing_test()
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_many_sandboxes_leave_no_connection_checked_out(db: TestDatabase) -> None:
    checked_out = [0]

    def checkout(*args: object) -> None:
        checked_out[0] += 1

    def checkin(*args: object) -> None:
        checked_out[0] -= 1

    event.listen(db.engine, "checkout", checkout)
    event.listen(db.engine, "checkin", checkin)
    try:
        for n in range(50):
            with db.sandbox() as sandbox:
                session = sandbox.session()
                session.add(User(name=f"user{n}"))
                session.commit()
                assert checked_out[0] == 1
        assert checked_out[0] == 0
    finally:
        event.remove(db.engine, "checkout", checkout)
        event.remove(db.engine, "checkin", checkin)
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_committing_the_sandbox_connection_itself_is_reported(db: TestDatabase) -> None:
    sandbox = db.sandbox().start()
    sandbox.connection.execute(insert(users), {"name": "escaped"})
    sandbox.connection.commit()
    with pytest.raises(SandboxError, match="outer transaction was ended"):
        sandbox.stop()
    with db.engine.begin() as conn:
        assert names(conn) == ["escaped"]
        conn.execute(users.delete())


def test_connection_of_a_sandbox_that_is_not_open_is_an_error(db: TestDatabase) -> None:
    sandbox = db.sandbox()
    with pytest.raises(SandboxError, match=r"not open; use it as `with db\.sandbox"):
        sandbox.connection  # noqa: B018


def test_session_options_the_sandbox_sets_are_refused(db: TestDatabase) -> None:
    with db.sandbox() as sandbox, pytest.raises(TypeError, match="sets bind itself"):
        sandbox.session(bind=db.engine)


def test_session_options_are_passed_on(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        session = sandbox.session(autoflush=False, info={"who": "test"})
        assert session.autoflush is False
        assert session.info == {"who": "test"}


def test_raw_sql_savepoints_work(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        conn = sandbox.connection
        conn.execute(insert(users), {"name": "before"})
        conn.exec_driver_sql("SAVEPOINT sp1")
        conn.execute(insert(users), {"name": "after"})
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT sp1")
        assert names(conn) == ["before"]


def test_sessions_finishing_in_reverse_order_both_commit(db: TestDatabase) -> None:
    with db.sandbox() as sandbox:
        first, second = sandbox.session(), sandbox.session()
        first.add(User(name="ada"))
        first.flush()
        second.add(User(name="grace"))
        second.commit()
        first.commit()
        assert names(sandbox.connection) == ["ada", "grace"]
    with db.engine.connect() as conn:
        assert count(conn) == 0
