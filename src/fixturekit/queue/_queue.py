"""FakeQueue: an in-memory job queue on the shared clock, with handlers, retries and Celery."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, overload

from fixturekit._internal.checks import check_bool, check_count, check_name, keywords
from fixturekit._internal.commit import CommitGates
from fixturekit._internal.matching import Recordings, filter_matching
from fixturekit.clock import Clock, to_utc
from fixturekit.harness import Timeline
from fixturekit.queue._celery import CeleryPatch, check_celery_app
from fixturekit.queue._handlers import BackoffLike, Handler, check_backoff, check_retry_on
from fixturekit.queue._job import Job
from fixturekit.queue._payload import check_payload
from fixturekit.queue._running import DEFAULT_MAX_STEPS, QueueRunner

__all__ = ["FakeQueue"]

H = TypeVar("H", bound=Callable[..., Any])

#: The fields assert_pushed()/find() match on.
FIELDS = (
    "name",
    "queue",
    "payload",
    "delay",
    "eta",
    "pushed_at",
    "state",
    "attempts",
    "result",
    "error",
    "errors",
    "id",
    "args",
    "kwargs",
    "parent",
)


class FakeQueue(QueueRunner):
    """An in-memory job queue that runs jobs on demand, on the shared clock.

    Handlers (`handler`) and Celery patches (`patch_celery`) are configuration: they
    survive `reset`. Jobs, staged jobs and scripted failures (`fail_next`) do not.

    Args:
        clock: the `fixturekit.Clock` delays, etas and retries follow; without one the
            queue has a private virtual clock starting at the real time (see `Fake`).
        timeline: where pushes and runs are recorded; a harness sets it.
        auto_run: run each job as soon as it is due: at push time, or when the clock
            reaches its eta (for apps that expect synchronous side effects). Payloads are
            still checked.
        strict: when the queue stops, jobs that no assertion looked at fail the test
            (`fixturekit.errors.StrictModeError`), listed; not when the test itself failed.
    """

    name = "queue"

    @keywords
    def __init__(
        self,
        *,
        clock: Clock | None = None,
        timeline: Timeline | None = None,
        auto_run: bool = False,
        strict: bool = False,
    ) -> None:
        super().__init__(clock=clock, timeline=timeline, strict=strict, auto_run=auto_run)
        self._gates: CommitGates[Job] = CommitGates(deliver=self._committed, drop=self._dropped)
        self._pushed: Recordings[Job] = Recordings(
            verb="pushed",
            noun=("job", "jobs"),
            records=self._snapshot,
            describe=Job.describe,
            fields=FIELDS,
            prepare=_prepare,
            seen=_mark_seen,
            note=self._staged_note,
        )

    # --- state --------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every job (pushed, staged, failed) and scripted failure; handlers and
        Celery patches stay."""
        super().reset()
        self._gates.close()

    @property
    def jobs(self) -> list[Job]:
        """Every job pushed (and, if commit-gated, committed), in push order."""
        return self._snapshot()

    @property
    def pending(self) -> list[Job]:
        """Jobs waiting to run (including retries), earliest eta first."""
        waiting = [job for job in self._snapshot() if job.state == "pending"]
        return sorted(waiting, key=lambda job: (job.eta, job._seq))

    @property
    def failed(self) -> list[Job]:
        """Jobs that failed for good, in the order they failed; each has ``error``."""
        with self._lock:
            return list(self._failed)

    @property
    def succeeded(self) -> list[Job]:
        """Jobs whose handler returned, in push order."""
        return [job for job in self._snapshot() if job.state == "succeeded"]

    @property
    def staged(self) -> list[Job]:
        """Commit-gated jobs waiting for their session to commit."""
        return self._gates.pending

    @property
    def handlers(self) -> dict[str, Handler]:
        """The registered handlers, by job name."""
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

    @keywords
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
        Handlers survive `reset`.
        """
        check_name(name, "handler()'s name", example="'send_welcome'")
        check_count(max_retries, "max_retries")
        checked_backoff = check_backoff(backoff)
        retry_types = check_retry_on(retry_on)
        replace = check_bool(replace, "replace")

        def register(function: H) -> H:
            made = Handler.make(
                name,
                function,
                max_retries=max_retries,
                backoff=checked_backoff,
                retry_on=retry_types,
            )
            if not replace and name in self._handlers:
                other = self._handlers[name].fn
                raise ValueError(
                    f"a handler for {name!r} is already registered "
                    f"({getattr(other, '__qualname__', other)!r}); pass replace=True to swap it"
                )
            self._handlers[name] = made
            return function

        if fn is not None:
            return register(fn)
        return register

    # --- pushing --------------------------------------------------------------------------

    @keywords
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
        transaction commits, drops it on rollback, and lands it at once when the session
        has no transaction open.
        """
        if type(name) is not str or not name:
            check_name(name, "push()'s name", example="'send_welcome'")
        if type(queue) is not str or not queue:
            check_name(queue, "queue=", example="'mail'")
        copy = check_payload(payload, name=name)
        gate = self._gates.for_session(after_commit) if after_commit is not None else None
        self._refuse_push(name)
        job = self._new_job(name, copy, queue=queue, delay=delay, eta=eta)
        if gate is not None and gate.stage(job):
            self.record(
                f"staged {name!r} ({job.id}) on {queue!r} until {gate.label} commits",
                job=job.id,
                name=name,
                queue=queue,
            )
            return job
        self._land(job)
        return job

    def _committed(self, jobs: list[Job]) -> None:
        for job in jobs:
            self._land(job, committed=True)

    def _dropped(self, jobs: list[Job]) -> None:
        for job in jobs:
            self.record(
                f"dropped {job.name!r} ({job.id}): its transaction rolled back",
                job=job.id,
                name=job.name,
            )

    # --- fault injection -------------------------------------------------------------------

    @keywords
    def fail_next(
        self,
        error: Exception | type[Exception] | None = None,
        *,
        times: int = 1,
        message: str | None = None,
        on: str | None = None,
    ) -> None:
        """Make the next push(es) fail as they would while the broker is down.

        The next ``times`` pushes (of jobs named ``on``, or of any job) raise ``error``,
        an exception instance or class; by default
        ``ConnectionError(message or "the fake broker refused the push")``. It covers
        `push` and, under `patch_celery`, ``delay()``, ``apply_async()`` and
        ``send_task()``. The refused push lands no job and is recorded on the timeline.
        Arguments and payloads are checked first, as a client serializes before it
        connects; a push with ``after_commit=`` fails at the call. Failures queue up,
        first in first out; `reset` forgets them.
        """
        fault = self._faults.add(error, times=times, message=message, on=on)
        shown = fault.make()
        self.record(
            f"next {times} push{'es' * (times != 1)}{f' of {on!r}' if on else ''} scripted "
            f"to fail with {type(shown).__name__}: {shown}",
            error=type(shown).__name__,
            on=on,
            times=times,
        )

    # --- running ---------------------------------------------------------------------------

    @keywords
    def run(self, job: Job, *, raise_failures: bool = True) -> Job:
        """Run one job now, whatever its eta; returns it.

        A failure with retries left schedules the retry; a failure for good moves the job
        to `failed` and raises `JobFailed` (unless ``raise_failures=False``).
        """
        if not isinstance(job, Job):
            raise TypeError(f"run() takes a Job (as push() returns it), not {job!r}")
        raise_failures = check_bool(raise_failures, "raise_failures")
        if job not in self._snapshot():
            raise ValueError(f"{job!r} is not on this queue (staged jobs run once committed)")
        if job.state != "pending":
            raise ValueError(
                f"{job!r} is {job.state}; only pending jobs run (push it again to rerun it)"
            )
        self._execute(job, raise_failures=raise_failures)
        return job

    @keywords
    def run_due(
        self,
        *,
        queue: str | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        raise_failures: bool = True,
    ) -> list[Job]:
        """Run every job due by the clock's current time, in eta order; returns them.

        Jobs pushed by running jobs run too if due now. The clock does not move, so a
        retry with a backoff waits for the clock.
        """
        return self._drain(
            advance=False, queue=queue, max_steps=max_steps, raise_failures=raise_failures
        )

    @keywords
    def run_all(
        self,
        *,
        queue: str | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
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

    # --- assertions --------------------------------------------------------------------------

    def find(self, name: Any = None, /, **match: Any) -> list[Job]:
        """The jobs matching ``name`` and ``match``, in push order (matchers as in
        `assert_pushed`)."""
        return self._pushed.find("find", _named("find", name, match))

    def assert_pushed(
        self,
        name: Any = None,
        /,
        *,
        times: int | None = None,
        timeout: float | None = None,
        **match: Any,
    ) -> Job:
        """Assert a job was pushed whose fields match; return the latest such job.

        ``name`` (also accepted as ``name=``) and each field (``queue``, ``payload``,
        ``delay``, ``eta``, ``pushed_at``, ``state``, ``attempts``, ``result``,
        ``error``, ``errors``, ``id``, ``args``, ``kwargs``, ``parent``) take an exact
        value, a compiled regex or a callable; ``delay`` may be given in seconds and
        ``eta``/``pushed_at`` as ISO 8601 strings. With ``times``, exactly that many must
        match. ``timeout`` waits up to that many seconds for a push from another thread.
        A failure lists what was pushed, closest first, and the matching staged jobs.
        """
        __tracebackhide__ = True
        return self._pushed.assert_(  # noqa: PT009 - not unittest's
            "assert_pushed", _named("assert_pushed", name, match), times=times, timeout=timeout
        )

    def assert_not_pushed(self, name: Any = None, /, **match: Any) -> None:
        """Assert no pushed job matches ``name`` and ``match``."""
        __tracebackhide__ = True
        self._pushed.assert_not("assert_not_pushed", _named("assert_not_pushed", name, match))

    def assert_pushed_count(
        self, count: int, name: Any = None, /, *, timeout: float | None = None, **match: Any
    ) -> list[Job]:
        """Assert exactly ``count`` pushed jobs match ``name`` and ``match`` (every job
        when none is given); return them, in push order."""
        __tracebackhide__ = True
        criteria = _named("assert_pushed_count", name, match)
        return self._pushed.assert_count("assert_pushed_count", count, criteria, timeout=timeout)

    def assert_nothing_pushed(self) -> None:
        """Assert no job was pushed at all (staged jobs are not pushed yet)."""
        __tracebackhide__ = True
        self._pushed.assert_nothing("assert_nothing_pushed")

    def _staged_note(self, criteria: Mapping[str, Any]) -> str:
        staged = filter_matching(self.staged, criteria)
        if not staged:
            return ""
        return (
            f"\n{len(staged)} matching job{'s are' if len(staged) != 1 else ' is'} staged, "
            "waiting for a session to commit (after_commit=): "
            + "; ".join(job.describe() for job in staged)
        )

    # --- Celery -----------------------------------------------------------------------------

    def patch_celery(self, app: Any) -> CeleryPatch:
        """``with queue.patch_celery(app):`` sends the app's tasks here instead of a broker.

        ``task.delay()``, ``task.apply_async(countdown=, eta=, queue=, expires=)``,
        ``app.send_task()`` and canvas chains push Celery jobs (payload
        ``{"args": [...], "kwargs": {...}}``, checked with the app's serializer); the run
        methods execute the real task functions, with ``self.retry()`` scheduled on the
        clock. ``task_always_eager`` is switched off while patched. The patch lasts
        until the block ends or the queue stops; `reset` keeps it.
        """
        check_celery_app(app)
        return CeleryPatch(self, app)

    # --- lifecycle -----------------------------------------------------------------------

    def on_stop(self) -> None:
        for patch in list(self._celery.values()):
            patch.undo()
        self._gates.close()
        self._cancel_timers()

    def exit_problems(self) -> list[str]:
        """In strict mode, the jobs pushed that no assertion looked at."""
        if not self.strict:
            return []
        unseen = [job for job in self._snapshot() if not job._seen]
        if not unseen:
            return []
        one = len(unseen) == 1
        lines = [
            f"{len(unseen)} job{'' if one else 's'} pushed that no assert_pushed() looked at "
            "(strict=True):"
        ]
        lines += [f"  - {job.describe()}" for job in unseen]
        lines.append(
            f"assert {'it' if one else 'them'} with queue.assert_pushed(...) or "
            "queue.assert_pushed_count(...), or drop strict=True"
        )
        return lines

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        jobs = self._snapshot()
        pending = sum(1 for job in jobs if job.state == "pending")
        return (
            f"<FakeQueue{label} {len(jobs)} jobs, {pending} pending, "
            f"{len(self._failed)} failed{' running' if self.running else ''}>"
        )


def _named(function: str, name: Any, match: dict[str, Any]) -> dict[str, Any]:
    """``match`` with the positional ``name`` as its first field."""
    if name is None:
        return match
    if "name" in match:
        raise TypeError(
            f"{function}() got the job's name twice ({name!r} and name={match['name']!r}); "
            "give it once"
        )
    return {"name": name, **match}


def _prepare(criteria: dict[str, Any]) -> dict[str, Any]:
    """Criteria as a job's fields hold them: ``delay`` in seconds, times as ISO strings;
    callables that raise on a job of another shape do not match it."""
    prepared: dict[str, Any] = {}
    for key, value in criteria.items():
        if key == "delay" and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = timedelta(seconds=value)
        elif key in ("eta", "pushed_at") and isinstance(value, str):
            value = to_utc(value, f"{key}=")
        elif callable(value) and not isinstance(value, (type, re.Pattern)):
            value = _tolerant(value)
        prepared[key] = value
    return prepared


def _tolerant(matcher: Callable[[Any], Any]) -> Callable[[Any], bool]:
    """A callable matcher that counts an exception (a job of another shape) as no match."""

    @functools.wraps(matcher)
    def check(value: Any) -> bool:
        try:
            return bool(matcher(value))
        except Exception:
            return False

    return check


def _mark_seen(jobs: Sequence[Job]) -> None:
    for job in jobs:
        job._seen = True
