"""Shared pieces of the mail tests: a running mailer, and the three ways in as senders.

`Sender` is the contract: one object per way in (direct, the SMTP server through
smtplib, patched smtplib) that sends the same mail, so the behavioural tests are
parametrized over the entry point and must hold for each.
"""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from email.message import EmailMessage

import pytest

import fixturekit as fk
from fixturekit.mail import Attachment, FakeMailer, SentMail

START = "2024-01-01T09:00:00Z"


def smtp_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("fixturekit-smtp")]


@pytest.fixture
def virtual_clock() -> fk.Clock:
    """A clock that does not patch the process's time."""
    return fk.Clock(START, patch=False)


@pytest.fixture
def mailer(virtual_clock: fk.Clock) -> Iterator[FakeMailer]:
    with FakeMailer(clock=virtual_clock) as running:
        yield running
    assert smtp_threads() == [], "the mailer left an SMTP thread running"


def build_message(
    *,
    to: Sequence[str],
    subject: str,
    text: str | None = None,
    html: str | None = None,
    from_: str = "app@example.com",
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """The EmailMessage an application would build for the same mail."""
    message = EmailMessage()
    message["From"] = from_
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    if bcc:
        message["Bcc"] = ", ".join(bcc)
    message["Subject"] = subject
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.name
        )
    return message


class Sender:
    """Sends a mail to the mailer through one way in."""

    way = ""

    def __init__(self, mailer: FakeMailer, stack: ExitStack) -> None:
        self.mailer = mailer
        self.stack = stack

    def send(
        self,
        *,
        to: Sequence[str],
        subject: str,
        text: str | None = None,
        html: str | None = None,
        from_: str = "app@example.com",
        cc: Sequence[str] = (),
        bcc: Sequence[str] = (),
        attachments: Sequence[Attachment] = (),
    ) -> None:
        raise NotImplementedError

    def send_raw(self, sender: str, recipients: Sequence[str], subject: str = "Hi") -> None:
        """A minimal mail from ``sender`` to ``recipients``, addresses used as given."""
        raise NotImplementedError


class DirectSender(Sender):
    way = "direct"

    def send(self, **kw: object) -> None:  # type: ignore[override]
        self.mailer.send(**kw)  # type: ignore[arg-type]

    def send_raw(self, sender: str, recipients: Sequence[str], subject: str = "Hi") -> None:
        self.mailer.send(from_=sender, to=list(recipients), subject=subject, text="hello")


class _SmtplibSender(Sender):
    host = ""
    port = 0

    def client(self) -> smtplib.SMTP:
        return smtplib.SMTP(self.host, self.port, timeout=10)

    def send(self, **kw: object) -> None:  # type: ignore[override]
        message = build_message(**kw)  # type: ignore[arg-type]
        with self.client() as client:
            client.send_message(message)

    def send_raw(self, sender: str, recipients: Sequence[str], subject: str = "Hi") -> None:
        body = f"From: {sender}\r\nSubject: {subject}\r\n\r\nhello\r\n"
        with self.client() as client:
            client.sendmail(sender, list(recipients), body.encode("utf-8"))


class ServerSender(_SmtplibSender):
    way = "smtp"

    def __init__(self, mailer: FakeMailer, stack: ExitStack) -> None:
        super().__init__(mailer, stack)
        self.host, self.port = stack.enter_context(mailer.smtp_server())


class PatchedSender(_SmtplibSender):
    way = "smtplib"
    host = "smtp.provider.example"
    port = 587

    def __init__(self, mailer: FakeMailer, stack: ExitStack) -> None:
        super().__init__(mailer, stack)
        stack.enter_context(mailer.patch_smtplib())

    def client(self) -> smtplib.SMTP:
        client = smtplib.SMTP(self.host, self.port, timeout=10)
        client.starttls()
        client.login("apikey", "s3cret")
        return client


SENDERS = {"direct": DirectSender, "smtp": ServerSender, "smtplib": PatchedSender}


@pytest.fixture(params=sorted(SENDERS))
def way_in(request: pytest.FixtureRequest, mailer: FakeMailer) -> Iterator[Sender]:
    """The same mail, sent through each of the three ways in."""
    with ExitStack() as stack:
        yield SENDERS[request.param](mailer, stack)


def only(mailer: FakeMailer) -> SentMail:
    (mail,) = mailer.outbox
    return mail
