"""DatabaseSandbox and AsyncDatabaseSandbox: one connection, one outer transaction.

Sessions join the outer transaction with savepoints
(``join_transaction_mode="create_savepoint"``), so their commits and rollbacks stay
inside it, and the sandbox rolls everything back when it exits.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable
from contextvars import ContextVar, Token
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, RootTransaction
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

from fixturekit import _context
from fixturekit.db._errors import SandboxError

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import DBAPICursor
    from sqlalchemy.ext.asyncio import (
        AsyncConnection,
        AsyncEngine,
        AsyncSession,
        AsyncTransaction,
        async_scoped_session,
    )

__all__ = ["AsyncDatabaseSandbox", "DatabaseSandbox"]

M = TypeVar("M")

#: Session options the sandbox sets itself.
_SANDBOX_OPTIONS = ("bind", "binds", "join_transaction_mode")

#: Statements that make MySQL/MariaDB commit implicitly (temporary tables excepted).
_DDL = re.compile(
    r"^\s*(?:/\*.*?\*/\s*)*(?P<verb>CREATE|ALTER|DROP|TRUNCATE|RENAME)\b(?!\s+TEMPORARY\b)",
    re.IGNORECASE | re.DOTALL,
)


# --- sessions that begin on a sandbox connection are closed when it exits -------------

_open: weakref.WeakKeyDictionary[Connection, _Tracker] = weakref.WeakKeyDictionary()
#: Single-connection engines (SQLite memory) -> the sync sandbox using the connection.
_busy: weakref.WeakKeyDictionary[Engine, DatabaseSandbox] = weakref.WeakKeyDictionary()


class _Tracker:
    def __init__(self) -> None:
        self.sessions: weakref.WeakSet[Session] = weakref.WeakSet()


def _after_begin(session: Session, transaction: Any, connection: Connection) -> None:
    tracker = _open.get(connection)
    if tracker is not None:
        tracker.sessions.add(session)


_listening = False


def _track(connection: Connection) -> _Tracker:
    global _listening
    if not _listening:
        if not event.contains(Session, "after_begin", _after_begin):
            event.listen(Session, "after_begin", _after_begin)
        _listening = True
    tracker = _open[connection] = _Tracker()
    return tracker


def _refuse_ddl(
    conn: Connection,
    cursor: DBAPICursor,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    match = _DDL.match(statement)
    if match is not None:
        shown = " ".join(statement.split())
        shown = shown if len(shown) <= 200 else shown[:197] + "..."
        raise SandboxError(
            f"refusing {match['verb'].upper()} inside a database sandbox: {shown!r}. "
            "MySQL and MariaDB commit implicitly before and after DDL (and TRUNCATE), which "
            "would end the sandbox's transaction and leave this test's data behind. Build "
            "tables in TestDatabase's schema=, use CREATE TEMPORARY TABLE, or test this code "
            "on a database outside the sandbox"
        )


def _check_options(kw: dict[str, Any], what: str) -> None:
    clash = sorted(set(kw) & set(_SANDBOX_OPTIONS))
    if clash:
        raise TypeError(
            f"{what} sets {', '.join(clash)} itself (sessions join the sandbox's "
            f"connection); leave {' and '.join(clash)} out"
        )


def _rebind(maker: Any, connection: Any) -> dict[str, Any]:
    """Point a (async_)sessionmaker at the sandbox; return its old configuration."""
    saved = dict(maker.kw)
    maker.kw["bind"] = connection
    maker.kw["join_transaction_mode"] = "create_savepoint"
    if maker.kw.get("binds"):
        maker.kw["binds"] = dict.fromkeys(maker.kw["binds"], connection)
    return saved


def _restore(maker: Any, saved: dict[str, Any]) -> None:
    maker.kw.clear()
    maker.kw.update(saved)


def _not_started(kind: str) -> SandboxError:
    return SandboxError(
        f"this {kind} is not open; use it as `with db.sandbox() as sandbox:` "
        "(`async with db.async_sandbox()` for the async one)"
    )


def _outer_ended(kind: str) -> SandboxError:
    return SandboxError(
        f"the {kind}'s outer transaction was ended inside the sandbox (something called "
        "commit() or rollback() on sandbox.connection itself, or the database ended it), "
        "so what the test wrote may not have been rolled back. Commit through sessions "
        "from sandbox.session() or a bound sessionmaker, not through the connection"
    )


_Getter = Callable[[], Any]


def _publish(var: ContextVar[_Getter | None], getter: _Getter) -> Token[_Getter | None]:
    """Offer ``getter`` to other blocks (factories) through ``var`` while the sandbox runs."""
    return var.set(getter)


def _unpublish(
    var: ContextVar[_Getter | None], token: Token[_Getter | None] | None, getter: _Getter
) -> None:
    if token is None or var.get() is not getter:
        return  # never published here, or a sandbox opened later still runs: leave it
    try:
        var.reset(token)
    except ValueError:
        # Stopped in another context than the one it started in (a runner that tears a
        # fixture down in a copied context): withdraw it from this one.
        var.set(None if token.old_value is Token.MISSING else token.old_value)


# --- sync -----------------------------------------------------------------------------


class DatabaseSandbox:
    """One connection in one outer transaction; everything is rolled back at exit.

    ``sandbox.session()`` and sessionmakers passed to :meth:`bind` join it with
    savepoints, so the code under test may commit, roll back, nest and fail freely.
    """

    def __init__(self, engine: Engine, *, ddl_guard: bool = False) -> None:
        self._engine = engine
        self._ddl_guard = ddl_guard
        self._single = isinstance(engine.pool, StaticPool)
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._tracker: _Tracker | None = None
        self._bound: list[tuple[Any, dict[str, Any], scoped_session[Any] | None]] = []
        self._shared: Session | None = None
        self._shared_lock = threading.Lock()
        self._getter: _Getter = self._get_shared_session
        self._token: Token[_Getter | None] | None = None

    def __enter__(self) -> DatabaseSandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> DatabaseSandbox:
        if self._connection is not None:
            raise SandboxError("this sandbox is already open; open a new one per test")
        if self._single and _busy.get(self._engine) is not None:
            raise SandboxError(
                "another sandbox is open on this sqlite:// memory database, which has one "
                "connection, so only one sync sandbox can run at a time; close the other "
                "first, or use a file database (sqlite:///app.db) for sandboxes that overlap"
            )
        connection = self._engine.connect()
        try:
            self._transaction = connection.begin()
            if self._ddl_guard:
                event.listen(connection, "before_cursor_execute", _refuse_ddl)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        self._tracker = _track(connection)
        if self._single:
            _busy[self._engine] = self
        self._token = _publish(_context.current_session, self._getter)
        return self

    @property
    def connection(self) -> Connection:
        """The sandbox's connection (inside its outer transaction)."""
        if self._connection is None:
            raise _not_started("DatabaseSandbox")
        return self._connection

    @property
    def shared_session(self) -> Session:
        """The sandbox's own `Session`: the same object on every access.

        Created on first use and closed when the sandbox exits. It is what the
        ``db_session`` fixture returns and what fixturekit's factories write through
        while this sandbox runs, so the test and its factories share one identity map.
        Use `session` for a separate one.
        """
        return self._get_shared_session()

    def _get_shared_session(self) -> Session:
        connection = self.connection
        with self._shared_lock:
            if self._shared is None:
                self._shared = Session(bind=connection, join_transaction_mode="create_savepoint")
            return self._shared

    def session(self, **kw: Any) -> Session:
        """A new Session in the sandbox; ``kw`` are Session options (e.g. ``autoflush``)."""
        _check_options(kw, "sandbox.session()")
        return Session(bind=self.connection, join_transaction_mode="create_savepoint", **kw)

    def bind(self, maker: M) -> M:
        """Make ``maker`` (a ``sessionmaker`` or ``scoped_session``) produce sessions here.

        Its configuration is restored when the sandbox exits, and a ``scoped_session``'s
        registry is cleared both now and then. Returns ``maker``.
        """
        connection = self.connection
        scoped: scoped_session[Any] | None = None
        target: Any = maker
        if isinstance(target, scoped_session):
            scoped = target
            target = target.session_factory
            scoped.remove()
        if not isinstance(target, sessionmaker):
            raise TypeError(
                f"sandbox.bind() takes a sessionmaker or scoped_session, not {maker!r}"
                + (
                    "; bind an async_sessionmaker to db.async_sandbox() instead"
                    if type(maker).__name__ in ("async_sessionmaker", "async_scoped_session")
                    else ""
                )
            )
        self._bound.append((target, _rebind(target, connection), scoped))
        return maker

    def stop(self) -> None:
        """Close the sandbox's sessions, roll everything back, restore bound makers."""
        connection, transaction, tracker = self._connection, self._transaction, self._tracker
        if connection is None or transaction is None or tracker is None:
            return
        ended = False
        _unpublish(_context.current_session, self._token, self._getter)
        self._token = None
        try:
            for _maker, _saved, scoped in reversed(self._bound):
                if scoped is not None:
                    scoped.remove()
            if self._shared is not None:
                self._shared.close()
            for session in list(tracker.sessions):
                session.close()
        finally:
            try:
                ended = not transaction.is_active
                if not ended:
                    transaction.rollback()
            finally:
                connection.close()
                _open.pop(connection, None)
                if _busy.get(self._engine) is self:
                    del _busy[self._engine]
                self._connection = self._transaction = self._tracker = None
                self._shared = None
                for maker, saved, _scoped in reversed(self._bound):
                    _restore(maker, saved)
                self._bound.clear()
        if ended:
            raise _outer_ended("DatabaseSandbox")


