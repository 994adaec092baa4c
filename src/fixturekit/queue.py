"""FakeQueue: an in-memory job queue on the shared clock, with handlers, retries and Celery.

```python
from fixturekit.queue import FakeQueue

with FakeQueue() as queue:

    @queue.handler("send_welcome", max_retries=2, backoff=[10, 60])
    def send_welcome(payload):
        ...

    queue.push("send_welcome", {"user_id": 1}, delay=30)
    queue.assert_pushed("send_welcome", payload={"user_id": 1})
    queue.run_all()  # advances the clock 30 s and runs the job
```

Payloads are checked the way a broker's JSON serializer would treat them: anything that
would not come back identical (datetimes, sets, tuples, UUIDs, ORM instances, non-string
keys) is refused at push time, naming the path of the offending value. Handlers receive
the round-tripped copy, never the caller's objects.

This module is ``fixturekit.queue``; it never shadows the standard library's ``queue``.
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import heapq
import inspect
import itertools
import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from types import TracebackType
from typing import Any, Literal, ParamSpec, TypeVar, overload

from fixturekit._internal.matching import explain, filter_matching
from fixturekit.clock import Clock, Timer, to_delta, to_utc
from fixturekit.harness import Fake, Timeline

P = ParamSpec("P")

__all__ = [
    "FakeQueue",
    "Job",
    "JobFailed",
    "JobState",
    "PayloadError",
    "RunawayJobsError",
]

R = TypeVar("R")
H = TypeVar("H", bound=Callable[..., Any])

#: The states of a `Job`: waiting (possibly for a retry), running, done, or failed for good.
JobState = Literal["pending", "running", "succeeded", "failed", "expired"]

_ZERO = timedelta(0)
_DEFAULT_MAX_STEPS = 10_000
_MAX_NESTING = 100
_MAX_DEPTH = 200

#: The job whose handler is running in this thread/task (pushes made by it get it as parent).
_running_job: ContextVar[Job | None] = ContextVar("fixturekit_queue_running_job", default=None)


# --- argument checking ----------------------------------------------------------------------


def _keywords(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn Python's "unexpected keyword argument" into an error listing the valid names."""
    signature = inspect.signature(fn)
    valid = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
    ]

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except TypeError as exc:
            tb = exc.__traceback__
            if tb is None or tb.tb_next is not None:
                raise  # raised inside fn, not by the call itself
            unknown = [name for name in kwargs if name not in valid]
            if not unknown:
                raise
            close = difflib.get_close_matches(unknown[0], valid, n=1)
            hint = f" (did you mean {close[0]}=?)" if close else ""
            raise TypeError(
                f"{fn.__name__}() got an unexpected keyword argument {unknown[0]!r}{hint}; "
                f"its keyword arguments are: {', '.join(valid)}"
            ) from None

    return wrapper


def _check_name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{what} must be a non-empty str such as 'send_welcome', not {value!r}")
    return value


def _check_positive_int(value: object, what: str, *, zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero else 1):
        least = "0 or more" if zero else "1 or more"
        raise ValueError(f"{what} must be an int, {least}, not {value!r}")
    return value


def _check_delay(value: object, what: str) -> timedelta:
    delta = to_delta(value, what)
    if delta < _ZERO:
        raise ValueError(f"{what} must not be negative, got {value!r}; use 0 for 'now'")
    return delta


# --- payloads ----------------------------------------------------------------------------------


class PayloadError(TypeError):
    """A payload that would not survive the broker's serializer unchanged.

    ``path`` is where the offending value sits, such as ``payload['user']['created_at']``.
    """

    def __init__(self, message: str, *, path: str, value: Any) -> None:
        super().__init__(message)
        self.path = path
        self.value = value


class _Bad(Exception):
    """Raised while walking a payload; collects the path on the way out."""

    def __init__(self, value: Any, problem: str, hint: str) -> None:
        self.value = value
        self.problem = problem
        self.hint = hint
        self.keys: list[str] = []


def _hint_for(value: Any) -> tuple[str, str]:
    """What is wrong with ``value`` in JSON, and how to send it instead."""
    from datetime import date, time

    kind = type(value)
    name = kind.__qualname__
    if kind.__module__ not in ("builtins",):
        name = f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(value, Enum):
        return (
            f"is an enum member ({name}); JSON has no enums and the handler would get a "
            "plain value",
            "send member.value (or member.name)",
        )
    if isinstance(value, (datetime, date, time)):
        return (
            f"is a {name}; JSON has no dates or times",
            "send value.isoformat() and parse it in the handler",
        )
    if isinstance(value, (set, frozenset)):
        return (
            f"is a {kind.__name__}; JSON has no sets",
            "send a list, e.g. sorted(value)",
        )
    if isinstance(value, tuple):
        return (
            f"is a {name}; JSON has no tuples, so the handler would get a list",
            "send a list",
        )
    if isinstance(value, (bytes, bytearray, memoryview)):
        return (
            f"is {kind.__name__}; JSON has no bytes",
            "send base64.b64encode(value).decode() and decode it in the handler",
        )
    if isinstance(value, float):
        return (
            f"is {value!r}; JSON has no NaN or Infinity (brokers reject or mangle them)",
            "send None or a string",
        )
    if isinstance(value, (str, int, dict, list)):
        return (
            f"is a {name}, a subclass of {kind.__mro__[1].__name__}; after JSON the handler "
            f"would get a plain {kind.__mro__[1].__name__}",
            "convert it to the plain type first",
        )
    if hasattr(value, "_sa_instance_state"):
        return (
            f"is a SQLAlchemy model instance ({name}); a broker cannot carry a database row",
            "send its primary key (e.g. user.id) and load the row in the handler",
        )
    if hasattr(value, "model_dump") and hasattr(type(value), "model_fields"):
        return (
            f"is a pydantic model ({name})",
            "send value.model_dump(mode='json')",
        )
    if hasattr(type(value), "__dataclass_fields__"):
        return (
            f"is a dataclass instance ({name})",
            "send a dict of JSON values, e.g. dataclasses.asdict(value) with dates as strings",
        )
    if name in ("decimal.Decimal", "uuid.UUID"):
        return (f"is a {name}; JSON has no {kind.__name__}", "send str(value)")
    return (
        f"is a {name}",
        "only dict (with str keys), list, str, int, float, bool and None survive a JSON round trip",
    )


