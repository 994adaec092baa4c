"""What a sandbox keeps track of on its connections.

* The sessions that begin on a sandbox's connection (or a clone sandbox's engine): the
  sandbox closes them when it exits. One ``after_begin`` listener on `Session`,
  installed with the first sandbox.
* On MySQL/MariaDB, DDL on a sandbox's connection is refused: those servers commit
  implicitly around it, which would end the sandbox's transaction.
* Single-connection engines (SQLite memory databases): which sync sandbox holds the
  connection.

And the errors a sandbox raises about its own state (not open; outer transaction ended).
"""

from __future__ import annotations

import re
import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from fixturekit.errors import SandboxError

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import DBAPICursor

__all__ = [
    "Tracker",
    "busy",
    "guard_ddl",
    "guarded",
    "not_started",
    "open_connections",
    "open_engines",
    "outer_ended",
    "track",
]

#: Statements that make MySQL/MariaDB commit implicitly (temporary tables excepted).
_DDL = re.compile(
    r"^\s*(?:/\*.*?\*/\s*)*(?P<verb>CREATE|ALTER|DROP|TRUNCATE|RENAME)\b(?!\s+TEMPORARY\b)",
    re.IGNORECASE | re.DOTALL,
)


# --- sessions that begin on a sandbox connection are closed when it exits -------------

open_connections: weakref.WeakKeyDictionary[Connection, Tracker] = weakref.WeakKeyDictionary()
#: Clone sandboxes' engines (sessions there bind to the engine, not to one connection).
open_engines: weakref.WeakKeyDictionary[Engine, Tracker] = weakref.WeakKeyDictionary()
#: Single-connection engines (SQLite memory) -> the sync sandbox using the connection.
busy: weakref.WeakKeyDictionary[Engine, object] = weakref.WeakKeyDictionary()


class Tracker:
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
    # A connection joining a sandbox's (see _joined) belongs to that sandbox.
    tracker = getattr(connection, "_fk_tracker", None) or open_connections.get(connection)
    if tracker is None and open_engines:
        tracker = open_engines.get(connection.engine)
    if tracker is not None:
        tracker.add(session)


_listening = False


def track(connection: Connection | None, engine: Engine | None = None) -> Tracker:
    global _listening
    if not _listening:
        if not event.contains(Session, "after_begin", _after_begin):
            event.listen(Session, "after_begin", _after_begin)
        _listening = True
    tracker = Tracker()
    if connection is not None:
        open_connections[connection] = tracker
    if engine is not None:
        open_engines[engine] = tracker
    return tracker


#: Sandbox connections whose DDL is refused (MySQL/MariaDB), and the engines that have
#: the listener doing it: one listener per engine, installed with its first sandbox
#: (a listener per connection would cost more than the rest of a sandbox).
guarded: set[Connection] = set()
_guarded_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def guard_ddl(engine: Engine) -> None:
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
    if getattr(conn, "_fk_root", conn) not in guarded:
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


def not_started(kind: str) -> SandboxError:
    return SandboxError(
        f"this {kind} is not open; use it as `with db.sandbox() as sandbox:` "
        "(`async with db.async_sandbox()` for the async one)"
    )


def outer_ended(kind: str) -> SandboxError:
    return SandboxError(
        f"the {kind}'s outer transaction was ended inside the sandbox (something called "
        "commit() or rollback() on sandbox.connection itself, or the database ended it), "
        "so what the test wrote may not have been rolled back. Commit through sessions "
        "from sandbox.session() or a bound sessionmaker, not through the connection"
    )
