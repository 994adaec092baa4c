"""The service layer: plain functions over the ORM models, reading the real clock.

Nothing here knows about tests; ``datetime.now(timezone.utc)``, ``date.today()``
and ``time.time()`` are called the way application code calls them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.models import Customer, Order, OrderStatus
from shop.notifications import Notifier

TRIAL_DAYS = 14
TRIAL_REMINDER_BEFORE = timedelta(days=3)
SHIPPING_BUSINESS_DAYS = 2
CANCELLATION_WINDOW = timedelta(minutes=30)


class ShopError(Exception):
    """A request the shop refuses; the API turns it into a 4xx response."""


class CancellationWindowClosed(ShopError):
    pass


class UnknownCustomer(ShopError):
    pass


class Scheduler(Protocol):
    """Runs a callback at a point in time (a job scheduler in production)."""

    def call_at(self, when: datetime, callback: Callable[..., object], /, *args: Any) -> Any: ...


# --- trials -------------------------------------------------------------------------


def start_trial(customer: Customer, *, days: int = TRIAL_DAYS) -> datetime:
    """Start (or restart) the customer's free trial; returns when it ends."""
    customer.trial_ends_at = datetime.now(timezone.utc) + timedelta(days=days)
    return customer.trial_ends_at


def trial_active(customer: Customer) -> bool:
    """True while the trial has not ended."""
    ends = customer.trial_ends_at
    return ends is not None and datetime.now(timezone.utc) < ends


def schedule_trial_reminder(scheduler: Scheduler, customer: Customer, notifier: Notifier) -> Any:
    """Ask ``scheduler`` to remind the customer a few days before the trial ends."""
    if customer.trial_ends_at is None:
        raise ShopError(f"{customer!r} has no trial to remind about")
    return scheduler.call_at(
        customer.trial_ends_at - TRIAL_REMINDER_BEFORE, _send_trial_reminder, customer, notifier
    )


def _send_trial_reminder(customer: Customer, notifier: Notifier) -> None:
    if not trial_active(customer):
        return
    ends = customer.trial_ends_at
    assert ends is not None
    notifier.send(
        customer.email,
        "Your trial ends soon",
        f"Your free trial ends on {ends:%A %d %B %Y at %H:%M} UTC.",
    )


# --- orders -------------------------------------------------------------------------


def add_business_days(start: date, days: int) -> date:
    """``start`` plus ``days`` working days, skipping Saturdays and Sundays."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def place_order(
    session: Session,
    customer: Customer,
    sku: str,
    quantity: int = 1,
    *,
    notifier: Notifier | None = None,
) -> Order:
    """Place an order that ships in two business days; confirms it by notification."""
    if quantity < 1:
        raise ShopError(f"quantity must be at least 1, got {quantity}")
    now = datetime.now(timezone.utc)
    order = Order(
        customer=customer,
        sku=sku,
        quantity=quantity,
        placed_at=now,
        ships_on=add_business_days(now.date(), SHIPPING_BUSINESS_DAYS),
    )
    session.add(order)
    session.flush()
    if notifier is not None:
        notifier.send(
            customer.email,
            f"Order {order.id} confirmed",
            f"{quantity} x {sku}, ships on {order.ships_on:%A %d %B}.",
        )
    return order


def cancellable_until(order: Order) -> datetime:
    return order.placed_at + CANCELLATION_WINDOW


def cancel_order(order: Order) -> Order:
    """Cancel an order within 30 minutes of placing it."""
    now = datetime.now(timezone.utc)
    if order.status is not OrderStatus.PLACED:
        raise ShopError(f"order {order.id} is {order.status.value}; only placed orders cancel")
    deadline = cancellable_until(order)
    if now >= deadline:
        raise CancellationWindowClosed(
            f"order {order.id} could be cancelled until {deadline.isoformat()}; "
            f"it is now {now.isoformat()}"
        )
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = now
    return order


def orders_shipping_today(session: Session) -> list[Order]:
    """Placed orders due to ship today (the warehouse's local date)."""
    query = (
        select(Order)
        .where(Order.ships_on == date.today(), Order.status == OrderStatus.PLACED)
        .order_by(Order.id)
    )
    return list(session.scalars(query))


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise UnknownCustomer(f"no customer with id {customer_id}")
    return customer
