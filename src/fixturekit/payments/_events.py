"""Events to webhooks: endpoints, signed bodies, deliveries and retries on the clock.

Events themselves are stored by `PaymentsCore._emit` as state changes happen; this
resource sends them where the test subscribed them (`FakePayments` holds the public
methods).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from fixturekit.payments._core import PaymentsCore
from fixturekit.payments._webhooks import (
    USER_AGENT,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookTarget,
    encode_event,
    send,
    signature_header,
)

__all__ = ["Webhooks"]


class Webhooks(PaymentsCore):
    """Webhook endpoints and deliveries of the events the other resources emit."""

    def _add_webhook_endpoint(
        self,
        target: WebhookTarget,
        events: Iterable[str] | str,
        secret: str | None,
        retry_delays: Iterable[float],
    ) -> WebhookEndpoint:
        if not (isinstance(target, str) and target.startswith(("http://", "https://"))) and (
            isinstance(target, str) or not callable(target)
        ):
            raise TypeError(
                "add_webhook_endpoint() takes a URL ('http://127.0.0.1:8000/webhooks') or a "
                f"callable taking (body, headers), not {target!r}"
            )
        kinds = (events,) if isinstance(events, str) else tuple(events)
        if not kinds or not all(isinstance(kind, str) and kind for kind in kinds):
            raise ValueError(
                f"events= must be event types such as 'charge.succeeded', not {kinds!r}"
            )
        if secret is not None and not (isinstance(secret, str) and secret.startswith("whsec_")):
            raise ValueError(f"secret= must be a 'whsec_...' string, not {secret!r}")
        delays = tuple(retry_delays)
        if not all(
            isinstance(d, (int, float)) and not isinstance(d, bool) and d >= 0 for d in delays
        ):
            raise ValueError(f"retry_delays= must be non-negative seconds, not {delays!r}")
        with self._lock:
            endpoint = WebhookEndpoint(
                id=self._new_id("we"),
                target=target,
                events=kinds,
                secret=secret or self._secret(),
                retry_delays=delays,
            )
            self._endpoints.append(endpoint)
        self.record(f"webhook endpoint {endpoint.id} -> {endpoint.describe()}", id=endpoint.id)
        return endpoint

    def _signed_webhook(
        self, event: Mapping[str, Any] | str, secret: str | None, timestamp: int | None
    ) -> tuple[bytes, dict[str, str]]:
        if isinstance(event, str):
            obj = self._op_retrieve(event)
            if obj.get("object") != "event":
                raise ValueError(f"signed_webhook() takes an event or an event id, not {event!r}")
            event = obj
        if not isinstance(event, Mapping) or event.get("object") != "event":
            raise TypeError(
                "signed_webhook() takes an event (from payments.events) or its 'evt_...' id, "
                f"not {event!r}"
            )
        if timestamp is None:
            timestamp = self._now()
        elif isinstance(timestamp, bool) or not isinstance(timestamp, int):
            raise TypeError(f"timestamp= must be POSIX seconds (an int), not {timestamp!r}")
        key = self._secret() if secret is None else secret
        if not isinstance(key, str) or not key:
            raise TypeError(f"secret= must be a non-empty str, not {secret!r}")
        body = encode_event(event)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": signature_header(body, key, timestamp),
        }
        return body, headers

    def _deliver_webhooks(self) -> list[WebhookDelivery]:
        with self._lock:
            pending, self._pending = self._pending, []
        deliveries: list[WebhookDelivery] = []
        for index, (event_id, endpoint, attempt) in enumerate(pending):
            try:
                deliveries.append(self._attempt(event_id, endpoint, attempt))
            except BaseException:
                # The one that raised and the ones after it stay pending, in order.
                with self._lock:
                    kept = [item for item in pending[index:] if item[0] in self._objects]
                    self._pending[:0] = kept
                raise
        return deliveries

    def _attempt(self, event_id: str, endpoint: WebhookEndpoint, attempt: int) -> WebhookDelivery:
        with self._lock:
            event = self._objects.get(event_id)
        if event is None:  # reset() in between
            raise RuntimeError(f"event {event_id} is gone (the fake was reset)")
        body, headers = self._signed_webhook(event, endpoint.secret, None)
        status, error = send(endpoint.target, body, headers)
        delivery = WebhookDelivery(
            event_id=event_id,
            event_type=event["type"],
            endpoint=endpoint,
            attempt=attempt,
            at=self.clock.now(),
            succeeded=not error,
            status=status,
            error=error or None,
            headers=headers,
            body=body,
        )
        with self._lock:
            self._deliveries.append(delivery)
            if not error:
                event["pending_webhooks"] = max(0, event["pending_webhooks"] - 1)
        where = f"webhook {event['type']} to {endpoint.describe()}"
        if not error:
            again = f" (attempt {attempt})" if attempt > 1 else ""
            self.record(
                f"webhook {event['type']} delivered to {endpoint.describe()}{again}",
                event=event_id,
                attempt=attempt,
            )
        elif attempt <= len(endpoint.retry_delays):
            delay = endpoint.retry_delays[attempt - 1]
            delivery.next_attempt_at = self.clock.now() + timedelta(seconds=delay)
            self.clock.call_later(
                delay, self._retry, self._generation, event_id, endpoint, attempt + 1
            )
            self.record(
                f"{where} failed (attempt {attempt}: {error}); retry in {delay:g} s",
                event=event_id,
                attempt=attempt,
            )
        else:
            self.record(
                f"{where} failed for good after {attempt} attempts: {error}",
                event=event_id,
                attempt=attempt,
            )
        return delivery

    def _retry(
        self, generation: int, event_id: str, endpoint: WebhookEndpoint, attempt: int
    ) -> None:
        if generation == self._generation and endpoint in self._endpoints:
            self._attempt(event_id, endpoint, attempt)
