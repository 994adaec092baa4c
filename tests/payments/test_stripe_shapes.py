"""What used to be silently wrong: object shapes against Stripe's own fixture objects,
event type wildcards, deleted objects, unknown customers in list filters, the
``request.id`` of events, expanding refunds and balance transactions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import stripe

from fixturekit.payments import FakePayments

FIELDS = json.loads((Path(__file__).parent / "stripe_fields.json").read_text())["resources"]


def _missing(shape: Any, value: Any, path: str) -> list[str]:
    """The fields of Stripe's fixture ``shape`` that ``value`` lacks, nested hashes too."""
    if not isinstance(shape, dict) or not isinstance(value, dict):
        return []
    gaps = [f"{path}.{name}" for name in shape if name not in value]
    for name, inner in shape.items():
        if name in value and name != "metadata":
            gaps += _missing(inner, value[name], f"{path}.{name}")
    return gaps


def _objects(payments: FakePayments) -> dict[str, Any]:
    customer = payments.create_customer(email="ada@example.com", payment_method="pm_card_visa")
    (method,) = payments.payment_methods
    intent = payments.create_payment_intent(
        amount=2000, currency="usd", customer=customer.id, payment_method=method.id, confirm=True
    )
    refund = payments.create_refund(payment_intent=intent.id, amount=500)
    charge = payments.retrieve(intent.latest_charge)
    gone = payments.create_customer(email="gone@example.com")
    payments.delete_customer(gone.id)
    return {
        "charge": charge,
        "payment_intent": payments.retrieve(intent.id),
        "refund": refund,
        "customer": payments.retrieve(customer.id),
        "payment_method": payments.retrieve(method.id),
        "balance_transaction": payments.retrieve(charge.balance_transaction),
        "deleted_customer": payments.retrieve(gone.id),
        "event": payments.events[-1],
        "setup_intent": payments.create_setup_intent(payment_method="pm_card_visa", confirm=True),
        "product": payments.create_product(name="Book"),
        "price": payments.create_price(
            currency="usd",
            unit_amount=900,
            recurring={"interval": "month"},
            product_data={"name": "Plan"},
        ),
        "checkout.session": _completed_session(payments),
        "dispute": _dispute(payments),
    }


def _dispute(payments: FakePayments) -> Any:
    payments.create_payment_intent(
        amount=900, currency="usd", payment_method="pm_card_createDispute", confirm=True
    )
    return payments.disputes[-1]


def _completed_session(payments: FakePayments) -> Any:
    session = payments.create_checkout_session(
        mode="payment",
        line_items=[
            {"price_data": {"currency": "usd", "unit_amount": 700, "product_data": {"name": "Mug"}}}
        ],
        customer_email="ada@example.com",
    )
    return payments.complete_checkout_session(session.id, payment_method="pm_card_visa")


#: The resources the fake serves, each compared with Stripe's fixture object.
KINDS = (
    "balance_transaction",
    "charge",
    "checkout.session",
    "customer",
    "deleted_customer",
    "dispute",
    "event",
    "payment_intent",
    "payment_method",
    "price",
    "product",
    "refund",
    "setup_intent",
)


@pytest.mark.parametrize("kind", KINDS)
def test_every_field_of_stripes_fixture_object_is_present(
    payments: FakePayments, kind: str
) -> None:
    obj = _objects(payments)[kind]
    assert _missing(FIELDS[kind], obj, kind) == []


def test_values_of_the_fields_make_sense(payments: FakePayments) -> None:
    objects = _objects(payments)
    charge, refund = objects["charge"], objects["refund"]
    assert charge.receipt_url.endswith(charge.id)
    assert [r["id"] for r in charge.refunds["data"]] == [refund.id]
    assert charge.refunds["url"] == f"/v1/charges/{charge.id}/refunds"
    assert (refund.customer, refund.payment_method) == (charge.customer, charge.payment_method)
    assert charge.payment_method_details["card"]["amount_authorized"] == 2000
    txn = objects["balance_transaction"]
    assert (txn.amount, txn.fee, txn.net, txn.source) == (2000, 88, 1912, charge.id)
    assert txn.status == "pending"  # two days to become available
    refund_txn = payments.retrieve(refund.balance_transaction)
    assert (refund_txn.amount, refund_txn.type) == (-500, "refund")
    assert objects["deleted_customer"] == {
        "id": objects["deleted_customer"].id,
        "object": "customer",
        "deleted": True,
    }


def test_bypass_pending_funds_are_available_at_once(payments: FakePayments) -> None:
    intent = payments.create_payment_intent(
        amount=2000, currency="usd", payment_method="pm_card_bypassPending", confirm=True
    )
    charge = payments.retrieve(intent.latest_charge)
    assert payments.retrieve(charge.balance_transaction).status == "available"


@pytest.mark.slow
def test_event_type_wildcards(sdk: Any, payments: FakePayments) -> None:
    customer = stripe.Customer.create(email="ada@example.com")
    stripe.Customer.modify(customer.id, name="Ada")
    stripe.PaymentIntent.create(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    types = [event.type for event in stripe.Event.list(type="customer.*").data]
    assert types == ["customer.updated", "customer.created"]
    succeeded = [event.type for event in stripe.Event.list(type="*.succeeded").data]
    assert succeeded == ["payment_intent.succeeded", "charge.succeeded"]
    both = stripe.Event.list(types=["customer.created", "charge.*"]).data
    assert [event.type for event in both] == [
        "charge.succeeded",
        "customer.created",
    ]


@pytest.mark.slow
def test_a_deleted_customer_retrieves_as_its_stub(sdk: Any, payments: FakePayments) -> None:
    customer = stripe.Customer.create(email="ada@example.com")
    stripe.Customer.delete(customer.id)
    gone = stripe.Customer.retrieve(customer.id)
    assert gone.deleted is True
    assert payments.customers == []


@pytest.mark.slow
def test_lists_filtered_by_an_unknown_customer_are_refused(
    sdk: Any, payments: FakePayments
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentMethod.list(customer="cus_nobody", type="card")
    assert str(raised.value.user_message) == "No such customer: 'cus_nobody'"
    assert raised.value.param == "customer"
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Customer.list_payment_methods("cus_nobody")
    with pytest.raises(stripe.InvalidRequestError):
        stripe.PaymentIntent.list(customer="cus_nobody")


@pytest.mark.slow
def test_an_events_request_id_is_the_request_id_of_the_call_that_caused_it(
    sdk: Any, payments: FakePayments
) -> None:
    customer = stripe.Customer.create(email="ada@example.com")
    updated = stripe.Customer.modify(customer.id, name="Ada")
    created_event, updated_event = stripe.Event.list(type="customer.*").data[::-1]
    assert created_event.request.id == customer.last_response.request_id
    assert updated_event.request.id == updated.last_response.request_id
    assert created_event.request.id != updated_event.request.id


@pytest.mark.slow
def test_expand_refunds_and_the_latest_charges_balance_transaction(
    sdk: Any, payments: FakePayments
) -> None:
    intent = stripe.PaymentIntent.create(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    refund = stripe.Refund.create(payment_intent=intent.id, amount=700)
    charge = stripe.Charge.retrieve(intent.latest_charge, expand=["refunds"])
    assert [r.id for r in charge.refunds.data] == [refund.id]
    expanded = stripe.PaymentIntent.retrieve(
        intent.id, expand=["latest_charge.balance_transaction"]
    )
    txn = expanded.latest_charge.balance_transaction
    assert (txn.object, txn.amount, txn.type) == ("balance_transaction", 2000, "charge")
    assert stripe.BalanceTransaction.retrieve(txn.id).net == txn.net
