"""The shop's club: a monthly membership sold through Stripe Checkout in subscription
mode, renewed by Stripe, followed by webhook.

``POST /memberships`` opens a Checkout Session for the club's monthly price (found by
its lookup key, created the first time) and answers its ``checkout_url``; the browser
goes there. Stripe then tells the shop what happens, at ``POST /webhooks/stripe/billing``:

* ``checkout.session.completed``: the member signed up; the membership is active.
* ``invoice.paid``: a month is paid (at sign-up and at each renewal); the membership
  runs until the end of the period the invoice paid for.
* ``invoice.payment_failed``: a renewal was declined; the membership is ``past_due``
  and the member gets an email asking them to update their card (Stripe retries the
  payment on its own schedule).
* ``customer.subscription.deleted``: the subscription ended; so does the membership.

Events may come more than once: each handler sets a state rather than adding to it.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Annotated

import stripe
from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Enum, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop.checkout import StripeDep, raw_body
from shop.db import Base, UTCDateTime
from shop.deps import SessionDep
from shop.mailer import Mailer, SmtpMailer
from shop.settings import Settings, SettingsDep

#: The club's price: 9.00 a month, in the settings' currency.
CLUB_PRICE = 900
CLUB_LOOKUP_KEY = "shop-club-monthly"

router = APIRouter(tags=["membership"])


class MembershipStatus(str, enum.Enum):
    PENDING = "pending"  # checkout not completed yet
    ACTIVE = "active"
    PAST_DUE = "past_due"  # a renewal failed; Stripe retries it
    CANCELED = "canceled"


class Membership(Base):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    checkout_session_id: Mapped[str] = mapped_column(String(255), unique=True)
    subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    status: Mapped[MembershipStatus] = mapped_column(
        Enum(MembershipStatus, native_enum=False, length=16), default=MembershipStatus.PENDING
    )
    paid_through: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


def get_mailer(settings: SettingsDep) -> Mailer:
    return SmtpMailer(settings)


MailerDep = Annotated[Mailer, Depends(get_mailer)]


class MembershipIn(BaseModel):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)


class MembershipOut(BaseModel):
    id: int
    email: str
    status: MembershipStatus
    paid_through: datetime | None
    checkout_url: str | None = None


def _club_price(client: stripe.StripeClient, settings: Settings) -> str:
    found = client.v1.prices.list(params={"lookup_keys": [CLUB_LOOKUP_KEY]}).data
    if found:
        return found[0].id
    price = client.v1.prices.create(
        params={
            "currency": settings.currency,
            "unit_amount": CLUB_PRICE,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Shop club"},
            "lookup_key": CLUB_LOOKUP_KEY,
        },
        options={"idempotency_key": f"club-price-{settings.currency}"},
    )
    return price.id


@router.post("/memberships", status_code=status.HTTP_201_CREATED)
def join(
    body: MembershipIn, session: SessionDep, client: StripeDep, settings: SettingsDep
) -> MembershipOut:
    checkout = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": _club_price(client, settings), "quantity": 1}],
            "customer_email": body.email,
            "success_url": f"{settings.public_url}/club/welcome?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{settings.public_url}/club",
        }
    )
    membership = Membership(email=body.email, checkout_session_id=checkout.id)
    session.add(membership)
    session.commit()
    return _out(membership, checkout_url=checkout.url)


@router.get("/memberships/{membership_id}")
def read(membership_id: int, session: SessionDep) -> MembershipOut:
    membership = session.get(Membership, membership_id)
    if membership is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no membership with id {membership_id}")
    return _out(membership)


def _out(membership: Membership, checkout_url: str | None = None) -> MembershipOut:
    return MembershipOut(
        id=membership.id,
        email=membership.email,
        status=membership.status,
        paid_through=membership.paid_through,
        checkout_url=checkout_url,
    )


@router.post("/webhooks/stripe/billing")
def billing_webhook(
    body: Annotated[bytes, Depends(raw_body)],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    client: StripeDep,
    mailer: MailerDep,
) -> dict[str, bool]:
    if not settings.stripe_webhook_secret:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "webhooks are not set up")
    try:
        event = stripe.Webhook.construct_event(
            body, request.headers.get("Stripe-Signature", ""), settings.stripe_webhook_secret
        )
    except (ValueError, stripe.SignatureVerificationError):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid signature") from None
    obj = event.data.object
    if event.type == "checkout.session.completed" and obj.mode == "subscription":
        membership = _one(session, Membership.checkout_session_id == obj.id)
        if membership is not None:
            # The first invoice.paid may come before this event (Stripe promises no
            # order), when the membership did not know its subscription yet.
            subscription = client.v1.subscriptions.retrieve(obj.subscription)
            membership.subscription_id = subscription.id
            membership.paid_through = datetime.fromtimestamp(
                subscription["items"].data[0].current_period_end, timezone.utc
            )
            if membership.status is MembershipStatus.PENDING:
                membership.status = MembershipStatus.ACTIVE
    elif event.type in ("invoice.paid", "invoice.payment_failed") and obj.subscription:
        membership = _one(session, Membership.subscription_id == obj.subscription)
        if membership is not None and event.type == "invoice.paid":
            membership.status = MembershipStatus.ACTIVE
            end = max(line.period.end for line in obj.lines.data)
            membership.paid_through = datetime.fromtimestamp(end, timezone.utc)
        elif membership is not None and membership.status is not MembershipStatus.CANCELED:
            membership.status = MembershipStatus.PAST_DUE
            _mail_payment_failed(mailer, settings, membership, obj)
    elif event.type == "customer.subscription.deleted":
        membership = _one(session, Membership.subscription_id == obj.id)
        if membership is not None:
            membership.status = MembershipStatus.CANCELED
    session.commit()
    return {"received": True}


def _one(session: Session, where: ColumnElement[bool]) -> Membership | None:
    return session.scalars(select(Membership).where(where)).first()


def _mail_payment_failed(
    mailer: Mailer, settings: Settings, membership: Membership, invoice: stripe.Invoice
) -> None:
    amount = f"{invoice.amount_due / 100:.2f} {invoice.currency.upper()}"
    retry = ""
    if invoice.next_payment_attempt:
        when = datetime.fromtimestamp(invoice.next_payment_attempt, timezone.utc)
        retry = f" We will try again on {when:%d %B %Y}."
    mailer.send(
        to=membership.email,
        subject="Your club payment failed",
        text=(
            f"We could not charge {amount} for your club membership.{retry} "
            f"Please update your card: {settings.public_url}/club/card"
        ),
    )
