"""Connections that join a sandbox's transaction, and the savepoints they share.

Every session of a sandbox (its own, those of bound sessionmakers, those the
application opens on a bound engine) gets a connection of its own for each of its
transactions: a `JoinedConnection` on the sandbox's one database connection. Its
``BEGIN`` is a savepoint, its ``COMMIT`` releases it, its ``ROLLBACK`` rolls back to
it, and closing it gives nothing back to the pool.

Savepoints on one database connection form a stack, while sessions begin and end
their transactions in any order. A `Ledger` per sandbox keeps that stack and names
every savepoint uniquely: a commit keeps the savepoint's work and leaves the
savepoint on the server (released in one statement once several have ended, so a
commit costs no statement), and a rollback rolls back to its savepoint, which ends
the savepoints opened after it too (the server has no other way): later commits or
rollbacks of those are no-ops, never errors. This is
what "Joining a Session into an External Transaction" in SQLAlchemy's documentation
does with ``join_transaction_mode="create_savepoint"``, made safe for any number of
sessions used in any order.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from sqlalchemy.engine.base import RootTransaction

__all__ = ["JoinedConnection", "Joiner", "Ledger", "redirect_engine", "root_of", "unjoin_engine"]


class Ledger:
    """The savepoints open on one sandbox connection, bottom first."""

    __slots__ = ("_lock", "_numbers", "_prefix", "_root", "_stack")

    def __init__(self, root: Connection, prefix: str = "fk") -> None:
        #: The sandbox's connection (in its transaction): savepoints are issued there.
        self._root = root
        self._prefix = prefix
        self._numbers = itertools.count(1)
        #: [name, released] pairs; a released one waits for those above it to end.
        self._stack: list[list[Any]] = []
        self._lock = threading.RLock()

    def has(self, name: str) -> bool:
        return self._index(name) is not None

    def open(self) -> str:
        with self._lock:
            name = f"{self._prefix}_sp_{next(self._numbers)}"
            Connection._savepoint_impl(self._root, name)
            self._stack.append([name, False])
            return name

    def _index(self, name: str) -> int | None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == name:
                return index
        return None

    def release(self, name: str) -> None:
        """A commit: the savepoint's work is kept. The RELEASE itself waits (see
        `_settle`): until then a rollback to an earlier savepoint still undoes it, as
        it would after the RELEASE."""
        with self._lock:
            index = self._index(name)
            if index is None:
                return  # ended by a rollback to an earlier savepoint
            self._stack[index][1] = True
            self._settle()

    def rollback(self, name: str) -> None:
        """A rollback: back to the savepoint, which ends those opened after it."""
        with self._lock:
            index = self._index(name)
            if index is None:
                return
            del self._stack[index + 1 :]
            Connection._rollback_to_savepoint_impl(self._root, name)
            self._stack[index][1] = True  # still on the server, ended for its session
            self._settle()

    #: Ended savepoints left on the server before one RELEASE clears them (a RELEASE
    #: per commit would cost a statement each; PostgreSQL slows down past 64 open).
    _LEFT_OPEN = 8

    def _settle(self) -> None:
        ended = 0
        for entry in reversed(self._stack):
            if not entry[1]:
                break
            ended += 1
        if ended > self._LEFT_OPEN:
            lowest = self._stack[-ended][0]
            del self._stack[-ended:]
            Connection._release_savepoint_impl(self._root, lowest)  # and all above it


class JoinedConnection(Connection):
    """A `Connection` whose transaction is a savepoint in a sandbox's transaction."""

    _fk_name: str | None = None

    def __init__(self, engine: Engine, joiner: Joiner) -> None:
        self._fk_joiner = joiner
        self._fk_root = joiner.root
        self._fk_ledger = joiner.ledger
        #: The tracker of the sandbox whose sessions begin here (see _tracking).
        self._fk_tracker = joiner.tracker
        super().__init__(engine, connection=joiner.root.connection)
        joiner.connections.add(self)

    def _begin_impl(self, transaction: RootTransaction) -> None:
        self._fk_name = self._fk_ledger.open()

    def _commit_impl(self) -> None:
        name, self._fk_name = self._fk_name, None
        if name is not None:
            self._fk_ledger.release(name)

    def _rollback_impl(self) -> None:
        name, self._fk_name = self._fk_name, None
        if name is not None and self._dbapi_connection is not None:
            self._fk_ledger.rollback(name)

    def _savepoint_impl(self, name: str | None = None) -> str:
        return self._fk_ledger.open()

    def _release_savepoint_impl(self, name: str) -> None:
        self._fk_ledger.release(name)

    def _rollback_to_savepoint_impl(self, name: str) -> None:
        self._fk_ledger.rollback(name)

    def close(self) -> None:
        """Roll back what is still open here; the database connection stays the sandbox's."""
        try:
            if self._transaction:
                self._transaction.close()
        finally:
            self._fk_detach()

    def _fk_detach(self) -> None:
        self._fk_joiner.connections.discard(self)
        self._transaction = self._nested_transaction = None
        self._dbapi_connection = None
        self._Connection__can_reconnect = False


def root_of(conn: Connection) -> Connection:
    """The sandbox connection ``conn`` joins (``conn`` itself if it joins none)."""
    return getattr(conn, "_fk_root", conn)


class Joiner:
    """How one sandbox's sessions and bound engines get in: its connection and ledger
    (a nested sandbox shares its outer one's), its tracker, the connections it made."""

    def __init__(self, root: Connection, ledger: Ledger, tracker: object) -> None:
        self.root = root
        self.ledger = ledger
        self.tracker = tracker
        #: The joined connections still open, cut off when the sandbox exits.
        self.connections: weakref.WeakSet[JoinedConnection] = weakref.WeakSet()

    def connect(self, engine: Engine) -> JoinedConnection:
        if self.root.closed:
            raise RuntimeError("the sandbox this engine was bound to has exited")
        conn = JoinedConnection(engine, self)
        if engine.dialect.server_version_info is None:
            # An engine that never connected: its dialect reads the server's settings
            # now, inside the sandbox, as SQLAlchemy does on an engine's first connect.
            with conn.begin():
                engine.dialect.initialize(conn)
        return conn

    def engine(self, engine: Engine) -> Engine:
        """An engine (sharing ``engine``'s dialect, pool and events) whose connections
        join the sandbox: what its sessions and bound sessionmakers bind to."""
        # A shallow copy (cheaper than engine.execution_options(), and the engine's
        # event listeners, pool and dialect are the same objects).
        joined = object.__new__(type(engine))
        joined.__dict__.update(engine.__dict__)
        joined._connection_cls = self.connect  # type: ignore[assignment]
        return joined

    def join(self, engine: Engine) -> Any:
        """Make the application's ``engine`` join the sandbox; returns what to restore."""
        saved = engine.__dict__.get("_connection_cls")
        engine._connection_cls = self.connect  # type: ignore[assignment]
        return saved

    def cut_off(self) -> None:
        """The sandbox exits: its connections left open give no access any more."""
        for conn in list(self.connections):
            conn._fk_detach()
        self.connections.clear()


def unjoin_engine(engine: Engine, saved: Any) -> None:
    if saved is None:
        engine.__dict__.pop("_connection_cls", None)
    else:
        engine._connection_cls = saved


def redirect_engine(engine: Engine, target: Engine) -> Any:
    """Make ``engine``'s connections open on ``target`` (a clone sandbox's database)."""
    saved = engine.__dict__.get("_connection_cls")

    def connect(bound: Engine) -> Connection:
        return target.connect()

    engine._connection_cls = connect  # type: ignore[assignment]
    return saved
