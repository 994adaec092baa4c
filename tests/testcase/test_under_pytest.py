"""HarnessTestCase classes run by pytest take the plugin's seeds and report section."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from fixturekit._internal.seed import derive_seed

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

CASES = """
import fixturekit as fk
from fixturekit.testcase import HarnessTestCase, IsolatedAsyncioHarnessTestCase


class FakeSMS(fk.Fake):
    name = "sms"


class StrictSMS(fk.Fake):
    name = "sms"

    def __init__(self):
        super().__init__(strict=True)

    def exit_problems(self):
        return [f"unread: {event.message}" for event in self.timeline]


class SyncCase(HarnessTestCase):
    clock_start = "2024-01-01"
    fakes = (FakeSMS,)

    def test_seed(self):
        print("SEED", self.fixturekit_seed)

    def test_fails(self):
        self.sms.record("sent a text")
        assert False, "boom"


class AsyncCase(IsolatedAsyncioHarnessTestCase):
    async def test_seed(self):
        print("SEED", self.fixturekit_seed)


class StrictCase(HarnessTestCase):
    fakes = (StrictSMS,)

    def test_strict_and_failing(self):
        self.sms.record("sent a text")
        assert False, "the test's own failure"
"""


@pytest.mark.slow
def test_pytest_runs_harness_testcases_with_the_plugins_seed_and_report(
    inner_pytest: InnerPytest,
) -> None:
    inner_pytest.makepyfile(test_cases=CASES)
    result = inner_pytest.run("--fixturekit-seed=11", "-s")
    result.assert_outcomes(passed=2, failed=2)
    for nodeid in ["test_cases.py::SyncCase::test_seed", "test_cases.py::AsyncCase::test_seed"]:
        result.stdout.fnmatch_lines([f"*SEED {derive_seed(11, nodeid)}*"])
    result.stdout.fnmatch_lines(
        [
            "*- fixturekit -*",
            f"test seed {derive_seed(11, 'test_cases.py::SyncCase::test_fails')} (run seed 11)",
            "rerun: pytest --fixturekit-seed=11 'test_cases.py::SyncCase::test_fails'",
            "",
            "timeline:",
            "*2024-01-01T00:00:00+00:00  sms     sent a text",
        ]
    )
    # The plugin's section says it; the traceback does not repeat it.
    result.stdout.no_fnmatch_line("*FIXTUREKIT_SEED=*")
    # A failing test's strict fake does not add its exit problems to the failure.
    result.stdout.fnmatch_lines(["*AssertionError: the test's own failure*"])
    result.stdout.no_fnmatch_line("*StrictModeError*")
