"""The Python API of payment intents: one method per row of the operations table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fixturekit._internal.checks import check_bool, keywords
from fixturekit.payments._calls import ResourceCalls
from fixturekit.payments._objects import PaymentsObject

__all__ = ["IntentCalls"]


class IntentCalls(ResourceCalls):
    """`FakePayments`' methods for payment intents."""

    @keywords
    def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        customer: str | None = None,
        payment_method: str | None = None,
        confirm: bool = False,
        capture_method: str = "automatic",
        idempotency_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        description: str | None = None,
        receipt_email: str | None = None,
        payment_method_data: Mapping[str, Any] | None = None,
        automatic_payment_methods: Mapping[str, Any] | None = None,
        payment_method_types: Iterable[str] | None = None,
        payment_method_options: Mapping[str, Any] | None = None,
        return_url: str | None = None,
        off_session: bool | str | None = None,
        setup_future_usage: str | None = None,
        statement_descriptor: str | None = None,
        statement_descriptor_suffix: str | None = None,
        error_on_requires_action: bool | None = None,
        shipping: Mapping[str, Any] | None = None,
        transfer_group: str | None = None,
        confirmation_method: str | None = None,
        use_stripe_sdk: bool | None = None,
        excluded_payment_method_types: Iterable[str] | None = None,
    ) -> PaymentsObject:
        """Create a payment intent; with ``confirm=True`` it is confirmed at once.

        ``payment_method_data={"type": "card", "card": {"token": "tok_visa"}}`` creates
        the payment method on the way; ``setup_future_usage`` saves it to the customer
        once the payment succeeds; ``automatic_payment_methods={"enabled": True}``
        needs a ``return_url`` to confirm unless ``"allow_redirects": "never"``;
        ``payment_method_options={"card": {"request_three_d_secure": "any"}}`` asks
        for 3D Secure on every card that supports it, and
        ``{"card": {"request_incremental_authorization": "if_available"}}`` with
        ``capture_method="manual"`` allows `increment_authorization`.

        ``amount`` is an int in the currency's smallest unit (cents; yen for ``jpy``).
        A decline raises `CardError`, the intent is left in ``requires_payment_method``
        with ``last_payment_error`` set; a card that needs 3D Secure leaves it in
        ``requires_action`` (finish with `authenticate`).
        """
        return self._run("create_payment_intent", locals())

    @keywords
    def update_payment_intent(
        self,
        id: str,
        *,
        amount: int | None = None,
        currency: str | None = None,
        customer: str | None = None,
        payment_method: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        description: str | None = None,
        receipt_email: str | None = None,
        capture_method: str | None = None,
        payment_method_data: Mapping[str, Any] | None = None,
        setup_future_usage: str | None = None,
        shipping: Mapping[str, Any] | None = None,
        payment_method_options: Mapping[str, Any] | None = None,
        statement_descriptor: str | None = None,
        statement_descriptor_suffix: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Change a payment intent that is not confirmed yet."""
        return self._run("update_payment_intent", locals())

    @keywords
    def confirm_payment_intent(
        self,
        id: str,
        *,
        payment_method: str | None = None,
        payment_method_data: Mapping[str, Any] | None = None,
        return_url: str | None = None,
        off_session: bool | str | None = None,
        error_on_requires_action: bool | None = None,
        setup_future_usage: str | None = None,
        capture_method: str | None = None,
        receipt_email: str | None = None,
        shipping: Mapping[str, Any] | None = None,
        payment_method_options: Mapping[str, Any] | None = None,
        use_stripe_sdk: bool | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Confirm: charge the payment method (or require 3D Secure, or decline)."""
        return self._run("confirm_payment_intent", locals())

    @keywords
    def capture_payment_intent(
        self, id: str, *, amount_to_capture: int | None = None, idempotency_key: str | None = None
    ) -> PaymentsObject:
        """Capture an authorized (``capture_method="manual"``) intent, all or part of it."""
        return self._run("capture_payment_intent", locals())

    @keywords
    def cancel_payment_intent(
        self, id: str, *, cancellation_reason: str | None = None, idempotency_key: str | None = None
    ) -> PaymentsObject:
        """Cancel an intent that has not succeeded (an authorization is released)."""
        return self._run("cancel_payment_intent", locals())

    @keywords
    def authenticate(self, id: str, *, succeed: bool = True) -> PaymentsObject:
        """Play the customer's part in 3D Secure for a payment or setup intent
        (``pi_...``/``seti_...``) in ``requires_action``:
        on success the charge goes through (capture as configured), otherwise the intent
        goes back to ``requires_payment_method`` with an authentication failure."""
        check_bool(succeed, "succeed")
        return self._run("authenticate", locals())

    @keywords
    def increment_authorization(
        self,
        id: str,
        *,
        amount: int,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        statement_descriptor: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Raise the authorized ``amount`` (the new total) of an intent in
        ``requires_capture`` created with ``request_incremental_authorization``."""
        return self._run("increment_authorization", locals())

    @keywords
    def create_setup_intent(
        self,
        *,
        customer: str | None = None,
        payment_method: str | None = None,
        payment_method_data: Mapping[str, Any] | None = None,
        confirm: bool | None = None,
        usage: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        automatic_payment_methods: Mapping[str, Any] | None = None,
        payment_method_types: Iterable[str] | None = None,
        payment_method_options: Mapping[str, Any] | None = None,
        return_url: str | None = None,
        use_stripe_sdk: bool | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Create a setup intent: save a card for later without charging it. Confirmed
        (``confirm=True`` or `confirm_setup_intent`), it verifies the card: a decline
        card raises `CardError`, a card that needs 3D Secure leaves it in
        ``requires_action`` (finish with `authenticate`); on success the card is
        attached to ``customer``."""
        return self._run("create_setup_intent", locals())

    @keywords
    def update_setup_intent(
        self,
        id: str,
        *,
        customer: str | None = None,
        payment_method: str | None = None,
        payment_method_data: Mapping[str, Any] | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Change a setup intent that has not succeeded yet."""
        return self._run("update_setup_intent", locals())

    @keywords
    def confirm_setup_intent(
        self,
        id: str,
        *,
        payment_method: str | None = None,
        payment_method_data: Mapping[str, Any] | None = None,
        payment_method_options: Mapping[str, Any] | None = None,
        return_url: str | None = None,
        use_stripe_sdk: bool | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Confirm a setup intent: verify and save the card (or ask for 3D Secure)."""
        return self._run("confirm_setup_intent", locals())

    @keywords
    def cancel_setup_intent(
        self, id: str, *, cancellation_reason: str | None = None, idempotency_key: str | None = None
    ) -> PaymentsObject:
        """Cancel a setup intent that has not succeeded."""
        return self._run("cancel_setup_intent", locals())
