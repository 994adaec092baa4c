"""The HTTP layer: a FastAPI app over the service layer.

Each request gets a session from :data:`shop.db.SessionLocal`, so whatever the
session factory is bound to is what the app uses. ``/me`` and ``/admin/...`` want a
bearer token (see :mod:`shop.auth`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop import checkout, membership, services, signup
from shop.auth import CurrentUser, require_role
from shop.db import SessionLocal
from shop.models import Customer, Order, OrderStatus
from shop.notifications import LogNotifier, Notifier

app = FastAPI(title="shop")
app.include_router(signup.router)
app.include_router(checkout.router)
app.include_router(membership.router)


def get_session() -> Iterator[Session]:
    with SessionLocal() as session:
        yield session


def get_notifier() -> Notifier:
    return LogNotifier()


SessionDep = Annotated[Session, Depends(get_session)]
NotifierDep = Annotated[Notifier, Depends(get_notifier)]


# --- schemas -----------------------------------------------------------------------


class CustomerIn(BaseModel):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


class CustomerOut(BaseModel):
    id: int
    email: str
    trial_ends_at: datetime | None
    trial_active: bool

    @classmethod
    def of(cls, customer: Customer) -> CustomerOut:
        return cls(
            id=customer.id,
            email=customer.email,
            trial_ends_at=customer.trial_ends_at,
            trial_active=services.trial_active(customer),
        )


class MeOut(BaseModel):
    sub: str
    roles: list[str]
    session_expires_at: datetime


class OrderIn(BaseModel):
    customer_id: int
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(default=1, ge=1, le=100)


class OrderOut(BaseModel):
    id: int
    customer_id: int
    sku: str
    quantity: int
    status: OrderStatus
    placed_at: datetime
    ships_on: date
    cancellable_until: datetime
    cancelled_at: datetime | None

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            id=order.id,
            customer_id=order.customer_id,
            sku=order.sku,
            quantity=order.quantity,
            status=order.status,
            placed_at=order.placed_at,
            ships_on=order.ships_on,
            cancellable_until=services.cancellable_until(order),
            cancelled_at=order.cancelled_at,
        )


# --- endpoints -----------------------------------------------------------------------


@app.get("/health")
def health() -> dict[str, object]:
    return {"status": "ok", "time": time.time()}


@app.post("/customers", status_code=status.HTTP_201_CREATED)
def create_customer(body: CustomerIn, session: SessionDep) -> CustomerOut:
    customer = Customer(email=body.email)
    services.start_trial(customer)
    session.add(customer)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"a customer with email {body.email!r} already exists"
        ) from None
    return CustomerOut.of(customer)


@app.get("/customers/{customer_id}")
def read_customer(customer_id: int, session: SessionDep) -> CustomerOut:
    return CustomerOut.of(_customer(session, customer_id))


@app.post("/orders", status_code=status.HTTP_201_CREATED)
def create_order(body: OrderIn, session: SessionDep, notifier: NotifierDep) -> OrderOut:
    customer = _customer(session, body.customer_id)
    order = services.place_order(session, customer, body.sku, body.quantity, notifier=notifier)
    session.commit()
    return OrderOut.of(order)


@app.get("/orders/shipping-today")
def shipping_today(session: SessionDep) -> list[OrderOut]:
    return [OrderOut.of(order) for order in services.orders_shipping_today(session)]


@app.post("/orders/{order_id}/cancel")
def cancel_order(order_id: int, session: SessionDep) -> OrderOut:
    order = session.get(Order, order_id)
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no order with id {order_id}")
    try:
        services.cancel_order(order)
    except services.ShopError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    session.commit()
    return OrderOut.of(order)


@app.get("/me")
def read_me(user: CurrentUser) -> MeOut:
    return MeOut(sub=user.sub, roles=sorted(user.roles), session_expires_at=user.expires_at)


@app.get("/admin/orders", dependencies=[Depends(require_role("admin"))])
def list_orders(session: SessionDep) -> list[OrderOut]:
    return [OrderOut.of(order) for order in session.scalars(select(Order).order_by(Order.id))]


def _customer(session: Session, customer_id: int) -> Customer:
    try:
        return services.get_customer(session, customer_id)
    except services.UnknownCustomer as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
