"""The Python API of customers, payment methods, charges, refunds and search: one
method per row of the operations table, each a thin call of `perform`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fixturekit._internal.checks import keywords
from fixturekit.payments._core import PaymentsCore
from fixturekit.payments._objects import PaymentsObject
from fixturekit.payments._operations import CALLS, perform

__all__ = ["ResourceCalls"]


class ResourceCalls(PaymentsCore):
    """`FakePayments`' methods for customers, payment methods, charges and refunds."""

    # --- operations: each runs its row of the operations table -----------------------

    def _run(self, operation: str, arguments: Mapping[str, Any]) -> PaymentsObject:
        """Run ``operation`` with a method's arguments (its ``locals()``): ``id`` is the
        target, ``idempotency_key`` the key, the others are parameters (None: not given)."""
        given = {
            name: value
            for name, value in arguments.items()
            if name not in ("self", "id", "idempotency_key") and value is not None
        }
        target, key = arguments.get("id"), arguments.get("idempotency_key")
        return perform(self, CALLS[operation], target, given, key)[0]

    @keywords
    def create_customer(
        self,
        *,
        email: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        payment_method: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Create a customer; ``payment_method`` attaches one (a ``pm_...`` id or token)."""
        return self._run("create_customer", locals())

    @keywords
    def update_customer(
        self,
        id: str,
        *,
        email: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        invoice_settings: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Change a customer's fields; ``metadata`` merges (a value of ``""`` removes a key)."""
        return self._run("update_customer", locals())

    @keywords
    def delete_customer(self, id: str, *, idempotency_key: str | None = None) -> PaymentsObject:
        """Delete a customer (its payment methods are detached); returns the deletion stub."""
        return self._run("delete_customer", locals())

    @keywords
    def create_payment_method(
        self,
        *,
        card: str | Mapping[str, Any],
        billing_details: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        type: str = "card",
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Create a card payment method from a test card number, a ``tok_...`` token, or
        ``{"number": ..., "exp_month": ..., "exp_year": ..., "cvc": ...}``."""
        return self._run("create_payment_method", locals())

    @keywords
    def attach_payment_method(
        self, id: str, *, customer: str, idempotency_key: str | None = None
    ) -> PaymentsObject:
        """Attach a payment method to a customer."""
        return self._run("attach_payment_method", locals())

    @keywords
    def detach_payment_method(
        self, id: str, *, idempotency_key: str | None = None
    ) -> PaymentsObject:
        """Detach a payment method from its customer."""
        return self._run("detach_payment_method", locals())

    @keywords
    def create_refund(
        self,
        *,
        payment_intent: str | None = None,
        charge: str | None = None,
        amount: int | None = None,
        reason: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Refund a captured payment, in full (no ``amount``) or in part; never more than
        what was captured and not refunded yet."""
        return self._run("create_refund", locals())

    @keywords
    def update_payment_method(
        self,
        id: str,
        *,
        billing_details: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        card: Mapping[str, Any] | None = None,
        allow_redisplay: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Change a saved payment method: ``billing_details`` (merged), ``metadata``,
        the card's ``exp_month``/``exp_year``; it must be attached to a customer."""
        return self._run("update_payment_method", locals())

    @keywords
    def create_charge(
        self,
        *,
        amount: int,
        currency: str,
        customer: str | None = None,
        source: str | None = None,
        capture: bool | None = None,
        metadata: Mapping[str, Any] | None = None,
        description: str | None = None,
        receipt_email: str | None = None,
        transfer_group: str | None = None,
        statement_descriptor: str | None = None,
        statement_descriptor_suffix: str | None = None,
        shipping: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Charge directly (the Charges API): ``source`` is a ``tok_...`` token or a
        payment method; without it, the customer's default (or latest) saved card.
        ``capture=False`` only authorizes (finish with `capture_charge`). Cards that
        need 3D Secure decline with ``authentication_required``."""
        return self._run("create_charge", locals())

    @keywords
    def update_charge(
        self,
        id: str,
        *,
        description: str | None = None,
        receipt_email: str | None = None,
        transfer_group: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        shipping: Mapping[str, Any] | None = None,
        fraud_details: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Change a charge's description, receipt email, metadata, shipping or
        ``fraud_details`` (``{"user_report": "fraudulent"}``)."""
        return self._run("update_charge", locals())

    @keywords
    def capture_charge(
        self,
        id: str,
        *,
        amount: int | None = None,
        receipt_email: str | None = None,
        statement_descriptor: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Capture an authorized charge (its payment intent's too), all or ``amount``."""
        return self._run("capture_charge", locals())

    @keywords
    def update_refund(
        self,
        id: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Change a refund's metadata."""
        return self._run("update_refund", locals())

    @keywords
    def cancel_refund(self, id: str, *, idempotency_key: str | None = None) -> PaymentsObject:
        """Cancel a refund waiting for the customer (``requires_action``); card refunds
        never wait, so this is Stripe's refusal for them."""
        return self._run("cancel_refund", locals())

    @keywords
    def search_customers(
        self, *, query: str, limit: int | None = None, page: str | None = None
    ) -> PaymentsObject:
        """Customers matching a Stripe search query (``email:'ada@example.com'``)."""
        return self._run("search_customers", locals())

    @keywords
    def search_payment_intents(
        self, *, query: str, limit: int | None = None, page: str | None = None
    ) -> PaymentsObject:
        """Payment intents matching a Stripe search query (``status:'succeeded'``)."""
        return self._run("search_payment_intents", locals())

    @keywords
    def search_charges(
        self, *, query: str, limit: int | None = None, page: str | None = None
    ) -> PaymentsObject:
        """Charges matching a Stripe search query (``amount>1000 AND refunded:'false'``)."""
        return self._run("search_charges", locals())

    @keywords
    def update_dispute(
        self,
        id: str,
        *,
        evidence: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        submit: bool | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Answer a dispute: ``evidence`` (``{"uncategorized_text": "winning_evidence"}``
        wins it at once, ``"losing_evidence"`` loses it), submitted unless
        ``submit=False``."""
        return self._run("update_dispute", locals())

    @keywords
    def close_dispute(self, id: str, *, idempotency_key: str | None = None) -> PaymentsObject:
        """Accept a dispute: it is lost (an inquiry is closed)."""
        return self._run("close_dispute", locals())
