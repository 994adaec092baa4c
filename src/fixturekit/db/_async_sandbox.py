"""AsyncDatabaseSandbox: the async sandbox, one AsyncConnection in one outer transaction.

It works as `DatabaseSandbox` does (see `_sandbox`), with ``async with``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import Token
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import scoped_session, sessionmaker

from fixturekit._internal import context as _context
from fixturekit._internal.checks import check_bool, keywords
from fixturekit.db import _escapes, _joined, _tracking
from fixturekit.db._binding import Getter, check_options, publish, rebind, restore, unpublish
from fixturekit.errors import SandboxError, SandboxEscapeError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import (
        AsyncConnection,
        AsyncEngine,
        AsyncSession,
        AsyncTransaction,
        async_scoped_session,
    )

    from fixturekit.db._clone import Clone

__all__ = ["AsyncDatabaseSandbox"]

M = TypeVar("M")


class AsyncDatabaseSandbox:
    """The async sandbox: an AsyncConnection in one outer transaction (``async with``).

    ``isolation="clone"`` and escape detection work as in `DatabaseSandbox`.
    """

    @keywords
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        ddl_guard: bool = False,
        watch: Engine | None = None,
        watch_source: URL | None = None,
        clone: Callable[[], Clone] | None = None,
    ) -> None:
        self._engine = engine
        self._ddl_guard = check_bool(ddl_guard, "ddl_guard")
        self._watched = watch
        self._make_clone = clone
        self._clone: Clone | None = None
        self._clone_engine: AsyncEngine | None = None
        self._open = False
        self._connection: AsyncConnection | None = None
        self._dbapi: object | None = None
        self._transaction: AsyncTransaction | None = None
        self._tracker: _tracking.Tracker | None = None
        self._watch: _escapes.Watch | None = None
        self._bound: list[tuple[Any, dict[str, Any], async_scoped_session[Any] | None]] = []
        self._bound_engines: list[tuple[Engine, Any]] = []
        self._joiner: _joined.Joiner | None = None
        self._joined: AsyncEngine | None = None
        self._watch_source = watch_source
        self._source_watch: _escapes.Watch | None = None
        self._shared: AsyncSession | None = None
        self._getter: Getter = self._current_session
        self._token: Token[Getter | None] | None = None

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
            if exc is None or not _escapes.report_in_flight(error, exc):
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
            self._tracker = _tracking.track(None, self._clone_engine.sync_engine)
        else:
            if self._ddl_guard:
                _tracking.guard_ddl(self._engine.sync_engine)
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
            from sqlalchemy.ext.asyncio import AsyncEngine

            if self._ddl_guard:
                _tracking.guarded.add(sync)
            self._tracker = _tracking.track(sync)
            self._joiner = _joined.Joiner(sync, _joined.Ledger(sync), self._tracker)
            self._joined = AsyncEngine(self._joiner.engine(self._engine.sync_engine))
        self._watch = _escapes.enter(self._dbapi, self._watched)
        self._source_watch = _escapes.enter_source(self._watch_source)
        self._open = True
        self._token = publish(_context.current_async_session, self._getter)
        return self

    def _running(self) -> None:
        if not self._open:
            raise _tracking.not_started("AsyncDatabaseSandbox")

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

    def _current_session(self) -> Any:
        """What factories write through: the current session of the last bound
        ``async_scoped_session``, else `shared_session`."""
        for _maker, _saved, scoped in reversed(self._bound):
            if scoped is not None:
                return scoped()
        return self._get_shared_session()

    def _bind_target(self) -> AsyncEngine:
        self._running()
        if self._clone_engine is not None:
            return self._clone_engine
        assert self._joined is not None
        return self._joined

    def _new_session(self, kw: dict[str, Any]) -> AsyncSession:
        from sqlalchemy.ext.asyncio import AsyncSession

        return AsyncSession(bind=self._bind_target(), **kw)

    def session(self, **kw: Any) -> AsyncSession:
        """A new AsyncSession in the sandbox; ``kw`` are AsyncSession options."""
        check_options(kw, "sandbox.session()")
        self._running()
        return self._new_session(kw)

    def bind(self, maker: M) -> M:
        """Make ``maker`` (``async_sessionmaker`` or ``async_scoped_session``) produce
        sessions here until the sandbox exits, then restore it; or, for an
        `AsyncEngine`, make every ``AsyncSession(engine)``, ``engine.connect()`` and
        ``engine.begin()`` join the sandbox. Returns ``maker``.

        An ``async_scoped_session``'s registry is cleared now; the sandbox removes its
        session when it exits.
        """
        from sqlalchemy.ext.asyncio import AsyncEngine, async_scoped_session, async_sessionmaker

        self._running()
        if isinstance(maker, AsyncEngine):
            self._bind_engine(maker.sync_engine)
            return maker
        scoped: async_scoped_session[Any] | None = None
        target: Any = maker
        if isinstance(target, async_scoped_session):
            scoped = target
            target = target.session_factory
        if not isinstance(target, async_sessionmaker):
            raise TypeError(
                "async_sandbox.bind() takes an async_sessionmaker, an async_scoped_session "
                f"or an AsyncEngine, not {maker!r}"
                + (
                    "; bind a sessionmaker or Engine to db.sandbox() instead"
                    if isinstance(target, (sessionmaker, scoped_session, Engine))
                    else ""
                )
            )
        if scoped is not None:
            scoped.registry.clear()
        saved = rebind(target, self._bind_target())
        self._bound.append((target, saved, scoped))
        return maker

    def _bind_engine(self, engine: Engine) -> None:
        if any(bound is engine for bound, _ in self._bound_engines):
            return
        ours = self.engine.sync_engine
        if type(engine.dialect) is not type(ours.dialect):
            raise TypeError(
                f"async_sandbox.bind({engine!r}): that engine's driver is "
                f"{engine.dialect.name}+{engine.dialect.driver}, the test database's is "
                f"{ours.dialect.name}+{ours.dialect.driver}; create the application's "
                "engine with the test database's async driver"
            )
        if self._clone_engine is not None:
            saved = _joined.redirect_engine(engine, self._clone_engine.sync_engine)
        else:
            assert self._joiner is not None
            saved = self._joiner.join(engine)
            if self._ddl_guard:
                _tracking.guard_ddl(engine)
        self._bound_engines.append((engine, saved))

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
        from_source: list[_escapes.Escape] = []
        unpublish(_context.current_async_session, self._token, self._getter)
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
                            _tracking.open_connections.pop(sync, None)
                            _tracking.guarded.discard(sync)
                        await connection.close()
                    if self._joiner is not None:
                        self._joiner.cut_off()
                    self._joiner = self._joined = None
                    for engine_, saved_cls in reversed(self._bound_engines):
                        _joined.unjoin_engine(engine_, saved_cls)
                    self._bound_engines.clear()
                    self._connection = self._transaction = None
                    self._tracker = self._shared = None
                    self._open = False
                    for maker, saved, _scoped in reversed(self._bound):
                        restore(maker, saved)
                    self._bound.clear()
                    dbapi, self._dbapi = self._dbapi, None
                    watched, self._watch = self._watch, None
                    escapes = _escapes.leave(dbapi, watched)
                    source, self._source_watch = self._source_watch, None
                    from_source = _escapes.leave(None, source)
                finally:
                    clone, self._clone = self._clone, None
                    engine, self._clone_engine = self._clone_engine, None
                    if engine is not None:
                        _tracking.open_engines.pop(engine.sync_engine, None)
                    if clone is not None:
                        await clone.adrop()
        if ended:
            raise _tracking.outer_ended("AsyncDatabaseSandbox")
        if from_source:
            assert self._watch_source is not None
            raise _escapes.source_escape_error("async sandbox", self._watch_source, from_source)
        if escapes:
            assert self._watched is not None
            raise _escapes.escape_error("async sandbox", self._watched.url, escapes)
