"""The assertion surface shared with the other fakes (verbs charged and refunded),
fail_next(times=), strict mode and argument checks."""

from __future__ import annotations

import pytest

import fixturekit as fk
from fixturekit.errors import FakeAssertionError, StrictModeError
from fixturekit.payments import APIError, CardError, FakePayments


def _charge(payments: FakePayments, amount: int = 2000, **kw: object):
    return payments.create_payment_intent(
        amount=amount, currency="usd", payment_method="pm_card_visa", confirm=True, **kw
    )


def _decline(payments: FakePayments, amount: int = 2000) -> None:
    with pytest.raises(CardError):
        payments.create_payment_intent(
            amount=amount,
            currency="usd",
            payment_method="pm_card_visa_chargeDeclined",
            confirm=True,
        )


# --- charged ------------------------------------------------------------------------------


def test_assert_charged_returns_the_latest_match(payments: FakePayments) -> None:
    _charge(payments, 2000, metadata={"n": "1"})
    latest = _charge(payments, 2000, metadata={"n": "2"})
    assert payments.assert_charged(amount=2000).payment_intent == latest.id


def test_assert_charged_with_times_asks_for_exactly_that_many(payments: FakePayments) -> None:
    _charge(payments, 2000)
    _charge(payments, 2000)
    payments.assert_charged(amount=2000, times=2)
    with pytest.raises(FakeAssertionError, match=r"expected 1 charges .*, but 2 matched"):
        payments.assert_charged(amount=2000, times=1)


def test_assert_charged_count_and_nothing_charged_ignore_declines(
    payments: FakePayments,
) -> None:
    payments.assert_nothing_charged()
    _decline(payments)
    payments.assert_nothing_charged()
    payments.assert_charged_count(0)
    _charge(payments, 1500)
    assert [c.amount for c in payments.assert_charged_count(1)] == [1500]
    assert payments.assert_charged_count(1, status="failed")[0].failure_code == "card_declined"
    with pytest.raises(FakeAssertionError, match=r"expected 2 charges charged .*, but 1 were"):
        payments.assert_charged_count(2)
    with pytest.raises(FakeAssertionError, match=r"expected no charge .*, but 1 matched"):
        payments.assert_nothing_charged()


def test_find_returns_the_charges_assert_charged_would_match(payments: FakePayments) -> None:
    _decline(payments, 1000)
    first = _charge(payments, 2000)
    payments.create_payment_intent(
        amount=3000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        capture_method="manual",
    )
    assert [c.payment_intent for c in payments.find()] == [first.id]
    assert [c.amount for c in payments.find(captured=False)] == [3000]
    assert [c.amount for c in payments.find(status="failed")] == [1000]
    assert payments.find(amount=9999) == []
    with pytest.raises(TypeError, match=r"did you mean amount=\?"):
        payments.find(amout=2000)


def test_assertion_failures_are_fake_assertion_errors(payments: FakePayments) -> None:
    with pytest.raises(FakeAssertionError, match="nothing was recorded at all"):
        payments.assert_charged()
    assert issubclass(FakeAssertionError, AssertionError)


# --- refunded -----------------------------------------------------------------------------


def test_the_four_refund_assertions_and_find_refunds(payments: FakePayments) -> None:
    intent = _charge(payments, 3000)
    payments.assert_nothing_refunded()
    payments.assert_not_refunded()
    payments.create_refund(payment_intent=intent.id, amount=1000)
    latest = payments.create_refund(payment_intent=intent.id, amount=500, reason="duplicate")
    assert payments.assert_refunded(payment_intent=intent).id == latest.id
    assert payments.assert_refunded(amount=1000, times=1).amount == 1000
    assert len(payments.assert_refunded_count(2, currency="USD")) == 2
    payments.assert_not_refunded(reason="fraudulent")
    with pytest.raises(FakeAssertionError, match="expected no refund with reason='duplicate'"):
        payments.assert_not_refunded(reason="duplicate")
    with pytest.raises(FakeAssertionError, match="expected no refund refunded at all, but 2"):
        payments.assert_nothing_refunded()
    assert [r.amount for r in payments.find_refunds()] == [1000, 500]
    assert payments.find_refunds(reason="duplicate") == [latest]
    with pytest.raises(TypeError, match="refunds' fields are"):
        payments.find_refunds(reson="duplicate")


# --- fail_next ----------------------------------------------------------------------------


def test_fail_next_times_queues_the_same_failure(payments: FakePayments) -> None:
    payments.fail_next("api_error", times=2, on="create_customer")
    for _ in range(2):
        with pytest.raises(APIError):
            payments.create_customer()
    assert payments.create_customer().object == "customer"
    payments.fail_next("insufficient_funds", times=2)
    for _ in range(2):
        with pytest.raises(CardError):
            _charge(payments)
    assert _charge(payments).status == "succeeded"


@pytest.mark.parametrize("times", [0, -1, True, 1.5])
def test_fail_next_refuses_bad_counts(payments: FakePayments, times: object) -> None:
    with pytest.raises(ValueError, match="times must be a whole number >= 1"):
        payments.fail_next("api_error", times=times)  # type: ignore[arg-type]


# --- constructor and strict mode ----------------------------------------------------------


def test_the_constructor_checks_its_keywords_and_flags() -> None:
    with pytest.raises(TypeError, match=r"'clok' \(did you mean clock=\?\)"):
        FakePayments(clok=fk.Clock("2024-01-01"))  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="strict must be True or False"):
        FakePayments(strict=1)  # type: ignore[arg-type]


def test_strict_mode_lists_charges_and_refunds_no_assertion_looked_at() -> None:
    payments = FakePayments(strict=True).start()
    intent = _charge(payments, 2000)
    _decline(payments)  # a decline takes no money: nothing to look at
    payments.create_refund(payment_intent=intent.id, amount=500)
    with pytest.raises(StrictModeError) as raised:
        payments.stop()
    message = str(raised.value)
    assert "1 charge(s) and 1 refund(s) were made that no assertion looked at" in message
    assert "  - charge ch_" in message
    assert "  - refund re_" in message


def test_strict_mode_is_satisfied_by_assertions() -> None:
    payments = FakePayments(strict=True)
    with payments:
        intent = _charge(payments, 2000)
        payments.create_refund(payment_intent=intent.id, amount=500)
        payments.assert_charged(amount=2000)
        payments.assert_refunded_count(1)


def test_strict_mode_stays_quiet_when_the_block_raised() -> None:
    payments = FakePayments(strict=True)

    def failing_test() -> None:
        with payments:
            _charge(payments, 2000)
            raise KeyError("the test's own failure")

    with pytest.raises(KeyError):
        failing_test()


def test_a_subclass_may_set_state_after_super_init() -> None:
    class Shop(FakePayments):
        def __init__(self) -> None:
            super().__init__()
            self.orders: list[str] = []

        def reset(self) -> None:
            super().reset()
            self.orders = []

    shop = Shop()
    _charge(shop)
    shop.orders.append("A-1")
    shop.reset()
    assert (shop.orders, shop.charges) == ([], [])
