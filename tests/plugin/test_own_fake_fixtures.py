"""fixturekit's own fake fixtures: named as on the harness, strict as the ini says, and
quiet at teardown when the test already failed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import InnerPytest


def test_own_fake_fixtures_share_the_clock_and_carry_their_harness_names(
    inner_pytest: InnerPytest,
) -> None:
    inner_pytest.makepyfile(
        """
        import pytest


        @pytest.mark.clock("2024-01-01T09:00:00Z")
        def test_fixtures(harness, clock, mailer, queue, http, tokens, payments):
            assert harness.mailer is mailer
            assert harness.queue is queue
            assert harness.http is http
            assert harness.tokens is tokens
            assert harness.payments is payments
            assert {fake.clock for fake in harness.fakes} == {clock}
            queue.push("send_welcome", {"user_id": 1})
            assert harness.timeline.events[0].at == clock.now()
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=1)


def test_job_queue_and_http_mock_are_the_same_fakes_under_other_names(
    inner_pytest: InnerPytest,
) -> None:
    inner_pytest.makepyfile(
        """
        def test_aliases(queue, job_queue, http, http_mock, harness):
            assert job_queue is queue and harness.queue is queue
            assert http_mock is http and harness.http is http

        def test_alias_alone(job_queue, harness):
            assert harness.queue is job_queue and job_queue.name == "queue"
        """
    )
    inner_pytest.run_inprocess().assert_outcomes(passed=2)


STRICTNESS = """
def test_strictness(mailer, queue, http, payments, tokens):
    print("STRICT", mailer.strict, queue.strict, http.strict, payments.strict)
"""


@pytest.mark.parametrize(
    ("ini", "expected"),
    [
        ("", "STRICT False False True False"),  # unset: each fake's own default
        ("fixturekit_strict = true", "STRICT True True True True"),
        ("fixturekit_strict = false", "STRICT False False False False"),
    ],
)
def test_strict_ini_option_is_passed_to_every_fake_that_has_a_strict_mode(
    inner_pytest: InnerPytest, ini: str, expected: str
) -> None:
    if ini:
        inner_pytest.ini(ini)
    inner_pytest.makepyfile(STRICTNESS)
    result = inner_pytest.run_inprocess("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*{expected}*"])


def test_strict_ini_option_reaches_registered_fakes(inner_pytest: InnerPytest) -> None:
    inner_pytest.ini("fixturekit_strict = true")
    inner_pytest.makeconftest(
        """
        import fixturekit as fk
        from fixturekit.pytest_plugin import register_fake

        class FakeSMS(fk.Fake):
            name = "sms"

            def reset(self):
                self.sent = []

            def exit_problems(self):
                return [f"unread sms: {body}" for body in self.sent] if self.strict else []

        register_fake(FakeSMS)
        """
    )
    inner_pytest.makepyfile(
        """
        def test_leaves_an_sms(sms):
            sms.sent.append("hi")
        """
    )
    result = inner_pytest.run_inprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*StrictModeError: FakeSMS at exit: unread sms: hi*"])


STRICT_FAILING_TESTS = """
import pytest


def test_mail_then_fail(mailer):
    mailer.send(to="ada@example.com", subject="Welcome", text="hi")
    assert False, "the test's own failure"


def test_job_then_fail(queue):
    queue.push("send_welcome", {"user_id": 1})
    pytest.fail("the test's own failure")


def test_both_then_raise(mailer, job_queue):
    mailer.send(to="ada@example.com", subject="Welcome", text="hi")
    job_queue.push("send_welcome", {"user_id": 1})
    raise RuntimeError("the test's own failure")


def test_mail_and_pass(mailer):
    mailer.send(to="ada@example.com", subject="Welcome", text="hi")


@pytest.mark.xfail(reason="known", strict=True)
def test_job_then_xfail(queue):
    queue.push("send_welcome", {"user_id": 1})
    assert False
"""


def test_strict_fakes_report_only_the_failure_of_a_failing_test(
    inner_pytest: InnerPytest,
) -> None:
    inner_pytest.ini("fixturekit_strict = true")
    inner_pytest.makepyfile(test_strict=STRICT_FAILING_TESTS)
    result = inner_pytest.run_inprocess("-rA")
    # The three failing tests fail, with no teardown error; the one that passed but
    # left a mail nobody asserted gets its strict teardown error.
    result.assert_outcomes(passed=1, failed=3, errors=1, xfailed=1)
    result.stdout.fnmatch_lines(["ERROR test_strict.py::test_mail_and_pass - *StrictModeError*"])
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_mail_and_pass*"])
    for name in ["test_mail_then_fail", "test_job_then_fail", "test_both_then_raise"]:
        result.stdout.fnmatch_lines([f"FAILED test_strict.py::{name} - *"])
        result.stdout.no_fnmatch_line(f"*ERROR at teardown of {name}*")
    result.stdout.no_fnmatch_line("*ERROR at teardown of test_job_then_xfail*")
