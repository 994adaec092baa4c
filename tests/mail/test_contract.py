"""One behaviour, three ways in: every test here runs for direct sends, for smtplib
against the capture server, and for smtplib patched to a hard-coded provider."""

from __future__ import annotations

import re
import smtplib

import pytest

from fixturekit.mail import Attachment, FakeMailer

from .conftest import Sender, only

PDF = Attachment("invoice.pdf", "application/pdf", b"%PDF-1.4 \x00\x01\x02 binary")
CSV = Attachment("report.csv", "text/csv", b"a,b\n1,2\n")


def test_a_mail_lands_in_the_outbox_with_every_field(way_in: Sender, mailer: FakeMailer) -> None:
    way_in.send(
        to=["ada@example.com", "bob@example.com"],
        cc=["carol@example.com"],
        bcc=["audit@example.com"],
        from_="app@example.com",
        subject="Your invoice",
        text="Hello Ada,\nsee https://app.test/invoices/7 for details.",
        html='<p>Hello Ada, <a href="https://app.test/invoices/7?view=html&amp;x=1">view</a></p>',
        attachments=[PDF, CSV],
    )
    mail = only(mailer)
    assert mail.to == ["ada@example.com", "bob@example.com"]
    assert mail.cc == ["carol@example.com"]
    assert mail.bcc == ["audit@example.com"]
    assert mail.from_ == "app@example.com"
    assert mail.subject == "Your invoice"
    assert mail.text == "Hello Ada,\nsee https://app.test/invoices/7 for details."
    assert mail.html == (
        '<p>Hello Ada, <a href="https://app.test/invoices/7?view=html&amp;x=1">view</a></p>'
    )
    assert mail.attachments == [PDF, CSV]
    assert mail.links == [
        "https://app.test/invoices/7",
        "https://app.test/invoices/7?view=html&x=1",
    ]
    assert sorted(mail.recipients) == sorted(
        ["ada@example.com", "bob@example.com", "carol@example.com", "audit@example.com"]
    )
    assert mail.via == way_in.way
    assert "Bcc" not in mail.headers
    assert mail.headers["subject"] == "Your invoice"
    assert mail.message["To"] == "ada@example.com, bob@example.com"


def test_non_ascii_subject_addresses_and_bodies_survive(way_in: Sender, mailer: FakeMailer) -> None:
    way_in.send(
        to=["zoë@exämple.de"],
        from_="jörg@exämple.de",
        subject="Grüße aus Köln \u2013 你好 " + "ein langer Betreff " * 5,
        text="Schöne Grüße\nhttps://app.test/ß",
    )
    mail = mailer.assert_sent(to="zoë@exämple.de", from_="jörg@exämple.de")
    assert mail.subject == "Grüße aus Köln \u2013 你好 " + "ein langer Betreff " * 5
    assert mail.text == "Schöne Grüße\nhttps://app.test/ß"


def test_html_only_mail_has_no_text(way_in: Sender, mailer: FakeMailer) -> None:
    way_in.send(to=["ada@example.com"], subject="Hi", html="<b>only html</b>")
    mail = only(mailer)
    assert mail.text is None
    assert mail.html == "<b>only html</b>"


def test_the_same_assertions_hold(way_in: Sender, mailer: FakeMailer) -> None:
    way_in.send(to=["ada@example.com"], subject="Welcome, Ada", text="Verify: https://a.test/v?t=9")
    way_in.send(to=["bob@example.com"], subject="Welcome, Bob", text="Verify: https://a.test/v?t=8")
    mail = mailer.assert_sent(to="ada@example.com", subject=re.compile("^Welcome"))
    assert mail.find_link("/v?t=") == "https://a.test/v?t=9"
    mailer.assert_sent(subject=re.compile("Welcome"), times=2)
    mailer.assert_not_sent(to="carol@example.com")
    mailer.assert_sent_count(2)
    assert mailer.timeline.messages("mailer") == [
        "mail to ada@example.com: Welcome, Ada",
        "mail to bob@example.com: Welcome, Bob",
    ]


def test_malformed_recipient_is_refused_with_a_5xx(way_in: Sender, mailer: FakeMailer) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
        way_in.send_raw("app@example.com", ["ada@@example.com"])
    ((address, (code, text)),) = info.value.recipients.items()
    assert address == "ada@@example.com"
    assert code in (501, 553)
    assert text
    mailer.assert_nothing_sent()


@pytest.mark.parametrize(
    "address",
    ["ada", "ada@", "ada@example", "ada@-example.com", "ada..b@example.com", "@example.com"],
)
def test_every_malformed_recipient_is_refused(
    way_in: Sender, mailer: FakeMailer, address: str
) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        way_in.send_raw("app@example.com", [address])
    mailer.assert_nothing_sent()


def test_malformed_sender_is_refused(way_in: Sender, mailer: FakeMailer) -> None:
    with pytest.raises(smtplib.SMTPSenderRefused) as info:
        way_in.send_raw("not-an-address", ["ada@example.com"])
    assert info.value.smtp_code == 553
    mailer.assert_nothing_sent()


def test_temporary_failure_then_retry_succeeds(way_in: Sender, mailer: FakeMailer) -> None:
    mailer.fail_next(451)
    with pytest.raises(smtplib.SMTPDataError) as info:
        way_in.send_raw("app@example.com", ["ada@example.com"], subject="Try 1")
    assert info.value.smtp_code == 451
    mailer.assert_nothing_sent()
    way_in.send_raw("app@example.com", ["ada@example.com"], subject="Try 2")
    mailer.assert_sent(subject="Try 2", times=1)
    assert "mail to ada@example.com failed: 451" in mailer.timeline.messages("mailer")[0]


def test_rejected_recipient(way_in: Sender, mailer: FakeMailer) -> None:
    mailer.fail_next("rejected")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
        way_in.send_raw("app@example.com", ["ada@example.com"])
    assert info.value.recipients["ada@example.com"][0] == 550
    mailer.assert_nothing_sent()


def test_connection_drop(way_in: Sender, mailer: FakeMailer) -> None:
    mailer.fail_next("disconnect")
    with pytest.raises(smtplib.SMTPServerDisconnected):
        way_in.send_raw("app@example.com", ["ada@example.com"])
    mailer.assert_nothing_sent()
    way_in.send_raw("app@example.com", ["ada@example.com"])
    mailer.assert_sent_count(1)


def test_times_fails_that_many_sends(way_in: Sender, mailer: FakeMailer) -> None:
    mailer.fail_next(421, times=2)
    for _ in range(2):
        with pytest.raises(smtplib.SMTPDataError) as info:
            way_in.send_raw("app@example.com", ["ada@example.com"])
        assert info.value.smtp_code == 421
    way_in.send_raw("app@example.com", ["ada@example.com"])
    mailer.assert_sent_count(1)
    assert mailer.faults == []


def test_sender_stage_failure(way_in: Sender, mailer: FakeMailer) -> None:
    mailer.fail_next(554, on="mail", message="5.7.1 Sender blocked")
    with pytest.raises(smtplib.SMTPSenderRefused) as info:
        way_in.send_raw("app@example.com", ["ada@example.com"])
    assert (info.value.smtp_code, info.value.smtp_error) == (554, b"5.7.1 Sender blocked")
