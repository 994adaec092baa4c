"""assert_sent and friends: matchers, counts, return values and failure messages."""

from __future__ import annotations

import re

import pytest

import fixturekit as fk
from fixturekit.mail import FakeMailer


@pytest.fixture
def sent(mailer: FakeMailer) -> FakeMailer:
    mailer.send(to="ada@example.com", subject="Welcome, Ada", text="Hi Ada")
    mailer.send(to="bob@example.com", subject="Your receipt", text="Total: 12 EUR")
    mailer.send(
        to=["ada@example.com", "carol@example.com"],
        subject="Password reset",
        text="Reset: https://app.test/reset?t=1",
        headers={"X-Campaign": "security"},
        attachments=[("notice.txt", b"read me")],
    )
    return mailer


def test_exact_regex_and_callable_matchers(sent: FakeMailer) -> None:
    assert sent.assert_sent(subject="Your receipt").to == ["bob@example.com"]
    assert sent.assert_sent(text=re.compile(r"\d+ EUR")).subject == "Your receipt"
    assert sent.assert_sent(subject=lambda s: s.startswith("Welcome")).to == ["ada@example.com"]


def test_a_list_field_matches_when_any_item_does(sent: FakeMailer) -> None:
    assert sent.assert_sent(to="carol@example.com").subject == "Password reset"
    assert sent.assert_sent(to=["ada@example.com", "carol@example.com"]).subject == (
        "Password reset"
    )
    assert sent.assert_sent(links=re.compile("/reset")).subject == "Password reset"


def test_headers_attachment_and_via(sent: FakeMailer) -> None:
    assert sent.assert_sent(headers={"x-campaign": "security"}).subject == "Password reset"
    assert sent.assert_sent(attachment="notice.txt").subject == "Password reset"
    assert sent.assert_sent(attachment=re.compile(r"\.txt$"), via="direct")


def test_returns_the_latest_match(mailer: FakeMailer, virtual_clock: fk.Clock) -> None:
    mailer.send(to="ada@example.com", subject="Code", text="code 1")
    virtual_clock.advance(minutes=1)
    mailer.send(to="ada@example.com", subject="Code", text="code 2")
    mail = mailer.assert_sent(subject="Code", times=2)
    assert mail.text == "code 2"
    assert mail.sent_at == virtual_clock.now()


def test_failure_lists_what_was_sent_closest_first_with_the_differing_fields(
    sent: FakeMailer,
) -> None:
    with pytest.raises(AssertionError) as info:
        sent.assert_sent(to="bob@example.com", subject="Welcome, Bob")
    lines = str(info.value).splitlines()
    assert lines[0] == (
        "expected a mail with to='bob@example.com', subject='Welcome, Bob', but none of the "
        "3 recorded matched (closest first):"
    )
    # One field off first (the receipt to bob, the welcome to ada), two fields off last.
    assert lines[1].startswith("  - 'Your receipt' from noreply@example.com to bob@example.com")
    assert lines[2] == "      subject was 'Your receipt', expected 'Welcome, Bob'"
    assert lines[3].startswith("  - 'Welcome, Ada'")
    assert lines[4] == "      to was ['ada@example.com'], expected 'bob@example.com'"
    assert lines[-2:] == [
        "      to was ['ada@example.com', 'carol@example.com'], expected 'bob@example.com'",
        "      subject was 'Password reset', expected 'Welcome, Bob'",
    ]


def test_failure_when_nothing_was_sent(mailer: FakeMailer) -> None:
    with pytest.raises(AssertionError, match="expected a mail with subject='x', but nothing was"):
        mailer.assert_sent(subject="x")


def test_times_mismatch_lists_the_matches(sent: FakeMailer) -> None:
    with pytest.raises(AssertionError) as info:
        sent.assert_sent(to="ada@example.com", times=1)
    assert str(info.value).splitlines() == [
        "expected 1 mail(s) with to='ada@example.com', but 2 matched:",
        *[f"  - {mail.describe()}" for mail in sent.outbox if "ada@example.com" in mail.to],
    ]


def test_assert_not_sent(sent: FakeMailer) -> None:
    sent.assert_not_sent(to="dave@example.com")
    sent.assert_not_sent(subject=re.compile("invoice", re.I))
    with pytest.raises(AssertionError, match=r"expected no mail with to='bob@example.com'"):
        sent.assert_not_sent(to="bob@example.com")


def test_assert_nothing_sent_and_count(mailer: FakeMailer) -> None:
    mailer.assert_nothing_sent()
    assert mailer.assert_sent_count(0) == []
    mail = mailer.send(to="ada@example.com", subject="Hi")
    assert mailer.assert_sent_count(1) == [mail]
    with pytest.raises(
        AssertionError, match=r"expected no mail at all, but 1 were sent:\n  - 'Hi'"
    ):
        mailer.assert_nothing_sent()
    with pytest.raises(AssertionError, match=r"expected 2 mail\(s\) to be sent, but 1 were"):
        mailer.assert_sent_count(2)


def test_typo_in_a_criterion_lists_the_valid_names(sent: FakeMailer) -> None:
    with pytest.raises(TypeError, match=r"unknown keyword 'sujbect' \(did you mean subject=\?\)"):
        sent.assert_sent(sujbect="Welcome")
    with pytest.raises(TypeError, match="it takes to, cc, bcc"):
        sent.assert_not_sent(from_address="x")


@pytest.mark.parametrize("times", [0, -1, 1.5, True])
def test_bad_times_is_refused(sent: FakeMailer, times: object) -> None:
    with pytest.raises(ValueError, match="times must be a whole number >= 1"):
        sent.assert_sent(subject="Your receipt", times=times)  # type: ignore[arg-type]


def test_assertion_frames_are_hidden_from_tracebacks() -> None:
    for method in (
        FakeMailer.assert_sent,
        FakeMailer.assert_not_sent,
        FakeMailer.assert_nothing_sent,
        FakeMailer.assert_sent_count,
    ):
        assert "__tracebackhide__" in method.__code__.co_varnames
