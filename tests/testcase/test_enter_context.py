"""fixturekit's blocks are plain context managers: TestCase.enterContext takes them."""

from __future__ import annotations

import sys
import unittest
from datetime import date

import pytest

import fixturekit as fk
from fixturekit.clock import _timepatch

from ._running import run_class

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="TestCase.enterContext is new in Python 3.11"
)


class FakeSMS(fk.Fake):
    name = "sms"


def test_enter_context_runs_clock_and_harness_in_a_plain_testcase() -> None:
    seen: list[object] = []

    class Case(unittest.TestCase):
        def setUp(self) -> None:
            self.clock = self.enterContext(fk.Clock("2024-01-01"))
            self.harness = self.enterContext(fk.Harness(clock=self.clock, fakes=[FakeSMS()]))

        def test_it(self) -> None:
            seen.append((date.today(), self.harness.sms.running, self.harness.sms.clock))

    outcome = run_class(Case)
    assert outcome.result.wasSuccessful(), outcome.output
    ((today, running, clock),) = seen
    assert today == date(2024, 1, 1)
    assert running
    assert not clock.running
    assert _timepatch.active_clock() is None


def test_enter_async_context_runs_the_harness_in_an_async_testcase() -> None:
    seen: list[object] = []

    class Case(unittest.IsolatedAsyncioTestCase):
        async def asyncSetUp(self) -> None:
            self.harness = await self.enterAsyncContext(
                fk.Harness(clock=fk.Clock("2024-01-01"), fakes=[FakeSMS()])
            )

        async def test_it(self) -> None:
            seen.append((date.today(), self.harness.running))

    outcome = run_class(Case)
    assert outcome.result.wasSuccessful(), outcome.output
    assert seen == [(date(2024, 1, 1), True)]
    assert _timepatch.active_clock() is None
