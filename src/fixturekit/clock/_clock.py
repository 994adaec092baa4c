"""Clock: the time controller every fixturekit block shares.

```python
import fixturekit as fk

with fk.Clock("2024-01-01T09:00:00Z") as clock:
    clock.call_later(60, send_reminder)
    clock.advance(minutes=5)        # send_reminder runs at 09:01, seeing 09:01
```
"""

from __future__ import annotations

import heapq
import inspect
import itertools
import sys
from collections.abc import Callable, Coroutine
from datetime import date, datetime, timedelta, timezone
from time import monotonic
from typing import TYPE_CHECKING, Any, TypeVar

from fixturekit._internal.lifecycle import Lifecycle
from fixturekit.clock import _timepatch

if TYPE_CHECKING:
    from fixturekit.clock._loop import LoopTime

T = TypeVar("T")

__all__ = ["Clock", "TimeLike", "Timer", "install"]

#: What a point in time may be given as: an ISO 8601 string, a date (midnight UTC),
#: a datetime (naive means UTC) or a POSIX timestamp.
TimeLike = str | datetime | date | int | float

_ZERO = timedelta(0)
_UTC = timezone.utc
#: Strings already turned into times (tests start clocks at the same few moments).
_PARSED: dict[str, datetime] = {}


def install(*, monotonic: bool = False) -> None:
    """Install the time trampolines now instead of at the first patching Clock.

    Code that grabs ``datetime.now`` at import time (``Field(default_factory=datetime.now)``,
    ``Column(default=datetime.utcnow)``) keeps the function it grabbed. Installing before
    the application is imported makes those grabbed functions follow clocks too. The
    pytest plugin does this before your ``conftest.py`` files load; call it at the top
    of a ``unittest`` package's ``__init__.py`` to get the same. With no clock running,
    the installed functions return real time.

    With ``monotonic=True`` the monotonic clocks (``time.monotonic``,
    ``time.perf_counter`` and their ``_ns`` variants) get trampolines too, which report
    real readings unless a ``Clock(monotonic=True)`` runs. A ``Clock(monotonic=True)``
    installs them itself when it first starts; installing them earlier reaches timers
    grabbed before that, such as a default argument bound at import (cachetools'
    ``TTLCache(timer=time.monotonic)``). The pytest plugin does not, so that runs which
    never use monotonic time pay nothing for it.
    """
    if not isinstance(monotonic, bool):
        raise TypeError(f"monotonic must be True or False, not {monotonic!r}")
    _timepatch.install()
    if monotonic:
        from fixturekit.clock import _monotonic

        _monotonic.install()


def _describe_types() -> str:
    return "an ISO 8601 string such as '2024-01-01T09:00:00Z', a date, a datetime or a timestamp"


def to_utc(value: object, what: str) -> datetime:
    """Turn a `TimeLike` into an aware UTC `datetime` (real class)."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be {_describe_types()}, not a bool ({value!r})")
    if isinstance(value, datetime):
        if value.tzinfo is _UTC and type(value) is datetime:
            return value
        result = value
        if value.tzinfo is not None and value.utcoffset() is not None:
            result = value.astimezone(_UTC)
        # Positional arguments: this runs on every Clock(...) and keyword ones cost more.
        return datetime(
            result.year,
            result.month,
            result.day,
            result.hour,
            result.minute,
            result.second,
            result.microsecond,
            _UTC,
        )
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"{what} {value!r} is not a usable POSIX timestamp: {exc}") from None
    if isinstance(value, str):
        known = _PARSED.get(value)
        if known is None:
            known = to_utc(_parse(value, what), what)
            if len(_PARSED) < 256:
                _PARSED[value] = known
        return known
    raise TypeError(f"{what} must be {_describe_types()}, not {type(value).__name__} ({value!r})")


def _parse(text: str, what: str) -> datetime:
    cleaned = text.strip()
    if cleaned[-1:] in ("Z", "z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        pass
    try:
        # Python 3.10's fromisoformat is strict; accept a plain date there too.
        day = date.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(
            f"cannot parse {what} {text!r} as a point in time; use {_describe_types()}"
        ) from None
    return datetime(day.year, day.month, day.day)


def to_delta(value: object, what: str) -> timedelta:
    """Turn a timedelta or a number of seconds into a timedelta."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a timedelta or a number of seconds, not a bool")
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    raise TypeError(
        f"{what} must be a timedelta or a number of seconds, not {type(value).__name__} ({value!r})"
    )


