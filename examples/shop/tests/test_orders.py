"""Orders: shipping dates and the cancellation window, at the service layer."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

import fixturekit as fk
from shop import services
from shop.models import Customer, OrderStatus

UTC = timezone.utc


@pytest.fixture
def customer(session: Session) -> Customer:
    customer = Customer(email="grace@example.com")
    session.add(customer)
    session.flush()
    return customer


@pytest.mark.clock("2024-01-05T16:00:00Z")  # a Friday
def test_order_placed_on_friday_ships_on_tuesday(
    clock: fk.Clock, session: Session, customer: Customer
) -> None:
    order = services.place_order(session, customer, "MUG-01")

    assert order.placed_at == clock.now()
    assert order.ships_on == date(2024, 1, 9)
    assert order.ships_on.strftime("%A") == "Tuesday"


@pytest.mark.clock("2024-01-03T10:00:00Z")  # a Wednesday
def test_order_placed_midweek_ships_two_days_later(
    clock: fk.Clock, session: Session, customer: Customer
) -> None:
    order = services.place_order(session, customer, "MUG-01")

    assert order.ships_on == date(2024, 1, 5)


@pytest.mark.clock("2024-01-06T10:00:00Z")  # a Saturday
def test_order_placed_at_the_weekend_ships_on_tuesday(
    clock: fk.Clock, session: Session, customer: Customer
) -> None:
    order = services.place_order(session, customer, "MUG-01")

    assert order.ships_on == date(2024, 1, 9)


@pytest.mark.clock("2024-01-03T10:00:00Z")
def test_order_can_be_cancelled_for_thirty_minutes(
    clock: fk.Clock, session: Session, customer: Customer
) -> None:
    order = services.place_order(session, customer, "MUG-01")

    clock.advance(minutes=29, seconds=59)
    services.cancel_order(order)

    assert order.status is OrderStatus.CANCELLED
    assert order.cancelled_at == datetime(2024, 1, 3, 10, 29, 59, tzinfo=UTC)


@pytest.mark.clock("2024-01-03T10:00:00Z")
def test_cancellation_window_closes_after_thirty_minutes(
    clock: fk.Clock, session: Session, customer: Customer
) -> None:
    order = services.place_order(session, customer, "MUG-01")

    clock.advance(timedelta(minutes=30))

    with pytest.raises(services.CancellationWindowClosed, match="until 2024-01-03T10:30:00"):
        services.cancel_order(order)
    assert order.status is OrderStatus.PLACED


@pytest.mark.clock("2024-01-03T12:00:00Z")
def test_warehouse_list_shows_the_orders_shipping_today(
    clock: fk.Clock, session: Session, customer: Customer
) -> None:
    wednesday = services.place_order(session, customer, "MUG-01")
    clock.advance(days=1)
    thursday = services.place_order(session, customer, "TEE-02")

    assert services.orders_shipping_today(session) == []

    clock.set("2024-01-05T12:00:00Z")  # Friday, midday: the same date in any time zone
    assert services.orders_shipping_today(session) == [wednesday]

    clock.set("2024-01-08T12:00:00Z")  # Monday
    assert services.orders_shipping_today(session) == [thursday]
