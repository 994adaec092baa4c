"""Checkout, end to end, with the official Stripe SDK talking to fixturekit's fake.

The app builds its ``stripe.StripeClient`` from the settings. The `shop` fixture serves
the `payments` fake's Stripe API on 127.0.0.1 and points the settings at it, with the
fake's webhook secret as the endpoint's: the app's code runs unchanged, HTTP included.
Webhooks are what Stripe would POST, signed by the fake (``payments.signed_webhook``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import fixturekit as fk
from fixturekit.payments import FakePayments
from fixturekit.tokens import TokenMinter
from shop.api import app
from shop.auth import AuthSettings, TokenVerifier, get_verifier
from shop.settings import Settings, get_settings

pytestmark = pytest.mark.clock("2024-05-06T10:00:00Z")


@pytest.fixture
def shop(client: TestClient, payments: FakePayments) -> Iterator[TestClient]:
    """The app, with Stripe's API and webhook secret being the `payments` fake's."""
    with payments.stripe_api() as api_base:
        settings = Settings(
            public_url="https://shop.example",
            secret_key=secrets.token_urlsafe(32),
            stripe_api_key="sk_test_" + secrets.token_hex(12),
            stripe_api_base=api_base,
            stripe_webhook_secret=payments.webhook_secret,
        )
        app.dependency_overrides[get_settings] = lambda: settings
        yield client
        app.dependency_overrides.pop(get_settings, None)


@pytest.fixture
def admins(tokens: TokenMinter) -> Iterator[TokenMinter]:
    """The test's identity provider, trusted by the app: ``admins.auth_header(...)``."""
    with tokens.serve() as issuer_url:
        verifier = TokenVerifier(AuthSettings(issuer=issuer_url, audience="api"))
        app.dependency_overrides[get_verifier] = lambda: verifier
        yield tokens
        app.dependency_overrides.pop(get_verifier, None)


def place_order(shop: TestClient, sku: str = "MUG-01", quantity: int = 2) -> int:
    customer = shop.post("/customers", json={"email": "ada@example.com"}).json()
    order = shop.post(
        "/orders", json={"customer_id": customer["id"], "sku": sku, "quantity": quantity}
    )
    assert order.status_code == 201, order.text
    order_id: int = order.json()["id"]
    return order_id


def pay(shop: TestClient, order_id: int, card: str) -> Any:
    return shop.post(f"/orders/{order_id}/checkout", json={"payment_method": card})


def stripe_sends(
    shop: TestClient, payments: FakePayments, event_type: str, *, secret: str | None = None
) -> Any:
    """POST the latest ``event_type`` event to the app's endpoint, as Stripe would."""
    event = [event for event in payments.events if event.type == event_type][-1]
    body, headers = payments.signed_webhook(event, secret=secret)
    return shop.post("/webhooks/stripe", content=body, headers=headers)


def test_a_card_payment_pays_the_order(shop: TestClient, payments: FakePayments) -> None:
    order_id = place_order(shop, "MUG-01", quantity=2)

    response = pay(shop, order_id, "pm_card_visa")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "paid"
    charge = payments.assert_charged(
        amount=2400, currency="eur", metadata={"order_id": str(order_id)}
    )
    assert charge.payment_intent == response.json()["payment_intent"]


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."),
        ("pm_card_visa_chargeDeclined", "Your card was declined."),
        ("pm_card_chargeDeclinedExpiredCard", "Your card has expired."),
    ],
)
def test_a_declined_card_is_shown_to_the_customer_who_can_try_another(
    shop: TestClient, payments: FakePayments, card: str, message: str
) -> None:
    order_id = place_order(shop)

    declined = pay(shop, order_id, card)

    assert declined.status_code == 402
    assert declined.json() == {"detail": f"{message} Nothing was charged; please try another card."}
    payments.assert_not_charged()
    assert shop.get(f"/orders/{order_id}/payment").json()["status"] == "pending"

    assert pay(shop, order_id, "pm_card_mastercard").json()["status"] == "paid"
    assert len(payments.payment_intents) == 1  # one intent per order, whatever the cards
    payments.assert_charged(
        amount=2400, payment_method_details=lambda d: d["card"]["last4"] == "4444"
    )


