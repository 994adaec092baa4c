from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import Any

import fixturekit as fk
from fixturekit.clock import _timepatch
from fixturekit.testcase import IsolatedAsyncioHarnessTestCase

from ._running import run_class

START = datetime(2024, 1, 1, 9, tzinfo=timezone.utc)


class FakeBell(fk.Fake):
    name = "bell"
    stopped: list[FakeBell] = []  # noqa: RUF012 - shared on purpose, read by the tests

    def ring(self) -> None:
        self.record("ring")

    def on_stop(self) -> None:
        FakeBell.stopped.append(self)


def test_async_twin_runs_real_sleeps_under_a_frozen_clock() -> None:
    seen: list[Any] = []

    class Case(IsolatedAsyncioHarnessTestCase):
        clock_start = START
        fakes = (FakeBell,)

        async def asyncSetUp(self) -> None:
            await super().asyncSetUp()
            self.bell.ring()

        async def test_sleeps(self) -> None:
            began = time.monotonic()
            await asyncio.sleep(0.02)
            assert time.monotonic() - began >= 0.02
            assert datetime.now(timezone.utc) == START
            assert await asyncio.wait_for(asyncio.sleep(0, result=1), timeout=1) == 1
            try:
                await asyncio.wait_for(asyncio.sleep(5), timeout=0.01)
            except asyncio.TimeoutError:
                pass
            else:
                raise AssertionError("wait_for did not time out")
            self.clock.advance(minutes=2)
            self.bell.ring()
            seen.append([str(event) for event in self.timeline])
            seen.append(self.bell.clock is self.clock)

    outcome = run_class(Case)
    assert outcome.result.wasSuccessful(), outcome.output
    assert seen == [
        [
            "2024-01-01T09:00:00+00:00 [bell] ring",
            "2024-01-01T09:02:00+00:00 [bell] ring",
        ],
        True,
    ]
    assert _timepatch.active_clock() is None


def test_async_twin_stops_the_harness_when_the_test_raises() -> None:
    FakeBell.stopped.clear()

    class Case(IsolatedAsyncioHarnessTestCase):
        fakes = (FakeBell,)

        async def test_fails(self) -> None:
            await asyncio.sleep(0)
            raise RuntimeError("boom")

    outcome = run_class(Case)
    assert len(outcome.result.errors) == 1
    assert "fixturekit: test seed" in outcome.output
    assert len(FakeBell.stopped) == 1
    assert not FakeBell.stopped[0].running
    assert _timepatch.active_clock() is None


def test_async_setup_without_super_gets_an_error_saying_to_call_super() -> None:
    class Case(IsolatedAsyncioHarnessTestCase):
        async def asyncSetUp(self) -> None:
            pass

        async def test_it(self) -> None:
            self.clock  # noqa: B018

    outcome = run_class(Case)
    assert "set by IsolatedAsyncioHarnessTestCase's set-up" in outcome.output
    assert "await super().asyncSetUp()" in outcome.output
