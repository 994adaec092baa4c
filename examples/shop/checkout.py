"""Paying for an order with a card, through Stripe's official SDK.

``POST /orders/{id}/checkout`` charges the order with the payment method the browser
collected (Stripe.js gives a ``pm_...`` id): one PaymentIntent per order, created once
(idempotently) and confirmed with each card the customer tries. A declined card is a
402 with a message for the customer; the order stays payable with another card.

A card that needs 3-D Secure leaves the payment ``requires_action``: the customer
authenticates in the browser, and Stripe tells the shop by webhook. ``POST
/webhooks/stripe`` verifies each event's signature with the endpoint's secret and
marks the order paid on ``payment_intent.succeeded`` (and refunded on
``charge.refunded``, for refunds made in the Stripe dashboard). Events may come more
than once, or before the checkout's own answer: handling them is idempotent.

``POST /admin/orders/{id}/refund`` refunds a paid order in full.

The SDK client comes from :func:`get_stripe`, built from the settings: an API key and
optionally ``stripe_api_base``, which tests point at ``payments.stripe_api()``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from functools import lru_cache
from typing import Annotated

import stripe
from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import Enum, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop.auth import require_role
from shop.db import Base, UTCDateTime, utcnow
from shop.deps import SessionDep
from shop.models import Order, OrderStatus
from shop.settings import Settings, SettingsDep

#: Unit prices in the smallest unit of the settings' currency (cents).
PRICES = {"MUG-01": 1200, "TEE-02": 2500, "CAP-03": 1800}

router = APIRouter(tags=["checkout"])


class PaymentStatus(str, enum.Enum):
    PENDING = "pending"  # not paid yet; a declined card leaves it here
    REQUIRES_ACTION = "requires_action"  # waiting for the customer's 3-D Secure
    PAID = "paid"
    REFUNDED = "refunded"


class Payment(Base):
    """An order's payment: its Stripe PaymentIntent and where it stands."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    payment_intent_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PaymentStatus] = mapped_column(
        Enum(PaymentStatus, native_enum=False, length=16), default=PaymentStatus.PENDING
    )
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def mark_paid(self) -> None:
        if self.status in (PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION):
            self.status = PaymentStatus.PAID
            self.paid_at = utcnow()

    def mark_refunded(self) -> None:
        if self.status is not PaymentStatus.REFUNDED:
            self.status = PaymentStatus.REFUNDED
            self.refunded_at = utcnow()


# --- the Stripe client ----------------------------------------------------------------


@lru_cache(maxsize=4)
def _stripe_client(api_key: str, api_base: str | None) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=2,  # POSTs are retried with an idempotency key
    )


def get_stripe(settings: SettingsDep) -> stripe.StripeClient:
    if not settings.stripe_api_key:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "card payments are not set up")
    return _stripe_client(settings.stripe_api_key, settings.stripe_api_base)


StripeDep = Annotated[stripe.StripeClient, Depends(get_stripe)]


# --- schemas ------------------------------------------------------------------------


class CheckoutIn(BaseModel):
    #: The card, as a PaymentMethod id from Stripe.js (``pm_...``).
    payment_method: str = Field(min_length=1, max_length=255)


class PaymentOut(BaseModel):
    order_id: int
    status: PaymentStatus
    amount: int
    currency: str
    payment_intent: str
    paid_at: datetime | None
    refunded_at: datetime | None
    #: For Stripe.js to finish 3-D Secure in the browser (``requires_action`` only).
    client_secret: str | None = None

    @classmethod
    def of(cls, payment: Payment, *, client_secret: str | None = None) -> PaymentOut:
        return cls(
            order_id=payment.order_id,
            status=payment.status,
            amount=payment.amount,
            currency=payment.currency,
            payment_intent=payment.payment_intent_id,
            paid_at=payment.paid_at,
            refunded_at=payment.refunded_at,
            client_secret=client_secret,
        )


# --- checkout -----------------------------------------------------------------------


def decline_message(error: stripe.CardError) -> str:
    """What the customer reads when their card is declined (Stripe's card error
    messages are written for customers)."""
    reason = error.user_message or "Your card was declined."
    return f"{reason} Nothing was charged; please try another card."


