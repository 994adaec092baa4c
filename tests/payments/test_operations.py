"""The operations table is what the Python API and the HTTP facade both run; reset()
forgets recordings and keeps configuration."""

from __future__ import annotations

import inspect
import json
import urllib.request

import pytest

import fixturekit
from fixturekit import errors
from fixturekit.payments import FakePayments
from fixturekit.payments._operations import CALLS, NAMES, OPERATIONS


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_python_method_takes_exactly_its_rows_parameters(name: str) -> None:
    method = getattr(FakePayments, name)
    keywords = {
        parameter.name
        for parameter in inspect.signature(method).parameters.values()
        if parameter.kind is parameter.KEYWORD_ONLY and parameter.name != "idempotency_key"
    }
    assert keywords == {param.name for param in CALLS[name].params}


def test_each_route_is_one_row() -> None:
    routes = [(op.method, op.path) for op in OPERATIONS if op.method is not None]
    assert len(routes) == len(set(routes))
    assert ("POST", "/v1/payment_intents/{id}/confirm") in routes
    assert ("GET", "/v1/events") in routes


def test_fail_next_takes_every_operation_name(payments: FakePayments) -> None:
    assert NAMES[:4] == (
        "create_customer",
        "search_customers",
        "update_customer",
        "delete_customer",
    )
    assert {"retrieve", "list", "authenticate"} <= set(NAMES)
    for name in NAMES:
        payments.fail_next("api_error", on=name)


def test_the_errors_are_fixturekits() -> None:
    import fixturekit.payments as payments

    for name in ("PaymentsError", "CardError", "InvalidRequestError", "IdempotencyError"):
        assert getattr(payments, name) is getattr(errors, name)
        assert issubclass(getattr(payments, name), errors.FixturekitError)
    assert fixturekit.FakePayments is FakePayments


# --- reset: recordings go, configuration stays ----------------------------------------------


def test_reset_keeps_webhook_endpoints_and_the_webhook_secret(payments: FakePayments) -> None:
    received: list[bytes] = []
    endpoint = payments.add_webhook_endpoint(
        lambda body, headers: received.append(body), events=["payment_intent.succeeded"]
    )
    secret = payments.webhook_secret
    payments.create_customer()
    payments.reset()
    assert payments.webhook_endpoints == [endpoint]
    assert payments.webhook_secret == secret
    assert (payments.customers, payments.events, payments.webhook_deliveries) == ([], [], [])
    payments.create_payment_intent(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    [delivery] = payments.deliver_webhooks()
    assert delivery.succeeded
    assert json.loads(received[0])["type"] == "payment_intent.succeeded"


def test_reset_drops_pending_deliveries_and_scheduled_retries(payments: FakePayments) -> None:
    calls: list[int] = []
    payments.add_webhook_endpoint(lambda body, headers: calls.append(1) or 500)
    payments.create_customer()
    payments.deliver_webhooks()  # fails, a retry is due in a minute
    payments.create_customer()
    payments.reset()
    assert payments.pending_webhooks == 0
    payments.clock.advance(minutes=5)
    assert calls == [1]


@pytest.mark.slow
def test_reset_leaves_a_running_stripe_api_serving(payments: FakePayments) -> None:
    with payments.stripe_api() as api_base:
        payments.create_customer(email="before@example.com")
        payments.reset()
        request = urllib.request.Request(
            api_base + "/v1/customers", headers={"Authorization": "Bearer sk_test_x"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response)["data"] == []