def test_a_3d_secure_payment_is_marked_paid_by_the_webhook(
    shop: TestClient, payments: FakePayments
) -> None:
    order_id = place_order(shop)
    started = pay(shop, order_id, "pm_card_authenticationRequired")
    assert started.json()["status"] == "requires_action"
    assert started.json()["client_secret"]

    payments.authenticate(started.json()["payment_intent"])  # the customer, in the browser
    assert shop.get(f"/orders/{order_id}/payment").json()["status"] == "requires_action"

    assert stripe_sends(shop, payments, "payment_intent.succeeded").status_code == 200
    assert shop.get(f"/orders/{order_id}/payment").json()["status"] == "paid"


def test_a_repeated_webhook_changes_nothing(
    clock: fk.Clock, shop: TestClient, payments: FakePayments
) -> None:
    order_id = place_order(shop)
    paid_at = pay(shop, order_id, "pm_card_visa").json()["paid_at"]

    clock.advance(minutes=1)
    assert stripe_sends(shop, payments, "payment_intent.succeeded").status_code == 200
    assert stripe_sends(shop, payments, "payment_intent.succeeded").status_code == 200

    assert shop.get(f"/orders/{order_id}/payment").json()["paid_at"] == paid_at


def test_a_paid_order_is_refunded_later_by_an_admin(
    clock: fk.Clock, shop: TestClient, payments: FakePayments, admins: TokenMinter
) -> None:
    order_id = place_order(shop)
    intent = pay(shop, order_id, "pm_card_visa").json()["payment_intent"]

    clock.advance(days=10)
    assert shop.post(f"/admin/orders/{order_id}/refund").status_code == 401
    admin = admins.auth_header("root", roles=["admin"])
    refunded = shop.post(f"/admin/orders/{order_id}/refund", headers=admin)

    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["status"] == "refunded"
    assert refunded.json()["refunded_at"] == "2024-05-16T10:00:00Z"
    payments.assert_refunded(amount=2400, payment_intent=intent, reason="requested_by_customer")
    again = shop.post(f"/admin/orders/{order_id}/refund", headers=admin)
    assert again.status_code == 409
    assert len(payments.refunds) == 1


def test_a_refund_made_in_the_stripe_dashboard_reaches_the_order_by_webhook(
    shop: TestClient, payments: FakePayments
) -> None:
    order_id = place_order(shop)
    intent = pay(shop, order_id, "pm_card_visa").json()["payment_intent"]

    payments.create_refund(payment_intent=intent)  # someone in the dashboard
    assert stripe_sends(shop, payments, "charge.refunded").status_code == 200

    assert shop.get(f"/orders/{order_id}/payment").json()["status"] == "refunded"


def test_a_webhook_not_signed_with_the_shops_secret_is_refused(
    shop: TestClient, payments: FakePayments
) -> None:
    order_id = place_order(shop)
    started = pay(shop, order_id, "pm_card_authenticationRequired")
    payments.authenticate(started.json()["payment_intent"])

    forged = stripe_sends(
        shop, payments, "payment_intent.succeeded", secret="whsec_" + secrets.token_hex(16)
    )

    assert forged.status_code == 400
    assert shop.get(f"/orders/{order_id}/payment").json()["status"] == "requires_action"


def test_a_replayed_webhook_is_refused(
    clock: fk.Clock, shop: TestClient, payments: FakePayments
) -> None:
    order_id = place_order(shop)
    started = pay(shop, order_id, "pm_card_authenticationRequired")
    payments.authenticate(started.json()["payment_intent"])
    event = [e for e in payments.events if e.type == "payment_intent.succeeded"][-1]
    body, headers = payments.signed_webhook(event)  # captured on its way, replayed later

    clock.advance(minutes=6)
    replayed = shop.post("/webhooks/stripe", content=body, headers=headers)

    assert replayed.status_code == 400
    assert shop.get(f"/orders/{order_id}/payment").json()["status"] == "requires_action"


def test_a_lost_answer_is_retried_without_charging_twice(
    shop: TestClient, payments: FakePayments
) -> None:
    order_id = place_order(shop)
    payments.fail_next("api_connection_error", on="confirm_payment_intent")

    response = pay(shop, order_id, "pm_card_visa")

    assert response.json()["status"] == "paid"
    assert len(payments.charges) == 1


def test_the_payment_provider_failing_is_a_503_and_the_order_stays_payable(
    shop: TestClient, payments: FakePayments
) -> None:
    order_id = place_order(shop)
    payments.fail_next("api_error", on="confirm_payment_intent")

    response = pay(shop, order_id, "pm_card_visa")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    payments.assert_not_charged()
    assert pay(shop, order_id, "pm_card_visa").json()["status"] == "paid"
