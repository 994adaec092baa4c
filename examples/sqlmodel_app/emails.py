"""Mails the app sends, over SMTP to ``settings.SMTP_HOST``."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

import jwt
from jwt.exceptions import InvalidTokenError

from sqlmodel_app.config import settings
from sqlmodel_app.security import ALGORITHM


def send_email(*, email_to: str, subject: str, text: str) -> None:
    message = EmailMessage()
    message["From"] = settings.EMAILS_FROM_EMAIL
    message["To"] = email_to
    message["Subject"] = subject
    message.set_content(text)
    with smtplib.SMTP(settings.SMTP_HOST, settings.SMTP_PORT, timeout=10) as smtp:
        smtp.starttls()
        if settings.SMTP_USER:
            smtp.login(settings.SMTP_USER, settings.SMTP_PASSWORD or "")
        smtp.send_message(message)


def generate_password_reset_token(email: str) -> str:
    now = datetime.now(timezone.utc)
    expires = now + timedelta(hours=settings.EMAIL_RESET_TOKEN_EXPIRE_HOURS)
    claims = {"exp": expires, "nbf": now, "sub": email}
    return jwt.encode(claims, settings.SECRET_KEY, algorithm=ALGORITHM)


def verify_password_reset_token(token: str) -> str | None:
    try:
        return str(jwt.decode(token, settings.SECRET_KEY, algorithms=[ALGORITHM])["sub"])
    except InvalidTokenError:
        return None


def send_reset_password_email(*, email_to: str, token: str) -> None:
    link = f"{settings.FRONTEND_HOST}/reset-password?token={token}"
    send_email(
        email_to=email_to,
        subject="Password recovery",
        text=f"Reset your password within {settings.EMAIL_RESET_TOKEN_EXPIRE_HOURS} hours: {link}",
    )
