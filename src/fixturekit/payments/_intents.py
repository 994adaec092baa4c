"""Payment intents: create (and confirm at once), update before confirmation."""

from __future__ import annotations

from typing import Any

from fixturekit.payments import _cards
from fixturekit.payments._charging import Charging
from fixturekit.payments._params import amount_in, invalid, merge_metadata, unexpected_state

__all__ = ["CAPTURE_METHODS", "PaymentIntents"]

CAPTURE_METHODS = ("automatic", "automatic_async", "manual")

_UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


class PaymentIntents(Charging):
    """The handlers of ``/v1/payment_intents`` (create) and ``/v1/payment_intents/{id}``."""

    def _op_create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        customer: str | None = None,
        payment_method: str | None = None,
        confirm: bool = False,
        capture_method: str = "automatic",
        metadata: Any = None,
        description: str | None = None,
        receipt_email: str | None = None,
        payment_method_types: list[str] | None = None,
        return_url: str | None = None,
        off_session: bool | None = None,
        setup_future_usage: str | None = None,
        statement_descriptor: str | None = None,
        error_on_requires_action: bool = False,
    ) -> dict[str, Any]:
        value = amount_in(amount, currency)
        if off_session is not None and not confirm:
            raise invalid(
                "You can only pass in off_session when confirm is true.", param="off_session"
            )
        owner = None if customer is None else self._get(customer, "customer", "customer")
        method = None if payment_method is None else self._payment_method(payment_method)
        if (
            method is not None
            and owner is not None
            and method["customer"] not in (None, owner["id"])
        ):
            raise invalid(
                f"The provided PaymentMethod ({method['id']}) belongs to another Customer "
                f"({method['customer']}) than the one on this PaymentIntent ({owner['id']}).",
                param="payment_method",
            )
        if confirm and method is None:
            raise invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "Pass payment_method, or create it without confirm=true and confirm it later "
                "with one.",
                param="payment_method",
                code="payment_intent_unexpected_state",
            )
        ident = self._new_id("pi")
        intent: dict[str, Any] = {
            "id": ident,
            "object": "payment_intent",
            "amount": value,
            "amount_capturable": 0,
            "amount_details": {"tip": {}},
            "amount_received": 0,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": capture_method,
            "client_secret": f"{ident}_secret_{self._random(25)}",
            "confirmation_method": "automatic",
            "created": self._now(),
            "currency": currency,
            "customer": None if owner is None else owner["id"],
            "customer_account": None,
            "description": description,
            "excluded_payment_method_types": None,
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "managed_payments": {"enabled": False},
            "metadata": merge_metadata({}, metadata),
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": None if method is None else method["id"],
            "payment_method_configuration_details": None,
            "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
            "payment_method_types": payment_method_types or ["card"],
            "processing": None,
            "receipt_email": receipt_email,
            "review": None,
            "setup_future_usage": setup_future_usage,
            "shipping": None,
            "source": None,
            "statement_descriptor": statement_descriptor,
            "statement_descriptor_suffix": None,
            "status": "requires_payment_method" if method is None else "requires_confirmation",
            "transfer_data": None,
            "transfer_group": None,
        }
        self._store(intent)
        self._emit(
            "payment_intent.created",
            intent,
            f"{ident} for {_cards.format_amount(value, currency)}"
            + (f" ({owner['id']})" if owner else ""),
        )
        if confirm:
            self._confirm(
                intent,
                operation="create_payment_intent",
                return_url=return_url,
                off_session=bool(off_session),
                error_on_requires_action=error_on_requires_action,
            )
        return intent

    def _op_update_payment_intent(self, ident: str, **changes: Any) -> dict[str, Any]:
        intent = self._get(ident, "payment_intent", "intent", status=404)
        if intent["status"] not in _UPDATABLE:
            raise unexpected_state(
                f"This PaymentIntent's {', '.join(changes) or 'fields'} could not be updated "
                f"because it has a status of {intent['status']}. You may only update a "
                f"PaymentIntent with one of the following statuses: {', '.join(_UPDATABLE)}."
            )
        currency = changes.get("currency", intent["currency"])
        updates: dict[str, Any] = {}
        if "currency" in changes or "amount" in changes:
            updates["amount"] = amount_in(changes.get("amount", intent["amount"]), currency)
            updates["currency"] = currency
        if "customer" in changes:
            updates["customer"] = self._get(changes["customer"], "customer", "customer")["id"]
        if "payment_method" in changes:
            updates["payment_method"] = self._payment_method(changes["payment_method"])["id"]
            if intent["status"] == "requires_payment_method":
                updates["status"] = "requires_confirmation"
        if "metadata" in changes:
            updates["metadata"] = merge_metadata(intent["metadata"], changes["metadata"])
        for key in ("description", "receipt_email"):
            if key in changes:
                updates[key] = changes[key] or None
        if "capture_method" in changes:
            updates["capture_method"] = changes["capture_method"]
        intent.update(updates)
        return intent
