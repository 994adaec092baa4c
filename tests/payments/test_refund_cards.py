"""The refund test cards: a pending refund that succeeds and a refund that fails, a
minute later on the clock."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from fixturekit.clock import Clock
from fixturekit.payments import FakePayments


def _paid(payments: FakePayments, token: str) -> Any:
    return payments.create_payment_intent(
        amount=3000, currency="usd", payment_method=f"pm_card_{token}", confirm=True
    )


def test_a_pending_refund_succeeds_a_minute_later(payments: FakePayments, clock: Clock) -> None:
    intent = _paid(payments, "pendingRefund")
    refund = payments.create_refund(payment_intent=intent.id)
    assert refund.status == "pending"
    clock.advance(60)
    assert payments.retrieve(refund.id).status == "succeeded"
    assert payments.events[-1].type == "refund.updated"
    assert payments.events[-1].data["previous_attributes"] == {"status": "pending"}


def test_a_failing_refund_gives_the_amount_back_to_the_charge(
    payments: FakePayments, clock: Clock
) -> None:
    intent = _paid(payments, "refundFail")
    refund = payments.create_refund(payment_intent=intent.id, amount=1000)
    assert refund.status == "succeeded"
    assert payments.retrieve(intent.latest_charge).amount_refunded == 1000
    clock.advance(60)
    failed = payments.retrieve(refund.id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    assert payments.retrieve(failed.failure_balance_transaction).amount == 1000
    charge = payments.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (0, False)
    assert [e.type for e in payments.events[-2:]] == ["refund.failed", "refund.updated"]


@pytest.mark.slow
def test_refund_failed_events_through_the_sdk(
    sdk: Any, payments: FakePayments, clock: Clock
) -> None:
    intent = stripe.PaymentIntent.create(
        amount=3000, currency="usd", payment_method="pm_card_refundFail", confirm=True
    )
    refund = stripe.Refund.create(payment_intent=intent.id)
    clock.advance(60)
    assert stripe.Refund.retrieve(refund.id).status == "failed"
    (event,) = stripe.Event.list(type="refund.failed").data
    assert event.data.object.id == refund.id
