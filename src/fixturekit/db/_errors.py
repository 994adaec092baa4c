"""The errors the database block raises."""

from __future__ import annotations

__all__ = ["MissingDriverError", "SandboxError", "UnsafeDatabaseError"]


class UnsafeDatabaseError(Exception):
    """TestDatabase refused a database: it does not look like one fixturekit may own."""


class SandboxError(Exception):
    """Something in a sandbox would have broken its isolation, or the sandbox was misused."""


class MissingDriverError(ImportError):
    """The database driver a URL needs is not installed; the message names the extra."""
