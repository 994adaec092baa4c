"""The escape detector: writes to the test database that bypass the open sandboxes.

While at least one sandbox watches for escapes, listeners on the `Engine` class see
every statement of every engine of the process (async engines included: their
``sync_engine`` is an `Engine`). A statement is an escape candidate when

- it runs on a DBAPI connection that no open sandbox owns,
- the engine points at a database some sandbox watches (same backend, host, port and
  database; for SQLite the same file, or the same named memory database),
- it writes: INSERT, UPDATE, DELETE, MERGE, REPLACE, DDL, TRUNCATE, COPY, CALL, ...

A candidate becomes an escape when its transaction commits (the ``commit`` event, or a
``COMMIT`` statement), or at once on a connection in autocommit mode (or a SQLite
connection that ran it outside a transaction). A candidate whose transaction rolls
back is forgotten: nothing leaked. Each escape keeps the statement, the engine's URL,
the thread and the frames of the code that ran it (outside SQLAlchemy and asyncio; for
async engines the frames of the awaiting coroutines), and the sandbox reports its
escapes when it exits.

The ``before_cursor_execute`` listener is installed on `Engine` when the first
watching sandbox opens and stays for the rest of the process (adding and removing a
class-level listener costs more than a whole bare savepoint test); with no sandbox
watching it returns at its first check, so nothing is recorded or reported outside
sandboxes. A statement on a sandbox's own connection costs one dictionary lookup. The
transaction-tracking listeners (``after_cursor_execute``, ``commit``, ``rollback``) are
installed only once a foreign write is pending, and removed when the last watching
sandbox exits.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import traceback
import types
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine

from fixturekit._internal.notes import NOTES_SHOWN, add_note
from fixturekit.errors import SandboxEscapeError

__all__ = [
    "Escape",
    "Watch",
    "enter",
    "enter_source",
    "escape_error",
    "identity",
    "ignore_engine",
    "is_installed",
    "is_tracking",
    "is_watching",
    "leave",
    "report_in_flight",
    "source_escape_error",
]

#: Statements that change the database (after leading comments).
_WRITE = re.compile(
    r"^\s*(?:(?:/\*.*?\*/|--[^\n]*(?:\n|$))\s*)*"
    r"(?:INSERT|UPDATE|DELETE|MERGE|REPLACE|UPSERT|CREATE|ALTER|DROP|TRUNCATE|RENAME|"
    r"COMMENT|GRANT|REVOKE|COPY|CALL|DO|LOAD|IMPORT|REINDEX|CLUSTER|VACUUM|"
    r"WITH\b.*\b(?:INSERT|UPDATE|DELETE|MERGE))\b",
    re.IGNORECASE | re.DOTALL,
)
_COMMIT = re.compile(r"^\s*(?:COMMIT|END)\b", re.IGNORECASE)
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
_LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})
_library: tuple[tuple[str, ...], tuple[str, ...]] | None = None


def _library_paths() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(directories, files) whose frames a report leaves out: never the culprit."""
    global _library
    if _library is None:
        import asyncio
        import concurrent.futures
        import contextlib

        import sqlalchemy

        packages = [sqlalchemy, asyncio, concurrent.futures]
        greenlet = sys.modules.get("greenlet")
        if greenlet is not None:
            packages.append(greenlet)
        here = os.path.dirname(os.path.abspath(__file__))
        directories = (
            *(os.path.dirname(str(module.__file__)) + os.sep for module in packages),
            here + os.sep,
        )
        files = tuple(str(module.__file__) for module in (threading, contextlib))
        _library = (directories, files)
    return _library


#: How many frames of the code under test a report shows per escape.
FRAMES = 5


@dataclass
class Escape:
    """A write that reached the test database on a connection no sandbox owns."""

    statement: str
    url: str
    thread: str
    frames: list[traceback.FrameSummary]
    how: str = "committed"
    #: The class of the ORM session that wrote it (None: written without one).
    session_class: type | None = None

    def describe(self) -> str:
        shown = " ".join(self.statement.split())
        shown = shown if len(shown) <= 300 else shown[:297] + "..."
        lines = [f"{shown}", f"    {self.how} on {self.url}, in thread {self.thread!r}"]
        if self.frames:
            lines.append("    from:")
            for frame in self.frames:
                lines.append(f"      {frame.filename}:{frame.lineno} in {frame.name}")
                if frame.line:
                    lines.append(f"        {frame.line.strip()}")
        else:
            lines.append("    (no frame outside SQLAlchemy and fixturekit ran it)")
        return "\n".join(lines)


