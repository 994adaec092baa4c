"""The life of a job on the queue: landing, scheduling, running, retrying, failing.

`QueueRunner` is the engine `FakeQueue` stands on; `FakeQueue` adds the public surface
(pushing, handlers, assertions, fault injection, Celery).
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import heapq
import inspect
import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from fixturekit._internal.checks import check_bool, check_count, check_name
from fixturekit.clock import Timer, to_delta, to_utc
from fixturekit.errors import JobFailed, RunawayJobsError
from fixturekit.harness import Fake
from fixturekit.queue._faults import PushFaults
from fixturekit.queue._handlers import Handler, check_delay
from fixturekit.queue._job import Job, format_chain, human, runaway_message, running_job

__all__ = ["DEFAULT_MAX_STEPS", "CeleryRunner", "QueueRunner"]

DEFAULT_MAX_STEPS = 10_000
_MAX_NESTING = 100
_ZERO = timedelta(0)


class CeleryRunner(Protocol):
    """What the queue asks of a patched Celery app (see ``_celery.CeleryPatch``)."""

    app: Any

    def run(self, job: Job) -> Any: ...

    def after_success(self, job: Job, result: Any) -> None: ...

    def is_retry(self, exc: BaseException) -> bool: ...

    def undo(self) -> None: ...


class QueueRunner(Fake):
    """Jobs landing on the queue and running on the clock: the engine under `FakeQueue`."""

    auto_run: bool

    def __init__(self, *, auto_run: bool, **options: Any) -> None:
        super().__init__(**options)
        self.auto_run = check_bool(auto_run, "auto_run")
        self._lock = threading.Lock()
        self._handlers: dict[str, Handler] = {}
        self._celery: dict[int, CeleryRunner] = {}
        self._faults = PushFaults()
        self._jobs: list[Job] = []
        self._heap: list[tuple[datetime, int, Job]] = []
        self._failed: list[Job] = []
        self._timers: list[Timer] = []
        self._ids = itertools.count(1)
        self._nesting = 0

    def reset(self) -> None:
        """Forget every job and scripted failure; handlers and Celery patches stay."""
        super().reset()
        with self._lock:
            timers, self._timers = self._timers, []
            self._jobs = []
            self._heap = []
            self._failed = []
            self._ids = itertools.count(1)
        for timer in timers:
            timer.cancel()
        self._faults.clear()

    def _cancel_timers(self) -> None:
        timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()

    # --- landing -----------------------------------------------------------------------

    def _refuse_push(self, name: str) -> None:
        """Raise the failure `fail_next` scripted for this push, if one waits for it."""
        error = self._faults.take(name)
        if error is not None:
            self.record(
                f"push of {name!r} failed: {type(error).__name__}: {error} (fail_next)",
                name=name,
                error=type(error).__name__,
            )
            raise error

    def _new_job(
        self,
        name: str,
        payload: Any,
        *,
        queue: str,
        delay: object,
        eta: object,
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
            due = now + check_delay(delay, "delay=")
        else:
            due = now
        expires_at: datetime | None = None
        if expires is not None:
            if isinstance(expires, (int, float, timedelta)) and not isinstance(expires, bool):
                expires_at = now + to_delta(expires, "expires=")
            else:
                expires_at = to_utc(expires, "expires=")
        return Job(
            id=job_id if job_id is not None else f"job-{next(self._ids)}",
            name=name,
            payload=payload,
            queue=queue,
            pushed_at=now,
            eta=due,
            parent=running_job.get(),
            kind=kind,
            expires=expires_at,
            options=options,
        )

    def _land(self, job: Job, *, committed: bool = False) -> None:
        """Put a job on the queue (at push time, or when its transaction commits)."""
        now = self.clock.now()
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
        due = f", due {job.eta.isoformat()} (in {human(job.eta - now)})" if job.eta > now else ""
        self.record(
            f"{'committed' if committed else 'pushed'} {job.name!r} ({job.id}) "
            f"on {job.queue!r}{due}",
            job=job.id,
            name=job.name,
            queue=job.queue,
        )
        if self.auto_run:
            self._auto(job)

    def _reschedule(self, job: Job, due: datetime) -> None:
        """Put a job that ran back in line for ``due`` (a retry)."""
        with self._lock:
            job.state = "pending"
            job.eta = due
            heapq.heappush(self._heap, (due, job._seq, job))
        if self.auto_run and due > self.clock.now():
            self._timers.append(self.clock.call_at(due, self._auto_fire, job))

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
                + format_chain(job)
            )
        self._nesting += 1
        try:
            self._execute(job, raise_failures=True)
        finally:
            self._nesting -= 1
        if job.state == "pending" and job.eta <= self.clock.now():  # a retry due now
            self._auto(job)

    def _auto_fire(self, job: Job) -> None:
        if job.state == "pending" and job.eta <= self.clock.now():
            self._auto(job)

    # --- running ---------------------------------------------------------------------------

    def _drain(
        self, *, advance: bool, queue: str | None, max_steps: int, raise_failures: bool
    ) -> list[Job]:
        check_count(max_steps, "max_steps", minimum=1)
        if queue is not None:
            check_name(queue, "queue=", example="'mail'")
        check_bool(raise_failures, "raise_failures")
        ran: list[Job] = []
        while True:
            job = self._next(queue, None if advance else self.clock.now())
            if job is None:
                return ran
            if len(ran) >= max_steps:
                pending = [job for job in self._snapshot() if job.state == "pending"]
                raise RunawayJobsError(runaway_message(job, max_steps, pending))
            now = self.clock.now()
            if job.eta > now:
                self.clock.advance(job.eta - now)
                if job.state != "pending":  # a clock timer (auto_run) ran it meanwhile
                    continue
            ran.append(job)
            self._execute(job, raise_failures=raise_failures)

    def _snapshot(self) -> list[Job]:
        with self._lock:
            return list(self._jobs)

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
        token = running_job.set(job)
        try:
            result = perform()
            if inspect.isawaitable(result):
                result = _await(result, job)
        except RunawayJobsError:
            job.state = "pending"  # a nested run hit its limit: stop everything, as is
            job.attempts -= 1
            raise
        except Exception as exc:
            if self._failure(job, exc) == "retried":
                return
            if raise_failures:
                raise JobFailed(job) from exc
            return
        finally:
            running_job.reset(token)
        job.state = "succeeded"
        job.result = result
        job.finished_at = self.clock.now()
        self.record(f"ran {job.name!r} ({job.id})", job=job.id, name=job.name)
        patch = self._celery_patch_for(job)
        if patch is not None:
            patch.after_success(job, result)

    def _celery_patch_for(self, job: Job) -> CeleryRunner | None:
        if job.kind != "celery":
            return None
        app_id = job.options.get("app")
        return self._celery.get(app_id) if isinstance(app_id, int) else None

    def _performer(self, job: Job) -> Callable[[], Any]:
        """What running ``job`` calls; a LookupError if nothing can perform it."""
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
        patch = self._celery_patch_for(job)
        if patch is not None and patch.is_retry(exc):
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
            self._reschedule(job, now + wait)
            self.record(
                f"{job.name!r} ({job.id}) failed (attempt {job.attempts} of "
                f"{handler.max_retries + 1}): {type(exc).__name__}: {exc}; retry "
                f"{'now' if not wait else 'at ' + job.eta.isoformat()}",
                job=job.id,
                name=job.name,
            )
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
