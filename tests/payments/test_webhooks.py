"""Signed webhooks: verified by the official SDK, delivered to callables and URLs, retried."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from fixturekit.payments import FakePayments


def _succeeded(payments: FakePayments) -> Any:
    payments.create_payment_intent(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    return next(e for e in payments.events if e.type == "payment_intent.succeeded")


def test_construct_event_accepts_a_signed_webhook(payments: FakePayments) -> None:
    event = _succeeded(payments)
    body, headers = payments.signed_webhook(event)
    assert payments.webhook_secret.startswith("whsec_")
    verified = stripe.Webhook.construct_event(
        body, headers["Stripe-Signature"], payments.webhook_secret
    )
    assert verified.type == "payment_intent.succeeded"
    assert verified.data.object.id == event.data["object"]["id"]
    assert headers["Content-Type"].startswith("application/json")


def test_a_webhook_signed_with_another_secret_is_rejected(payments: FakePayments) -> None:
    body, headers = payments.signed_webhook(_succeeded(payments), secret="whsec_other")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], payments.webhook_secret)


def test_a_tampered_body_is_rejected(payments: FakePayments) -> None:
    body, headers = payments.signed_webhook(_succeeded(payments))
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            body.replace(b"2000", b"9000"), headers["Stripe-Signature"], payments.webhook_secret
        )


def test_the_signature_ages_with_the_shared_clock(payments: FakePayments) -> None:
    # The harness clock patches time.time(), which construct_event's tolerance reads.
    body, headers = payments.signed_webhook(_succeeded(payments))
    payments.clock.advance(seconds=299)
    stripe.Webhook.construct_event(body, headers["Stripe-Signature"], payments.webhook_secret)
    payments.clock.advance(seconds=2)
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], payments.webhook_secret)


def test_signed_webhook_takes_an_event_id(payments: FakePayments) -> None:
    event = _succeeded(payments)
    assert payments.signed_webhook(event.id)[0] == payments.signed_webhook(event)[0]
    with pytest.raises(ValueError, match="takes an event"):
        payments.signed_webhook(event.data["object"]["id"])


def test_deliveries_go_to_a_callable_for_the_subscribed_event_types(
    payments: FakePayments,
) -> None:
    received: list[Any] = []

    def handler(body: bytes, headers: dict[str, str]) -> int:
        received.append(
            stripe.Webhook.construct_event(
                body, headers["Stripe-Signature"], payments.webhook_secret
            )
        )
        return 200

    payments.add_webhook_endpoint(handler, events=["payment_intent.*"])
    _succeeded(payments)
    assert received == []  # nothing goes out until the test says so
    assert payments.pending_webhooks == 2
    deliveries = payments.deliver_webhooks()
    assert [d.succeeded for d in deliveries] == [True, True]
    assert [event.type for event in received] == [
        "payment_intent.created",
        "payment_intent.succeeded",
    ]
    assert payments.pending_webhooks == 0
    assert payments.retrieve(received[1].id).pending_webhooks == 0


def test_failed_deliveries_are_retried_on_the_clock(payments: FakePayments) -> None:
    answers = iter([500, 503, 200])
    calls: list[int] = []

    def flaky(body: bytes, headers: dict[str, str]) -> int:
        status = next(answers)
        calls.append(status)
        return status

    payments.add_webhook_endpoint(flaky, events=["payment_intent.succeeded"])
    _succeeded(payments)
    first = payments.deliver_webhooks()[0]
    assert (first.succeeded, first.status) == (False, 500)
    assert first.next_attempt_at == payments.clock.now() + timedelta(seconds=60)
    payments.clock.advance(seconds=59)
    assert calls == [500]
    payments.clock.advance(seconds=1)
    assert calls == [500, 503]
    payments.clock.advance(minutes=5)
    assert calls == [500, 503, 200]
    attempts = [(d.attempt, d.succeeded) for d in payments.webhook_deliveries]
    assert attempts == [(1, False), (2, False), (3, True)]
    assert any("retry in 60 s" in m for m in payments.timeline.messages())


def test_a_handler_that_raises_counts_as_a_failed_delivery(payments: FakePayments) -> None:
    def broken(body: bytes, headers: dict[str, str]) -> None:
        raise KeyError("order")

    payments.add_webhook_endpoint(broken, retry_delays=[])
    _succeeded(payments)
    deliveries = payments.deliver_webhooks()
    assert all(not d.succeeded for d in deliveries)
    assert deliveries[0].error == "KeyError: 'order'"
    assert payments.clock.pending_timers == []
    assert "failed for good" in payments.timeline.messages()[-1]


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    received: list[tuple[bytes, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.slow
def test_deliveries_are_posted_to_a_url(
    payments: FakePayments, receiver: tuple[str, list[tuple[bytes, str]]]
) -> None:
    url, received = receiver
    payments.add_webhook_endpoint(url, events=["charge.succeeded"])
    _succeeded(payments)
    [delivery] = payments.deliver_webhooks()
    assert (delivery.succeeded, delivery.status) == (True, 200)
    body, signature = received[0]
    event = stripe.Webhook.construct_event(body, signature, payments.webhook_secret)
    assert event.type == "charge.succeeded"


def test_an_unreachable_url_is_a_failed_delivery(payments: FakePayments) -> None:
    payments.add_webhook_endpoint("http://127.0.0.1:9/hooks", retry_delays=[10])
    _succeeded(payments)
    delivery = payments.deliver_webhooks()[0]
    assert not delivery.succeeded
    assert "could not reach" in (delivery.error or "")


def test_add_webhook_endpoint_checks_its_arguments(payments: FakePayments) -> None:
    with pytest.raises(TypeError, match="takes a URL"):
        payments.add_webhook_endpoint("not a url")
    with pytest.raises(ValueError, match="whsec_"):
        payments.add_webhook_endpoint(lambda b, h: None, secret="nope")
    with pytest.raises(TypeError, match=r"did you mean events=\?"):
        payments.add_webhook_endpoint(lambda b, h: None, event=["x"])  # type: ignore[call-arg]
