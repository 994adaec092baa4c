"""Checkout Sessions in subscription mode, through the official SDK: completing the
page creates the customer, saves the card, creates the subscription and pays its first
invoice; declines leave the session open; trials; expiry."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from fixturekit.clock import Clock
from fixturekit.payments import CardError, FakePayments

pytestmark = pytest.mark.slow  # a real loopback server and the official SDK


def _monthly(amount: int = 900) -> Any:
    return stripe.Price.create(
        currency="usd",
        unit_amount=amount,
        recurring={"interval": "month"},
        product_data={"name": "Team plan"},
    )


def test_completing_a_subscription_session_subscribes_the_customer(
    sdk: Any, payments: FakePayments, clock: Clock
) -> None:
    price = _monthly()
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 2}],
        success_url="https://saas.test/welcome?session_id={CHECKOUT_SESSION_ID}",
        customer_email="ada@example.com",
        subscription_data={"metadata": {"plan": "team"}},
    )
    assert (session.status, session.amount_total, session.subscription) == ("open", 1800, None)
    payments.complete_checkout_session(session.id, payment_method="pm_card_visa")
    done = stripe.checkout.Session.retrieve(session.id, expand=["subscription"])
    assert (done.status, done.payment_status) == ("complete", "paid")
    sub = done.subscription
    assert (sub.status, sub.quantity, sub.metadata["plan"]) == ("active", 2, "team")
    assert sub.customer == done.customer
    assert stripe.Customer.retrieve(done.customer).email == "ada@example.com"
    assert stripe.PaymentMethod.retrieve(sub.default_payment_method).customer == done.customer
    assert stripe.Invoice.retrieve(done.invoice).status == "paid"
    types = [e.type for e in reversed(stripe.Event.list(limit=100).data)]
    assert types[-1] == "checkout.session.completed"
    assert types.index("customer.subscription.created") < types.index("invoice.paid")
    payments.assert_charged(amount=1800, customer=done.customer)
    clock.advance(days=31)  # the renewal is charged to the card saved on the page
    payments.assert_charged_count(2, amount=1800, customer=done.customer)


def test_declines_leave_the_session_open_and_the_next_card_pays(
    sdk: Any, payments: FakePayments
) -> None:
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": _monthly().id}],
        success_url="https://saas.test/welcome",
    )
    with pytest.raises(CardError) as refused:  # declined when the page saves it
        payments.complete_checkout_session(
            session.id, payment_method="pm_card_chargeDeclined", email="bo@example.com"
        )
    assert refused.value.decline_code == "generic_decline"
    with pytest.raises(CardError):  # saved, then its charge is declined
        payments.complete_checkout_session(
            session.id, payment_method="pm_card_chargeCustomerFail", email="bo@example.com"
        )
    assert stripe.checkout.Session.retrieve(session.id).status == "open"
    with pytest.raises(CardError) as unauthenticated:
        payments.complete_checkout_session(
            session.id,
            payment_method="pm_card_threeDSecureRequired",
            email="bo@example.com",
            authenticate=False,
        )
    assert unauthenticated.value.code == "payment_intent_authentication_failure"
    done = payments.complete_checkout_session(
        session.id, payment_method="pm_card_threeDSecureRequired", email="bo@example.com"
    )
    assert (done.status, done.payment_status) == ("complete", "paid")
    (sub,) = stripe.Subscription.list(status="all").data  # one subscription, paid at last
    assert (sub.id, sub.status) == (done.subscription, "active")
    assert len(stripe.Customer.list().data) == 1


def test_a_trial_through_checkout_charges_nothing_now(
    client: Any, payments: FakePayments, clock: Clock
) -> None:
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 4900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro"},
        }
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "subscription_data": {"trial_period_days": 7},
            "customer_email": "cy@example.com",
        }
    )
    assert session.amount_total == 0
    payments.complete_checkout_session(session.id, payment_method="pm_card_visa")
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.payment_status == "no_payment_required"
    assert client.v1.subscriptions.retrieve(done.subscription).status == "trialing"
    payments.assert_nothing_charged()
    clock.advance(days=7)
    assert client.v1.subscriptions.retrieve(done.subscription).status == "active"
    payments.assert_charged(amount=4900)


def test_expiry_cancels_a_subscription_left_incomplete(
    sdk: Any, payments: FakePayments, clock: Clock
) -> None:
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": _monthly().id}],
        customer_email="di@example.com",
    )
    with pytest.raises(CardError):
        payments.complete_checkout_session(session.id, payment_method="pm_card_chargeCustomerFail")
    (pending,) = stripe.Subscription.list().data
    assert pending.status == "incomplete"
    expired = stripe.checkout.Session.expire(session.id)
    assert (expired.status, expired.subscription) == ("expired", None)
    assert stripe.Subscription.retrieve(pending.id).status == "canceled"
    assert stripe.Invoice.retrieve(pending.latest_invoice).status == "void"
    # left alone, an incomplete subscription expires after 23 hours, before its session
    again = stripe.checkout.Session.create(
        mode="subscription", line_items=[{"price": _monthly().id}], customer_email="e@x.io"
    )
    with pytest.raises(CardError):
        payments.complete_checkout_session(again.id, payment_method="pm_card_chargeCustomerFail")
    clock.advance(hours=24)
    assert stripe.checkout.Session.retrieve(again.id).status == "expired"
    assert [s.status for s in stripe.Subscription.list(status="ended").data] == [
        "incomplete_expired",
        "canceled",
    ]


def test_subscription_mode_bad_input(client: Any, payments: FakePayments) -> None:
    recurring = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro"},
        }
    )
    one_time = client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 900, "product_data": {"name": "Setup fee"}}
    )
    with pytest.raises(stripe.InvalidRequestError) as one_off:
        client.v1.checkout.sessions.create(
            params={"mode": "subscription", "line_items": [{"price": one_time.id}]}
        )
    assert one_off.value.param == "line_items[0][price]"
    with pytest.raises(stripe.InvalidRequestError) as typo:
        client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "line_items": [{"price": recurring.id}],
                "subscription_data": {"trial_days": 3},
            }
        )
    assert typo.value.param == "subscription_data[trial_days]"
    with pytest.raises(stripe.InvalidRequestError) as intent_data:
        client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "line_items": [{"price": recurring.id}],
                "payment_intent_data": {"description": "x"},
            }
        )
    assert intent_data.value.param == "payment_intent_data"
    with pytest.raises(stripe.InvalidRequestError) as wrong_mode:
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [{"price": one_time.id}],
                "subscription_data": {"trial_period_days": 3},
            }
        )
    assert wrong_mode.value.param == "subscription_data"
    with pytest.raises(stripe.InvalidRequestError) as no_items:
        client.v1.checkout.sessions.create(params={"mode": "subscription"})
    assert "line_items is required in subscription mode" in str(no_items.value)
