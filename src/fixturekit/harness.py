"""Fake, Timeline and Harness: what every fake, ours and yours, stands on.

```python
import fixturekit as fk

class FakeSMS(fk.Fake):
    name = "sms"

    def reset(self) -> None:
        self.sent = []

    def send(self, to: str, body: str) -> None:
        self.sent.append((to, body))
        self.record(f"sms to {to}: {body}")

with fk.Harness(clock=fk.Clock("2024-01-01"), fakes=[FakeSMS()]) as h:
    h["sms"].send("+15550100", "hi")
    print(h.timeline)
```
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeVar

from fixturekit._lifecycle import Lifecycle
from fixturekit.clock import Clock

__all__ = ["Event", "Fake", "Harness", "Timeline"]

F = TypeVar("F", bound="Fake")

#: Names a fake cannot take because the Harness uses them itself.
RESERVED_NAMES = frozenset(
    {"add", "clock", "fakes", "get", "running", "start", "stop", "timeline", "names"}
)


@dataclass(frozen=True)
class Event:
    """One side effect recorded on a `Timeline`."""

    at: datetime
    source: str
    message: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.at.isoformat()} [{self.source}] {self.message}"


class Timeline:
    """The side effects of every fake, in the order they happened, stamped with clock time.

    Prints as a table: ``print(harness.timeline)``.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        if clock is not None and not isinstance(clock, Clock):
            raise TypeError(f"clock must be a fixturekit.Clock, not {type(clock).__name__}")
        self.clock = clock if clock is not None else Clock(patch=False)
        self._events: list[Event] = []

    def record(self, source: str, message: str, /, **data: Any) -> Event:
        """Add an event from ``source`` (a fake's name) at the clock's current time."""
        if not isinstance(source, str) or not source:
            raise TypeError(f"source must be a non-empty str, not {source!r}")
        if not isinstance(message, str):
            raise TypeError(f"message must be a str, not {type(message).__name__}")
        event = Event(self.clock.now(), source, message, MappingProxyType(dict(data)))
        self._events.append(event)
        return event

    @property
    def events(self) -> tuple[Event, ...]:
        return tuple(self._events)

    def filter(self, source: str | None = None, *, contains: str | None = None) -> list[Event]:
        """Events from ``source`` and/or whose message contains ``contains``."""
        return [
            event
            for event in self._events
            if (source is None or event.source == source)
            and (contains is None or contains in event.message)
        ]

    def messages(self, source: str | None = None) -> list[str]:
        """The messages, in order, optionally only those of one source."""
        return [event.message for event in self.filter(source)]

    def clear(self) -> None:
        self._events.clear()

    def __iter__(self) -> Iterator[Event]:
        return iter(tuple(self._events))

    def __len__(self) -> int:
        return len(self._events)

    def format(self) -> str:
        """The events as an aligned text table (what ``str(timeline)`` gives)."""
        if not self._events:
            return "(timeline is empty: no fake recorded anything)"
        rows = [("time", "source", "event")]
        rows += [(e.at.isoformat(), e.source, e.message) for e in self._events]
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}".rstrip() for a, b, c in rows]
        lines.insert(1, f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * 5}")
        return "\n".join(lines)

    __str__ = format

    def __repr__(self) -> str:
        return f"<Timeline {len(self._events)} events>"


class Fake(Lifecycle):
    """Base class of every fake.

    A fake has a `name` (a class attribute, such as ``"sms"``), a `clock`
    and a `timeline`. Used on its own it gets a private virtual clock, starting at
    the real time and moving only when advanced (it never patches the process's time),
    and a timeline of its own; inside a `Harness` it shares the harness's.

    Override `reset` to clear recorded state, and `on_start` /
    `on_stop` to acquire and release resources (servers, patches). A fake is a
    context manager: ``with FakeSMS() as sms: ...``.
    """

    #: The fake's name: its attribute on a Harness and its pytest fixture's name. Set it
    #: on the class; an instance may override it (``sms.name = "backup_sms"``).
    name: str = ""

    _clock: Clock | None = None
    _timeline: Timeline | None = None
    _running: bool = False

    def __init__(self, *, clock: Clock | None = None, timeline: Timeline | None = None) -> None:
        self.attach(clock=clock, timeline=timeline)
        self.reset()

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
        """Forget everything recorded; override it (and call ``super().reset()``)."""

    def on_start(self) -> None:
        """Acquire resources when the fake is entered; override as needed."""

    def on_stop(self) -> None:
        """Release what `on_start` acquired; runs even when the test failed."""

    def start(self: F) -> F:
        if self._running:
            raise RuntimeError(f"{self!r} is already running; enter a fake once at a time")
        self.on_start()
        self._running = True
        return self

    def stop(self) -> None:
        if not self._running:
            raise RuntimeError(f"{self!r} is not running; stop() follows start()")
        self._running = False
        self.on_stop()

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


