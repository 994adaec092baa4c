"""The after-commit gate: what a fake holds until a SQLAlchemy session commits.

``mailer.send(..., after_commit=session)`` and ``queue.push(..., after_commit=session)``
both stage their item here. The rule, one for every fake:

* the item is staged on the session's innermost open transaction (a savepoint from
  ``begin_nested()``, or the session's own transaction);
* a savepoint that commits hands its items to the enclosing transaction; the outermost
  commit delivers them; a rollback (of the savepoint or of the whole) drops them;
* **a session with no transaction open delivers at once**, as Django's
  ``transaction.on_commit`` and Laravel's ``afterCommit`` do: nothing is pending, so
  there is nothing to wait for. (A session opens its transaction on first use, so
  ``session.add(user)`` followed by ``send(..., after_commit=session)`` waits.)

Inside a database sandbox the application's ``commit()`` is the session's outermost
commit (a RELEASE SAVEPOINT on the sandbox's connection): the moment the application
believes its data is saved, which is when the item is delivered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["CommitGate", "CommitGates", "resolve_session"]

T = TypeVar("T")


def resolve_session(value: object, what: str = "after_commit=") -> Any:
    """The `sqlalchemy.orm.Session` behind ``value`` (a Session, scoped_session or
    AsyncSession)."""
    from sqlalchemy.orm import Session, scoped_session

    if isinstance(value, scoped_session):
        value = value()
    sync = getattr(value, "sync_session", None)  # an AsyncSession
    if isinstance(sync, Session):
        value = sync
    if not isinstance(value, Session):
        raise TypeError(
            f"{what} takes the SQLAlchemy Session (or AsyncSession, or scoped_session) "
            f"whose commit releases it, not {value!r}"
        )
    return value


class CommitGate(Generic[T]):
    """Items waiting on one session: delivered on commit, dropped on rollback."""

    def __init__(
        self,
        session: Any,
        *,
        deliver: Callable[[list[T]], None],
        drop: Callable[[list[T]], None],
    ) -> None:
        from sqlalchemy import event

        self.session = session
        self.label = f"session {type(session).__name__}@{id(session):#x}"
        self._deliver = deliver
        self._drop = drop
        self._staged: dict[Any, list[T]] = {}
        self._committing: set[Any] = set()
        self._hooks: list[tuple[str, Callable[..., None]]] = [
            ("after_commit", self._after_commit),
            ("after_transaction_end", self._after_end),
        ]
        for name, hook in self._hooks:
            event.listen(session, name, hook)

    def _current(self) -> Any:
        session = self.session
        return session.get_nested_transaction() or session.get_transaction()

    def stage(self, item: T) -> bool:
        """Hold ``item`` until the innermost transaction commits; False if none is open
        (the caller then delivers it at once)."""
        transaction = self._current()
        if transaction is None or not transaction.is_active:
            return False
        self._staged.setdefault(transaction, []).append(item)
        return True

    @property
    def pending(self) -> list[T]:
        return [item for items in self._staged.values() for item in items]

    def _after_commit(self, session: Any) -> None:
        self._committing.add(self._current())

    def _after_end(self, session: Any, transaction: Any) -> None:
        committed = transaction in self._committing
        self._committing.discard(transaction)
        items = self._staged.pop(transaction, None)
        if not items:
            return
        if not committed:
            self._drop(items)
        elif transaction.parent is None:
            self._deliver(items)
        else:
            self._staged.setdefault(transaction.parent, []).extend(items)

    def close(self) -> None:
        """Stop following the session; whatever is still staged is forgotten."""
        from sqlalchemy import event

        for name, hook in self._hooks:
            if event.contains(self.session, name, hook):
                event.remove(self.session, name, hook)
        self._staged.clear()
        self._committing.clear()


class CommitGates(Generic[T]):
    """One fake's gates, one per session, all closed when the fake stops."""

    def __init__(
        self, *, deliver: Callable[[list[T]], None], drop: Callable[[list[T]], None]
    ) -> None:
        self._deliver = deliver
        self._drop = drop
        self._gates: dict[int, CommitGate[T]] = {}

    def for_session(self, value: object) -> CommitGate[T]:
        session = resolve_session(value)
        gate = self._gates.get(id(session))
        if gate is None or gate.session is not session:
            gate = CommitGate(session, deliver=self._deliver, drop=self._drop)
            self._gates[id(session)] = gate
        return gate

    @property
    def pending(self) -> list[T]:
        return [item for gate in list(self._gates.values()) for item in gate.pending]

    def close(self) -> None:
        gates, self._gates = self._gates, {}
        for gate in gates.values():
            gate.close()
