"""Signing up: an account with a free trial, a welcome mail whose link verifies the
address, and a reminder two days later if it is still unverified.

``POST /signup`` creates the customer and queues two jobs (``send_welcome`` now,
``remind_unverified`` in two days), both after the commit: a signup that fails, such
as one with a taken address, mails nobody. The worker runs them with
:func:`job_handlers`. ``GET /verify-email?token=...`` is the link in the mails: a
token signed with the secret key, good for a week, tied to the address it was sent to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop import services
from shop.db import Base, SessionLocal, UTCDateTime, utcnow
from shop.deps import SessionDep
from shop.jobs import Handler, JobsDep
from shop.mailer import Mailer
from shop.models import Customer
from shop.settings import Settings, SettingsDep

REMINDER_AFTER = timedelta(days=2)
LINK_VALID_FOR = timedelta(days=7)

router = APIRouter(tags=["signup"])


class EmailVerification(Base):
    """A customer's verified address (a customer without one has not verified yet)."""

    __tablename__ = "email_verifications"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InvalidLink(Exception):
    """The verification link was not made by the shop for this customer's address."""


class ExpiredLink(Exception):
    """The verification link is older than :data:`LINK_VALID_FOR`."""


# --- verification links -------------------------------------------------------------


def _signature(secret_key: str, message: str) -> str:
    digest = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verification_token(secret_key: str, customer: Customer, *, issued_at: datetime) -> str:
    """``<customer id>.<issued at>.<signature over both and the address>``."""
    message = f"{customer.id}.{int(issued_at.timestamp())}"
    return f"{message}.{_signature(secret_key, f'{message}.{customer.email.lower()}')}"


def verification_link(settings: Settings, customer: Customer) -> str:
    token = verification_token(settings.secret_key, customer, issued_at=utcnow())
    return f"{settings.public_url}/verify-email?token={token}"


def customer_of_token(session: Session, secret_key: str, token: str) -> Customer:
    """The customer a token was issued to; raises InvalidLink or ExpiredLink."""
    try:
        customer_part, issued_part, signature = token.split(".")
        customer_id, issued = int(customer_part), int(issued_part)
    except ValueError:
        raise InvalidLink(token) from None
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise InvalidLink(token)
    expected = _signature(secret_key, f"{customer_part}.{issued_part}.{customer.email.lower()}")
    if not hmac.compare_digest(signature, expected):
        raise InvalidLink(token)
    if datetime.now(timezone.utc) - datetime.fromtimestamp(issued, timezone.utc) > LINK_VALID_FOR:
        raise ExpiredLink(token)
    return customer


def is_verified(session: Session, customer: Customer) -> bool:
    verification = session.get(EmailVerification, customer.id)
    return verification is not None and verification.email == customer.email


# --- HTTP ---------------------------------------------------------------------------


class SignupIn(BaseModel):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


class AccountOut(BaseModel):
    id: int
    email: str
    email_verified: bool
    trial_ends_at: datetime | None


@router.post("/signup", status_code=status.HTTP_201_CREATED)
def sign_up(body: SignupIn, session: SessionDep, jobs: JobsDep) -> AccountOut:
    customer = Customer(email=body.email)
    services.start_trial(customer)
    session.add(customer)
    # Queued with the signup's transaction: only if the commit below succeeds.
    payload = {"email": body.email}
    jobs.push("send_welcome", payload, after_commit=session)
    jobs.push("remind_unverified", payload, delay=REMINDER_AFTER, after_commit=session)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"{body.email!r} already has an account; sign in instead"
        ) from None
    return AccountOut(
        id=customer.id,
        email=customer.email,
        email_verified=False,
        trial_ends_at=customer.trial_ends_at,
    )


@router.get("/verify-email")
def verify_email(token: str, session: SessionDep, settings: SettingsDep) -> AccountOut:
    try:
        customer = customer_of_token(session, settings.secret_key, token)
    except InvalidLink:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "this verification link is not valid"
        ) from None
    except ExpiredLink:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "this verification link has expired; use the one in our latest email",
        ) from None
    if not is_verified(session, customer):
        session.merge(
            EmailVerification(customer_id=customer.id, email=customer.email, verified_at=utcnow())
        )
        session.commit()
    return AccountOut(
        id=customer.id,
        email=customer.email,
        email_verified=True,
        trial_ends_at=customer.trial_ends_at,
    )


# --- jobs ---------------------------------------------------------------------------


def job_handlers(settings: Settings, mailer: Mailer) -> dict[str, Handler]:
    """The signup jobs, mailing through ``mailer``: what the worker runs."""

    def send_welcome(payload: dict[str, Any]) -> None:
        with SessionLocal() as session:
            customer = _customer_by_email(session, payload["email"])
            if customer is None:  # deleted meanwhile
                return
            link = verification_link(settings, customer)
            trial_ends = f"{customer.trial_ends_at:%A %d %B}" if customer.trial_ends_at else ""
            mailer.send(
                to=customer.email,
                subject="Welcome to the shop",
                text=(
                    "Thanks for signing up! Please confirm your email address:\n"
                    f"{link}\n\nYour free trial runs until {trial_ends}."
                ),
                html=(
                    "<p>Thanks for signing up! Please "
                    f'<a href="{link}">confirm your email address</a>.</p>'
                    f"<p>Your free trial runs until {trial_ends}.</p>"
                ),
            )

    def remind_unverified(payload: dict[str, Any]) -> None:
        with SessionLocal() as session:
            customer = _customer_by_email(session, payload["email"])
            if customer is None or is_verified(session, customer):
                return
            link = verification_link(settings, customer)
            mailer.send(
                to=customer.email,
                subject="Please confirm your email address",
                text=f"One click and you're done:\n{link}",
                html=f'<p>One click and you\'re done: <a href="{link}">confirm</a>.</p>',
            )

    return {"send_welcome": send_welcome, "remind_unverified": remind_unverified}


def _customer_by_email(session: Session, email: str) -> Customer | None:
    return session.scalars(select(Customer).where(Customer.email == email)).first()
