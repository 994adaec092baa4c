"""Validation like the real service: amounts, currencies, ids, keywords; deterministic ids."""

from __future__ import annotations

import pytest

import fixturekit as fk
from fixturekit.payments import CardError, FakePayments, InvalidRequestError


@pytest.mark.parametrize(
    ("amount", "currency", "code", "message"),
    [
        (49, "usd", "amount_too_small", "Amount must be at least $0.50 usd"),
        (29, "gbp", "amount_too_small", "at least £0.30 gbp"),
        (49, "jpy", "amount_too_small", "at least ¥50 jpy"),
        (100_000_000, "usd", "amount_too_large", "no more than $999,999.99"),
        (12.5, "usd", "parameter_invalid_integer", "Invalid integer: 12.5"),
        ("2000", "usd", "parameter_invalid_integer", "Invalid integer: 2000"),
        (True, "usd", "parameter_invalid_integer", "Invalid integer"),
        (None, "usd", "parameter_missing", "Missing required param: amount."),
    ],
)
def test_bad_amounts_are_refused_with_stripes_codes(
    payments: FakePayments, amount: object, currency: str, code: str, message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message.replace("$", r"\$")) as raised:
        payments.create_payment_intent(amount=amount, currency=currency)  # type: ignore[arg-type]
    assert (raised.value.code, raised.value.param) == (code, "amount")
    assert payments.payment_intents == []


def test_zero_decimal_currencies_take_whole_units(payments: FakePayments) -> None:
    intent = payments.create_payment_intent(
        amount=500, currency="JPY", payment_method="pm_card_visa", confirm=True
    )
    assert (intent.amount, intent.currency) == (500, "jpy")
    assert "¥500" in payments.timeline.messages()[-1]


def test_three_decimal_currencies_need_amounts_ending_in_zero(payments: FakePayments) -> None:
    with pytest.raises(InvalidRequestError, match="must end in 0"):
        payments.create_payment_intent(amount=1005, currency="kwd")
    assert payments.create_payment_intent(amount=1000, currency="kwd").amount == 1000


def test_an_unknown_currency_is_refused(payments: FakePayments) -> None:
    with pytest.raises(InvalidRequestError, match="Invalid currency: xyz") as raised:
        payments.create_payment_intent(amount=2000, currency="xyz")
    assert raised.value.param == "currency"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: p.retrieve("pi_missing"), "No such payment_intent: 'pi_missing'"),
        (lambda p: p.retrieve("cus_missing"), "No such customer: 'cus_missing'"),
        (lambda p: p.confirm_payment_intent("pi_nope"), "No such payment_intent: 'pi_nope'"),
        (
            lambda p: p.create_payment_intent(amount=2000, currency="usd", customer="cus_x"),
            "No such customer: 'cus_x'",
        ),
        (
            lambda p: p.create_payment_intent(amount=2000, currency="usd", payment_method="pm_x"),
            "No such PaymentMethod: 'pm_x'",
        ),
        (lambda p: p.create_refund(charge="ch_x"), "No such charge: 'ch_x'"),
    ],
)
def test_unknown_ids_raise_no_such_errors(payments: FakePayments, call, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message) as raised:
        call(payments)
    assert raised.value.code == "resource_missing"


def test_a_typo_in_a_keyword_lists_the_valid_ones(payments: FakePayments) -> None:
    with pytest.raises(
        TypeError, match=r"'amout' \(did you mean amount=\?\); its keyword arguments are"
    ):
        payments.create_payment_intent(amout=2000, currency="usd")  # type: ignore[call-arg]


def test_metadata_follows_stripes_limits(payments: FakePayments) -> None:
    with pytest.raises(InvalidRequestError, match="up to 500 characters"):
        payments.create_customer(metadata={"note": "x" * 501})
    with pytest.raises(InvalidRequestError, match="up to 50 metadata keys"):
        payments.create_customer(metadata={f"k{i}": "v" for i in range(51)})
    customer = payments.create_customer(metadata={"count": 3, "flag": True})
    assert customer.metadata == {"count": "3", "flag": "true"}


def test_ids_are_deterministic_for_a_seed() -> None:
    fk.seed(1234)
    first = FakePayments()
    ids_a = [first.create_customer().id, first.webhook_secret]
    fk.seed(1234)
    second = FakePayments()
    ids_b = [second.create_customer().id, second.webhook_secret]
    fk.seed(99)
    third = FakePayments()
    assert ids_a == ids_b
    assert third.create_customer().id != ids_a[0]
    assert ids_a[0].startswith("cus_")
    assert len(ids_a[0]) == 28
    assert ids_a[1].startswith("whsec_")


def test_reset_forgets_everything(payments: FakePayments) -> None:
    payments.create_customer(email="a@example.com")
    payments.fail_next("card_declined")
    payments.reset()
    assert payments.customers == []
    assert payments.events == []
    intent = payments.create_payment_intent(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    assert intent.status == "succeeded"


def test_timestamps_come_from_the_clock(payments: FakePayments) -> None:
    customer = payments.create_customer()
    payments.clock.advance(hours=1)
    intent = payments.create_payment_intent(amount=2000, currency="usd")
    assert customer.created == 1714564800  # 2024-05-01T12:00:00Z
    assert intent.created == customer.created + 3600


def test_returned_objects_are_snapshots(payments: FakePayments) -> None:
    intent = payments.create_payment_intent(amount=2000, currency="usd")
    payments.confirm_payment_intent(intent.id, payment_method="pm_card_visa")
    assert intent.status == "requires_payment_method"
    assert payments.retrieve(intent.id).status == "succeeded"
    with pytest.raises(AttributeError, match="has no field 'stauts'"):
        _ = intent.stauts


def test_the_brand_less_decline_tokens_decline_like_the_visa_ones(payments: FakePayments) -> None:
    for legacy, code in (
        ("pm_card_chargeDeclined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ):
        with pytest.raises(CardError) as info:
            payments.create_payment_intent(
                amount=1000, currency="usd", payment_method=legacy, confirm=True
            )
        assert info.value.decline_code == code
