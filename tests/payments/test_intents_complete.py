"""Payment intents as Stripe's default integration drives them, through the SDK:
automatic_payment_methods, payment_method_data, payment_method_options, saving a card
with setup_future_usage, off_session values, automatic_async capture, incremental
authorization, and ``created`` filters on every list."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from fixturekit.clock import Clock
from fixturekit.payments import FakePayments

pytestmark = pytest.mark.slow  # a real loopback server and the official SDK


def test_automatic_payment_methods_need_a_return_url_unless_redirects_are_off(
    sdk: Any, payments: FakePayments
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.create(
            amount=2000,
            currency="usd",
            automatic_payment_methods={"enabled": True},
            payment_method="pm_card_visa",
            confirm=True,
        )
    assert raised.value.param == "return_url"
    assert payments.payment_intents == []  # refused before anything was created
    intent = stripe.PaymentIntent.create(
        amount=2000,
        currency="usd",
        automatic_payment_methods={"enabled": True, "allow_redirects": "never"},
        payment_method="pm_card_visa",
        confirm=True,
    )
    assert intent.status == "succeeded"
    assert intent.automatic_payment_methods.to_dict() == {
        "allow_redirects": "never",
        "enabled": True,
    }
    redirected = stripe.PaymentIntent.create(
        amount=2000,
        currency="usd",
        automatic_payment_methods={"enabled": True},
        payment_method="pm_card_visa",
        confirm=True,
        return_url="https://shop.test/return",
    )
    assert redirected.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as both:
        stripe.PaymentIntent.create(
            amount=2000,
            currency="usd",
            automatic_payment_methods={"enabled": True},
            payment_method_types=["card"],
        )
    assert "only specify one of" in str(both.value)


def test_payment_method_data_creates_the_card_on_the_way(sdk: Any, payments: FakePayments) -> None:
    intent = stripe.PaymentIntent.create(
        amount=1500,
        currency="eur",
        payment_method_data={
            "type": "card",
            "card": {"token": "tok_mastercard"},
            "billing_details": {"name": "Ada Lovelace"},
        },
        confirm=True,
    )
    assert intent.status == "succeeded"
    method = stripe.PaymentMethod.retrieve(intent.payment_method)
    assert (method.card.brand, method.billing_details.name) == ("mastercard", "Ada Lovelace")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.create(
            amount=1500, currency="eur", payment_method_data={"type": "sepa_debit"}
        )
    assert raised.value.param == "payment_method_data[type]"


def test_setup_future_usage_saves_the_card_for_off_session_charges(
    sdk: Any, payments: FakePayments
) -> None:
    customer = stripe.Customer.create(email="ada@example.com")
    first = stripe.PaymentIntent.create(
        amount=1000,
        currency="eur",
        customer=customer.id,
        payment_method="pm_card_authenticationRequiredOnSetup",
        setup_future_usage="off_session",
        confirm=True,
        return_url="https://shop.test/return",
    )
    assert first.status == "requires_action"
    assert stripe.PaymentMethod.retrieve(first.payment_method).customer is None
    payments.authenticate(first.id)
    saved = stripe.PaymentMethod.retrieve(first.payment_method)
    assert saved.customer == customer.id
    later = stripe.PaymentIntent.create(
        amount=1000,
        currency="eur",
        customer=customer.id,
        payment_method=saved.id,
        off_session="recurring",
        confirm=True,
    )
    assert later.status == "succeeded"


def test_request_three_d_secure_any_challenges_cards_that_support_it(
    sdk: Any, payments: FakePayments
) -> None:
    challenged = stripe.PaymentIntent.create(
        amount=1000,
        currency="usd",
        payment_method="pm_card_visa",
        payment_method_options={"card": {"request_three_d_secure": "any"}},
        confirm=True,
    )
    assert challenged.status == "requires_action"
    not_supported = stripe.PaymentIntent.create(
        amount=1000,
        currency="usd",
        payment_method="pm_card_amex_threeDSecureNotSupported",
        payment_method_options={"card": {"request_three_d_secure": "any"}},
        confirm=True,
    )
    assert not_supported.status == "succeeded"


def test_automatic_async_capture_captures_at_once(sdk: Any, payments: FakePayments) -> None:
    intent = stripe.PaymentIntent.create(
        amount=1000,
        currency="usd",
        payment_method="pm_card_visa",
        capture_method="automatic_async",
        confirm=True,
        expand=["latest_charge"],
    )
    assert (intent.status, intent.capture_method) == ("succeeded", "automatic_async")
    assert intent.latest_charge.captured is True


def test_increment_authorization(sdk: Any, payments: FakePayments) -> None:
    intent = stripe.PaymentIntent.create(
        amount=5000,
        currency="usd",
        payment_method="pm_card_visa",
        capture_method="manual",
        payment_method_options={"card": {"request_incremental_authorization": "if_available"}},
        confirm=True,
    )
    raised = stripe.PaymentIntent.increment_authorization(intent.id, amount=7500)
    assert (raised.amount, raised.amount_capturable) == (7500, 7500)
    assert stripe.PaymentIntent.capture(intent.id).amount_received == 7500
    with pytest.raises(stripe.InvalidRequestError) as too_late:
        stripe.PaymentIntent.increment_authorization(intent.id, amount=9000)
    assert too_late.value.code == "payment_intent_unexpected_state"
    plain = stripe.PaymentIntent.create(
        amount=5000,
        currency="usd",
        payment_method="pm_card_visa",
        capture_method="manual",
        confirm=True,
    )
    with pytest.raises(stripe.InvalidRequestError) as unavailable:
        stripe.PaymentIntent.increment_authorization(plain.id, amount=6000)
    assert unavailable.value.code == "incremental_authorization_not_available"


def test_created_filters_on_every_list(sdk: Any, payments: FakePayments, clock: Clock) -> None:
    early = stripe.Customer.create(email="early@example.com")
    stripe.PaymentIntent.create(
        amount=1000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    clock.advance(3600)
    cutoff = int(clock.now().timestamp())
    late = stripe.Customer.create(email="late@example.com")
    stripe.PaymentIntent.create(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    assert [c.id for c in stripe.Customer.list(created={"gte": cutoff}).data] == [late.id]
    assert [c.id for c in stripe.Customer.list(created={"lt": cutoff}).data] == [early.id]
    assert [c.id for c in stripe.Customer.list(created=cutoff).data] == [late.id]
    for resource in (
        stripe.PaymentIntent,
        stripe.Charge,
        stripe.PaymentMethod,
        stripe.Event,
        stripe.Refund,
    ):
        before = resource.list(created={"lt": cutoff}).data
        after = resource.list(created={"gte": cutoff}).data
        assert all(obj.created < cutoff for obj in before), resource
        assert all(obj.created >= cutoff for obj in after), resource
    assert [i.amount for i in stripe.PaymentIntent.list(created={"gt": cutoff - 1}).data] == [2000]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Customer.list(created={"after": cutoff})
    assert raised.value.param == "created[after]"


def test_shipping_and_descriptor_suffix_reach_the_charge(sdk: Any, payments: FakePayments) -> None:
    intent = stripe.PaymentIntent.create(
        amount=1000,
        currency="usd",
        payment_method="pm_card_visa",
        shipping={"name": "Ada", "address": {"line1": "1 Main St", "country": "US"}},
        statement_descriptor_suffix="ORDER 42",
        confirm=True,
        expand=["latest_charge"],
    )
    charge = intent.latest_charge
    assert charge.shipping.address.line1 == "1 Main St"
    assert charge.statement_descriptor_suffix == "ORDER 42"
