"""The envelope (MAIL FROM, RCPT TO) against the headers, and which criterion matches which."""

from __future__ import annotations

import re
import smtplib
from contextlib import ExitStack

import pytest

from fixturekit.errors import FakeAssertionError
from fixturekit.mail import FakeMailer

from .conftest import SENDERS, Sender, only


def test_envelope_sender_is_recorded_through_every_way_in(way_in: Sender) -> None:
    way_in.send_raw("bounces@shop.example", ["ada@example.com"])
    mail = only(way_in.mailer)
    assert mail.envelope_from == "bounces@shop.example"
    way_in.mailer.assert_sent(envelope_from="bounces@shop.example")


def test_envelope_sender_differs_from_the_from_header_over_smtp(mailer: FakeMailer) -> None:
    body = b"From: Shop <hello@shop.example>\r\nTo: ada@example.com\r\nSubject: Hi\r\n\r\nx"
    with mailer.smtp_server() as (host, port), smtplib.SMTP(host, port, timeout=10) as smtp:
        smtp.sendmail("bounce+123@shop.example", ["ada@example.com"], body)
    mail = mailer.assert_sent(from_="hello@shop.example", envelope_from="bounce+123@shop.example")
    assert "from hello@shop.example (envelope bounce+123@shop.example) to ada@example.com" in (
        mail.describe()
    )


def test_direct_sends_have_the_sender_on_the_envelope(mailer: FakeMailer) -> None:
    mailer.send(to="ada@example.com", subject="Hi")
    assert only(mailer).envelope_from == "noreply@example.com"
    message = only(mailer).message
    mailer.reset()
    mailer.send_message(message, from_addr="bounces@example.com")
    mail = only(mailer)
    assert (mail.from_, mail.envelope_from) == ("noreply@example.com", "bounces@example.com")


@pytest.mark.parametrize("way", ["smtp", "smtplib"])
def test_to_matches_the_to_header_and_recipients_the_envelope(mailer: FakeMailer, way: str) -> None:
    # A raw sendmail whose message has no To header: the recipient is on the envelope only.
    with ExitStack() as stack:
        SENDERS[way](mailer, stack).send_raw("app@example.com", ["b@example.com"])
    mail = mailer.assert_sent(recipients="b@example.com", to=[])
    assert mail.bcc == ["b@example.com"]
    mailer.assert_sent(bcc="b@example.com")
    with pytest.raises(FakeAssertionError) as failure:
        mailer.assert_sent(to="b@example.com")
    message = str(failure.value)
    # The description says what the criterion sees: no To, the address as a bcc...
    assert "to (none), bcc b@example.com" in message
    assert "to was [], expected 'b@example.com'" in message
    assert "to b@example.com" not in message
    # ...and the failure names the criterion that would have matched.
    assert "with recipients='b@example.com' instead of to=, 1 mail(s) match" in message


def test_a_bcc_recipient_is_named_under_bcc_and_recipients_is_suggested(
    mailer: FakeMailer,
) -> None:
    mailer.send(to="ada@example.com", bcc="audit@shop.example", subject="Receipt")
    mailer.assert_sent(recipients="audit@shop.example", bcc="audit@shop.example")
    mailer.assert_not_sent(to="audit@shop.example")
    with pytest.raises(FakeAssertionError) as failure:
        mailer.assert_sent(to="audit@shop.example", subject="Receipt")
    message = str(failure.value)
    assert "to ada@example.com, bcc audit@shop.example at" in message
    assert "with recipients='audit@shop.example' instead of to=" in message


def test_cc_criteria_get_the_same_note(mailer: FakeMailer) -> None:
    mailer.send(to="ada@example.com", bcc="audit@shop.example", subject="Receipt")
    with pytest.raises(FakeAssertionError, match=re.escape("recipients='audit@shop.example'")):
        mailer.assert_sent(cc="audit@shop.example")


def test_no_note_when_recipients_would_not_match_either(mailer: FakeMailer) -> None:
    mailer.send(to="ada@example.com", cc="bob@example.com", subject="Hi")
    with pytest.raises(FakeAssertionError) as failure:
        mailer.assert_sent(to="eve@example.com")
    assert "note:" not in str(failure.value)
    # An address shown in Cc is not "only on the envelope": no note for to= either.
    with pytest.raises(FakeAssertionError) as failure:
        mailer.assert_sent(to="bob@example.com")
    assert "note:" not in str(failure.value)
    assert "to ada@example.com, cc bob@example.com at" in str(failure.value)


def test_the_count_assertion_gets_the_note_too(mailer: FakeMailer) -> None:
    mailer.send(to="ada@example.com", bcc="audit@shop.example", subject="Receipt")
    with pytest.raises(FakeAssertionError, match="instead of to="):
        mailer.assert_sent_count(1, to="audit@shop.example")
