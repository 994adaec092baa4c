from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Any

import pytest

import fixturekit as fk
from fixturekit.clock import _timepatch
from fixturekit.testcase import HarnessTestCase

from ._running import run_class, run_tests

START = datetime(2024, 1, 1, 9, tzinfo=timezone.utc)


class FakeSMS(fk.Fake):
    name = "sms"
    stopped: list[FakeSMS] = []  # noqa: RUF012 - shared on purpose, read by the tests

    def reset(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> None:
        self.sent.append((to, body))
        self.record(f"sms to {to}: {body}")

    def on_stop(self) -> None:
        FakeSMS.stopped.append(self)


@pytest.fixture(autouse=True)
def _forget_stopped_fakes() -> None:
    FakeSMS.stopped.clear()


def test_time_is_frozen_at_clock_start_during_each_test() -> None:
    seen: list[Any] = []

    class Case(HarnessTestCase):
        clock_start = "2024-01-01T09:00:00Z"

        def test_now(self) -> None:
            time.sleep(0.01)
            seen.append((datetime.now(timezone.utc), self.clock.now(), self.clock.running))

    outcome = run_class(Case)
    assert outcome.result.wasSuccessful(), outcome.output
    assert seen == [(START, START, True)]
    assert _timepatch.active_clock() is None


def test_clock_start_none_means_now_and_clock_tick_lets_time_flow() -> None:
    seen: list[Any] = []

    class Case(HarnessTestCase):
        clock_tick = True

        def test_flows(self) -> None:
            first = datetime.now(timezone.utc)
            time.sleep(0.02)
            seen.append((first, datetime.now(timezone.utc), self.clock.tick))

    before = _timepatch.real_utcnow()
    assert run_class(Case).result.wasSuccessful()
    ((first, later, tick),) = seen
    assert tick
    assert before <= first < later


def test_fakes_are_fresh_per_test_and_share_the_clock_and_timeline() -> None:
    seen: list[FakeSMS] = []

    class Case(HarnessTestCase):
        clock_start = START
        fakes = (FakeSMS,)

        def test_a(self) -> None:
            self._check()

        def test_b(self) -> None:
            self._check()

        def _check(self) -> None:
            sms = self.sms
            assert isinstance(sms, FakeSMS)
            assert sms.running
            assert self.harness.sms is sms
            assert self.harness.clock is self.clock
            assert sms.clock is self.clock
            assert sms.timeline is self.timeline
            assert sms.sent == []
            self.clock.advance(minutes=1)
            sms.send("+1555", "hi")
            assert [str(e) for e in self.timeline] == [
                "2024-01-01T09:01:00+00:00 [sms] sms to +1555: hi"
            ]
            seen.append(sms)

    outcome = run_class(Case)
    assert outcome.result.wasSuccessful(), outcome.output
    assert len(seen) == 2
    assert seen[0] is not seen[1]
    assert FakeSMS.stopped == seen


def test_fakes_may_be_zero_argument_factories() -> None:
    class BackupSMS(FakeSMS):
        name = "backup_sms"

    class Case(HarnessTestCase):
        fakes = (FakeSMS, lambda: BackupSMS())

        def test_both(self) -> None:
            assert self.harness.names == ("sms", "backup_sms")
            assert isinstance(self.backup_sms, BackupSMS)

    assert run_class(Case).result.wasSuccessful()


def test_harness_stops_after_teardown_even_when_the_test_raises() -> None:
    events: list[str] = []

    class Case(HarnessTestCase):
        fakes = (FakeSMS,)

        def tearDown(self) -> None:
            events.append(f"tearDown, harness running={self.harness.running}")
            super().tearDown()

        def test_fails(self) -> None:
            raise RuntimeError("boom")

        def test_asserts(self) -> None:
            self.fail("nope")

    outcome = run_class(Case)
    assert (len(outcome.result.errors), len(outcome.result.failures)) == (1, 1)
    assert events == ["tearDown, harness running=True"] * 2
    assert len(FakeSMS.stopped) == 2
    assert not any(fake.running for fake in FakeSMS.stopped)
    assert _timepatch.active_clock() is None


def test_subclass_setup_that_calls_super_sees_the_harness() -> None:
    seen: list[Any] = []

    class Case(HarnessTestCase):
        clock_start = START
        fakes = (FakeSMS,)

        def setUp(self) -> None:
            super().setUp()
            self.sms.send("+1", "welcome")
            seen.append(datetime.now(timezone.utc))

        def test_it(self) -> None:
            assert self.timeline.messages("sms") == ["sms to +1: welcome"]

    outcome = run_class(Case)
    assert outcome.result.wasSuccessful(), outcome.output
    assert seen == [START]


def test_setup_without_super_gets_an_error_saying_to_call_super() -> None:
    class Case(HarnessTestCase):
        fakes = (FakeSMS,)

        def setUp(self) -> None:
            self.ready = True

        def test_harness(self) -> None:
            self.harness  # noqa: B018

        def test_fake(self) -> None:
            self.sms  # noqa: B018

        def test_other_attribute(self) -> None:
            self.nothing_here  # noqa: B018

    outcome = run_class(Case)
    assert len(outcome.result.errors) == 3
    assert outcome.output.count("call super().setUp()") == 2
    assert "Case.harness is not set: it is set by HarnessTestCase's set-up" in outcome.output
    assert "'Case' object has no attribute 'nothing_here'" in outcome.output


class NotAFake:
    name = "thing"


@pytest.mark.parametrize(
    ("fakes", "message"),
    [
        (FakeSMS, r"Case\.fakes must be a tuple of Fake classes, such as fakes = \(FakeSMS,\)"),
        ((FakeSMS(),), r"holds a FakeSMS instance, which every test would share; .*\(FakeSMS,\)"),
        (("sms",), r"entries must be Fake classes or zero-argument functions.*not 'sms'"),
        ((NotAFake,), r"returned <.*NotAFake object.*>, not a fixturekit\.Fake"),
    ],
)
def test_bad_fakes_setting_errors_in_setup_with_what_to_write(fakes: Any, message: str) -> None:
    class Case(HarnessTestCase):
        def test_it(self) -> None:
            pass

    Case.fakes = fakes
    outcome = run_class(Case)
    ((_, trace),) = outcome.result.errors
    assert re.search(message, trace), trace


def test_fake_named_like_a_testcase_attribute_is_refused() -> None:
    class FakeId(fk.Fake):
        name = "id"

    class Case(HarnessTestCase):
        fakes = (FakeId,)

        def test_it(self) -> None:
            pass

    ((_, trace),) = run_class(Case).result.errors
    assert "the fake name 'id' is already an attribute of TestCase; give the fake another" in trace


def test_failure_shows_seed_rerun_command_and_timeline() -> None:
    class Case(HarnessTestCase):
        clock_start = START
        fakes = (FakeSMS,)

        def test_fails(self) -> None:
            self.sms.send("+1555", "code 1234")
            self.assertEqual(1, 2)  # noqa: PT009 - a unittest failure is what is tested

    case = Case("test_fails")
    outcome = run_tests(case)
    assert len(outcome.result.failures) == 1
    run_seed = case._fixturekit_run_seed  # type: ignore[attr-defined]
    assert f"fixturekit: test seed {case.fixturekit_seed} (run seed {run_seed}); " in outcome.output
    assert f"rerun with FIXTUREKIT_SEED={run_seed} python -m unittest {case.id()}" in outcome.output
    assert "2024-01-01T09:00:00+00:00  sms     sms to +1555: code 1234" in outcome.output


def test_passing_test_output_has_no_seed() -> None:
    class Case(HarnessTestCase):
        def test_ok(self) -> None:
            pass

    outcome = run_class(Case)
    assert outcome.result.wasSuccessful()
    assert "fixturekit" not in outcome.output


def test_subtest_failures_get_the_seed_too() -> None:
    class Case(HarnessTestCase):
        def test_sub(self) -> None:
            with self.subTest(n=1):
                self.assertEqual(1, 2)  # noqa: PT009 - a unittest failure is what is tested  # noqa: PT009 - a unittest failure is what is tested

    outcome = run_class(Case)
    assert len(outcome.result.failures) == 1
    assert "fixturekit: test seed" in outcome.output


class StrictSMS(FakeSMS):
    """Strict: leaving it with texts no assertion looked at is an exit problem."""

    name = "sms"

    def __init__(self) -> None:
        super().__init__(strict=True)

    def exit_problems(self) -> list[str]:
        return [f"unread sms to {to}" for to, _ in self.sent]


def test_a_failing_test_reports_only_its_failure_not_the_strict_exit_checks() -> None:
    class Case(HarnessTestCase):
        fakes = (StrictSMS,)

        def test_fails(self) -> None:
            self.sms.send("+1555", "hi")
            self.fail("the test's own failure")

        def test_raises(self) -> None:
            self.sms.send("+1555", "hi")
            raise RuntimeError("the test's own error")

        def test_sub_fails(self) -> None:
            self.sms.send("+1555", "hi")
            with self.subTest(n=1):
                self.fail("a subtest's failure")

        def test_passes(self) -> None:
            self.sms.send("+1555", "hi")

    outcome = run_class(Case)
    reported = [
        (case.id().rsplit(".", 1)[-1], trace)
        for case, trace in outcome.result.failures + outcome.result.errors
    ]
    # One report per test; the passing test's only report is its exit problem.
    assert sorted(name for name, _ in reported) == [
        "test_fails",
        "test_passes",
        "test_raises",
        "test_sub_fails (n=1)",
    ]
    for name, trace in reported:
        if name == "test_passes":
            assert "StrictModeError: StrictSMS at exit: unread sms to +1555" in trace
        else:
            assert "StrictModeError" not in trace, trace
    assert not any(fake.running for fake in FakeSMS.stopped)


def test_the_async_twin_skips_the_exit_checks_of_a_failing_test_too() -> None:
    from fixturekit.testcase import IsolatedAsyncioHarnessTestCase

    class Case(IsolatedAsyncioHarnessTestCase):
        fakes = (StrictSMS,)

        async def test_fails(self) -> None:
            self.sms.send("+1555", "hi")
            self.fail("the test's own failure")

        async def test_passes(self) -> None:
            self.sms.send("+1555", "hi")

    outcome = run_class(Case)
    reported = {
        case.id().rsplit(".", 1)[-1]: trace
        for case, trace in outcome.result.failures + outcome.result.errors
    }
    assert sorted(reported) == ["test_fails", "test_passes"]
    assert "StrictModeError" not in reported["test_fails"]
    assert "StrictModeError: StrictSMS at exit" in reported["test_passes"]
