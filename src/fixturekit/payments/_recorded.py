"""How charges and refunds read in assertions: their fields, one line each, criteria.

`FakePayments` keeps one `fixturekit._internal.matching.Recordings` per verb,
``charged`` and ``refunded``, built from these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "CHARGE_FIELDS",
    "REFUND_FIELDS",
    "charged_criteria",
    "describe_charge",
    "describe_refund",
    "refund_criteria",
]

#: The charge fields assertions match on.
CHARGE_FIELDS = (
    "amount",
    "amount_captured",
    "amount_refunded",
    "billing_details",
    "captured",
    "created",
    "currency",
    "customer",
    "description",
    "failure_code",
    "failure_message",
    "id",
    "metadata",
    "outcome",
    "paid",
    "payment_intent",
    "payment_method",
    "payment_method_details",
    "receipt_email",
    "refunded",
    "status",
)

#: The refund fields assertions match on.
REFUND_FIELDS = (
    "amount",
    "charge",
    "created",
    "currency",
    "id",
    "metadata",
    "payment_intent",
    "reason",
    "status",
)

#: Fields whose value is a hash: an object given for them is not taken for its id.
_HASHES = frozenset({"metadata", "billing_details", "outcome", "payment_method_details"})


def refund_criteria(criteria: dict[str, Any]) -> dict[str, Any]:
    """An object given for an id field stands for its id (``customer=customer``);
    a currency matches in any case (``currency="USD"``)."""
    for key, value in criteria.items():
        if isinstance(value, Mapping) and "id" in value and key not in _HASHES:
            criteria[key] = value["id"]
        elif key == "currency" and isinstance(value, str):
            criteria[key] = value.lower()
    return criteria


def charged_criteria(criteria: dict[str, Any]) -> dict[str, Any]:
    """What "charged" means: a successful, captured charge, unless the criteria say
    otherwise (``captured=False``: an authorization; ``status="failed"``: a decline)."""
    base: dict[str, Any] = {}
    if "status" not in criteria:
        base["status"] = "succeeded"
        if "captured" not in criteria:
            base["captured"] = True
    return {**base, **refund_criteria(criteria)}


def describe_charge(charge: Mapping[str, Any]) -> str:
    state = "captured" if charge["captured"] else charge["status"]
    if charge["status"] == "succeeded" and not charge["captured"]:
        state = "authorized, not captured"
    if charge["failure_code"]:
        reason = charge["outcome"]["reason"] if charge["outcome"] else charge["failure_code"]
        state = f"failed: {reason}"
    return (
        f"{charge['id']} {charge['amount']} {charge['currency']} customer={charge['customer']} "
        f"({state}) payment_intent={charge['payment_intent']}"
    )


def describe_refund(refund: Mapping[str, Any]) -> str:
    return (
        f"{refund['id']} {refund['amount']} {refund['currency']} of {refund['charge']} "
        f"payment_intent={refund['payment_intent']} reason={refund['reason']}"
    )
