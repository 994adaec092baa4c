"""Handler: the function that performs a job, and its retry policy (backoff on the clock)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fixturekit.clock import to_delta

__all__ = ["BackoffLike", "Handler", "check_backoff", "check_delay", "check_retry_on"]

BackoffLike = timedelta | float | Sequence[timedelta | float] | Callable[[int], timedelta | float]

_ZERO = timedelta(0)


def check_delay(value: object, what: str) -> timedelta:
    """``value`` (seconds or a timedelta) as a timedelta; negative ones are refused."""
    delta = to_delta(value, what)
    if delta < _ZERO:
        raise ValueError(f"{what} must not be negative, got {value!r}; use 0 for 'now'")
    return delta


@dataclass(frozen=True)
class Handler:
    """A registered job handler and its retry policy (see `FakeQueue.handler`).

    Attributes:
        name: the job name it performs.
        fn: the function.
        max_retries: how many times a failed job is tried again.
        backoff: the wait before each retry.
        retry_on: the exceptions that are retried.
        takes_payload: whether ``fn`` takes the payload.
        takes_job: whether ``fn`` has a ``job`` parameter.
    """

    name: str
    fn: Callable[..., Any]
    max_retries: int
    backoff: BackoffLike
    retry_on: tuple[type[BaseException], ...]
    takes_payload: bool
    takes_job: bool

    @classmethod
    def make(
        cls,
        name: str,
        fn: object,
        *,
        max_retries: int,
        backoff: BackoffLike,
        retry_on: tuple[type[BaseException], ...],
    ) -> Handler:
        """A handler for ``fn``, its signature checked (the payload, optionally ``job``)."""
        if not callable(fn):
            raise TypeError(f"handler {name!r} must be a function, not {fn!r}")
        takes_payload, takes_job = _introspect(fn, name)
        return cls(name, fn, max_retries, backoff, retry_on, takes_payload, takes_job)

    def delay_before(self, retry: int) -> timedelta:
        """How long to wait before retry number ``retry`` (1 for the first retry)."""
        backoff = self.backoff
        if callable(backoff):
            value = backoff(retry)
            try:
                return check_delay(value, f"backoff({retry}) of handler {self.name!r}")
            except TypeError:
                raise TypeError(
                    f"the backoff function of handler {self.name!r} returned {value!r} for "
                    f"retry {retry}; it must return a timedelta or a number of seconds"
                ) from None
        if isinstance(backoff, (timedelta, int, float)):
            return to_delta(backoff, "backoff")
        steps = list(backoff)
        return to_delta(steps[min(retry, len(steps)) - 1], "backoff")


def check_backoff(value: object) -> BackoffLike:
    """``backoff=`` as `FakeQueue.handler` takes it: seconds, a timedelta, a list or a
    function of the retry number."""
    if isinstance(value, bool):
        raise TypeError(f"backoff must be seconds, a timedelta, a list or a function, not {value}")
    if isinstance(value, (timedelta, int, float)):
        check_delay(value, "backoff")
        return value
    if callable(value):
        return value  # type: ignore[return-value,unused-ignore]
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError("backoff=[] is empty; give at least one delay, e.g. backoff=[10, 60]")
        for step in value:
            check_delay(step, "each backoff step")
        return list(value)
    raise TypeError(
        "backoff must be a number of seconds, a timedelta, a list of them (one per retry, "
        f"the last repeating) or a function of the retry number, not {value!r}"
    )


def check_retry_on(value: object) -> tuple[type[BaseException], ...]:
    """``retry_on=``: an exception class or a tuple of them."""
    if isinstance(value, type) and issubclass(value, BaseException):
        return (value,)
    if isinstance(value, tuple) and all(
        isinstance(t, type) and issubclass(t, BaseException) for t in value
    ):
        return value
    raise TypeError(f"retry_on must be an exception class or a tuple of them, not {value!r}")


def _introspect(fn: Callable[..., Any], name: str) -> tuple[bool, bool]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True, False
    takes_job = any(
        p.name == "job" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params
    )
    positional = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.name != "job"
        and p.default is p.empty
    ]
    varargs = any(p.kind == p.VAR_POSITIONAL for p in params)
    if len(positional) > 1:
        raise TypeError(
            f"handler {name!r} ({getattr(fn, '__qualname__', fn)!r}) takes "
            f"{len(positional)} positional arguments; a handler takes the payload (one "
            "argument) and optionally job=, e.g. def send_welcome(payload, job): ..."
        )
    return bool(positional) or varargs, takes_job
