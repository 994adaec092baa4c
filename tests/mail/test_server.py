"""The SMTP capture server, through the real smtplib client."""

from __future__ import annotations

import base64
import smtplib
import socket
import threading
from email.message import EmailMessage

import pytest

from fixturekit.mail import FakeMailer

from .conftest import build_message, only, smtp_threads


def test_server_listens_on_loopback_and_unpacks_to_host_and_port(mailer: FakeMailer) -> None:
    with mailer.smtp_server() as server:
        host, port = server
        assert (host, port) == server.address == (server.host, server.port)
        assert host == "127.0.0.1"
        assert port > 0
        assert server.url == f"smtp://127.0.0.1:{port}"
        with smtplib.SMTP(host, port, timeout=10) as client:
            code, _ = client.noop()
            assert code == 250


def test_thread_and_port_are_gone_after_exit(mailer: FakeMailer) -> None:
    with mailer.smtp_server() as (host, port):
        assert smtp_threads() == ["fixturekit-smtp"]
        client = smtplib.SMTP(host, port, timeout=10)
    assert smtp_threads() == []
    # The open session was closed by the server...
    with pytest.raises(smtplib.SMTPServerDisconnected):
        client.noop()
    client.close()
    # ...and nothing listens on the port any more.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=5).close()


def test_two_servers_at_once_get_their_own_ports_and_share_the_outbox(
    mailer: FakeMailer,
) -> None:
    with mailer.smtp_server() as first, mailer.smtp_server() as second:
        assert first.port != second.port
        for server in (first, second):
            with smtplib.SMTP(*server, timeout=10) as client:
                client.sendmail("app@example.com", ["ada@example.com"], b"Subject: x\r\n\r\nx")
        assert smtp_threads() == ["fixturekit-smtp"]
    assert [mail.server for mail in mailer.outbox] == [first.address, second.address]


def test_port_is_bound_before_it_is_handed_out(mailer: FakeMailer) -> None:
    # The port the server reports is already ours: binding it again fails.
    with mailer.smtp_server() as (host, port):
        probe = socket.socket()
        try:
            with pytest.raises(OSError):
                probe.bind((host, port))
        finally:
            probe.close()


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_any_auth_is_accepted_without_tls(mailer: FakeMailer, mechanism: str) -> None:
    every = ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2")
    with (
        mailer.smtp_server(auth_mechanisms=every) as (host, port),
        smtplib.SMTP(host, port, timeout=10) as client,
    ):
        client.ehlo()
        assert "starttls" not in client.esmtp_features
        assert mechanism in client.esmtp_features["auth"].split()
        client.user, client.password = "ada", "any password at all"
        method = {
            "PLAIN": client.auth_plain,
            "LOGIN": client.auth_login,
            "CRAM-MD5": client.auth_cram_md5,
        }[mechanism]
        code, _ = client.auth(mechanism, method, initial_response_ok=False)
        assert code == 235
        client.sendmail("app@example.com", ["bob@example.com"], b"Subject: x\r\n\r\nx")
    assert only(mailer).login == "ada"


def test_login_with_initial_response_and_xoauth2(mailer: FakeMailer) -> None:
    with mailer.smtp_server(auth_mechanisms=("PLAIN", "LOGIN", "XOAUTH2")) as (host, port):
        with smtplib.SMTP(host, port, timeout=10) as client:
            client.login("plain-user", "pw")
            client.sendmail("app@example.com", ["bob@example.com"], b"Subject: 1\r\n\r\nx")
        with smtplib.SMTP(host, port, timeout=10) as client:
            client.ehlo()
            token = base64.b64encode(b"user=oauth-user\x01auth=Bearer t0ken\x01\x01").decode()
            code, _ = client.docmd("AUTH", f"XOAUTH2 {token}")
            assert code == 235
            client.sendmail("app@example.com", ["bob@example.com"], b"Subject: 2\r\n\r\nx")
        with smtplib.SMTP(host, port, timeout=10) as client:
            client.sendmail("app@example.com", ["bob@example.com"], b"Subject: 3\r\n\r\nx")
    assert [mail.login for mail in mailer.outbox] == ["plain-user", "oauth-user", None]


