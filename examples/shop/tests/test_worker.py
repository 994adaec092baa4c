"""The job worker, on the asyncio clock: its polls and the retries' backoff take no
real time."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import fixturekit as fk
from fixturekit.db import DatabaseSandbox
from shop.db import SessionLocal
from shop.jobs import DatabaseJobQueue
from shop.worker import run_jobs

UTC = timezone.utc
NINE = datetime(2024, 1, 1, 9, tzinfo=UTC)


@pytest.mark.asyncio
@pytest.mark.clock("2024-01-01T09:00:00Z", loop=True)
async def test_the_worker_retries_a_failing_job_with_backoff(
    clock: fk.Clock, sandbox: DatabaseSandbox
) -> None:
    attempts: list[datetime] = []

    def flaky_report(payload: Any) -> None:
        attempts.append(datetime.now(UTC))
        if len(attempts) < 3:
            raise ConnectionError("the report service is down")

    queue = DatabaseJobQueue(SessionLocal)
    queue.push("send_report", {"day": "2024-01-01"}, delay=timedelta(minutes=30))
    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_jobs(queue, {"send_report": flaky_report}, poll_every=10, stop=stop)
    )

    await asyncio.sleep(29 * 60)  # returns at once, 29 minutes later
    assert attempts == []

    await asyncio.sleep(5 * 60)
    # Due at 09:30, failed; retried one minute later, failed; then two minutes later.
    assert attempts == [
        NINE + timedelta(minutes=30),
        NINE + timedelta(minutes=31),
        NINE + timedelta(minutes=33),
    ]
    stop.set()
    await worker
    assert clock.now() >= NINE + timedelta(minutes=34)
