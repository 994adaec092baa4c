"""Products, prices and Checkout Sessions in payment mode, through the official SDK;
``complete_checkout_session`` plays the customer on the hosted page."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from fixturekit.clock import Clock
from fixturekit.payments import CardError, FakePayments, InvalidRequestError

pytestmark = pytest.mark.slow  # a real loopback server and the official SDK


def test_products_and_prices(sdk: Any, payments: FakePayments) -> None:
    shirt = stripe.Product.create(
        name="T-shirt", default_price_data={"currency": "usd", "unit_amount": 2000}
    )
    assert shirt.default_price.startswith("price_")
    monthly = stripe.Price.create(
        currency="usd",
        unit_amount=900,
        recurring={"interval": "month"},
        product_data={"name": "Pro plan"},
        lookup_key="pro_monthly",
    )
    assert (monthly.type, monthly.recurring.interval, monthly.recurring.interval_count) == (
        "recurring",
        "month",
        1,
    )
    assert [p.id for p in stripe.Price.list(lookup_keys=["pro_monthly"]).data] == [monthly.id]
    expanded = stripe.Price.retrieve(monthly.id, expand=["product"])
    assert expanded.product.name == "Pro plan"
    assert [p.id for p in stripe.Price.list(type="one_time").data] == [shirt.default_price]
    archived = stripe.Price.modify(monthly.id, active=False)
    assert archived.active is False
    assert [p.id for p in stripe.Price.list(active=True).data] == [shirt.default_price]
    renamed = stripe.Product.modify(shirt.id, name="Blue T-shirt", metadata={"sku": "TS-1"})
    assert (renamed.name, renamed.metadata["sku"]) == ("Blue T-shirt", "TS-1")
    with pytest.raises(stripe.InvalidRequestError) as undeletable:
        stripe.Product.delete(shirt.id)
    assert "one or more user-created prices" in str(undeletable.value)
    mug = stripe.Product.create(name="Mug")
    assert stripe.Product.delete(mug.id).deleted is True
    assert stripe.Product.retrieve(mug.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe.Price.create(currency="usd", unit_amount=100, product="prod_nope")
    assert (unknown.value.code, unknown.value.param) == ("resource_missing", "product")
    with pytest.raises(stripe.InvalidRequestError) as too_long:
        stripe.Price.create(
            currency="usd",
            unit_amount=100,
            product=shirt.id,
            recurring={"interval": "month", "interval_count": 13},
        )
    assert too_long.value.param == "recurring[interval_count]"


def _session(**extra: Any) -> Any:
    price = stripe.Price.create(currency="usd", unit_amount=1500, product_data={"name": "Book"})
    return stripe.checkout.Session.create(
        mode="payment",
        line_items=[
            {"price": price.id, "quantity": 2},
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 500,
                    "product_data": {"name": "Gift wrap"},
                },
                "quantity": 1,
            },
        ],
        success_url="https://shop.test/thanks?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://shop.test/cart",
        **extra,
    )


def test_a_checkout_session_paid_on_the_hosted_page(sdk: Any, payments: FakePayments) -> None:
    session = _session(customer_email="ada@example.com", metadata={"order": "A-9"})
    assert (session.status, session.payment_status, session.amount_total) == (
        "open",
        "unpaid",
        3500,
    )
    assert session.url.startswith("https://checkout.stripe.com/")
    items = stripe.checkout.Session.list_line_items(session.id)
    assert [(i.description, i.quantity, i.amount_total) for i in items.data] == [
        ("Book", 2, 3000),
        ("Gift wrap", 1, 500),
    ]
    payments.complete_checkout_session(session.id, payment_method="pm_card_visa")
    done = stripe.checkout.Session.retrieve(session.id, expand=["payment_intent"])
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.payment_intent.status == "succeeded"
    assert done.customer_details.email == "ada@example.com"
    payments.assert_charged(amount=3500, currency="usd", receipt_email="ada@example.com")
    completed = stripe.Event.list(type="checkout.session.completed").data
    assert [e.data.object.id for e in completed] == [session.id]
    assert completed[0].data.object.metadata["order"] == "A-9"


def test_declines_and_3d_secure_on_the_hosted_page(sdk: Any, payments: FakePayments) -> None:
    session = _session(customer_email="ada@example.com")
    with pytest.raises(CardError) as declined:
        payments.complete_checkout_session(
            session.id, payment_method="pm_card_visa_chargeDeclinedInsufficientFunds"
        )
    assert declined.value.decline_code == "insufficient_funds"
    assert stripe.checkout.Session.retrieve(session.id).status == "open"
    with pytest.raises(CardError):
        payments.complete_checkout_session(
            session.id, payment_method="pm_card_threeDSecureRequired", authenticate=False
        )
    assert stripe.checkout.Session.retrieve(session.id).status == "open"
    payments.complete_checkout_session(session.id, payment_method="pm_card_threeDSecureRequired")
    done = stripe.checkout.Session.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    payments.assert_charged_count(1)


def test_customer_creation_and_an_existing_customer(sdk: Any, payments: FakePayments) -> None:
    session = _session(customer_creation="always")
    payments.complete_checkout_session(
        session.id, payment_method="pm_card_visa", email="new@example.com", name="New"
    )
    created = stripe.checkout.Session.retrieve(session.id).customer
    assert stripe.Customer.retrieve(created).email == "new@example.com"
    ada = stripe.Customer.create(email="ada@example.com")
    mine = _session(customer=ada.id)
    payments.complete_checkout_session(mine.id, payment_method="pm_card_visa")
    assert (
        stripe.PaymentIntent.retrieve(
            stripe.checkout.Session.retrieve(mine.id).payment_intent
        ).customer
        == ada.id
    )


def test_expiry_by_call_and_on_the_clock(sdk: Any, payments: FakePayments, clock: Clock) -> None:
    session = _session(customer_email="ada@example.com")
    expired = stripe.checkout.Session.expire(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    with pytest.raises(InvalidRequestError) as closed:
        payments.complete_checkout_session(session.id, payment_method="pm_card_visa")
    assert "only an open session can be completed" in str(closed.value)
    later = _session(customer_email="ada@example.com")
    clock.advance(24 * 3600)
    assert stripe.checkout.Session.retrieve(later.id).status == "expired"
    assert [s.id for s in stripe.checkout.Session.list(status="expired").data] == [
        later.id,
        session.id,
    ]


def test_checkout_refuses_what_it_does_not_serve(api_base: str, payments: FakePayments) -> None:
    client = stripe.StripeClient("sk_test_" + "c" * 24, base_addresses={"api": api_base})
    monthly = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro"},
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as recurring:
        client.v1.checkout.sessions.create(
            params={"mode": "payment", "line_items": [{"price": monthly.id, "quantity": 1}]}
        )
    assert "recurring price" in str(recurring.value)
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.checkout.sessions.create(
            params={"mode": "payment", "line_items": [{"price": "price_nope", "quantity": 1}]}
        )
    assert unknown.value.param == "line_items[0][price]"
    one_time = client.v1.prices.create(
        params={"currency": "eur", "unit_amount": 1200, "product_data": {"name": "Book"}}
    )
    session = client.v1.checkout.sessions.create(
        params={"mode": "payment", "line_items": [{"price": one_time.id, "quantity": 3}]}
    )
    assert (session.amount_total, session.currency) == (3600, "eur")


def test_a_scripted_decline_lands_on_the_hosted_page(payments: FakePayments) -> None:
    session = payments.create_checkout_session(
        mode="payment",
        line_items=[
            {"price_data": {"currency": "usd", "unit_amount": 700, "product_data": {"name": "Mug"}}}
        ],
        customer_email="ada@example.com",
    )
    payments.fail_next("insufficient_funds", on="complete_checkout_session")
    with pytest.raises(CardError) as raised:
        payments.complete_checkout_session(session.id, payment_method="pm_card_visa")
    assert raised.value.decline_code == "insufficient_funds"
    done = payments.complete_checkout_session(session.id, payment_method="pm_card_visa")
    assert done.payment_status == "paid"


def test_setup_mode_saves_a_card_for_the_customer(sdk: Any, payments: FakePayments) -> None:
    customer = stripe.Customer.create(email="ada@example.com")
    session = stripe.checkout.Session.create(
        mode="setup", customer=customer.id, success_url="https://shop.test/saved"
    )
    assert (session.status, session.payment_status, session.amount_total) == (
        "open",
        "no_payment_required",
        None,
    )
    with pytest.raises(CardError):
        payments.complete_checkout_session(
            session.id, payment_method="pm_card_authenticationRequiredOnSetup", authenticate=False
        )
    payments.complete_checkout_session(
        session.id, payment_method="pm_card_authenticationRequiredOnSetup"
    )
    done = stripe.checkout.Session.retrieve(session.id, expand=["setup_intent"])
    assert (done.status, done.setup_intent.status) == ("complete", "succeeded")
    saved = stripe.PaymentMethod.retrieve(done.setup_intent.payment_method)
    assert saved.customer == customer.id
    payments.assert_nothing_charged()
    with pytest.raises(stripe.InvalidRequestError) as with_items:
        stripe.checkout.Session.create(
            mode="setup", line_items=[{"price": "price_x", "quantity": 1}]
        )
    assert with_items.value.param == "line_items"
