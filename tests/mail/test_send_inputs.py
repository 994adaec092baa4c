"""send() refuses at once what no mail can carry: one string as the attachments list,
and text holding lone surrogates (from bytes decoded with errors='surrogateescape')."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fixturekit.mail import FakeMailer

SURROGATE = b"caf\xe9".decode("utf-8", "surrogateescape")  # 'caf\udce9'


@pytest.mark.parametrize("single", ["file.txt", b"file.txt", Path("file.txt")])
def test_one_string_as_attachments_names_the_argument(mailer: FakeMailer, single: Any) -> None:
    with pytest.raises(TypeError, match=r"attachments must be a list .*attachments=\["):
        mailer.send(to="ada@example.com", subject="s", text="t", attachments=single)
    assert mailer.outbox == []


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("subject", f"Order {SURROGATE}"),
        ("text", SURROGATE),
        ("html", f"<p>{SURROGATE}</p>"),
        ("to", f"{SURROGATE}@example.com"),
        ("from_", f"Shop {SURROGATE} <shop@example.com>"),
        ("cc", ["bob@example.com", f"{SURROGATE}@example.com"]),
        ("headers", {"X-Note": SURROGATE}),
        ("attachments", [("notes.txt", SURROGATE)]),
    ],
)
def test_lone_surrogates_are_refused_at_send(mailer: FakeMailer, argument: str, value: Any) -> None:
    arguments: dict[str, Any] = {"to": "ada@example.com", "subject": "s", "text": "t"}
    arguments[argument] = value
    with pytest.raises(ValueError, match=rf"^{argument} contains the lone surrogate '\\udce9'"):
        mailer.send(**arguments)
    assert mailer.outbox == []


def test_proper_text_still_goes_through(mailer: FakeMailer) -> None:
    mailer.send(to="ada@example.com", subject="café ☕", text="naïve", attachments=[])
    assert mailer.outbox[0].subject == "café ☕"