class Timer:
    """A callback scheduled on a `Clock`; returned by ``call_at``/``call_later``."""

    __slots__ = ("_clock", "_state", "args", "callback", "due", "kwargs")

    def __init__(
        self,
        clock: Clock,
        due: datetime,
        callback: Callable[..., object],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        self._clock = clock
        self.due = due
        self.callback = callback
        self.args = args
        self.kwargs = kwargs
        self._state = "pending"

    @property
    def pending(self) -> bool:
        """True until the timer fires or is cancelled."""
        return self._state == "pending"

    @property
    def fired(self) -> bool:
        return self._state == "fired"

    @property
    def cancelled(self) -> bool:
        return self._state == "cancelled"

    def cancel(self) -> bool:
        """Stop the timer from firing. Returns True if it was still pending."""
        if self._state != "pending":
            return False
        self._state = "cancelled"
        return True

    def _fire(self) -> None:
        self._state = "fired"
        result = self.callback(*self.args, **self.kwargs)
        if inspect.isawaitable(result):
            if hasattr(result, "close"):
                result.close()
            raise TypeError(
                f"timer callback {_name_of(self.callback)} returned an awaitable; Clock runs "
                "plain functions. Schedule a function that starts the coroutine on your loop."
            )

    def __repr__(self) -> str:
        return f"<Timer {_name_of(self.callback)} at {self.due.isoformat()} {self._state}>"


def _name_of(fn: Callable[..., object]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


class Clock(Lifecycle):
    """A controllable clock, and (when it patches) the process's time while it runs.

    ``Clock(start)`` starts frozen at ``start``: an ISO 8601 string (``"2024-01-01"``,
    ``"2024-01-01T09:00:00Z"``, with any UTC offset), a `date` (midnight UTC), a
    `datetime` (naive means UTC) or a POSIX timestamp; without ``start`` it
    starts at the real current time.

    While entered (``with``, ``async with`` or `start`), a patching clock is what
    ``datetime.now()``, ``datetime.utcnow()``, ``date.today()``, ``time.time()`` and the
    other wall-clock functions report, everywhere in the process. The monotonic clocks
    are left alone unless ``monotonic=True``, so event loops, timeouts and
    ``time.sleep`` keep real time.

    Arguments:
        start: where the clock starts.
        tick: when True, time flows on from ``start`` (at the real pace) while the clock
            runs, instead of staying frozen until advanced.
        patch: when False, the clock never touches the process's time; it is then a
            plain virtual clock that fakes can share (a fake used on its own gets one).
        monotonic: when True, ``time.monotonic()``, ``time.perf_counter()`` and their
            ``_ns`` variants follow the clock too (from their real reading at start),
            for TTL caches and rate limiters; event loops, thread pools and pytest
            keep real readings.
    """

    __slots__ = (
        "_base",
        "_firing",
        "_loop",
        "_monotonic",
        "_origin",
        "_patch",
        "_running",
        "_seq",
        "_tick",
        "_timers",
    )

    def __init__(
        self,
        start: TimeLike | None = None,
        *,
        tick: bool = False,
        patch: bool = True,
        monotonic: bool = False,
    ):
        self._base = _timepatch.real_utcnow() if start is None else to_utc(start, "start")
        if not isinstance(tick, bool):
            raise TypeError(f"tick must be True or False, not {tick!r}")
        if not isinstance(patch, bool):
            raise TypeError(f"patch must be True or False, not {patch!r}")
        if not isinstance(monotonic, bool):
            raise TypeError(f"monotonic must be True or False, not {monotonic!r}")
        if monotonic and not patch:
            raise ValueError(
                "monotonic=True makes time.monotonic() and time.perf_counter() follow the "
                "clock, which patches the process's time; it cannot go with patch=False"
            )
        self._tick = tick
        self._patch = patch
        self._monotonic = monotonic
        self._origin: float | None = None  # monotonic reading when ticking resumed
        self._running = False
        self._firing = False
        self._timers: list[tuple[datetime, int, Timer]] = []
        self._seq = itertools.count()
        self._loop: LoopTime | None = None  # the event loop this clock drives, if any

    # --- reading ---------------------------------------------------------------

    def now(self) -> datetime:
        """The clock's current time, an aware UTC `datetime`."""
        origin = self._origin
        if origin is None:
            return self._base
        return self._base + timedelta(seconds=monotonic() - origin)

    def timestamp(self) -> float:
        """The clock's current time as a POSIX timestamp."""
        return self.now().timestamp()

    @property
    def running(self) -> bool:
        return self._running

    @property
    def tick(self) -> bool:
        return self._tick

    @property
    def monotonic(self) -> bool:
        """Whether ``time.monotonic()`` and ``time.perf_counter()`` follow this clock."""
        return self._monotonic

    @property
    def patches(self) -> bool:
        """Whether this clock drives the process's time while it runs."""
        return self._patch

    @property
    def pending_timers(self) -> list[Timer]:
        """Timers still waiting to fire, earliest first."""
        return [timer for _, _, timer in sorted(self._timers) if timer.pending]

    # --- entering and leaving -------------------------------------------------

    def start(self) -> Clock:
        """Start the clock (what ``with`` does); returns the clock."""
        if self._running:
            raise RuntimeError(
                f"{self!r} is already running; a Clock can be entered once at a time"
            )
        if self._patch:
            current = _timepatch.active_clock()
            if current is not None:
                raise RuntimeError(
                    f"another Clock is already running ({current!r}); fixturekit does not nest "
                    "clocks that patch time: advance() or set() the running clock instead, "
                    "or pass patch=False for a private virtual clock"
                )
            _refuse_other_time_tools()
            _timepatch.install()
            _timepatch.activate(self, self.now)
            if self._monotonic:
                from fixturekit.clock import _monotonic

                _monotonic.install()
                _monotonic.activate(self.now)
        self._running = True
        if self._tick:
            self._origin = monotonic()
        return self

    def stop(self) -> None:
        """Stop the clock (what leaving ``with`` does); real time comes back."""
        if not self._running:
            raise RuntimeError(f"{self!r} is not running; stop() follows start()")
        self._base = self.now()
        self._origin = None
        self._running = False
        if self._patch:
            _timepatch.deactivate(self)
            if self._monotonic:
                from fixturekit.clock import _monotonic

                _monotonic.deactivate()

    # --- moving ----------------------------------------------------------------

    def advance(
        self,
        delta: timedelta | float | None = None,
        /,
        *,
        seconds: float = 0,
        minutes: float = 0,
        hours: float = 0,
        days: float = 0,
    ) -> datetime:
        """Move time forward, firing every timer that falls due, in time order.

        Give a `timedelta` (or a number of seconds), keyword units, or both (they
        add up). While a timer's callback runs, `now` equals the timer's due time,
        and timers that callbacks schedule inside the window fire too. Returns the new
        current time. If a callback raises, the clock stays at that callback's due time
        and the later timers stay pending.
        """
        step = _ZERO if delta is None else to_delta(delta, "advance()'s delta")
        units = {"seconds": seconds, "minutes": minutes, "hours": hours, "days": days}
        for name, amount in units.items():
            if isinstance(amount, bool) or not isinstance(amount, (int, float)):
                raise TypeError(f"advance()'s {name}= must be a number, not {amount!r}")
            step += timedelta(**{name: amount})
        if step < _ZERO:
            given = _given(delta, **units)
            raise ValueError(
                f"cannot advance the clock by a negative amount ({given}, that is {step}); "
                "time only moves forward with advance(); use clock.set(...) to go back"
            )
        return self._move_to(self.now() + step)

    def set(self, when: TimeLike) -> datetime:
        """Jump to ``when``. Going forward fires the timers due by then, like `advance`;
        going back fires nothing and keeps pending timers pending. Returns the new time."""
        target = to_utc(when, "set()'s time")
        if target >= self.now():
            return self._move_to(target)
        self._check_not_firing("set")
        self._set_base(target)
        return target

    def run_all_timers(self, *, limit: int = 1000) -> int:
        """Advance to each pending timer in turn until none is left; returns how many fired.

        A timer that keeps rescheduling itself would never let this finish: after
        ``limit`` timers it raises `RuntimeError` naming the recent ones.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive int, not {limit!r}")
        fired = 0
        recent: list[str] = []
        while True:
            upcoming = self.pending_timers
            if not upcoming:
                return fired
            if fired >= limit:
                raise RuntimeError(
                    f"run_all_timers() stopped after {limit} timers and more keep coming; "
                    f"the last ones were: {', '.join(recent[-5:])}. A callback probably "
                    "reschedules itself: cancel it, or use advance() for a bounded window"
                )
            timer = upcoming[0]
            recent.append(repr(timer))
            self._move_to(max(timer.due, self.now()), only=1)
            fired += 1

    # --- asyncio -----------------------------------------------------------------

    def run(
        self,
        main: Coroutine[Any, Any, T],
        /,
        *,
        io_wait: float = 0.05,
        debug: bool | None = None,
    ) -> T:
        """Run the coroutine ``main`` on a new event loop whose time is this clock's,
        and return its result (``asyncio.run`` on the clock).

        ``await asyncio.sleep(3600)``, ``loop.call_later(...)`` and ``wait_for``
        timeouts complete at once, in time order, each moving the clock to its due
        time; the clock's own timers fire on the way. Starts the clock for the call if
        it is not running. While sockets are open the loop gives them ``io_wait`` real
        seconds to answer before each jump; while threads work for it
        (``run_in_executor``, ``asyncio.to_thread``) it does not jump.
        """
        from fixturekit.clock._loop import run_on_clock

        return run_on_clock(self, main, io_wait=io_wait, debug=debug)

    # --- scheduling ------------------------------------------------------------

    def call_at(
        self, when: TimeLike, callback: Callable[..., object], /, *args: Any, **kwargs: Any
    ) -> Timer:
        """Run ``callback(*args, **kwargs)`` when the clock reaches ``when``."""
        due = to_utc(when, "call_at()'s time")
        now = self.now()
        if due < now:
            raise ValueError(
                f"call_at() time {when!r} ({due.isoformat()}) is before the clock's current "
                f"time ({now.isoformat()}); use call_later(0, ...) to run it on the next advance"
            )
        return self._schedule(due, callback, args, kwargs)

    def call_later(
        self,
        delay: timedelta | float,
        callback: Callable[..., object],
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Timer:
        """Run ``callback(*args, **kwargs)`` after ``delay`` (a timedelta or seconds)."""
        step = to_delta(delay, "call_later()'s delay")
        if step < _ZERO:
            raise ValueError(f"call_later() delay must not be negative, got {delay!r}")
        return self._schedule(self.now() + step, callback, args, kwargs)

    def _schedule(
        self,
        due: datetime,
        callback: Callable[..., object],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Timer:
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {type(callback).__name__}")
        timer = Timer(self, due, callback, args, kwargs)
        heapq.heappush(self._timers, (due, next(self._seq), timer))
        return timer

    # --- internals -------------------------------------------------------------

    def _check_not_firing(self, verb: str) -> None:
        if self._firing:
            raise RuntimeError(
                f"{verb}() was called from inside a timer callback; schedule another timer "
                "with call_later() instead of moving the clock from a callback"
            )

    def _set_base(self, when: datetime) -> None:
        self._base = when
        if self._origin is not None:
            self._origin = monotonic()

    def _next_timer_due(self) -> datetime | None:
        """When the earliest pending timer of the clock itself falls due."""
        timers = self._timers
        while timers and not timers[0][2].pending:
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def _move_to(
        self, target: datetime, *, only: int | None = None, loop_timers: bool = True
    ) -> datetime:
        self._check_not_firing("advance" if only is None else "run_all_timers")
        link = self._loop
        if link is not None and not (loop_timers and link.on_loop_thread()):
            link = None
        self._firing = True
        fired = 0
        try:
            while only is None or fired < only:
                due = self._next_timer_due()
                loop_due = None if link is None else link.next_due()
                if loop_due is not None and (due is None or loop_due < due):
                    if loop_due > target:
                        break
                    self._set_base(max(loop_due, self.now()))
                    fired += 1
                    link.fire_next()  # type: ignore[union-attr]
                    continue
                if due is None or due > target:
                    break
                _, _, timer = heapq.heappop(self._timers)
                self._set_base(due)
                fired += 1
                timer._fire()
        finally:
            self._firing = False
        if only is None:
            self._set_base(target)
        return self.now()

    def __repr__(self) -> str:
        mode = "ticking" if self._tick else "frozen"
        state = "running" if self._running else "stopped"
        pending = sum(1 for _, _, timer in self._timers if timer.pending)
        timers = f", {pending} pending timer{'s' * (pending != 1)}" if pending else ""
        return f"<Clock {self.now().isoformat()} {mode}, {state}{timers}>"


def _given(delta: object, **units: float) -> str:
    parts = [] if delta is None else [repr(delta)]
    parts += [f"{name}={value!r}" for name, value in units.items() if value]
    return ", ".join(parts) or "0"


def _refuse_other_time_tools() -> None:
    api = sys.modules.get("freezegun.api")
    if api is not None and getattr(api, "freeze_factories", None):
        raise RuntimeError(
            "freezegun's freeze_time() is active; a fixturekit Clock cannot run at the same "
            "time. Stop freeze_time first, or replace it with the Clock"
        )
    machine = sys.modules.get("time_machine")
    if machine is not None and getattr(machine, "traveller_stack", None):
        raise RuntimeError(
            "time-machine's travel() is active; a fixturekit Clock cannot run at the same "
            "time. Stop travel() first, or replace it with the Clock"
        )