# --- async ----------------------------------------------------------------------------


class AsyncDatabaseSandbox:
    """The async sandbox: an AsyncConnection in one outer transaction (``async with``)."""

    def __init__(self, engine: AsyncEngine, *, ddl_guard: bool = False) -> None:
        self._engine = engine
        self._ddl_guard = ddl_guard
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None
        self._tracker: _Tracker | None = None
        self._bound: list[tuple[Any, dict[str, Any], async_scoped_session[Any] | None]] = []
        self._shared: AsyncSession | None = None
        self._getter: _Getter = self._get_shared_session
        self._token: Token[_Getter | None] | None = None

    async def __aenter__(self) -> AsyncDatabaseSandbox:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> AsyncDatabaseSandbox:
        if self._connection is not None:
            raise SandboxError("this sandbox is already open; open a new one per test")
        connection = await self._engine.connect()
        try:
            self._transaction = await connection.begin()
            sync = connection.sync_connection
            assert sync is not None
            if self._ddl_guard:
                event.listen(sync, "before_cursor_execute", _refuse_ddl)
            self._tracker = _track(sync)
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        self._token = _publish(_context.current_async_session, self._getter)
        return self

    @property
    def connection(self) -> AsyncConnection:
        """The sandbox's AsyncConnection (inside its outer transaction)."""
        if self._connection is None:
            raise _not_started("AsyncDatabaseSandbox")
        return self._connection

    @property
    def shared_session(self) -> AsyncSession:
        """The sandbox's own `AsyncSession`: the same object on every access.

        Created on first use (with ``expire_on_commit=False``, so attributes stay
        readable after a commit without an implicit load) and closed when the sandbox
        exits. It is what ``async_db_session`` returns and what fixturekit's factories
        write through while this sandbox runs. Use `session` for a separate one.
        """
        return self._get_shared_session()

    def _get_shared_session(self) -> AsyncSession:
        from sqlalchemy.ext.asyncio import AsyncSession

        connection = self.connection
        if self._shared is None:  # one event loop thread: no lock needed
            self._shared = AsyncSession(
                bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
        return self._shared

    def session(self, **kw: Any) -> AsyncSession:
        """A new AsyncSession in the sandbox; ``kw`` are AsyncSession options."""
        from sqlalchemy.ext.asyncio import AsyncSession

        _check_options(kw, "sandbox.session()")
        return AsyncSession(bind=self.connection, join_transaction_mode="create_savepoint", **kw)

    def bind(self, maker: M) -> M:
        """Make ``maker`` (``async_sessionmaker`` or ``async_scoped_session``) produce
        sessions here until the sandbox exits, then restore it. Returns ``maker``.

        An ``async_scoped_session``'s registry is cleared now; the sandbox removes its
        session when it exits.
        """
        from sqlalchemy.ext.asyncio import async_scoped_session, async_sessionmaker

        connection = self.connection
        scoped: async_scoped_session[Any] | None = None
        target: Any = maker
        if isinstance(target, async_scoped_session):
            scoped = target
            target = target.session_factory
            scoped.registry.clear()
        if not isinstance(target, async_sessionmaker):
            raise TypeError(
                "async_sandbox.bind() takes an async_sessionmaker or async_scoped_session, "
                f"not {maker!r}"
                + (
                    "; bind a sessionmaker to db.sandbox() instead"
                    if isinstance(target, (sessionmaker, scoped_session))
                    else ""
                )
            )
        self._bound.append((target, _rebind(target, connection), scoped))
        return maker

    async def stop(self) -> None:
        """Close the sandbox's sessions, roll everything back, restore bound makers."""
        from sqlalchemy.ext.asyncio import async_session

        connection, transaction, tracker = self._connection, self._transaction, self._tracker
        if connection is None or transaction is None or tracker is None:
            return
        ended = False
        _unpublish(_context.current_async_session, self._token, self._getter)
        self._token = None
        try:
            for _maker, _saved, scoped in reversed(self._bound):
                if scoped is not None:
                    await scoped.remove()
            if self._shared is not None:
                await self._shared.close()
            for session in list(tracker.sessions):
                proxy = async_session(session)
                if proxy is not None:
                    await proxy.close()
        finally:
            try:
                ended = not transaction.is_active
                if not ended:
                    await transaction.rollback()
            finally:
                sync = connection.sync_connection
                await connection.close()
                if sync is not None:
                    _open.pop(sync, None)
                self._connection = self._transaction = None
                self._tracker = self._shared = None
                for maker, saved, _scoped in reversed(self._bound):
                    _restore(maker, saved)
                self._bound.clear()
        if ended:
            raise _outer_ended("AsyncDatabaseSandbox")
