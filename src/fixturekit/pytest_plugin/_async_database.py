"""The async database fixtures, registered by the plugin only when pytest-asyncio runs
(they need its fixture decorator; other runs do not import it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest_asyncio

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fixturekit.db import AsyncDatabaseSandbox, TestDatabase

__all__ = ["async_db_sandbox", "async_db_session"]


@pytest_asyncio.fixture
async def async_db_sandbox(
    fixturekit_database: TestDatabase,
) -> AsyncIterator[AsyncDatabaseSandbox]:
    """An AsyncDatabaseSandbox: everything done in it is rolled back after the test."""
    async with fixturekit_database.async_sandbox() as sandbox:
        yield sandbox


@pytest_asyncio.fixture
async def async_db_session(async_db_sandbox: AsyncDatabaseSandbox) -> AsyncSession:
    """async_db_sandbox's shared AsyncSession (the one factories use), rolled back
    after the test."""
    return async_db_sandbox.shared_session
