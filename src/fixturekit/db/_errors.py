"""The errors the database block raises."""

from __future__ import annotations

from typing import Any

__all__ = ["MissingDriverError", "SandboxError", "SandboxEscapeError", "UnsafeDatabaseError"]


class UnsafeDatabaseError(Exception):
    """TestDatabase refused a database: it does not look like one fixturekit may own."""


class SandboxError(Exception):
    """Something in a sandbox would have broken its isolation, or the sandbox was misused."""


class MissingDriverError(ImportError):
    """The database driver a URL needs is not installed; the message names the extra."""


class SandboxEscapeError(SandboxError):
    """Writes reached the test database outside the sandbox, and were committed.

    ``escapes`` lists them: each has the ``statement``, the engine's ``url``, the
    ``thread`` and the ``frames`` of the code that ran it.
    """

    def __init__(self, message: str, escapes: list[Any]) -> None:
        super().__init__(message)
        self.escapes = escapes
