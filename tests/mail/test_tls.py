"""TLS on the capture server: STARTTLS and implicit TLS, verified by real clients."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage

import aiosmtplib
import pytest

from fixturekit.mail import FakeMailer

from .conftest import only


def message(subject: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "hello@shop.example"
    mail["To"] = "ada@example.com"
    mail["Subject"] = subject
    mail.set_content("hi")
    return mail


def test_starttls_with_smtplib_verifying_against_the_ca(mailer: FakeMailer) -> None:
    with (
        mailer.smtp_server(tls="starttls") as (host, port),
        smtplib.SMTP(host, port, timeout=10) as smtp,
    ):
        smtp.ehlo()
        assert smtp.has_extn("starttls")
        assert not smtp.has_extn("auth")  # as at providers: AUTH only once encrypted
        code, _ = smtp.starttls(context=mailer.ssl_context())
        assert code == 220
        assert isinstance(smtp.sock, ssl.SSLSocket)
        assert smtp.sock.version() in ("TLSv1.2", "TLSv1.3")
        smtp.ehlo()
        assert not smtp.has_extn("starttls")
        assert smtp.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        smtp.login("shop", "secret")
        smtp.send_message(message("over starttls"))
    mail = only(mailer)
    assert (mail.subject, mail.tls, mail.login, mail.via) == ("over starttls", True, "shop", "smtp")


def test_implicit_tls_with_smtp_ssl_verifying_against_the_ca(mailer: FakeMailer) -> None:
    with mailer.smtp_server(tls="implicit") as server:
        assert server.url == f"smtps://127.0.0.1:{server.port}"
        for host in ("127.0.0.1", "localhost"):  # the certificate names both
            with smtplib.SMTP_SSL(host, server.port, context=mailer.ssl_context()) as smtp:
                assert not smtp.has_extn("starttls")
                smtp.login("shop", "secret")
                smtp.send_message(message(f"implicit via {host}"))
    assert [(mail.subject, mail.tls) for mail in mailer.outbox] == [
        ("implicit via 127.0.0.1", True),
        ("implicit via localhost", True),
    ]


def test_starttls_is_required_before_auth_and_mail(mailer: FakeMailer) -> None:
    with (
        mailer.smtp_server(tls="starttls") as (host, port),
        smtplib.SMTP(host, port, timeout=10) as smtp,
    ):
        with pytest.raises(smtplib.SMTPNotSupportedError):
            smtp.login("shop", "secret")
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail("app@example.com", ["ada@example.com"], b"Subject: x\r\n\r\nx")
        assert refused.value.smtp_code == 530
    mailer.assert_nothing_sent()


def test_a_client_trusting_only_public_authorities_refuses_the_certificate(
    mailer: FakeMailer,
) -> None:
    public_only = ssl.create_default_context()
    with (
        mailer.smtp_server(tls="implicit") as (host, port),
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        smtplib.SMTP_SSL(host, port, context=public_only, timeout=10)
    with (
        mailer.smtp_server(tls="starttls") as (host, port),
        smtplib.SMTP(host, port, timeout=10) as smtp,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        smtp.starttls(context=public_only)


def test_a_client_that_does_not_verify_still_gets_tls(mailer: FakeMailer) -> None:
    # smtplib's own default context does not verify (redmail's default, among others).
    with (
        mailer.smtp_server(tls="starttls") as (host, port),
        smtplib.SMTP(host, port, timeout=10) as smtp,
    ):
        smtp.starttls()
        smtp.sendmail("app@example.com", ["ada@example.com"], b"Subject: x\r\n\r\nx")
    assert only(mailer).tls is True


def test_the_plain_server_records_no_tls(mailer: FakeMailer) -> None:
    with mailer.smtp_server() as (host, port), smtplib.SMTP(host, port, timeout=10) as smtp:
        smtp.ehlo()
        assert not smtp.has_extn("starttls")
        smtp.sendmail("app@example.com", ["ada@example.com"], b"Subject: x\r\n\r\nx")
    assert only(mailer).tls is False


def test_aiosmtplib_start_tls_and_use_tls(mailer: FakeMailer) -> None:
    async def send_both(starttls_port: int, implicit_port: int) -> None:
        await aiosmtplib.send(
            message("aiosmtplib start_tls"),
            hostname="127.0.0.1",
            port=starttls_port,
            start_tls=True,
            cert_bundle=mailer.ca_file,
            username="shop",
            password="secret",
        )
        await aiosmtplib.send(
            message("aiosmtplib use_tls"),
            hostname="localhost",
            port=implicit_port,
            use_tls=True,
            tls_context=mailer.ssl_context(),
            username="shop",
            password="secret",
        )
        # Without start_tls=, aiosmtplib upgrades on its own when STARTTLS is offered.
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=starttls_port, cert_bundle=mailer.ca_file)
        async with smtp:
            assert smtp.get_transport_info("sslcontext") is not None
            await smtp.send_message(message("aiosmtplib opportunistic"))

    with (
        mailer.smtp_server(tls="starttls") as starttls,
        mailer.smtp_server(tls="implicit") as implicit,
    ):
        asyncio.run(send_both(starttls.port, implicit.port))
    assert [(mail.subject, mail.tls) for mail in mailer.outbox] == [
        ("aiosmtplib start_tls", True),
        ("aiosmtplib use_tls", True),
        ("aiosmtplib opportunistic", True),
    ]
    assert [mail.login for mail in mailer.outbox] == ["shop", "shop", None]


def test_aiosmtplib_verifying_against_public_authorities_fails(mailer: FakeMailer) -> None:
    async def send(port: int) -> None:
        await aiosmtplib.send(message("x"), hostname="127.0.0.1", port=port, start_tls=True)

    with (
        mailer.smtp_server(tls="starttls") as server,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        asyncio.run(send(server.port))
    mailer.assert_nothing_sent()


def test_certificates_are_made_once_per_process(mailer: FakeMailer) -> None:
    other = FakeMailer()
    assert mailer.ca_file == other.ca_file
    with open(mailer.ca_file, encoding="ascii") as pem:
        assert pem.read().startswith("-----BEGIN CERTIFICATE-----")
    first, second = mailer.ssl_context(), mailer.ssl_context()
    assert first is not second  # a fresh context each time: the caller may change it
    assert first.verify_mode == ssl.CERT_REQUIRED
    assert first.check_hostname


@pytest.mark.parametrize("value", [True, "tls", "STARTTLS", "ssl", 465])
def test_bad_tls_values_are_refused_with_the_valid_ones(mailer: FakeMailer, value: object) -> None:
    with pytest.raises(
        ValueError, match=r"smtp_server\(tls=\) must be None .*'starttls'.*'implicit'"
    ):
        mailer.smtp_server(tls=value)  # type: ignore[arg-type]


def django_backend(**options: object) -> object:
    """Django's SMTP backend, configured as in an app's settings."""
    from django.conf import settings
    from django.core.mail.backends.smtp import EmailBackend

    if not settings.configured:
        settings.configure()
    return EmailBackend(fail_silently=False, timeout=10, **options)


@pytest.mark.parametrize(("tls", "setting"), [("starttls", "use_tls"), ("implicit", "use_ssl")])
def test_django_smtp_backend_with_email_use_tls_and_use_ssl(
    mailer: FakeMailer, monkeypatch: pytest.MonkeyPatch, tls: str, setting: str
) -> None:
    from django.core.mail import EmailMessage as DjangoMessage

    # Django verifies against the default authorities; OpenSSL reads SSL_CERT_FILE.
    monkeypatch.setenv("SSL_CERT_FILE", mailer.ca_file)
    with mailer.smtp_server(tls=tls) as (host, port):
        backend = django_backend(
            host=host, port=port, username="shop", password="secret", **{setting: True}
        )
        sent = DjangoMessage(
            "Welcome", "Hi", "hello@shop.example", ["ada@example.com"], connection=backend
        ).send()
    assert sent == 1
    mail = mailer.assert_sent(subject="Welcome", to="ada@example.com")
    assert (mail.tls, mail.login) == (True, "shop")
