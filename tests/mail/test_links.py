"""SentMail.links and find_link(): "click the link in the email" in one line."""

from __future__ import annotations

import re

import pytest

from fixturekit.mail import FakeMailer


def test_links_come_from_text_and_html_in_order_without_duplicates(mailer: FakeMailer) -> None:
    mail = mailer.send(
        to="ada@example.com",
        subject="Verify",
        text=(
            "Verify (https://app.test/verify?token=abc&next=%2Fhome).\n"
            "Or visit https://app.test/help, or http://old.test/x!\n"
            "Again: https://app.test/help"
        ),
        html=(
            '<p><a href="https://app.test/verify?token=abc&amp;next=%2Fhome">Verify</a>'
            '<a href="#top">top</a><a href="javascript:void(0)">x</a>'
            '<a href="mailto:help@app.test">mail us</a>'
            "Plain URL in html: https://cdn.test/img.png</p>"
        ),
    )
    assert mail.links == [
        "https://app.test/verify?token=abc&next=%2Fhome",
        "https://app.test/help",
        "http://old.test/x",
        "mailto:help@app.test",
        "https://cdn.test/img.png",
    ]


def test_wikipedia_style_parentheses_are_kept(mailer: FakeMailer) -> None:
    mail = mailer.send(to="a@example.com", subject="x", text="https://en.test/wiki/A_(b) ok")
    assert mail.links == ["https://en.test/wiki/A_(b)"]


def test_find_link_by_substring_regex_or_callable(mailer: FakeMailer) -> None:
    mail = mailer.send(
        to="ada@example.com",
        subject="Welcome",
        html='<a href="https://app.test/">home</a> <a href="https://app.test/verify?t=42">go</a>',
    )
    assert mail.find_link("/verify") == "https://app.test/verify?t=42"
    assert mail.find_link(re.compile(r"t=\d+$")) == "https://app.test/verify?t=42"
    assert mail.find_link(lambda url: url.endswith("/")) == "https://app.test/"


def test_find_link_failure_lists_the_links(mailer: FakeMailer) -> None:
    mail = mailer.send(to="ada@example.com", subject="Welcome", text="https://app.test/home")
    with pytest.raises(AssertionError) as info:
        mail.find_link("/verify")
    assert str(info.value) == (
        "no link containing '/verify' in mail 'Welcome' to ada@example.com; its links are:\n"
        "  - https://app.test/home"
    )
    with pytest.raises(TypeError, match="find_link"):
        mail.find_link(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty pattern"):
        mail.find_link("")


def test_a_mail_without_links(mailer: FakeMailer) -> None:
    mail = mailer.send(to="ada@example.com", subject="Plain", text="no links here")
    assert mail.links == []
    with pytest.raises(AssertionError, match=r"its links are:\n  \(none\)"):
        mail.find_link(re.compile("x"))
