"""Disputes opened by Stripe's dispute test cards, answered with evidence, decided by
Stripe's evidence test values, or lost on the clock when nobody answers.

``pm_card_createDispute`` (fraudulent), ``pm_card_createDisputeProductNotReceived``
and ``pm_card_createDisputeInquiry`` (an inquiry) open a dispute as soon as their
charge is captured (``pm_card_createIssuerFraudRecord`` an early fraud warning): the
amount and Stripe's 15.00 dispute fee are withdrawn (not for an inquiry). Evidence
whose ``uncategorized_text`` is ``winning_evidence`` wins the dispute at once,
``losing_evidence`` loses it; other evidence leaves it ``under_review`` (the bank
decides; the fake never does). A dispute left without evidence past its
``evidence_details.due_by`` (7 days) is lost on the clock.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fixturekit.errors import InvalidRequestError
from fixturekit.payments import _cards
from fixturekit.payments._core import PaymentsCore
from fixturekit.payments._params import invalid, merge_metadata

__all__ = ["DISPUTE_FEE", "EVIDENCE_DUE", "EVIDENCE_FIELDS", "Disputes"]

#: How long the merchant has to answer (Stripe: a week or more, set by the network).
EVIDENCE_DUE = timedelta(days=7)
#: Stripe's dispute fee, in the smallest unit of a two-decimal currency.
DISPUTE_FEE = 1500

EVIDENCE_FIELDS = (
    "access_activity_log", "billing_address", "cancellation_policy",
    "cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication",
    "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
    "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
    "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address",
    "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
    "uncategorized_file", "uncategorized_text",
)  # fmt: skip

#: The dispute test cards: reason and whether it is an inquiry.
_KINDS = {
    "createDispute": ("fraudulent", False),
    "createDisputeProductNotReceived": ("product_not_received", False),
    "createDisputeInquiry": ("general", True),
}
_OPEN = ("warning_needs_response", "needs_response", "under_review", "warning_under_review")


class Disputes(PaymentsCore):
    """The handlers of ``/v1/disputes``; `_maybe_dispute` runs on each capture."""

    def _maybe_dispute(self, charge: dict[str, Any]) -> None:
        """Open the dispute (or the early fraud warning) of a captured charge made with
        a dispute test card."""
        card = self._cards.get(charge["payment_method"])
        tokens = card.tokens if card else ()
        if "createIssuerFraudRecord" in tokens:
            self._early_fraud_warning(charge)
        kind = next((_KINDS[t] for t in tokens if t in _KINDS), None)
        if kind is None:
            return
        reason, inquiry = kind
        now = self._now()
        details = charge["payment_method_details"]["card"]
        dispute: dict[str, Any] = {
            "id": "dp_" + self._random(24),
            "object": "dispute",
            "amount": charge["amount_captured"],
            "balance_transactions": [],
            "charge": charge["id"],
            "created": now,
            "currency": charge["currency"],
            "enhanced_eligibility_types": [],
            "evidence": {**dict.fromkeys(EVIDENCE_FIELDS), "enhanced_evidence": {}},
            "evidence_details": {
                "due_by": now + int(EVIDENCE_DUE.total_seconds()),
                "enhanced_eligibility": {},
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
            "is_charge_refundable": inquiry,
            "livemode": False,
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "payment_method_details": {
                "card": {
                    "brand": details["brand"],
                    "case_type": "inquiry" if inquiry else "chargeback",
                    "network_reason_code": "10.4" if reason == "fraudulent" else "13.1",
                    "network": details["network"],
                },
                "type": "card",
            },
            "reason": reason,
            "status": "warning_needs_response" if inquiry else "needs_response",
        }
        self._store(dispute)
        charge["disputed"] = True
        amount = _cards.format_amount(dispute["amount"], dispute["currency"])
        self._emit("charge.dispute.created", dispute, f"{dispute['id']} {amount} ({reason})")
        if not inquiry:
            self._move_funds(dispute, -1)
        self.clock.call_later(EVIDENCE_DUE, self._past_due, self._generation, dispute["id"])

    def _early_fraud_warning(self, charge: dict[str, Any]) -> None:
        """The card issuer reports the charge as fraud (no dispute yet)."""
        warning = {
            "id": "issfr_" + self._random(24),
            "object": "radar.early_fraud_warning",
            "actionable": True,
            "charge": charge["id"],
            "created": self._now(),
            "fraud_type": "made_with_stolen_card",
            "livemode": False,
            "payment_intent": charge["payment_intent"],
        }
        self._store(warning)
        self._emit("radar.early_fraud_warning.created", warning, f"on {charge['id']}")

    def _move_funds(self, dispute: dict[str, Any], sign: int) -> None:
        """Withdraw (-1) or reinstate (+1) the disputed amount, with the fee."""
        fee = DISPUTE_FEE if _cards.decimals(dispute["currency"]) == 2 else 0
        txn = self._balance_transaction(dispute, sign * dispute["amount"], "dispute")
        stored = self._objects[txn]
        stored["fee"] = fee if sign < 0 else -fee
        stored["net"] = stored["amount"] - stored["fee"]
        stored["reporting_category"] = "dispute" if sign < 0 else "dispute_reversal"
        dispute["balance_transactions"].append(dict(stored))
        event = "funds_withdrawn" if sign < 0 else "funds_reinstated"
        self._emit(f"charge.dispute.{event}", dispute, dispute["id"])

    def _past_due(self, generation: int, ident: str) -> None:
        with self._lock:
            dispute = self._by_type["dispute"].get(ident)
            if generation != self._generation or dispute is None:
                return
            if dispute["status"] in ("needs_response", "warning_needs_response"):
                dispute["evidence_details"]["past_due"] = True
                self._close(dispute, won=False)

    def _close(self, dispute: dict[str, Any], *, won: bool) -> None:
        inquiry = dispute["status"].startswith("warning")
        if inquiry:
            dispute["status"] = "warning_closed"
        else:
            dispute["status"] = "won" if won else "lost"
            if won:
                self._move_funds(dispute, +1)
        self._emit("charge.dispute.closed", dispute, f"{dispute['id']} {dispute['status']}")

    def _op_update_dispute(
        self,
        ident: str,
        *,
        evidence: dict[str, Any] | None = None,
        metadata: Any = None,
        submit: bool = True,
    ) -> dict[str, Any]:
        dispute = self._get(ident, "dispute", "dispute", status=404)
        if dispute["status"] not in _OPEN:
            raise InvalidRequestError(
                f"This dispute is already closed ({dispute['status']}); it cannot be updated.",
                param="dispute",
            )
        if evidence is not None:
            unknown = sorted(set(evidence) - set(EVIDENCE_FIELDS))
            if unknown:
                raise invalid(
                    f"Received unknown parameter: evidence[{unknown[0]}]",
                    param=f"evidence[{unknown[0]}]",
                    code="parameter_unknown",
                )
            dispute["evidence"].update(evidence)
            dispute["evidence_details"]["has_evidence"] = True
        dispute["metadata"] = merge_metadata(dispute["metadata"], metadata)
        self._emit("charge.dispute.updated", dispute, dispute["id"])
        if submit and evidence is not None:
            dispute["evidence_details"]["submission_count"] += 1
            inquiry = dispute["status"].startswith("warning")
            dispute["status"] = "warning_under_review" if inquiry else "under_review"
            text = dispute["evidence"]["uncategorized_text"]
            if text in ("winning_evidence", "losing_evidence"):
                self._close(dispute, won=text == "winning_evidence")
        return dispute

    def _op_close_dispute(self, ident: str) -> dict[str, Any]:
        """Accept the dispute: it is lost (an inquiry is closed)."""
        dispute = self._get(ident, "dispute", "dispute", status=404)
        if dispute["status"] not in _OPEN:
            raise InvalidRequestError(
                f"This dispute is already closed ({dispute['status']}).", param="dispute"
            )
        self._close(dispute, won=False)
        return dispute
