"""How the shop sends email: a :class:`Mailer` port, and SMTP in production.

Code that sends mail takes a ``Mailer``; the worker builds an :class:`SmtpMailer` from
the settings. Tests hand in ``fixturekit``'s ``FakeMailer``, which has the same
``send(to=, subject=, text=, html=)``.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Protocol

from shop.settings import Settings


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, text: str, html: str | None = None) -> object: ...


class SmtpMailer:
    """Sends each mail over SMTP, as configured in the settings."""

    def __init__(self, settings: Settings, *, timeout: float = 30) -> None:
        self.settings = settings
        self.timeout = timeout

    def send(self, *, to: str, subject: str, text: str, html: str | None = None) -> None:
        settings = self.settings
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=self.timeout) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username is not None:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.send_message(message)
