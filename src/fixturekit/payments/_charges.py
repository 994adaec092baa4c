"""Charges made directly (the Charges API, before payment intents): create from a
``tok_...`` token, a payment method or a customer's saved card; update; capture."""

from __future__ import annotations

from typing import Any

from fixturekit.errors import CardError, InvalidRequestError
from fixturekit.payments import _cards
from fixturekit.payments._chargeparts import bypasses_pending, outcome
from fixturekit.payments._charging import Charging
from fixturekit.payments._core import AUTH_DECLINE
from fixturekit.payments._objects import copy
from fixturekit.payments._params import amount_in, invalid, merge_metadata

__all__ = ["Charges"]

_LIVE_CARD = _cards.Decline(
    "card_declined",
    "test_mode_live_card",
    "Your card was declined. Your request was in test mode, but used a non test (live) "
    "card. For a list of valid test cards, visit: https://stripe.com/docs/testing.",
)


class Charges(Charging):
    """The handlers of ``/v1/charges`` (create), ``/v1/charges/{id}`` and its capture."""

    def _op_create_charge(
        self,
        *,
        amount: int,
        currency: str,
        customer: str | None = None,
        source: str | None = None,
        capture: bool = True,
        metadata: Any = None,
        description: str | None = None,
        receipt_email: str | None = None,
        statement_descriptor: str | None = None,
        statement_descriptor_suffix: str | None = None,
        shipping: dict[str, Any] | None = None,
        transfer_group: str | None = None,
    ) -> dict[str, Any]:
        value = amount_in(amount, currency)
        owner = None if customer is None else self._get(customer, "customer", "customer")
        method = self._source(source, owner)
        basis = {
            "id": None,
            "amount": value,
            "currency": currency,
            "customer": None if owner is None else owner["id"],
            "description": description,
            "metadata": merge_metadata({}, metadata),
            "receipt_email": receipt_email,
            "shipping": shipping,
            "statement_descriptor": statement_descriptor,
            "statement_descriptor_suffix": statement_descriptor_suffix,
            "transfer_group": transfer_group,
        }
        test_card = self._cards.get(method["id"])
        scripted = self._take_failure("create_charge", api_level=False)
        decline = None
        if scripted is not None:
            decline = (
                AUTH_DECLINE
                if scripted.code == "authentication_required"
                else _cards.DECLINES[scripted.code]
            )
        elif test_card is None:
            decline = _LIVE_CARD
        elif test_card.authentication in ("required", "unless_set_up", "set_up"):
            decline = AUTH_DECLINE  # the Charges API cannot run 3D Secure
        else:
            decline = test_card.decline
        charge = self._charge(basis, method, paid=decline is None)
        formatted = _cards.format_amount(value, currency)
        if decline is not None:
            message = scripted.message if scripted is not None and scripted.message else None
            self._fail_charge(charge, decline, message or decline.message)
        charge["outcome"] = outcome(
            "approved_by_network", None, "normal", "Payment complete.", "authorized"
        )
        if capture:
            charge["captured"] = True
            charge["amount_captured"] = value
            charge["balance_transaction"] = self._balance_transaction(
                charge, value, "charge", available=bypasses_pending(test_card)
            )
        state = "captured" if capture else "authorized (not captured)"
        self._emit("charge.succeeded", charge, f"{charge['id']} {formatted} {state}")
        if capture:
            self._maybe_dispute(charge)
        return charge

    def _source(self, source: str | None, owner: dict[str, Any] | None) -> dict[str, Any]:
        """The payment method a charge draws on: ``source``, else the customer's card."""
        if source is not None:
            if source.startswith("tok_"):
                return self._op_create_payment_method(card={"token": source})
            method = self._payment_method(source, "source")
            if owner is not None and method["customer"] not in (None, owner["id"]):
                raise invalid(
                    f"The source {method['id']} does not belong to customer {owner['id']}.",
                    param="source",
                )
            return method
        if owner is None:
            raise invalid("Must provide source or customer.", param="source")
        default = owner["invoice_settings"]["default_payment_method"]
        if default is not None:
            return self._objects[default]
        saved = [
            m for m in self._by_type["payment_method"].values() if m["customer"] == owner["id"]
        ]
        if not saved:
            raise InvalidRequestError(
                "Cannot charge a customer that has no active card",
                param="card",
                code="missing",
            )
        return saved[-1]

    def _fail_charge(self, charge: dict[str, Any], decline: _cards.Decline, message: str) -> None:
        self._mark_declined(charge, decline, message)
        formatted = _cards.format_amount(charge["amount"], charge["currency"])
        self._emit(
            "charge.failed", charge, f"{charge['id']} {formatted} declined: {decline.decline_code}"
        )
        raise CardError(
            message,
            code=decline.code,
            decline_code=decline.decline_code,
            param=decline.param,
            charge=charge["id"],
        )

    def _op_update_charge(self, ident: str, **changes: Any) -> dict[str, Any]:
        charge = self._get(ident, "charge", "id", status=404)
        updates: dict[str, Any] = {}
        for key in ("description", "receipt_email", "transfer_group"):
            if key in changes:
                updates[key] = changes[key] or None
        if "shipping" in changes:
            updates["shipping"] = changes["shipping"]
        if "metadata" in changes:
            updates["metadata"] = merge_metadata(charge["metadata"], changes["metadata"])
        if "fraud_details" in changes:
            updates["fraud_details"] = dict(changes["fraud_details"])
        previous: dict[str, Any] = {}
        for key, value in updates.items():
            if charge[key] != value:
                previous[key] = copy(charge[key])
                charge[key] = value
        if previous:
            self._emit("charge.updated", charge, f"{ident} ({', '.join(previous)})", previous)
        return charge

    def _op_capture_charge(
        self,
        ident: str,
        *,
        amount: int | None = None,
        receipt_email: str | None = None,
        statement_descriptor: str | None = None,
    ) -> dict[str, Any]:
        charge = self._get(ident, "charge", "id", status=404)
        if charge["captured"]:
            raise InvalidRequestError(
                f"Charge {ident} has already been captured.", code="charge_already_captured"
            )
        if charge["status"] != "succeeded":
            raise InvalidRequestError(
                f"Charge {ident} failed; there is nothing to capture.", param="charge"
            )
        if receipt_email is not None:
            charge["receipt_email"] = receipt_email or None
        if statement_descriptor is not None:
            charge["statement_descriptor"] = statement_descriptor or None
        if charge["payment_intent"] is not None:
            self._op_capture_payment_intent(charge["payment_intent"], amount_to_capture=amount)
            return charge
        value = charge["amount"] if amount is None else amount
        if value > charge["amount"]:
            raise invalid(
                f"The amount to capture ({value}) is greater than the amount of the charge "
                f"({charge['amount']}).",
                param="amount",
                code="amount_too_large",
            )
        charge["captured"] = True
        charge["amount_captured"] = value
        charge["balance_transaction"] = self._balance_transaction(
            charge,
            value,
            "charge",
            available=bypasses_pending(self._cards.get(charge["payment_method"])),
        )
        formatted = _cards.format_amount(value, charge["currency"])
        self._emit("charge.captured", charge, f"{ident} {formatted}")
        self._maybe_dispute(charge)
        return charge
