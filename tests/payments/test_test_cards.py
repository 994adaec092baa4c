"""Every test card of the table, walked through the official SDK: by number, by its
``pm_card_*`` tokens and by its ``tok_*`` tokens; brand, country, funding, outcome."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from fixturekit.payments import TEST_CARDS, CardError, FakePayments, TestCard

pytestmark = pytest.mark.slow  # a real loopback server and the official SDK

_ASKS = ("required", "unless_set_up", "set_up")


def _ways(card: TestCard) -> list[dict[str, Any]]:
    """The payment methods' ``card`` hashes and ``pm_card_*`` ids this card is reached by."""
    ways: list[dict[str, Any]] = [
        {"card": {"number": card.number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    ]
    for token in card.tokens:
        ways.append({"card": {"token": f"tok_{token}"}})
        ways.append({"id": f"pm_card_{token}"})
    return ways


def _method(way: dict[str, Any]) -> str:
    if "id" in way:
        return str(way["id"])
    return str(stripe.PaymentMethod.create(type="card", card=way["card"]).id)


def _walk(payments: FakePayments, card: TestCard, way: dict[str, Any]) -> None:
    if card.outcome == "incorrect_number":
        with pytest.raises(stripe.CardError) as refused:
            _method(way)
        assert refused.value.code == "incorrect_number"
        return
    method_id = _method(way)
    confirm = {"amount": 1000, "currency": "usd", "payment_method": method_id, "confirm": True}
    if card.decline is not None and card.authentication not in _ASKS:
        with pytest.raises(stripe.CardError) as raised:
            stripe.PaymentIntent.create(**confirm)
        assert (raised.value.code, raised.value.error.decline_code) == (
            card.decline.code,
            card.decline.decline_code,
        )
        charge = stripe.Charge.retrieve(raised.value.error.charge)
        assert charge.status == "failed"
        blocked = card.outcome == "fraudulent"
        assert charge.outcome.type == ("blocked" if blocked else "issuer_declined")
        return
    intent = stripe.PaymentIntent.create(**confirm)
    if card.authentication in _ASKS:
        assert intent.status == "requires_action", card.number
        if card.decline is not None:
            with pytest.raises(CardError) as after:
                payments.authenticate(intent.id)
            assert getattr(after.value, "decline_code", None) == card.decline.decline_code
            return
        assert payments.authenticate(intent.id).status == "succeeded"
        intent = stripe.PaymentIntent.retrieve(intent.id)
    assert card.decline is None, f"{card.number} should decline with {card.outcome}"
    assert intent.status == "succeeded"
    charge = stripe.Charge.retrieve(intent.latest_charge)
    details = charge.payment_method_details.card
    assert (details.brand, details.country, details.funding, details.last4) == (
        card.brand,
        card.country,
        card.funding,
        card.last4,
    )
    assert charge.outcome.risk_level == card.risk_level
    if card.address_checks is not None:
        assert (
            details.checks.address_line1_check,
            details.checks.address_postal_code_check,
        ) == card.address_checks
    method = stripe.PaymentMethod.retrieve(charge.payment_method)
    assert method.card.display_brand == (card.display_brand or card.brand)
    assert method.card.three_d_secure_usage.supported is (card.authentication != "not_supported")


def test_the_whole_table_through_the_sdk(sdk: Any, payments: FakePayments) -> None:
    walked = 0
    for card in TEST_CARDS:
        for way in _ways(card):
            _walk(payments, card, way)
            walked += 1
    assert walked > len(TEST_CARDS) * 2  # numbers, pm_card_* and tok_* alike


def test_the_table_holds_every_number_named_in_stripes_testing_page() -> None:
    numbers = {card.number for card in TEST_CARDS}
    tokens = {token for card in TEST_CARDS for token in card.tokens}
    assert {
        "2223003122003222",
        "5105105105105100",
        "371449635398431",
        "6011000990139424",
        "30569309025904",
        "38520000023237",
    } <= numbers
    assert {
        "threeDSecureRequired",
        "mastercard_prepaid",
        "diners",
        "bypassPending",
        "us",
        "gb",
        "fr",
        "de",
        "br",
        "chargeCustomerFail",
        "radarBlock",
        "riskLevelHighest",
    } <= tokens
    assert len(numbers) == len(TEST_CARDS)


def test_off_session_charges_follow_each_cards_3d_secure_rule(
    sdk: Any, payments: FakePayments
) -> None:
    customer = stripe.Customer.create(email="ada@example.com")

    def off_session(token: str) -> Any:
        method = stripe.PaymentMethod.attach(f"pm_card_{token}", customer=customer.id)
        return stripe.PaymentIntent.create(
            amount=1000,
            currency="eur",
            customer=customer.id,
            payment_method=method.id,
            confirm=True,
            off_session=True,
        )

    with pytest.raises(stripe.CardError) as raised:
        off_session("authenticationRequired")
    assert raised.value.code == "authentication_required"
    # Saved to a customer, the classic SCA card charges off-session without a challenge.
    assert off_session("authenticationRequiredOnSetup").status == "succeeded"
    assert off_session("authenticationRequiredSetupForOffSession").status == "succeeded"
    # On-session, the same card asks for 3D Secure.
    on_session = stripe.PaymentIntent.create(
        amount=1000,
        currency="eur",
        payment_method="pm_card_authenticationRequiredOnSetup",
        confirm=True,
    )
    assert on_session.status == "requires_action"


def test_charge_customer_fail_attaches_but_its_charges_decline(
    sdk: Any, payments: FakePayments
) -> None:
    customer = stripe.Customer.create(email="ada@example.com")
    method = stripe.PaymentMethod.attach("pm_card_chargeCustomerFail", customer=customer.id)
    assert method.customer == customer.id
    with pytest.raises(stripe.CardError) as raised:
        stripe.PaymentIntent.create(
            amount=1000,
            currency="usd",
            customer=customer.id,
            payment_method=method.id,
            confirm=True,
        )
    assert raised.value.error.decline_code == "generic_decline"
    # A plain decline card is refused at attach time already.
    with pytest.raises(stripe.CardError) as refused:
        stripe.PaymentMethod.attach("pm_card_visa_chargeDeclined", customer=customer.id)
    assert refused.value.error.decline_code == "generic_decline"


def test_fraud_cards_block_or_flag_for_review(sdk: Any, payments: FakePayments) -> None:
    with pytest.raises(stripe.CardError) as raised:
        stripe.PaymentIntent.create(
            amount=1000, currency="usd", payment_method="pm_card_riskLevelHighest", confirm=True
        )
    blocked = stripe.Charge.retrieve(raised.value.error.charge)
    assert (blocked.outcome.type, blocked.outcome.risk_level) == ("blocked", "highest")
    flagged = stripe.PaymentIntent.create(
        amount=1000,
        currency="usd",
        payment_method="pm_card_riskLevelElevated",
        confirm=True,
        expand=["latest_charge"],
    )
    assert flagged.latest_charge.outcome.type == "manual_review"
