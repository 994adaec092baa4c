"""Which session ``create`` writes through, and the flush (never a commit)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from fixturekit._internal import context as _context
from fixturekit._internal.notes import add_note
from fixturekit.errors import FactoryError

__all__ = ["flush", "resolve_session"]


def _is_async(session: Any) -> bool:
    return hasattr(session, "sync_session") and hasattr(session, "run_sync")


def resolve_session(
    factory: str,
    fields: Collection[str],
    session: Any,
    overrides: dict[str, Any],
    method: str,
    *,
    asynchronous: bool,
) -> Any:
    """The session ``factory.method()`` writes through: the one given, else the running
    sandbox's.

    ``session=`` passed by keyword lands in ``overrides``; it is taken as the session
    unless the model has a field of that name (one of ``fields``; then
    ``create(session_obj, session=...)`` sets the field).
    """
    name = f"{factory}.{method}()"
    if session is None and "session" in overrides and "session" not in fields:
        session = overrides.pop("session")
    if session is None:
        var = _context.current_async_session if asynchronous else _context.current_session
        getter = var.get()
        if getter is not None:
            session = getter()
    if session is None:
        if asynchronous:
            raise FactoryError(
                f"{name} has no session: pass one ({name[:-2]}(session)) or run it inside an "
                "async database sandbox, e.g. a test using the async_db_session fixture"
            )
        raise FactoryError(
            f"{name} has no session: pass session= ({name[:-2]}(session=...)) or run it inside "
            "a database sandbox, e.g. a test using the db_session fixture"
        )
    if asynchronous and not _is_async(session):
        raise FactoryError(
            f"{name} needs an AsyncSession, got {type(session).__name__}; use "
            f"{factory}.{method[1:]}() with a sync Session"
        )
    if not asynchronous:
        if _is_async(session):
            raise FactoryError(f"{name} got an AsyncSession; await {factory}.a{method}() instead")
        if not (hasattr(session, "add_all") and hasattr(session, "flush")):
            raise TypeError(f"{name}: session must be a SQLAlchemy Session, got {session!r}")
    return session


def flush(session: Any, what: str) -> None:
    """Flush ``session``; a database error gets a note naming the factory."""
    try:
        session.flush()
    except Exception as exc:
        add_note(exc, f"raised while flushing the rows {what} made")
        raise
