# unittest assertions on purpose: this file shows the unittest way of writing tests.
# ruff: noqa: PT009
"""The same app tested with unittest: ``HarnessTestCase`` instead of fixtures.

Runs under pytest with the rest of the suite, and on its own with
``python -m unittest shop.tests.test_unittest_style`` from the ``examples`` folder.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi.testclient import TestClient

from fixturekit.db import TestDatabase
from fixturekit.testcase import HarnessTestCase
from fixturekit.tokens import TokenMinter
from shop import services
from shop.api import app, get_notifier
from shop.auth import AuthSettings, TokenVerifier, get_verifier
from shop.db import DATABASE_URL, Base, SessionLocal
from shop.models import Customer
from shop.tests.fakes import FakeNotifier


class ShopTestCase(HarnessTestCase):
    clock_start = "2024-01-05T16:30:00Z"  # a Friday afternoon
    fakes = (FakeNotifier,)
    # Built once per process from the app's URL (under its own name: conftest.py's
    # fixtures use shop_test); each test runs in a sandbox of it, with the app's
    # SessionLocal routed in (self.db_sandbox, self.db_session).
    database = TestDatabase(DATABASE_URL, schema=Base.metadata, name="shop_unittest_test")
    database_bind = (SessionLocal,)

    notifier: FakeNotifier

    def setUp(self) -> None:
        super().setUp()  # starts the clock, harness, notifier and the test's sandbox
        app.dependency_overrides[get_notifier] = lambda: self.notifier
        self.addCleanup(app.dependency_overrides.pop, get_notifier, None)

        self.client = TestClient(app)
        self.client.__enter__()
        self.addCleanup(self.client.__exit__, None, None, None)


class OrderTest(ShopTestCase):
    def test_confirmation_is_sent_when_the_order_is_placed(self) -> None:
        customer = self.client.post("/customers", json={"email": "ada@example.com"}).json()

        response = self.client.post("/orders", json={"customer_id": customer["id"], "sku": "X"})

        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(response.json()["ships_on"], "2024-01-09")
        notice = self.notifier.assert_sent(to="ada@example.com", subject="Order 1 confirmed")
        self.assertEqual(notice.sent_at, self.clock.now())

    def test_cancelling_after_half_an_hour_is_refused(self) -> None:
        customer = self.client.post("/customers", json={"email": "ada@example.com"}).json()
        order = self.client.post("/orders", json={"customer_id": customer["id"], "sku": "X"})

        self.clock.advance(minutes=31)
        response = self.client.post(f"/orders/{order.json()['id']}/cancel")

        self.assertEqual(response.status_code, 409)


class TrialReminderTest(ShopTestCase):
    clock_start = "2024-01-01T09:00:00Z"

    def test_reminder_lands_on_the_timeline_three_days_before_the_end(self) -> None:
        customer = Customer(email="ada@example.com")
        services.start_trial(customer)
        services.schedule_trial_reminder(self.clock, customer, self.notifier)

        self.clock.advance(days=14)

        (event,) = self.timeline
        self.assertEqual(event.at, datetime(2024, 1, 12, 9, tzinfo=timezone.utc))
        self.assertEqual(event.message, "to ada@example.com: Your trial ends soon")


class AdminOrdersTest(ShopTestCase):
    """The protected routes: ``self.tokens`` is a TokenMinter on ``self.clock``."""

    fakes = (FakeNotifier, TokenMinter)

    tokens: TokenMinter

    def setUp(self) -> None:
        super().setUp()
        issuer = self.tokens.serve()  # a real OIDC issuer on 127.0.0.1 for this test
        issuer_url = issuer.__enter__()
        self.addCleanup(issuer.__exit__, None, None, None)
        verifier = TokenVerifier(AuthSettings(issuer=issuer_url, audience="api"))
        app.dependency_overrides[get_verifier] = lambda: verifier
        self.addCleanup(app.dependency_overrides.pop, get_verifier, None)

    def test_admins_only_and_the_session_lasts_an_hour(self) -> None:
        self.assertEqual(self.client.get("/admin/orders").status_code, 401)
        customer = self.tokens.auth_header("bob", roles=["customer"])
        self.assertEqual(self.client.get("/admin/orders", headers=customer).status_code, 403)

        admin = self.tokens.auth_header("root", roles=["admin"])
        response = self.client.get("/admin/orders", headers=admin)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json(), [])

        self.clock.advance(hours=2)
        self.assertEqual(self.client.get("/admin/orders", headers=admin).status_code, 401)