class Watch:
    """One sandbox's interest: the database it watches and the escapes seen so far."""

    __slots__ = ("escapes", "identity")

    def __init__(self, identity: tuple[object, ...]) -> None:
        self.identity = identity
        self.escapes: list[Escape] = []

    def __repr__(self) -> str:
        return f"<Watch {self.identity!r}: {len(self.escapes)} escapes>"


# --- identities -----------------------------------------------------------------------


def identity(url: URL) -> tuple[object, ...] | None:
    """What makes two URLs the same database, or None for a private memory database."""
    backend = url.get_backend_name()
    if backend == "mariadb":
        backend = "mysql"
    if backend == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:"):
            return None  # a private memory database: nobody else can reach it
        if database.startswith("file:"):
            path, _, query = database[len("file:") :].partition("?")
            if "mode=memory" in query or url.query.get("mode") == "memory":
                return ("sqlite-memory", path)
            database = path
        return ("sqlite", os.path.realpath(database))
    host = (url.host or "").lower()
    host = "localhost" if host in _LOCAL_HOSTS else host
    port = url.port or _DEFAULT_PORTS.get(backend)
    return (backend, host, port, url.database)


_identities: weakref.WeakKeyDictionary[Engine, tuple[object, ...] | None] = (
    weakref.WeakKeyDictionary()
)


def _engine_identity(engine: Engine) -> tuple[object, ...] | None:
    try:
        return _identities[engine]
    except KeyError:
        found = _identities[engine] = identity(engine.url)
        return found


# --- state ----------------------------------------------------------------------------

_lock = threading.RLock()
#: The open watches.
_watches: list[Watch] = []
#: id(DBAPI connection) -> how many open sandboxes use it (their statements are theirs).
_owned: dict[int, int] = {}
#: Engines fixturekit itself provisions with (creating, marking, cloning databases).
_internal: weakref.WeakSet[Engine] = weakref.WeakSet()
#: id(DBAPI connection) -> candidates of its open transaction, with the watches they hit.
_pending: dict[int, list[tuple[Escape, list[Watch]]]] = {}
_listening = False
#: The commit/rollback listeners, installed once a candidate is pending.
_tracking = False


def ignore_engine(engine: Engine) -> Engine:
    """Never report ``engine``'s statements (fixturekit's provisioning engines)."""
    _internal.add(engine)
    return engine


def enter(dbapi_connection: object | None, engine: Engine | None) -> Watch | None:
    """A sandbox opens: statements on ``dbapi_connection`` (None: it has none) are its
    own, and it watches ``engine``'s database (None: it watches nothing). Returns its
    watch, or None when there is nothing to watch (or a private memory database)."""
    found = _engine_identity(engine) if engine is not None else None
    with _lock:
        if dbapi_connection is not None:
            key = id(dbapi_connection)
            _owned[key] = _owned.get(key, 0) + 1
        if found is None:
            return None
        new = Watch(found)
        _watches.append(new)
        if not _listening:
            _listen()
    return new


_source_identities: dict[URL, tuple[object, ...] | None] = {}


def enter_source(url: URL | None) -> Watch | None:
    """A sandbox also watches the source database ``url`` (writes there are escapes)."""
    if url is None:
        return None
    try:
        found = _source_identities[url]
    except KeyError:
        found = _source_identities[url] = identity(url)
    if found is None:
        return None
    with _lock:
        new = Watch(found)
        _watches.append(new)
        if not _listening:
            _listen()
    return new


def leave(dbapi_connection: object | None, watched: Watch | None) -> list[Escape]:
    """The sandbox that `enter` returned ``watched`` for closes: its escapes."""
    with _lock:
        if dbapi_connection is not None:
            key = id(dbapi_connection)
            left = _owned.get(key, 0) - 1
            if left > 0:
                _owned[key] = left
            else:
                _owned.pop(key, None)
        if watched is None:
            return []
        if watched in _watches:
            _watches.remove(watched)
        if not _watches:
            _pending.clear()
            if _tracking:
                _untrack_transactions()
    return watched.escapes


