"""Customers: create (with a payment method attached), update, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fixturekit.payments._objects import copy
from fixturekit.payments._params import invalid, merge_metadata
from fixturekit.payments._payment_methods import PaymentMethods

__all__ = ["Customers"]


class Customers(PaymentMethods):
    """The handlers of ``/v1/customers``."""

    def _op_create_customer(
        self,
        *,
        email: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        description: str | None = None,
        metadata: Any = None,
        payment_method: str | None = None,
    ) -> dict[str, Any]:
        meta = merge_metadata({}, metadata)
        method = None if payment_method is None else self._payment_method(payment_method)
        ident = self._new_id("cus")
        customer: dict[str, Any] = {
            "id": ident,
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": self._now(),
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": description,
            "discount": None,
            "email": email,
            "invoice_prefix": self._random(8).upper(),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": None,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": meta,
            "name": name,
            "next_invoice_sequence": 1,
            "phone": phone,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }
        self._store(customer)
        self._emit(
            "customer.created", customer, f"customer {ident}" + (f" <{email}>" if email else "")
        )
        if method is not None:
            self._attach(method, customer)
        return customer

    def _op_update_customer(self, ident: str, **changes: Any) -> dict[str, Any]:
        customer = self._get(ident, "customer", "id", status=404)
        updates: dict[str, Any] = {}
        for key in ("email", "name", "phone", "description"):
            if key in changes:
                updates[key] = changes[key] or None
        if "metadata" in changes:
            updates["metadata"] = merge_metadata(customer["metadata"], changes["metadata"])
        if "invoice_settings" in changes:
            updates["invoice_settings"] = self._invoice_settings(
                customer, changes["invoice_settings"]
            )
        previous: dict[str, Any] = {}
        for key, value in updates.items():
            if customer[key] != value:
                previous[key] = copy(customer[key])
                customer[key] = value
        if previous:
            self._emit(
                "customer.updated", customer, f"customer {ident} ({', '.join(previous)})", previous
            )
        return customer

    def _invoice_settings(
        self, customer: dict[str, Any], settings: Mapping[str, Any]
    ) -> dict[str, Any]:
        merged = dict(customer["invoice_settings"])
        default = settings.get("default_payment_method")
        if default:
            param = "invoice_settings[default_payment_method]"
            method = self._get(default, "payment_method", param)
            if method["customer"] != customer["id"]:
                raise invalid(
                    f"The payment method {method['id']} is not attached to customer "
                    f"{customer['id']}; attach it first",
                    param=param,
                )
            merged["default_payment_method"] = method["id"]
        else:
            merged["default_payment_method"] = None
        return merged

    def _customer_deleted(self, ident: str) -> None:
        """What else goes with a deleted customer (their subscriptions end)."""

    def _op_delete_customer(self, ident: str) -> dict[str, Any]:
        customer = self._get(ident, "customer", "id", status=404)
        self._customer_deleted(ident)
        for method in self._by_type["payment_method"].values():
            if method["customer"] == ident:
                method["customer"] = None
        del self._by_type["customer"][ident]
        # What retrieving it answers from now on, as Stripe does (200, not 404).
        self._objects[ident] = {"id": ident, "object": "customer", "deleted": True}
        self._emit("customer.deleted", customer, f"customer {ident}")
        return {"id": ident, "object": "customer", "deleted": True}
