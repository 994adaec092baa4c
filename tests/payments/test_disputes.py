"""Disputes from Stripe's dispute test cards, through the official SDK: opened on
capture, answered with Stripe's evidence test values, lost on the clock."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from fixturekit.clock import Clock
from fixturekit.payments import FakePayments

pytestmark = pytest.mark.slow  # a real loopback server and the official SDK


def _disputed(token: str) -> Any:
    intent = stripe.PaymentIntent.create(
        amount=4200, currency="usd", payment_method=f"pm_card_{token}", confirm=True
    )
    (dispute,) = stripe.Dispute.list(payment_intent=intent.id).data
    return intent, dispute


def test_a_dispute_opens_on_capture_and_withdraws_the_funds(
    sdk: Any, payments: FakePayments
) -> None:
    intent, dispute = _disputed("createDispute")
    assert (dispute.status, dispute.reason, dispute.amount) == (
        "needs_response",
        "fraudulent",
        4200,
    )
    assert stripe.Charge.retrieve(intent.latest_charge).disputed is True
    (withdrawn,) = dispute.balance_transactions
    assert (withdrawn.amount, withdrawn.fee, withdrawn.net) == (-4200, 1500, -5700)
    types = [e.type for e in stripe.Event.list(type="charge.dispute.*").data]
    assert types == ["charge.dispute.funds_withdrawn", "charge.dispute.created"]


def test_winning_and_losing_evidence(sdk: Any, payments: FakePayments) -> None:
    _, dispute = _disputed("createDisputeProductNotReceived")
    assert dispute.reason == "product_not_received"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe.Dispute.modify(dispute.id, evidence={"colour": "red"})
    assert unknown.value.param == "evidence[colour]"
    won = stripe.Dispute.modify(dispute.id, evidence={"uncategorized_text": "winning_evidence"})
    assert won.status == "won"
    assert [t.amount for t in won.balance_transactions] == [-4200, 4200]
    _, other = _disputed("createDispute")
    draft = stripe.Dispute.modify(other.id, evidence={"customer_name": "Ada"}, submit=False)
    assert (draft.status, draft.evidence.customer_name) == ("needs_response", "Ada")
    lost = stripe.Dispute.modify(other.id, evidence={"uncategorized_text": "losing_evidence"})
    assert lost.status == "lost"
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Dispute.modify(other.id, metadata={"a": "b"})


def test_an_unanswered_dispute_is_lost_on_the_clock(
    sdk: Any, payments: FakePayments, clock: Clock
) -> None:
    _, dispute = _disputed("createDispute")
    _, inquiry = _disputed("createDisputeInquiry")
    assert (inquiry.status, inquiry.balance_transactions) == ("warning_needs_response", [])
    clock.advance(7 * 24 * 3600)
    assert stripe.Dispute.retrieve(dispute.id).status == "lost"
    assert stripe.Dispute.retrieve(dispute.id).evidence_details.past_due is True
    assert stripe.Dispute.retrieve(inquiry.id).status == "warning_closed"


def test_closing_a_dispute_accepts_it(sdk: Any, payments: FakePayments) -> None:
    _, dispute = _disputed("createDispute")
    assert stripe.Dispute.close(dispute.id).status == "lost"
    payments.fail_next("api_error", on="close_dispute")
    with pytest.raises(stripe.APIError):
        stripe.Dispute.close(dispute.id)


def test_an_early_fraud_warning(sdk: Any, payments: FakePayments) -> None:
    intent = stripe.PaymentIntent.create(
        amount=2000, currency="usd", payment_method="pm_card_createIssuerFraudRecord", confirm=True
    )
    (warning,) = stripe.radar.EarlyFraudWarning.list(payment_intent=intent.id).data
    assert (warning.charge, warning.actionable) == (intent.latest_charge, True)
    assert stripe.radar.EarlyFraudWarning.retrieve(warning.id).fraud_type == "made_with_stolen_card"
    assert stripe.Dispute.list(payment_intent=intent.id).data == []
