"""Event and Timeline: the side effects of every fake, in order, stamped with clock time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from fixturekit.clock import Clock

__all__ = ["Event", "Timeline"]


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
