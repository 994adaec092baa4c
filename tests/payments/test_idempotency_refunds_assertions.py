"""Idempotency keys, refunds, and the assert_* helpers."""

from __future__ import annotations

import re

import pytest

from fixturekit.payments import (
    APIConnectionError,
    CardError,
    FakePayments,
    IdempotencyError,
    InvalidRequestError,
)


def _charge(payments: FakePayments, amount: int = 2000, **kw: object):
    return payments.create_payment_intent(
        amount=amount, currency="usd", payment_method="pm_card_visa", confirm=True, **kw
    )


# --- idempotency --------------------------------------------------------------------------


def test_the_same_key_and_parameters_replay_the_first_result(payments: FakePayments) -> None:
    first = _charge(payments, idempotency_key="order-1")
    second = _charge(payments, idempotency_key="order-1")
    assert first == second
    assert len(payments.payment_intents) == 1
    assert len(payments.charges) == 1


def test_the_same_key_with_other_parameters_is_an_idempotency_error(
    payments: FakePayments,
) -> None:
    _charge(payments, idempotency_key="order-1")
    with pytest.raises(IdempotencyError, match="same parameters") as raised:
        _charge(payments, amount=2500, idempotency_key="order-1")
    assert raised.value.type == "idempotency_error"


def test_the_same_key_on_another_endpoint_is_an_idempotency_error(
    payments: FakePayments,
) -> None:
    _charge(payments, idempotency_key="k")
    with pytest.raises(IdempotencyError, match="same endpoint"):
        payments.create_customer(idempotency_key="k")


def test_a_decline_is_saved_and_replayed_under_its_key(payments: FakePayments) -> None:
    def attempt() -> CardError:
        with pytest.raises(CardError) as raised:
            payments.create_payment_intent(
                amount=2000,
                currency="usd",
                payment_method="pm_card_visa_chargeDeclined",
                confirm=True,
                idempotency_key="k",
            )
        return raised.value

    assert attempt().charge == attempt().charge
    assert len(payments.charges) == 1


def test_a_validation_error_is_not_saved_under_its_key(payments: FakePayments) -> None:
    with pytest.raises(InvalidRequestError):
        payments.create_payment_intent(amount=10, currency="usd", idempotency_key="k")
    assert payments.create_payment_intent(amount=1000, currency="usd", idempotency_key="k")


def test_keys_expire_after_24_hours_on_the_clock(payments: FakePayments) -> None:
    first = _charge(payments, idempotency_key="k")
    payments.clock.advance(hours=23, minutes=59)
    assert _charge(payments, idempotency_key="k").id == first.id
    payments.clock.advance(minutes=2)
    assert _charge(payments, idempotency_key="k").id != first.id


def test_keys_longer_than_255_characters_are_refused(payments: FakePayments) -> None:
    with pytest.raises(InvalidRequestError, match="255 characters"):
        _charge(payments, idempotency_key="k" * 256)


def test_a_lost_response_is_recovered_by_retrying_with_the_same_key(
    payments: FakePayments,
) -> None:
    payments.fail_next("api_connection_error")
    with pytest.raises(APIConnectionError):
        _charge(payments, idempotency_key="order-7")
    assert len(payments.charges) == 1  # it ran
    replayed = _charge(payments, idempotency_key="order-7")
    assert replayed.status == "succeeded"
    assert len(payments.charges) == 1


# --- refunds ------------------------------------------------------------------------------


def test_partial_refunds_add_up_to_the_captured_amount_and_no_more(
    payments: FakePayments,
) -> None:
    intent = _charge(payments, 5000)
    payments.create_refund(payment_intent=intent.id, amount=2000)
    with pytest.raises(InvalidRequestError) as raised:
        payments.create_refund(payment_intent=intent.id, amount=3001)
    assert raised.value.code == "amount_too_large"
    assert "greater than unrefunded amount on charge ($30.00)" in raised.value.message
    rest = payments.create_refund(payment_intent=intent.id)
    assert rest.amount == 3000
    charge = payments.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (5000, True)
    with pytest.raises(InvalidRequestError) as again:
        payments.create_refund(charge=charge.id, amount=1)
    assert again.value.code == "charge_already_refunded"


