"""The direct way in: send() and send_message() arguments, validation and errors."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

import fixturekit as fk
from fixturekit.errors import FixturekitError
from fixturekit.mail import Attachment, FakeMailer, address_problem

from .conftest import only


@pytest.mark.parametrize(
    "address",
    [
        "ada@example.com",
        "ada.lovelace+tag@mail.example.co.uk",
        "o'brien@example.ie",
        "user@localhost",
        "user@[192.0.2.1]",
        '"ada lovelace"@example.com',
        "zoë@exämple.de",
        "x@xn--mnchen-3ya.de",
        "a" * 64 + "@example.com",
    ],
)
def test_valid_addresses(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("", "empty"),
        ("ada", "no '@'"),
        ("ada@", "nothing comes after"),
        ("@example.com", "nothing comes before"),
        ("ada@@example.com", "more than one '@'"),
        ("ada@example", "has no dot"),
        ("ada @example.com", "whitespace"),
        ("ada..b@example.com", "doubled dot"),
        (".ada@example.com", "leading, trailing or doubled dot"),
        ("ada(x)@example.com", "need quoting"),
        ("ada@-example.com", "not a host name"),
        ("ada@exa_mple.com", "not a host name"),
        ("ada@example..com", "not a host name"),
        ("ada@[300.1.1.1]", "address literal"),
        ("a" * 65 + "@example.com", "longer than 64 octets"),
        ("ada@" + "a" * 64 + ".com", "longer than 63"),
        ("ada@" + ".".join(["abcdefgh"] * 30) + ".com", "longer than 254"),
    ],
)
def test_malformed_addresses_say_what_is_wrong(address: str, problem: str) -> None:
    found = address_problem(address)
    assert found is not None
    assert problem in found


def test_display_names_are_kept_in_headers_not_in_addresses(mailer: FakeMailer) -> None:
    mailer.send(
        to=["Ada Lovelace <ada@example.com>", '"Babbage, Charles" <cb@example.com>'],
        from_="Shop <shop@example.com>",
        reply_to="Support <help@example.com>",
        subject="Hi",
    )
    mail = only(mailer)
    assert mail.to == ["ada@example.com", "cb@example.com"]
    assert mail.from_ == "shop@example.com"
    assert mail.reply_to == ["help@example.com"]
    assert (
        mail.headers["To"] == 'Ada Lovelace <ada@example.com>, "Babbage, Charles" <cb@example.com>'
    )
    assert mail.headers["From"] == "Shop <shop@example.com>"
    assert mail.headers["Reply-To"] == "Support <help@example.com>"


def test_defaults_and_generated_headers(virtual_clock: fk.Clock) -> None:
    with FakeMailer(clock=virtual_clock, default_from="App <app@example.com>") as mailer:
        mail = mailer.send(to="ada@example.com", subject="Hi")
    assert mail.from_ == "app@example.com"
    assert mail.text is None
    assert mail.html is None
    assert mail.headers["Date"] == "Mon, 01 Jan 2024 09:00:00 +0000"
    assert mail.headers["Message-ID"].endswith("@fixturekit.test>")
    assert mail.message["From"] == "App <app@example.com>"
    assert mail.raw.startswith(b"From: App <app@example.com>\r\n")


def test_custom_headers(mailer: FakeMailer) -> None:
    mail = mailer.send(
        to="ada@example.com",
        subject="News",
        headers={"List-Unsubscribe": "<https://app.test/unsub>", "X-Priority": "1"},
    )
    assert mail.headers["list-unsubscribe"] == "<https://app.test/unsub>"
    assert mail.headers.get_all("X-Priority") == ["1"]


def test_attachment_forms(mailer: FakeMailer, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    report.write_bytes(b"a,b\n")
    mail = mailer.send(
        to="ada@example.com",
        subject="Files",
        text="see attached",
        attachments=[
            report,
            str(report),
            ("notes.txt", "plain text"),
            ("data.bin", "application/x-custom", b"\x00\xff"),
            Attachment("pic.png", "image/png", b"\x89PNG"),
        ],
    )
    assert mail.attachments == [
        Attachment("report.csv", "text/csv", b"a,b\n"),
        Attachment("report.csv", "text/csv", b"a,b\n"),
        Attachment("notes.txt", "text/plain", b"plain text"),
        Attachment("data.bin", "application/x-custom", b"\x00\xff"),
        Attachment("pic.png", "image/png", b"\x89PNG"),
    ]
    # The message built from them carries the same files.
    names = [part.get_filename() for part in mail.message.iter_attachments()]
    assert names == ["report.csv", "report.csv", "notes.txt", "data.bin", "pic.png"]
    name, content_type, content = mail.attachments[3]
    assert (name, content_type, content) == ("data.bin", "application/x-custom", b"\x00\xff")


def test_bcc_and_duplicates(mailer: FakeMailer) -> None:
    mail = mailer.send(
        to="ada@example.com", cc="ada@example.com", bcc=["audit@example.com"], subject="x"
    )
    assert mail.recipients == ["ada@example.com", "audit@example.com"]
    assert mail.bcc == ["audit@example.com"]
    assert "Bcc" not in mail.headers


def test_send_message_follows_smtplib(mailer: FakeMailer) -> None:
    message = EmailMessage()
    message["From"] = "Shop <shop@example.com>"
    message["To"] = "Ada <ada@example.com>"
    message["Bcc"] = "audit@example.com"
    message["Subject"] = "Order shipped"
    message.set_content("Track it: https://track.test/1")
    mail = mailer.send_message(message)
    assert mail.recipients == ["ada@example.com", "audit@example.com"]
    assert mail.bcc == ["audit@example.com"]
    assert "Bcc" not in mail.headers
    assert message["Bcc"] == "audit@example.com"  # the caller's message is left alone
    assert mail.links == ["https://track.test/1"]
    mailer.send_message(message, from_addr="bounce@example.com", to_addrs=["x@example.com"])
    assert mailer.outbox[-1].recipients == ["x@example.com"]


def test_send_message_without_from_or_recipients(mailer: FakeMailer) -> None:
    message = EmailMessage()
    message["To"] = "ada@example.com"
    with pytest.raises(ValueError, match="no From header"):
        mailer.send_message(message)
    message = EmailMessage()
    message["From"] = "shop@example.com"
    with pytest.raises(ValueError, match="no recipients"):
        mailer.send_message(message)
    with pytest.raises(TypeError, match=r"takes an email\.message\.EmailMessage"):
        mailer.send_message("Subject: hi")  # type: ignore[arg-type]


def test_malformed_recipient_refuses_the_whole_mail(mailer: FakeMailer) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
        mailer.send(to=["ada@example.com", "bob@"], subject="x")
    assert list(info.value.recipients) == ["bob@"]
    assert info.value.recipients["bob@"][0] == 553
    assert "'bob@': 553 5.1.3 Bad recipient address syntax" in str(info.value)
    mailer.assert_nothing_sent()
    assert mailer.timeline.messages("mailer") == [
        "mail to bob@ refused: 553 5.1.3 Bad recipient address syntax: 'bob@': "
        "nothing comes after the '@'"
    ]


def test_rejected_recipient_among_several_refuses_the_whole_direct_mail(
    mailer: FakeMailer,
) -> None:
    mailer.fail_next(550, recipient="bob@example.com")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
        mailer.send(to=["ada@example.com", "bob@example.com"], subject="x")
    assert list(info.value.recipients) == ["bob@example.com"]
    mailer.assert_nothing_sent()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"to": None}, ValueError, "at least one recipient"),
        ({"to": []}, ValueError, "at least one recipient"),
        ({"to": 42}, TypeError, "to must be an address or a list"),
        ({"to": [42]}, TypeError, "to must be an address such as"),
        ({"to": "Ada <ada@example.com"}, ValueError, "cannot read 'Ada <ada@example.com'"),
        ({"subject": "Hi\nBcc: x@evil.test"}, ValueError, "subject contains a line break"),
        ({"subject": 7}, TypeError, "subject must be a str"),
        ({"text": b"bytes"}, TypeError, "text must be a str or None"),
        ({"headers": {"Subject": "x"}}, TypeError, "give the Subject header as subject="),
        ({"headers": {"Bad Name": "x"}}, ValueError, "header name 'Bad Name' is not valid"),
        ({"headers": {"X-A": "1\r\nBcc: x"}}, ValueError, "header 'X-A' contains a line break"),
        ({"attachments": ["/no/such/file.pdf"]}, FileNotFoundError, "is not a file"),
        ({"attachments": [("a.bin", 5)]}, TypeError, "must be bytes or str"),
        ({"attachments": [("a.bin", "nope", b"")]}, ValueError, "content type must look"),
        ({"attachments": [42]}, TypeError, "an attachment is a path"),
        (
            {"subjet": "x"},
            TypeError,
            r"send\(\) got an unexpected keyword argument 'subjet' \(did you mean subject=\?\)",
        ),
    ],
)
def test_bad_arguments_are_refused(
    mailer: FakeMailer, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    arguments: dict[str, object] = {"to": "ada@example.com", "subject": "x", **kwargs}
    with pytest.raises(error, match=message):
        mailer.send(**arguments)  # type: ignore[arg-type]
    mailer.assert_nothing_sent()


def test_constructor_checks_its_options() -> None:
    with pytest.raises(ValueError, match="default_from 'nobody' is not a valid address"):
        FakeMailer(default_from="nobody")
    with pytest.raises(TypeError, match="strict must be True or False"):
        FakeMailer(strict="yes")  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"unexpected keyword argument 'stric' \(did you mean strict=\?\)"
    ):
        FakeMailer(stric=True)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((200,), {}, "from 400 to 599"),
        (("slow",), {}, "unknown code 'slow'"),
        ((True,), {}, "from 400 to 599"),
        ((451,), {"times": 0}, "times must be a whole number >= 1"),
        ((451,), {"times": True}, "times must be a whole number >= 1"),
        ((451,), {"on": "quit"}, "on must be one of 'mail', 'rcpt', 'data'"),
        ((451,), {"on": "data", "recipient": "a@b.co"}, "on= must be 'rcpt'"),
        (("disconnect",), {"recipient": "a@b.co"}, "takes no on=, recipient= or message="),
        (("disconnect",), {"on": "mail"}, "takes no on=, recipient= or message="),
        ((451,), {"message": "a\r\nb"}, "line break"),
        ((451,), {"at": "data"}, "unexpected keyword argument 'at'; its keyword arguments"),
    ],
)
def test_fail_next_checks_its_arguments(
    mailer: FakeMailer, args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        mailer.fail_next(*args, **kwargs)  # type: ignore[arg-type]
    assert mailer.faults == []


def test_queued_faults_are_described_and_reset(mailer: FakeMailer) -> None:
    mailer.send(to="ada@example.com", subject="kept")
    mailer.fail_next("temporary", times=2)
    mailer.fail_next(550, recipient="Bob <bob@example.com>")
    assert mailer.faults == [
        "<fault: 451 4.3.0 Temporary failure, try again later (injected by "
        "FakeMailer.fail_next) at data>",
        "<fault: 451 4.3.0 Temporary failure, try again later (injected by "
        "FakeMailer.fail_next) at data>",
        "<fault: 550 5.1.1 Recipient address rejected: mailbox unavailable (injected by "
        "FakeMailer.fail_next) at rcpt for bob@example.com>",
    ]
    mailer.reset()
    assert mailer.faults == []
    mailer.assert_nothing_sent()
    mailer.send(to="ada@example.com", subject="after reset")
    mailer.assert_sent_count(1)


def test_fail_next_on_names_the_stage_that_refuses(mailer: FakeMailer) -> None:
    mailer.fail_next(421, on="mail")
    with pytest.raises(smtplib.SMTPSenderRefused) as sender:
        mailer.send(to="ada@example.com", subject="x")
    assert sender.value.smtp_code == 421
    mailer.fail_next(452, on="rcpt")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as recipients:
        mailer.send(to="ada@example.com", subject="x")
    assert recipients.value.recipients["ada@example.com"][0] == 452
    mailer.fail_next(code=554, on="data", message="5.7.1 spam")
    with pytest.raises(smtplib.SMTPDataError, match=r"554 5\.7\.1 spam"):
        mailer.send(to="ada@example.com", subject="x")
    mailer.assert_nothing_sent()


@pytest.mark.parametrize(
    ("failure", "kwargs", "smtplib_error"),
    [
        (None, {"to": "not-an-address"}, smtplib.SMTPRecipientsRefused),
        (None, {"from_": "nobody@"}, smtplib.SMTPSenderRefused),
        (451, {}, smtplib.SMTPDataError),
        ("disconnect", {}, smtplib.SMTPServerDisconnected),
    ],
)
def test_refusals_are_smtplib_errors_and_fixturekit_errors(
    mailer: FakeMailer,
    failure: int | str | None,
    kwargs: dict[str, str],
    smtplib_error: type[Exception],
) -> None:
    if failure is not None:
        mailer.fail_next(failure)
    with pytest.raises(smtplib_error) as info:
        mailer.send(**{"to": "ada@example.com", "subject": "x", **kwargs})  # type: ignore[arg-type]
    assert isinstance(info.value, FixturekitError)
