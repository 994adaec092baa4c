"""The Python API of subscriptions and invoices: one method per row of the operations
table, plus `configure_billing` (what failed renewals do)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fixturekit._internal.checks import keywords
from fixturekit.payments._calls import ResourceCalls
from fixturekit.payments._objects import PaymentsObject
from fixturekit.payments._subscriptions import FINAL_STATUSES

__all__ = ["BillingCalls"]


class BillingCalls(ResourceCalls):
    """`FakePayments`' methods for Billing."""

    _retry_days: tuple[int, ...]
    _final_status: str

    @property
    def subscriptions(self) -> list[PaymentsObject]:
        """Every subscription, oldest first, canceled ones included."""
        return self._all("subscription")

    @property
    def invoices(self) -> list[PaymentsObject]:
        """Every invoice, oldest first."""
        return self._all("invoice")

    @keywords
    def configure_billing(
        self, *, retry_days: Iterable[int] | None = None, final_status: str | None = None
    ) -> None:
        """Set what a failed renewal does (configuration: `reset` keeps it).

        ``retry_days``: days after each failed attempt until the next one (default
        ``(3, 5, 7)``: Stripe's Smart Retries, simplified to a fixed schedule on the
        clock; ``()`` retries never). ``final_status``: what the subscription becomes
        when the last retry fails, as Stripe's "if all retries fail" setting:
        ``"canceled"`` (default), ``"unpaid"`` (later invoices stay drafts) or
        ``"past_due"`` (left as it is).
        """
        if retry_days is not None:
            days = tuple(retry_days) if isinstance(retry_days, Iterable) else retry_days
            if not isinstance(days, tuple) or not all(
                isinstance(day, int) and not isinstance(day, bool) and day >= 1 for day in days
            ):
                raise ValueError(
                    f"configure_billing()'s retry_days= must be whole days >= 1, such as "
                    f"(3, 5, 7), not {retry_days!r}"
                )
            self._retry_days = days
        if final_status is not None:
            if final_status not in FINAL_STATUSES:
                raise ValueError(
                    f"configure_billing()'s final_status= must be one of "
                    f"{', '.join(FINAL_STATUSES)}, not {final_status!r}"
                )
            self._final_status = final_status
        self.record(
            f"billing: retries after {self._retry_days} days, then {self._final_status}",
            retry_days=self._retry_days,
            final_status=self._final_status,
        )

    @keywords
    def create_subscription(
        self,
        *,
        customer: str,
        items: Iterable[Mapping[str, Any]],
        default_payment_method: str | None = None,
        trial_period_days: int | None = None,
        trial_end: int | str | None = None,
        cancel_at_period_end: bool | None = None,
        payment_behavior: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        description: str | None = None,
        proration_behavior: str | None = None,
        collection_method: str | None = None,
        off_session: bool | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Subscribe ``customer`` to ``items`` (``[{"price": ..., "quantity": 1}]``):
        its first invoice is charged now to ``default_payment_method`` (or the
        customer's ``invoice_settings.default_payment_method``), then each period on
        the clock. A trial (``trial_period_days``, ``trial_end``) bills nothing until it
        ends. A declined first payment leaves it ``incomplete``."""
        items = [dict(item) for item in items]
        return self._run("create_subscription", locals())

    @keywords
    def update_subscription(
        self,
        id: str,
        *,
        items: Iterable[Mapping[str, Any]] | None = None,
        default_payment_method: str | None = None,
        cancel_at_period_end: bool | None = None,
        trial_end: int | str | None = None,
        metadata: Mapping[str, Any] | None = None,
        description: str | None = None,
        proration_behavior: str | None = None,
        payment_behavior: str | None = None,
        off_session: bool | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Change a subscription: ``items=[{"id": "si_...", "price": ..., "quantity": ...}]``
        (billed from the next renewal: prorations are left out),
        ``cancel_at_period_end``, ``trial_end`` (``"now"`` ends the trial and bills),
        ``default_payment_method``, ``metadata``."""
        if items is not None:
            items = [dict(item) for item in items]
        return self._run("update_subscription", locals())

    @keywords
    def cancel_subscription(
        self,
        id: str,
        *,
        invoice_now: bool | None = None,
        prorate: bool | None = None,
        cancellation_details: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Cancel a subscription now (``customer.subscription.deleted``)."""
        return self._run("cancel_subscription", locals())

    @keywords
    def pay_invoice(
        self,
        id: str,
        *,
        payment_method: str | None = None,
        off_session: bool | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Attempt an open invoice now, with ``payment_method`` or the default one; a
        decline raises `CardError`. Paying a ``past_due`` subscription's latest
        invoice makes it ``active`` again."""
        return self._run("pay_invoice", locals())