class Harness(Lifecycle):
    """Runs a clock and a set of fakes together, on one clock and one timeline.

    ``with Harness(clock=Clock("2024-01-01"), fakes=[FakeSMS()]) as h:`` starts the
    clock (unless it already runs, then it is only shared), attaches every fake to it
    and to `timeline`, and enters the fakes in order. Leaving exits them in
    reverse order, every one of them even when some fail, then stops the clock if the
    harness started it. Fakes are reachable by name: ``h.sms`` or ``h["sms"]``.
    """

    def __init__(
        self,
        clock: Clock | None = None,
        fakes: Iterable[Fake] = (),
        *,
        timeline: Timeline | None = None,
    ) -> None:
        if clock is not None and not isinstance(clock, Clock):
            raise TypeError(
                f"clock must be a fixturekit.Clock, not {type(clock).__name__}; "
                "write Harness(clock=Clock('2024-01-01'))"
            )
        if isinstance(fakes, Fake) or not isinstance(fakes, Iterable):
            raise TypeError("fakes must be a list of fake instances, e.g. fakes=[FakeSMS()]")
        self.clock = clock if clock is not None else Clock()
        if timeline is not None and not isinstance(timeline, Timeline):
            raise TypeError(
                f"timeline must be a fixturekit.Timeline, not {type(timeline).__name__}"
            )
        self.timeline = timeline if timeline is not None else Timeline(self.clock)
        self._fakes: dict[str, Fake] = {}
        self._stack: ExitStack | None = None
        for fake in fakes:
            self._register(fake)

    # --- access ------------------------------------------------------------------

    @property
    def fakes(self) -> tuple[Fake, ...]:
        return tuple(self._fakes.values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._fakes)

    @property
    def running(self) -> bool:
        return self._stack is not None

    def get(self, name: str) -> Fake | None:
        return self._fakes.get(name)

    def __getitem__(self, name: str) -> Fake:
        try:
            return self._fakes[name]
        except KeyError:
            raise KeyError(f"this harness has no fake named {name!r}; {self._known()}") from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._fakes[name]
        except KeyError:
            raise AttributeError(
                f"this harness has no fake named {name!r}; {self._known()}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._fakes

    def _known(self) -> str:
        if not self._fakes:
            return "it has no fakes (pass fakes=[...] or call add())"
        return "it has: " + ", ".join(sorted(self._fakes))

    # --- composition ---------------------------------------------------------------

    def add(self, fake: F) -> F:
        """Add a fake; if the harness is running, the fake is attached and entered now."""
        self._register(fake)
        if self._stack is not None:
            try:
                self._enter_fake(self._stack, fake)
            except BaseException:
                del self._fakes[fake.name]
                raise
        return fake

    def _register(self, fake: Fake) -> None:
        if isinstance(fake, type) and issubclass(fake, Fake):
            raise TypeError(
                f"pass a fake instance, not the class: {fake.__name__}() instead of {fake.__name__}"
            )
        if not isinstance(fake, Fake):
            raise TypeError(
                f"fakes must be fixturekit.Fake instances, not {type(fake).__name__} ({fake!r})"
            )
        if not fake.name:
            raise ValueError(
                f"{type(fake).__name__} has no name; set a class attribute such as name = 'sms'"
            )
        check_fake_name(fake.name, f"{type(fake).__name__}.name")
        if fake.name in self._fakes:
            other = self._fakes[fake.name]
            raise ValueError(
                f"two fakes are named {fake.name!r} ({other!r} and {fake!r}); "
                "a harness holds one fake per name"
            )
        self._fakes[fake.name] = fake

    def _enter_fake(self, stack: ExitStack, fake: Fake) -> None:
        fake.attach(clock=self.clock, timeline=self.timeline)
        stack.enter_context(fake)

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> Harness:
        if self._stack is not None:
            raise RuntimeError("this Harness is already running; enter it once at a time")
        with ExitStack() as stack:
            if not self.clock.running:
                stack.enter_context(self.clock)
            for fake in self._fakes.values():
                self._enter_fake(stack, fake)
            self._stack = stack.pop_all()
        return self

    def stop(self) -> None:
        if self._stack is None:
            raise RuntimeError("this Harness is not running; stop() follows start()")
        stack, self._stack = self._stack, None
        stack.close()

    def __repr__(self) -> str:
        names = ", ".join(self._fakes) or "no fakes"
        return f"<Harness {self.clock!r} [{names}]{' running' if self.running else ''}>"
