"""The isolation proof: whatever random sequence of operations the code under test
runs inside a sandbox, the database afterwards is exactly as it was before.

Runs on every backend and driver the suite has (sync and async), over many
consecutive sandboxes, and checks that no connection is left checked out.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from fixturekit.db import TestDatabase

from .conftest import Post, User, posts, users

BASELINE = ["alice", "bob", "carol"]
_names = itertools.count()


def unique() -> str:
    return f"u{next(_names)}"


def snapshot(conn: Connection) -> tuple[list[Any], list[Any]]:
    return (
        sorted(map(tuple, conn.execute(select(users)).all())),
        sorted(map(tuple, conn.execute(select(posts)).all())),
    )


# --- the operations ---------------------------------------------------------------------

leaf = st.sampled_from(
    ["insert", "update", "delete", "post", "commit", "rollback", "flush", "fail", "second"]
)
operation = st.one_of(
    leaf,
    st.tuples(st.just("nested"), st.lists(leaf, max_size=4), st.booleans()),
)
sandbox_runs = st.lists(st.lists(operation, max_size=12), min_size=1, max_size=4)


def _victim(session: Session) -> int | None:
    return session.scalars(select(User.id).order_by(User.id).limit(1)).first()


def run_sync(op: Any, session: Session, maker: sessionmaker[Session]) -> None:
    if isinstance(op, tuple):
        _, inner, keep = op
        nested = session.begin_nested()
        for leaf_op in inner:
            if leaf_op in ("commit", "rollback", "fail"):
                continue  # ending the outer levels inside a nested one is not the point
            run_sync(leaf_op, session, maker)
        if nested.is_active:
            (nested.commit if keep else nested.rollback)()
        return
    if op == "insert":
        session.add(User(name=unique()))
    elif op == "update":
        victim = _victim(session)
        if victim is not None:
            session.execute(update(User).where(User.id == victim).values(name=unique()))
    elif op == "delete":
        victim = _victim(session)
        if victim is not None:
            session.execute(delete(Post).where(Post.user_id == victim))
            session.execute(delete(User).where(User.id == victim))
    elif op == "post":
        victim = _victim(session)
        if victim is not None:
            session.add(Post(user_id=victim, title=unique()))
    elif op == "commit":
        session.commit()
    elif op == "rollback":
        session.rollback()
    elif op == "flush":
        session.flush()
    elif op == "fail":
        session.flush()
        existing = session.scalars(select(User.name).limit(1)).first()
        if existing is not None:
            try:
                with session.begin_nested():
                    session.execute(insert(User), {"name": existing})
            except IntegrityError:
                pass
            else:  # pragma: no cover - the unique constraint must have fired
                raise AssertionError("duplicate name was accepted")
    elif op == "second":
        session.flush()
        with maker() as other:  # the app's own factory, bound to the sandbox
            other.add(User(name=unique()))
            other.commit()


async def run_async(
    op: Any, session: AsyncSession, maker: async_sessionmaker[AsyncSession]
) -> None:
    if isinstance(op, tuple):
        _, inner, keep = op
        nested = await session.begin_nested()
        for leaf_op in inner:
            if leaf_op in ("commit", "rollback", "fail"):
                continue
            await run_async(leaf_op, session, maker)
        if nested.is_active:
            await (nested.commit() if keep else nested.rollback())
        return
    if op in ("insert",):
        session.add(User(name=unique()))
        return
    if op == "commit":
        await session.commit()
    elif op == "rollback":
        await session.rollback()
    elif op == "flush":
        await session.flush()
    elif op == "second":
        await session.flush()
        async with maker() as other:
            other.add(User(name=unique()))
            await other.commit()
    else:
        victim = (await session.scalars(select(User.id).order_by(User.id).limit(1))).first()
        if victim is None:
            return
        if op == "update":
            await session.execute(update(User).where(User.id == victim).values(name=unique()))
        elif op == "delete":
            await session.execute(delete(Post).where(Post.user_id == victim))
            await session.execute(delete(User).where(User.id == victim))
        elif op == "post":
            session.add(Post(user_id=victim, title=unique()))
        elif op == "fail":
            existing = (await session.scalars(select(User.name).limit(1))).first()
            try:
                async with session.begin_nested():
                    await session.execute(insert(User), {"name": existing})
            except IntegrityError:
                pass
            else:  # pragma: no cover
                raise AssertionError("duplicate name was accepted")


# --- the proof ----------------------------------------------------------------------------


@pytest.fixture
def baseline(db: TestDatabase) -> Iterator[tuple[list[Any], list[Any]]]:
    """Rows that exist before every sandbox (so updates and deletes have targets)."""
    with db.engine.begin() as conn:
        conn.execute(insert(users), [{"name": name} for name in BASELINE])
        first = conn.execute(select(users.c.id).order_by(users.c.id)).scalars().first()
        conn.execute(insert(posts), {"user_id": first, "title": "hello"})
        before = snapshot(conn)
    yield before
    with db.engine.begin() as conn:
        conn.execute(delete(posts))
        conn.execute(delete(users))


PROOF = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.slow
@PROOF
@given(runs=sandbox_runs)
def test_random_operations_leave_the_database_exactly_as_before(
    db: TestDatabase, baseline: tuple[list[Any], list[Any]], runs: list[list[Any]]
) -> None:
    maker = sessionmaker(expire_on_commit=False)
    for ops in runs:
        with db.sandbox() as sandbox:
            sandbox.bind(maker)
            session = sandbox.session() if len(ops) % 2 else sandbox.shared_session
            for op in ops:
                run_sync(op, session, maker)
        with db.engine.connect() as conn:
            assert snapshot(conn) == baseline


@pytest.mark.slow
@PROOF
@given(runs=sandbox_runs)
def test_random_async_operations_leave_the_database_exactly_as_before(
    db: TestDatabase, baseline: tuple[list[Any], list[Any]], runs: list[list[Any]]
) -> None:
    maker = async_sessionmaker(expire_on_commit=False)

    async def body() -> None:
        for ops in runs:
            async with db.async_sandbox() as sandbox:
                sandbox.bind(maker)
                session = sandbox.session() if len(ops) % 2 else sandbox.shared_session
                for op in ops:
                    await run_async(op, session, maker)

    asyncio.run(body())
    with db.engine.connect() as conn:
        assert snapshot(conn) == baseline


@pytest.mark.slow
def test_a_long_series_of_sandboxes_leaves_no_connection_checked_out(
    db: TestDatabase, baseline: tuple[list[Any], list[Any]]
) -> None:
    out = [0]

    def checkout(*args: object) -> None:
        out[0] += 1

    def checkin(*args: object) -> None:
        out[0] -= 1

    maker = sessionmaker()
    engines = [db.engine, db.async_engine.sync_engine]
    for engine in engines:
        event.listen(engine, "checkout", checkout)
        event.listen(engine, "checkin", checkin)
    try:
        for n in range(200):
            with db.sandbox() as sandbox:
                sandbox.bind(maker)
                run_sync("insert", sandbox.shared_session, maker)
                run_sync("second", sandbox.shared_session, maker)
                if n % 3 == 0:
                    run_sync("fail", sandbox.shared_session, maker)
                sandbox.shared_session.commit()
            assert out[0] == 0

        async def series() -> None:
            for _ in range(50):
                async with db.async_sandbox() as sandbox:
                    sandbox.shared_session.add(User(name=unique()))
                    await sandbox.shared_session.commit()
                assert out[0] == 0

        asyncio.run(series())
    finally:
        for engine in engines:
            event.remove(engine, "checkout", checkout)
            event.remove(engine, "checkin", checkin)
    assert out[0] == 0
    with db.engine.connect() as conn:
        assert snapshot(conn) == baseline