def is_watching() -> bool:
    """True while a sandbox watches for escapes (the listener only acts then)."""
    return bool(_watches)


def is_installed() -> bool:
    """True once the detector's ``before_cursor_execute`` listener is on `Engine`."""
    return event.contains(Engine, "before_cursor_execute", _before_cursor_execute)


def is_tracking() -> bool:
    """True while the transaction-tracking listeners are on `Engine`."""
    return any(event.contains(Engine, name, fn) for name, fn in _tracking_listeners())


def _listen() -> None:
    # Installed once per process, on the first watching sandbox: with no sandbox
    # watching, the listener returns at its first check. The others (see
    # _track_transactions) only once a write on a foreign connection is pending, which
    # is rare.
    global _listening
    if not _listening:
        event.listen(Engine, "before_cursor_execute", _before_cursor_execute)
        _listening = True


def _tracking_listeners() -> tuple[tuple[str, Any], ...]:
    return (
        ("after_cursor_execute", _after_cursor_execute),
        ("commit", _commit),
        ("rollback", _rollback),
    )


def _track_transactions() -> None:
    global _tracking
    if not _tracking:
        for name, function in _tracking_listeners():
            event.listen(Engine, name, function)
        _tracking = True


def _untrack_transactions() -> None:
    global _tracking
    if _tracking:
        for name, function in _tracking_listeners():
            event.remove(Engine, name, function)
        _tracking = False


# --- the listeners --------------------------------------------------------------------


def _dbapi(conn: Connection) -> object | None:
    try:
        return conn.connection.dbapi_connection
    except Exception:  # an invalidated or closed connection: nothing to attribute
        return None


def _session_class() -> type | None:
    """The class of the ORM session flushing now, found on the stack (escapes are rare)."""
    from sqlalchemy.orm import Session

    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, Session):
            return type(candidate)
        frame = frame.f_back
    return None


def _frames() -> list[traceback.FrameSummary]:
    frames: list[traceback.FrameSummary] = list(traceback.extract_stack(sys._getframe(2)))
    # Under an async engine the statement runs in a greenlet of SQLAlchemy's, whose
    # parent greenlet is suspended in the awaiting coroutines: show those.
    greenlet = sys.modules.get("greenlet")
    if greenlet is not None:
        parent = greenlet.getcurrent().parent
        if parent is not None and parent.gr_frame is not None:
            frames = list(traceback.extract_stack(parent.gr_frame)) + frames
    directories, files = _library_paths()
    mine = [
        frame
        for frame in frames
        if not frame.filename.startswith(directories)
        and frame.filename not in files
        and not frame.filename.startswith("<")
        and "/_pytest/" not in frame.filename
        and "/pluggy/" not in frame.filename
    ]
    return mine[-FRAMES:]


def _hits(conn: Connection) -> list[Watch]:
    engine = conn.engine
    if engine in _internal:
        return []
    found = _engine_identity(engine)
    if found is None:
        return []
    return [watched for watched in _watches if watched.identity == found]


def _is_autocommit(conn: Connection) -> bool:
    check = getattr(conn, "_is_autocommit_isolation", None)
    return bool(check()) if check is not None else False


