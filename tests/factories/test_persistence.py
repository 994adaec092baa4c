from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from factory_models import (
    Account,
    AccountFactory,
    Base,
    Comment,
    CommentFactory,
    Post,
    PostFactory,
)
from sqlalchemy.orm import Session

import fixturekit.factories as fk
from fixturekit._internal import context as _context
from fixturekit.db import TestDatabase

POSTGRES_URL = os.environ.get("FIXTUREKIT_TEST_POSTGRES_URL", "")
BACKENDS = [
    pytest.param("sqlite://", id="sqlite"),
    pytest.param(
        POSTGRES_URL,
        id="postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="FIXTUREKIT_TEST_POSTGRES_URL is not set"
        ),
    ),
]


def _count(session: Session, model: type) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest) -> Iterator[TestDatabase]:
    with TestDatabase(request.param, schema=Base.metadata) as db:
        yield db


def test_create_flushes_into_the_given_session_without_committing(session: Session) -> None:
    account = AccountFactory.create(session)
    assert account.id is not None
    assert account.active is True  # the column's scalar default
    assert isinstance(account.created_at, datetime)
    assert account.created_at.tzinfo is None  # DateTime(timezone=False)
    assert len(account.first_name) <= 8
    assert session.in_transaction()
    session.rollback()
    assert _count(session, Account) == 0  # flushed, never committed


def test_create_takes_the_running_sandboxs_session(database: TestDatabase) -> None:
    with database.sandbox() as sandbox:
        post = PostFactory.create()
        assert post in sandbox.shared_session
        assert post.account.id == post.account_id
        assert _count(sandbox.shared_session, Post) == 1
    with database.sandbox() as sandbox:
        assert _count(sandbox.shared_session, Post) == 0  # rolled back with the sandbox


def test_create_batch_writes_every_row_with_one_flush(database: TestDatabase) -> None:
    with database.sandbox() as sandbox:
        session = sandbox.shared_session
        flushes: list[int] = []
        sa.event.listen(session, "after_flush", lambda s, ctx: flushes.append(1))
        accounts = AccountFactory.create_batch(50)
        assert flushes == [1]
        assert _count(session, Account) == 50
        assert len({a.email for a in accounts}) == 50  # a unique column: no collisions
        assert all(a.manager_id is None for a in accounts)  # a nullable self-reference


def test_a_foreign_key_without_relationship_gets_a_row_from_the_registered_factory(
    session: Session,
) -> None:
    comment = CommentFactory.create(session)
    post = session.get(Post, comment.post_id)
    assert post is not None
    assert post.account is not None
    assert CommentFactory.build().post_id is None  # build() never touches a database


def test_overriding_the_foreign_key_skips_the_related_factory(session: Session) -> None:
    account = AccountFactory.create(session)
    post = PostFactory.create(session, account_id=account.id)
    assert post.account_id == account.id
    assert _count(session, Account) == 1
    other = PostFactory.create(session, account__first_name="Ada")
    assert other.account.first_name == "Ada"


def test_session_passed_by_keyword_or_from_the_context_variable(session: Session) -> None:
    assert AccountFactory.create(session=session).id is not None
    token = _context.current_session.set(lambda: session)
    try:
        assert AccountFactory.create().id is not None
    finally:
        _context.current_session.reset(token)
    assert _count(session, Account) == 2


def test_no_session_and_no_sandbox_is_a_clear_error() -> None:
    with pytest.raises(fk.FactoryError, match="db_session fixture"):
        AccountFactory.create()


def test_create_refuses_models_that_are_not_mapped(session: Session) -> None:
    from factory_models import Address

    class AddressFactory(fk.Factory[Address], register=False):
        pass

    with pytest.raises(fk.FactoryError, match="use build"):
        AddressFactory.create(session)


def test_hooks_run_after_the_flush_with_the_session(session: Session) -> None:
    class WithPosts(fk.Factory[Account], register=False):
        @fk.post_build
        def posts(account: Account, value: int | None, session: Session | None) -> None:
            if session is not None:
                assert account.id is not None
                PostFactory.create_batch(value or 0, session, account=account)

    account = WithPosts.create(session, posts=2)
    assert _count(session, Post) == 2
    assert {p.account_id for p in session.scalars(sa.select(Post))} == {account.id}


def test_an_integrity_error_names_the_factory(session: Session) -> None:
    AccountFactory.create(session, email="same@example.com")
    with pytest.raises(sa.exc.IntegrityError) as info:
        AccountFactory.create(session, email="same@example.com")
    assert "AccountFactory.create()" in "\n".join(getattr(info.value, "__notes__", []))


def test_payload_of_a_mapped_class_has_its_columns_and_related_rows() -> None:
    payload = PostFactory.payload(title="Hello")
    assert payload["title"] == "Hello"
    assert "@" in payload["account"]["email"]
    assert "id" not in payload  # left to the database


async def _async_flow(database: TestDatabase) -> None:
    async with database.async_sandbox() as sandbox:
        session = sandbox.shared_session
        post = await PostFactory.acreate()
        comments = await CommentFactory.acreate_batch(3, session, body="hi")
        assert post.id is not None
        assert [c.body for c in comments] == ["hi"] * 3
        total = await session.scalar(sa.select(sa.func.count()).select_from(Comment))
        assert total == 3
        with pytest.raises(fk.FactoryError, match="acreate"):
            PostFactory.create(session)  # type: ignore[arg-type]


def test_acreate_uses_the_async_sandbox_session(tmp_path: Path) -> None:
    import asyncio

    pytest.importorskip("aiosqlite")
    with TestDatabase(f"sqlite:///{tmp_path / 'app.db'}", schema=Base.metadata) as database:
        asyncio.run(_async_flow(database))


def test_acreate_refuses_a_sync_session(session: Session) -> None:
    import asyncio

    with pytest.raises(fk.FactoryError, match="needs an AsyncSession"):
        asyncio.run(AccountFactory.acreate(session))  # type: ignore[arg-type]