@router.post("/orders/{order_id}/checkout")
def checkout(
    order_id: int,
    body: CheckoutIn,
    session: SessionDep,
    client: StripeDep,
    settings: SettingsDep,
) -> PaymentOut:
    order = _order(session, order_id)
    if order.status is OrderStatus.CANCELLED:
        raise HTTPException(status.HTTP_409_CONFLICT, f"order {order.id} is cancelled")
    payment = _payment_of(session, order.id) or _start_payment(session, client, settings, order)
    if payment.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        raise HTTPException(status.HTTP_409_CONFLICT, f"order {order.id} is already paid")
    try:
        intent = client.v1.payment_intents.confirm(
            payment.payment_intent_id,
            params={
                "payment_method": body.payment_method,
                "return_url": f"{settings.public_url}/orders/{order.id}/payment",
            },
        )
    except stripe.CardError as error:
        raise HTTPException(status.HTTP_402_PAYMENT_REQUIRED, decline_message(error)) from None
    except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError):
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "we could not reach our payment provider; please try again in a moment",
            headers={"Retry-After": "30"},
        ) from None
    client_secret = None
    if intent.status == "succeeded":
        payment.mark_paid()
    elif intent.status == "requires_action":
        payment.status = PaymentStatus.REQUIRES_ACTION
        client_secret = intent.client_secret
    session.commit()
    return PaymentOut.of(payment, client_secret=client_secret)


def _start_payment(
    session: Session, client: stripe.StripeClient, settings: Settings, order: Order
) -> Payment:
    if order.sku not in PRICES:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{order.sku!r} has no price; cannot pay")
    intent = client.v1.payment_intents.create(
        params={
            "amount": PRICES[order.sku] * order.quantity,
            "currency": settings.currency,
            "description": f"Order {order.id}: {order.quantity} x {order.sku}",
            "metadata": {"order_id": str(order.id)},
        },
        # A retried request (ours, or the SDK's) gets the same intent back.
        options={"idempotency_key": f"order-{order.id}-payment"},
    )
    payment = Payment(
        order_id=order.id,
        payment_intent_id=intent.id,
        amount=intent.amount,
        currency=intent.currency,
    )
    session.add(payment)
    session.commit()  # kept even if the card is declined: the next card reuses the intent
    return payment


@router.get("/orders/{order_id}/payment")
def read_payment(order_id: int, session: SessionDep) -> PaymentOut:
    payment = _payment_of(session, _order(session, order_id).id)
    if payment is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"order {order_id} has no payment yet")
    return PaymentOut.of(payment)


# --- refunds ------------------------------------------------------------------------


@router.post("/admin/orders/{order_id}/refund", dependencies=[Depends(require_role("admin"))])
def refund(order_id: int, session: SessionDep, client: StripeDep) -> PaymentOut:
    payment = _payment_of(session, _order(session, order_id).id)
    if payment is None or payment.status is not PaymentStatus.PAID:
        state = "not paid" if payment is None else payment.status.value
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"order {order_id} is {state}; only paid orders refund"
        )
    client.v1.refunds.create(
        params={"payment_intent": payment.payment_intent_id, "reason": "requested_by_customer"},
        options={"idempotency_key": f"order-{order_id}-refund"},
    )
    payment.mark_refunded()
    session.commit()
    return PaymentOut.of(payment)


# --- webhooks -----------------------------------------------------------------------


async def raw_body(request: Request) -> bytes:
    """The request body exactly as sent: signatures are over these bytes."""
    return await request.body()


@router.post("/webhooks/stripe")
def stripe_webhook(
    body: Annotated[bytes, Depends(raw_body)],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
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
    if event.type == "payment_intent.succeeded":
        intent_id = obj.id
    elif event.type == "charge.refunded" and obj.refunded:
        intent_id = obj.payment_intent
    else:
        return {"received": True}  # an event the shop does not act on
    payment = session.scalars(select(Payment).where(Payment.payment_intent_id == intent_id)).first()
    if payment is not None:  # otherwise not one of the shop's payments
        if event.type == "payment_intent.succeeded":
            payment.mark_paid()
        else:
            payment.mark_refunded()
        session.commit()
    return {"received": True}


def _order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no order with id {order_id}")
    return order


def _payment_of(session: Session, order_id: int) -> Payment | None:
    return session.scalars(select(Payment).where(Payment.order_id == order_id)).first()
