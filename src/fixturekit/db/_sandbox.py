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
from sqlalchemy.engine import URL, Connection, Engine, RootTransaction
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

from fixturekit._internal import context as _context
from fixturekit._internal.notes import NOTES_SHOWN, add_note
from fixturekit.db import _escapes
from fixturekit.db._errors import SandboxError, SandboxEscapeError

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import DBAPICursor
    from sqlalchemy.ext.asyncio import (
        AsyncConnection,
        AsyncEngine,
        AsyncSession,
        AsyncTransaction,
        async_scoped_session,
    )

    from fixturekit.db._clone import Clone

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
#: Clone sandboxes' engines (sessions there bind to the engine, not to one connection).
_open_engines: weakref.WeakKeyDictionary[Engine, _Tracker] = weakref.WeakKeyDictionary()
#: Single-connection engines (SQLite memory) -> the sync sandbox using the connection.
_busy: weakref.WeakKeyDictionary[Engine, DatabaseSandbox] = weakref.WeakKeyDictionary()


class _Tracker:
    """The sessions that began in one sandbox (the set is made on the first one)."""

    __slots__ = ("sessions",)

    def __init__(self) -> None:
        self.sessions: weakref.WeakSet[Session] | None = None

    def add(self, session: Session) -> None:
        if self.sessions is None:
            self.sessions = weakref.WeakSet()
        self.sessions.add(session)

    def close_all(self) -> list[Session]:
        """The sessions to close (those still alive)."""
        return list(self.sessions) if self.sessions else []


def _after_begin(session: Session, transaction: Any, connection: Connection) -> None:
    tracker = _open.get(connection)
    if tracker is None and _open_engines:
        tracker = _open_engines.get(connection.engine)
    if tracker is not None:
        tracker.add(session)


_listening = False


def _track(connection: Connection | None, engine: Engine | None = None) -> _Tracker:
    global _listening
    if not _listening:
        if not event.contains(Session, "after_begin", _after_begin):
            event.listen(Session, "after_begin", _after_begin)
        _listening = True
    tracker = _Tracker()
    if connection is not None:
        _open[connection] = tracker
    if engine is not None:
        _open_engines[engine] = tracker
    return tracker


#: Sandbox connections whose DDL is refused (MySQL/MariaDB), and the engines that have
#: the listener doing it: one listener per engine, installed with its first sandbox
#: (a listener per connection would cost more than the rest of a sandbox).
_guarded: set[Connection] = set()
_guarded_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def _guard_ddl(engine: Engine) -> None:
    if engine not in _guarded_engines:
        event.listen(engine, "before_cursor_execute", _refuse_ddl)
        _guarded_engines.add(engine)


