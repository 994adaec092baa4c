"""The parts of a charge that depend on the card alone: 3D Secure rules, the card's
details on the charge, the ``outcome`` hash, pending funds."""

from __future__ import annotations

from typing import Any

from fixturekit.payments._objects import copy
from fixturekit.payments._testcards import TestCard

__all__ = ["asks_authentication", "bypasses_pending", "card_details", "outcome"]


def asks_authentication(
    card: TestCard | None, method: dict[str, Any], off_session: bool, request: str = "automatic"
) -> bool:
    """Whether charging ``card`` needs 3D Secure (off-session: declines if so).
    ``request`` is ``payment_method_options[card][request_three_d_secure]``: ``any`` and
    ``challenge`` ask for it on every card that supports it."""
    if card is None or card.authentication is None:
        return request != "automatic" and card is not None
    if card.authentication == "required":
        return True
    if card.authentication == "unless_set_up":
        return not (off_session and method["customer"] is not None)
    if card.authentication == "set_up":
        return not off_session
    return request != "automatic" and card.authentication != "not_supported"


def card_details(card: dict[str, Any], authorized: int | None) -> dict[str, Any]:
    """A charge's ``payment_method_details.card`` from its payment method's card."""
    return {
        "amount_authorized": authorized,
        "authorization_code": None if authorized is None else "123456",
        "brand": card["brand"],
        "checks": copy(card["checks"]),
        "country": card["country"],
        "exp_month": card["exp_month"],
        "exp_year": card["exp_year"],
        "extended_authorization": {"status": "disabled"},
        "fingerprint": card["fingerprint"],
        "funding": card["funding"],
        "incremental_authorization": {"status": "unavailable"},
        "installments": None,
        "last4": card["last4"],
        "mandate": None,
        "multicapture": {"status": "unavailable"},
        "network": card["brand"],
        "network_token": {"used": False},
        "network_transaction_id": None,
        "overcapture": {"maximum_amount_capturable": authorized or 0, "status": "unavailable"},
        "regulated_status": card["regulated_status"],
        "three_d_secure": None,
        "transaction_link_id": None,
        "wallet": None,
    }


def bypasses_pending(card: TestCard | None) -> bool:
    """Whether the funds of a charge skip the pending balance (``pm_card_bypassPending``)."""
    return card is not None and card.tokens[:1] in (
        ("bypassPending",),
        ("bypassPendingInternational",),
    )


def outcome(
    network_status: str, reason: str | None, risk_level: str, message: str, kind: str
) -> dict[str, Any]:
    """A charge's ``outcome`` hash."""
    return {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": network_status,
        "reason": reason,
        "risk_level": risk_level,
        "risk_score": {"normal": 20, "elevated": 70, "highest": 95}[risk_level],
        "seller_message": message,
        "type": kind,
    }
