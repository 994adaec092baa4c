"""patch_smtplib(): an application that hard-codes its provider, sending into the outbox."""

from __future__ import annotations

import smtplib
import socket
from smtplib import SMTP as SMTPImportedEarly

import pytest

from fixturekit.errors import FixturekitError
from fixturekit.mail import FakeMailer

from .conftest import only, smtp_threads


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network connection attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)


def notify_signup(email: str) -> None:
    """An application function with its provider hard-coded, as many have."""
    with smtplib.SMTP("smtp.sendgrid.net", 587, timeout=10) as smtp:
        smtp.ehlo()
        smtp.starttls()
        smtp.ehlo()
        smtp.login("apikey", "SG.secret")
        smtp.sendmail("hello@shop.example", [email], b"Subject: Welcome!\r\n\r\nHi")


@pytest.mark.usefixtures("no_network")
def test_hard_coded_provider_delivers_into_the_outbox(mailer: FakeMailer) -> None:
    with mailer.patch_smtplib() as patch:
        notify_signup("ada@example.com")
    mail = mailer.assert_sent(to=[], recipients=["ada@example.com"], subject="Welcome!")
    assert mail.via == "smtplib"
    assert mail.server == ("smtp.sendgrid.net", 587)
    assert mail.login == "apikey"
    assert mail.tls is True
    assert patch.connections == [("smtp.sendgrid.net", 587)]


@pytest.mark.usefixtures("no_network")
def test_smtp_ssl_and_default_port(mailer: FakeMailer) -> None:
    with mailer.patch_smtplib(), smtplib.SMTP_SSL("smtp.gmail.com", timeout=10) as smtp:
        smtp.login("me@gmail.com", "app-password")
        smtp.sendmail("me@gmail.com", ["ada@example.com"], b"Subject: s\r\n\r\nx")
    mail = only(mailer)
    assert (mail.server, mail.tls, mail.login) == (("smtp.gmail.com", 465), True, "me@gmail.com")


@pytest.mark.usefixtures("no_network")
def test_plain_session_without_tls_is_recorded_as_such(mailer: FakeMailer) -> None:
    with mailer.patch_smtplib(), smtplib.SMTP("mail.internal", 25) as smtp:
        smtp.sendmail("app@example.com", ["ada@example.com"], b"Subject: s\r\n\r\nx")
    assert only(mailer).tls is False


@pytest.mark.usefixtures("no_network")
def test_class_imported_before_the_patch_and_subclasses_are_patched(mailer: FakeMailer) -> None:
    class LoggingSMTP(smtplib.SMTP):
        pass

    with mailer.patch_smtplib():
        with SMTPImportedEarly("smtp.example.net") as smtp:
            smtp.sendmail("app@example.com", ["ada@example.com"], b"Subject: early\r\n\r\nx")
        with LoggingSMTP("smtp.example.net") as smtp:
            smtp.sendmail("app@example.com", ["ada@example.com"], b"Subject: sub\r\n\r\nx")
    assert [mail.subject for mail in mailer.outbox] == ["early", "sub"]


def test_smtplib_is_restored_after_exit(mailer: FakeMailer) -> None:
    targets = [(smtplib.SMTP, name) for name in ("_get_socket", "starttls", "sendmail")]
    targets.append((smtplib.SMTP_SSL, "_get_socket"))
    before = [cls.__dict__[name] for cls, name in targets]
    with mailer.patch_smtplib():
        assert all(
            cls.__dict__[name] is not old for (cls, name), old in zip(targets, before, strict=True)
        )
        assert smtp_threads() == ["fixturekit-smtp"]
    assert [cls.__dict__[name] for cls, name in targets] == before
    assert smtp_threads() == []


def test_restored_even_when_the_body_raises(mailer: FakeMailer) -> None:
    original = smtplib.SMTP.__dict__["_get_socket"]
    with pytest.raises(ZeroDivisionError), mailer.patch_smtplib():
        1 / 0  # noqa: B018
    assert smtplib.SMTP.__dict__["_get_socket"] is original
    assert smtp_threads() == []


def test_connection_left_open_by_the_app_is_closed_at_exit(mailer: FakeMailer) -> None:
    with mailer.patch_smtplib():
        smtp = smtplib.SMTP("smtp.example.net")
        smtp.noop()
    assert smtp.sock is not None
    assert smtp.sock._closed  # type: ignore[attr-defined]
    with pytest.raises(smtplib.SMTPServerDisconnected):
        smtp.noop()


def test_one_patch_at_a_time(mailer: FakeMailer) -> None:
    other = FakeMailer()
    with mailer.patch_smtplib(), pytest.raises(RuntimeError, match="already patched"):
        other.patch_smtplib().start()
    # The failed attempt left nothing behind, and the patch can be taken again.
    assert smtp_threads() == []
    with other.patch_smtplib(), smtplib.SMTP("x.example") as smtp:
        smtp.sendmail("app@example.com", ["ada@example.com"], b"Subject: x\r\n\r\nx")
    assert len(other.outbox) == 1
    mailer.assert_nothing_sent()


def test_non_blocking_timeout_is_refused_like_smtplib(mailer: FakeMailer) -> None:
    with mailer.patch_smtplib(), pytest.raises(ValueError, match="Non-blocking"):
        smtplib.SMTP("smtp.example.net", 25, timeout=0)


def test_server_and_patch_share_one_thread(mailer: FakeMailer) -> None:
    with mailer.smtp_server(), mailer.patch_smtplib():
        assert smtp_threads() == ["fixturekit-smtp"]
        with smtplib.SMTP("anything.example") as smtp:
            smtp.sendmail("app@example.com", ["ada@example.com"], b"Subject: a\r\n\r\nx")
    assert [mail.server for mail in mailer.outbox] == [("anything.example", 25)]


@pytest.mark.parametrize(
    ("code", "on", "error"),
    [
        (421, "mail", smtplib.SMTPSenderRefused),
        (550, "rcpt", smtplib.SMTPRecipientsRefused),
        (451, "data", smtplib.SMTPDataError),
        ("disconnect", None, smtplib.SMTPServerDisconnected),
    ],
)
def test_refusals_through_the_patch_are_smtplib_errors_and_fixturekit_errors(
    mailer: FakeMailer, code: int | str, on: str | None, error: type[Exception]
) -> None:
    mailer.fail_next(code, on=on)
    with mailer.patch_smtplib(), smtplib.SMTP("smtp.provider.example") as smtp:
        try:
            smtp.sendmail("app@example.com", ["ada@example.com"], b"Subject: x\r\n\r\nx")
        except smtplib.SMTPException as raised:
            refusal: Exception = raised
    assert isinstance(refusal, error)
    assert isinstance(refusal, FixturekitError)
    mailer.assert_nothing_sent()
