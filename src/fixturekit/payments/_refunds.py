"""Refunds: all or part of a captured charge, never more than is left."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fixturekit.errors import InvalidRequestError
from fixturekit.payments import _cards
from fixturekit.payments._core import PaymentsCore
from fixturekit.payments._objects import copy
from fixturekit.payments._params import invalid, merge_metadata

__all__ = ["REFUND_REASONS", "Refunds"]

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")

#: When the refunds of ``pm_card_pendingRefund`` and ``pm_card_refundFail`` settle.
REFUND_SETTLES = timedelta(minutes=1)
_LATER = ("pendingRefund", "refundFail")


class Refunds(PaymentsCore):
    """The handlers of ``/v1/refunds`` and ``/v1/refunds/{id}`` (update, cancel)."""

    def _op_create_refund(
        self,
        *,
        payment_intent: str | None = None,
        charge: str | None = None,
        amount: int | None = None,
        reason: str | None = None,
        metadata: Any = None,
    ) -> dict[str, Any]:
        if payment_intent is None and charge is None:
            raise invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                param="payment_intent",
                code="parameter_missing",
            )
        meta = merge_metadata({}, metadata)
        target = self._refundable(payment_intent, charge)
        currency = target["currency"]
        remaining = target["amount_captured"] - target["amount_refunded"]
        if remaining <= 0:
            raise InvalidRequestError(
                f"Charge {target['id']} has already been refunded.",
                param="charge",
                code="charge_already_refunded",
            )
        value = remaining if amount is None else amount
        if value > remaining:
            raise InvalidRequestError(
                f"Refund amount ({_cards.format_amount(value, currency)}) is greater than "
                f"unrefunded amount on charge ({_cards.format_amount(remaining, currency)})",
                param="amount",
                code="amount_too_large",
            )
        refund = {
            "id": self._new_id("re"),
            "object": "refund",
            "amount": value,
            "balance_transaction": None,
            "charge": target["id"],
            "created": self._now(),
            "currency": currency,
            "customer": target["customer"],
            "customer_account": None,
            "destination_details": {"card": {"type": "refund"}, "type": "card"},
            "metadata": meta,
            "payment_intent": target["payment_intent"],
            "payment_method": target["payment_method"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        self._store(refund)
        refund["balance_transaction"] = self._balance_transaction(refund, -value, "refund")
        previous = {"amount_refunded": target["amount_refunded"], "refunded": target["refunded"]}
        target["amount_refunded"] += value
        target["refunded"] = target["amount_refunded"] >= target["amount_captured"]
        self._sync_refunds(target)
        formatted = _cards.format_amount(value, currency)
        card = self._cards.get(target["payment_method"])
        later = next((t for t in (card.tokens if card else ()) if t in _LATER), None)
        if later == "pendingRefund":
            refund["status"] = "pending"
        self._emit("refund.created", refund, f"{refund['id']} {formatted} of {target['id']}")
        self._emit("charge.refunded", target, f"{target['id']} {formatted} refunded", previous)
        if later is not None:
            self.clock.call_later(
                REFUND_SETTLES, self._settle_refund, self._generation, refund["id"], later
            )
        return refund

    def _settle_refund(self, generation: int, ident: str, card: str) -> None:
        """A minute after a refund of ``pm_card_pendingRefund`` (pending: succeeds) or
        ``pm_card_refundFail`` (succeeded: fails, the amount goes back to the charge)."""
        with self._lock:
            refund = self._by_type["refund"].get(ident)
            if generation != self._generation or refund is None:
                return
            charge = self._objects[refund["charge"]]
            if card == "pendingRefund":
                refund["status"] = "succeeded"
                self._sync_refunds(charge)
                self._emit("refund.updated", refund, f"{ident} succeeded", {"status": "pending"})
                return
            refund["status"] = "failed"
            refund["failure_reason"] = "expired_or_canceled_card"
            refund["failure_balance_transaction"] = self._balance_transaction(
                refund, refund["amount"], "refund_failure"
            )
            charge["amount_refunded"] -= refund["amount"]
            charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
            self._sync_refunds(charge)
            self._emit("refund.failed", refund, f"{ident} failed (expired_or_canceled_card)")
            self._emit("refund.updated", refund, f"{ident} failed", {"status": "succeeded"})

    def _op_update_refund(self, ident: str, *, metadata: Any = None) -> dict[str, Any]:
        refund = self._get(ident, "refund", "id", status=404)
        merged = merge_metadata(refund["metadata"], metadata)
        if merged != refund["metadata"]:
            previous = {"metadata": refund["metadata"]}
            refund["metadata"] = merged
            self._sync_refunds(self._objects[refund["charge"]])
            self._emit("refund.updated", refund, f"{ident} (metadata)", previous)
        return refund

    def _op_cancel_refund(self, ident: str) -> dict[str, Any]:
        refund = self._get(ident, "refund", "id", status=404)
        # Card refunds never wait for the customer: they cannot be canceled.
        raise InvalidRequestError(
            f"Refund {ident} cannot be canceled because it has a status of "
            f"{refund['status']}. Only a refund with a status of requires_action can be "
            "canceled.",
            param="refund",
            code="refund_cannot_be_canceled",
        )

    def _sync_refunds(self, charge: dict[str, Any]) -> None:
        """Bring the charge's embedded ``refunds`` list up to date, newest first."""
        mine = [r for r in self._by_type["refund"].values() if r["charge"] == charge["id"]]
        charge["refunds"]["data"] = [copy(refund) for refund in reversed(mine)]

    def _refundable(self, payment_intent: str | None, charge: str | None) -> dict[str, Any]:
        """The captured charge a refund of ``charge`` or ``payment_intent`` goes to."""
        if charge is not None:
            target = self._get(charge, "charge", "charge")
            if (
                payment_intent is not None
                and target["payment_intent"]
                != self._get(payment_intent, "payment_intent", "payment_intent")["id"]
            ):
                raise invalid(
                    f"The charge {target['id']} does not belong to payment intent "
                    f"{payment_intent}.",
                    param="charge",
                )
        else:
            intent = self._get(payment_intent, "payment_intent", "payment_intent")
            if intent["status"] != "succeeded" or intent["latest_charge"] is None:
                raise InvalidRequestError(
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge to "
                    f"refund (its status is {intent['status']}).",
                    param="payment_intent",
                    code="charge_not_refundable",
                )
            target = self._objects[intent["latest_charge"]]
        if target["status"] != "succeeded" or not target["captured"]:
            raise InvalidRequestError(
                f"Charge {target['id']} has not been captured; cancel its PaymentIntent to "
                "release the authorization instead of refunding it."
                if target["status"] == "succeeded"
                else f"Charge {target['id']} failed; there is nothing to refund.",
                param="charge",
                code="charge_not_refundable",
            )
        return target
