"""Without pytest-asyncio, asking for an async database fixture says what to install."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import pytest

from fixturekit.pytest_plugin._async_missing import missing_asyncio_message

if TYPE_CHECKING:
    from tests.conftest import InnerPytest


@pytest.mark.parametrize("fixture", ["async_db_session", "async_db_sandbox"])
def test_an_async_db_fixture_without_pytest_asyncio_says_what_to_install(
    inner_pytest: InnerPytest, fixture: str
) -> None:
    inner_pytest.makepyfile(
        f"""
        async def test_async({fixture}):
            pass
        """
    )
    result = inner_pytest.run_inprocess()  # pytest-asyncio installed here, but not loaded
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert "not found" not in output
    result.stdout.fnmatch_lines(
        [f"*the {fixture} fixture needs pytest-asyncio, which is not running; it is installed*"]
    )


def test_the_message_names_the_extra_when_pytest_asyncio_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "pytest_asyncio" else real(name, *args),
    )
    message = missing_asyncio_message("async_db_session")
    assert message.startswith("the async_db_session fixture needs pytest-asyncio")
    assert "pip install 'fixturekit[asyncio]'" in message


def test_with_pytest_asyncio_the_real_fixtures_are_there(inner_pytest: InnerPytest) -> None:
    result = inner_pytest.run_inprocess("--fixtures", plugins=["asyncio"])
    result.stdout.fnmatch_lines(["async_db_session -- *_async_database.py:*"])
    assert "needs pytest-asyncio" not in result.stdout.str()
