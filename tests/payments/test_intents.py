"""Payment intents through the direct Python API: the status machine, test cards, capture."""

from __future__ import annotations

import pytest

from fixturekit.payments import TEST_CARDS, CardError, FakePayments, InvalidRequestError

DECLINING = [
    ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
    ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card"),
    ("pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
    ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
    ("pm_card_radarBlock", "card_declined", "fraudulent"),
    ("pm_card_chargeCustomerFail", "card_declined", "generic_decline"),
]


def test_a_good_card_confirmed_at_creation_succeeds_with_a_captured_charge(
    payments: FakePayments,
) -> None:
    intent = payments.create_payment_intent(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    assert intent.status == "succeeded"
    assert intent.amount_received == 2000
    charge = payments.retrieve(intent.latest_charge)
    assert charge.captured is True
    assert charge.amount_captured == 2000
    assert charge.payment_method_details["card"]["last4"] == "4242"
    assert [event.type for event in payments.events] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]


def test_an_intent_moves_from_requires_payment_method_to_confirmation_to_succeeded(
    payments: FakePayments,
) -> None:
    intent = payments.create_payment_intent(amount=1500, currency="eur")
    assert intent.status == "requires_payment_method"
    updated = payments.update_payment_intent(intent.id, payment_method="pm_card_mastercard")
    assert updated.status == "requires_confirmation"
    confirmed = payments.confirm_payment_intent(intent.id)
    assert confirmed.status == "succeeded"
    assert payments.retrieve(intent.id).status == "succeeded"


@pytest.mark.parametrize(("token", "code", "decline_code"), DECLINING)
def test_each_decline_card_raises_stripes_codes_and_leaves_the_intent_retryable(
    payments: FakePayments, token: str, code: str, decline_code: str
) -> None:
    with pytest.raises(CardError) as raised:
        payments.create_payment_intent(
            amount=2000, currency="usd", payment_method=token, confirm=True
        )
    error = raised.value
    assert (error.code, error.decline_code, error.http_status) == (code, decline_code, 402)
    assert error.payment_intent is not None
    intent = payments.retrieve(error.payment_intent["id"])
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error["decline_code"] == decline_code
    charge = payments.retrieve(error.charge)
    assert (charge.status, charge.failure_code) == ("failed", code)
    assert [event.type for event in payments.events][-2:] == [
        "charge.failed",
        "payment_intent.payment_failed",
    ]
    retried = payments.confirm_payment_intent(intent.id, payment_method="pm_card_visa")
    assert retried.status == "succeeded"


@pytest.mark.parametrize(
    "card",
    [
        c
        for c in TEST_CARDS
        if c.authentication not in ("required", "unless_set_up", "set_up")
        and c.outcome != "incorrect_number"
    ],
    ids=lambda card: card.number,
)
def test_test_card_numbers_behave_like_their_tokens(payments: FakePayments, card) -> None:
    method = payments.create_payment_method(
        card={"number": card.number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    )
    assert method.card["last4"] == card.last4
    assert method.card["brand"] == card.brand
    if card.decline is None:
        intent = payments.create_payment_intent(
            amount=5000, currency="usd", payment_method=method.id, confirm=True
        )
        assert intent.status == "succeeded"
    else:
        with pytest.raises(CardError) as raised:
            payments.create_payment_intent(
                amount=5000, currency="usd", payment_method=method.id, confirm=True
            )
        assert raised.value.decline_code == card.decline.decline_code


def test_a_card_needing_3d_secure_requires_action_until_authenticated(
    payments: FakePayments,
) -> None:
    intent = payments.create_payment_intent(
        amount=2000, currency="usd", payment_method="pm_card_authenticationRequired", confirm=True
    )
    assert intent.status == "requires_action"
    assert intent.next_action["type"] == "use_stripe_sdk"
    payments.assert_not_charged()
    done = payments.authenticate(intent.id)
    assert done.status == "succeeded"
    payments.assert_charged(amount=2000)


def test_a_return_url_makes_3d_secure_a_redirect(payments: FakePayments) -> None:
    intent = payments.create_payment_intent(
        amount=2000,
        currency="usd",
        payment_method="pm_card_threeDSecure2Required",
        confirm=True,
        return_url="https://shop.test/return",
    )
    assert intent.next_action["type"] == "redirect_to_url"
    assert intent.next_action["redirect_to_url"]["return_url"] == "https://shop.test/return"


def test_failed_authentication_sends_the_intent_back_for_a_new_payment_method(
    payments: FakePayments,
) -> None:
    intent = payments.create_payment_intent(
        amount=2000, currency="usd", payment_method="pm_card_authenticationRequired", confirm=True
    )
    failed = payments.authenticate(intent.id, succeed=False)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error["code"] == "payment_intent_authentication_failure"


def test_an_off_session_payment_with_a_3d_secure_card_is_declined(payments: FakePayments) -> None:
    with pytest.raises(CardError) as raised:
        payments.create_payment_intent(
            amount=2000,
            currency="usd",
            payment_method="pm_card_authenticationRequired",
            confirm=True,
            off_session=True,
        )
    assert raised.value.code == "authentication_required"


def test_manual_capture_authorizes_then_captures_part_of_the_amount(
    payments: FakePayments,
) -> None:
    intent = payments.create_payment_intent(
        amount=5000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        capture_method="manual",
    )
    assert intent.status == "requires_capture"
    assert intent.amount_capturable == 5000
    payments.assert_not_charged()
    payments.assert_charged(amount=5000, captured=False)
    with pytest.raises(InvalidRequestError) as raised:
        payments.capture_payment_intent(intent.id, amount_to_capture=6000)
    assert raised.value.code == "amount_too_large"
    captured = payments.capture_payment_intent(intent.id, amount_to_capture=3000)
    assert (captured.status, captured.amount_received) == ("succeeded", 3000)
    assert payments.assert_charged(amount=5000).amount_captured == 3000
    assert "charge.captured" in [event.type for event in payments.events]


def test_an_uncaptured_authorization_is_canceled_after_seven_days_on_the_clock(
    payments: FakePayments,
) -> None:
    intent = payments.create_payment_intent(
        amount=5000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        capture_method="manual",
    )
    payments.clock.advance(days=6)
    assert payments.retrieve(intent.id).status == "requires_capture"
    payments.clock.advance(days=1)
    expired = payments.retrieve(intent.id)
    assert (expired.status, expired.cancellation_reason) == ("canceled", "automatic")


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("confirm", "already succeeded"),
        ("capture", "status of succeeded"),
        ("cancel", "status of succeeded"),
    ],
)
def test_illegal_transitions_of_a_succeeded_intent_are_refused(
    payments: FakePayments, action: str, message: str
) -> None:
    intent = payments.create_payment_intent(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    method = getattr(payments, f"{action}_payment_intent")
    with pytest.raises(InvalidRequestError, match=message) as raised:
        method(intent.id)
    assert raised.value.code == "payment_intent_unexpected_state"
    assert raised.value.http_status == 400


def test_cancel_records_the_reason_and_forbids_confirming_later(payments: FakePayments) -> None:
    intent = payments.create_payment_intent(amount=2000, currency="usd")
    canceled = payments.cancel_payment_intent(intent.id, cancellation_reason="abandoned")
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    assert canceled.canceled_at == int(payments.clock.now().timestamp())
    with pytest.raises(InvalidRequestError, match="status of canceled"):
        payments.confirm_payment_intent(intent.id, payment_method="pm_card_visa")


def test_confirming_without_a_payment_method_is_refused(payments: FakePayments) -> None:
    intent = payments.create_payment_intent(amount=2000, currency="usd")
    with pytest.raises(InvalidRequestError, match="missing a payment method") as raised:
        payments.confirm_payment_intent(intent.id)
    assert raised.value.code == "payment_intent_unexpected_state"


def test_fail_next_declines_the_next_charge_whatever_the_card(payments: FakePayments) -> None:
    payments.fail_next("insufficient_funds")
    with pytest.raises(CardError) as raised:
        payments.create_payment_intent(
            amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
        )
    assert raised.value.decline_code == "insufficient_funds"
    again = payments.create_payment_intent(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    assert again.status == "succeeded"


def test_fail_next_can_wait_for_a_given_operation(payments: FakePayments) -> None:
    payments.fail_next("api_error", on="create_refund")
    intent = payments.create_payment_intent(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    from fixturekit.payments import APIError

    with pytest.raises(APIError):
        payments.create_refund(payment_intent=intent.id)
    assert payments.create_refund(payment_intent=intent.id).amount == 2000


def test_fail_next_refuses_unknown_codes_and_says_which_exist(payments: FakePayments) -> None:
    with pytest.raises(ValueError, match=r"did you mean 'insufficient_funds'\?.*rate_limit"):
        payments.fail_next("insufficent_funds")
    with pytest.raises(ValueError, match="charges nothing"):
        payments.fail_next("card_declined", on="create_refund")


def test_a_payment_method_of_another_customer_is_refused(payments: FakePayments) -> None:
    alice = payments.create_customer(email="alice@example.com", payment_method="pm_card_visa")
    bob = payments.create_customer(email="bob@example.com")
    method = payments.payment_methods[0]
    assert method.customer == alice.id
    with pytest.raises(InvalidRequestError, match="belongs to another Customer"):
        payments.create_payment_intent(
            amount=2000, currency="usd", customer=bob.id, payment_method=method.id
        )


def test_a_non_test_card_number_is_declined_as_a_live_card(payments: FakePayments) -> None:
    method = payments.create_payment_method(card="4111111111111111")
    with pytest.raises(CardError) as raised:
        payments.create_payment_intent(
            amount=2000, currency="usd", payment_method=method.id, confirm=True
        )
    assert raised.value.decline_code == "test_mode_live_card"


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ({"number": "4242424242424241"}, "incorrect_number"),
        ({"number": "42424242"}, "invalid_number"),
        ({"number": "4242424242424242", "exp_month": 13}, "invalid_expiry_month"),
        ({"number": "4242424242424242", "exp_year": 2020}, "invalid_expiry_year"),
        ({"number": "4242424242424242", "cvc": "12"}, "invalid_cvc"),
    ],
)
def test_bad_card_details_are_refused_at_creation(
    payments: FakePayments, card: dict[str, object], code: str
) -> None:
    with pytest.raises(CardError) as raised:
        payments.create_payment_method(card=card)
    assert raised.value.code == code


def test_customers_are_created_updated_and_deleted_with_events(payments: FakePayments) -> None:
    customer = payments.create_customer(email="a@example.com", metadata={"plan": "pro"})
    updated = payments.update_customer(customer.id, name="Ada", metadata={"plan": "", "x": "1"})
    assert updated.name == "Ada"
    assert updated.metadata == {"x": "1"}
    payments.delete_customer(customer.id)
    assert payments.customers == []
    types = [event.type for event in payments.events]
    assert types == ["customer.created", "customer.updated", "customer.deleted"]
    assert payments.events[1].data["previous_attributes"]["name"] is None


def test_the_timeline_records_every_state_change(payments: FakePayments) -> None:
    payments.create_payment_intent(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    messages = payments.timeline.messages("payments")
    assert any(m.startswith("payment_intent.succeeded: pi_") for m in messages)
    assert any("$20.00" in m for m in messages)