def _before_cursor_execute(
    conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    if not _watches:
        return  # no sandbox watching: installed for good, but idle
    dbapi = _dbapi(conn)
    if dbapi is None or id(dbapi) in _owned:
        return  # a sandbox's own statement (the common case): as cheap as possible
    is_commit = _COMMIT.match(statement) is not None
    if not is_commit and _WRITE.match(statement) is None:
        return
    hits = _hits(conn)
    if not hits:
        return
    with _lock:
        if is_commit:
            _flush(id(dbapi))
            return
        candidate = Escape(
            statement=statement,
            url=conn.engine.url.render_as_string(hide_password=True),
            thread=threading.current_thread().name,
            frames=_frames(),
            session_class=_session_class(),
        )
        if _is_autocommit(conn):
            candidate.how = "autocommitted"
            for watched in hits:
                watched.escapes.append(candidate)
        else:
            _track_transactions()
            _pending.setdefault(id(dbapi), []).append((candidate, hits))


def _after_cursor_execute(
    conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    if not _pending:
        return
    dbapi = _dbapi(conn)
    if dbapi is None or id(dbapi) not in _pending:
        return
    # The stdlib sqlite3 driver (outside fixturekit's engines) runs DDL, and anything
    # when told isolation_level=None, outside a transaction: committed already.
    driver = getattr(conn.connection, "driver_connection", None)
    if getattr(driver, "in_transaction", True) is False:
        with _lock:
            for candidate, _ in _pending.get(id(dbapi), []):
                candidate.how = "autocommitted"
            _flush(id(dbapi))


def _flush(key: int) -> None:
    for candidate, hits in _pending.pop(key, []):
        for watched in hits:
            if watched in _watches:
                watched.escapes.append(candidate)


def _commit(conn: Connection) -> None:
    if not _pending:
        return
    dbapi = _dbapi(conn)
    if dbapi is not None:
        with _lock:
            _flush(id(dbapi))


def _rollback(conn: Connection) -> None:
    if not _pending:
        return
    dbapi = _dbapi(conn)
    if dbapi is not None:
        with _lock:
            _pending.pop(id(dbapi), None)


# --- reporting ----------------------------------------------------------------------

#: How many escapes an error lists (the rest are counted).
_SHOWN = 10


def escape_error(kind: str, url: URL, escapes: list[Escape]) -> SandboxEscapeError:
    """The error a sandbox (``kind``) raises at exit for the escapes it collected."""
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
        f"({_bind_advice(escapes)}, or hand it "
        "sandbox.connection); code that must commit on connections of its own (another "
        "thread, an app server, a worker process) needs db.sandbox(isolation='clone'). "
        "To turn this check off: db.sandbox(detect_escapes=False)",
        list(escapes),
    )


def source_escape_error(kind: str, url: URL, escapes: list[Escape]) -> SandboxEscapeError:
    """The error for writes committed on the source database while a sandbox ran."""
    listing = "\n\n".join(
        f"{n}. {escape.describe()}" for n, escape in enumerate(escapes[:_SHOWN], start=1)
    )
    if len(escapes) > _SHOWN:
        listing += f"\n\n... and {len(escapes) - _SHOWN} more"
    count = f"{len(escapes)} write{'s' if len(escapes) != 1 else ''}"
    return SandboxEscapeError(
        f"{count} committed on the SOURCE database {url.database!r} (the database the test "
        f"database's name derives from, {url.render_as_string(hide_password=True)}) while "
        f"the {kind} ran: the application under test is not using the test database, so "
        f"it wrote to real data.\n\n{listing}\n\nPoint the application at the test "
        f"database: {_bind_advice(escapes)} (db.url is the test database's URL)",
        list(escapes),
    )


def _advice(session_class: type | None) -> str:
    """What to bind, for the escape error: by the session class that wrote outside."""
    # (a sessionmaker makes a subclass of its class_: look along the MRO)
    modules = [cls.__module__ for cls in session_class.__mro__] if session_class else []
    if any(module.startswith("flask_sqlalchemy") for module in modules):
        return "sandbox.bind(db) for Flask-SQLAlchemy's db (db.session and every engine)"
    if any(module.startswith("sqlmodel") for module in modules):
        return "sandbox.bind(engine) for the engine the app's SQLModel Session(engine) uses"
    return (
        "sandbox.bind(SessionLocal) for the application's sessionmaker, sandbox.bind(engine) "
        "for an engine it opens sessions or connections on"
    )


def _bind_advice(escapes: list[Escape]) -> str:
    classes = {escape.session_class for escape in escapes if escape.session_class is not None}
    advice = [_advice(cls) for cls in sorted(classes, key=lambda cls: cls.__qualname__)]
    return "; ".join(dict.fromkeys(advice)) if advice else _advice(None)


def report_in_flight(error: SandboxEscapeError, exc: BaseException) -> bool:
    """Add ``error`` to the test's own exception as a note; False if notes are missing."""
    if not NOTES_SHOWN:
        return False
    add_note(exc, f"fixturekit: {error}")
    return True
