"""Setup intents: save a card for later without charging it, with 3D Secure when the
card asks for it (mandates are left out)."""

from __future__ import annotations

from typing import Any

from fixturekit.errors import CardError, InvalidRequestError
from fixturekit.payments import _cards
from fixturekit.payments._charging import Charging, check_return_url
from fixturekit.payments._objects import copy
from fixturekit.payments._params import invalid, merge_metadata

__all__ = ["SETUP_CANCELLATION_REASONS", "SetupIntents"]

SETUP_CANCELLATION_REASONS = ("abandoned", "requested_by_customer", "duplicate")

_OPEN = ("requires_payment_method", "requires_confirmation", "requires_action")


def _unexpected(message: str) -> InvalidRequestError:
    return InvalidRequestError(message, code="setup_intent_unexpected_state")


class SetupIntents(Charging):
    """The handlers of ``/v1/setup_intents`` and its confirm and cancel."""

    def _op_create_setup_intent(
        self,
        *,
        customer: str | None = None,
        payment_method: str | None = None,
        payment_method_data: dict[str, Any] | None = None,
        confirm: bool = False,
        usage: str = "off_session",
        description: str | None = None,
        metadata: Any = None,
        automatic_payment_methods: dict[str, Any] | None = None,
        payment_method_types: list[str] | None = None,
        payment_method_options: dict[str, Any] | None = None,
        return_url: str | None = None,
        use_stripe_sdk: bool | None = None,
    ) -> dict[str, Any]:
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
        if confirm:
            check_return_url(automatic_payment_methods, return_url)
        owner = None if customer is None else self._get(customer, "customer", "customer")
        method = self._method_for(payment_method, payment_method_data)
        if confirm and method is None:
            raise invalid(
                "You cannot confirm this SetupIntent because it's missing a payment method.",
                param="payment_method",
                code="setup_intent_unexpected_state",
            )
        ident = self._new_id("seti")
        intent: dict[str, Any] = {
            "id": ident,
            "object": "setup_intent",
            "application": None,
            "automatic_payment_methods": automatic_payment_methods,
            "cancellation_reason": None,
            "client_secret": f"{ident}_secret_{self._random(25)}",
            "created": self._now(),
            "customer": None if owner is None else owner["id"],
            "description": description,
            "excluded_payment_method_types": None,
            "flow_directions": None,
            "last_setup_error": None,
            "latest_attempt": None,
            "livemode": False,
            "mandate": None,
            "metadata": merge_metadata({}, metadata),
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": None if method is None else method["id"],
            "payment_method_configuration_details": None,
            "payment_method_options": payment_method_options
            or {"card": {"request_three_d_secure": "automatic"}},
            "payment_method_types": payment_method_types or ["card"],
            "single_use_mandate": None,
            "status": "requires_payment_method" if method is None else "requires_confirmation",
            "usage": usage,
        }
        self._store(intent)
        self._emit("setup_intent.created", intent, ident + (f" ({owner['id']})" if owner else ""))
        if confirm:
            self._set_up(intent, return_url)
        return intent

    def _op_update_setup_intent(self, ident: str, **changes: Any) -> dict[str, Any]:
        intent = self._get(ident, "setup_intent", "intent", status=404)
        if intent["status"] not in _OPEN:
            raise _unexpected(
                f"You cannot update this SetupIntent because it has a status of {intent['status']}."
            )
        if "customer" in changes:
            intent["customer"] = self._get(changes["customer"], "customer", "customer")["id"]
        method = self._method_for(changes.get("payment_method"), changes.get("payment_method_data"))
        if method is not None:
            intent["payment_method"] = method["id"]
            if intent["status"] == "requires_payment_method":
                intent["status"] = "requires_confirmation"
        if "metadata" in changes:
            intent["metadata"] = merge_metadata(intent["metadata"], changes["metadata"])
        if "description" in changes:
            intent["description"] = changes["description"] or None
        return intent

    def _op_confirm_setup_intent(
        self,
        ident: str,
        *,
        payment_method: str | None = None,
        payment_method_data: dict[str, Any] | None = None,
        payment_method_options: dict[str, Any] | None = None,
        return_url: str | None = None,
        use_stripe_sdk: bool | None = None,
    ) -> dict[str, Any]:
        intent = self._get(ident, "setup_intent", "intent", status=404)
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise _unexpected(
                f"You cannot confirm this SetupIntent because it has a status of "
                f"{intent['status']}."
            )
        method = self._method_for(payment_method, payment_method_data)
        if method is not None:
            intent["payment_method"] = method["id"]
        if intent["payment_method"] is None:
            raise _unexpected(
                "You cannot confirm this SetupIntent because it's missing a payment method."
            )
        if payment_method_options is not None:
            intent["payment_method_options"]["card"].update(payment_method_options["card"])
        check_return_url(intent["automatic_payment_methods"], return_url)
        self._set_up(intent, return_url)
        return intent

    def _set_up(self, intent: dict[str, Any], return_url: str | None) -> None:
        """Verify the card: succeed, ask for 3D Secure, or fail as the card says."""
        method = self._objects[intent["payment_method"]]
        if intent["customer"] and method["customer"] not in (None, intent["customer"]):
            raise invalid(
                f"The provided PaymentMethod ({method['id']}) belongs to another Customer "
                f"({method['customer']}).",
                param="payment_method",
            )
        card = self._cards.get(method["id"])
        request = intent["payment_method_options"]["card"]["request_three_d_secure"]
        asks = card is not None and (
            card.authentication in ("required", "unless_set_up")
            or (request != "automatic" and card.authentication != "not_supported")
        )
        if asks:
            self._require_action(intent, return_url, kind="setup_intent")
            return
        self._finish_setup(intent, method)

    def _finish_setup(self, intent: dict[str, Any], method: dict[str, Any]) -> None:
        card = self._cards.get(method["id"])
        if card is None:
            self._fail_setup(intent, method, _cards.DECLINES["generic_decline"], live=True)
        elif card.decline is not None and not card.attach_then_fail:
            self._fail_setup(intent, method, card.decline)
        if intent["customer"] and method["customer"] is None:
            self._attach(method, self._objects[intent["customer"]])
        intent["status"] = "succeeded"
        intent["next_action"] = None
        intent["last_setup_error"] = None
        self._emit("setup_intent.succeeded", intent, f"{intent['id']} ({method['id']} saved)")

    def _fail_setup(
        self,
        intent: dict[str, Any],
        method: dict[str, Any],
        decline: _cards.Decline,
        *,
        live: bool = False,
    ) -> None:
        message = decline.message
        if live:
            message = (
                "Your card was declined. Your request was in test mode, but used a non test "
                "(live) card. For a list of valid test cards, visit: "
                "https://stripe.com/docs/testing."
            )
        error = CardError(
            message,
            code=decline.code,
            decline_code="test_mode_live_card" if live else decline.decline_code,
            param=decline.param,
        )
        intent["status"] = "requires_payment_method"
        intent["next_action"] = None
        last_error = error.to_dict()["error"]
        last_error["payment_method"] = copy(method)
        intent["last_setup_error"] = last_error
        self._emit("setup_intent.setup_failed", intent, f"{intent['id']} ({error.decline_code})")
        raise error

    def _op_authenticate(self, ident: str, *, succeed: bool = True) -> dict[str, Any]:
        """The ``authenticate`` helper, for setup intents (``seti_...``) too."""
        if not (isinstance(ident, str) and ident.startswith("seti_")):
            return super()._op_authenticate(ident, succeed=succeed)
        intent = self._get(ident, "setup_intent", "intent", status=404)
        if intent["status"] != "requires_action":
            raise _unexpected(
                f"This SetupIntent has a status of {intent['status']}; only a SetupIntent "
                "with a status of requires_action can be authenticated."
            )
        method = self._objects[intent["payment_method"]]
        if not succeed:
            intent["status"] = "requires_payment_method"
            intent["next_action"] = None
            intent["last_setup_error"] = {
                "code": "setup_intent_authentication_failure",
                "message": "The latest attempt to set up the payment method has failed "
                "because authentication failed.",
                "payment_method": copy(method),
                "type": "invalid_request_error",
            }
            self._emit("setup_intent.setup_failed", intent, f"{intent['id']} (3D Secure failed)")
            return intent
        self.record(f"3D Secure passed for {intent['id']}", id=intent["id"])
        self._finish_setup(intent, method)
        return intent

    def _op_cancel_setup_intent(
        self, ident: str, *, cancellation_reason: str | None = None
    ) -> dict[str, Any]:
        intent = self._get(ident, "setup_intent", "intent", status=404)
        if intent["status"] not in _OPEN:
            raise _unexpected(
                f"You cannot cancel this SetupIntent because it has a status of {intent['status']}."
            )
        intent["status"] = "canceled"
        intent["cancellation_reason"] = cancellation_reason
        intent["next_action"] = None
        self._emit("setup_intent.canceled", intent, intent["id"])
        return intent
