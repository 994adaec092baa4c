"""The new resources through the SDK's async StripeClient (its HTTPX client)."""

from __future__ import annotations

import pytest
import stripe

from fixturekit.payments import FakePayments

pytestmark = pytest.mark.slow  # a real loopback server and the official SDK


@pytest.mark.asyncio
# The SDK's HTTPXClient posts its form as raw bytes, which httpx deprecates.
@pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning")
async def test_async_client_sets_up_searches_and_checks_out(
    api_base: str, payments: FakePayments
) -> None:
    http_client = stripe.HTTPXClient()
    client = stripe.StripeClient(
        "sk_test_" + "a" * 24, base_addresses={"api": api_base}, http_client=http_client
    )
    try:
        customer = await client.v1.customers.create_async(
            params={"email": "ada@example.com", "metadata": {"plan": "pro"}}
        )
        setup = await client.v1.setup_intents.create_async(
            params={"customer": customer.id, "payment_method": "pm_card_visa", "confirm": True}
        )
        assert setup.status == "succeeded"
        found = await client.v1.customers.search_async(params={"query": "metadata['plan']:'pro'"})
        assert [c.id for c in found.data] == [customer.id]
        price = await client.v1.prices.create_async(
            params={"currency": "usd", "unit_amount": 1200, "product_data": {"name": "Book"}}
        )
        session = await client.v1.checkout.sessions.create_async(
            params={
                "mode": "payment",
                "customer": customer.id,
                "line_items": [{"price": price.id, "quantity": 1}],
            }
        )
        payments.complete_checkout_session(session.id, payment_method=setup.payment_method)
        done = await client.v1.checkout.sessions.retrieve_async(session.id)
        assert (done.status, done.payment_status) == ("complete", "paid")
        intent = await client.v1.payment_intents.retrieve_async(
            done.payment_intent, params={"expand": ["latest_charge.balance_transaction"]}
        )
        assert intent.latest_charge.balance_transaction.amount == 1200
    finally:
        await http_client.close_async()


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning")
async def test_async_client_subscribes_lists_and_cancels(
    api_base: str, payments: FakePayments
) -> None:
    client = stripe.StripeClient(
        "sk_test_" + "b" * 24, base_addresses={"api": api_base}, http_client=stripe.HTTPXClient()
    )
    customer = await client.v1.customers.create_async(params={"payment_method": "pm_card_visa"})
    method = payments.payment_methods[-1].id
    price = await client.v1.prices.create_async(
        params={
            "currency": "usd",
            "unit_amount": 700,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Plan"},
        }
    )
    sub = await client.v1.subscriptions.create_async(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "default_payment_method": method,
        }
    )
    assert sub.status == "active"
    listed = await client.v1.invoices.list_async(params={"subscription": sub.id})
    assert [i.status for i in listed.data] == ["paid"]
    canceled = await client.v1.subscriptions.cancel_async(sub.id)
    assert canceled.status == "canceled"