def _json_copy(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` as JSON would give it back; `_Bad` if it would not be identical."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        problem, hint = _hint_for(value)
        raise _Bad(value, problem, hint)
    if depth > _MAX_DEPTH:
        raise _Bad(
            value,
            f"is nested more than {_MAX_DEPTH} levels deep (does it contain itself?)",
            "send a flatter payload",
        )
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                bad = _Bad(
                    key,
                    f"has the key {key!r} ({type(key).__name__}); JSON object keys are "
                    f"strings, so the handler would get {_json_key(key)!r}",
                    "use str keys",
                )
                raise bad
            try:
                out[key] = _json_copy(item, depth + 1)
            except _Bad as bad:
                bad.keys.append(f"[{key!r}]")
                raise
        return out
    if kind is list:
        copied = []
        for index, item in enumerate(value):
            try:
                copied.append(_json_copy(item, depth + 1))
            except _Bad as bad:
                bad.keys.append(f"[{index}]")
                raise
        return copied
    problem, hint = _hint_for(value)
    raise _Bad(value, problem, hint)


def _json_key(key: Any) -> str:
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    return str(key)


def _payload_error(job_name: str, root: str, bad: _Bad) -> PayloadError:
    path = root + "".join(reversed(bad.keys))
    shown = repr(bad.value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return PayloadError(
        f"job {job_name!r}: {path} {bad.problem} (value: {shown}). A real broker serializes "
        f"payloads, so this job would not reach its handler as pushed: {bad.hint}",
        path=path,
        value=bad.value,
    )


def check_payload(payload: Any, *, name: str = "job") -> Any:
    """Return the copy of ``payload`` a JSON broker would deliver, or raise `PayloadError`."""
    try:
        return _json_copy(payload)
    except _Bad as bad:
        raise _payload_error(name, "payload", bad) from None


# --- jobs ----------------------------------------------------------------------------------------


class Job:
    """One pushed job. Compare fields in tests, or pass them to ``assert_pushed``.

    Attributes:
        id: ``job-1``, ``job-2``... (a Celery job keeps its task id).
        name: the job's name (for Celery, the task name).
        payload: what the handler receives: the JSON round-tripped copy of what was pushed.
        queue: the queue it was pushed on.
        pushed_at: clock time of the push (for a commit-gated job, of the commit).
        eta: clock time from which it may run; after a failure, the time of its retry.
        delay: ``eta - pushed_at`` as pushed (retries do not change it).
        attempts: how many times its handler ran so far.
        state: ``pending``, ``running``, ``succeeded``, ``failed`` or ``expired``.
        result: what the handler returned, once it succeeded.
        error: the last exception its handler raised, or None.
        errors: every exception its handler raised, one per failed attempt.
        parent: the job whose handler pushed this one, or None.
    """

    __slots__ = (
        "_seen",
        "_seq",
        "attempts",
        "delay",
        "error",
        "errors",
        "eta",
        "expires",
        "finished_at",
        "id",
        "kind",
        "name",
        "options",
        "parent",
        "payload",
        "pushed_at",
        "queue",
        "result",
        "state",
    )

    def __init__(
        self,
        *,
        id: str,
        name: str,
        payload: Any,
        queue: str,
        pushed_at: datetime,
        eta: datetime,
        parent: Job | None = None,
        kind: str = "job",
        expires: datetime | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.id = id
        self.name = name
        self.payload = payload
        self.queue = queue
        self.pushed_at = pushed_at
        self.eta = eta
        self.delay = eta - pushed_at
        self.parent = parent
        self.kind = kind
        self.expires = expires
        self.options: dict[str, Any] = options if options is not None else {}
        self.attempts = 0
        self.state: JobState = "pending"
        self.result: Any = None
        self.error: BaseException | None = None
        self.errors: list[BaseException] = []
        self.finished_at: datetime | None = None
        self._seq = 0
        self._seen = False

    @property
    def args(self) -> list[Any] | None:
        """A Celery job's positional arguments (None for a plain job)."""
        if self.kind != "celery":
            return None
        args: list[Any] = self.payload["args"]
        return args

    @property
    def kwargs(self) -> dict[str, Any] | None:
        """A Celery job's keyword arguments (None for a plain job)."""
        if self.kind != "celery":
            return None
        kwargs: dict[str, Any] = self.payload["kwargs"]
        return kwargs

    @property
    def retries(self) -> int:
        """How many times it was retried (``attempts - 1`` once it ran)."""
        return max(self.attempts - 1, 0)

    def chain(self) -> list[Job]:
        """This job and its ancestors, oldest first: who pushed whom."""
        chain: list[Job] = []
        job: Job | None = self
        while job is not None and len(chain) < 1000:
            chain.append(job)
            job = job.parent
        return chain[::-1]

    def describe(self) -> str:
        """One line: name, id, queue, payload, state and timing."""
        payload = repr(self.payload)
        if len(payload) > 120:
            payload = payload[:117] + "..."
        parts = [f"{self.name!r} ({self.id}) on {self.queue!r}", f"payload={payload}"]
        if self.delay:
            parts.append(f"delay={_human(self.delay)}")
        parts.append(self.state)
        if self.attempts:
            parts.append(f"{self.attempts} attempt{'s' * (self.attempts != 1)}")
        if self.error is not None:
            parts.append(f"last error {type(self.error).__name__}: {self.error}")
        return ", ".join(parts)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.name!r} queue={self.queue!r} {self.state}>"


def _human(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{seconds}s"


class JobFailed(Exception):
    """A job failed for good (no retries left). ``job`` holds it; the cause is its error."""

    def __init__(self, job: Job) -> None:
        error = job.error
        what = f"{type(error).__name__}: {error}" if error is not None else "an error"
        tries = f"{job.attempts} attempt{'s' * (job.attempts != 1)}"
        super().__init__(
            f"job {job.name!r} ({job.id}) failed after {tries}: {what}. It is in queue.failed; "
            "pass raise_failures=False to run_all()/run_due()/run() to go on instead"
        )
        self.job = job


class RunawayJobsError(RuntimeError):
    """``run_all``/``run_due`` ran ``max_steps`` jobs and jobs were still coming."""


# --- handlers ---------------------------------------------------------------------------------


BackoffLike = timedelta | float | Sequence[timedelta | float] | Callable[[int], timedelta | float]


@dataclass(frozen=True)
class Handler:
    """A registered job handler and its retry policy."""

    name: str
    fn: Callable[..., Any]
    max_retries: int
    backoff: BackoffLike
    retry_on: tuple[type[BaseException], ...]
    takes_payload: bool
    takes_job: bool

    def delay_before(self, retry: int) -> timedelta:
        """How long to wait before retry number ``retry`` (1 for the first retry)."""
        backoff = self.backoff
        if callable(backoff):
            value = backoff(retry)
            try:
                return _check_delay(value, f"backoff({retry}) of handler {self.name!r}")
            except TypeError:
                raise TypeError(
                    f"the backoff function of handler {self.name!r} returned {value!r} for "
                    "retry {retry}; it must return a timedelta or a number of seconds"
                ) from None
        if isinstance(backoff, (timedelta, int, float)):
            return to_delta(backoff, "backoff")
        steps = list(backoff)
        return to_delta(steps[min(retry, len(steps)) - 1], "backoff")


def _check_backoff(value: object) -> BackoffLike:
    if isinstance(value, bool):
        raise TypeError(f"backoff must be seconds, a timedelta, a list or a function, not {value}")
    if isinstance(value, (timedelta, int, float)):
        _check_delay(value, "backoff")
        return value
    if callable(value):
        return value  # type: ignore[return-value,unused-ignore]
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError("backoff=[] is empty; give at least one delay, e.g. backoff=[10, 60]")
        for step in value:
            _check_delay(step, "each backoff step")
        return list(value)
    raise TypeError(
        "backoff must be a number of seconds, a timedelta, a list of them (one per retry, "
        f"the last repeating) or a function of the retry number, not {value!r}"
    )


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


# --- the fake --------------------------------------------------------------------------------


class FakeQueue(Fake):
    """An in-memory job queue that runs jobs on demand, on the shared clock.

    Arguments:
        clock: the `fixturekit.Clock` delays, etas and retries follow; without one the
            queue has a private virtual clock starting at the real time (see `Fake`).
        timeline: where pushes and runs are recorded; a harness sets it.
        auto_run: run each job as soon as it is due: at push time, or when the clock
            reaches its eta (for apps that expect synchronous side effects). Payloads are
            still checked.
        strict: when the queue stops, any job that no ``assert_pushed`` looked at fails
            the test, listed.

    Handlers (`handler`) survive `reset`; jobs do not.
    """

    name = "queue"

    @_keywords
    def __init__(
        self,
        *,
        clock: Clock | None = None,
        timeline: Timeline | None = None,
        auto_run: bool = False,
        strict: bool = False,
    ) -> None:
        if not isinstance(auto_run, bool):
            raise TypeError(f"auto_run must be True or False, not {auto_run!r}")
        if not isinstance(strict, bool):
            raise TypeError(f"strict must be True or False, not {strict!r}")
        self.auto_run = auto_run
        self.strict = strict
        self._lock = threading.Lock()
        self._handlers: dict[str, Handler] = {}
        self._celery: dict[int, _CeleryPatch] = {}
        self._commit_gates: dict[int, _CommitGate] = {}
        self._jobs: list[Job] = []
        self._heap: list[tuple[datetime, int, Job]] = []
        self._failed: list[Job] = []
        self._timers: list[Timer] = []
        self._ids = itertools.count(1)
        self._nesting = 0
        super().__init__(clock=clock, timeline=timeline)

    # --- state --------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every job (pushed, staged, failed); handlers stay registered."""
        super().reset()
        with self._lock:
            for timer in self._timers:
                timer.cancel()
            self._timers = []
            self._jobs = []
            self._heap = []
            self._failed = []
            self._ids = itertools.count(1)
            for gate in list(self._commit_gates.values()):
                gate.close()
            self._commit_gates = {}

    @property
    def jobs(self) -> list[Job]:
        """Every job pushed (and, if commit-gated, committed), in push order."""
        with self._lock:
            return list(self._jobs)

    @property
    def pending(self) -> list[Job]:
        """Jobs waiting to run (including retries), earliest eta first."""
        with self._lock:
            waiting = [job for job in self._jobs if job.state == "pending"]
        return sorted(waiting, key=lambda job: (job.eta, job._seq))

    @property
    def failed(self) -> list[Job]:
        """Jobs that failed for good, in the order they failed; each has ``error``."""
        return list(self._failed)

    @property
    def succeeded(self) -> list[Job]:
        """Jobs whose handler returned, in push order."""
        return [job for job in self.jobs if job.state == "succeeded"]

    @property
    def staged(self) -> list[Job]:
        """Commit-gated jobs waiting for their session to commit."""
        return [job for gate in self._commit_gates.values() for job in gate.jobs()]

    @property
    def handlers(self) -> dict[str, Handler]:
        return dict(self._handlers)

    def __len__(self) -> int:
        return len(self._jobs)

    def __iter__(self) -> Iterator[Job]:
        return iter(self.jobs)

    # --- handlers ----------------------------------------------------------------------

    @overload
    def handler(
        self,
        name: str,
        fn: None = None,
        *,
        max_retries: int = 0,
        backoff: BackoffLike = 0,
        retry_on: type[BaseException] | tuple[type[BaseException], ...] = Exception,
        replace: bool = False,
    ) -> Callable[[H], H]: ...

    @overload
    def handler(
        self,
        name: str,
        fn: H,
        *,
        max_retries: int = 0,
        backoff: BackoffLike = 0,
        retry_on: type[BaseException] | tuple[type[BaseException], ...] = Exception,
        replace: bool = False,
    ) -> H: ...

    @_keywords
    def handler(
        self,
        name: str,
        fn: Callable[..., Any] | None = None,
        *,
        max_retries: int = 0,
        backoff: BackoffLike = 0,
        retry_on: type[BaseException] | tuple[type[BaseException], ...] = Exception,
        replace: bool = False,
    ) -> Any:
        """Register the function that performs jobs named ``name``.

        Use as a decorator, ``@queue.handler("send_welcome")``, or call it with the
        function. The handler gets the payload (``def send_welcome(payload)``) and, if it
        has a ``job`` parameter, the `Job`. A handler that raises one of ``retry_on`` is
        retried up to ``max_retries`` times; before retry *n* the job waits
        ``backoff``: seconds or a timedelta (the same each time), a list (one per retry,
        the last repeating) or a function of *n* (``lambda n: 2 ** n``), on the clock.
        """
        _check_name(name, "handler()'s name")
        _check_positive_int(max_retries, "max_retries", zero=True)
        checked_backoff = _check_backoff(backoff)
        if isinstance(retry_on, type) and issubclass(retry_on, BaseException):
            retry_types: tuple[type[BaseException], ...] = (retry_on,)
        elif isinstance(retry_on, tuple) and all(
            isinstance(t, type) and issubclass(t, BaseException) for t in retry_on
        ):
            retry_types = retry_on
        else:
            raise TypeError(
                f"retry_on must be an exception class or a tuple of them, not {retry_on!r}"
            )

        def register(function: H) -> H:
            if not callable(function):
                raise TypeError(f"handler {name!r} must be a function, not {function!r}")
            takes_payload, takes_job = _introspect(function, name)
            if not replace and name in self._handlers:
                other = self._handlers[name].fn
                raise ValueError(
                    f"a handler for {name!r} is already registered "
                    f"({getattr(other, '__qualname__', other)!r}); pass replace=True to swap it"
                )
            self._handlers[name] = Handler(
                name,
                function,
                max_retries,
                checked_backoff,
                retry_types,
                takes_payload,
                takes_job,
            )
            return function

        if fn is not None:
            return register(fn)
        return register

    # --- pushing --------------------------------------------------------------------------

    @_keywords
    def push(
        self,
        name: str,
        payload: Any = None,
        *,
        queue: str = "default",
        delay: timedelta | float | None = None,
        eta: datetime | str | float | None = None,
        after_commit: Any = None,
    ) -> Job:
        """Push a job; returns the `Job`.

        ``payload`` must survive a JSON round trip unchanged (see `PayloadError`).
        ``delay`` (seconds or a timedelta) or ``eta`` (a point in time) hold the job until
        the clock gets there. ``after_commit=session`` (a SQLAlchemy ``Session``,
        ``scoped_session`` or ``AsyncSession``) stages the job until that session's
        transaction commits; a rollback drops it.
        """
        if type(name) is not str or not name:
            _check_name(name, "push()'s name")
        if type(queue) is not str or not queue:
            _check_name(queue, "queue=")
        copy = check_payload(payload, name=name)
        return self._push(name, copy, queue=queue, delay=delay, eta=eta, after_commit=after_commit)

    def _push(
        self,
        name: str,
        payload: Any,
        *,
        queue: str,
        delay: object,
        eta: object,
        after_commit: Any = None,
        kind: str = "job",
        job_id: str | None = None,
        expires: object = None,
        options: dict[str, Any] | None = None,
    ) -> Job:
        now = self.clock.now()
        if eta is not None:
            if delay is not None:
                raise TypeError(
                    f"push({name!r}) got both delay={delay!r} and eta={eta!r}; give one of them"
                )
            due = to_utc(eta, "eta=")
        elif delay is not None:
            due = now + _check_delay(delay, "delay=")
        else:
            due = now
        expires_at: datetime | None = None
        if expires is not None:
            if isinstance(expires, (int, float, timedelta)) and not isinstance(expires, bool):
                expires_at = now + to_delta(expires, "expires=")
            else:
                expires_at = to_utc(expires, "expires=")
        job = Job(
            id=job_id if job_id is not None else f"job-{next(self._ids)}",
            name=name,
            payload=payload,
            queue=queue,
            pushed_at=now,
            eta=due,
            parent=_running_job.get(),
            kind=kind,
            expires=expires_at,
            options=options,
        )
        if after_commit is not None:
            gate = self._gate_for(after_commit)
            if gate.stage(job):
                self.record(
                    f"staged {name!r} ({job.id}) on {queue!r} until {gate.label} commits",
                    job=job.id,
                    name=name,
                    queue=queue,
                )
                return job
        self._land(job, now)
        return job

    def _land(self, job: Job, now: datetime, *, committed: bool = False) -> None:
        """Put a job on the queue (at push time, or when its transaction commits)."""
        if committed:
            # The job exists from the commit on; its delay counts from then.
            delay = job.delay
            job.pushed_at = now
            job.eta = now + delay if delay > _ZERO else max(job.eta, now)
        with self._lock:
            seq = len(self._jobs)
            job._seq = seq
            self._jobs.append(job)
            heapq.heappush(self._heap, (job.eta, seq, job))
        due = f", due {job.eta.isoformat()} (in {_human(job.eta - now)})" if job.eta > now else ""
        self.record(
            f"{'committed' if committed else 'pushed'} {job.name!r} ({job.id}) "
            f"on {job.queue!r}{due}",
            job=job.id,
            name=job.name,
            queue=job.queue,
        )
        if self.auto_run:
            self._auto(job)

    # --- auto_run ------------------------------------------------------------------------

    def _auto(self, job: Job) -> None:
        if job.state != "pending":
            return
        if job.eta > self.clock.now():
            self._timers.append(self.clock.call_at(job.eta, self._auto_fire, job))
            return
        if self._nesting >= _MAX_NESTING:
            raise RunawayJobsError(
                f"auto_run: jobs pushed by jobs nest {_MAX_NESTING} deep; the chain is:\n"
                + _format_chain(job)
            )
        self._nesting += 1
        try:
            self._execute(job, raise_failures=True)
        finally:
            self._nesting -= 1
        if job.state == "pending":  # a retry
            self._auto(job)

    def _auto_fire(self, job: Job) -> None:
        if job.state == "pending" and job.eta <= self.clock.now():
            self._auto(job)

    # --- running ---------------------------------------------------------------------------

    @_keywords
    def run(self, job: Job, *, raise_failures: bool = True) -> Job:
        """Run one job now, whatever its eta; returns it.

        A failure with retries left schedules the retry; a failure for good moves the job
        to `failed` and raises `JobFailed` (unless ``raise_failures=False``).
        """
        if not isinstance(job, Job):
            raise TypeError(f"run() takes a Job (as push() returns it), not {job!r}")
        if job not in self._jobs:
            raise ValueError(f"{job!r} is not on this queue (staged jobs run once committed)")
        if job.state != "pending":
            raise ValueError(
                f"{job!r} is {job.state}; only pending jobs run (push it again to rerun it)"
            )
        self._execute(job, raise_failures=raise_failures)
        return job

    @_keywords
    def run_due(
        self,
        *,
        queue: str | None = None,
        max_steps: int = _DEFAULT_MAX_STEPS,
        raise_failures: bool = True,
    ) -> list[Job]:
        """Run every job due by the clock's current time, in eta order; returns them.

        Jobs pushed by running jobs run too if due now. The clock does not move, so a
        retry with a backoff waits for the clock.
        """
        return self._drain(
            advance=False, queue=queue, max_steps=max_steps, raise_failures=raise_failures
        )

    @_keywords
    def run_all(
        self,
        *,
        queue: str | None = None,
        max_steps: int = _DEFAULT_MAX_STEPS,
        raise_failures: bool = True,
    ) -> list[Job]:
        """Run jobs until none is left, advancing the clock to each delayed job's eta.

        Jobs pushed by running jobs and retries run too. After ``max_steps`` runs,
        raises `RunawayJobsError` showing the chain of jobs that keeps pushing jobs.
        Returns the jobs run, in order (a retried job appears once per attempt).
        """
        return self._drain(
            advance=True, queue=queue, max_steps=max_steps, raise_failures=raise_failures
        )

    def _drain(
        self, *, advance: bool, queue: str | None, max_steps: int, raise_failures: bool
    ) -> list[Job]:
        _check_positive_int(max_steps, "max_steps")
        if queue is not None:
            _check_name(queue, "queue=")
        if not isinstance(raise_failures, bool):
            raise TypeError(f"raise_failures must be True or False, not {raise_failures!r}")
        ran: list[Job] = []
        while True:
            job = self._next(queue, None if advance else self.clock.now())
            if job is None:
                return ran
            if len(ran) >= max_steps:
                raise RunawayJobsError(_runaway_message(job, ran, max_steps, self.pending))
            now = self.clock.now()
            if job.eta > now:
                self.clock.advance(job.eta - now)
                if job.state != "pending":  # a clock timer (auto_run) ran it meanwhile
                    continue
            ran.append(job)
            self._execute(job, raise_failures=raise_failures)

    def _next(self, queue: str | None, due_by: datetime | None) -> Job | None:
        """The earliest pending job (on ``queue``, due by ``due_by``), or None."""
        with self._lock:
            heap = self._heap
            held: list[tuple[datetime, int, Job]] = []
            found: Job | None = None
            while heap:
                eta, _seq, job = heap[0]
                if job.state != "pending" or job.eta != eta:
                    heapq.heappop(heap)  # stale: ran, or rescheduled under another entry
                    continue
                if due_by is not None and eta > due_by:
                    break
                if queue is not None and job.queue != queue:
                    held.append(heapq.heappop(heap))
                    continue
                found = job
                break
            for entry in held:
                heapq.heappush(heap, entry)
            return found

    def _execute(self, job: Job, *, raise_failures: bool) -> None:
        now = self.clock.now()
        if job.expires is not None and now > job.expires:
            job.state = "expired"
            job.finished_at = now
            self.record(f"expired {job.name!r} ({job.id}) unrun", job=job.id, name=job.name)
            return
        perform = self._performer(job)
        job.state = "running"
        job.attempts += 1
        token = _running_job.set(job)
        try:
            result = perform()
            if inspect.isawaitable(result):
                result = _await(result, job)
        except RunawayJobsError:
            job.state = "pending"  # a nested run hit its limit: stop everything, as is
            job.attempts -= 1
            raise
        except Exception as exc:
            outcome = self._failure(job, exc)
            if outcome == "retried":
                return
            if raise_failures:
                raise JobFailed(job) from exc
            return
        finally:
            _running_job.reset(token)
        job.state = "succeeded"
        job.result = result
        job.finished_at = self.clock.now()
        self.record(f"ran {job.name!r} ({job.id})", job=job.id, name=job.name)
        if job.kind == "celery":
            self._celery_after_success(job, result)

    def _performer(self, job: Job) -> Callable[[], Any]:
        """What running ``job`` calls; a LookupError if nothing can perform it."""
        if job.kind == "celery":
            patch = self._celery_patch_for(job)
            if patch is not None and job.name in patch.app.tasks:
                return functools.partial(patch.run, job)
        handler = self._handlers.get(job.name)
        if handler is None:
            known = ", ".join(repr(n) for n in sorted(self._handlers)) or "none"
            close = difflib.get_close_matches(job.name, list(self._handlers), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            if job.kind == "celery":
                hint += (
                    "; it was sent to Celery, so run the queue inside "
                    "`with queue.patch_celery(app):` with the app that has the task"
                )
            raise LookupError(
                f"no handler for job {job.name!r}{hint}; register one with "
                f"@queue.handler({job.name!r}) before running the queue (registered: {known})"
            )
        payload = job.payload
        if not handler.takes_payload:
            if payload is not None:
                raise TypeError(
                    f"handler {job.name!r} takes no payload argument but job {job.id} has "
                    f"payload {payload!r}; give the handler a parameter"
                )
            if handler.takes_job:
                return functools.partial(handler.fn, job=job)
            return handler.fn
        if handler.takes_job:
            return functools.partial(handler.fn, payload, job=job)
        return functools.partial(handler.fn, payload)

    def _failure(self, job: Job, exc: Exception) -> str:
        now = self.clock.now()
        if job.kind == "celery" and _is_celery_retry(exc):
            cause = getattr(exc, "exc", None)
            job.error = cause if isinstance(cause, BaseException) else exc
            job.errors.append(job.error)
            # The task called self.retry(): the patched send_task rescheduled the job.
            if job.state == "pending":
                self.record(
                    f"{job.name!r} ({job.id}) asked for a retry, due {job.eta.isoformat()}",
                    job=job.id,
                    name=job.name,
                )
                return "retried"
        else:
            job.error = exc
            job.errors.append(exc)
        handler = self._handlers.get(job.name) if job.kind != "celery" else None
        if (
            handler is not None
            and job.attempts <= handler.max_retries
            and isinstance(exc, handler.retry_on)
        ):
            wait = handler.delay_before(job.attempts)
            with self._lock:
                job.state = "pending"
                job.eta = now + wait
                heapq.heappush(self._heap, (job.eta, job._seq, job))
            self.record(
                f"{job.name!r} ({job.id}) failed (attempt {job.attempts} of "
                f"{handler.max_retries + 1}): {type(exc).__name__}: {exc}; retry "
                f"{'now' if not wait else 'at ' + job.eta.isoformat()}",
                job=job.id,
                name=job.name,
            )
            if self.auto_run and wait:
                self._timers.append(self.clock.call_at(job.eta, self._auto_fire, job))
            return "retried"
        job.state = "failed"
        job.finished_at = now
        with self._lock:
            self._failed.append(job)
        self.record(
            f"{job.name!r} ({job.id}) failed for good after {job.attempts} "
            f"attempt{'s' * (job.attempts != 1)}: {type(exc).__name__}: {exc}",
            job=job.id,
            name=job.name,
        )
        return "failed"

    # --- assertions --------------------------------------------------------------------------

    def find(self, name: Any = None, **match: Any) -> list[Job]:
        """The jobs matching ``name`` and ``match`` (same matchers as `assert_pushed`)."""
        criteria = self._criteria(name, match, "find")
        return filter_matching(self.jobs, criteria, _job_field)

    def assert_pushed(self, name: Any, *, times: int | None = None, **match: Any) -> Job:
        """Assert a job ``name`` was pushed (with fields matching ``match``); return it.

        ``name`` and each field (``queue``, ``payload``, ``delay``, ``eta``, ``state``,
        ``attempts``, ``args``, ``kwargs``...) take an exact value, a compiled regex or a
        callable. ``delay`` may be given in seconds. With ``times``, exactly that many
        must match. Returns the first matching job.
        """
        __tracebackhide__ = True
        criteria = self._criteria(name, match, "assert_pushed")
        if times is not None:
            _check_positive_int(times, "times")
        jobs = self.jobs
        found = filter_matching(jobs, criteria, _job_field)
        for job in found:
            job._seen = True
        if found and (times is None or len(found) == times):
            return found[0]
        if found:
            assert times is not None
            lines = [
                f"expected {times} job{'s' * (times != 1)} matching "
                f"{_wanted(criteria)}, but {len(found)} were pushed:"
            ]
            lines += [f"  - {job.describe()}" for job in found]
            raise AssertionError("\n".join(lines))
        message = explain("a job", criteria, jobs, Job.describe, get=_job_field)
        staged = filter_matching(self.staged, criteria, _job_field)
        if staged:
            message += (
                f"\n{len(staged)} matching job{'s are' if len(staged) != 1 else ' is'} staged, "
                "waiting for a session to commit (after_commit=): "
                + "; ".join(job.describe() for job in staged)
            )
        raise AssertionError(message)

    def assert_not_pushed(self, name: Any, **match: Any) -> None:
        """Assert no job ``name`` (with fields matching ``match``) was pushed."""
        __tracebackhide__ = True
        criteria = self._criteria(name, match, "assert_not_pushed")
        found = filter_matching(self.jobs, criteria, _job_field)
        if found:
            lines = [f"expected no job matching {_wanted(criteria)}, but {len(found)} pushed:"]
            lines += [f"  - {job.describe()}" for job in found]
            raise AssertionError("\n".join(lines))

    def assert_nothing_pushed(self, *, queue: str | None = None) -> None:
        """Assert no job was pushed at all (or on ``queue``)."""
        __tracebackhide__ = True
        jobs = [job for job in self.jobs if queue is None or job.queue == queue]
        if jobs:
            where = f" on {queue!r}" if queue is not None else ""
            lines = [f"expected nothing pushed{where}, but {len(jobs)} jobs were:"]
            lines += [f"  - {job.describe()}" for job in jobs]
            raise AssertionError("\n".join(lines))

    def assert_pushed_count(self, count: int, *, queue: str | None = None) -> list[Job]:
        """Assert exactly ``count`` jobs were pushed (on ``queue``); return them."""
        __tracebackhide__ = True
        _check_positive_int(count, "count", zero=True)
        jobs = [job for job in self.jobs if queue is None or job.queue == queue]
        if len(jobs) != count:
            where = f" on {queue!r}" if queue is not None else ""
            lines = [f"expected {count} jobs pushed{where}, but {len(jobs)} were:"]
            lines += [f"  - {job.describe()}" for job in jobs]
            raise AssertionError("\n".join(lines))
        for job in jobs:
            job._seen = True
        return jobs

    def _criteria(self, name: Any, match: dict[str, Any], caller: str) -> dict[str, Any]:
        unknown = [key for key in match if key not in _MATCH_FIELDS]
        if unknown:
            close = difflib.get_close_matches(unknown[0], _MATCH_FIELDS, n=1)
            hint = f" (did you mean {close[0]}=?)" if close else ""
            raise TypeError(
                f"{caller}() cannot match on {unknown[0]!r}{hint}; a job's fields are: "
                f"{', '.join(_MATCH_FIELDS)}"
            )
        criteria: dict[str, Any] = {}
        if name is not None:
            criteria["name"] = name
        for key, value in match.items():
            if key == "delay" and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = timedelta(seconds=value)
            elif key in ("eta", "pushed_at") and isinstance(value, str):
                value = to_utc(value, f"{key}=")
            elif callable(value) and not isinstance(value, (type, re.Pattern)):
                value = _tolerant(value)
            criteria[key] = value
        return criteria

    # --- commit-gated pushes -----------------------------------------------------------------

    def _gate_for(self, session: Any) -> _CommitGate:
        real = _resolve_session(session)
        gate = self._commit_gates.get(id(real))
        if gate is None:
            gate = _CommitGate(self, real)
            self._commit_gates[id(real)] = gate
        return gate

    def _gate_closed(self, gate: _CommitGate) -> None:
        if self._commit_gates.get(id(gate.session)) is gate:
            del self._commit_gates[id(gate.session)]

    # --- Celery -----------------------------------------------------------------------------

    def patch_celery(self, app: Any) -> _CeleryPatch:
        """``with queue.patch_celery(app):`` sends the app's tasks here instead of a broker.

        ``task.delay()``, ``task.apply_async(countdown=, eta=, queue=, expires=)``,
        ``app.send_task()`` and canvas chains push Celery jobs (payload
        ``{"args": [...], "kwargs": {...}}``, checked with the app's serializer); the run
        methods execute the real task functions, with ``self.retry()`` scheduled on the
        clock. ``task_always_eager`` is switched off while patched.
        """
        try:
            import celery  # type: ignore[import-untyped,unused-ignore]
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                "patch_celery() needs Celery: pip install 'fixturekit[celery]'"
            ) from None
        if not isinstance(app, celery.Celery):
            raise TypeError(f"patch_celery() takes a celery.Celery app, not {app!r}")
        return _CeleryPatch(self, app)

    def _celery_patch_for(self, job: Job) -> _CeleryPatch | None:
        app_id = job.options.get("app")
        return self._celery.get(app_id) if isinstance(app_id, int) else None

    def _celery_after_success(self, job: Job, result: Any) -> None:
        patch = self._celery_patch_for(job)
        if patch is not None:
            patch.after_success(job, result)

    # --- lifecycle -----------------------------------------------------------------------

    def on_stop(self) -> None:
        for patch in list(self._celery.values()):
            patch.undo()
        for gate in list(self._commit_gates.values()):
            gate.close()
        self._commit_gates = {}
        for timer in self._timers:
            timer.cancel()
        self._timers = []
        if self.strict:
            import sys

            if sys.exc_info()[1] is not None:
                return  # the test already failed; do not hide its error
            unseen = [job for job in self.jobs if not job._seen]
            if unseen:
                lines = [
                    f"strict queue: {len(unseen)} job{'s were' if len(unseen) != 1 else ' was'} "
                    "pushed but no assert_pushed() looked at "
                    f"{'them' if len(unseen) != 1 else 'it'}:"
                ]
                lines += [f"  - {job.describe()}" for job in unseen]
                lines.append("assert them with queue.assert_pushed(...), or drop strict=True")
                raise AssertionError("\n".join(lines))

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        pending = sum(1 for job in self._jobs if job.state == "pending")
        return (
            f"<FakeQueue{label} {len(self._jobs)} jobs, {pending} pending, "
            f"{len(self._failed)} failed{' running' if self.running else ''}>"
        )


#: The fields assert_pushed()/find() match on.
_MATCH_FIELDS = (
    "queue",
    "payload",
    "delay",
    "eta",
    "pushed_at",
    "state",
    "attempts",
    "result",
    "error",
    "id",
    "args",
    "kwargs",
    "parent",
)


def _tolerant(matcher: Callable[[Any], Any]) -> Callable[[Any], bool]:
    """A callable matcher that counts an exception (a job of another shape) as no match."""

    @functools.wraps(matcher)
    def check(value: Any) -> bool:
        try:
            return bool(matcher(value))
        except Exception:
            return False

    return check


def _job_field(job: Any, name: str) -> Any:
    return getattr(job, name, None)


def _wanted(criteria: Mapping[str, Any]) -> str:
    from fixturekit._internal.matching import describe_matcher

    return ", ".join(f"{key}={describe_matcher(value)}" for key, value in criteria.items())


def _await(awaitable: Any, job: Job) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        if hasattr(awaitable, "close"):
            awaitable.close()
        raise RuntimeError(
            f"handler of {job.name!r} is async, and the queue was run from inside a running "
            "event loop; run the queue from synchronous code, or make the handler sync"
        )

    async def wait() -> Any:
        return await awaitable

    return asyncio.run(wait())


def _format_chain(job: Job, limit: int = 12) -> str:
    chain = job.chain()
    shown = chain[-limit:]
    lines = [f"  {'...' if len(chain) > limit else ''}"] if len(chain) > limit else []
    lines += [f"  -> {step.name!r} ({step.id}) payload={step.payload!r}" for step in shown]
    return "\n".join(lines)


def _cycle(names: list[str]) -> list[str] | None:
    """The repeating unit at the end of ``names`` (oldest first), if it repeats 3+ times."""
    for period in range(1, len(names) // 3 + 1):
        tail = names[-3 * period :]
        if all(tail[i] == tail[i + period] for i in range(len(tail) - period)):
            return names[-period:]
    return None


def _runaway_message(job: Job, ran: list[Job], max_steps: int, pending: list[Job]) -> str:
    chain = job.chain()
    names = [step.name for step in chain]
    head = (
        f"stopped after {max_steps} jobs (max_steps={max_steps}) with "
        f"{len(pending)} still pending; "
    )
    cycle = _cycle(names)
    if len(chain) > 1 and cycle is not None:
        if names[0] in cycle:  # start the loop where the chain entered it
            start = cycle.index(names[0])
            cycle = cycle[start:] + cycle[:start]
        loop = " -> ".join(repr(n) for n in [*cycle, cycle[0]])
        return (
            head
            + f"jobs keep pushing jobs in a cycle: {loop} (chain of {len(chain)} so far):\n"
            + _format_chain(job)
            + "\nbreak the cycle in the handler, or raise max_steps= if the chain is finite"
        )
    if len(chain) > 1:
        return (
            head
            + f"the next job descends from a chain of {len(chain)} jobs pushing jobs:\n"
            + _format_chain(job)
            + "\nraise max_steps= if this is expected"
        )
    return head + "pass a larger max_steps= to run this many jobs"


# --- commit gating (SQLAlchemy) ------------------------------------------------------------


def _resolve_session(value: Any) -> Any:
    try:
        from sqlalchemy.orm import Session, scoped_session
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        raise ImportError("after_commit= needs SQLAlchemy: pip install sqlalchemy") from None
    if isinstance(value, scoped_session):
        value = value()
    sync = getattr(value, "sync_session", None)  # AsyncSession
    if isinstance(sync, Session):
        value = sync
    if not isinstance(value, Session):
        raise TypeError(
            "after_commit= takes a SQLAlchemy Session (or scoped_session/AsyncSession) whose "
            f"commit releases the job, not {value!r}"
        )
    return value


class _CommitGate:
    """Holds one session's staged jobs; follows its transactions through events."""

    def __init__(self, queue: FakeQueue, session: Any) -> None:
        from sqlalchemy import event

        self.queue = queue
        self.session = session
        self.label = f"session {type(session).__name__}@{id(session):#x}"
        self._staged: dict[int, tuple[Any, list[Job]]] = {}
        self._committing = False
        self._event = event
        event.listen(session, "after_commit", self._on_commit)
        event.listen(session, "after_transaction_end", self._on_end)
        self._listening = True

    def stage(self, job: Job) -> bool:
        """Hold ``job`` in the session's innermost transaction; False if none is open."""
        session = self.session
        transaction = session.get_nested_transaction() or session.get_transaction()
        if transaction is None or not transaction.is_active:
            return False
        entry = self._staged.setdefault(id(transaction), (transaction, []))
        entry[1].append(job)
        return True

    def jobs(self) -> list[Job]:
        return [job for _, jobs in self._staged.values() for job in jobs]

    def _on_commit(self, session: Any) -> None:
        self._committing = True

    def _on_end(self, session: Any, transaction: Any) -> None:
        committed, self._committing = self._committing, False
        entry = self._staged.pop(id(transaction), None)
        if entry is None:
            return
        jobs = entry[1]
        queue = self.queue
        if not committed:
            for job in jobs:
                queue.record(
                    f"dropped {job.name!r} ({job.id}): its transaction rolled back",
                    job=job.id,
                    name=job.name,
                )
            return
        parent = transaction.parent
        if parent is not None:
            # A savepoint was released: the jobs now wait for the enclosing transaction.
            self._staged.setdefault(id(parent), (parent, []))[1].extend(jobs)
            return
        now = queue.clock.now()
        for job in jobs:
            queue._land(job, now, committed=True)

    def close(self) -> None:
        if self._listening:
            self._listening = False
            for name, fn in (
                ("after_commit", self._on_commit),
                ("after_transaction_end", self._on_end),
            ):
                if self._event.contains(self.session, name, fn):
                    self._event.remove(self.session, name, fn)
        self._staged.clear()


# --- Celery ----------------------------------------------------------------------------------


def _is_celery_retry(exc: BaseException) -> bool:
    try:
        from celery.exceptions import Retry  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, Retry)


class _CeleryPatch:
    """The context manager `FakeQueue.patch_celery` returns."""

    def __init__(self, queue: FakeQueue, app: Any) -> None:
        self.queue = queue
        self.app = app
        self._active = False
        self._had_own: bool = False
        self._previous: Any = None
        self._eager: Any = None

    def __enter__(self) -> _CeleryPatch:
        if id(self.app) in self.queue._celery:
            raise RuntimeError(f"Celery app {self.app.main!r} is already patched by this queue")
        app = self.app
        self._had_own = "send_task" in vars(app)
        self._previous = vars(app).get("send_task")
        self._eager = app.conf.task_always_eager
        app.conf.task_always_eager = False
        app.send_task = self.send_task
        self.queue._celery[id(app)] = self
        self._active = True
        self.queue.record(f"patched Celery app {app.main!r}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.undo()

    def undo(self) -> None:
        if not self._active:
            return
        self._active = False
        app = self.app
        if self._had_own:
            app.send_task = self._previous
        else:
            del app.send_task
        app.conf.task_always_eager = self._eager
        self.queue._celery.pop(id(app), None)

    # what task.apply_async() and app.send_task() call
    def send_task(
        self,
        name: str,
        args: Sequence[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        countdown: float | None = None,
        eta: datetime | None = None,
        task_id: str | None = None,
        **options: Any,
    ) -> Any:
        import uuid

        from celery.result import AsyncResult  # type: ignore[import-untyped,unused-ignore]

        queue = self.queue
        if not isinstance(name, str) or not name:
            raise TypeError(f"send_task() takes a task name, not {name!r}")
        body = {"args": list(args or ()), "kwargs": dict(kwargs or {})}
        payload = self._round_trip(name, body)
        running = _running_job.get()
        retries = options.get("retries") or 0
        if (
            running is not None
            and task_id is not None
            and running.id == task_id
            and running.state == "running"
        ):
            # The running task called self.retry(): the same job comes back later.
            due = queue.clock.now()
            if eta is not None:
                due = to_utc(eta, "eta=")
            elif countdown:
                due = due + to_delta(countdown, "countdown=")
            with queue._lock:
                running.payload = payload
                running.state = "pending"
                running.eta = due
                running.options["retries"] = retries
                heapq.heappush(queue._heap, (due, running._seq, running))
            if queue.auto_run and due > queue.clock.now():
                queue._timers.append(queue.clock.call_at(due, queue._auto_fire, running))
            return AsyncResult(task_id, app=self.app)
        task_id = task_id or str(uuid.uuid4())
        expires = options.get("expires")
        if not isinstance(expires, (int, float, datetime, timedelta)) or isinstance(expires, bool):
            expires = None
        keep = {
            key: options[key]
            for key in ("link", "chain", "priority", "headers", "retries")
            if options.get(key) is not None
        }
        keep["app"] = id(self.app)
        queue._push(
            name,
            payload,
            queue=self._queue_name(name, args, kwargs, options),
            delay=countdown if eta is None and countdown else None,
            eta=eta,
            kind="celery",
            job_id=task_id,
            expires=expires,
            options=keep,
        )
        return AsyncResult(task_id, app=self.app)

    def _queue_name(self, name: str, args: Any, kwargs: Any, options: Mapping[str, Any]) -> str:
        chosen = options.get("queue")
        if chosen is None:
            try:
                routed = self.app.amqp.router.route(dict(options), name, args, kwargs)
                chosen = routed.get("queue")
            except Exception:
                chosen = None
        if chosen is None:
            chosen = self.app.conf.task_default_queue
        return str(getattr(chosen, "name", chosen))

    def _round_trip(self, name: str, body: dict[str, Any]) -> Any:
        from kombu import serialization

        codec: Any = serialization  # kombu's dumps/loads are untyped

        serializer = self.app.conf.task_serializer

        def survives(value: Any) -> bool:
            try:
                content_type, encoding, data = codec.dumps(value, serializer=serializer)
                codec.loads(data, content_type, encoding)
            except Exception:
                return False
            return True

        try:
            content_type, encoding, data = codec.dumps(body, serializer=serializer)
            return codec.loads(data, content_type, encoding)
        except Exception as exc:
            path, value = _find_unserializable(body, survives)
            problem, hint = _hint_for(value)
            raise PayloadError(
                f"Celery task {name!r}: {path} {problem} (value: {value!r}); the app's "
                f"{serializer!r} serializer cannot send it ({type(exc).__name__}: {exc}): "
                f"{hint}",
                path=path,
                value=value,
            ) from None

    def run(self, job: Job) -> Any:
        task = self.app.tasks[job.name]
        args = job.payload["args"]
        kwargs = job.payload["kwargs"]
        parent = job.parent
        task.push_request(
            id=job.id,
            args=args,
            kwargs=kwargs,
            retries=job.options.get("retries", 0),
            is_eager=False,
            called_directly=False,
            eta=job.eta.isoformat(),
            expires=job.expires.isoformat() if job.expires else None,
            delivery_info={"exchange": "", "routing_key": job.queue, "redelivered": False},
            hostname="fixturekit@localhost",
            callbacks=job.options.get("link"),
            chain=job.options.get("chain"),
            parent_id=parent.id if parent is not None else None,
            root_id=job.chain()[0].id,
            origin="fixturekit",
        )
        try:
            return task(*args, **kwargs)
        finally:
            task.pop_request()

    def after_success(self, job: Job, result: Any) -> None:
        from celery.canvas import signature  # type: ignore[import-untyped,unused-ignore]

        links = job.options.get("link") or []
        if not isinstance(links, (list, tuple)):
            links = [links]
        for link in links:
            signature(link, app=self.app).apply_async((result,), parent_id=job.id)
        chain = job.options.get("chain")
        if chain:
            rest = list(chain)
            following = signature(rest.pop(), app=self.app)
            following.apply_async((result,), chain=rest or None, parent_id=job.id)


def _find_unserializable(body: Any, survives: Callable[[Any], bool]) -> tuple[str, Any]:
    """The path and value of the innermost part of ``body`` that does not serialize."""
    path = "payload"
    value = body
    while True:
        children: list[tuple[str, Any]] = []
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    return f"{path} key {key!r}", key
                children.append((f"[{key!r}]", item))
        elif isinstance(value, (list, tuple)):
            children = [(f"[{index}]", item) for index, item in enumerate(value)]
        for suffix, child in children:
            if not survives(child):
                path += suffix
                value = child
                break
        else:
            return path, value
