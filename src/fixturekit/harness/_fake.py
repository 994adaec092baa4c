"""Fake: the base class of every fake, ours and yours (see ``fixturekit.harness``)."""

from __future__ import annotations

import keyword
from datetime import datetime
from typing import Any, TypeVar

from fixturekit._internal.lifecycle import Lifecycle
from fixturekit.clock import Clock
from fixturekit.errors import StrictModeError
from fixturekit.harness._timeline import Event, Timeline

__all__ = ["RESERVED_NAMES", "Fake", "check_fake_name"]

F = TypeVar("F", bound="Fake")

#: Names a fake cannot take because the Harness uses them itself.
RESERVED_NAMES = frozenset(
    {"add", "clock", "fakes", "get", "running", "start", "stop", "timeline", "names"}
)


class _FakeType(type):
    """Calls ``reset()`` once the whole ``__init__`` chain has finished.

    So a subclass may set its state in ``__init__`` (before or after
    ``super().__init__()``) and clear it in ``reset()``, or make it in ``reset()``
    alone: ``reset()`` never runs on a half-built fake.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        fake = super().__call__(*args, **kwargs)
        fake.reset()
        return fake


class Fake(Lifecycle, metaclass=_FakeType):
    """Base class of every fake.

    A fake has a `name` (a class attribute, such as ``"sms"``), a `clock`
    and a `timeline`. Used on its own it gets a private virtual clock, starting at
    the real time and moving only when advanced (it never patches the process's time),
    and a timeline of its own; inside a `Harness` it shares the harness's.

    The contract a subclass follows:

    * `reset` forgets what was recorded and keeps the configuration (routes,
      handlers, webhook endpoints, running servers). It runs once construction has
      finished (never on a half-built fake) and whenever a test asks for a clean slate;
      state may be made in ``__init__`` or in `reset` itself.
    * `on_start` / `on_stop` acquire and release resources (servers, patches);
      `on_stop` runs even when the test failed.
    * `exit_problems` lists what is wrong at exit (strict mode's "mails no assertion
      looked at"). The base class raises `fixturekit.errors.StrictModeError` with them
      when the fake stops, unless the ``with`` block raised or the test already failed
      (`skip_exit_checks`): the test's own error is what you need to read.

    A fake is a context manager: ``with FakeSMS() as sms: ...``.

    Args:
        clock: the clock to follow (default: a private one that does not patch time).
        timeline: the timeline to record on (default: a private one).
        strict: whether `exit_problems` reports what no assertion looked at.
    """

    #: The fake's name: its attribute on a Harness and its pytest fixture's name. Set it
    #: on the class; an instance may override it (``sms.name = "backup_sms"``).
    name: str = ""

    _clock: Clock | None = None
    _timeline: Timeline | None = None
    _running: bool = False
    _skip_checks: bool = False
    strict: bool = False

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        timeline: Timeline | None = None,
        strict: bool = False,
    ) -> None:
        if not isinstance(strict, bool):
            raise TypeError(f"strict must be True or False, not {strict!r}")
        self.strict = strict
        self.attach(clock=clock, timeline=timeline)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name", "")
        if name and not isinstance(name, property):
            check_fake_name(name, f"{cls.__qualname__}.name")

    # --- wiring ------------------------------------------------------------------

    def attach(self, *, clock: Clock | None = None, timeline: Timeline | None = None) -> None:
        """Make the fake follow ``clock`` and record to ``timeline`` (what Harness does)."""
        if clock is not None and not isinstance(clock, Clock):
            raise TypeError(f"clock must be a fixturekit.Clock, not {type(clock).__name__}")
        if timeline is not None and not isinstance(timeline, Timeline):
            raise TypeError(
                f"timeline must be a fixturekit.Timeline, not {type(timeline).__name__}"
            )
        if clock is not None:
            self._clock = clock
        if timeline is not None:
            self._timeline = timeline

    @property
    def clock(self) -> Clock:
        if self._clock is None:
            self._clock = Clock(patch=False)
        return self._clock

    @property
    def timeline(self) -> Timeline:
        if self._timeline is None:
            self._timeline = Timeline(self.clock)
        return self._timeline

    @property
    def running(self) -> bool:
        return self._running

    def now(self) -> datetime:
        """The fake's clock time (aware UTC)."""
        return self.clock.now()

    def record(self, message: str, /, **data: Any) -> Event:
        """Record a side effect on the timeline, under this fake's name."""
        return self.timeline.record(self.name or type(self).__name__, message, **data)

    # --- lifecycle ---------------------------------------------------------------

    def reset(self) -> None:
        """Forget what was recorded, keep the configuration; override it (and call
        ``super().reset()``)."""

    def on_start(self) -> None:
        """Acquire resources when the fake is entered; override as needed."""

    def on_stop(self) -> None:
        """Release what `on_start` acquired; runs even when the test failed."""

    def exit_problems(self) -> list[str]:
        """What is wrong as the fake stops, one line each (override; none by default).

        Strict fakes list what no assertion looked at. Not called when the ``with``
        block raised or `skip_exit_checks` was called.
        """
        return []

    def skip_exit_checks(self) -> None:
        """Do not report `exit_problems` when the fake stops this time.

        Leaving a ``with`` block on an exception does this by itself; the pytest
        fixtures call it when the test already failed, so only the real failure shows.
        """
        self._skip_checks = True

    def start(self: F) -> F:
        if self._running:
            raise RuntimeError(f"{self!r} is already running; enter a fake once at a time")
        self._skip_checks = False
        self.on_start()
        self._running = True
        return self

    def stop(self) -> None:
        __tracebackhide__ = True
        if not self._running:
            raise RuntimeError(f"{self!r} is not running; stop() follows start()")
        self._running = False
        skip, self._skip_checks = self._skip_checks, False
        self.on_stop()
        if skip:
            return
        problems = self.exit_problems()
        if problems:
            raise StrictModeError(f"{type(self).__name__} at exit: " + "\n".join(problems))

    def _block_raised(self) -> None:
        self._skip_checks = True

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"<{type(self).__name__}{label}{' running' if self._running else ''}>"


def check_fake_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"{what} must be a Python identifier such as 'sms', not {name!r}")
    if name in RESERVED_NAMES or name.startswith("_"):
        raise ValueError(
            f"{what} {name!r} is taken by Harness itself or private; "
            f"pick another name (reserved: {', '.join(sorted(RESERVED_NAMES))})"
        )
    return name
