"""strict=True: leaving the mailer fails if a sent mail was never asserted."""

from __future__ import annotations

import smtplib

import pytest

import fixturekit as fk
from fixturekit.mail import FakeMailer

from .conftest import smtp_threads


def test_unasserted_mail_fails_at_exit_listing_it(virtual_clock: fk.Clock) -> None:
    mailer = FakeMailer(clock=virtual_clock, strict=True).start()
    mailer.send(to="ada@example.com", subject="Welcome")
    mailer.send(to="bob@example.com", subject="Receipt")
    mailer.assert_sent(subject="Welcome")
    with pytest.raises(AssertionError) as info:
        mailer.stop()
    lines = str(info.value).splitlines()
    assert lines[0] == "strict FakeMailer: 1 mail(s) were sent that no assertion looked at:"
    assert lines[1].startswith("  - 'Receipt' from noreply@example.com to bob@example.com")
    assert "mailer.ignore(...)" in lines[-1]


def test_asserted_and_ignored_mail_pass(virtual_clock: fk.Clock) -> None:
    with FakeMailer(clock=virtual_clock, strict=True) as mailer:
        mailer.send(to="ada@example.com", subject="Welcome")
        mailer.send(to="ops@example.com", subject="Report 1")
        mailer.send(to="ops@example.com", subject="Report 2")
        mailer.assert_sent(to="ada@example.com")
        assert len(mailer.ignore(to="ops@example.com")) == 2
        assert mailer.unasserted == []


def test_counting_is_not_looking(virtual_clock: fk.Clock) -> None:
    mailer = FakeMailer(clock=virtual_clock, strict=True).start()
    mailer.send(to="ada@example.com", subject="Welcome")
    mailer.assert_sent_count(1)
    with pytest.raises(AssertionError, match="1 mail"):
        mailer.stop()


def test_strict_failure_still_releases_servers_and_patches(virtual_clock: fk.Clock) -> None:
    original = smtplib.SMTP.__dict__["_get_socket"]
    mailer = FakeMailer(clock=virtual_clock, strict=True).start()
    mailer.smtp_server().start()
    mailer.patch_smtplib().start()
    mailer.send(to="ada@example.com", subject="Welcome")
    with pytest.raises(AssertionError, match="strict FakeMailer"):
        mailer.stop()
    assert smtp_threads() == []
    assert smtplib.SMTP.__dict__["_get_socket"] is original


def test_not_strict_by_default(mailer: FakeMailer) -> None:
    mailer.send(to="ada@example.com", subject="Welcome")
    assert mailer.strict is False
    assert [mail.subject for mail in mailer.unasserted] == ["Welcome"]
