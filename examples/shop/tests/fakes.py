"""A fake of the shop's :class:`~shop.notifications.Notifier`, built on ``fixturekit.Fake``.

It keeps what was sent, stamped with the shared clock, and records each message on
the harness timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import fixturekit as fk


@dataclass(frozen=True)
class Notice:
    to: str
    subject: str
    body: str
    sent_at: datetime


class FakeNotifier(fk.Fake):
    name = "notifier"

    def reset(self) -> None:
        self.sent: list[Notice] = []

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append(Notice(to, subject, body, self.now()))
        self.record(f"to {to}: {subject}")

    def assert_sent(self, *, to: str, subject: str) -> Notice:
        __tracebackhide__ = True
        for notice in self.sent:
            if notice.to == to and notice.subject == subject:
                return notice
        sent = "\n".join(f"  {n.to}: {n.subject}" for n in self.sent) or "  (nothing)"
        raise AssertionError(f"no notice to {to!r} with subject {subject!r}; sent:\n{sent}")
