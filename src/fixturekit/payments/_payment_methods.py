"""Payment methods: cards from test numbers, ``tok_...`` and ``pm_card_...`` tokens;
attaching to and detaching from customers."""

from __future__ import annotations

from typing import Any

from fixturekit.errors import CardError, InvalidRequestError
from fixturekit.payments import _cards
from fixturekit.payments._core import PaymentsCore
from fixturekit.payments._objects import copy
from fixturekit.payments._params import (
    billing_details,
    card_int,
    invalid,
    merge_metadata,
    missing,
)
from fixturekit.payments._testcards import TestCard, card_by_number, card_by_token

__all__ = ["PaymentMethods"]


class PaymentMethods(PaymentsCore):
    """The handlers of ``/v1/payment_methods`` and the lookups other resources use."""

    def _op_create_payment_method(
        self,
        *,
        card: dict[str, Any],
        billing_details: dict[str, Any] | None = None,
        metadata: Any = None,
        type: str = "card",
    ) -> dict[str, Any]:
        meta = merge_metadata({}, metadata)
        year = self.clock.now().year
        if "token" in card:
            token = card["token"]
            test_card = (
                card_by_token(token[4:])
                if isinstance(token, str) and token.startswith("tok_")
                else None
            )
            if test_card is None:
                raise missing("token", str(token), "card[token]")
            number, exp_month, exp_year = test_card.number, 12, year + 3
            cvc: Any = "123"
        else:
            number, exp_month, exp_year, cvc = self._card_details(card)
            test_card = card_by_number(number)
        return self._new_payment_method(
            number, exp_month, exp_year, cvc, test_card, billing_details, meta
        )

    def _card_details(self, card: dict[str, Any]) -> tuple[str, int, int, Any]:
        """(number, exp_month, exp_year, cvc) of a card hash, refused as a card network
        would refuse them: Luhn check, expiry against the clock, CVC length."""
        given = card.get("number")
        if given is None:
            raise invalid(
                "Missing required param: card[number].",
                param="card[number]",
                code="parameter_missing",
            )
        now = self.clock.now()
        number = str(given).replace(" ", "")
        exp_month = card_int(card.get("exp_month", 12), "exp_month")
        exp_year = card_int(card.get("exp_year", now.year + 3), "exp_year")
        cvc = card.get("cvc")
        if not number.isdigit() or not 12 <= len(number) <= 19:
            raise CardError(
                "The card number is not a valid credit card number.",
                code="invalid_number",
                param="number",
            )
        if not _cards.luhn_ok(number):
            raise CardError(
                "Your card number is incorrect.", code="incorrect_number", param="number"
            )
        exp_month, exp_year = self._expiry(exp_month, exp_year)
        if cvc is not None and not (str(cvc).isdigit() and 3 <= len(str(cvc)) <= 4):
            raise CardError(
                "Your card's security code is invalid.", code="invalid_cvc", param="cvc"
            )
        return number, exp_month, exp_year, cvc

    def _expiry(self, exp_month: int, exp_year: int) -> tuple[int, int]:
        """A card's expiry, checked against the clock (a two-digit year is 20xx)."""
        now = self.clock.now()
        if not 1 <= exp_month <= 12:
            raise CardError(
                "Your card's expiration month is invalid.",
                code="invalid_expiry_month",
                param="exp_month",
            )
        if exp_year < 100:
            exp_year += 2000
        if exp_year < now.year or exp_year > now.year + 50:
            raise CardError(
                "Your card's expiration year is invalid.",
                code="invalid_expiry_year",
                param="exp_year",
            )
        if exp_year == now.year and exp_month < now.month:
            raise CardError(
                "Your card's expiration month is invalid.",
                code="invalid_expiry_month",
                param="exp_month",
            )
        return exp_month, exp_year

    def _new_payment_method(
        self,
        number: str,
        exp_month: int,
        exp_year: int,
        cvc: Any,
        test_card: TestCard | None,
        details: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        ident = self._new_id("pm")
        brand = test_card.brand if test_card else _cards.brand_of(number)
        method = {
            "id": ident,
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": details or billing_details(None),
            "card": {
                "brand": brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "unchecked" if cvc is not None else None,
                },
                "country": test_card.country if test_card else "US",
                "display_brand": (test_card and test_card.display_brand) or brand,
                "exp_month": exp_month,
                "exp_year": exp_year,
                "fingerprint": _cards.fingerprint(number),
                "funding": test_card.funding if test_card else "credit",
                "generated_from": None,
                "last4": number[-4:],
                "networks": {"available": [brand], "preferred": None},
                "regulated_status": "unregulated",
                "three_d_secure_usage": {
                    "supported": not (test_card and test_card.authentication == "not_supported")
                },
                "wallet": None,
            },
            "created": self._now(),
            "customer": None,
            "customer_account": None,
            "livemode": False,
            "metadata": metadata or {},
            "type": "card",
        }
        self._cards[ident] = test_card
        return self._store(method)

    def _payment_method(self, ref: object, param: str = "payment_method") -> dict[str, Any]:
        """A payment method from an id, or a new one from a ``pm_card_*`` token."""
        if isinstance(ref, str) and ref.startswith("pm_card_"):
            test_card = card_by_token(ref[len("pm_card_") :])
            if test_card is None:
                raise missing("PaymentMethod", ref, param)
            year = self.clock.now().year
            return self._new_payment_method(test_card.number, 12, year + 3, "123", test_card)
        return self._get(ref, "payment_method", param)

    def _op_attach_payment_method(self, ident: str, *, customer: str) -> dict[str, Any]:
        method = self._payment_method(ident, "payment_method")
        owner = self._get(customer, "customer", "customer")
        if method["customer"] == owner["id"]:
            return method
        if method["customer"] is not None:
            raise InvalidRequestError(
                f"The payment method you provided has already been attached to a customer "
                f"({method['customer']}).",
                param="payment_method",
            )
        self._attach(method, owner)
        return method

    def _attach(self, method: dict[str, Any], customer: dict[str, Any]) -> None:
        test_card = self._cards.get(method["id"])
        if (
            test_card is not None
            and test_card.decline is not None
            and not test_card.attach_then_fail
            and test_card.authentication is None
        ):
            decline = test_card.decline
            raise CardError(
                decline.message,
                code=decline.code,
                decline_code=decline.decline_code,
                param=decline.param,
            )
        method["customer"] = customer["id"]
        self._emit(
            "payment_method.attached",
            method,
            f"{method['id']} ({method['card']['brand']} {method['card']['last4']}) "
            f"to {customer['id']}",
        )

    def _op_update_payment_method(
        self,
        ident: str,
        *,
        billing_details: dict[str, Any] | None = None,
        metadata: Any = None,
        card: dict[str, Any] | None = None,
        allow_redisplay: str | None = None,
    ) -> dict[str, Any]:
        method = self._get(ident, "payment_method", "payment_method", status=404)
        if method["customer"] is None:
            raise InvalidRequestError(
                "You must save this PaymentMethod to a customer before you can update it.",
                param="payment_method",
            )
        updates: dict[str, Any] = {}
        if billing_details is not None:
            merged = copy(method["billing_details"])
            for key, value in billing_details.items():
                if key == "address":
                    merged["address"].update(value)
                else:
                    merged[key] = value
            updates["billing_details"] = merged
        if metadata is not None:
            updates["metadata"] = merge_metadata(method["metadata"], metadata)
        if card is not None:
            unknown = set(card) - {"exp_month", "exp_year"}
            if unknown:
                name = sorted(unknown)[0]
                raise invalid(
                    f"Received unknown parameter: card[{name}]; a card's number cannot "
                    "change, create a new payment method",
                    param=f"card[{name}]",
                    code="parameter_unknown",
                )
            exp_month, exp_year = self._expiry(
                card.get("exp_month", method["card"]["exp_month"]),
                card.get("exp_year", method["card"]["exp_year"]),
            )
            updates["card"] = {**method["card"], "exp_month": exp_month, "exp_year": exp_year}
        if allow_redisplay is not None:
            updates["allow_redisplay"] = allow_redisplay
        previous = {key: copy(method[key]) for key in updates if method[key] != updates[key]}
        method.update(updates)
        if previous:
            self._emit(
                "payment_method.updated", method, f"{ident} ({', '.join(previous)})", previous
            )
        return method

    def _op_detach_payment_method(self, ident: str) -> dict[str, Any]:
        method = self._get(ident, "payment_method", "payment_method", status=404)
        if method["customer"] is None:
            raise InvalidRequestError(
                f"The payment method {ident} is not attached to a customer so detachment "
                "is impossible.",
                param="payment_method",
            )
        previous = method["customer"]
        method["customer"] = None
        self._emit("payment_method.detached", method, f"{ident} from {previous}")
        return method
