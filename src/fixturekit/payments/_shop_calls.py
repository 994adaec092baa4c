"""The Python API of products, prices and Checkout Sessions: one method per row of
the operations table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fixturekit._internal.checks import check_bool, keywords
from fixturekit.payments._calls import ResourceCalls
from fixturekit.payments._objects import PaymentsObject

__all__ = ["ShopCalls"]


class ShopCalls(ResourceCalls):
    """`FakePayments`' methods for the catalog and Checkout."""

    @keywords
    def create_product(
        self,
        *,
        name: str,
        active: bool | None = None,
        metadata: Mapping[str, Any] | None = None,
        description: str | None = None,
        url: str | None = None,
        unit_label: str | None = None,
        tax_code: str | None = None,
        images: Iterable[str] | None = None,
        statement_descriptor: str | None = None,
        shippable: bool | None = None,
        default_price_data: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Create a product; ``default_price_data={"currency": ..., "unit_amount": ...,
        "recurring": {...}}`` creates its default price too."""
        return self._run("create_product", locals())

    @keywords
    def update_product(
        self,
        id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        url: str | None = None,
        active: bool | None = None,
        metadata: Mapping[str, Any] | None = None,
        images: Iterable[str] | None = None,
        statement_descriptor: str | None = None,
        default_price: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Change a product (``active=False`` archives it)."""
        return self._run("update_product", locals())

    @keywords
    def delete_product(self, id: str, *, idempotency_key: str | None = None) -> PaymentsObject:
        """Delete a product that has no prices (archive the others)."""
        return self._run("delete_product", locals())

    @keywords
    def create_price(
        self,
        *,
        currency: str,
        product: str | None = None,
        product_data: Mapping[str, Any] | None = None,
        unit_amount: int | None = None,
        recurring: Mapping[str, Any] | None = None,
        nickname: str | None = None,
        lookup_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        active: bool | None = None,
        tax_behavior: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Create a price of ``product`` (or of a new one from ``product_data``): one-time,
        or ``recurring={"interval": "month", "interval_count": 1}``."""
        return self._run("create_price", locals())

    @keywords
    def update_price(
        self,
        id: str,
        *,
        active: bool | None = None,
        nickname: str | None = None,
        lookup_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        tax_behavior: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Change a price's metadata, nickname, lookup key, or archive it."""
        return self._run("update_price", locals())

    @keywords
    def create_checkout_session(
        self,
        *,
        mode: str,
        line_items: Iterable[Mapping[str, Any]] | None = None,
        success_url: str | None = None,
        cancel_url: str | None = None,
        client_reference_id: str | None = None,
        customer_email: str | None = None,
        locale: str | None = None,
        customer: str | None = None,
        customer_creation: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        payment_intent_data: Mapping[str, Any] | None = None,
        payment_method_types: Iterable[str] | None = None,
        expires_at: int | None = None,
        submit_type: str | None = None,
        billing_address_collection: str | None = None,
        allow_promotion_codes: bool | None = None,
        subscription_data: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Create an ``open`` Checkout Session from ``line_items`` (``{"price": ...,
        "quantity": ...}`` or ``{"price_data": ...}``): ``mode="payment"`` (one-time
        prices), ``"subscription"`` (recurring prices; ``subscription_data`` takes
        ``trial_period_days``, ``trial_end``, ``metadata``, ``description``) or
        ``"setup"`` (no items). It has a ``url`` and ``amount_total``, and expires after
        24 hours on the clock."""
        if line_items is not None:
            line_items = [dict(item) for item in line_items]
        return self._run("create_checkout_session", locals())

    @keywords
    def expire_checkout_session(
        self, id: str, *, idempotency_key: str | None = None
    ) -> PaymentsObject:
        """Expire an open session (its payment intent, if any, is canceled)."""
        return self._run("expire_checkout_session", locals())

    @keywords
    def complete_checkout_session(
        self,
        id: str,
        *,
        payment_method: str,
        email: str | None = None,
        name: str | None = None,
        authenticate: bool | None = None,
    ) -> PaymentsObject:
        """Play the customer on the hosted page: pay with ``payment_method``
        (``"pm_card_visa"``...). 3D Secure passes, unless ``authenticate=False``; a
        decline or a failed authentication raises `CardError` and leaves the session
        ``open`` for another try. Then the session is ``complete`` and ``paid``, its
        payment intent succeeded (in subscription mode: the card saved to the customer,
        the subscription created and its first invoice paid), and
        ``checkout.session.completed`` is emitted."""
        if authenticate is not None:
            check_bool(authenticate, "authenticate")
        return self._run("complete_checkout_session", locals())
