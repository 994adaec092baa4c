"""The club membership, end to end on one clock: sign-up through Stripe Checkout in
subscription mode, the renewal a month later, a failed renewal that emails the member.

The app talks to the `payments` fake with the official SDK; the fake's webhooks go to
the app's own endpoint (signed, through the test client) whenever the test delivers
them, and the app mails through the `mailer` fixture. `clock.advance` is a month
passing: Stripe's billing runs on it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from fixturekit.clock import Clock
from fixturekit.mail import FakeMailer
from fixturekit.payments import CardError, FakePayments
from shop.api import app
from shop.membership import get_mailer
from shop.settings import Settings, get_settings

pytestmark = pytest.mark.clock("2024-05-06T10:00:00Z")


@pytest.fixture
def club(client: TestClient, payments: FakePayments, mailer: FakeMailer) -> Iterator[TestClient]:
    """The app on the `payments` fake's Stripe API, its webhooks delivered to the app,
    its mail sent to the `mailer` fixture."""
    with payments.stripe_api() as api_base:
        settings = Settings(
            public_url="https://shop.example",
            secret_key=secrets.token_urlsafe(32),
            stripe_api_key="sk_test_" + secrets.token_hex(12),
            stripe_api_base=api_base,
            stripe_webhook_secret=payments.webhook_secret,
        )
        app.dependency_overrides[get_settings] = lambda: settings
        app.dependency_overrides[get_mailer] = lambda: mailer
        payments.add_webhook_endpoint(
            lambda body, headers: client.post(
                "/webhooks/stripe/billing", content=body, headers=headers
            ),
            events=["checkout.session.*", "invoice.*", "customer.subscription.*"],
        )
        yield client
        app.dependency_overrides.pop(get_settings, None)
        app.dependency_overrides.pop(get_mailer, None)


def join(club: TestClient, payments: FakePayments, card: str = "pm_card_visa") -> int:
    """Sign up through Checkout: the app opens the session, the member pays on it."""
    response = club.post("/memberships", json={"email": "ada@example.com"})
    assert response.status_code == 201, response.text
    assert response.json()["checkout_url"].startswith("https://checkout.stripe.com/")
    (session,) = payments.checkout_sessions
    payments.complete_checkout_session(session.id, payment_method=card)
    assert all(d.succeeded for d in payments.deliver_webhooks())
    membership_id: int = response.json()["id"]
    return membership_id


def test_sign_up_renewal_and_a_failed_renewal_on_one_clock(
    club: TestClient, payments: FakePayments, mailer: FakeMailer, clock: Clock
) -> None:
    membership_id = join(club, payments)
    member = club.get(f"/memberships/{membership_id}").json()
    assert member["status"] == "active"
    assert member["paid_through"].startswith("2024-06-06T10:00:00")
    (sub,) = payments.subscriptions
    payments.assert_charged(amount=900, currency="eur", customer=sub.customer)

    clock.advance(days=31)  # a month later: Stripe renews and tells the app
    assert all(d.succeeded for d in payments.deliver_webhooks())
    assert (
        club.get(f"/memberships/{membership_id}")
        .json()["paid_through"]
        .startswith("2024-07-06T10:00:00")
    )
    payments.assert_charged_count(2, amount=900, customer=sub.customer)
    mailer.assert_nothing_sent()

    payments.fail_next("insufficient_funds", on="pay_invoice")  # the card runs dry
    clock.advance(days=30)
    payments.deliver_webhooks()
    assert club.get(f"/memberships/{membership_id}").json()["status"] == "past_due"
    mail = mailer.assert_sent(to="ada@example.com", subject="Your club payment failed")
    assert "9.00 EUR" in mail.text
    assert "try again on 09 July 2024" in mail.text

    clock.advance(days=3)  # Stripe's retry goes through: active again, paid on
    payments.deliver_webhooks()
    member = club.get(f"/memberships/{membership_id}").json()
    assert member["status"] == "active"
    assert member["paid_through"].startswith("2024-08-06T10:00:00")


def test_a_membership_ends_when_its_retries_run_out(
    club: TestClient, payments: FakePayments, mailer: FakeMailer, clock: Clock
) -> None:
    response = club.post("/memberships", json={"email": "ada@example.com"})
    membership_id = response.json()["id"]
    (session,) = payments.checkout_sessions
    with pytest.raises(CardError):  # the page saves the card, but its charge is declined
        payments.complete_checkout_session(session.id, payment_method="pm_card_chargeCustomerFail")
    payments.deliver_webhooks()
    assert club.get(f"/memberships/{membership_id}").json()["status"] == "pending"
    assert mailer.find() == []  # a declined sign-up is the page's business, not a mail
    payments.complete_checkout_session(session.id, payment_method="pm_card_visa")
    payments.deliver_webhooks()
    assert club.get(f"/memberships/{membership_id}").json()["status"] == "active"
    (sub,) = payments.subscriptions
    payments.update_subscription(
        sub.id,
        default_payment_method=payments.attach_payment_method(
            "pm_card_chargeCustomerFail", customer=sub.customer
        ).id,
    )
    clock.advance(days=31 + 15)  # the renewal and its three retries fail
    payments.deliver_webhooks()
    assert club.get(f"/memberships/{membership_id}").json()["status"] == "canceled"
    assert len(mailer.find(to="ada@example.com")) == 4  # one mail per failed attempt
    assert datetime.now(timezone.utc) == clock.now()
