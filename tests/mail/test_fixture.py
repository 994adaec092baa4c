"""The mailer in a Harness, in HarnessTestCase, and as the plugin's fixture (nested pytest)."""

from __future__ import annotations

import unittest
from typing import TYPE_CHECKING

import pytest

import fixturekit as fk
from fixturekit.mail import FakeMailer
from fixturekit.testcase import HarnessTestCase

from .conftest import smtp_threads

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

TESTS = """
import smtplib
import threading

import pytest


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_mailer_follows_the_clock_and_joins_the_harness(mailer, harness, clock):
    assert harness.mailer is mailer
    assert mailer.clock is clock
    clock.advance(minutes=3)
    mailer.send(to="ada@example.com", subject="Welcome")
    mail = mailer.assert_sent(subject="Welcome")
    assert mail.sent_at.isoformat() == "2024-01-01T09:03:00+00:00"
    assert harness.timeline.messages("mailer") == ["mail to ada@example.com: Welcome"]


@pytest.fixture
def no_smtp_thread_left():
    yield
    assert not [t for t in threading.enumerate() if t.name.startswith("fixturekit-smtp")]


def test_a_server_left_running_is_stopped_with_the_harness(no_smtp_thread_left, mailer):
    host, port = mailer.smtp_server().start()
    with smtplib.SMTP(host, port) as client:
        client.sendmail("app@example.com", ["ada@example.com"], b"Subject: x\\r\\n\\r\\nx")
    mailer.assert_sent(subject="x")


def test_unasserted_mail(mailer):
    mailer.send(to="forgotten@example.com", subject="Forgotten")
"""


FAILING_AFTER_A_SEND = """
def test_fails_after_sending(mailer):
    mailer.send(to="ada@example.com", subject="Welcome")
    assert False, "the test's own failure"
"""


@pytest.mark.slow
def test_fixture_joins_the_harness_on_the_clock(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(test_mail_fixture=TESTS)
    result = inner_pytest.run()
    result.assert_outcomes(passed=3)


@pytest.mark.slow
def test_strict_ini_option_fails_the_test_that_forgot_a_mail(inner_pytest: InnerPytest) -> None:
    inner_pytest.ini("fixturekit_strict = true")
    inner_pytest.makepyfile(test_mail_fixture=TESTS)
    result = inner_pytest.run()
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*StrictModeError: FakeMailer at exit: 1 mail(s) were sent that no assertion "
            "looked at (strict=True):*",
            "*'Forgotten' from noreply@example.com to forgotten@example.com*",
        ]
    )


@pytest.mark.slow
def test_strict_test_that_failed_after_sending_reports_only_its_failure(
    inner_pytest: InnerPytest,
) -> None:
    inner_pytest.ini("fixturekit_strict = true")
    inner_pytest.makepyfile(test_mail_fixture=FAILING_AFTER_A_SEND)
    result = inner_pytest.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the test's own failure*"])
    result.stdout.no_fnmatch_line("*StrictModeError*")


def test_harness_shares_its_clock_and_timeline() -> None:
    with fk.Harness(clock=fk.Clock("2024-01-01T09:00:00Z"), fakes=[FakeMailer()]) as harness:
        harness.clock.advance(hours=1)
        mail = harness.mailer.send(to="ada@example.com", subject="Hi")
        assert mail.sent_at.isoformat() == "2024-01-01T10:00:00+00:00"
        assert [event.message for event in harness.timeline] == ["mail to ada@example.com: Hi"]


class MailTestCase(HarnessTestCase):
    clock_start = "2024-01-01T09:00:00Z"
    fakes = (FakeMailer,)

    def test_mailer_attribute(self) -> None:
        self.mailer.send(to="ada@example.com", subject="From unittest")
        mail = self.mailer.assert_sent(subject="From unittest")
        assert mail.sent_at.isoformat() == "2024-01-01T09:00:00+00:00"
        self.mailer.smtp_server().start()  # stopped with the test's cleanups


def test_harness_test_case_runs_and_cleans_up() -> None:
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(MailTestCase)
    result = unittest.TestResult()
    suite.run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    assert result.testsRun == 1
    assert smtp_threads() == []


MailTestCase.__test__ = False  # type: ignore[attr-defined]  # run above, not by pytest


@pytest.mark.slow
def test_strict_ini_option_reaches_the_job_queue_too(inner_pytest: InnerPytest) -> None:
    inner_pytest.ini("fixturekit_strict = true")
    inner_pytest.makepyfile(
        test_queue_fixture="""
        def test_unasserted_job(job_queue):
            job_queue.push("send_welcome", {"user_id": 1})
        """
    )
    result = inner_pytest.run()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*send_welcome*"])