def _refuse_ddl(
    conn: Connection,
    cursor: DBAPICursor,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    if conn not in _guarded:
        return  # not a sandbox's connection (or its sandbox has closed)
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
    if not kw:
        return
    clash = sorted(set(kw) & set(_SANDBOX_OPTIONS))
    if clash:
        raise TypeError(
            f"{what} sets {', '.join(clash)} itself (sessions join the sandbox's "
            f"connection); leave {' and '.join(clash)} out"
        )


def _rebind(maker: Any, bind: Any, *, join: bool = True) -> dict[str, Any]:
    """Point a (async_)sessionmaker at the sandbox; return its old configuration."""
    saved = dict(maker.kw)
    maker.kw["bind"] = bind
    if join:
        maker.kw["join_transaction_mode"] = "create_savepoint"
    if maker.kw.get("binds"):
        maker.kw["binds"] = dict.fromkeys(maker.kw["binds"], bind)
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


#: How many escapes an error lists (the rest are counted).
_SHOWN = 10


def _escape_error(kind: str, url: URL, escapes: list[_escapes.Escape]) -> SandboxEscapeError:
    listing = "\n\n".join(
        f"{n}. {escape.describe()}" for n, escape in enumerate(escapes[:_SHOWN], start=1)
    )
    if len(escapes) > _SHOWN:
        listing += f"\n\n... and {len(escapes) - _SHOWN} more"
    where = url.database
    count = f"{len(escapes)} write{'s' if len(escapes) != 1 else ''}"
    return SandboxEscapeError(
        f"{count} reached the test database {where!r} outside the {kind}, on a connection "
        "it does not own, and committed there: the sandbox cannot roll them back, so they "
        f"may leak into later tests.\n\n{listing}\n\nRoute that code through the sandbox "
        "(sandbox.bind(SessionLocal) for the application's sessionmaker, or hand it "
        "sandbox.connection); code that must commit on connections of its own (another "
        "thread, an app server, a worker process) needs db.sandbox(isolation='clone'). "
        "To turn this check off: db.sandbox(detect_escapes=False)",
        list(escapes),
    )


def _report_in_flight(error: SandboxEscapeError, exc: BaseException) -> bool:
    """Add ``error`` to the test's own exception as a note; False if notes are missing."""
    if not NOTES_SHOWN:
        return False
    add_note(exc, f"fixturekit: {error}")
    return True


# --- sync -----------------------------------------------------------------------------


class DatabaseSandbox:
    """One connection in one outer transaction; everything is rolled back at exit.

    ``sandbox.session()`` and sessionmakers passed to :meth:`bind` join it with
    savepoints, so the code under test may commit, roll back, nest and fail freely.

    With ``isolation="clone"`` (``db.sandbox(isolation="clone")``) the sandbox is a
    fresh database cloned from the test database's template instead: sessions commit
    for real, any number of connections (threads, an app server) may use
    :attr:`engine` / :attr:`url`, and the clone is dropped at exit.

    While it is open, writes that reach the watched database on other connections
    and commit are collected, and reported when the sandbox exits
    (`SandboxEscapeError`); ``watch`` is the engine of the database to watch (None:
    no watching).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        ddl_guard: bool = False,
        watch: Engine | None = None,
        clone: Callable[[], Clone] | None = None,
    ) -> None:
        self._engine = engine
        self._ddl_guard = ddl_guard
        self._watched = watch
        self._make_clone = clone
        self._clone: Clone | None = None
        self._single = clone is None and isinstance(engine.pool, StaticPool)
        self._open = False
        self._connection: Connection | None = None
        self._dbapi: object | None = None
        self._transaction: RootTransaction | None = None
        self._tracker: _Tracker | None = None
        self._watch: _escapes.Watch | None = None
        self._bound: list[tuple[Any, dict[str, Any], scoped_session[Any] | None]] = []
        self._shared: Session | None = None
        self._shared_lock = threading.Lock()
        self._getter: _Getter = self._get_shared_session
        self._token: Token[_Getter | None] | None = None

    def __repr__(self) -> str:
        mode = "clone" if self._make_clone is not None else "transaction"
        state = "open" if self._open else "closed"
        return f"<DatabaseSandbox isolation={mode!r} ({state})>"

    def __enter__(self) -> DatabaseSandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.stop()
        except SandboxEscapeError as error:
            if exc is None or not _report_in_flight(error, exc):
                raise

    @property
    def isolation(self) -> str:
        """``"transaction"`` (rolled back at exit) or ``"clone"`` (a database of its own)."""
        return "clone" if self._make_clone is not None else "transaction"

    def start(self) -> DatabaseSandbox:
        if self._open:
            raise SandboxError("this sandbox is already open; open a new one per test")
        if self._make_clone is not None:
            self._start_clone()
            return self
        if self._single and _busy.get(self._engine) is not None:
            raise SandboxError(
                "another sandbox is open on this sqlite:// memory database, which has one "
                "connection, so only one sync sandbox can run at a time; close the other "
                "first, or use a file database (sqlite:///app.db) for sandboxes that overlap"
            )
        if self._ddl_guard:
            _guard_ddl(self._engine)
        connection = self._engine.connect()
        try:
            self._transaction = connection.begin()
            self._dbapi = connection.connection.dbapi_connection
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        if self._ddl_guard:
            _guarded.add(connection)
        self._tracker = _track(connection)
        if self._single:
            _busy[self._engine] = self
        self._begin_watch()
        self._open = True
        self._token = _publish(_context.current_session, self._getter)
        return self

    def _start_clone(self) -> None:
        assert self._make_clone is not None
        self._clone = self._make_clone()
        self._tracker = _track(None, self._clone.engine)
        self._begin_watch()
        self._open = True
        self._token = _publish(_context.current_session, self._getter)

    def _begin_watch(self) -> None:
        self._watch = _escapes.enter(self._dbapi, self._watched)

    def _end_watch(self) -> list[_escapes.Escape]:
        dbapi, self._dbapi = self._dbapi, None
        watched, self._watch = self._watch, None
        return _escapes.leave(dbapi, watched)

    def _running(self) -> None:
        if not self._open:
            raise _not_started("DatabaseSandbox")

    @property
    def engine(self) -> Engine:
        """The engine of the sandbox's database: the clone's with ``isolation="clone"``.

        In the default mode it is the test database's engine, and its other connections
        are *outside* the sandbox: use `connection` and `session` there.
        """
        self._running()
        return self._clone.engine if self._clone is not None else self._engine

    @property
    def url(self) -> URL:
        """The URL of the sandbox's database (the clone's with ``isolation="clone"``).

        ``url.render_as_string(hide_password=False)`` gives the string to hand to an
        application that makes its own engine.
        """
        return self.engine.url

    @property
    def connection(self) -> Connection:
        """The sandbox's connection (inside its outer transaction).

        With ``isolation="clone"``, a connection to the clone opened on first use; it
        may commit, and is closed at exit.
        """
        self._running()
        if self._connection is None:
            assert self._clone is not None
            self._connection = self._clone.engine.connect()
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
        self._running()
        with self._shared_lock:
            if self._shared is None:
                self._shared = self._new_session({})
            return self._shared

    def _new_session(self, kw: dict[str, Any]) -> Session:
        if self._clone is not None:
            return Session(bind=self._clone.engine, **kw)
        return Session(bind=self.connection, join_transaction_mode="create_savepoint", **kw)

    def session(self, **kw: Any) -> Session:
        """A new Session in the sandbox; ``kw`` are Session options (e.g. ``autoflush``)."""
        _check_options(kw, "sandbox.session()")
        self._running()
        return self._new_session(kw)

    def bind(self, maker: M) -> M:
        """Make ``maker`` (a ``sessionmaker`` or ``scoped_session``) produce sessions here.

        Its configuration is restored when the sandbox exits, and a ``scoped_session``'s
        registry is cleared both now and then. Returns ``maker``.
        """
        self._running()
        scoped: scoped_session[Any] | None = None
        target: Any = maker
        if isinstance(target, scoped_session):
            scoped = target
            target = target.session_factory
        if not isinstance(target, sessionmaker):
            raise TypeError(
                f"sandbox.bind() takes a sessionmaker or scoped_session, not {maker!r}"
                + (
                    "; bind an async_sessionmaker to db.async_sandbox() instead"
                    if type(maker).__name__ in ("async_sessionmaker", "async_scoped_session")
                    else ""
                )
            )
        if scoped is not None:
            scoped.remove()
        if self._clone is not None:
            saved = _rebind(target, self._clone.engine, join=False)
        else:
            saved = _rebind(target, self.connection)
        self._bound.append((target, saved, scoped))
        return maker

    def stop(self) -> None:
        """Close the sandbox's sessions, roll everything back, restore bound makers.

        Raises `SandboxEscapeError` (after cleaning up) when writes escaped it.
        """
        if not self._open:
            return
        connection, transaction, tracker = self._connection, self._transaction, self._tracker
        ended = False
        escapes: list[_escapes.Escape] = []
        _unpublish(_context.current_session, self._token, self._getter)
        self._token = None
        try:
            for _maker, _saved, scoped in reversed(self._bound):
                if scoped is not None:
                    scoped.remove()
            if self._shared is not None:
                self._shared.close()
            if tracker is not None:
                for session in tracker.close_all():
                    session.close()
        finally:
            try:
                if transaction is not None:
                    ended = not transaction.is_active
                    if not ended:
                        transaction.rollback()
            finally:
                try:
                    if connection is not None:
                        _open.pop(connection, None)
                        _guarded.discard(connection)
                        connection.close()
                    if self._single and _busy.get(self._engine) is self:
                        del _busy[self._engine]
                    self._connection = self._transaction = self._tracker = None
                    self._shared = None
                    self._open = False
                    for maker, saved, _scoped in reversed(self._bound):
                        _restore(maker, saved)
                    self._bound.clear()
                    escapes = self._end_watch()
                finally:
                    clone, self._clone = self._clone, None
                    if clone is not None:
                        _open_engines.pop(clone.engine, None)
                        clone.drop()
        if ended:
            raise _outer_ended("DatabaseSandbox")
        if escapes:
            assert self._watched is not None
            raise _escape_error("sandbox", self._watched.url, escapes)


# --- async ----------------------------------------------------------------------------


class AsyncDatabaseSandbox:
    """The async sandbox: an AsyncConnection in one outer transaction (``async with``).

    ``isolation="clone"`` and escape detection work as in `DatabaseSandbox`.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        ddl_guard: bool = False,
        watch: Engine | None = None,
        clone: Callable[[], Clone] | None = None,
    ) -> None:
        self._engine = engine
        self._ddl_guard = ddl_guard
        self._watched = watch
        self._make_clone = clone
        self._clone: Clone | None = None
        self._clone_engine: AsyncEngine | None = None
        self._open = False
        self._connection: AsyncConnection | None = None
        self._dbapi: object | None = None
        self._transaction: AsyncTransaction | None = None
        self._tracker: _Tracker | None = None
        self._watch: _escapes.Watch | None = None
        self._bound: list[tuple[Any, dict[str, Any], async_scoped_session[Any] | None]] = []
        self._shared: AsyncSession | None = None
        self._getter: _Getter = self._get_shared_session
        self._token: Token[_Getter | None] | None = None

    def __repr__(self) -> str:
        mode = "clone" if self._make_clone is not None else "transaction"
        state = "open" if self._open else "closed"
        return f"<AsyncDatabaseSandbox isolation={mode!r} ({state})>"

    async def __aenter__(self) -> AsyncDatabaseSandbox:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.stop()
        except SandboxEscapeError as error:
            if exc is None or not _report_in_flight(error, exc):
                raise

    @property
    def isolation(self) -> str:
        """``"transaction"`` (rolled back at exit) or ``"clone"`` (a database of its own)."""
        return "clone" if self._make_clone is not None else "transaction"

    async def start(self) -> AsyncDatabaseSandbox:
        if self._open:
            raise SandboxError("this sandbox is already open; open a new one per test")
        if self._make_clone is not None:
            import asyncio

            # Creating a database blocks; let the event loop run meanwhile.
            self._clone = await asyncio.to_thread(self._make_clone)
            self._clone_engine = self._clone.async_engine()
            self._tracker = _track(None, self._clone_engine.sync_engine)
        else:
            if self._ddl_guard:
                _guard_ddl(self._engine.sync_engine)
            connection = await self._engine.connect()
            try:
                self._transaction = await connection.begin()
                sync = connection.sync_connection
                assert sync is not None
                self._dbapi = sync.connection.dbapi_connection
            except BaseException:
                await connection.close()
                raise
            self._connection = connection
            if self._ddl_guard:
                _guarded.add(sync)
            self._tracker = _track(sync)
        self._watch = _escapes.enter(self._dbapi, self._watched)
        self._open = True
        self._token = _publish(_context.current_async_session, self._getter)
        return self

    def _running(self) -> None:
        if not self._open:
            raise _not_started("AsyncDatabaseSandbox")

    @property
    def engine(self) -> AsyncEngine:
        """The AsyncEngine of the sandbox's database: the clone's with ``isolation="clone"``."""
        self._running()
        return self._clone_engine if self._clone_engine is not None else self._engine

    @property
    def url(self) -> URL:
        """The (async driver) URL of the sandbox's database; the clone's in clone mode."""
        return self.engine.url

    @property
    def connection(self) -> AsyncConnection:
        """The sandbox's AsyncConnection (inside its outer transaction).

        With ``isolation="clone"`` there is no single connection: use `engine`.
        """
        self._running()
        if self._connection is None:
            raise SandboxError(
                "an async clone sandbox has no connection of its own (opening one needs "
                "an await); use `async with sandbox.engine.connect() as conn:` or "
                "sandbox.session()"
            )
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
        self._running()
        if self._shared is None:  # one event loop thread: no lock needed
            self._shared = self._new_session({"expire_on_commit": False})
        return self._shared

    def _new_session(self, kw: dict[str, Any]) -> AsyncSession:
        from sqlalchemy.ext.asyncio import AsyncSession

        if self._clone_engine is not None:
            return AsyncSession(bind=self._clone_engine, **kw)
        return AsyncSession(bind=self.connection, join_transaction_mode="create_savepoint", **kw)

    def session(self, **kw: Any) -> AsyncSession:
        """A new AsyncSession in the sandbox; ``kw`` are AsyncSession options."""
        _check_options(kw, "sandbox.session()")
        self._running()
        return self._new_session(kw)

    def bind(self, maker: M) -> M:
        """Make ``maker`` (``async_sessionmaker`` or ``async_scoped_session``) produce
        sessions here until the sandbox exits, then restore it. Returns ``maker``.

        An ``async_scoped_session``'s registry is cleared now; the sandbox removes its
        session when it exits.
        """
        from sqlalchemy.ext.asyncio import async_scoped_session, async_sessionmaker

        self._running()
        scoped: async_scoped_session[Any] | None = None
        target: Any = maker
        if isinstance(target, async_scoped_session):
            scoped = target
            target = target.session_factory
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
        if scoped is not None:
            scoped.registry.clear()
        if self._clone_engine is not None:
            saved = _rebind(target, self._clone_engine, join=False)
        else:
            saved = _rebind(target, self.connection)
        self._bound.append((target, saved, scoped))
        return maker

    async def stop(self) -> None:
        """Close the sandbox's sessions, roll everything back, restore bound makers.

        Raises `SandboxEscapeError` (after cleaning up) when writes escaped it.
        """
        from sqlalchemy.ext.asyncio import async_session

        if not self._open:
            return
        connection, transaction, tracker = self._connection, self._transaction, self._tracker
        ended = False
        escapes: list[_escapes.Escape] = []
        _unpublish(_context.current_async_session, self._token, self._getter)
        self._token = None
        try:
            for _maker, _saved, scoped in reversed(self._bound):
                if scoped is not None:
                    await scoped.remove()
            if self._shared is not None:
                await self._shared.close()
            if tracker is not None:
                for session in tracker.close_all():
                    proxy = async_session(session)
                    if proxy is not None:
                        await proxy.close()
        finally:
            try:
                if transaction is not None:
                    ended = not transaction.is_active
                    if not ended:
                        await transaction.rollback()
            finally:
                try:
                    if connection is not None:
                        sync = connection.sync_connection
                        if sync is not None:
                            _open.pop(sync, None)
                            _guarded.discard(sync)
                        await connection.close()
                    self._connection = self._transaction = None
                    self._tracker = self._shared = None
                    self._open = False
                    for maker, saved, _scoped in reversed(self._bound):
                        _restore(maker, saved)
                    self._bound.clear()
                    dbapi, self._dbapi = self._dbapi, None
                    watched, self._watch = self._watch, None
                    escapes = _escapes.leave(dbapi, watched)
                finally:
                    clone, self._clone = self._clone, None
                    engine, self._clone_engine = self._clone_engine, None
                    if engine is not None:
                        _open_engines.pop(engine.sync_engine, None)
                    if clone is not None:
                        await clone.adrop()
        if ended:
            raise _outer_ended("AsyncDatabaseSandbox")
        if escapes:
            assert self._watched is not None
            raise _escape_error("async sandbox", self._watched.url, escapes)
