"""DatabaseSandbox: one connection, one outer transaction.

Sessions join the outer transaction with savepoints (each on a connection of its own
that joins it, see ``_joined``), so their commits and rollbacks stay inside it, and
the sandbox rolls everything back when it exits. The async sandbox is
`AsyncDatabaseSandbox` (``_async_sandbox``); what both keep track of on their
connections is in ``_tracking``, how they bind sessions in ``_binding``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from contextvars import ContextVar, Token
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import URL, Connection, Engine, RootTransaction
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

from fixturekit._internal import context as _context
from fixturekit._internal.checks import check_bool, keywords
from fixturekit._internal.notes import add_note
from fixturekit.db import _escapes, _joined, _tracking
from fixturekit.db._binding import (
    Getter,
    check_options,
    flask_engines,
    flask_sqlalchemy_db,
    publish,
    rebind,
    restore,
    same_backend,
    unpublish,
)
from fixturekit.db._schema import check_session_class
from fixturekit.errors import SandboxError, SandboxEscapeError

if TYPE_CHECKING:
    from fixturekit.db._clone import Clone

__all__ = ["DatabaseSandbox", "Nesting"]

M = TypeVar("M")


class Nesting:
    """The sync sandboxes of one TestDatabase: the innermost open one in this thread or
    task (a sandbox opened while it runs nests inside it), and the outermost ones open
    anywhere, by thread (to explain a sandbox opened from another thread)."""

    def __init__(self) -> None:
        self.current: ContextVar[DatabaseSandbox | None] = ContextVar(
            "fixturekit_open_sandbox", default=None
        )
        self.outermost: dict[DatabaseSandbox, threading.Thread] = {}

    def outer(self) -> DatabaseSandbox | None:
        """The sandbox a new one nests in (None: it is an outermost one)."""
        found = self.current.get()
        if found is not None and found._open:
            return found
        here = threading.current_thread()
        for sandbox, thread in list(self.outermost.items()):
            if sandbox._open and thread is not here:
                raise SandboxError(
                    f"another sandbox of this TestDatabase is open in thread "
                    f"{thread.name!r}, and a sandbox opened while it runs nests inside it, on "
                    "its connection, which only code of the same thread (or asyncio task) "
                    "can do. Open this one in that thread, run the code there, or give code "
                    "on other threads a database of its own: db.sandbox(isolation='clone')"
                )
        return None


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

    @keywords
    def __init__(
        self,
        engine: Engine,
        *,
        ddl_guard: bool = False,
        watch: Engine | None = None,
        watch_source: URL | None = None,
        clone: Callable[[], Clone] | None = None,
        session_class: type[Session] = Session,
        nesting: Nesting | None = None,
    ) -> None:
        self._engine = engine
        self._watch_source = watch_source
        self._source_watch: _escapes.Watch | None = None
        self._session_class = session_class
        self._nesting = nesting
        self._nest_token: Token[DatabaseSandbox | None] | None = None
        #: The sandbox this one nests in, its savepoint there, and the ones nested here.
        self._parent: DatabaseSandbox | None = None
        self._savepoint: str | None = None
        self._children: list[DatabaseSandbox] = []
        self._ddl_guard = check_bool(ddl_guard, "ddl_guard")
        self._watched = watch
        self._make_clone = clone
        self._clone: Clone | None = None
        self._single = clone is None and isinstance(engine.pool, StaticPool)
        self._open = False
        self._connection: Connection | None = None
        self._dbapi: object | None = None
        self._transaction: RootTransaction | None = None
        self._tracker: _tracking.Tracker | None = None
        self._watch: _escapes.Watch | None = None
        self._bound: list[tuple[Any, dict[str, Any], scoped_session[Any] | None]] = []
        self._bound_engines: list[tuple[Engine, Any]] = []
        self._flask_hooks: list[tuple[Any, Any]] = []
        self._scoped: list[Any] = []
        self._joiner: _joined.Joiner | None = None
        self._joined: Engine | None = None
        self._shared: Session | None = None
        self._shared_lock = threading.Lock()
        self._getter: Getter = self._current_session
        self._token: Token[Getter | None] | None = None

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
            if exc is None or not _escapes.report_in_flight(error, exc):
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
        outer = self._nesting.outer() if self._nesting is not None else None
        if outer is not None:
            self._start_nested(outer)
            return self
        if self._single and _tracking.busy.get(self._engine) is not None:
            raise SandboxError(
                "another sandbox is open on this sqlite:// memory database, which has one "
                "connection, so only one sync sandbox can run at a time; close the other "
                "first, or use a file database (sqlite:///app.db) for sandboxes that overlap"
            )
        if self._ddl_guard:
            _tracking.guard_ddl(self._engine)
        connection = self._engine.connect()
        try:
            self._transaction = connection.begin()
            self._dbapi = connection.connection.dbapi_connection
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        if self._ddl_guard:
            _tracking.guarded.add(connection)
        self._tracker = _tracking.track(connection)
        self._joiner = _joined.Joiner(connection, _joined.Ledger(connection), self._tracker)
        self._joined = self._joiner.engine(self._engine)
        if self._single:
            _tracking.busy[self._engine] = self
        self._opened()
        if self._nesting is not None:
            self._nesting.outermost[self] = threading.current_thread()
        return self

    def _start_nested(self, outer: DatabaseSandbox) -> None:
        """Run inside ``outer``: on its connection, from a savepoint of its own."""
        assert outer._joiner is not None
        ledger = outer._joiner.ledger
        self._parent = outer
        self._connection, self._dbapi = outer._connection, outer._dbapi
        self._savepoint = ledger.open()
        self._tracker = _tracking.Tracker()
        self._joiner = _joined.Joiner(outer._joiner.root, ledger, self._tracker)
        self._joined = self._joiner.engine(self._engine)
        outer._children.append(self)
        self._opened()

    def _opened(self) -> None:
        self._begin_watch()
        self._open = True
        self._token = publish(_context.current_session, self._getter)
        if self._nesting is not None:
            self._nest_token = self._nesting.current.set(self)

    def _start_clone(self) -> None:
        assert self._make_clone is not None
        self._clone = self._make_clone()
        self._tracker = _tracking.track(None, self._clone.engine)
        self._begin_watch()
        self._open = True
        self._token = publish(_context.current_session, self._getter)

    def _begin_watch(self) -> None:
        self._watch = _escapes.enter(self._dbapi, self._watched)
        self._source_watch = _escapes.enter_source(self._watch_source)

    def _end_watch(self) -> tuple[list[_escapes.Escape], list[_escapes.Escape]]:
        dbapi, self._dbapi = self._dbapi, None
        watched, self._watch = self._watch, None
        source, self._source_watch = self._source_watch, None
        return _escapes.leave(dbapi, watched), _escapes.leave(None, source)

    def _running(self) -> None:
        if not self._open:
            raise _tracking.not_started("DatabaseSandbox")

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

    def _current_session(self) -> Any:
        """What factories write through: the current session of the last bound
        ``scoped_session`` (Flask-SQLAlchemy's ``db.session``), else `shared_session`."""
        for scoped in reversed(self._scoped):
            try:
                return scoped()
            except RuntimeError:
                continue  # its scope needs a context that is not there (no app context)
        return self._get_shared_session()

    def _bind_target(self) -> Engine:
        if self._clone is not None:
            return self._clone.engine
        self._running()
        assert self._joined is not None
        return self._joined

    def _new_session(self, kw: dict[str, Any], class_: type[Session] | None = None) -> Session:
        return (class_ or self._session_class)(bind=self._bind_target(), **kw)

    def session(self, *, class_: type[Session] | None = None, **kw: Any) -> Session:
        """A new Session in the sandbox; ``kw`` are Session options (e.g. ``autoflush``).

        ``class_`` is its class (a `Session` subclass such as ``sqlmodel.Session``); by
        default the TestDatabase's ``session_class``.
        """
        check_options(kw, "sandbox.session()")
        if class_ is not None:
            check_session_class(class_, "sandbox.session(class_=)")
        self._running()
        return self._new_session(kw, class_)

    def bind(self, target: M) -> M:
        """Make the application's sessions and connections work inside the sandbox.

        ``target`` is a ``sessionmaker`` or ``scoped_session`` (the sessions it makes
        join the sandbox), an `Engine` (every ``Session(engine)``, ``engine.connect()``
        and ``engine.begin()`` joins it), or Flask-SQLAlchemy's ``db`` / ``db.session``
        (every engine in ``db.engines``, binds included). Commits become savepoint
        releases. Everything is restored when the sandbox exits, and a
        ``scoped_session``'s registry is cleared now and then. Returns ``target``.
        """
        self._running()
        db = flask_sqlalchemy_db(target)
        if db is not None:
            for engine in flask_engines(db, self.engine):
                self._bind_engine(engine)
            self._follow_new_apps(db)
            self._add_scoped(db.session)
            return target
        if isinstance(target, Engine):
            self._bind_engine(target)
            return target
        scoped: scoped_session[Any] | None = None
        maker: Any = target
        if isinstance(maker, scoped_session):
            scoped = maker
            maker = maker.session_factory
        if not isinstance(maker, sessionmaker):
            async_kind = type(target).__name__ in (
                "async_sessionmaker",
                "async_scoped_session",
                "AsyncEngine",
            )
            raise TypeError(
                "sandbox.bind() takes a sessionmaker, a scoped_session, an Engine or "
                f"Flask-SQLAlchemy's db, not {target!r}"
                + ("; bind async ones to db.async_sandbox() instead" if async_kind else "")
            )
        saved = rebind(maker, self._bind_target())
        self._bound.append((maker, saved, scoped))
        if scoped is not None:
            self._add_scoped(scoped)
        return target

    def _follow_new_apps(self, db: Any) -> None:
        """Join the engines of apps ``db`` is initialised on while the sandbox runs
        (an app made in ``setUp`` after ``database_bind``), on the test database's
        backend."""
        if any(bound is db for bound, _ in self._flask_hooks):
            return
        make_engine = db._make_engine

        def joining_make_engine(bind_key: Any, options: Any, app: Any) -> Any:
            engine = make_engine(bind_key, options, app)
            if self._open and same_backend(engine, self.engine):
                self._bind_engine(engine)
            return engine

        self._flask_hooks.append((db, db.__dict__.get("_make_engine")))
        db._make_engine = joining_make_engine

    def _add_scoped(self, scoped: Any) -> None:
        with contextlib.suppress(RuntimeError):  # Flask-SQLAlchemy with no app context
            scoped.remove()
        self._scoped.append(scoped)

    def _bind_engine(self, engine: Engine) -> None:
        if any(bound is engine for bound, _ in self._bound_engines):
            return
        ours = self.engine
        if type(engine.dialect) is not type(ours.dialect):
            raise TypeError(
                f"sandbox.bind({engine!r}): that engine's driver is "
                f"{engine.dialect.name}+{engine.dialect.driver}, the test database's is "
                f"{ours.dialect.name}+{ours.dialect.driver}; create the application's "
                "engine with the test database's driver"
            )
        if self._clone is not None:
            saved = _joined.redirect_engine(engine, self._clone.engine)
        else:
            assert self._joiner is not None
            saved = self._joiner.join(engine)
            if self._ddl_guard:
                _tracking.guard_ddl(engine)
        self._bound_engines.append((engine, saved))

    def stop(self) -> None:
        """Close the sandbox's sessions, roll everything back, restore bound makers.

        Raises `SandboxEscapeError` (after cleaning up) when writes escaped it.
        """
        if not self._open:
            return
        for child in reversed(self._children):
            with contextlib.suppress(SandboxEscapeError):  # reported by the child's own exit
                child.stop()
        connection, transaction, tracker = self._connection, self._transaction, self._tracker
        ended = False
        escapes: list[_escapes.Escape] = []
        from_source: list[_escapes.Escape] = []
        unpublish(_context.current_session, self._token, self._getter)
        self._token = None
        self._unnest()
        try:
            for scoped in reversed(self._scoped):
                with contextlib.suppress(RuntimeError):  # no app context
                    scoped.remove()
            if self._shared is not None:
                self._shared.close()
            if tracker is not None:
                for session in tracker.close_all():
                    session.close()
        finally:
            try:
                if self._parent is not None:
                    self._roll_back_nested()
                    connection = None  # the outer sandbox's
                elif transaction is not None:
                    ended = not transaction.is_active
                    if not ended:
                        transaction.rollback()
            finally:
                try:
                    if connection is not None:
                        _tracking.open_connections.pop(connection, None)
                        _tracking.guarded.discard(connection)
                        connection.close()
                    if self._single and _tracking.busy.get(self._engine) is self:
                        del _tracking.busy[self._engine]
                    if self._joiner is not None:
                        self._joiner.cut_off()
                    self._connection = self._transaction = self._tracker = None
                    self._joiner = self._joined = None
                    for db, previous in reversed(self._flask_hooks):
                        if previous is None:
                            db.__dict__.pop("_make_engine", None)
                        else:
                            db._make_engine = previous
                    self._flask_hooks.clear()
                    for engine, saved_cls in reversed(self._bound_engines):
                        _joined.unjoin_engine(engine, saved_cls)
                    self._bound_engines.clear()
                    self._scoped.clear()
                    self._shared = None
                    self._open = False
                    for maker, saved, _scoped in reversed(self._bound):
                        restore(maker, saved)
                    self._bound.clear()
                    escapes, from_source = self._end_watch()
                finally:
                    clone, self._clone = self._clone, None
                    if clone is not None:
                        _tracking.open_engines.pop(clone.engine, None)
                        clone.drop()
        if ended:
            raise _tracking.outer_ended("DatabaseSandbox")
        if from_source:
            assert self._watch_source is not None
            error = _escapes.source_escape_error("sandbox", self._watch_source, from_source)
            if escapes:
                assert self._watched is not None
                add_note(error, str(_escapes.escape_error("sandbox", self._watched.url, escapes)))
            raise error
        if escapes:
            assert self._watched is not None
            raise _escapes.escape_error("sandbox", self._watched.url, escapes)

    def _unnest(self) -> None:
        nesting, token, self._nest_token = self._nesting, self._nest_token, None
        if nesting is not None:
            nesting.outermost.pop(self, None)
            if token is not None and nesting.current.get() is self:
                try:
                    nesting.current.reset(token)
                except ValueError:  # stopped in another context than it started in
                    nesting.current.set(self._parent)

    def _roll_back_nested(self) -> None:
        parent, self._parent = self._parent, None
        name, self._savepoint = self._savepoint, None
        assert parent is not None
        if self in parent._children:
            parent._children.remove(self)
        if name is not None and parent._joiner is not None and parent._open:
            parent._joiner.ledger.rollback(name)
