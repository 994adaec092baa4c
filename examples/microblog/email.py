"""Mail, sent from a background thread so that the request does not wait for SMTP."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from threading import Thread

from flask import Flask, current_app, url_for

from microblog.models import User


def send_async_email(app: Flask, msg: EmailMessage) -> None:
    with (
        app.app_context(),
        smtplib.SMTP(app.config["MAIL_SERVER"], app.config["MAIL_PORT"]) as smtp,
    ):
        smtp.send_message(msg)


def send_email(subject: str, sender: str, recipients: list[str], text_body: str) -> Thread:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg.set_content(text_body)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = Thread(target=send_async_email, args=(app, msg))
    thread.start()
    return thread


def send_password_reset_email(user: User, token: str) -> None:
    link = url_for("microblog.reset_password", token=token, _external=True)
    send_email(
        "[Microblog] Reset Your Password",
        sender=current_app.config["MAIL_SENDER"],
        recipients=[user.email],
        text_body=(
            f"Dear {user.username},\n\n"
            f"To reset your password, follow this link:\n\n{link}\n\n"
            "If you have not requested a password reset, ignore this message.\n"
        ),
    )
