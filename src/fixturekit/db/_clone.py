"""A database cloned from the test database's template for one sandbox (isolation="clone")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.engine import URL, Engine

from fixturekit.db import _urls
from fixturekit.db._engines import make_async_engine

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["Clone"]


class Clone:
    """A cloned database: its URL, a sync engine, an async engine on demand, and a drop."""

    def __init__(self, url: URL, engine: Engine, given: URL, drop: Callable[[], None]) -> None:
        self.url = url
        self.engine = engine
        self._given = given
        self._drop = drop
        self._async: AsyncEngine | None = None

    def async_engine(self) -> AsyncEngine:
        if self._async is None:
            url = _urls.async_url(self.url, self._given)
            _urls.check_driver(url)
            self._async = make_async_engine(url)
        return self._async

    def drop(self) -> None:
        """Dispose of the engines and drop the database (also what the app connected)."""
        try:
            if self._async is not None:
                self._async.sync_engine.dispose()  # no pool: nothing to await
            self.engine.dispose()
        finally:
            self._drop()

    async def adrop(self) -> None:
        if self._async is not None:
            await self._async.dispose()
            self._async = None
        await asyncio.to_thread(self.drop)
