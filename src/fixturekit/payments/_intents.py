"""Payment intents: create (and confirm at once), update before confirmation."""

from __future__ import annotations

from typing import Any

from fixturekit.payments import _cards
from fixturekit.payments._charging import Charging, check_return_url
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
        payment_method_data: dict[str, Any] | None = None,
        confirm: bool = False,
        capture_method: str = "automatic",
        metadata: Any = None,
        description: str | None = None,
        receipt_email: str | None = None,
        automatic_payment_methods: dict[str, Any] | None = None,
        payment_method_types: list[str] | None = None,
        payment_method_options: dict[str, Any] | None = None,
        return_url: str | None = None,
        off_session: bool | None = None,
        setup_future_usage: str | None = None,
        statement_descriptor: str | None = None,
        statement_descriptor_suffix: str | None = None,
        error_on_requires_action: bool = False,
        shipping: dict[str, Any] | None = None,
        transfer_group: str | None = None,
        confirmation_method: str = "automatic",
        use_stripe_sdk: bool | None = None,
        excluded_payment_method_types: list[str] | None = None,
    ) -> dict[str, Any]:
        value = amount_in(amount, currency)
        if off_session is not None and not confirm:
            raise invalid(
                "You can only pass in off_session when confirm is true.", param="off_session"
            )
        if automatic_payment_methods is not None and payment_method_types is not None:
            raise invalid(
                "You may only specify one of these parameters: automatic_payment_methods, "
                "payment_method_types.",
                param="automatic_payment_methods",
            )
        if return_url is not None and not confirm:
            raise invalid(
                "You can only pass in return_url when confirm is true.", param="return_url"
            )
        owner = None if customer is None else self._get(customer, "customer", "customer")
        method = self._method_for(payment_method, payment_method_data)
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
        if confirm:
            check_return_url(automatic_payment_methods, return_url)
        options = payment_method_options or {"card": {"request_three_d_secure": "automatic"}}
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
            "automatic_payment_methods": automatic_payment_methods,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": capture_method,
            "client_secret": f"{ident}_secret_{self._random(25)}",
            "confirmation_method": confirmation_method,
            "created": self._now(),
            "currency": currency,
            "customer": None if owner is None else owner["id"],
            "customer_account": None,
            "description": description,
            "excluded_payment_method_types": excluded_payment_method_types,
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "managed_payments": {"enabled": False},
            "metadata": merge_metadata({}, metadata),
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": None if method is None else method["id"],
            "payment_method_configuration_details": None,
            "payment_method_options": options,
            "payment_method_types": payment_method_types or ["card"],
            "processing": None,
            "receipt_email": receipt_email,
            "review": None,
            "setup_future_usage": setup_future_usage,
            "shipping": shipping,
            "source": None,
            "statement_descriptor": statement_descriptor,
            "statement_descriptor_suffix": statement_descriptor_suffix,
            "status": "requires_payment_method" if method is None else "requires_confirmation",
            "transfer_data": None,
            "transfer_group": transfer_group,
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
        for key in ("capture_method", "statement_descriptor", "statement_descriptor_suffix"):
            if key in changes:
                updates[key] = changes[key] or None
        if "payment_method_data" in changes:
            method = self._method_for(None, changes["payment_method_data"])
            assert method is not None
            updates["payment_method"] = method["id"]
            if intent["status"] == "requires_payment_method":
                updates["status"] = "requires_confirmation"
        intent.update(updates)
        self._apply_intent_changes(intent, changes)
        return intent

    def _op_increment_authorization(
        self,
        ident: str,
        *,
        amount: int,
        description: str | None = None,
        metadata: Any = None,
        statement_descriptor: str | None = None,
    ) -> dict[str, Any]:
        intent = self._get(ident, "payment_intent", "intent", status=404)
        if intent["status"] != "requires_capture":
            raise unexpected_state(
                f"This PaymentIntent's authorization could not be incremented because it has a "
                f"status of {intent['status']}. Only a PaymentIntent with a status of "
                "requires_capture can be incremented."
            )
        charge = self._objects[intent["latest_charge"]]
        card = charge["payment_method_details"]["card"]
        if card["incremental_authorization"]["status"] != "available":
            raise invalid(
                "Incremental authorization is not available for this PaymentIntent: create it "
                "with payment_method_options[card][request_incremental_authorization]="
                "if_available and capture_method=manual.",
                param="amount",
                code="incremental_authorization_not_available",
            )
        if amount <= intent["amount"]:
            raise invalid(
                f"The amount ({amount}) must be greater than the PaymentIntent's current "
                f"amount ({intent['amount']}).",
                param="amount",
            )
        amount_in(amount, intent["currency"])
        intent["metadata"] = merge_metadata(intent["metadata"], metadata)
        if description is not None:
            intent["description"] = description or None
        if statement_descriptor is not None:
            intent["statement_descriptor"] = statement_descriptor or None
        intent["amount"] = intent["amount_capturable"] = amount
        charge["amount"] = card["amount_authorized"] = amount
        card["overcapture"]["maximum_amount_capturable"] = amount
        formatted = _cards.format_amount(amount, intent["currency"])
        self._emit(
            "payment_intent.amount_capturable_updated",
            intent,
            f"{ident} authorization incremented to {formatted}",
        )
        return intent
