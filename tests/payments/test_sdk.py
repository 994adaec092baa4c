"""The official stripe SDK, unchanged, against payments.stripe_api() over real loopback HTTP."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
import stripe

from fixturekit.payments import FakePayments

pytestmark = pytest.mark.slow  # a real loopback server and the official SDK


def _threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("fixturekit-stripe-api")]


# --- the module-level (legacy) API --------------------------------------------------------


def test_module_level_api_creates_a_customer_and_reads_it_back(
    sdk: Any, payments: FakePayments
) -> None:
    created = stripe.Customer.create(
        email="ada@example.com", name="Ada", metadata={"user_id": "42"}
    )
    assert isinstance(created, stripe.Customer)
    fetched = stripe.Customer.retrieve(created.id)
    assert (fetched.email, fetched.metadata["user_id"]) == ("ada@example.com", "42")
    assert payments.customers[0].id == created.id
    modified = stripe.Customer.modify(created.id, metadata={"user_id": "", "tier": "gold"})
    assert modified.metadata.to_dict() == {"tier": "gold"}
    deleted = stripe.Customer.delete(created.id)
    assert deleted.deleted is True
    # Stripe answers a deleted customer's id with its deletion stub, not a 404 ...
    gone = stripe.Customer.retrieve(created.id)
    assert gone.to_dict() == {"id": created.id, "object": "customer", "deleted": True}
    # ... and refuses to change it.
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Customer.modify(created.id, name="Ada L.")
    assert raised.value.http_status == 404


def test_module_level_api_charges_a_card_and_expands_related_objects(
    sdk: Any, payments: FakePayments
) -> None:
    customer = stripe.Customer.create(email="ada@example.com")
    intent = stripe.PaymentIntent.create(
        amount=2000,
        currency="usd",
        customer=customer.id,
        payment_method="pm_card_visa",
        confirm=True,
        metadata={"order_id": "A-1"},
        expand=["customer", "latest_charge"],
    )
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.status == "succeeded"
    assert intent.customer.email == "ada@example.com"
    assert intent.latest_charge.amount_captured == 2000
    assert intent.metadata["order_id"] == "A-1"
    payments.assert_charged(amount=2000, currency="usd", customer=customer.id)


def test_a_decline_raises_the_sdks_card_error_with_stripes_codes(
    sdk: Any, payments: FakePayments
) -> None:
    with pytest.raises(stripe.CardError) as raised:
        stripe.PaymentIntent.create(
            amount=2000,
            currency="usd",
            payment_method="pm_card_visa_chargeDeclinedInsufficientFunds",
            confirm=True,
        )
    error = raised.value
    assert error.http_status == 402
    assert error.code == "card_declined"
    assert error.error.decline_code == "insufficient_funds"
    assert error.user_message == "Your card has insufficient funds."
    assert error.error.payment_intent.status == "requires_payment_method"
    payments.assert_not_charged()


def test_manual_capture_and_cancel_through_the_sdk(sdk: Any, payments: FakePayments) -> None:
    intent = stripe.PaymentIntent.create(
        amount=5000, currency="eur", payment_method="pm_card_visa", capture_method="manual"
    )
    assert intent.status == "requires_confirmation"
    intent = stripe.PaymentIntent.confirm(intent.id)
    assert intent.status == "requires_capture"
    intent = stripe.PaymentIntent.capture(intent.id, amount_to_capture=4000)
    assert (intent.status, intent.amount_received) == ("succeeded", 4000)
    other = stripe.PaymentIntent.create(amount=900, currency="eur")
    canceled = stripe.PaymentIntent.cancel(other.id, cancellation_reason="abandoned")
    assert canceled.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.confirm(canceled.id, payment_method="pm_card_visa")
    assert raised.value.code == "payment_intent_unexpected_state"


def test_an_explicit_idempotency_key_replays_the_first_response(
    sdk: Any, payments: FakePayments
) -> None:
    first = stripe.PaymentIntent.create(
        amount=2000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        idempotency_key="order-1",
    )
    retried = stripe.PaymentIntent.create(
        amount=2000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        idempotency_key="order-1",
    )
    assert retried.id == first.id
    assert retried.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(payments.charges) == 1
    with pytest.raises(stripe.IdempotencyError):
        stripe.PaymentIntent.create(amount=2500, currency="usd", idempotency_key="order-1")


def test_the_sdks_automatic_retry_after_a_lost_response_does_not_charge_twice(
    sdk: Any, payments: FakePayments
) -> None:
    stripe.max_network_retries = 1
    payments.fail_next("api_connection_error")
    intent = stripe.PaymentIntent.create(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    assert intent.status == "succeeded"
    assert intent.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(payments.charges) == 1
    assert any("response was lost" in m for m in payments.timeline.messages())


def test_refunds_and_events_through_the_module_level_api(sdk: Any, payments: FakePayments) -> None:
    intent = stripe.PaymentIntent.create(
        amount=3000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    refund = stripe.Refund.create(payment_intent=intent.id, amount=1000)
    assert (refund.amount, refund.status) == (1000, "succeeded")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Refund.create(payment_intent=intent.id, amount=2001)
    assert raised.value.code == "amount_too_large"
    events = stripe.Event.list(limit=2)
    assert [event.type for event in events.data] == ["charge.refunded", "refund.created"]
    assert events.has_more is True
    event = stripe.Event.retrieve(events.data[1].id)
    assert event.data.object.id == refund.id
    every = list(stripe.Event.list(limit=2).auto_paging_iter())
    assert [e.id for e in every] == [e.id for e in reversed(payments.events)]
    filtered = stripe.Event.list(type="payment_intent.succeeded")
    assert [e.data.object.id for e in filtered.data] == [intent.id]


# --- StripeClient ---------------------------------------------------------------------------


def test_stripe_client_with_base_addresses_drives_the_same_state(
    client: Any, payments: FakePayments
) -> None:
    customer = client.v1.customers.create(params={"email": "bo@example.com"})
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"token": "tok_mastercard"}}
    )
    client.v1.payment_methods.attach(method.id, params={"customer": customer.id})
    listed = client.v1.customers.payment_methods.list(customer.id)
    assert [m.id for m in listed.data] == [method.id]
    intent = client.v1.payment_intents.create(
        params={
            "amount": 1234,
            "currency": "gbp",
            "customer": customer.id,
            "payment_method": method.id,
            "confirm": True,
        }
    )
    assert intent.status == "succeeded"
    assert client.v1.payment_intents.retrieve(intent.id).latest_charge == intent.latest_charge
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.payment_method_details.card.brand == "mastercard"
    refund = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refund.amount == 1234
    assert client.v1.events.retrieve(payments.events[-1].id).type == "charge.refunded"
    payments.assert_refunded(amount=1234, currency="gbp")


def test_stripe_client_sees_declines_and_idempotent_retries(
    client: Any, payments: FakePayments
) -> None:
    params = {
        "amount": 2000,
        "currency": "usd",
        "payment_method": "pm_card_chargeDeclinedExpiredCard",
        "confirm": True,
    }
    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.create(params=params, options={"idempotency_key": "try-1"})
    with pytest.raises(stripe.CardError) as replayed:
        client.v1.payment_intents.create(params=params, options={"idempotency_key": "try-1"})
    assert raised.value.code == replayed.value.code == "expired_card"
    assert raised.value.param == "exp_month"
    assert len(payments.charges) == 1


def test_stripe_client_reports_unknown_ids_and_unknown_parameters(client: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.retrieve("pi_123")
    assert missing.value.http_status == 404
    assert missing.value.user_message == "No such payment_intent: 'pi_123'"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd", "amout": 1})
    assert unknown.value.code == "parameter_unknown"
    assert "amout" in unknown.value.user_message


# --- the server itself ----------------------------------------------------------------------


def _request(url: str, *, key: str | None = "sk_test_abc", data: bytes | None = None):
    request = urllib.request.Request(url, data=data)
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_requests_without_a_test_key_are_refused_with_401(api_base: str) -> None:
    status, body = _request(api_base + "/v1/customers", key=None)
    assert status == 401
    assert "You did not provide an API key" in body["error"]["message"]
    status, body = _request(api_base + "/v1/customers", key="sk_live_" + "1" * 24)
    assert status == 401
    assert "test-mode secret keys only" in body["error"]["message"]
    assert "1" * 24 not in body["error"]["message"]


def test_unknown_urls_answer_404_in_stripes_error_shape(api_base: str) -> None:
    status, body = _request(api_base + "/v1/payouts")
    assert status == 404
    assert body["error"]["type"] == "invalid_request_error"
    assert "Unrecognized request URL (GET: /v1/payouts)" in body["error"]["message"]


def test_form_encoding_with_nested_metadata_and_arrays_is_understood(
    api_base: str, payments: FakePayments
) -> None:
    data = (
        b"amount=2000&currency=usd&metadata[order]=A-1&metadata[note]=hi"
        b"&payment_method_types[]=card&payment_method=pm_card_visa&confirm=true"
    )
    status, body = _request(api_base + "/v1/payment_intents", data=data)
    assert status == 200, body
    assert body["metadata"] == {"order": "A-1", "note": "hi"}
    assert body["status"] == "succeeded"
    status, body = _request(api_base + "/v1/payment_intents", data=b"amount=20.5&currency=usd")
    assert (status, body["error"]["code"]) == (400, "parameter_invalid_integer")


def test_a_missing_required_parameter_is_a_400_not_a_dropped_connection(api_base: str) -> None:
    status, body = _request(api_base + "/v1/payment_methods", data=b"type=card")
    assert status == 400
    assert (body["error"]["code"], body["error"]["param"]) == ("parameter_missing", "card")
    status, body = _request(api_base + "/v1/payment_methods/pm_x/attach", data=b"")
    assert (status, body["error"]["param"]) == (400, "customer")


def test_the_server_thread_is_gone_after_the_block(payments: FakePayments) -> None:
    with payments.stripe_api() as url:
        assert _threads()
        assert url.startswith("http://127.0.0.1:")
    assert _threads() == []
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/v1/customers", timeout=2)


def test_a_server_left_running_stops_with_the_fake() -> None:
    fake = FakePayments()
    with fake:
        server = fake.stripe_api()
        server.__enter__()
        assert server.running
    assert not server.running
    assert _threads() == []


def test_one_fake_serves_one_api_at_a_time(payments: FakePayments) -> None:
    with payments.stripe_api(), pytest.raises(RuntimeError, match="already serving at"):  # noqa: SIM117
        with payments.stripe_api():
            pass
