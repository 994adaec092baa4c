"""strict=True: leaving the mailer fails if a sent mail was never asserted, through the
Fake base class's exit checks (never on top of the test's own error)."""

from __future__ import annotations

import smtplib

import pytest

import fixturekit as fk
from fixturekit.errors import StrictModeError
from fixturekit.mail import FakeMailer

from .conftest import smtp_threads


def test_unasserted_mail_raises_strict_mode_error_at_exit_listing_it(
    virtual_clock: fk.Clock,
) -> None:
    mailer = FakeMailer(clock=virtual_clock, strict=True).start()
    mailer.send(to="ada@example.com", subject="Welcome")
    mailer.send(to="bob@example.com", subject="Receipt")
    mailer.assert_sent(subject="Welcome")
    with pytest.raises(StrictModeError) as info:
        mailer.stop()
    lines = str(info.value).splitlines()
    assert lines[0] == (
        "FakeMailer at exit: 1 mail(s) were sent that no assertion looked at (strict=True):"
    )
    assert lines[1].startswith("  - 'Receipt' from noreply@example.com to bob@example.com")
    assert "mailer.ignore(...)" in lines[-1]


def test_exit_problems_lists_the_unasserted_mail_only_when_strict(
    virtual_clock: fk.Clock,
) -> None:
    strict = FakeMailer(clock=virtual_clock, strict=True)
    relaxed = FakeMailer(clock=virtual_clock)
    for mailer in (strict, relaxed):
        mailer.send(to="ada@example.com", subject="Welcome")
    assert strict.exit_problems()[0].startswith("1 mail(s) were sent")
    assert relaxed.exit_problems() == []
    strict.assert_sent(subject="Welcome")
    assert strict.exit_problems() == []


def test_a_with_block_that_raises_reports_only_its_own_error(virtual_clock: fk.Clock) -> None:
    mailer = FakeMailer(clock=virtual_clock, strict=True)

    def failing_test() -> None:
        with mailer:
            mailer.send(to="ada@example.com", subject="Welcome")
            raise KeyError("the test's own error")

    with pytest.raises(KeyError, match="the test's own error") as info:
        failing_test()
    assert info.value.__context__ is None
    assert not mailer.running


def test_asserted_and_ignored_mail_pass(virtual_clock: fk.Clock) -> None:
    with FakeMailer(clock=virtual_clock, strict=True) as mailer:
        mailer.send(to="ada@example.com", subject="Welcome")
        mailer.send(to="ops@example.com", subject="Report 1")
        mailer.send(to="ops@example.com", subject="Report 2")
        mailer.assert_sent(to="ada@example.com")
        assert len(mailer.ignore(to="ops@example.com")) == 2
        assert mailer.unasserted == []


def test_counting_with_criteria_acknowledges_what_it_counted(virtual_clock: fk.Clock) -> None:
    with FakeMailer(clock=virtual_clock, strict=True) as mailer:
        mailer.send(to="ops@example.com", subject="Report 1")
        mailer.send(to="ops@example.com", subject="Report 2")
        mailer.assert_sent_count(2, to="ops@example.com")
        assert mailer.unasserted == []


def test_finding_is_not_asserting(virtual_clock: fk.Clock) -> None:
    mailer = FakeMailer(clock=virtual_clock, strict=True).start()
    mailer.send(to="ada@example.com", subject="Welcome")
    assert len(mailer.find(subject="Welcome")) == 1
    with pytest.raises(StrictModeError, match="1 mail"):
        mailer.stop()


def test_skip_exit_checks_skips_them_once(virtual_clock: fk.Clock) -> None:
    mailer = FakeMailer(clock=virtual_clock, strict=True).start()
    mailer.send(to="ada@example.com", subject="Welcome")
    mailer.skip_exit_checks()
    mailer.stop()
    mailer.start()
    with pytest.raises(StrictModeError):
        mailer.stop()


def test_strict_failure_still_releases_servers_and_patches(virtual_clock: fk.Clock) -> None:
    original = smtplib.SMTP.__dict__["_get_socket"]
    mailer = FakeMailer(clock=virtual_clock, strict=True).start()
    mailer.smtp_server().start()
    mailer.patch_smtplib().start()
    mailer.send(to="ada@example.com", subject="Welcome")
    with pytest.raises(StrictModeError, match="no assertion looked at"):
        mailer.stop()
    assert smtp_threads() == []
    assert smtplib.SMTP.__dict__["_get_socket"] is original


def test_not_strict_by_default(mailer: FakeMailer) -> None:
    mailer.send(to="ada@example.com", subject="Welcome")
    assert mailer.strict is False
    assert [mail.subject for mail in mailer.unasserted] == ["Welcome"]
