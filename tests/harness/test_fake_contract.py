"""The contract every fake follows: when reset() runs, what strict mode reports, and when not."""

from __future__ import annotations

import pytest

import fixturekit as fk
from fixturekit.errors import FixturekitError, StrictModeError


class FakeSMSInitState(fk.Fake):
    """State made in __init__ after super().__init__(), cleared in reset()."""

    name = "sms"

    def __init__(self, *, prefix: str = "", **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.prefix = prefix
        self.sent: list[str] = []

    def reset(self) -> None:
        self.sent.clear()

    def send(self, body: str) -> None:
        self.sent.append(self.prefix + body)


class FakeSMSResetState(fk.Fake):
    """State made in reset() alone."""

    name = "sms"

    def reset(self) -> None:
        self.sent: list[str] = []


class StrictSMS(FakeSMSResetState):
    """Reports, when strict, the messages no assertion looked at."""

    def reset(self) -> None:
        super().reset()
        self.seen = 0

    def send(self, body: str) -> None:
        self.sent.append(body)

    def assert_sent(self, body: str) -> None:
        assert body in self.sent
        self.seen += 1

    def exit_problems(self) -> list[str]:
        left = len(self.sent) - self.seen
        if self.strict and left:
            return [f"{left} sms were sent that no assertion looked at"]
        return []


def test_state_set_in_init_after_super_init_is_there_when_reset_runs() -> None:
    sms = FakeSMSInitState(prefix="> ")
    sms.send("hi")
    assert sms.sent == ["> hi"]
    sms.reset()
    assert sms.sent == []


def test_state_made_in_reset_alone_exists_after_construction() -> None:
    sms = FakeSMSResetState()
    assert sms.sent == []


def test_reset_runs_once_after_the_whole_init_chain() -> None:
    calls: list[str] = []

    class Counting(fk.Fake):
        name = "counting"

        def __init__(self) -> None:
            calls.append("init begins")
            super().__init__()
            calls.append("init ends")

        def reset(self) -> None:
            calls.append("reset")

    Counting()
    assert calls == ["init begins", "init ends", "reset"]


def send_in_block(sms: StrictSMS, *, then: BaseException | None = None) -> None:
    with sms:
        sms.send("hi")
        if then is not None:
            raise then


def test_a_strict_fake_reports_what_no_assertion_looked_at_when_it_stops() -> None:
    sms = StrictSMS(strict=True)
    with pytest.raises(StrictModeError, match="1 sms were sent that no assertion looked at"):
        send_in_block(sms)
    assert not sms.running  # stopped all the same


def test_strict_mode_is_quiet_when_everything_was_asserted_or_strict_is_off() -> None:
    with StrictSMS(strict=True) as sms:
        sms.send("hi")
        sms.assert_sent("hi")
    with StrictSMS() as lax:
        lax.send("never asserted")


def test_exit_checks_are_skipped_when_the_block_raised() -> None:
    with pytest.raises(KeyError, match="the test's own error"):
        send_in_block(StrictSMS(strict=True), then=KeyError("the test's own error"))


def test_skip_exit_checks_skips_them_once() -> None:
    sms = StrictSMS(strict=True)
    with sms:
        sms.send("hi")
        sms.skip_exit_checks()
    with pytest.raises(StrictModeError):  # the next run checks again
        send_in_block(sms)


def test_a_harness_passes_the_blocks_exception_to_every_fake() -> None:
    def fail_inside_a_harness() -> None:
        sms = StrictSMS(strict=True)
        with fk.Harness(clock=fk.Clock(patch=False), fakes=[sms]):
            sms.send("hi")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail_inside_a_harness()
    harness = fk.Harness(clock=fk.Clock(patch=False), fakes=[StrictSMS(strict=True)])
    with harness:
        harness.sms.send("hi")
        harness.skip_exit_checks()


def test_strict_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="strict must be True or False, not 1"):
        StrictSMS(strict=1)  # type: ignore[arg-type]


def test_strict_mode_error_is_an_assertion_error_and_a_fixturekit_error() -> None:
    assert issubclass(StrictModeError, AssertionError)
    assert issubclass(StrictModeError, FixturekitError)


def test_every_strict_fake_of_a_harness_reports_even_when_another_one_failed() -> None:
    first, second = StrictSMS(strict=True), StrictSMS(strict=True)
    second.name = "backup_sms"
    harness = fk.Harness(clock=fk.Clock(patch=False), fakes=[first, second])
    harness.start()
    first.send("one")
    second.send("two")
    with pytest.raises(StrictModeError) as info:
        harness.stop()
    assert str(info.value).count("1 sms were sent that no assertion looked at") == 2
    assert not first.running
    assert not second.running
