"""Background jobs: a :class:`JobQueue` port, and a database-backed queue in production.

Routes push jobs by name with a JSON payload (``jobs.push("send_welcome", {...})``);
a worker process (``python -m shop.worker``) runs them with the handlers each feature
provides. ``after_commit=session`` ties a job to the caller's transaction: it is only
queued if that transaction commits, so a request that fails queues nothing.

Production stores jobs in the app's own database (:class:`DatabaseJobQueue`), where
``after_commit`` comes for free: the job row is part of the caller's transaction.
Tests hand in ``fixturekit``'s ``FakeQueue``, whose ``push`` takes the same arguments
and gives ``after_commit`` the same meaning, and run its jobs when they choose.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Protocol

from fastapi import Depends
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from shop.db import Base, SessionLocal, UTCDateTime, utcnow

#: What performs a job: called with the job's payload.
Handler = Callable[[Any], object]

MAX_ATTEMPTS = 5
RETRY_BACKOFF = timedelta(minutes=1)  # doubled after each failure


class JobQueue(Protocol):
    def push(
        self,
        name: str,
        payload: Any = None,
        *,
        delay: timedelta | None = None,
        after_commit: Session | None = None,
    ) -> object: ...


class QueuedJob(Base):
    __tablename__ = "queued_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)  # JSON
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def __repr__(self) -> str:
        return f"<QueuedJob {self.id} {self.name} attempts={self.attempts}>"


class DatabaseJobQueue:
    """Jobs as rows of ``queued_jobs`` (a transactional outbox), run by :meth:`run_due`."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def push(
        self,
        name: str,
        payload: Any = None,
        *,
        delay: timedelta | None = None,
        after_commit: Session | None = None,
    ) -> QueuedJob:
        job = QueuedJob(
            name=name,
            # A worker gets the payload back from JSON: refuse what would not survive it.
            payload=json.dumps(payload, allow_nan=False),
            run_at=utcnow() + (delay or timedelta()),
        )
        if after_commit is not None:
            after_commit.add(job)  # saved with the caller's transaction, or rolled back with it
        else:
            with self.session_factory.begin() as session:
                session.add(job)
        return job

    def run_due(self, handlers: Mapping[str, Handler]) -> int:
        """Run every job whose time has come, one transaction each; returns how many ran.

        A job whose handler raises is tried again later (with a doubling backoff) until
        it has failed :data:`MAX_ATTEMPTS` times.
        """
        ran = 0
        while True:
            with self.session_factory() as session:
                job = session.scalars(
                    select(QueuedJob)
                    .where(
                        QueuedJob.done_at.is_(None),
                        QueuedJob.failed_at.is_(None),
                        QueuedJob.run_at <= utcnow(),
                    )
                    .order_by(QueuedJob.run_at, QueuedJob.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).first()
                if job is None:
                    return ran
                job.attempts += 1
                try:
                    handler = handlers[job.name]
                    handler(json.loads(job.payload))
                except Exception as exc:
                    job.last_error = f"{type(exc).__name__}: {exc}"
                    if job.attempts >= MAX_ATTEMPTS or job.name not in handlers:
                        job.failed_at = utcnow()
                    else:
                        job.run_at = utcnow() + RETRY_BACKOFF * 2 ** (job.attempts - 1)
                else:
                    job.done_at = utcnow()
                session.commit()
                ran += 1


@lru_cache(maxsize=1)
def get_jobs() -> JobQueue:
    """The app's job queue (tests override this dependency with a fake)."""
    return DatabaseJobQueue(SessionLocal)


JobsDep = Annotated[JobQueue, Depends(get_jobs)]
