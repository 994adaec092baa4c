"""A custom fake in the `harness`, on the harness's clock and timeline.

conftest.py registers FakeNotifier with ``register_fake``: asking for the ``notifier``
fixture adds one to the test's ``harness``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

import fixturekit as fk
from shop import services
from shop.api import app, get_notifier
from shop.models import Customer
from shop.tests.fakes import FakeNotifier


@pytest.fixture
def notifying_client(client: TestClient, notifier: FakeNotifier) -> Iterator[TestClient]:
    """The app, sending its notifications to the test's FakeNotifier."""
    app.dependency_overrides[get_notifier] = lambda: notifier
    yield client
    app.dependency_overrides.pop(get_notifier, None)


@pytest.mark.clock("2024-01-05T16:30:00Z")
def test_order_confirmation_is_sent_at_order_time(
    harness: fk.Harness, notifier: FakeNotifier, notifying_client: TestClient
) -> None:
    client = notifying_client
    customer = client.post("/customers", json={"email": "ada@example.com"}).json()

    client.post("/orders", json={"customer_id": customer["id"], "sku": "MUG-01"})

    assert harness.notifier is notifier
    notice = notifier.assert_sent(to="ada@example.com", subject="Order 1 confirmed")
    assert notice.sent_at == harness.clock.now()
    assert "ships on Tuesday 09 January" in notice.body


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_timeline_shows_welcome_then_reminder(harness: fk.Harness, notifier: FakeNotifier) -> None:
    customer = Customer(email="ada@example.com")
    services.start_trial(customer)
    services.schedule_trial_reminder(harness.clock, customer, notifier)
    notifier.send(customer.email, "Welcome", "Hello!")

    harness.clock.advance(days=14)

    assert [(e.at, e.message) for e in harness.timeline] == [
        (datetime(2024, 1, 1, 9, tzinfo=timezone.utc), "to ada@example.com: Welcome"),
        (datetime(2024, 1, 12, 9, tzinfo=timezone.utc), "to ada@example.com: Your trial ends soon"),
    ]
