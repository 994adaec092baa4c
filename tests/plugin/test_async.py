from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

ASYNC_TESTS = """
import asyncio
import sys
from datetime import datetime, timezone

import pytest

START = datetime(2024, 1, 1, 9, tzinfo=timezone.utc)


@pytest.mark.{mark}
@pytest.mark.clock("2024-01-01T09:00:00Z")
async def test_sleep_and_timeout_use_real_monotonic_time(clock, harness):
    await asyncio.sleep(0.01)
    assert datetime.now(timezone.utc) == START
    assert await asyncio.wait_for(asyncio.sleep(0.01, result="done"), timeout=1) == "done"
    with pytest.raises((asyncio.TimeoutError, TimeoutError)):
        await asyncio.wait_for(asyncio.sleep(10), timeout=0.01)
    if sys.version_info >= (3, 11):
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await asyncio.sleep(10)
    clock.advance(hours=1)
    assert datetime.now(timezone.utc).hour == 10
"""


def test_pytest_asyncio_tests_run_under_the_clock(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(ASYNC_TESTS.replace("{mark}", "asyncio"))
    inner_pytest.run_inprocess(plugins=["asyncio"]).assert_outcomes(passed=1)


def test_anyio_tests_run_under_the_clock(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(ASYNC_TESTS.replace("{mark}", "anyio"))
    inner_pytest.makeconftest(
        """
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """
    )
    inner_pytest.run_inprocess(plugins=["anyio"]).assert_outcomes(passed=1)
