"""How the shop tells customers things. Production logs; tests plug in a fake.

Anything with ``send(to, subject, body)`` is a :class:`Notifier`.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("shop.notifications")


class Notifier(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


class LogNotifier:
    """The default notifier: writes each message to the ``shop.notifications`` log."""

    def send(self, to: str, subject: str, body: str) -> None:
        log.info("to=%s subject=%s body=%s", to, subject, body)
