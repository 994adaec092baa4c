"""Job: one pushed job, and how jobs are described in messages."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, Literal

__all__ = ["Job", "JobState", "format_chain", "human", "runaway_message", "running_job"]

#: The states of a `Job`: waiting (possibly for a retry), running, done, or failed for good.
JobState = Literal["pending", "running", "succeeded", "failed", "expired"]

#: The job whose handler is running in this thread/task (pushes made by it get it as parent).
running_job: ContextVar[Job | None] = ContextVar("fixturekit_queue_running_job", default=None)


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
            parts.append(f"delay={human(self.delay)}")
        parts.append(self.state)
        if self.attempts:
            parts.append(f"{self.attempts} attempt{'s' * (self.attempts != 1)}")
        if self.error is not None:
            parts.append(f"last error {type(self.error).__name__}: {self.error}")
        return ", ".join(parts)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.name!r} queue={self.queue!r} {self.state}>"


def human(delta: timedelta) -> str:
    """``30s``, ``1.5s``: a delay as messages show it."""
    seconds = delta.total_seconds()
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{seconds}s"


def format_chain(job: Job, limit: int = 12) -> str:
    """The jobs that pushed ``job``, one per line, oldest first (the last ``limit``)."""
    chain = job.chain()
    shown = chain[-limit:]
    lines = ["  ..."] if len(chain) > limit else []
    lines += [f"  -> {step.name!r} ({step.id}) payload={step.payload!r}" for step in shown]
    return "\n".join(lines)


def _cycle(names: list[str]) -> list[str] | None:
    """The repeating unit at the end of ``names`` (oldest first), if it repeats 3+ times."""
    for period in range(1, len(names) // 3 + 1):
        tail = names[-3 * period :]
        if all(tail[i] == tail[i + period] for i in range(len(tail) - period)):
            return names[-period:]
    return None


def runaway_message(job: Job, max_steps: int, pending: list[Job]) -> str:
    """Why ``run_all``/``run_due`` stopped at ``job``: the cycle or chain that keeps going."""
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
            + format_chain(job)
            + "\nbreak the cycle in the handler, or raise max_steps= if the chain is finite"
        )
    if len(chain) > 1:
        return (
            head
            + f"the next job descends from a chain of {len(chain)} jobs pushing jobs:\n"
            + format_chain(job)
            + "\nraise max_steps= if this is expected"
        )
    return head + "pass a larger max_steps= to run this many jobs"