def test_only_captured_amounts_can_be_refunded(payments: FakePayments) -> None:
    intent = payments.create_payment_intent(
        amount=5000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        capture_method="manual",
    )
    with pytest.raises(InvalidRequestError, match="does not have a successful charge"):
        payments.create_refund(payment_intent=intent.id)
    payments.capture_payment_intent(intent.id, amount_to_capture=2000)
    with pytest.raises(InvalidRequestError, match="greater than unrefunded"):
        payments.create_refund(payment_intent=intent.id, amount=2001)
    assert payments.create_refund(payment_intent=intent.id).amount == 2000


def test_a_refund_needs_a_payment_intent_or_a_charge(payments: FakePayments) -> None:
    with pytest.raises(InvalidRequestError, match="payment_intent or charge") as raised:
        payments.create_refund()
    assert raised.value.code == "parameter_missing"


def test_a_refund_emits_refund_and_charge_events(payments: FakePayments) -> None:
    intent = _charge(payments)
    payments.create_refund(payment_intent=intent.id, amount=500, reason="requested_by_customer")
    refunded = payments.events[-1]
    assert [e.type for e in payments.events[-2:]] == ["refund.created", "charge.refunded"]
    assert refunded.data["object"]["amount_refunded"] == 500
    assert refunded.data["previous_attributes"] == {"amount_refunded": 0, "refunded": False}


# --- assertions ---------------------------------------------------------------------------


def test_assert_charged_returns_the_matching_charge(payments: FakePayments) -> None:
    customer = payments.create_customer(email="a@example.com")
    intent = _charge(payments, 2000, customer=customer.id, metadata={"order": "42"})
    charge = payments.assert_charged(amount=2000, currency="USD", customer=customer)
    assert charge.payment_intent == intent.id
    assert payments.assert_charged(metadata=lambda m: m["order"] == "42") == charge
    assert payments.assert_charged(amount=re.compile("^20")) == charge


def test_assert_charged_explains_the_closest_charges(payments: FakePayments) -> None:
    _charge(payments, 2000)
    with pytest.raises(CardError):
        payments.create_payment_intent(
            amount=3000,
            currency="usd",
            payment_method="pm_card_visa_chargeDeclinedInsufficientFunds",
            confirm=True,
        )
    with pytest.raises(AssertionError) as raised:
        payments.assert_charged(amount=3000, currency="usd")
    message = str(raised.value)
    assert "expected a charge with status='succeeded', captured=True" in message
    assert "none of the 2 recorded matched" in message
    assert "failed: insufficient_funds" in message
    assert "amount was 2000, expected 3000" in message


def test_assert_charged_refuses_criteria_that_are_not_charge_fields(
    payments: FakePayments,
) -> None:
    with pytest.raises(TypeError, match=r"'custmer' \(did you mean customer=\?\); charges' fields"):
        payments.assert_charged(custmer="cus_1")


def test_assert_not_charged_fails_with_the_charges_made(payments: FakePayments) -> None:
    payments.assert_not_charged()
    _charge(payments, 2000)
    payments.assert_not_charged(amount=1000)
    with pytest.raises(
        AssertionError, match=r"expected no charge with .*, but 1 matched:\n  - ch_"
    ):
        payments.assert_not_charged()


def test_assert_refunded_returns_the_refund_or_explains(payments: FakePayments) -> None:
    intent = _charge(payments, 2000)
    with pytest.raises(AssertionError, match="nothing was recorded at all"):
        payments.assert_refunded(amount=500)
    payments.create_refund(payment_intent=intent.id, amount=500)
    refund = payments.assert_refunded(amount=500, payment_intent=intent)
    assert refund.charge == intent.latest_charge
    with pytest.raises(AssertionError, match="amount was 500, expected 600"):
        payments.assert_refunded(amount=600)