def test_starttls_is_not_offered(mailer: FakeMailer) -> None:
    with mailer.smtp_server() as (host, port), smtplib.SMTP(host, port, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.starttls()


def test_several_mails_on_one_connection_and_several_recipients(mailer: FakeMailer) -> None:
    with mailer.smtp_server() as (host, port), smtplib.SMTP(host, port, timeout=10) as client:
        for n in range(3):
            message = build_message(
                to=["ada@example.com", "bob@example.com"],
                cc=["carol@example.com"],
                subject=f"Newsletter {n}",
                text="news",
            )
            refused = client.send_message(message)
            assert refused == {}
    assert [mail.subject for mail in mailer.outbox] == [f"Newsletter {n}" for n in range(3)]
    assert all(mail.to == ["ada@example.com", "bob@example.com"] for mail in mailer.outbox)


def test_one_refused_recipient_among_several_is_what_smtplib_reports(mailer: FakeMailer) -> None:
    mailer.fail_next(550, recipient="bob@example.com")
    with mailer.smtp_server() as (host, port), smtplib.SMTP(host, port, timeout=10) as client:
        refused = client.sendmail(
            "app@example.com", ["ada@example.com", "bob@example.com"], b"Subject: x\r\n\r\nx"
        )
    assert list(refused) == ["bob@example.com"]
    assert refused["bob@example.com"][0] == 550
    assert only(mailer).recipients == ["ada@example.com"]


def test_smtputf8_addresses_over_the_wire(mailer: FakeMailer) -> None:
    message = EmailMessage()
    message["From"] = "Jörg <jörg@exämple.de>"
    message["To"] = "Zoë <zoë@example.com>"
    message["Subject"] = "Grüße"
    message.set_content("Hallo")
    with mailer.smtp_server() as (host, port), smtplib.SMTP(host, port, timeout=10) as client:
        client.send_message(message)
    mail = only(mailer)
    assert (mail.from_, mail.to, mail.subject) == ("jörg@exämple.de", ["zoë@example.com"], "Grüße")
    assert mail.headers["To"] == "Zoë <zoë@example.com>"


def test_raw_message_without_headers_is_still_recorded(mailer: FakeMailer) -> None:
    with mailer.smtp_server() as (host, port), smtplib.SMTP(host, port, timeout=10) as client:
        client.sendmail("app@example.com", ["ada@example.com"], b"just a body\r\n")
    mail = only(mailer)
    assert (mail.from_, mail.to, mail.bcc, mail.subject) == (
        "app@example.com",
        [],
        ["ada@example.com"],
        "",
    )
    assert mail.text == "just a body"
    assert mail.raw == b"just a body\r\n"


@pytest.mark.slow
def test_senders_on_many_threads_lose_no_mail(mailer: FakeMailer) -> None:
    errors: list[BaseException] = []

    def send(worker: int, host: str, port: int) -> None:
        try:
            with smtplib.SMTP(host, port, timeout=30) as client:
                for n in range(10):
                    body = f"Subject: {worker}-{n}\r\n\r\nx".encode()
                    client.sendmail("app@example.com", ["ada@example.com"], body)
            for n in range(10):  # and the direct path from the same threads at once
                mailer.send(to="bob@example.com", subject=f"direct {worker}-{n}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with mailer.smtp_server() as (host, port):
        threads = [threading.Thread(target=send, args=(w, host, port)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    subjects = [mail.subject for mail in mailer.outbox]
    assert len(subjects) == 160
    assert sorted(s for s in subjects if not s.startswith("direct")) == sorted(
        f"{w}-{n}" for w in range(8) for n in range(10)
    )
    assert len(mailer.timeline.messages("mailer")) == 160


def test_server_left_running_is_closed_when_the_mailer_stops(virtual_clock: object) -> None:
    mailer = FakeMailer()
    with mailer:
        host, port = mailer.smtp_server().start()
        mailer.patch_smtplib().start()
        assert smtp_threads() == ["fixturekit-smtp"]
    assert smtp_threads() == []
    assert smtplib.SMTP._get_socket.__module__ == "smtplib"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=5).close()


def test_server_works_without_entering_the_mailer() -> None:
    mailer = FakeMailer()
    with mailer.smtp_server() as (host, port), smtplib.SMTP(host, port, timeout=10) as client:
        client.sendmail("app@example.com", ["ada@example.com"], b"Subject: x\r\n\r\nx")
    assert smtp_threads() == []
    mailer.assert_sent(subject="x")


def test_starting_a_server_twice_is_refused(mailer: FakeMailer) -> None:
    server = mailer.smtp_server()
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.port
    with server, pytest.raises(RuntimeError, match="already running"):
        server.start()
    with pytest.raises(RuntimeError, match="not running"):
        server.stop()
    assert server.port > 0  # the address it had stays readable


def test_encoded_words_folding_and_rfc2231_filenames_are_decoded(mailer: FakeMailer) -> None:
    raw = (
        b"From: =?utf-8?q?J=C3=B6rg?= <joerg@example.de>\r\n"
        b"To: =?utf-8?q?Zo=C3=AB?= <zoe@example.com>,\r\n bob@example.com\r\n"
        b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= from a\r\n  folded subject\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nK=F6ln\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n"
    )
    with mailer.smtp_server() as (host, port), smtplib.SMTP(host, port, timeout=10) as client:
        client.sendmail("joerg@example.de", ["zoe@example.com", "bob@example.com"], raw)
    mail = only(mailer)
    assert mail.from_ == "joerg@example.de"
    assert mail.to == ["zoe@example.com", "bob@example.com"]
    assert mail.subject == "Grüße from a  folded subject"
    assert mail.text == "Köln"
    assert [(a.name, a.content_type, a.content) for a in mail.attachments] == [
        ("résumé.pdf", "application/pdf", b"%PDF")
    ]
    # The full message is parsed on demand, with decoded headers.
    assert mail.headers["To"] == "Zoë <zoe@example.com>, bob@example.com"
    assert mail.message.get_content_type() == "multipart/mixed"
