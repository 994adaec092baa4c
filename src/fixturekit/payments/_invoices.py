"""Invoices of subscriptions: created, finalized and charged through a payment intent
(the same charging path as every payment), paid or failed; ``/v1/invoices`` and
``POST /v1/invoices/{id}/pay``.

`Subscriptions` decides when an invoice is made (creation, each period end) and what a
failure does to the subscription (`_invoice_failed_for`); this module holds the
invoice itself.
"""

from __future__ import annotations

from typing import Any

from fixturekit.errors import CardError, InvalidRequestError
from fixturekit.payments import _cards
from fixturekit.payments._intents import PaymentIntents
from fixturekit.payments._objects import copy

__all__ = ["RETRY_DAYS", "Invoices"]

#: Days after each failed renewal until the next attempt (three retries).
RETRY_DAYS: tuple[int, ...] = (3, 5, 7)

_PAYABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


class Invoices(PaymentIntents):
    """The handlers of ``/v1/invoices``; invoices made and charged for subscriptions."""

    #: Days after each failed automatic attempt until the next (`configure_billing`).
    _retry_days: tuple[int, ...] = RETRY_DAYS

    # --- hooks `Subscriptions` fills in ------------------------------------------------

    def _invoice_paid_for(self, invoice: dict[str, Any]) -> None:
        """The invoice of a subscription was paid."""

    def _invoice_failed_for(self, invoice: dict[str, Any], automatic: bool) -> None:
        """A payment attempt of the invoice failed (``automatic``: not a manual ``pay``)."""

    # --- making invoices ---------------------------------------------------------------

    def _new_invoice(
        self,
        subscription: dict[str, Any],
        reason: str,
        period: tuple[int, int],
        line_period: tuple[int, int],
    ) -> dict[str, Any]:
        """A draft invoice of the subscription's items for ``line_period`` (emitted)."""
        customer = self._objects[subscription["customer"]]
        ident = "in_" + self._random(24)
        lines = []
        for item in subscription["items"]["data"]:
            price = item["price"]
            amount = price["unit_amount"] * item["quantity"]
            product = self._objects.get(price["product"], {})
            name = product.get("name", price["product"])
            lines.append(
                {
                    "id": "il_" + self._random(24),
                    "object": "line_item",
                    "amount": amount,
                    "amount_excluding_tax": amount,
                    "currency": price["currency"],
                    "description": f"{item['quantity']} \N{MULTIPLICATION SIGN} {name}",
                    "discount_amounts": [],
                    "discountable": True,
                    "discounts": [],
                    "invoice": ident,
                    "livemode": False,
                    "metadata": {},
                    "period": {"end": line_period[1], "start": line_period[0]},
                    "plan": copy(item["plan"]),
                    "price": copy(price),
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "quantity": item["quantity"],
                    "subscription": subscription["id"],
                    "subscription_item": item["id"],
                    "tax_amounts": [],
                    "tax_rates": [],
                    "type": "subscription",
                    "unit_amount_excluding_tax": str(price["unit_amount"]),
                }
            )
        total = sum(line["amount"] for line in lines)
        now = self._now()
        invoice: dict[str, Any] = {
            "id": ident,
            "object": "invoice",
            "account_country": "US",
            "account_name": "fixturekit",
            "amount_due": total,
            "amount_paid": 0,
            "amount_remaining": total,
            "amount_shipping": 0,
            "application": None,
            "attempt_count": 0,
            "attempted": False,
            "auto_advance": True,
            "automatic_tax": {"enabled": False, "liability": None, "status": None},
            "billing_reason": reason,
            "charge": None,
            "collection_method": "charge_automatically",
            "created": now,
            "currency": subscription["currency"],
            "custom_fields": None,
            "customer": customer["id"],
            "customer_address": None,
            "customer_email": customer["email"],
            "customer_name": customer["name"],
            "customer_phone": customer["phone"],
            "default_payment_method": None,
            "description": None,
            "discount": None,
            "discounts": [],
            "due_date": None,
            "effective_at": None,
            "ending_balance": None,
            "footer": None,
            "hosted_invoice_url": None,
            "invoice_pdf": None,
            "last_finalization_error": None,
            "lines": {
                "object": "list",
                "data": lines,
                "has_more": False,
                "url": f"/v1/invoices/{ident}/lines",
            },
            "livemode": False,
            "metadata": {},
            "next_payment_attempt": None,
            "number": None,
            "paid": False,
            "paid_out_of_band": False,
            "payment_intent": None,
            "period_end": period[1],
            "period_start": period[0],
            "starting_balance": 0,
            "statement_descriptor": None,
            "status": "draft",
            "status_transitions": {
                "finalized_at": None,
                "marked_uncollectible_at": None,
                "paid_at": None,
                "voided_at": None,
            },
            "subscription": subscription["id"],
            "subtotal": total,
            "subtotal_excluding_tax": total,
            "tax": None,
            "total": total,
            "total_discount_amounts": [],
            "total_excluding_tax": total,
            "total_tax_amounts": [],
            "webhooks_delivered_at": now,
        }
        self._store(invoice)
        subscription["latest_invoice"] = ident
        amount = _cards.format_amount(total, invoice["currency"])
        self._emit("invoice.created", invoice, f"{ident} {amount} for {subscription['id']}")
        return invoice

    def _finalize(self, invoice: dict[str, Any]) -> None:
        """Draft to ``open``: numbered, with its payment intent (a zero total is paid)."""
        customer = self._objects.get(invoice["customer"])
        sequence = 1
        if customer is not None and not customer.get("deleted"):
            sequence = customer["next_invoice_sequence"]
            customer["next_invoice_sequence"] += 1
            invoice["number"] = f"{customer['invoice_prefix']}-{sequence:04d}"
        now = self._now()
        ident = invoice["id"]
        invoice["status"] = "open"
        invoice["effective_at"] = now
        invoice["ending_balance"] = 0
        invoice["status_transitions"]["finalized_at"] = now
        invoice["hosted_invoice_url"] = f"https://invoice.stripe.com/i/{ident}"
        invoice["invoice_pdf"] = f"https://pay.stripe.com/invoice/{ident}/pdf"
        if invoice["amount_due"] > 0:
            intent = self._op_create_payment_intent(
                amount=invoice["amount_due"],
                currency=invoice["currency"],
                customer=invoice["customer"],
                description="Subscription creation"
                if invoice["billing_reason"] == "subscription_create"
                else "Subscription update",
            )
            invoice["payment_intent"] = intent["id"]
        self._emit("invoice.finalized", invoice, f"{ident} {invoice['number']}")
        if invoice["amount_due"] == 0:
            self._mark_paid(invoice)

    # --- paying them -------------------------------------------------------------------

    def _charge_invoice(
        self,
        invoice: dict[str, Any],
        method_id: str | None,
        *,
        operation: str,
        off_session: bool,
        automatic: bool,
    ) -> bool:
        """Charge the open invoice with ``method_id`` through its payment intent; True
        when paid. A decline (or no payment method) emits ``invoice.payment_failed``;
        a card that asks for 3D Secure on session leaves it open, waiting."""
        invoice["attempted"] = True
        invoice["attempt_count"] += 1
        intent = self._objects[invoice["payment_intent"]]
        if method_id is None:
            self._payment_failed(invoice, automatic, "no payment method")
            return False
        method = self._payment_method(method_id)
        intent["payment_method"] = method["id"]
        try:
            self._confirm(
                intent,
                operation=operation,
                return_url=None,
                off_session=off_session,
                error_on_requires_action=False,
            )
        except CardError as error:
            self._payment_failed(invoice, automatic, error.decline_code or error.code or "")
            if not automatic:
                raise
            return False
        return bool(invoice["paid"])

    def _payment_failed(self, invoice: dict[str, Any], automatic: bool, why: str) -> None:
        retries = automatic and invoice["billing_reason"] != "subscription_create"
        attempt = invoice["attempt_count"]
        if retries and attempt <= len(self._retry_days):
            invoice["next_payment_attempt"] = self._now() + self._retry_days[attempt - 1] * 86400
        elif retries:
            invoice["next_payment_attempt"] = None
        self._emit("invoice.payment_failed", invoice, f"{invoice['id']} ({why})")
        self._invoice_failed_for(invoice, automatic)

    def _intent_paid(self, intent: dict[str, Any]) -> None:
        for invoice in self._by_type["invoice"].values():
            if invoice["payment_intent"] == intent["id"] and invoice["status"] == "open":
                invoice["charge"] = intent["latest_charge"]
                self._mark_paid(invoice)
                return

    def _mark_paid(self, invoice: dict[str, Any]) -> None:
        invoice["status"] = "paid"
        invoice["paid"] = True
        invoice["amount_paid"] = invoice["amount_due"]
        invoice["amount_remaining"] = 0
        invoice["next_payment_attempt"] = None
        invoice["status_transitions"]["paid_at"] = self._now()
        amount = _cards.format_amount(invoice["amount_paid"], invoice["currency"])
        self._emit("invoice.paid", invoice, f"{invoice['id']} {amount}")
        self._emit("invoice.payment_succeeded", invoice, f"{invoice['id']} {amount}")
        self._invoice_paid_for(invoice)

    def _void(self, invoice: dict[str, Any]) -> None:
        invoice["status"] = "void"
        invoice["amount_remaining"] = 0
        invoice["next_payment_attempt"] = None
        invoice["status_transitions"]["voided_at"] = self._now()
        intent = invoice["payment_intent"]
        if intent is not None and self._objects[intent]["status"] in _PAYABLE:
            self._cancel(self._objects[intent], "void_invoice")
        self._emit("invoice.voided", invoice, invoice["id"])

    def _op_pay_invoice(
        self, ident: str, *, payment_method: str | None = None, off_session: bool = True
    ) -> dict[str, Any]:
        invoice = self._get(ident, "invoice", "invoice", status=404)
        if invoice["status"] == "paid":
            raise InvalidRequestError("Invoice is already paid", code="invoice_already_paid")
        if invoice["status"] == "draft":
            self._finalize(invoice)
        if invoice["status"] != "open":
            raise InvalidRequestError(
                f"You can only pay an open invoice; this one is {invoice['status']}.",
                param="invoice",
                code="invoice_not_open",
            )
        intent = self._objects[invoice["payment_intent"]]
        if intent["status"] not in _PAYABLE:
            raise InvalidRequestError(
                f"The payment intent {intent['id']} of this invoice is {intent['status']}.",
                param="invoice",
            )
        method = payment_method or self._default_method_of(invoice)
        if method is None:
            raise InvalidRequestError(
                "This customer has no attached payment source or default payment method. "
                "Pass payment_method, or set the customer's "
                "invoice_settings.default_payment_method.",
                param="payment_method",
            )
        self._charge_invoice(
            invoice, method, operation="pay_invoice", off_session=off_session, automatic=False
        )
        return invoice

    def _op_list_invoice_lines(self, ident: str, *, limit: int = 10) -> dict[str, Any]:
        lines = self._get(ident, "invoice", "invoice", status=404)["lines"]["data"]
        return {
            "object": "list",
            "data": lines[:limit],
            "has_more": len(lines) > limit,
            "url": f"/v1/invoices/{ident}/lines",
        }

    def _default_method_of(self, invoice: dict[str, Any]) -> str | None:
        """The invoice's, its subscription's, or its customer's default payment method."""
        if invoice["default_payment_method"]:
            return str(invoice["default_payment_method"])
        subscription = self._objects.get(invoice["subscription"] or "")
        if subscription is not None and subscription["default_payment_method"]:
            return str(subscription["default_payment_method"])
        customer = self._objects.get(invoice["customer"], {})
        settings = customer.get("invoice_settings") or {}
        found = settings.get("default_payment_method")
        return None if found is None else str(found)
