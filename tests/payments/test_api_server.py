"""The Stripe API server's edges: stopping under held connections, deep form keys,
CORS preflight, the bare key prefix, and pending webhooks kept when a delivery raises."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from fixturekit._internal.loopback import LoopbackHandler
from fixturekit.payments import FakePayments

KEY = "sk_test_" + "k" * 24


class _Interrupt(BaseException):
    """What a webhook handler raising past ``except Exception`` looks like."""


def _stops_promptly(stop: Callable[[], None]) -> bool:
    """Run ``stop`` and say whether it returned (a hang guard, not a timing check)."""
    thread = threading.Thread(target=stop, daemon=True)
    thread.start()
    thread.join(60)
    return not thread.is_alive()


@pytest.fixture
def long_request_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Request threads would wait an hour on a silent client: stop() must not."""
    monkeypatch.setattr(LoopbackHandler, "timeout", 3600.0)


@pytest.mark.parametrize("held", ["idle", "half-sent headers", "half-sent body"])
def test_the_server_stops_while_a_client_holds_a_connection(
    payments: FakePayments, long_request_timeout: None, held: str
) -> None:
    server = payments.stripe_api()
    url = server.__enter__()
    split = urlsplit(url)
    sock = socket.create_connection((split.hostname, split.port))
    try:
        if held == "half-sent headers":
            sock.sendall(b"POST /v1/customers HTTP/1.1\r\nAuthorization: Bearer ")
        elif held == "half-sent body":
            sock.sendall(
                f"POST /v1/customers HTTP/1.1\r\nAuthorization: Bearer {KEY}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: 100\r\n\r\nemail=a".encode()
            )
        # the server has the connection (a request thread reads from it) before stopping
        httpx.get(f"{url}/v1/customers", headers={"Authorization": f"Bearer {KEY}"})
        assert _stops_promptly(lambda: server.__exit__(None, None, None))
        assert not server.running
    finally:
        sock.close()


def test_a_form_key_nested_thousands_of_levels_gets_a_400(api_base: str) -> None:
    key = "metadata" + "[a]" * 5000
    answer = httpx.post(
        f"{api_base}/v1/customers",
        headers={"Authorization": f"Bearer {KEY}"},
        data={key: "x"},
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "nested" in error["message"]
    assert error["param"] == "metadata"
    # and the server still answers
    ok = httpx.get(f"{api_base}/v1/customers", headers={"Authorization": f"Bearer {KEY}"})
    assert ok.status_code == 200


def test_options_preflight_is_answered_for_a_browser(api_base: str) -> None:
    answer = httpx.options(
        f"{api_base}/v1/payment_intents",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    assert answer.headers["Access-Control-Allow-Headers"] == "authorization, content-type"
    # the actual request then carries the allowed origin too
    created = httpx.post(
        f"{api_base}/v1/customers",
        headers={"Authorization": f"Bearer {KEY}", "Origin": "http://localhost:3000"},
        data={"email": "a@example.test"},
    )
    assert created.status_code == 200
    assert created.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer sk_test_", "Bearer rk_test_", "Basic " + base64.b64encode(b"sk_test_:").decode()],
)
def test_the_bare_key_prefix_is_refused(api_base: str, authorization: str) -> None:
    answer = httpx.get(f"{api_base}/v1/customers", headers={"Authorization": authorization})
    assert answer.status_code == 401
    assert "Invalid API Key" in answer.json()["error"]["message"]


def _three_pending(payments: FakePayments, handler: Any) -> None:
    payments.add_webhook_endpoint(handler, events=["customer.created"])
    for number in range(3):
        payments.create_customer(email=f"c{number}@example.test")
    assert payments.pending_webhooks == 3


def test_deliver_webhooks_keeps_the_pending_ones_when_a_delivery_raises(
    payments: FakePayments,
) -> None:
    calls: list[str] = []

    def handler(body: bytes, headers: dict[str, str]) -> int:
        calls.append("called")
        if len(calls) == 2:
            raise _Interrupt
        return 200

    _three_pending(payments, handler)
    with pytest.raises(_Interrupt):
        payments.deliver_webhooks()
    assert len(payments.webhook_deliveries) == 1
    assert payments.pending_webhooks == 2  # the one that raised and the one after it
    deliveries = payments.deliver_webhooks()
    assert [d.succeeded for d in deliveries] == [True, True]
    assert payments.pending_webhooks == 0
    emails = [d.body for d in payments.webhook_deliveries]
    assert [b"c0@" in body for body in emails] == [True, False, False]
    assert [b"c1@" in body for body in emails] == [False, True, False]
    assert [b"c2@" in body for body in emails] == [False, False, True]
