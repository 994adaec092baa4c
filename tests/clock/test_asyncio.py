from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timezone

import fixturekit as fk

UTC = timezone.utc
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


async def _exercise_loop() -> list[str]:
    events: list[str] = []
    loop = asyncio.get_running_loop()
    await asyncio.sleep(0.01)
    events.append("slept")
    try:
        await asyncio.wait_for(asyncio.sleep(10), timeout=0.05)
    except asyncio.TimeoutError:
        events.append("timed out")
    fired = loop.create_future()
    loop.call_later(0.01, fired.set_result, "call_later")
    events.append(await fired)
    events.append(datetime.now(UTC).isoformat())
    return events


def test_event_loop_sleeps_and_timeouts_run_under_a_frozen_clock() -> None:
    with fk.Clock(START):
        events = asyncio.run(asyncio.wait_for(_exercise_loop(), timeout=5))
    assert events == ["slept", "timed out", "call_later", "2024-01-01T09:00:00+00:00"]


def test_a_loop_in_another_thread_keeps_running() -> None:
    results: list[list[str]] = []
    with fk.Clock(START):
        worker = threading.Thread(target=lambda: results.append(asyncio.run(_exercise_loop())))
        worker.start()
        worker.join(timeout=10)
    assert results == [["slept", "timed out", "call_later", "2024-01-01T09:00:00+00:00"]]


def test_the_clock_can_be_entered_inside_a_running_loop() -> None:
    async def body() -> str:
        async with fk.Clock(START) as clock:
            await asyncio.sleep(0.01)
            clock.advance(minutes=1)
            return datetime.now(UTC).isoformat()

    assert asyncio.run(body()) == "2024-01-01T09:01:00+00:00"
