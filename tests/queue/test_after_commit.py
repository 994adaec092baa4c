from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, String, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

from fixturekit.queue import FakeQueue


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String, nullable=False)


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sandbox(engine: Engine) -> Iterator[Connection]:
    """The sandbox recipe: an outer transaction, sessions commit by releasing savepoints."""
    with engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


def signup(session: Session, queue: FakeQueue, email: str) -> User:
    user = User(email=email)
    session.add(user)
    session.flush()
    queue.push("send_welcome", {"user_id": user.id}, after_commit=session)
    return user


def test_a_job_lands_when_the_session_commits(engine: Engine) -> None:
    queue = FakeQueue()
    with Session(engine) as session:
        signup(session, queue, "a@example.com")
        queue.assert_nothing_pushed()
        assert [job.name for job in queue.staged] == ["send_welcome"]
        session.commit()
    job = queue.assert_pushed("send_welcome", payload={"user_id": 1})
    assert queue.staged == []
    assert "committed 'send_welcome'" in queue.timeline.messages()[-1]
    assert job.pushed_at == queue.clock.now()


def test_a_job_vanishes_when_the_session_rolls_back(engine: Engine) -> None:
    queue = FakeQueue()
    with Session(engine) as session:
        signup(session, queue, "a@example.com")
        session.rollback()
        session.commit()
    queue.assert_nothing_pushed()
    assert queue.staged == []
    assert "rolled back" in queue.timeline.messages()[-1]


def test_closing_the_session_without_commit_drops_the_job(engine: Engine) -> None:
    queue = FakeQueue()
    with Session(engine) as session:
        signup(session, queue, "a@example.com")
    queue.assert_nothing_pushed()


def test_inside_the_savepoint_sandbox_a_commit_releases_the_job(sandbox: Connection) -> None:
    queue = FakeQueue()
    session = Session(bind=sandbox, join_transaction_mode="create_savepoint")
    signup(session, queue, "a@example.com")
    queue.assert_nothing_pushed()
    session.commit()  # releases a savepoint; the outer transaction is still open
    assert sandbox.in_transaction()
    queue.assert_pushed("send_welcome")
    session.close()


def test_inside_the_savepoint_sandbox_a_rollback_drops_the_job(sandbox: Connection) -> None:
    queue = FakeQueue()
    session = Session(bind=sandbox, join_transaction_mode="create_savepoint")
    signup(session, queue, "a@example.com")
    session.rollback()
    queue.assert_nothing_pushed()
    signup(session, queue, "b@example.com")
    session.commit()
    assert [job.payload for job in queue.jobs] == [{"user_id": 1}]
    session.close()


def test_a_rolled_back_nested_savepoint_drops_only_its_own_jobs(engine: Engine) -> None:
    queue = FakeQueue()
    with Session(engine) as session:
        queue.push("outer", after_commit=session) if session.begin() else None
        nested = session.begin_nested()
        queue.push("inner_dropped", after_commit=session)
        nested.rollback()
        with session.begin_nested():
            queue.push("inner_kept", after_commit=session)
        queue.assert_nothing_pushed()
        session.commit()
    assert [job.name for job in queue.jobs] == ["outer", "inner_kept"]


def test_a_released_savepoint_still_waits_for_the_outer_commit(engine: Engine) -> None:
    queue = FakeQueue()
    with Session(engine) as session:
        session.begin()
        with session.begin_nested():
            queue.push("inner", after_commit=session)
        queue.assert_nothing_pushed()
        session.rollback()
    queue.assert_nothing_pushed()


def test_no_transaction_in_progress_means_the_job_lands_at_once(engine: Engine) -> None:
    """The one rule of every fake's after-commit gate: nothing pending, nothing to wait for."""
    queue = FakeQueue()
    with Session(engine) as session:
        assert not session.in_transaction()
        queue.push("x", after_commit=session)
        queue.assert_pushed("x")  # landed before the session did anything
        assert queue.staged == []
    assert "pushed 'x' (job-1)" in queue.timeline.messages()[-1]


def test_a_session_that_began_its_transaction_holds_the_job(engine: Engine) -> None:
    queue = FakeQueue()
    with Session(engine) as session:
        session.begin()
        queue.push("x", after_commit=session)
        queue.assert_nothing_pushed()
        session.commit()
    queue.assert_pushed("x")


def test_a_failed_assertion_mentions_the_matching_staged_jobs(engine: Engine) -> None:
    queue = FakeQueue()
    with Session(engine) as session:
        signup(session, queue, "a@example.com")
        with pytest.raises(AssertionError) as raised:
            queue.assert_pushed("send_welcome")
        assert "1 matching job is staged, waiting for a session to commit" in str(raised.value)
        with pytest.raises(AssertionError, match="matching job is staged"):
            queue.assert_pushed_count(1, "send_welcome")
        session.rollback()


def test_scoped_sessions_are_followed_through_their_current_session(engine: Engine) -> None:
    queue = FakeQueue()
    registry = scoped_session(sessionmaker(engine))
    registry.add(User(email="a@example.com"))
    queue.push("x", after_commit=registry)
    queue.assert_nothing_pushed()
    registry.commit()
    queue.assert_pushed("x")
    registry.remove()


def test_a_delayed_commit_gated_job_counts_its_delay_from_the_commit(engine: Engine) -> None:
    queue = FakeQueue()
    with Session(engine) as session:
        session.add(User(email="a@example.com"))
        job = queue.push("x", delay=60, after_commit=session)
        queue.clock.advance(seconds=10)
        session.commit()
    assert job.eta == queue.clock.now() + job.delay


def test_auto_run_runs_commit_gated_jobs_at_commit(engine: Engine) -> None:
    queue = FakeQueue(auto_run=True)
    ran: list[object] = []
    queue.handler("x", ran.append)
    with Session(engine) as session:
        session.add(User(email="a@example.com"))
        queue.push("x", 1, after_commit=session)
        assert ran == []
        session.commit()
    assert ran == [1]


def test_listeners_are_removed_when_the_queue_stops(engine: Engine) -> None:
    with Session(engine) as session:
        with FakeQueue() as queue:
            session.add(User(email="a@example.com"))
            queue.push("x", after_commit=session)
            gate = queue._gates.for_session(session)
            assert all(event.contains(session, name, hook) for name, hook in gate._hooks)
        assert not any(event.contains(session, name, hook) for name, hook in gate._hooks)
        assert queue.staged == []
        session.commit()  # the queue stopped: the commit no longer lands the job
    queue.assert_nothing_pushed()


def test_after_commit_refuses_what_is_not_a_session() -> None:
    with pytest.raises(TypeError, match="after_commit= takes the SQLAlchemy Session"):
        FakeQueue().push("x", after_commit="session")


def test_inside_fixturekits_database_sandbox_commit_and_rollback_hold(
    tmp_path: Path,
) -> None:
    from sqlalchemy import func, select

    from fixturekit.db import TestDatabase

    queue = FakeQueue()
    url = f"sqlite:///{tmp_path}/shop.db"
    with TestDatabase(url, schema=Base.metadata) as database:
        with database.sandbox() as sandbox:
            with sandbox.session() as session:
                signup(session, queue, "a@example.com")
                session.commit()  # inside the sandbox: releases a savepoint
            queue.assert_pushed("send_welcome", payload={"user_id": 1})
            with sandbox.session() as session:
                signup(session, queue, "b@example.com")
                session.rollback()
            queue.assert_pushed_count(1)
        with database.engine.connect() as connection:  # the sandbox rolled everything back
            assert connection.execute(select(func.count()).select_from(User)).scalar_one() == 0
