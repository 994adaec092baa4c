"""Any number of sessions in one sandbox, used in any order (the sandbox's own, a
bound sessionmaker's, a bound scoped_session's, ``Session(engine)`` on a bound engine):
their commits and rollbacks never break each other or the sandbox's cleanup."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from sqlalchemy.pool import NullPool

from fixturekit.db import DatabaseSandbox, TestDatabase

from .conftest import User, count, names, users

_names = itertools.count()


@pytest.fixture
def app_engine(db: TestDatabase) -> Iterator[Engine]:
    engine = create_engine(db.url, poolclass=NullPool)
    yield engine
    engine.dispose()


def test_commit_through_the_apps_session_then_query_the_sandboxs(db: TestDatabase) -> None:
    # The shape that failed at cleanup with "no such savepoint: sa_savepoint_3".
    SessionLocal = sessionmaker(bind=db.engine)
    with db.sandbox() as sandbox:
        sandbox.bind(SessionLocal)
        own = sandbox.shared_session
        own.add(User(name="factory-made"))
        own.flush()  # the sandbox's session holds a savepoint open
        app = SessionLocal()
        app.add(User(name="signed-up"))
        app.commit()
        app.add(User(name="second"))
        app.flush()  # and the app's session one above it, left open
        assert own.scalar(select(func.count()).select_from(users)) == 3
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_an_earlier_session_commits_while_a_later_one_is_open(
    db: TestDatabase, app_engine: Engine
) -> None:
    with db.sandbox() as sandbox:
        sandbox.bind(app_engine)
        first, second = sandbox.session(), Session(app_engine)
        first.add(User(name="first"))
        first.flush()
        second.add(User(name="second"))
        second.flush()
        first.commit()  # not the innermost savepoint: released once the later one ends
        second.rollback()  # drops only what the second session wrote
        assert names(sandbox.connection) == ["first"]
        second.add(User(name="again"))
        second.commit()
        assert names(sandbox.connection) == ["again", "first"]
    with db.engine.connect() as conn:
        assert count(conn) == 0


def test_a_rollback_ends_the_savepoints_opened_after_it_without_errors(
    db: TestDatabase, app_engine: Engine
) -> None:
    with db.sandbox() as sandbox:
        sandbox.bind(app_engine)
        first, second = sandbox.session(), Session(app_engine)
        first.add(User(name="first"))
        first.flush()
        second.add(User(name="second"))
        second.flush()
        first.rollback()  # one connection, one stack: the later savepoint goes too
        second.commit()  # no error: there is nothing of it left to release
        assert names(sandbox.connection) == []
        second.add(User(name="later"))
        second.commit()
        assert names(sandbox.connection) == ["later"]


# --- the property: any interleaving, checked against a model of the savepoint stack ----


@dataclass
class Model:
    """What the database holds, by the rules the sandbox documents."""

    rows: list[bool] = field(default_factory=list)  # alive, by write order
    stack: list[list[int]] = field(default_factory=list)  # [id, row position, released]
    ids: Iterator[int] = field(default_factory=itertools.count)

    def begin(self) -> int:
        number = next(self.ids)
        self.stack.append([number, len(self.rows), 0])
        return number

    def _index(self, number: int) -> int | None:
        found = [i for i, entry in enumerate(self.stack) if entry[0] == number]
        return found[0] if found else None

    def release(self, number: int) -> None:
        index = self._index(number)
        if index is None:
            return
        self.stack[index][2] = 1
        while self.stack and self.stack[-1][2]:
            self.stack.pop()

    def rollback(self, number: int) -> None:
        index = self._index(number)
        if index is None:
            return
        position = self.stack[index][1]
        self.rows[position:] = [False] * (len(self.rows) - position)
        del self.stack[index:]
        while self.stack and self.stack[-1][2]:
            self.stack.pop()

    @property
    def alive(self) -> int:
        return sum(self.rows)


def _session_makers(sandbox: DatabaseSandbox, engine: Engine) -> list[Callable[[], Session]]:
    maker = sandbox.bind(sessionmaker())
    scoped = sandbox.bind(scoped_session(sessionmaker()))
    sandbox.bind(engine)
    return [
        lambda: sandbox.shared_session,
        sandbox.session,
        maker,
        scoped,
        lambda: Session(engine),
    ]


OPS = st.lists(
    st.tuples(st.integers(0, 4), st.sampled_from(["write", "commit", "rollback", "read", "close"])),
    max_size=25,
)


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_sessions_interleaved_in_any_order(
    db: TestDatabase, app_engine: Engine, ops: list[tuple[int, str]]
) -> None:
    model = Model()
    with db.sandbox() as sandbox:
        makers = _session_makers(sandbox, app_engine)
        sessions: dict[int, Session] = {}
        savepoint: dict[int, int | None] = {}
        for which, op in ops:
            session = sessions.get(which) or sessions.setdefault(which, makers[which]())
            current = savepoint.get(which)
            if op in ("write", "read") and current is None:
                current = savepoint[which] = model.begin()
            if op == "write":
                session.add(User(name=f"m{next(_names)}"))
                session.flush()
                model.rows.append(True)
            elif op == "read":
                assert session.scalar(select(func.count()).select_from(users)) == model.alive
            elif current is not None:
                if op == "commit":
                    session.commit()
                    model.release(current)
                else:
                    getattr(session, op)()
                    model.rollback(current)
                savepoint[which] = None
        assert count(sandbox.connection) == model.alive
    with db.engine.connect() as conn:
        assert count(conn) == 0


@pytest.fixture(autouse=True)
def _empty_after(db: TestDatabase) -> Iterator[None]:
    yield
    with db.engine.begin() as conn:
        if count(conn):
            conn.execute(delete(users))
