"""The entry points every block shares: ``with``, ``async with``, ``start()``/``stop()``."""

from __future__ import annotations

from types import TracebackType
from typing import Any, TypeVar

__all__ = ["Lifecycle"]

_L = TypeVar("_L", bound="Lifecycle")


class Lifecycle:
    """Mixin: ``with`` and ``async with`` around the subclass's ``start()`` and ``stop()``.

    ``stop()`` runs on leaving the block whether or not the body raised.
    """

    __slots__ = ()

    def start(self) -> Any:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self: _L) -> _L:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self: _L) -> _L:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
