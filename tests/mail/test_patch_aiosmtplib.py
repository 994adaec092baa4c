"""patch_smtplib() also catches aiosmtplib: an async app's mail lands in the outbox."""

from __future__ import annotations

import asyncio
import smtplib
import socket
from email.message import EmailMessage

import aiosmtplib
import aiosmtplib.smtp
import pytest

from fixturekit.mail import FakeMailer

from .conftest import only, smtp_threads

#: Hosts under .invalid never resolve: a connection that escaped the patch would fail.
PROVIDER = "smtp.provider.invalid"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any name resolution or outbound connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def welcome(to: str = "ada@example.com", subject: str = "Welcome") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "hello@shop.example"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Hi!")
    return message


@pytest.mark.usefixtures("no_network")
def test_aiosmtplib_send_with_start_tls_lands_in_the_outbox(mailer: FakeMailer) -> None:
    async def app() -> None:
        await aiosmtplib.send(
            welcome(),
            hostname=PROVIDER,
            port=587,
            start_tls=True,
            username="apikey",
            password="SG.secret",
        )

    with mailer.patch_smtplib() as patch:
        asyncio.run(app())
    mail = mailer.assert_sent(to="ada@example.com", subject="Welcome", via="aiosmtplib")
    assert (mail.server, mail.tls, mail.login) == ((PROVIDER, 587), True, "apikey")
    assert patch.connections == [(PROVIDER, 587)]


@pytest.mark.usefixtures("no_network")
def test_aiosmtplib_use_tls_on_the_default_port(mailer: FakeMailer) -> None:
    async def app() -> None:
        await aiosmtplib.send(welcome(), hostname=PROVIDER, use_tls=True, username="me")

    with mailer.patch_smtplib():
        asyncio.run(app())
    mail = only(mailer)
    assert (mail.server, mail.tls, mail.login) == ((PROVIDER, 465), True, "me")


@pytest.mark.usefixtures("no_network")
def test_smtp_connect_plain_opportunistic_and_a_socket_path(mailer: FakeMailer) -> None:
    async def app() -> list[bool]:
        encrypted = []
        for options in ({"start_tls": False}, {}):  # {}: STARTTLS when offered
            client = aiosmtplib.SMTP(hostname="mail.internal.invalid", **options)  # type: ignore[arg-type]
            await client.connect()
            encrypted.append(client.get_transport_info("sslcontext") is not None)
            await client.sendmail("app@example.com", ["ada@example.com"], b"Subject: c\r\n\r\nx")
            await client.quit()
        local = aiosmtplib.SMTP(socket_path="/run/no-such-mta.sock", start_tls=False)
        async with local:
            await local.send_message(welcome(subject="local"))
        return encrypted

    with mailer.patch_smtplib() as patch:
        assert asyncio.run(app()) == [False, True]
    assert [(mail.tls, mail.server) for mail in mailer.outbox] == [
        (False, ("mail.internal.invalid", 25)),
        (True, ("mail.internal.invalid", 25)),
        (False, ("/run/no-such-mta.sock", 0)),
    ]
    assert len(patch.connections) == 3


def test_refusals_reach_aiosmtplib_as_its_own_errors(mailer: FakeMailer) -> None:
    mailer.fail_next(550, recipient="gone@example.com")
    mailer.fail_next(451)

    async def app() -> list[type[Exception]]:
        raised = []
        for to in ("gone@example.com", "ada@example.com"):
            try:
                await aiosmtplib.send(welcome(to=to), hostname=PROVIDER, port=587)
            except aiosmtplib.SMTPException as error:
                raised.append(type(error))
        return raised

    with mailer.patch_smtplib():
        assert asyncio.run(app()) == [aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPDataError]
    mailer.assert_nothing_sent()


def test_smtplib_and_aiosmtplib_in_one_patch_share_the_outbox(mailer: FakeMailer) -> None:
    with mailer.patch_smtplib():
        with smtplib.SMTP(PROVIDER, 587) as smtp:
            smtp.starttls()
            smtp.send_message(welcome(subject="sync"))
        asyncio.run(aiosmtplib.send(welcome(subject="async"), hostname=PROVIDER, port=587))
    assert [(mail.subject, mail.via) for mail in mailer.outbox] == [
        ("sync", "smtplib"),
        ("async", "aiosmtplib"),
    ]


def test_aiosmtplib_is_restored_after_exit(mailer: FakeMailer) -> None:
    cls = aiosmtplib.smtp.SMTP
    names = ("_create_connection", "_get_tls_context")
    before = [cls.__dict__[name] for name in names]
    with mailer.patch_smtplib():
        assert all(cls.__dict__[name] is not old for name, old in zip(names, before, strict=True))
    assert [cls.__dict__[name] for name in names] == before
    with pytest.raises(ZeroDivisionError), mailer.patch_smtplib():
        1 / 0  # noqa: B018
    assert [cls.__dict__[name] for name in names] == before
    assert smtp_threads() == []


def test_the_patch_uses_the_mailers_auth_mechanisms(mailer: FakeMailer) -> None:
    async def app() -> str:
        client = aiosmtplib.SMTP(hostname=PROVIDER, port=587)
        async with client:
            await client.ehlo()
            return " ".join(sorted(client.server_auth_methods))

    with mailer.patch_smtplib():
        assert asyncio.run(app()) == "login plain"
    with mailer.patch_smtplib(auth_mechanisms=["XOAUTH2"]):
        assert asyncio.run(app()) == "xoauth2"
