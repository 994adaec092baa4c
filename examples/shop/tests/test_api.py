"""The FastAPI layer through TestClient, under a frozen clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

import fixturekit as fk


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def new_customer(client: TestClient, email: str = "ada@example.com") -> dict[str, object]:
    response = client.post("/customers", json={"email": email})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_health_reports_the_frozen_time(clock: fk.Clock, client: TestClient) -> None:
    response = client.get("/health")

    assert response.json() == {"status": "ok", "time": clock.timestamp()}


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_new_customer_gets_a_fourteen_day_trial(clock: fk.Clock, client: TestClient) -> None:
    body = new_customer(client)

    assert parse(str(body["trial_ends_at"])) == clock.now() + timedelta(days=14)
    assert body["trial_active"] is True


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_trial_shows_as_ended_after_fourteen_days(clock: fk.Clock, client: TestClient) -> None:
    customer_id = new_customer(client)["id"]

    clock.advance(days=13, hours=23)
    assert client.get(f"/customers/{customer_id}").json()["trial_active"] is True

    clock.advance(hours=1)
    assert client.get(f"/customers/{customer_id}").json()["trial_active"] is False


@pytest.mark.clock("2024-01-05T16:30:00Z")  # a Friday
def test_order_response_carries_the_frozen_time(clock: fk.Clock, client: TestClient) -> None:
    customer_id = new_customer(client)["id"]

    response = client.post("/orders", json={"customer_id": customer_id, "sku": "MUG-01"})

    assert response.status_code == 201, response.text
    order = response.json()
    assert parse(order["placed_at"]) == clock.now()
    assert parse(order["cancellable_until"]) == clock.now() + timedelta(minutes=30)
    assert order["ships_on"] == "2024-01-09"
    assert order["status"] == "placed"


@pytest.mark.clock("2024-01-05T16:30:00Z")
def test_cancel_within_the_window_then_too_late(clock: fk.Clock, client: TestClient) -> None:
    customer_id = new_customer(client)["id"]
    first = client.post("/orders", json={"customer_id": customer_id, "sku": "MUG-01"}).json()
    clock.advance(minutes=10)
    second = client.post("/orders", json={"customer_id": customer_id, "sku": "TEE-02"}).json()

    clock.advance(minutes=25)  # first order is 35 minutes old, second 25

    late = client.post(f"/orders/{first['id']}/cancel")
    assert late.status_code == 409
    assert "could be cancelled until 2024-01-05T17:00:00+00:00" in late.json()["detail"]

    cancelled = client.post(f"/orders/{second['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert parse(cancelled.json()["cancelled_at"]) == clock.now()


@pytest.mark.clock("2024-01-03T12:00:00Z")  # a Wednesday
def test_shipping_today_follows_the_calendar(clock: fk.Clock, client: TestClient) -> None:
    customer_id = new_customer(client)["id"]
    order = client.post("/orders", json={"customer_id": customer_id, "sku": "MUG-01"}).json()

    assert client.get("/orders/shipping-today").json() == []

    clock.advance(days=2)  # Friday
    assert [o["id"] for o in client.get("/orders/shipping-today").json()] == [order["id"]]


def test_duplicate_email_is_refused(client: TestClient) -> None:
    new_customer(client)

    response = client.post("/customers", json={"email": "ada@example.com"})

    assert response.status_code == 409
