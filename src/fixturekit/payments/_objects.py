"""Stripe objects as the fake hands them out: JSON-shaped snapshots with attribute access."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["API_VERSION", "PREFIXES", "PaymentsObject", "copy", "snapshot"]

#: The Stripe API version whose object shapes the fake follows (``latest_charge`` on
#: payment intents, no embedded charge lists).
API_VERSION = "2024-06-20"

#: Object types by id prefix: what ``retrieve()`` and "No such ..." messages call them.
PREFIXES = {
    "cus": "customer",
    "pm": "payment_method",
    "pi": "payment_intent",
    "seti": "setup_intent",
    "ch": "charge",
    "re": "refund",
    "evt": "event",
    "txn": "balance_transaction",
    "dp": "dispute",
    "issfr": "radar.early_fraud_warning",
    "prod": "product",
    "price": "price",
    "cs": "checkout.session",
    "sub": "subscription",
    "si": "subscription_item",
    "in": "invoice",
}


class PaymentsObject(dict[str, Any]):
    """A Stripe object: a JSON-shaped dict whose fields are also attributes.

    ``intent.status == intent["status"]``. Each is a snapshot taken when the call
    returned, as an API response is: `FakePayments.retrieve` gives the current state.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            kind = self.get("object", "object")
            raise AttributeError(
                f"this {kind} has no field {name!r}; it has: {', '.join(sorted(self))}"
            ) from None

    def __repr__(self) -> str:
        kind = self.get("object", "object")
        ident = self.get("id")
        label = f"{kind} id={ident}" if ident else kind
        return f"<{label} {json.dumps(self, default=str)}>"


def snapshot(value: Any) -> Any:
    """A deep copy of JSON-shaped data, dicts turned into `PaymentsObject`."""
    if isinstance(value, dict):
        return PaymentsObject({key: snapshot(item) for key, item in value.items()})
    if isinstance(value, list):
        return [snapshot(item) for item in value]
    return value


def copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (plain dicts and lists)."""
    if isinstance(value, dict):
        return {key: copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy(item) for item in value]
    return value
