"""after_commit=session: a mail lands when the session's transaction commits, and
vanishes when it rolls back, also inside a savepoint-based sandbox; a session with no
transaction open delivers at once."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, String, create_engine, event, func, select
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    scoped_session,
    sessionmaker,
)

import fixturekit as fk
from fixturekit.db import TestDatabase
from fixturekit.mail import FakeMailer

from .conftest import build_message


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100))


def sign_up(session: Session, mailer: FakeMailer, email: str) -> None:
    """The application code under test: a user row and a welcome mail, one transaction."""
    session.add(User(email=email))
    mailer.send(to=email, subject="Welcome", text="hi", after_commit=session)


@pytest.fixture
def engine() -> Iterator[Engine]:
    # pysqlite's own transaction handling gets in the way of SAVEPOINT; SQLAlchemy's
    # documented recipe: no implicit BEGIN from the driver, emit our own.
    engine = create_engine("sqlite://")

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: object, record: object) -> None:
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]

    @event.listens_for(engine, "begin")
    def _begin(connection: object) -> None:
        connection.exec_driver_sql("BEGIN")  # type: ignore[attr-defined]

    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def test_mail_waits_for_commit_and_lands_at_commit_time(
    engine: Engine, mailer: FakeMailer, virtual_clock: fk.Clock
) -> None:
    with Session(engine) as session:
        sign_up(session, mailer, "ada@example.com")
        mailer.assert_nothing_sent()
        assert [mail.subject for mail in mailer.pending] == ["Welcome"]
        virtual_clock.advance(minutes=5)
        session.commit()
    mail = mailer.assert_sent(to="ada@example.com", subject="Welcome")
    assert mail.sent_at == virtual_clock.now()
    assert mailer.pending == []
    assert mailer.timeline.messages("mailer") == ["mail to ada@example.com: Welcome"]


def test_rollback_drops_the_mail(engine: Engine, mailer: FakeMailer) -> None:
    with Session(engine) as session:
        sign_up(session, mailer, "ada@example.com")
        session.rollback()
        session.commit()  # a later commit of a new transaction does not bring it back
    mailer.assert_nothing_sent()
    assert mailer.pending == []
    assert mailer.timeline.messages("mailer") == [
        "mail to ada@example.com: Welcome discarded (its transaction rolled back)"
    ]


def test_closing_the_session_without_commit_drops_the_mail(
    engine: Engine, mailer: FakeMailer
) -> None:
    session = Session(engine)
    sign_up(session, mailer, "ada@example.com")
    session.close()
    mailer.assert_nothing_sent()


def test_a_session_with_no_transaction_open_delivers_at_once(
    engine: Engine, mailer: FakeMailer, virtual_clock: fk.Clock
) -> None:
    """Nothing is pending, so there is nothing to wait for (Django's on_commit, Laravel's
    afterCommit); the job queue does the same."""
    with Session(engine) as session:
        assert session.get_transaction() is None
        mailer.send(to="ada@example.com", subject="at once", after_commit=session)
        mail = mailer.assert_sent(subject="at once")
        assert mail.sent_at == virtual_clock.now()
        assert mailer.pending == []
        session.rollback()  # a later transaction has nothing to do with it
    mailer.assert_sent_count(1)


def test_after_a_commit_the_next_send_waits_only_if_a_new_transaction_began(
    engine: Engine, mailer: FakeMailer
) -> None:
    with Session(engine) as session:
        sign_up(session, mailer, "ada@example.com")
        session.commit()
        mailer.send(to="ops@example.com", subject="between transactions", after_commit=session)
        mailer.assert_sent(subject="between transactions")
        sign_up(session, mailer, "bob@example.com")  # session.add() begins a transaction
        mailer.assert_not_sent(to="bob@example.com")
        session.rollback()
    assert [mail.subject for mail in mailer.outbox] == ["Welcome", "between transactions"]


def test_rolled_back_savepoint_drops_only_its_own_mails(engine: Engine, mailer: FakeMailer) -> None:
    with Session(engine) as session:
        session.add(User(email="ada@example.com"))
        mailer.send(to="ada@example.com", subject="outer", after_commit=session)
        savepoint = session.begin_nested()
        mailer.send(to="ada@example.com", subject="inner", after_commit=session)
        savepoint.rollback()  # what `with session.begin_nested():` does when its body raises
        with session.begin_nested():
            mailer.send(to="ada@example.com", subject="inner kept", after_commit=session)
        mailer.assert_nothing_sent()
        session.commit()
    assert [mail.subject for mail in mailer.outbox] == ["outer", "inner kept"]


def test_committed_savepoint_inside_a_rolled_back_transaction_sends_nothing(
    engine: Engine, mailer: FakeMailer
) -> None:
    with Session(engine) as session:
        with session.begin_nested():
            mailer.send(to="ada@example.com", subject="inner", after_commit=session)
        session.rollback()
    mailer.assert_nothing_sent()


def test_inside_an_external_transaction_the_apps_commit_releases_the_mail(
    engine: Engine, mailer: FakeMailer
) -> None:
    """SQLAlchemy's "join a session into an external transaction" sandbox: the
    application's commit is a RELEASE SAVEPOINT; the test's outer rollback undoes it."""
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        sign_up(session, mailer, "ada@example.com")
        mailer.assert_nothing_sent()
        session.commit()
        mailer.assert_sent(to="ada@example.com")

        sign_up(session, mailer, "bob@example.com")
        session.rollback()
        assert users(session) == 1
        session.close()
        outer.rollback()
        assert users(Session(bind=connection)) == 0
    mailer.assert_sent_count(1)
    mailer.assert_not_sent(to="bob@example.com")


def test_inside_fixturekits_database_sandbox(mailer: FakeMailer) -> None:
    database = TestDatabase("sqlite://", schema=Base.metadata)
    with database, database.sandbox() as sandbox:
        session = sandbox.session()
        sign_up(session, mailer, "ada@example.com")
        session.commit()
        sign_up(session, mailer, "bob@example.com")
        session.rollback()
        session.close()
    mailer.assert_sent(to="ada@example.com", times=1)
    mailer.assert_not_sent(to="bob@example.com")


def test_scoped_session(engine: Engine, mailer: FakeMailer) -> None:
    scoped = scoped_session(sessionmaker(engine))
    try:
        scoped.add(User(email="ada@example.com"))
        mailer.send(to="ada@example.com", subject="scoped", after_commit=scoped)
        scoped.commit()
    finally:
        scoped.remove()
    mailer.assert_sent(subject="scoped")


def test_async_session(mailer: FakeMailer, tmp_path: object) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    async def main() -> None:
        engine = create_async_engine("sqlite+aiosqlite://")
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with AsyncSession(engine) as session:
            session.add(User(email="ada@example.com"))
            mailer.send(to="ada@example.com", subject="committed", after_commit=session)
            await session.commit()
            session.add(User(email="bob@example.com"))
            mailer.send(to="bob@example.com", subject="rolled back", after_commit=session)
            await session.rollback()
        await engine.dispose()

    asyncio.run(main())
    assert [mail.subject for mail in mailer.outbox] == ["committed"]


def test_send_message_can_wait_for_commit_too(engine: Engine, mailer: FakeMailer) -> None:
    message = build_message(to=["ada@example.com"], subject="message", text="x")
    with Session(engine) as session:
        session.add(User(email="ada@example.com"))
        mailer.send_message(message, after_commit=session)
        mailer.assert_nothing_sent()
        session.commit()
    mailer.assert_sent(subject="message", via="direct")


def test_bad_addresses_and_faults_still_fail_at_send_time(
    engine: Engine, mailer: FakeMailer
) -> None:
    with Session(engine) as session:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            mailer.send(to="not-an-address", subject="x", after_commit=session)
        mailer.fail_next(451)
        with pytest.raises(smtplib.SMTPDataError):
            mailer.send(to="ada@example.com", subject="x", after_commit=session)
        session.commit()
    assert mailer.pending == []
    mailer.assert_nothing_sent()


def test_assertion_failure_mentions_mail_waiting_for_a_commit(
    engine: Engine, mailer: FakeMailer
) -> None:
    with Session(engine) as session:
        sign_up(session, mailer, "ada@example.com")
        with pytest.raises(AssertionError) as info:
            mailer.assert_sent(to="ada@example.com")
        session.rollback()
    message = str(info.value)
    assert "nothing was recorded" in message
    assert "1 matching mail(s) wait for their session to commit" in message
    assert "'Welcome' from noreply@example.com to ada@example.com" in message


def test_stopping_the_mailer_forgets_pending_mail_and_its_listeners(
    engine: Engine, virtual_clock: fk.Clock
) -> None:
    session = Session(engine)
    before = len(session.dispatch.after_transaction_end), len(session.dispatch.after_commit)
    with FakeMailer(clock=virtual_clock) as mailer:
        sign_up(session, mailer, "ada@example.com")
        assert len(session.dispatch.after_transaction_end) > before[0]
    assert mailer.pending == []
    after = len(session.dispatch.after_transaction_end), len(session.dispatch.after_commit)
    assert after == before
    session.commit()
    session.close()
    mailer.assert_nothing_sent()


def test_after_commit_must_be_a_session(mailer: FakeMailer, engine: Engine) -> None:
    with pytest.raises(TypeError, match="after_commit= takes the SQLAlchemy Session"):
        mailer.send(to="ada@example.com", subject="x", after_commit=engine)


def test_reset_forgets_pending_mail(engine: Engine, mailer: FakeMailer) -> None:
    with Session(engine) as session:
        sign_up(session, mailer, "ada@example.com")
        mailer.reset()
        assert mailer.pending == []
        session.commit()
    mailer.assert_nothing_sent()
