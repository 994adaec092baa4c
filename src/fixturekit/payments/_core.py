"""The core every resource of FakePayments builds on: the store of objects, seeded ids,
events, the queue of scripted failures, idempotency keys and the invocation pipeline.

Each resource (customers, payment methods, payment intents, refunds, webhooks) is a
class over `PaymentsCore` in its own module; `FakePayments` joins them and adds the
public surface. Every operation, from Python or over HTTP, runs through
`PaymentsCore._invoke`: the lock, idempotency replays, scripted API failures.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fixturekit._internal import seed as _seed
from fixturekit.clock import Clock
from fixturekit.errors import (
    APIConnectionError,
    APIError,
    IdempotencyError,
    PaymentsError,
    RateLimitError,
)
from fixturekit.harness import ServingFake, Timeline
from fixturekit.payments import _cards
from fixturekit.payments._objects import API_VERSION, PREFIXES, PaymentsObject, copy, snapshot
from fixturekit.payments._params import check_idempotency_key, invalid, missing
from fixturekit.payments._testcards import TestCard
from fixturekit.payments._webhooks import WebhookDelivery, WebhookEndpoint

__all__ = ["AUTH_DECLINE", "FAILURES", "Failure", "PaymentsCore"]

#: How long an idempotency key is remembered (Stripe: at least 24 hours).
IDEMPOTENCY_TTL = timedelta(hours=24)

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

#: Failures of the API itself, by the code ``fail_next()`` takes: the error and message.
API_FAILURES: dict[str, tuple[type[PaymentsError], str]] = {
    "rate_limit": (
        RateLimitError,
        "Request rate limit exceeded. Learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
    ),
    "api_error": (APIError, "An unknown error occurred"),
    "api_connection_error": (
        APIConnectionError,
        "The connection closed before the response arrived (the operation ran).",
    ),
}

#: The decline of a card that needs 3D Secure when the customer cannot authenticate.
AUTH_DECLINE = _cards.Decline(
    "authentication_required",
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
)

#: Every code ``fail_next()`` takes.
FAILURES: tuple[str, ...] = (
    *sorted(_cards.DECLINES),
    "authentication_required",
    *sorted(API_FAILURES),
)


@dataclass(frozen=True)
class Failure:
    """A failure scripted with ``fail_next()``: its code, message and operation."""

    code: str
    message: str | None
    on: str | None

    @property
    def api_level(self) -> bool:
        """Whether it fails the API call itself rather than declining a charge."""
        return self.code in API_FAILURES

    def error(self) -> PaymentsError:
        cls, message = API_FAILURES[self.code]
        code = self.code if self.code == "rate_limit" else None
        headers = {"Stripe-Should-Retry": "false"} if self.code == "api_error" else None
        return cls(self.message or message, code=code, headers=headers)


@dataclass
class _SavedResult:
    endpoint: str
    fingerprint: str
    at: datetime
    result: dict[str, Any] | None
    error: PaymentsError | None


class PaymentsCore(ServingFake):
    """State and plumbing shared by the resources; see `FakePayments` for the API."""

    name = "payments"
    served_what = "Stripe API"
    serve_call = "payments.stripe_api()"

    _webhook_secret: str | None = None
    _api_key: str | None = None

    def __init__(
        self, *, clock: Clock | None = None, timeline: Timeline | None = None, strict: bool = False
    ) -> None:
        self._lock = threading.RLock()
        self._generation = 0
        self._endpoints: list[WebhookEndpoint] = []
        super().__init__(clock=clock, timeline=timeline, strict=strict)

    # --- state -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every object, event, delivery, scripted failure and idempotency key.

        Configuration stays: webhook endpoints, the webhook secret, the API key, and a
        running `stripe_api` server. Ids start over from the test's seed.
        """
        super().reset()
        with self._lock:
            self._generation += 1  # timers set before the reset do nothing
            seed = _seed.current_seed()
            self._rng = random.Random(f"fixturekit.payments:{0 if seed is None else seed}")
            self._objects: dict[str, dict[str, Any]] = {}
            self._by_type: dict[str, dict[str, dict[str, Any]]] = {
                kind: {} for kind in PREFIXES.values()
            }
            self._cards: dict[str, TestCard | None] = {}
            self._failures: list[Failure] = []
            self._idempotency: dict[str, _SavedResult] = {}
            self._deliveries: list[WebhookDelivery] = []
            self._pending: list[tuple[str, WebhookEndpoint, int]] = []
            self._request: dict[str, Any] = {"id": None, "idempotency_key": None}
            self._seen: set[str] = set()
            # Checkout sessions' line items and payment_intent_data, by session id.
            self._checkout: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {}
            # Drawn on every reset, kept from the first: ids follow the seed alike.
            secret, key = "whsec_" + self._random(32), "sk_test_" + self._random(24)
            self._webhook_secret = self._webhook_secret or secret
            self._api_key = self._api_key or key

    def _secret(self) -> str:
        assert self._webhook_secret is not None  # set by reset()
        return self._webhook_secret

    def new_request_id(self) -> str:
        """A fresh ``req_...`` id (seeded, like every id)."""
        with self._lock:
            return "req_" + self._random(14)

    def _random(self, length: int) -> str:
        choice = self._rng.choice
        return "".join([choice(_ALPHABET) for _ in range(length)])

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{self._random(24)}"

    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def _store(self, obj: dict[str, Any]) -> dict[str, Any]:
        self._objects[obj["id"]] = obj
        self._by_type[obj["object"]][obj["id"]] = obj
        return obj

    def _all(self, kind: str) -> list[PaymentsObject]:
        with self._lock:
            return [snapshot(obj) for obj in self._by_type[kind].values()]

    def _get(
        self, ident: object, kind: str, param: str | None, *, status: int = 400
    ) -> dict[str, Any]:
        """The stored object ``ident`` of type ``kind``, or Stripe's "No such ..." error."""
        if isinstance(ident, Mapping):
            ident = ident.get("id")
        if not isinstance(ident, str) or not ident:
            raise invalid(f"Invalid {kind} id: expected a string id, got {ident!r}", param=param)
        obj = self._by_type[kind].get(ident)
        if obj is None:
            label = "PaymentMethod" if kind == "payment_method" else kind
            raise missing(label, ident, param, status=status)
        return obj

    def _op_retrieve(self, ident: str) -> dict[str, Any]:
        if not isinstance(ident, str):
            raise TypeError(f"retrieve() takes an id string such as 'pi_...', not {ident!r}")
        obj = self._objects.get(ident)
        if obj is None:
            kind = PREFIXES.get(ident.split("_", 1)[0], "object")
            raise missing(kind, ident, "id", status=404)
        return obj

    def _list(
        self,
        kind: str,
        *,
        limit: int = 10,
        starting_after: str | None = None,
        ending_before: str | None = None,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> tuple[list[PaymentsObject], bool]:
        """A page of ``kind``, newest first, as the list endpoints answer; has_more."""
        with self._lock:
            items = [
                obj for obj in reversed(self._by_type[kind].values()) if where is None or where(obj)
            ]
            if starting_after is not None:
                ids = [obj["id"] for obj in items]
                if starting_after not in ids:
                    raise missing(kind, starting_after, "starting_after")
                items = items[ids.index(starting_after) + 1 :]
            elif ending_before is not None:
                ids = [obj["id"] for obj in items]
                if ending_before not in ids:
                    raise missing(kind, ending_before, "ending_before")
                items = items[: ids.index(ending_before)][-limit:]
                return [snapshot(obj) for obj in items], False
            page = items[:limit]
            return [snapshot(obj) for obj in page], len(items) > limit

    def _balance_transaction(
        self, source: dict[str, Any], amount: int, kind: str, *, available: bool = False
    ) -> str:
        """Store the balance transaction of a captured charge (``kind="charge"``: Stripe's
        standard 2.9% + 30 fee, available two days later) or of a refund; its id."""
        currency = source["currency"]
        fee = 0
        if kind == "charge":
            fee = round(amount * 0.029) + (30 if _cards.decimals(currency) == 2 else 0)
        now = self._now()
        txn = {
            "id": self._new_id("txn"),
            "object": "balance_transaction",
            "amount": amount,
            "available_on": now if available or kind != "charge" else now + 2 * 86400,
            "balance_type": "payments",
            "created": now,
            "currency": currency,
            "description": source.get("description"),
            "exchange_rate": None,
            "fee": fee,
            "fee_details": [
                {
                    "amount": fee,
                    "application": None,
                    "currency": currency,
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else [],
            "net": amount - fee,
            "reporting_category": kind,
            "source": source["id"],
            "status": "available" if available or kind != "charge" else "pending",
            "type": kind,
        }
        return str(self._store(txn)["id"])

    # --- events ------------------------------------------------------------------------

    def _emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        summary: str,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store the event of a state change, queue its webhooks, record it."""
        data: dict[str, Any] = {"object": copy(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        wanted = [endpoint for endpoint in self._endpoints if endpoint.wants(event_type)]
        event: dict[str, Any] = {
            "id": self._new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self._now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": len(wanted),
            "request": dict(self._request),
            "type": event_type,
        }
        self._store(event)
        for endpoint in wanted:
            self._pending.append((event["id"], endpoint, 1))
        self.record(f"{event_type}: {summary}", event=event["id"], type=event_type, id=obj["id"])
        return event

    # --- scripted failures -------------------------------------------------------------

    def _take_failure(self, operation: str, *, api_level: bool) -> Failure | None:
        """The first scripted failure of that level waiting for ``operation``, removed."""
        for index, failure in enumerate(self._failures):
            if failure.api_level != api_level:
                continue
            if failure.on is not None and failure.on != operation:
                continue
            del self._failures[index]
            return failure
        return None

    # --- the invocation pipeline: lock, idempotency, API failures ------------------------

    def _invoke(
        self,
        operation: str,
        endpoint: str,
        target: str | None,
        params: Mapping[str, Any],
        idempotency_key: str | None,
        run: Callable[[], dict[str, Any]],
        request_id: str | None = None,
    ) -> tuple[PaymentsObject, bool]:
        """Run ``run`` as ``operation``; returns (snapshot, whether it was a replay).

        ``endpoint`` scopes the idempotency key; ``target`` and ``params`` are its
        fingerprint. An error raised past validation is saved under the key too.
        ``request_id`` is the ``Request-Id`` the HTTP answer carries: the events the
        operation emits name it in ``request.id``.
        """
        with self._lock:
            key, fingerprint = None, ""
            if idempotency_key is not None:
                key = check_idempotency_key(idempotency_key)
                fingerprint = json.dumps(
                    {"target": target, "params": params}, sort_keys=True, default=repr
                )
                self._prune_idempotency()
                saved = self._idempotency.get(key)
                if saved is not None:
                    return self._replay(saved, key, endpoint, fingerprint), True
            failure = self._take_failure(operation, api_level=True)
            request_id = request_id or self.new_request_id()
            self._request = {"id": request_id, "idempotency_key": key}
            try:
                if failure is not None and failure.code != "api_connection_error":
                    raise failure.error()
                obj = run()
            except PaymentsError as error:
                if key is not None and getattr(error, "replayable", True):
                    self._idempotency[key] = _SavedResult(
                        endpoint, fingerprint, self.clock.now(), None, error
                    )
                raise
            finally:
                self._request = {"id": None, "idempotency_key": None}
            result: PaymentsObject = snapshot(obj)
            if key is not None:
                self._idempotency[key] = _SavedResult(
                    endpoint, fingerprint, self.clock.now(), copy(obj), None
                )
            if failure is not None:  # api_connection_error: it ran, the answer is lost
                self.record(
                    f"{operation}: the response was lost (scripted api_connection_error)",
                    operation=operation,
                )
                raise failure.error()
            return result, False

    def _replay(
        self, saved: _SavedResult, key: str, endpoint: str, fingerprint: str
    ) -> PaymentsObject:
        if saved.endpoint != endpoint:
            raise IdempotencyError(
                "Keys for idempotent requests can only be used for the same endpoint they "
                f"were first used for ('{saved.endpoint}' vs '{endpoint}'). Try using a "
                f"key other than '{key}' if you meant to execute a different request."
            )
        if saved.fingerprint != fingerprint:
            raise IdempotencyError(
                "Keys for idempotent requests can only be used with the same parameters "
                f"they were first used with. Try using a key other than '{key}' if you "
                "meant to execute a different request."
            )
        self.record(f"idempotent replay of {key!r} ({endpoint})", idempotency_key=key)
        if saved.error is not None:
            raise saved.error
        assert saved.result is not None
        replay: PaymentsObject = snapshot(saved.result)
        return replay

    def _prune_idempotency(self) -> None:
        cutoff = self.clock.now() - IDEMPOTENCY_TTL
        stale = [key for key, saved in self._idempotency.items() if saved.at <= cutoff]
        for key in stale:
            del self._idempotency[key]
