"""The app's settings, read once from ``SQLMODEL_APP_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field


def _env(name: str, default: str) -> str:
    return os.environ.get(f"SQLMODEL_APP_{name}", default)


@dataclass(frozen=True)
class Settings:
    DATABASE_URL: str = field(default_factory=lambda: _env("DATABASE_URL", "sqlite:///./app.db"))
    #: Signs the access tokens and the password-reset tokens (a fresh one per process
    #: unless set, so tokens do not survive a restart).
    SECRET_KEY: str = field(default_factory=lambda: _env("SECRET_KEY", secrets.token_urlsafe(32)))
    ACCESS_TOKEN_EXPIRE_MINUTES: int = 60 * 24 * 8
    EMAIL_RESET_TOKEN_EXPIRE_HOURS: int = 48
    FRONTEND_HOST: str = field(
        default_factory=lambda: _env("FRONTEND_HOST", "http://localhost:5173")
    )
    FIRST_SUPERUSER: str = field(
        default_factory=lambda: _env("FIRST_SUPERUSER", "admin@example.com")
    )
    FIRST_SUPERUSER_PASSWORD: str = field(
        default_factory=lambda: _env("FIRST_SUPERUSER_PASSWORD", "changethis")
    )
    SMTP_HOST: str = field(default_factory=lambda: _env("SMTP_HOST", "localhost"))
    SMTP_PORT: int = field(default_factory=lambda: int(_env("SMTP_PORT", "587")))
    SMTP_USER: str | None = field(default_factory=lambda: _env("SMTP_USER", "") or None)
    SMTP_PASSWORD: str | None = field(default_factory=lambda: _env("SMTP_PASSWORD", "") or None)
    EMAILS_FROM_EMAIL: str = field(
        default_factory=lambda: _env("EMAILS_FROM_EMAIL", "info@example.com")
    )


settings = Settings()
