"""A payment intent's way to money: confirm (charge, 3D Secure or decline),
authenticate, capture, cancel, and the seven-day expiry of an authorization."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fixturekit.errors import CardError, InvalidRequestError
from fixturekit.payments import _cards
from fixturekit.payments._chargeparts import (
    asks_authentication,
    bypasses_pending,
    card_details,
    outcome,
)
from fixturekit.payments._core import AUTH_DECLINE, Failure
from fixturekit.payments._disputes import Disputes
from fixturekit.payments._objects import copy
from fixturekit.payments._params import invalid, unexpected_state
from fixturekit.payments._payment_methods import PaymentMethods

__all__ = ["CANCELLATION_REASONS", "Charging"]

#: How long an authorized, uncaptured payment stays capturable.
AUTHORIZATION_TTL = timedelta(days=7)

CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")

_CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
_NOT_CONFIRMABLE = {
    "succeeded": "it has already succeeded after being previously confirmed",
    "canceled": "it has a status of canceled",
    "requires_capture": "it has already been confirmed and is waiting to be captured",
    "processing": "it is processing",
}
_TEST_MODE_LIVE_CARD = _cards.Decline(
    "card_declined",
    "test_mode_live_card",
    "Your card was declined. Your request was in test mode, but used a non test (live) "
    "card. For a list of valid test cards, visit: https://stripe.com/docs/testing.",
)


def check_return_url(automatic: dict[str, Any] | None, return_url: str | None) -> None:
    """Stripe's rule: payment methods that may redirect need a ``return_url``."""
    automatic = automatic or {"enabled": False}
    redirects = automatic["enabled"] and automatic["allow_redirects"] != "never"
    if redirects and not return_url:
        raise invalid(
            "This PaymentIntent is configured to accept payment methods enabled in "
            "your Dashboard. Because some of these payment methods might redirect "
            "your customer off of your page, you must provide a `return_url`. If you "
            "don't want to accept redirect-based payment methods, set "
            "`automatic_payment_methods[enabled]` to `true` and "
            "`automatic_payment_methods[allow_redirects]` to `never` when creating "
            "Setup Intents and Payment Intents.",
            param="return_url",
        )


