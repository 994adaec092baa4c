"""State that blocks share without importing each other.

The database sandbox publishes, while it runs, how to get its session; factories read
it so that ``UserFactory.create()`` lands in the test's sandbox without being handed a
session. Neither block imports the other: both import this module.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

__all__ = ["current_async_session", "current_session"]

#: While a sync sandbox runs: a callable returning its shared ``Session`` (the same
#: one on every call, created on first use and closed with the sandbox).
current_session: ContextVar[Callable[[], Any] | None] = ContextVar(
    "fixturekit_current_session", default=None
)

#: The same for an async sandbox's shared ``AsyncSession``.
current_async_session: ContextVar[Callable[[], Any] | None] = ContextVar(
    "fixturekit_current_async_session", default=None
)
