"""The Fake contract for the mailer: what reset() keeps and forgets, and subclasses that
keep state of their own."""

from __future__ import annotations

import smtplib

import fixturekit as fk
from fixturekit.mail import FakeMailer, SentMail

from .conftest import smtp_threads


class AuditedMailer(FakeMailer):
    """State set in __init__ after super().__init__(), cleared in reset()."""

    def __init__(self, *, label: str = "audit", **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.label = label
        self.audit: list[str] = []

    def reset(self) -> None:
        super().reset()
        self.audit.clear()

    def send(self, **kwargs: object) -> SentMail:  # type: ignore[override]
        mail = super().send(**kwargs)  # type: ignore[arg-type]
        self.audit.append(f"{self.label}: {mail.subject}")
        return mail


class CountingMailer(FakeMailer):
    """State made in reset() alone."""

    def reset(self) -> None:
        super().reset()
        self.resets = getattr(self, "resets", 0) + 1


def test_subclass_state_set_in_init_after_super_init_is_there_when_reset_runs() -> None:
    mailer = AuditedMailer(label="copy", default_from="app@example.com")
    assert mailer.audit == []
    mailer.send(to="ada@example.com", subject="Welcome")
    assert mailer.audit == ["copy: Welcome"]
    mailer.reset()
    assert mailer.audit == []
    mailer.assert_nothing_sent()


def test_subclass_state_made_in_reset_alone_exists_after_construction() -> None:
    mailer = CountingMailer()
    assert mailer.resets == 1
    mailer.reset()
    assert mailer.resets == 2


def test_subclasses_work_in_a_harness() -> None:
    with fk.Harness(clock=fk.Clock(patch=False), fakes=[AuditedMailer()]) as harness:
        harness.mailer.send(to="ada@example.com", subject="Hi")
        harness.mailer.assert_sent(subject="Hi")


def test_reset_forgets_recordings_and_keeps_servers_and_patches(virtual_clock: fk.Clock) -> None:
    with FakeMailer(clock=virtual_clock, strict=True) as mailer:
        server = mailer.smtp_server().start()
        patch = mailer.patch_smtplib().start()
        mailer.send(to="ada@example.com", subject="before")
        mailer.assert_sent(subject="before")
        mailer.fail_next(451)
        mailer.reset()

        assert mailer.outbox == []
        assert mailer.unasserted == []
        assert mailer.faults == []
        assert mailer.strict is True
        assert mailer.default_from == "noreply@example.com"
        assert server.running
        assert patch.running
        assert smtp_threads() == ["fixturekit-smtp"]
        with smtplib.SMTP(*server, timeout=10) as client:
            client.sendmail("app@example.com", ["ada@example.com"], b"Subject: server\r\n\r\nx")
        with smtplib.SMTP("smtp.provider.example", 587, timeout=10) as client:
            client.sendmail("app@example.com", ["ada@example.com"], b"Subject: patch\r\n\r\nx")
        assert [mail.subject for mail in mailer.outbox] == ["server", "patch"]
        mailer.ignore()
    assert not server.running
    assert not patch.running
    assert smtp_threads() == []
