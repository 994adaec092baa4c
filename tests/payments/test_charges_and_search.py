"""The routes that were missing, through the SDK: Charges create/update/capture,
PaymentMethod update, Refund update/cancel, and search with Stripe's query language."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from fixturekit.clock import Clock
from fixturekit.payments import FakePayments

pytestmark = pytest.mark.slow  # a real loopback server and the official SDK


def test_charges_api_create_capture_update(sdk: Any, payments: FakePayments) -> None:
    charge = stripe.Charge.create(
        amount=2500, currency="usd", source="tok_visa", description="Order 7"
    )
    assert (charge.status, charge.captured, charge.paid) == ("succeeded", True, True)
    assert charge.payment_intent is None
    payments.assert_charged(amount=2500, description="Order 7")

    held = stripe.Charge.create(amount=4000, currency="usd", source="tok_mastercard", capture=False)
    assert (held.captured, held.balance_transaction) == (False, None)
    captured = stripe.Charge.capture(held.id, amount=3000)
    assert (captured.captured, captured.amount_captured) == (True, 3000)
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe.Charge.capture(held.id)
    assert again.value.code == "charge_already_captured"

    updated = stripe.Charge.modify(charge.id, metadata={"order": "7"}, description="Order 7b")
    assert (updated.metadata["order"], updated.description) == ("7", "Order 7b")
    assert [e.type for e in stripe.Event.list(type="charge.updated").data] == ["charge.updated"]


def test_charges_api_declines_and_customer_cards(sdk: Any, payments: FakePayments) -> None:
    with pytest.raises(stripe.CardError) as raised:
        stripe.Charge.create(
            amount=2500, currency="usd", source="tok_chargeDeclinedInsufficientFunds"
        )
    assert raised.value.error.decline_code == "insufficient_funds"
    assert stripe.Charge.retrieve(raised.value.error.charge).status == "failed"
    with pytest.raises(stripe.CardError) as needs_3ds:
        stripe.Charge.create(amount=2500, currency="usd", source="tok_threeDSecure2Required")
    assert needs_3ds.value.code == "authentication_required"

    customer = stripe.Customer.create(email="ada@example.com")
    with pytest.raises(stripe.InvalidRequestError) as no_card:
        stripe.Charge.create(amount=2500, currency="usd", customer=customer.id)
    assert "no active card" in str(no_card.value)
    stripe.PaymentMethod.attach("pm_card_visa", customer=customer.id)
    charge = stripe.Charge.create(amount=2500, currency="usd", customer=customer.id)
    assert charge.customer == customer.id
    with pytest.raises(stripe.InvalidRequestError) as nothing:
        stripe.Charge.create(amount=2500, currency="usd")
    assert nothing.value.param == "source"


def test_capturing_a_payment_intents_charge_captures_the_intent(
    sdk: Any, payments: FakePayments
) -> None:
    intent = stripe.PaymentIntent.create(
        amount=2000,
        currency="usd",
        payment_method="pm_card_visa",
        capture_method="manual",
        confirm=True,
    )
    stripe.Charge.capture(intent.latest_charge)
    assert stripe.PaymentIntent.retrieve(intent.id).status == "succeeded"


def test_payment_method_update(sdk: Any, payments: FakePayments, clock: Clock) -> None:
    method = stripe.PaymentMethod.create(type="card", card={"token": "tok_visa"})
    with pytest.raises(stripe.InvalidRequestError) as unsaved:
        stripe.PaymentMethod.modify(method.id, metadata={"a": "b"})
    assert "save this PaymentMethod to a customer" in str(unsaved.value)
    customer = stripe.Customer.create(email="ada@example.com")
    stripe.PaymentMethod.attach(method.id, customer=customer.id)
    updated = stripe.PaymentMethod.modify(
        method.id,
        billing_details={"name": "Ada", "address": {"postal_code": "10115"}},
        card={"exp_month": 6, "exp_year": clock.now().year + 5},
        metadata={"label": "work"},
    )
    assert updated.billing_details.name == "Ada"
    assert updated.billing_details.address.postal_code == "10115"
    assert (updated.card.exp_month, updated.metadata["label"]) == (6, "work")
    with pytest.raises(stripe.CardError) as expired:
        stripe.PaymentMethod.modify(method.id, card={"exp_year": clock.now().year - 1})
    assert expired.value.code == "invalid_expiry_year"
    with pytest.raises(stripe.InvalidRequestError) as number:
        stripe.PaymentMethod.modify(method.id, card={"number": "4000000000000002"})
    assert number.value.param == "card[number]"
    assert stripe.Event.list(type="payment_method.updated").data[0].data.previous_attributes


def test_refund_update_and_cancel(sdk: Any, payments: FakePayments) -> None:
    intent = stripe.PaymentIntent.create(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    refund = stripe.Refund.create(payment_intent=intent.id)
    updated = stripe.Refund.modify(refund.id, metadata={"ticket": "T-1"})
    assert updated.metadata["ticket"] == "T-1"
    charge = stripe.Charge.retrieve(intent.latest_charge)
    assert charge.refunds.data[0].metadata["ticket"] == "T-1"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Refund.cancel(refund.id)
    assert "status of succeeded" in str(raised.value)


def _shop(clock: Clock) -> dict[str, Any]:
    ada = stripe.Customer.create(
        email="ada@example.com", name="Ada Lovelace", metadata={"plan": "pro"}
    )
    bob = stripe.Customer.create(email="bob@example.org", name="Bob", metadata={"plan": "free"})
    clock.advance(60)
    cutoff = int(clock.now().timestamp())
    eve = stripe.Customer.create(email="eve@example.com", name="Eve")
    paid = stripe.PaymentIntent.create(
        amount=5000,
        currency="usd",
        customer=ada.id,
        payment_method="pm_card_visa",
        confirm=True,
        metadata={"order": "A-1"},
    )
    open_ = stripe.PaymentIntent.create(amount=900, currency="eur", customer=bob.id)
    return {"ada": ada, "bob": bob, "eve": eve, "cutoff": cutoff, "paid": paid, "open": open_}


def test_search_with_stripes_query_language(sdk: Any, payments: FakePayments, clock: Clock) -> None:
    shop = _shop(clock)

    def ids(result: Any) -> list[str]:
        return [obj.id for obj in result.data]

    assert ids(stripe.Customer.search(query="email:'ada@example.com'")) == [shop["ada"].id]
    assert ids(stripe.Customer.search(query="metadata['plan']:'pro'")) == [shop["ada"].id]
    assert ids(stripe.Customer.search(query='name~"lovel"')) == [shop["ada"].id]
    assert ids(stripe.Customer.search(query=f"created>{shop['cutoff'] - 1}")) == [shop["eve"].id]
    assert ids(
        stripe.Customer.search(query="email:'bob@example.org' OR email:'eve@example.com'")
    ) == [shop["eve"].id, shop["bob"].id]
    assert ids(
        stripe.Customer.search(query="-metadata['plan']:null AND -email:'bob@example.org'")
    ) == [shop["ada"].id]
    assert ids(stripe.PaymentIntent.search(query="status:'succeeded'")) == [shop["paid"].id]
    assert ids(
        stripe.PaymentIntent.search(query=f"customer:'{shop['bob'].id}' AND currency:'eur'")
    ) == [shop["open"].id]
    assert ids(stripe.PaymentIntent.search(query="amount>=1000 AND metadata['order']:'A-1'")) == [
        shop["paid"].id
    ]
    charges = stripe.Charge.search(query="amount>4999 AND refunded:'false'")
    assert [c.payment_intent for c in charges.data] == [shop["paid"].id]
    assert charges.url == "/v1/charges/search"


def test_search_pages_with_next_page(sdk: Any, payments: FakePayments) -> None:
    for number in range(5):
        stripe.Customer.create(email=f"user{number}@example.com")
    first = stripe.Customer.search(query="email~'example'", limit=2)
    assert (len(first.data), first.has_more) == (2, True)
    everyone = list(stripe.Customer.search(query="email~'example'", limit=2).auto_paging_iter())
    assert len(everyone) == 5


@pytest.mark.parametrize(
    ("query", "position"),
    [
        ("email:", 0),
        ("email:'ada@example.com' AND", 24),
        ("email:'a@b.c' name:'x'", 14),
        ("email:'a@b.c' AND name:'x' OR phone:'1'", 27),
    ],
)
def test_a_query_with_a_syntax_error_names_the_position(
    sdk: Any, payments: FakePayments, query: str, position: int
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Customer.search(query=query)
    assert raised.value.http_status == 400
    assert raised.value.param == "query"
    assert f"at position {position}" in str(raised.value)


def test_an_unsupported_search_field_is_refused(sdk: Any, payments: FakePayments) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Customer.search(query="status:'active'")
    assert "unsupported search field" in str(raised.value)
    with pytest.raises(stripe.InvalidRequestError) as missing_query:
        stripe.Customer.search()
    assert missing_query.value.param == "query"


def test_the_new_routes_through_stripe_client(api_base: str, payments: FakePayments) -> None:
    client = stripe.StripeClient("sk_test_" + "s" * 24, base_addresses={"api": api_base})
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    method = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    updated = client.v1.payment_methods.update(
        method.id, params={"billing_details": {"name": "Ada"}}
    )
    assert updated.billing_details.name == "Ada"
    charge = client.v1.charges.create(
        params={"amount": 1800, "currency": "usd", "customer": customer.id, "capture": False}
    )
    charge = client.v1.charges.capture(charge.id)
    charge = client.v1.charges.update(charge.id, params={"description": "Order 9"})
    assert (charge.captured, charge.description) == (True, "Order 9")
    refund = client.v1.refunds.create(params={"charge": charge.id, "amount": 800})
    refund = client.v1.refunds.update(refund.id, params={"metadata": {"why": "damaged"}})
    assert refund.metadata["why"] == "damaged"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.cancel(refund.id)
    held = client.v1.payment_intents.create(
        params={
            "amount": 3000,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": method.id,
            "capture_method": "manual",
            "confirm": True,
            "payment_method_options": {
                "card": {"request_incremental_authorization": "if_available"}
            },
        }
    )
    held = client.v1.payment_intents.increment_authorization(held.id, params={"amount": 3500})
    assert held.amount == 3500
    found = client.v1.payment_intents.search(
        params={"query": f"customer:'{customer.id}' AND status:'requires_capture'"}
    )
    assert [i.id for i in found.data] == [held.id]
    charges = client.v1.charges.search(params={"query": "amount:1800"})
    assert [c.id for c in charges.data] == [charge.id]
    disputed = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "payment_method": "pm_card_createDispute",
            "confirm": True,
        }
    )
    (dispute,) = client.v1.disputes.list(params={"payment_intent": disputed.id}).data
    closed = client.v1.disputes.close(dispute.id)
    assert closed.status == "lost"
