"""Subscriptions and invoices billed on the clock, through the official SDK: renewals,
trials, failed renewals and their retries, cancellation, item changes, lists."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import stripe

from fixturekit.clock import Clock
from fixturekit.payments import FakePayments

pytestmark = pytest.mark.slow  # a real loopback server and the official SDK

DAY = 86400


def _customer(card: str = "pm_card_visa") -> Any:
    customer = stripe.Customer.create(email="ada@example.com", payment_method=card)
    (method,) = stripe.Customer.list_payment_methods(customer.id).data
    return stripe.Customer.modify(
        customer.id, invoice_settings={"default_payment_method": method.id}
    )


def _price(amount: int = 900, interval: str = "month") -> Any:
    return stripe.Price.create(
        currency="usd",
        unit_amount=amount,
        recurring={"interval": interval},
        product_data={"name": "Pro plan"},
    )


def _types(prefix: str) -> list[str]:
    return [e.type for e in reversed(stripe.Event.list(type=prefix, limit=100).data)]


def test_a_subscription_renews_each_month_on_the_clock(
    sdk: Any, payments: FakePayments, clock: Clock
) -> None:
    customer, price = _customer(), _price()
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], expand=["latest_invoice"]
    )
    assert sub.status == "active"
    assert (sub.latest_invoice.status, sub.latest_invoice.amount_paid) == ("paid", 900)
    assert sub.latest_invoice.billing_reason == "subscription_create"
    assert datetime.fromtimestamp(sub.current_period_end, UTC) == datetime(
        2024, 6, 1, 12, tzinfo=UTC
    )
    payments.assert_charged(amount=900, customer=customer.id)
    clock.advance(days=31)
    renewed = stripe.Subscription.retrieve(sub.id)
    assert renewed.current_period_start == sub.current_period_end
    assert datetime.fromtimestamp(renewed.current_period_end, UTC).month == 7
    assert renewed["items"].data[0].current_period_end == renewed.current_period_end
    invoices = stripe.Invoice.list(subscription=sub.id).data
    assert [(i.billing_reason, i.status) for i in invoices] == [
        ("subscription_cycle", "paid"),
        ("subscription_create", "paid"),
    ]
    assert invoices[0].number.endswith("-0002")
    (line,) = stripe.Invoice.list_lines(invoices[0].id).data
    assert (line.amount, line.period.start, line.price.id) == (
        900,
        sub.current_period_end,
        price.id,
    )
    assert (
        invoices[0].charge
        == stripe.PaymentIntent.retrieve(invoices[0].payment_intent).latest_charge
    )
    clock.advance(days=11 * 31)  # a year in all
    assert len(stripe.Invoice.list(subscription=sub.id, limit=100).data) == 13
    payments.assert_charged_count(13, amount=900, customer=customer.id)
    assert _types("invoice.*")[:5] == [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.created",
    ]
    updated = stripe.Event.list(type="customer.subscription.updated").data[0]
    assert "current_period_end" in updated.data.previous_attributes


def test_a_trial_bills_nothing_until_it_ends(
    sdk: Any, payments: FakePayments, clock: Clock
) -> None:
    customer, price = _customer(), _price(2500)
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id, "quantity": 2}], trial_period_days=14
    )
    assert (sub.status, sub.trial_end - sub.trial_start) == ("trialing", 14 * DAY)
    first = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (first.status, first.amount_due) == ("paid", 0)
    payments.assert_nothing_charged()
    clock.advance(days=10)
    assert "customer.subscription.trial_will_end" not in _types("customer.subscription.*")
    clock.advance(days=1)
    assert "customer.subscription.trial_will_end" in _types("customer.subscription.*")
    clock.advance(days=3)
    assert stripe.Subscription.retrieve(sub.id).status == "active"
    payments.assert_charged(amount=5000, customer=customer.id)
    # trial_end="now" ends another trial at once and bills it
    other = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": price.id}],
        trial_end=clock.now().timestamp().__int__() + 30 * DAY,
    )
    ended = stripe.Subscription.modify(other.id, trial_end="now")
    assert (ended.status, ended.trial_end) == ("active", int(clock.now().timestamp()))
    payments.assert_charged_count(2, customer=customer.id)


def test_a_failed_renewal_goes_past_due_is_retried_then_canceled(
    sdk: Any, payments: FakePayments, clock: Clock
) -> None:
    customer, price = _customer(), _price()
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    failing = stripe.PaymentMethod.attach("pm_card_chargeCustomerFail", customer=customer.id)
    stripe.Subscription.modify(sub.id, default_payment_method=failing.id)
    clock.advance(days=31)
    assert stripe.Subscription.retrieve(sub.id).status == "past_due"
    (invoice,) = stripe.Invoice.list(subscription=sub.id, status="open").data
    assert (invoice.attempt_count, invoice.next_payment_attempt) == (
        1,
        invoice.created + 3 * DAY,
    )
    (failed,) = stripe.Event.list(type="invoice.payment_failed").data
    assert failed.data.object.next_payment_attempt == invoice.next_payment_attempt
    clock.advance(days=3)
    assert stripe.Invoice.retrieve(invoice.id).attempt_count == 2
    clock.advance(days=5)
    assert stripe.Invoice.retrieve(invoice.id).attempt_count == 3
    assert stripe.Subscription.retrieve(sub.id).status == "past_due"
    clock.advance(days=7)
    ended = stripe.Subscription.retrieve(sub.id)
    assert (ended.status, ended.cancellation_details.reason) == ("canceled", "payment_failed")
    assert stripe.Invoice.retrieve(invoice.id).attempt_count == 4
    assert len(_types("invoice.payment_failed")) == 4
    assert _types("customer.subscription.deleted") == ["customer.subscription.deleted"]
    clock.advance(days=40)
    assert len(stripe.Invoice.list(subscription=sub.id).data) == 2  # no renewal once canceled


def test_unpaid_after_retries_then_paid_by_hand(
    client: Any, payments: FakePayments, clock: Clock
) -> None:
    payments.configure_billing(retry_days=[2], final_status="unpaid")
    customer = client.v1.customers.create(params={"payment_method": "pm_card_visa"})
    method = client.v1.customers.payment_methods.list(customer.id).data[0]
    price = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 1200,
            "recurring": {"interval": "week"},
            "product_data": {"name": "Box"},
        }
    )
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "default_payment_method": method.id,
        }
    )
    payments.fail_next("insufficient_funds", on="pay_invoice", times=2)
    clock.advance(days=7)
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    clock.advance(days=2)
    assert client.v1.subscriptions.retrieve(sub.id).status == "unpaid"
    clock.advance(days=5)  # the next period's invoice stays a draft while unpaid
    assert [i.status for i in client.v1.invoices.list(params={"subscription": sub.id}).data] == [
        "draft",
        "open",
        "paid",
    ]
    (stuck,) = client.v1.invoices.list(params={"subscription": sub.id, "status": "open"}).data
    with pytest.raises(stripe.CardError) as declined:
        client.v1.invoices.pay(stuck.id, params={"payment_method": "pm_card_chargeDeclined"})
    assert declined.value.code == "card_declined"
    paid = client.v1.invoices.pay(stuck.id)
    assert paid.status == "paid"
    # the latest invoice is the draft: paying an older one does not reactivate
    assert client.v1.subscriptions.retrieve(sub.id).status == "unpaid"
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.invoices.pay(stuck.id)
    assert again.value.code == "invoice_already_paid"


def test_cancel_at_period_end_and_cancel_now(
    client: Any, payments: FakePayments, clock: Clock
) -> None:
    customer = client.v1.customers.create(params={"payment_method": "pm_card_visa"})
    method = client.v1.customers.payment_methods.list(customer.id).data[0]
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": method.id}}
    )
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 500,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Plan"},
        }
    )
    later = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    now = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    scheduled = client.v1.subscriptions.update(later.id, params={"cancel_at_period_end": True})
    assert (scheduled.status, scheduled.cancel_at) == ("active", later.current_period_end)
    canceled = client.v1.subscriptions.cancel(
        now.id, params={"cancellation_details": {"comment": "too dear"}}
    )
    assert (canceled.status, canceled.cancellation_details.comment) == ("canceled", "too dear")
    assert canceled.ended_at == int(clock.now().timestamp())
    assert [s.id for s in client.v1.subscriptions.list().data] == [later.id]
    clock.advance(days=31)
    ended = client.v1.subscriptions.retrieve(later.id)
    assert (ended.status, ended.ended_at) == ("canceled", later.current_period_end)
    assert client.v1.subscriptions.list().data == []
    listed = client.v1.subscriptions.list(params={"status": "canceled"}).data
    assert {s.id for s in listed} == {later.id, now.id}
    payments.assert_charged_count(2, amount=500)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.cancel(now.id)


def test_quantity_and_price_changes_bill_from_the_next_renewal(
    sdk: Any, payments: FakePayments, clock: Clock
) -> None:
    customer, basic, pro = _customer(), _price(1000), _price(3000)
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": basic.id}])
    item = sub["items"].data[0]
    seats = stripe.Subscription.modify(
        sub.id, items=[{"id": item.id, "quantity": 3}], proration_behavior="none"
    )
    assert (seats.quantity, seats["items"].data[0].quantity) == (3, 3)
    assert (
        stripe.Event.list(type="customer.subscription.updated").data[0].data.previous_attributes
    )["quantity"] == 1
    clock.advance(days=31)
    payments.assert_charged(amount=3000, customer=customer.id)
    upgraded = stripe.Subscription.modify(sub.id, items=[{"id": item.id, "price": pro.id}])
    assert upgraded.plan.amount == 3000
    clock.advance(days=31)
    payments.assert_charged(amount=9000, customer=customer.id)
    assert [s.id for s in stripe.Subscription.list(price=pro.id).data] == [sub.id]
    assert stripe.Subscription.list(price=basic.id).data == []
    with pytest.raises(stripe.InvalidRequestError) as yearly:
        stripe.Subscription.modify(
            sub.id, items=[{"id": item.id, "price": _price(9000, "year").id}]
        )
    assert yearly.value.param == "items[0][price]"


def test_a_declined_first_payment_leaves_it_incomplete(
    sdk: Any, payments: FakePayments, clock: Clock
) -> None:
    customer, price = _customer("pm_card_chargeCustomerFail"), _price()
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], expand=["latest_invoice"]
    )
    assert (sub.status, sub.latest_invoice.status) == ("incomplete", "open")
    assert _types("invoice.payment_failed") == ["invoice.payment_failed"]
    clock.advance(hours=23)
    expired = stripe.Subscription.retrieve(sub.id)
    assert expired.status == "incomplete_expired"
    assert stripe.Invoice.retrieve(sub.latest_invoice.id).status == "void"
    # 3D Secure on the first payment: incomplete until the customer authenticates
    secure = _customer("pm_card_threeDSecureRequired")
    waiting = stripe.Subscription.create(customer=secure.id, items=[{"price": price.id}])
    intent = stripe.Invoice.retrieve(waiting.latest_invoice).payment_intent
    assert (waiting.status, stripe.PaymentIntent.retrieve(intent).status) == (
        "incomplete",
        "requires_action",
    )
    payments.authenticate(intent)
    assert stripe.Subscription.retrieve(waiting.id).status == "active"
    clock.advance(days=31)  # renewals are off session: the 3D Secure card is declined
    assert stripe.Subscription.retrieve(waiting.id).status == "past_due"


def test_default_incomplete_is_paid_by_confirming_its_payment_intent(
    sdk: Any, payments: FakePayments
) -> None:
    customer = stripe.Customer.create(email="bo@example.com")
    sub = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": _price().id}],
        payment_behavior="default_incomplete",
        expand=["latest_invoice.payment_intent"],
    )
    intent = sub.latest_invoice.payment_intent
    assert (sub.status, intent.status, intent.amount) == (
        "incomplete",
        "requires_payment_method",
        900,
    )
    stripe.PaymentIntent.confirm(intent.id, payment_method="pm_card_visa")
    assert stripe.Subscription.retrieve(sub.id).status == "active"
    assert stripe.Invoice.retrieve(sub.latest_invoice.id).paid is True


def test_bad_input(sdk: Any, payments: FakePayments) -> None:
    customer = stripe.Customer.create(email="no-card@example.com")
    price = _price()
    with pytest.raises(stripe.InvalidRequestError) as unknown_price:
        stripe.Subscription.create(customer=customer.id, items=[{"price": "price_nope"}])
    assert (unknown_price.value.code, unknown_price.value.param) == (
        "resource_missing",
        "items[0][price]",
    )
    with pytest.raises(stripe.InvalidRequestError) as unknown_customer:
        stripe.Subscription.create(customer="cus_nope", items=[{"price": price.id}])
    assert unknown_customer.value.param == "customer"
    with pytest.raises(stripe.InvalidRequestError) as no_card:
        stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    assert "no attached payment source or default payment method" in str(no_card.value)
    one_time = stripe.Price.create(currency="usd", unit_amount=100, product=price.product)
    with pytest.raises(stripe.InvalidRequestError) as not_recurring:
        stripe.Subscription.create(customer=customer.id, items=[{"price": one_time.id}])
    assert "not recurring" in str(not_recurring.value)
    with pytest.raises(stripe.InvalidRequestError) as typo:
        stripe.Subscription.create(
            customer=customer.id, items=[{"price": price.id}], trial_period_day=3
        )
    assert "did you mean trial_period_days?" in str(typo.value)
    with pytest.raises(stripe.InvalidRequestError) as past:
        stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}], trial_end=5)
    assert past.value.param == "trial_end"
    with pytest.raises(stripe.InvalidRequestError) as behavior:
        stripe.Subscription.create(
            customer=customer.id,
            items=[{"price": price.id}],
            payment_behavior="error_if_incomplete",
        )
    assert (behavior.value.param, "left out" in str(behavior.value)) == ("payment_behavior", True)
    with pytest.raises(stripe.InvalidRequestError) as status:
        stripe.Subscription.list(status="paid")
    assert status.value.param == "status"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe.Subscription.retrieve("sub_nope")
    assert missing.value.http_status == 404
    with pytest.raises(ValueError, match="final_status"):
        payments.configure_billing(final_status="deleted")
    with pytest.raises(ValueError, match="retry_days"):
        payments.configure_billing(retry_days=[0])
    with pytest.raises(TypeError, match="retry_day"):
        payments.configure_billing(retry_day=[1])  # type: ignore[call-arg]


def test_billing_webhooks_are_signed_and_delivered_on_the_clock(
    sdk: Any, payments: FakePayments, clock: Clock
) -> None:
    received: list[Any] = []

    def endpoint(body: bytes, headers: dict[str, str]) -> int:
        received.append(
            stripe.Webhook.construct_event(
                body, headers["Stripe-Signature"], payments.webhook_secret
            )
        )
        return 200

    payments.add_webhook_endpoint(endpoint, events=["invoice.*", "customer.subscription.*"])
    customer, price = _customer(), _price()
    stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    payments.deliver_webhooks()
    clock.advance(days=31)
    payments.deliver_webhooks()
    types = [event.type for event in received]
    assert types.count("invoice.paid") == 2
    assert types[0] == "customer.subscription.created"
    assert types[-1] == "invoice.payment_succeeded"
    renewal = next(e for e in received if e.type == "invoice.created" and e.created > 1714600000)
    assert renewal.data.object.billing_reason == "subscription_cycle"
    assert renewal.request.id is None  # made by the clock, not by a request


def test_a_longer_trial_moves_its_notice_and_a_deleted_customer_ends_subscriptions(
    sdk: Any, payments: FakePayments, clock: Clock
) -> None:
    customer, price = _customer(), _price()
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], trial_period_days=5
    )
    longer = stripe.Subscription.modify(sub.id, trial_end=sub.trial_end + 10 * DAY)
    assert longer.current_period_end == longer.trial_end
    clock.advance(days=5)  # the first trial's end: nothing happens any more
    assert _types("customer.subscription.trial_will_end") == []
    assert stripe.Subscription.retrieve(sub.id).status == "trialing"
    payments.assert_nothing_charged()
    clock.advance(days=7)
    assert _types("customer.subscription.trial_will_end") == [
        "customer.subscription.trial_will_end"
    ]
    clock.advance(days=3)
    assert stripe.Subscription.retrieve(sub.id).status == "active"
    stripe.Customer.delete(customer.id)
    ended = stripe.Subscription.retrieve(sub.id)
    assert (ended.status, ended.cancellation_details.reason) == (
        "canceled",
        "cancellation_requested",
    )
    clock.advance(days=40)  # no renewal for a deleted customer
    assert len(stripe.Invoice.list(subscription=sub.id).data) == 2
