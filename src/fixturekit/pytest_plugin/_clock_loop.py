"""The clock marker's ``loop=True``: an async test's event loop runs on the clock.

The test's coroutine is wrapped once, after collection: when it starts, on the loop
pytest-asyncio runs it on, the loop is attached to the test's clock
(`fixturekit.clock._loop.attached`) until the test body ends. asyncio is imported
only then.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["loop_problem", "put_loop_on_the_clock"]


def _is_asyncio_test(item: pytest.Item) -> bool:
    function = getattr(item, "obj", None)
    return type(item).__module__.startswith("pytest_asyncio") and (
        inspect.iscoroutinefunction(function)
    )


def loop_problem(item: pytest.Item, value: object) -> str | None:
    """What is wrong with the marker's ``loop=`` for this test, if anything."""
    if not isinstance(value, bool):
        return f"loop must be True or False, not {value!r}"
    if not value:
        return None
    if not item.config.pluginmanager.hasplugin("asyncio"):
        return (
            "loop=True runs the async test's event loop on the clock through "
            "pytest-asyncio, which is not installed or not active: pip install "
            "pytest-asyncio (and do not pass -p no:asyncio), or run the coroutine with "
            "clock.run(...) in a plain test"
        )
    if not _is_asyncio_test(item):
        return (
            "loop=True is for async tests that pytest-asyncio runs (async def, marked "
            "@pytest.mark.asyncio unless asyncio_mode = auto); in a plain test run the "
            "coroutine with clock.run(...)"
        )
    return None


def put_loop_on_the_clock(item: pytest.Item, loop: object) -> None:
    """Wrap the test's coroutine so that its loop follows the ``clock`` fixture."""
    if loop is not True or loop_problem(item, loop) is not None:
        return  # the clock fixture reports the problem at setup
    test = item.obj  # type: ignore[attr-defined]
    item.obj = _on_the_clock(item, test)  # type: ignore[attr-defined]


def _on_the_clock(item: pytest.Item, test: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(test)
    async def test_on_the_clock(*args: Any, **kwargs: Any) -> Any:
        import asyncio

        from fixturekit.clock._loop import attached

        clock = item.funcargs["clock"]  # type: ignore[attr-defined]
        with attached(clock, asyncio.get_running_loop()):
            return await test(*args, **kwargs)

    return test_on_the_clock
