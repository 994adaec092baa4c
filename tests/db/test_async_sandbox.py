"""AsyncDatabaseSandbox on aiosqlite, asyncpg and aiomysql: the same isolation, awaited."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    async_scoped_session,
    async_sessionmaker,
)
from sqlalchemy.orm import sessionmaker

from fixturekit.db import SandboxError, TestDatabase

from .conftest import Post, User, count, users


async def acount(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(users))).scalar_one())


async def anames(conn: AsyncConnection) -> list[str]:
    return sorted((await conn.execute(select(users.c.name))).scalars())


def assert_empty(db: TestDatabase) -> None:
    with db.engine.connect() as conn:
        assert count(conn) == 0


@pytest.mark.asyncio
async def test_async_commit_is_rolled_back_at_exit(db: TestDatabase) -> None:
    async with db.async_sandbox() as sandbox:
        session = sandbox.session()
        session.add(User(name="ada"))
        await session.commit()
        assert await acount(sandbox.connection) == 1
    assert_empty(db)


@pytest.mark.asyncio
async def test_async_committed_data_stays_visible_later_in_the_test(db: TestDatabase) -> None:
    async with db.async_sandbox() as sandbox:
        async with sandbox.session(expire_on_commit=False) as first:
            ada = User(name="ada")
            first.add(ada)
            await first.commit()
            first.add(Post(user_id=ada.id, title="hello"))
            await first.commit()
        async with sandbox.session() as second:
            assert (await second.scalars(select(Post.title))).all() == ["hello"]
    assert_empty(db)


@pytest.mark.asyncio
async def test_async_rollback_nested_and_integrity_error(db: TestDatabase) -> None:
    async with db.async_sandbox() as sandbox:
        session = sandbox.session()
        session.add(User(name="ada"))
        await session.commit()
        nested = await session.begin_nested()
        session.add(User(name="dropped"))
        await session.flush()
        await nested.rollback()
        session.add(User(name="ada"))
        with pytest.raises(IntegrityError):
            await session.commit()
        await session.rollback()
        session.add(User(name="grace"))
        await session.commit()
        assert await anames(sandbox.connection) == ["ada", "grace"]
    assert_empty(db)


@pytest.mark.asyncio
async def test_async_bound_sessionmaker_joins_and_is_restored(db: TestDatabase) -> None:
    AsyncSessionLocal = async_sessionmaker(db.async_engine, expire_on_commit=False)
    before = dict(AsyncSessionLocal.kw)
    async with db.async_sandbox() as sandbox:
        assert sandbox.bind(AsyncSessionLocal) is AsyncSessionLocal
        async with AsyncSessionLocal() as session:
            session.add(User(name="ada"))
            await session.commit()
        async with AsyncSessionLocal() as session:
            assert (await session.scalars(select(User.name))).all() == ["ada"]
        left_open = AsyncSessionLocal()
        await left_open.execute(insert(users), {"name": "grace"})
    assert AsyncSessionLocal.kw == before
    assert not left_open.in_transaction()
    assert_empty(db)


@pytest.mark.asyncio
async def test_async_bound_scoped_session_is_removed_at_exit(db: TestDatabase) -> None:
    Scoped = async_scoped_session(
        async_sessionmaker(db.async_engine), scopefunc=asyncio.current_task
    )
    async with db.async_sandbox() as sandbox:
        sandbox.bind(Scoped)
        Scoped().add(User(name="ada"))
        await Scoped().commit()
        assert await anames(sandbox.connection) == ["ada"]
    assert not Scoped.registry.has()
    assert Scoped.session_factory.kw["bind"] is db.async_engine
    assert_empty(db)


@pytest.mark.asyncio
async def test_async_sandbox_refuses_a_sync_sessionmaker(db: TestDatabase) -> None:
    async with db.async_sandbox() as sandbox:
        with pytest.raises(TypeError, match=r"bind a sessionmaker or Engine to db\.sandbox\(\)"):
            sandbox.bind(sessionmaker())


@pytest.mark.asyncio
async def test_many_async_sandboxes_leave_the_database_as_it_was(db: TestDatabase) -> None:
    for n in range(20):
        async with db.async_sandbox() as sandbox:
            session = sandbox.session()
            session.add(User(name=f"user{n}"))
            await session.commit()
            assert await acount(sandbox.connection) == 1
    assert_empty(db)


@pytest.mark.asyncio
async def test_async_sandbox_exit_after_an_error_still_rolls_back(db: TestDatabase) -> None:
    async def failing_test() -> None:
        async with db.async_sandbox() as sandbox:
            session = sandbox.session()
            session.add(User(name="ada"))
            await session.commit()
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await failing_test()
    assert_empty(db)


@pytest.mark.asyncio
async def test_async_connection_of_a_sandbox_that_is_not_open_is_an_error(
    db: TestDatabase,
) -> None:
    with pytest.raises(SandboxError, match="not open"):
        db.async_sandbox().connection  # noqa: B018


@pytest.mark.asyncio
async def test_async_bound_engine_joins_the_sandbox_and_is_restored(db: TestDatabase) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
    from sqlalchemy.pool import NullPool

    app_engine = create_async_engine(db.async_url, poolclass=NullPool)
    try:
        async with db.async_sandbox() as sandbox:
            assert sandbox.bind(app_engine) is app_engine
            async with AsyncSession(app_engine) as session:
                session.add(User(name="ada"))
                await session.commit()
            async with app_engine.begin() as conn:
                await conn.execute(insert(users).values(name="bob"))
            async with app_engine.connect() as conn:
                await conn.execute(insert(users).values(name="never"))
            assert await anames(sandbox.connection) == ["ada", "bob"]
        assert "_connection_cls" not in vars(app_engine.sync_engine)
        assert_empty(db)
    finally:
        await app_engine.dispose()


@pytest.mark.asyncio
async def test_async_bind_of_a_sync_engine_points_at_the_sync_sandbox(db: TestDatabase) -> None:
    async with db.async_sandbox() as sandbox:
        with pytest.raises(TypeError, match=r"or an AsyncEngine.*db\.sandbox\(\) instead"):
            sandbox.bind(db.engine)
