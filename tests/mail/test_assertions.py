"""assert_sent and friends: matchers, counts, return values and failure messages."""

from __future__ import annotations

import re
import threading
import time

import pytest

import fixturekit as fk
from fixturekit.errors import FakeAssertionError
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
        "expected 1 mails with to='ada@example.com', but 2 matched:",
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
        FakeAssertionError, match=r"expected no mail sent at all, but 1 were:\n  - 'Hi'"
    ):
        mailer.assert_nothing_sent()
    with pytest.raises(FakeAssertionError, match=r"expected 2 mails sent, but 1 were"):
        mailer.assert_sent_count(2)


def test_typo_in_a_criterion_lists_the_valid_names(sent: FakeMailer) -> None:
    with pytest.raises(
        TypeError,
        match=r"assert_sent\(\) got an unexpected keyword argument 'sujbect' "
        r"\(did you mean subject=\?\)",
    ):
        sent.assert_sent(sujbect="Welcome")
    for check in (sent.assert_not_sent, sent.find, sent.ignore, sent.assert_sent_count):
        arguments = (1,) if check == sent.assert_sent_count else ()
        with pytest.raises(TypeError, match="mails' fields are: to, cc, bcc"):
            check(*arguments, from_address="x")


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


def test_failures_are_fake_assertion_errors(sent: FakeMailer) -> None:
    failing = [
        lambda: sent.assert_sent(subject="nope"),
        lambda: sent.assert_not_sent(to="ada@example.com"),
        lambda: sent.assert_sent_count(1),
        sent.assert_nothing_sent,
        lambda: sent.outbox[0].find_link("/nowhere"),
    ]
    for call in failing:
        with pytest.raises(FakeAssertionError):
            call()


def test_assert_sent_count_takes_criteria(sent: FakeMailer) -> None:
    mails = sent.assert_sent_count(2, to="ada@example.com")
    assert [mail.subject for mail in mails] == ["Welcome, Ada", "Password reset"]
    assert sent.assert_sent_count(0, subject=re.compile("invoice")) == []
    with pytest.raises(FakeAssertionError) as info:
        sent.assert_sent_count(1, to="ada@example.com")
    assert str(info.value).splitlines()[0] == (
        "expected 1 mails sent with to='ada@example.com', but 2 were:"
    )


@pytest.mark.parametrize("count", [-1, 1.5, True, "2"])
def test_bad_count_is_refused(sent: FakeMailer, count: object) -> None:
    with pytest.raises(ValueError, match="count must be a whole number >= 0"):
        sent.assert_sent_count(count)  # type: ignore[arg-type]


def test_find_returns_the_matches_in_order_and_asserts_nothing(sent: FakeMailer) -> None:
    found = sent.find(to="ada@example.com")
    assert [mail.subject for mail in found] == ["Welcome, Ada", "Password reset"]
    assert sent.find(subject="nothing like it") == []
    assert sent.find() == sent.outbox
    assert len(sent.unasserted) == 3  # finding is not asserting


def test_timeout_waits_for_a_mail_sent_from_another_thread(mailer: FakeMailer) -> None:
    def later() -> None:
        time.sleep(0.05)
        mailer.send(to="ada@example.com", subject="Async welcome")

    worker = threading.Thread(target=later)
    worker.start()
    try:
        mail = mailer.assert_sent(subject="Async welcome", timeout=5)
        assert mail.to == ["ada@example.com"]
        assert len(mailer.assert_sent_count(1, timeout=5)) == 1
    finally:
        worker.join()
    with pytest.raises(FakeAssertionError, match=r"after waiting 0.01s"):
        mailer.assert_sent(subject="never", timeout=0.01)
