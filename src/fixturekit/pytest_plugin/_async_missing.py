"""Stand-ins for the async database fixtures when pytest-asyncio is not running: a test
that asks for ``async_db_session`` or ``async_db_sandbox`` fails at setup with what to
install, instead of pytest's bare "fixture not found"."""

from __future__ import annotations

import importlib.util
from typing import NoReturn

import pytest

__all__ = ["async_db_sandbox", "async_db_session", "missing_asyncio_message"]


def missing_asyncio_message(fixture: str) -> str:
    """What a test asking for ``fixture`` is told when pytest-asyncio is not running."""
    if importlib.util.find_spec("pytest_asyncio") is None:
        how = (
            "install it with the asyncio extra: pip install 'fixturekit[asyncio]' (or "
            "pip install pytest-asyncio)"
        )
    else:
        how = (
            "it is installed but not loaded in this run: drop -p no:asyncio, or load it "
            "with -p asyncio when plugin autoloading is off (PYTEST_DISABLE_PLUGIN_AUTOLOAD)"
        )
    return (
        f"the {fixture} fixture needs pytest-asyncio, which is not running; {how}. "
        "The test itself then needs @pytest.mark.asyncio (or asyncio_mode = auto)"
    )


@pytest.fixture
def async_db_sandbox() -> NoReturn:
    """An AsyncDatabaseSandbox; needs pytest-asyncio (pip install 'fixturekit[asyncio]')."""
    pytest.fail(missing_asyncio_message("async_db_sandbox"), pytrace=False)


@pytest.fixture
def async_db_session() -> NoReturn:
    """async_db_sandbox's AsyncSession; needs pytest-asyncio (pip install
    'fixturekit[asyncio]')."""
    pytest.fail(missing_asyncio_message("async_db_session"), pytrace=False)
