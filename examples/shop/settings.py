"""The shop's settings, read once from the environment.

Routes ask for :data:`SettingsDep`; tests override :func:`get_settings` with
``Settings(...)`` of their own (``app.dependency_overrides[get_settings] = ...``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends


@dataclass(frozen=True)
class Settings:
    #: Where customers reach the shop: links in emails start with it.
    public_url: str
    #: Signs the links in emails (email verification); keep it secret, make it long.
    secret_key: str
    mail_from: str = "Shop <hello@shop.example>"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    #: The currency prices are in (ISO code, lower case as Stripe writes it).
    currency: str = "eur"
    stripe_api_key: str | None = None
    #: The ``whsec_...`` secret of the shop's webhook endpoint in the Stripe dashboard.
    stripe_webhook_secret: str | None = None
    #: Stripe's API unless set (a proxy, or a test server).
    stripe_api_base: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Settings from ``SHOP_*`` variables; the public URL and the secret key are required."""
        missing = [name for name in ("SHOP_PUBLIC_URL", "SHOP_SECRET_KEY") if not environ.get(name)]
        if missing:
            raise RuntimeError(
                f"set {' and '.join(missing)}: the shop puts its public URL in the links it "
                "mails, and signs them with the secret key"
            )

        def optional(name: str) -> str | None:
            return environ.get(name) or None

        return cls(
            public_url=environ["SHOP_PUBLIC_URL"].rstrip("/"),
            secret_key=environ["SHOP_SECRET_KEY"],
            mail_from=environ.get("SHOP_MAIL_FROM", cls.mail_from),
            smtp_host=environ.get("SHOP_SMTP_HOST", cls.smtp_host),
            smtp_port=int(environ.get("SHOP_SMTP_PORT", cls.smtp_port)),
            smtp_username=optional("SHOP_SMTP_USERNAME"),
            smtp_password=optional("SHOP_SMTP_PASSWORD"),
            smtp_starttls=environ.get("SHOP_SMTP_STARTTLS", "1") not in ("0", "false", "no"),
            currency=environ.get("SHOP_CURRENCY", cls.currency).lower(),
            stripe_api_key=optional("SHOP_STRIPE_API_KEY"),
            stripe_webhook_secret=optional("SHOP_STRIPE_WEBHOOK_SECRET"),
            stripe_api_base=optional("SHOP_STRIPE_API_BASE"),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The app's settings, read from the environment on first use."""
    return Settings.from_env()


SettingsDep = Annotated[Settings, Depends(get_settings)]
