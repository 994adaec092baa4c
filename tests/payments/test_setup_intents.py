"""Setup intents through the official SDK: save a card without charging it, 3D
Secure on setup, declines, usage, cancel; then the saved card charges off-session."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from fixturekit.payments import FakePayments

pytestmark = pytest.mark.slow  # a real loopback server and the official SDK


def test_a_setup_intent_saves_the_card_and_charges_nothing(
    sdk: Any, payments: FakePayments
) -> None:
    customer = stripe.Customer.create(email="ada@example.com")
    setup = stripe.SetupIntent.create(customer=customer.id, payment_method="pm_card_visa")
    assert (setup.status, setup.usage) == ("requires_confirmation", "off_session")
    assert setup.client_secret.startswith(f"{setup.id}_secret_")
    done = stripe.SetupIntent.confirm(setup.id)
    assert done.status == "succeeded"
    assert stripe.PaymentMethod.retrieve(done.payment_method).customer == customer.id
    payments.assert_nothing_charged()
    assert [e.type for e in stripe.Event.list(type="setup_intent.*").data] == [
        "setup_intent.succeeded",
        "setup_intent.created",
    ]
    charge = stripe.PaymentIntent.create(
        amount=1999,
        currency="usd",
        customer=customer.id,
        payment_method=done.payment_method,
        off_session=True,
        confirm=True,
    )
    assert charge.status == "succeeded"


def test_3d_secure_on_setup_then_off_session_without_a_challenge(
    sdk: Any, payments: FakePayments
) -> None:
    customer = stripe.Customer.create(email="ada@example.com")
    setup = stripe.SetupIntent.create(
        customer=customer.id,
        payment_method="pm_card_authenticationRequiredOnSetup",
        confirm=True,
        return_url="https://shop.test/saved",
    )
    assert setup.status == "requires_action"
    assert setup.next_action.type == "redirect_to_url"
    assert payments.authenticate(setup.id).status == "succeeded"
    later = stripe.PaymentIntent.create(
        amount=1000,
        currency="eur",
        customer=customer.id,
        payment_method=setup.payment_method,
        off_session=True,
        confirm=True,
    )
    assert later.status == "succeeded"


def test_failed_authentication_and_declines(sdk: Any, payments: FakePayments) -> None:
    setup = stripe.SetupIntent.create(payment_method="pm_card_threeDSecureRequired", confirm=True)
    failed = payments.authenticate(setup.id, succeed=False)
    assert failed.status == "requires_payment_method"
    assert failed.last_setup_error["code"] == "setup_intent_authentication_failure"
    with pytest.raises(stripe.CardError) as raised:
        stripe.SetupIntent.confirm(setup.id, payment_method="pm_card_visa_chargeDeclined")
    assert raised.value.error.decline_code == "generic_decline"
    retried = stripe.SetupIntent.retrieve(setup.id)
    assert retried.last_setup_error.decline_code == "generic_decline"
    assert stripe.SetupIntent.confirm(setup.id, payment_method="pm_card_visa").status == (
        "succeeded"
    )
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe.SetupIntent.confirm(setup.id)
    assert again.value.code == "setup_intent_unexpected_state"


def test_stripe_client_updates_lists_and_cancels(api_base: str, payments: FakePayments) -> None:
    client = stripe.StripeClient("sk_test_" + "z" * 24, base_addresses={"api": api_base})
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    setup = client.v1.setup_intents.create(
        params={"usage": "on_session", "metadata": {"plan": "pro"}}
    )
    assert setup.status == "requires_payment_method"
    updated = client.v1.setup_intents.update(
        setup.id,
        params={
            "customer": customer.id,
            "payment_method_data": {"type": "card", "card": {"token": "tok_mastercard"}},
        },
    )
    assert (updated.status, updated.customer) == ("requires_confirmation", customer.id)
    listed = client.v1.setup_intents.list(params={"customer": customer.id})
    assert [s.id for s in listed.data] == [setup.id]
    canceled = client.v1.setup_intents.cancel(setup.id, params={"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.setup_intents.cancel(setup.id)