class Charging(PaymentMethods, Disputes):
    """The handlers of ``/v1/payment_intents/{id}/confirm|capture|cancel`` and the
    ``authenticate`` test helper, with the charges they create."""

    def _op_confirm_payment_intent(
        self,
        ident: str,
        *,
        payment_method: str | None = None,
        payment_method_data: dict[str, Any] | None = None,
        return_url: str | None = None,
        off_session: bool = False,
        error_on_requires_action: bool = False,
        **changes: Any,
    ) -> dict[str, Any]:
        intent = self._get(ident, "payment_intent", "intent", status=404)
        status = intent["status"]
        if status in _NOT_CONFIRMABLE:
            raise unexpected_state(
                f"You cannot confirm this PaymentIntent because {_NOT_CONFIRMABLE[status]}."
            )
        method = self._method_for(payment_method, payment_method_data)
        if method is not None:
            intent["payment_method"] = method["id"]
        if intent["payment_method"] is None:
            raise unexpected_state(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "You can either update the PaymentIntent with a payment method and then confirm "
                "it again, or confirm it again directly with a payment method."
            )
        self._apply_intent_changes(intent, changes)
        self._confirm(
            intent,
            operation="confirm_payment_intent",
            return_url=return_url,
            off_session=off_session,
            error_on_requires_action=error_on_requires_action,
        )
        return intent

    def _method_for(
        self, payment_method: str | None, payment_method_data: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """The payment method given by id or token, or created from its data."""
        if payment_method is not None and payment_method_data is not None:
            raise invalid(
                "You may only specify one of these parameters: payment_method, "
                "payment_method_data.",
                param="payment_method_data",
            )
        if payment_method_data is not None:
            return self._op_create_payment_method(**payment_method_data)
        return None if payment_method is None else self._payment_method(payment_method)

    def _apply_intent_changes(self, intent: dict[str, Any], changes: dict[str, Any]) -> None:
        """Fields a confirmation (or an update) may set on the intent as it goes."""
        for key in ("setup_future_usage", "capture_method", "receipt_email", "shipping"):
            if key in changes:
                intent[key] = changes[key] or None
        if "payment_method_options" in changes:
            options = intent["payment_method_options"]["card"]
            options.update(changes["payment_method_options"]["card"])

    def _confirm(
        self,
        intent: dict[str, Any],
        *,
        operation: str,
        return_url: str | None,
        off_session: bool,
        error_on_requires_action: bool,
    ) -> None:
        """Charge the intent's payment method: succeed, ask for 3D Secure, or decline."""
        check_return_url(intent["automatic_payment_methods"], return_url)
        method = self._objects[intent["payment_method"]]
        test_card = self._cards.get(method["id"])
        if intent["customer"] and method["customer"] not in (None, intent["customer"]):
            raise invalid(
                f"The provided PaymentMethod ({method['id']}) belongs to another Customer "
                f"({method['customer']}) than the one on this PaymentIntent "
                f"({intent['customer']}).",
                param="payment_method",
            )
        scripted = self._take_failure(operation, api_level=False)
        if scripted is not None:
            needs_action = scripted.code == "authentication_required" and not off_session
        else:
            request = intent["payment_method_options"]["card"]["request_three_d_secure"]
            needs_action = asks_authentication(test_card, method, off_session, request)
        if needs_action and not (off_session or error_on_requires_action):
            self._require_action(intent, return_url)
            return
        if needs_action:
            self._decline(intent, method, AUTH_DECLINE, scripted)
        decline = None
        if scripted is not None:
            decline = (
                AUTH_DECLINE
                if scripted.code == "authentication_required"
                else _cards.DECLINES[scripted.code]
            )
        elif test_card is None:
            decline = _TEST_MODE_LIVE_CARD
        elif test_card.decline is not None:
            decline = test_card.decline
        if decline is not None:
            self._decline(intent, method, decline, scripted)
        self._succeed(intent, method)

    def _require_action(
        self, intent: dict[str, Any], return_url: str | None, *, kind: str = "payment_intent"
    ) -> None:
        """Wait for the customer's 3D Secure (a payment or a setup intent)."""
        previous = intent["status"]
        intent["status"] = "requires_action"
        intent["last_setup_error" if kind == "setup_intent" else "last_payment_error"] = None
        if return_url:
            intent["next_action"] = {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "return_url": return_url,
                    "url": f"https://hooks.stripe.com/3d_secure_2/hosted?{kind}={intent['id']}",
                },
            }
        else:
            intent["next_action"] = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": ""},
            }
        if previous != "requires_action":
            self._emit(f"{kind}.requires_action", intent, f"{intent['id']} needs 3D Secure")

    def _charge(
        self, intent: dict[str, Any], method: dict[str, Any], *, paid: bool
    ) -> dict[str, Any]:
        card = method["card"]
        ident = self._new_id("ch")
        charge = {
            "id": ident,
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": 0,
            "amount_refunded": 0,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "balance_transaction": None,
            "billing_details": copy(method["billing_details"]),
            "calculated_statement_descriptor": intent["statement_descriptor"] or "FIXTUREKIT",
            "captured": False,
            "created": self._now(),
            "currency": intent["currency"],
            "customer": intent["customer"],
            "description": intent["description"],
            "disputed": False,
            "failure_balance_transaction": None,
            "failure_code": None,
            "failure_message": None,
            "fraud_details": {},
            "livemode": False,
            "metadata": copy(intent["metadata"]),
            "on_behalf_of": None,
            "outcome": None,
            "paid": paid,
            "payment_intent": intent["id"],
            "payment_method": method["id"],
            "payment_method_details": {
                "card": card_details(card, intent["amount"] if paid else None),
                "type": "card",
            },
            "receipt_email": intent["receipt_email"],
            "receipt_number": None,
            "receipt_url": f"https://pay.stripe.com/receipts/payment/{ident}",
            "refunded": False,
            "refunds": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/charges/{ident}/refunds",
            },
            "review": None,
            "shipping": copy(intent["shipping"]),
            "source": None,
            "source_transfer": None,
            "statement_descriptor": intent["statement_descriptor"],
            "statement_descriptor_suffix": intent["statement_descriptor_suffix"],
            "status": "succeeded" if paid else "failed",
            "transfer_data": None,
            "transfer_group": intent.get("transfer_group"),
        }
        intent["latest_charge"] = charge["id"]
        return self._store(charge)

    def _mark_declined(self, charge: dict[str, Any], decline: _cards.Decline, message: str) -> None:
        """Record a decline on ``charge``: failure code and message, and the outcome."""
        charge["failure_code"] = decline.code
        charge["failure_message"] = message
        blocked = decline.decline_code == "fraudulent"
        charge["outcome"] = outcome(
            "not_sent_to_network" if blocked else "declined_by_network",
            decline.decline_code,
            "highest" if blocked else "normal",
            "Stripe blocked this payment as too risky."
            if blocked
            else "The bank did not return any further details with this decline.",
            "blocked" if blocked else "issuer_declined",
        )

    def _decline(
        self,
        intent: dict[str, Any],
        method: dict[str, Any],
        decline: _cards.Decline,
        scripted: Failure | None,
    ) -> None:
        message = scripted.message if scripted is not None and scripted.message else decline.message
        charge = self._charge(intent, method, paid=False)
        self._mark_declined(charge, decline, message)
        error = CardError(
            message,
            code=decline.code,
            decline_code=decline.decline_code,
            param=decline.param,
            charge=charge["id"],
        )
        intent["status"] = "requires_payment_method"
        intent["next_action"] = None
        last_error = error.to_dict()["error"]
        last_error["payment_method"] = copy(method)
        intent["last_payment_error"] = last_error
        self._emit(
            "charge.failed",
            charge,
            f"{charge['id']} {_cards.format_amount(charge['amount'], charge['currency'])} "
            f"declined: {decline.decline_code}",
        )
        self._emit(
            "payment_intent.payment_failed", intent, f"{intent['id']} ({decline.decline_code})"
        )
        error.payment_intent = copy(intent)
        error.payment_method = copy(method)
        raise error

    def _succeed(self, intent: dict[str, Any], method: dict[str, Any]) -> None:
        if intent["setup_future_usage"] and intent["customer"] and method["customer"] is None:
            # Saved for later, as Stripe does once the payment succeeds.
            self._attach(method, self._objects[intent["customer"]])
        charge = self._charge(intent, method, paid=True)
        options = intent["payment_method_options"]["card"]
        if (
            intent["capture_method"] == "manual"
            and options.get("request_incremental_authorization") == "if_available"
        ):
            details = charge["payment_method_details"]["card"]
            details["incremental_authorization"]["status"] = "available"
        test_card = self._cards.get(method["id"])
        elevated = test_card is not None and test_card.risk_level == "elevated"
        charge["outcome"] = outcome(
            "approved_by_network",
            "elevated_risk_level" if elevated else None,
            "elevated" if elevated else "normal",
            "Stripe evaluated this payment as having elevated risk, and placed it in your "
            "manual review queue."
            if elevated
            else "Payment complete.",
            "manual_review" if elevated else "authorized",
        )
        checks = charge["payment_method_details"]["card"]["checks"]
        checks["cvc_check"] = "pass" if method["card"]["checks"]["cvc_check"] else None
        if test_card is not None and test_card.address_checks is not None:
            line1, postal = test_card.address_checks
            checks["address_line1_check"] = line1
            checks["address_postal_code_check"] = postal
        intent["next_action"] = None
        intent["last_payment_error"] = None
        amount = _cards.format_amount(charge["amount"], charge["currency"])
        if intent["capture_method"] == "manual":
            intent["status"] = "requires_capture"
            intent["amount_capturable"] = intent["amount"]
            self._emit(
                "charge.succeeded", charge, f"{charge['id']} {amount} authorized (not captured)"
            )
            self._emit(
                "payment_intent.amount_capturable_updated",
                intent,
                f"{intent['id']} {amount} capturable",
            )
            self.clock.call_later(
                AUTHORIZATION_TTL, self._expire_authorization, self._generation, intent["id"]
            )
        else:
            charge["captured"] = True
            charge["amount_captured"] = charge["amount"]
            charge["balance_transaction"] = self._balance_transaction(
                charge, charge["amount"], "charge", available=bypasses_pending(test_card)
            )
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
            self._emit("charge.succeeded", charge, f"{charge['id']} {amount} captured")
            self._emit("payment_intent.succeeded", intent, f"{intent['id']} {amount}")
            self._maybe_dispute(charge)
            self._intent_paid(intent)

    def _intent_paid(self, intent: dict[str, Any]) -> None:
        """Called once a payment intent succeeded with its charge captured: what it pays
        for (an invoice, see `Invoices`) is paid too."""

    def _expire_authorization(self, generation: int, ident: str) -> None:
        with self._lock:
            intent = self._by_type["payment_intent"].get(ident)
            if generation != self._generation or intent is None:
                return
            if intent["status"] == "requires_capture":
                self._cancel(intent, "automatic")

    def _op_authenticate(self, ident: str, *, succeed: bool = True) -> dict[str, Any]:
        intent = self._get(ident, "payment_intent", "intent", status=404)
        if intent["status"] != "requires_action":
            raise unexpected_state(
                f"This PaymentIntent has a status of {intent['status']}; only a PaymentIntent "
                "with a status of requires_action can be authenticated."
            )
        method = self._objects[intent["payment_method"]]
        if not succeed:
            intent["status"] = "requires_payment_method"
            intent["next_action"] = None
            error = InvalidRequestError(
                "The provided PaymentMethod has failed authentication. You can provide "
                "payment_method_data or a new PaymentMethod to attempt to fulfill this "
                "PaymentIntent again.",
                code="payment_intent_authentication_failure",
            )
            last_error = error.to_dict()["error"]
            last_error["payment_method"] = copy(method)
            intent["last_payment_error"] = last_error
            self._emit("payment_intent.payment_failed", intent, f"{ident} (3D Secure failed)")
            return intent
        self.record(f"3D Secure passed for {ident}", id=ident)
        scripted = self._take_failure("authenticate", api_level=False)
        if scripted is not None and scripted.code != "authentication_required":
            self._decline(intent, method, _cards.DECLINES[scripted.code], scripted)
        test_card = self._cards.get(method["id"])
        if scripted is None and test_card is not None and test_card.decline is not None:
            self._decline(intent, method, test_card.decline, None)
        self._succeed(intent, method)
        return intent

    def _op_capture_payment_intent(
        self, ident: str, *, amount_to_capture: int | None = None
    ) -> dict[str, Any]:
        intent = self._get(ident, "payment_intent", "intent", status=404)
        if intent["status"] != "requires_capture":
            raise unexpected_state(
                f"This PaymentIntent could not be captured because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                "may be captured: requires_capture."
            )
        capturable = intent["amount_capturable"]
        amount = capturable if amount_to_capture is None else amount_to_capture
        if amount > capturable:
            raise invalid(
                f"The amount to capture ({amount}) is greater than the amount capturable "
                f"on this PaymentIntent ({capturable}).",
                param="amount_to_capture",
                code="amount_too_large",
            )
        charge = self._objects[intent["latest_charge"]]
        charge["captured"] = True
        charge["amount_captured"] = amount
        charge["balance_transaction"] = self._balance_transaction(
            charge,
            amount,
            "charge",
            available=bypasses_pending(self._cards.get(charge["payment_method"])),
        )
        intent["status"] = "succeeded"
        intent["amount_capturable"] = 0
        intent["amount_received"] = amount
        formatted = _cards.format_amount(amount, intent["currency"])
        self._emit("charge.captured", charge, f"{charge['id']} {formatted}")
        self._emit("payment_intent.succeeded", intent, f"{ident} {formatted} captured")
        self._maybe_dispute(charge)
        return intent

    def _op_cancel_payment_intent(
        self, ident: str, *, cancellation_reason: str | None = None
    ) -> dict[str, Any]:
        intent = self._get(ident, "payment_intent", "intent", status=404)
        if intent["status"] not in _CANCELABLE:
            raise unexpected_state(
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                f"may be canceled: {', '.join(_CANCELABLE)}."
            )
        self._cancel(intent, cancellation_reason)
        return intent

    def _cancel(self, intent: dict[str, Any], reason: str | None) -> None:
        if intent["status"] == "requires_capture":
            charge = self._objects[intent["latest_charge"]]
            charge["refunded"] = True
            charge["amount_refunded"] = charge["amount"]
        intent["status"] = "canceled"
        intent["canceled_at"] = self._now()
        intent["cancellation_reason"] = reason
        intent["amount_capturable"] = 0
        intent["next_action"] = None
        self._emit(
            "payment_intent.canceled", intent, intent["id"] + (f" ({reason})" if reason else "")
        )
