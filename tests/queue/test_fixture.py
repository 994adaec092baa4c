"""The queue as the plugin's fixtures (nested pytest): `queue`, its alias `job_queue`, a
registered queue fixture, and strict mode from the ini."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

CONFTEST = """
from fixturekit.pytest_plugin import register_fake
from fixturekit.queue import FakeQueue

register_fake(FakeQueue, name="mail_jobs")
"""

TESTS = """
import pytest


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_delayed_job_follows_the_clock_fixture(queue, clock, harness):
    ran = []
    queue.handler("x", ran.append)
    queue.push("x", 1, delay=60)
    clock.advance(seconds=60)
    queue.run_due()
    assert ran == [1]
    assert harness.queue is queue
    assert queue.clock is clock
    assert "ran 'x' (job-1)" in harness.timeline.messages()
    queue.assert_pushed("x")


def test_job_queue_is_the_same_queue(queue, job_queue):
    assert job_queue is queue


def test_a_registered_queue_fixture_joins_the_harness_too(mail_jobs, harness):
    assert harness["mail_jobs"] is mail_jobs
    mail_jobs.push("send_welcome")
    mail_jobs.assert_pushed("send_welcome")


def test_unasserted_job(queue):
    queue.push("forgotten", {"n": 1})


def test_fails_after_pushing(queue):
    queue.push("also_forgotten")
    assert False, "the test's own failure"
"""


@pytest.mark.slow
def test_fixtures_join_the_harness_on_the_clock(inner_pytest: InnerPytest) -> None:
    inner_pytest.makeconftest(CONFTEST)
    inner_pytest.makepyfile(test_queue_fixture=TESTS)
    result = inner_pytest.run()
    result.assert_outcomes(passed=4, failed=1)


@pytest.mark.slow
def test_strict_ini_fails_the_test_that_forgot_a_job_and_only_that_one(
    inner_pytest: InnerPytest,
) -> None:
    inner_pytest.ini("fixturekit_strict = true")
    inner_pytest.makeconftest(CONFTEST)
    inner_pytest.makepyfile(test_queue_fixture=TESTS)
    result = inner_pytest.run()
    # test_fails_after_pushing reports its own failure, not a teardown error as well.
    result.assert_outcomes(passed=4, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*StrictModeError: FakeQueue at exit: 1 job pushed that no assert_pushed() "
            "looked at (strict=True):*",
            "*'forgotten' (job-1)*",
        ]
    )
    result.stdout.fnmatch_lines(["*the test's own failure*"])
    result.stdout.no_fnmatch_line("*- 'also_forgotten' (job-1)*")
