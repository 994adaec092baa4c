"""The entry points every block shares: ``with``, ``async with``, ``start()``/``stop()``."""

from __future__ import annotations

from types import TracebackType
from typing import Any, TypeVar

__all__ = ["Lifecycle"]

_L = TypeVar("_L", bound="Lifecycle")


class Lifecycle:
    """Mixin: ``with`` and ``async with`` around the subclass's ``start()`` and ``stop()``.

    ``stop()`` runs on leaving the block whether or not the body raised; when it raised,
    ``_block_raised()`` runs first (fakes skip their exit checks there, so that the
    block's own error is the one reported).
    """

    __slots__ = ()

    def start(self) -> Any:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def _block_raised(self) -> None:
        """The ``with`` block is being left on an exception (before ``stop()``)."""

    def __enter__(self: _L) -> _L:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        __tracebackhide__ = True
        if exc_type is not None:
            self._block_raised()
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
        __tracebackhide__ = True
        if exc_type is not None:
            self._block_raised()
        self.stop()
