"""asyncio on a `Clock`: an event loop whose time is the clock's.

While a loop is attached to a clock, ``loop.time()`` reads the clock, and whenever the
loop has nothing to do but wait for a timer (``asyncio.sleep``, ``call_later``,
``wait_for`` timeouts), the clock jumps to that timer instead of the loop sleeping:
trio's autojump clock, for asyncio. The clock's own timers that fall due on the way
fire in time order with the loop's. ``clock.advance()`` called on the loop's thread
runs the loop's due timer callbacks at once, in time order with the clock's.

The loop keeps real time for what it cannot jump over: while work handed to threads
(``run_in_executor``, ``asyncio.to_thread``) is pending it does not jump at all, and
while it watches sockets it gives them ``io_wait`` real seconds to answer before each
jump.
"""

from __future__ import annotations

import asyncio
import heapq
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

__all__ = ["LoopTime", "attached", "run_on_clock"]

T = TypeVar("T")


class Clock(Protocol):
    """What this module needs of `fixturekit.Clock` (named here without importing it,
    since the clock module imports this one)."""

    _loop: LoopTime | None

    @property
    def running(self) -> bool: ...

    def now(self) -> datetime: ...

    def start(self) -> Any: ...

    def stop(self) -> None: ...

    def _next_timer_due(self) -> datetime | None: ...

    def _move_to(
        self, target: datetime, *, only: int | None = ..., loop_timers: bool = ...
    ) -> datetime: ...


#: How long (real seconds) the loop polls at a time while threads work for it.
_POLL = 0.01
_ONE_MICROSECOND = 1e-6


def _check_io_wait(io_wait: object) -> float:
    if isinstance(io_wait, bool) or not isinstance(io_wait, (int, float)) or io_wait < 0:
        raise ValueError(f"io_wait must be a number of seconds >= 0, not {io_wait!r}")
    return float(io_wait)


def _microseconds(seconds: float) -> timedelta:
    # To the nearest microsecond: within the loop's clock resolution (1 us) of the
    # float it came from, so a timer is due once the clock stands there.
    return timedelta(microseconds=round(seconds * 1_000_000))


class LoopTime:
    """The link between one event loop and one clock, while they are attached."""

    def __init__(self, clock: Clock, loop: asyncio.AbstractEventLoop, io_wait: float) -> None:
        _check_loop(loop)
        self.clock = clock
        self.loop: Any = loop
        self.io_wait = io_wait
        self.offset: float = loop.time()
        self.origin = clock.now()
        self.executor_jobs = 0

    # --- time --------------------------------------------------------------------

    def time(self) -> float:
        """The loop's time: its real reading at attach plus what the clock moved since."""
        return self.offset + (self.clock.now() - self.origin).total_seconds()

    def moment(self, when: float) -> datetime:
        """The clock time at which loop time ``when`` is reached."""
        return self.origin + _microseconds(when - self.offset)

    # --- the loop's timers, for Clock.advance ------------------------------------------

    def on_loop_thread(self) -> bool:
        return bool(self.loop._thread_id == threading.get_ident())

    def next_due(self) -> datetime | None:
        """When the loop's earliest live timer falls due (cancelled ones are dropped)."""
        scheduled = self.loop._scheduled
        while scheduled and scheduled[0]._cancelled:
            handle = heapq.heappop(scheduled)
            handle._scheduled = False
            self.loop._timer_cancelled_count -= 1
        if not scheduled:
            return None
        return self.moment(scheduled[0]._when)

    def fire_next(self) -> None:
        """Run the loop's earliest timer callback now (as the loop itself would)."""
        handle = heapq.heappop(self.loop._scheduled)
        handle._scheduled = False
        handle._run()

    # --- jumping -----------------------------------------------------------------

    def jump(self, seconds: float) -> None:
        """Move the clock ``seconds`` ahead (firing the clock's own timers on the way)."""
        self.clock._move_to(self.clock.now() + _microseconds(seconds), loop_timers=False)

    def watches_sockets(self, selector: Any) -> bool:
        # The loop's own wake-up pipe is always registered.
        return len(selector.get_map()) > 1


class _JumpingSelector:
    """Wraps the loop's selector: where the loop would sleep until a timer, jump."""

    def __init__(self, real: Any, link: LoopTime) -> None:
        self._real = real
        self._link = link

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def select(self, timeout: float | None = None) -> list[Any]:
        real = self._real
        link = self._link
        if timeout is not None and timeout <= 0:
            return list(real.select(timeout))
        if link.executor_jobs:
            # Threads are working for the loop: real time, no jump.
            wait = _POLL if timeout is None else min(timeout, _POLL)
            return list(real.select(wait))
        wait = link.io_wait if link.watches_sockets(real) else 0.0
        if timeout is not None:
            wait = min(wait, timeout)
        events = list(real.select(wait))
        if events:
            return events
        if timeout is not None:
            link.jump(timeout)
            return []
        upcoming = link.clock._next_timer_due()
        if upcoming is None:
            # Nothing scheduled anywhere: wait for I/O or another thread, as asyncio does.
            return list(real.select(None))
        link.clock._move_to(upcoming, loop_timers=False, only=1)
        return []


def _check_loop(loop: object) -> None:
    if not isinstance(loop, asyncio.BaseEventLoop) or not hasattr(loop, "_selector"):
        raise TypeError(
            f"the clock can only drive asyncio's own selector event loop, not "
            f"{type(loop).__module__}.{type(loop).__qualname__}; uvloop and the Windows "
            "proactor loop keep their own time. Run the code with Clock.run(), which "
            "makes a selector loop, or set asyncio's default loop policy for the test"
        )


@contextmanager
def attached(
    clock: Clock, loop: asyncio.AbstractEventLoop, *, io_wait: float = 0.05
) -> Iterator[LoopTime]:
    """Drive ``loop``'s time from ``clock`` inside the ``with`` block.

    Timers still pending when the block ends are moved back onto the loop's real time,
    keeping how far ahead they were.
    """
    wait = _check_io_wait(io_wait)
    if clock._loop is not None:
        raise RuntimeError(
            f"{clock!r} already drives an event loop; one clock drives one loop at a time"
        )
    link = LoopTime(clock, loop, wait)
    target: Any = loop
    real_selector = target._selector
    real_resolution = target._clock_resolution
    real_run_in_executor = target.run_in_executor

    def run_in_executor(executor: Any, func: Callable[..., Any], *args: Any) -> Any:
        future = real_run_in_executor(executor, func, *args)
        link.executor_jobs += 1
        future.add_done_callback(_job_done)
        return future

    def _job_done(_: object) -> None:
        link.executor_jobs -= 1

    target.time = link.time
    target._clock_resolution = _ONE_MICROSECOND
    target._selector = _JumpingSelector(real_selector, link)
    target.run_in_executor = run_in_executor
    clock._loop = link
    try:
        yield link
    finally:
        clock._loop = None
        virtual = link.time()
        for name in ("time", "run_in_executor"):
            target.__dict__.pop(name, None)
        if isinstance(target._selector, _JumpingSelector):
            target._selector = real_selector
        target._clock_resolution = real_resolution
        shift = target.time() - virtual
        for handle in target._scheduled:
            handle._when += shift


def run_on_clock(
    clock: Clock, main: Coroutine[Any, Any, T], *, io_wait: float, debug: bool | None
) -> T:
    """`Clock.run`: run ``main`` on a new selector event loop driven by ``clock``."""
    if not asyncio.iscoroutine(main):
        raise TypeError(
            f"Clock.run() takes a coroutine, such as clock.run(main()), not "
            f"{type(main).__name__} ({main!r})"
        )
    wait = _check_io_wait(io_wait)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        main.close()
        raise RuntimeError(
            "Clock.run() cannot be called from a running event loop; await the coroutine "
            "there instead (the pytest clock marker's loop=True puts an async test's loop "
            "on the clock)"
        )
    started = not clock.running
    if started:
        clock.start()
    try:
        if sys.version_info >= (3, 11):
            with (
                asyncio.Runner(debug=debug, loop_factory=asyncio.SelectorEventLoop) as runner,
                attached(clock, runner.get_loop(), io_wait=wait),
            ):
                return runner.run(main)
        return _run_without_runner(clock, main, wait, debug)  # pragma: no cover - 3.10
    finally:
        if started:
            clock.stop()


def _run_without_runner(  # pragma: no cover - Python 3.10
    clock: Clock, main: Coroutine[Any, Any, T], io_wait: float, debug: bool | None
) -> T:
    loop = asyncio.SelectorEventLoop()
    if debug is not None:
        loop.set_debug(debug)
    asyncio.set_event_loop(loop)
    try:
        with attached(clock, loop, io_wait=io_wait):
            return loop.run_until_complete(main)
    finally:
        tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        loop.close()
