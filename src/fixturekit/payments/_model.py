"""FakePayments: a stateful, in-memory model of the core of Stripe's card payments API."""

from __future__ import annotations

import difflib
import functools
import inspect
import json
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from fixturekit._internal import seed as _seed
from fixturekit.harness import ServingFake
from fixturekit._internal.matching import explain, filter_matching
from fixturekit.clock import Clock
from fixturekit.harness import Timeline
from fixturekit.payments import _cards
from fixturekit.payments._errors import (
    APIConnectionError,
    APIError,
    CardError,
    IdempotencyError,
    InvalidRequestError,
    PaymentsError,
    RateLimitError,
)
from fixturekit.payments._webhooks import (
    RETRY_DELAYS,
    USER_AGENT,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookTarget,
    encode_event,
    send,
    signature_header,
)

if TYPE_CHECKING:
    from fixturekit.payments._api import StripeAPIServer

__all__ = ["API_VERSION", "FAILURES", "OPERATIONS", "FakePayments", "PaymentsObject"]

P = ParamSpec("P")
R = TypeVar("R")

#: The Stripe API version whose object shapes the fake follows (``latest_charge`` on
#: payment intents, no embedded charge lists).
API_VERSION = "2024-06-20"

#: How long an idempotency key is remembered (Stripe: at least 24 hours).
IDEMPOTENCY_TTL = timedelta(hours=24)
#: How long an authorized, uncaptured payment stays capturable.
AUTHORIZATION_TTL = timedelta(days=7)

_UNSET: Any = object()

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

#: Object types by id prefix: what ``retrieve()`` and "No such ..." messages call them.
_PREFIXES = {
    "cus": "customer",
    "pm": "payment_method",
    "pi": "payment_intent",
    "ch": "charge",
    "re": "refund",
    "evt": "event",
}

#: The endpoint of each operation: what idempotency keys are scoped to, as in Stripe.
OPERATIONS: dict[str, str] = {
    "create_customer": "POST /v1/customers",
    "update_customer": "POST /v1/customers/{id}",
    "delete_customer": "DELETE /v1/customers/{id}",
    "create_payment_method": "POST /v1/payment_methods",
    "attach_payment_method": "POST /v1/payment_methods/{id}/attach",
    "detach_payment_method": "POST /v1/payment_methods/{id}/detach",
    "create_payment_intent": "POST /v1/payment_intents",
    "update_payment_intent": "POST /v1/payment_intents/{id}",
    "confirm_payment_intent": "POST /v1/payment_intents/{id}/confirm",
    "capture_payment_intent": "POST /v1/payment_intents/{id}/capture",
    "cancel_payment_intent": "POST /v1/payment_intents/{id}/cancel",
    "create_refund": "POST /v1/refunds",
    "authenticate": "POST /v1/payment_intents/{id}/authenticate (test helper)",
    "retrieve": "GET /v1/{type}s/{id}",
    "list": "GET /v1/{type}s",
}

#: Operations that attempt a charge: where a scripted decline lands by default.
_CHARGING = ("create_payment_intent", "confirm_payment_intent", "authenticate")

_API_FAILURES = {
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
_AUTH_DECLINE = _cards.Decline(
    "authentication_required",
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
)
#: Every code ``fail_next()`` takes.
FAILURES: tuple[str, ...] = (
    *sorted(_cards.DECLINES),
    "authentication_required",
    *sorted(_API_FAILURES),
)

_CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
_CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
_REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
_CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
_UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
_TEST_MODE_LIVE_CARD = _cards.Decline(
    "card_declined",
    "test_mode_live_card",
    "Your card was declined. Your request was in test mode, but used a non test (live) "
    "card. For a list of valid test cards, visit: https://stripe.com/docs/testing.",
)


class PaymentsObject(dict[str, Any]):
    """A Stripe object: a JSON-shaped dict whose fields are also attributes.

    ``intent.status == intent["status"]``. Each is a snapshot taken when the call
    returned, as an API response is: `FakePayments.retrieve` gives the current state.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            kind = self.get("object", "object")
            raise AttributeError(
                f"this {kind} has no field {name!r}; it has: {', '.join(sorted(self))}"
            ) from None

    def __repr__(self) -> str:
        kind = self.get("object", "object")
        ident = self.get("id")
        label = f"{kind} id={ident}" if ident else kind
        return f"<{label} {json.dumps(self, default=str)}>"


def _snapshot(value: Any) -> Any:
    """A deep copy of JSON-shaped data, dicts turned into `PaymentsObject`."""
    if isinstance(value, dict):
        return PaymentsObject({key: _snapshot(item) for key, item in value.items()})
    if isinstance(value, list):
        return [_snapshot(item) for item in value]
    return value


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _keywords(method: Callable[P, R]) -> Callable[P, R]:
    """Reject unknown keyword arguments with the list of valid ones (and a suggestion)."""
    signature = inspect.signature(method)
    valid = tuple(
        name
        for name, param in signature.parameters.items()
        if param.kind is inspect.Parameter.KEYWORD_ONLY
    )
    valid_set = frozenset(valid)

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for name in kwargs:
            if name not in valid_set:
                close = difflib.get_close_matches(name, valid, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise TypeError(
                    f"{method.__name__}() got an unexpected keyword argument {name!r}{hint}; "
                    f"valid keywords: {', '.join(valid)}"
                )
        return method(*args, **kwargs)

    return wrapper


def _invalid(
    message: str, param: str | None = None, code: str | None = None
) -> InvalidRequestError:
    """A validation error: raised before the operation runs, so never saved for replay."""
    error = InvalidRequestError(message, param=param, code=code)
    error.replayable = False  # type: ignore[attr-defined]
    return error


def _missing(what: str, ident: str, param: str | None, *, status: int = 400) -> InvalidRequestError:
    error = InvalidRequestError(
        f"No such {what}: '{ident}'", param=param, code="resource_missing", http_status=status
    )
    error.replayable = False  # type: ignore[attr-defined]
    return error


def _unexpected_state(message: str) -> InvalidRequestError:
    return InvalidRequestError(message, code="payment_intent_unexpected_state")


@dataclass(frozen=True)
class _Failure:
    code: str
    message: str | None
    on: str | None


@dataclass
class _SavedResult:
    endpoint: str
    fingerprint: str
    at: datetime
    result: dict[str, Any] | None
    error: PaymentsError | None


class FakePayments(ServingFake):
    """A stateful, in-memory Stripe: customers, payment methods, payment intents,
    charges, refunds and events, reachable directly or over HTTP with the official SDK.

    ```python
    payments = FakePayments()
    intent = payments.create_payment_intent(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    assert intent.status == "succeeded"
    payments.assert_charged(amount=2000, currency="usd")
    ```

    Ids (``pi_...``, ``cus_...``) come from the test's seed, timestamps from the clock.
    Every call returns a snapshot (a `PaymentsObject`); errors are `PaymentsError`
    subclasses carrying Stripe's ``type``, ``code``, ``decline_code`` and HTTP status.
    """

    name = "payments"
    served_what = "Stripe API"
    serve_call = "payments.stripe_api()"

    def __init__(self, *, clock: Clock | None = None, timeline: Timeline | None = None) -> None:
        self._lock = threading.RLock()
        self._generation = 0
        super().__init__(clock=clock, timeline=timeline)

    # --- state -----------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every object, event, scripted failure, idempotency key and endpoint."""
        with self._lock:
            self._generation += 1
            seed = _seed.current_seed()
            self._rng = random.Random(f"fixturekit.payments:{0 if seed is None else seed}")
            self._objects: dict[str, dict[str, Any]] = {}
            self._by_type: dict[str, dict[str, dict[str, Any]]] = {
                kind: {} for kind in _PREFIXES.values()
            }
            self._cards: dict[str, _cards.TestCard | None] = {}
            self._failures: list[_Failure] = []
            self._idempotency: dict[str, _SavedResult] = {}
            self._endpoints: list[WebhookEndpoint] = []
            self._deliveries: list[WebhookDelivery] = []
            self._pending: list[tuple[str, WebhookEndpoint, int]] = []
            self._request: dict[str, Any] = {"id": None, "idempotency_key": None}
            self._webhook_secret = "whsec_" + self._random(32)
            self._api_key = "sk_test_" + self._random(24)

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

    @property
    def webhook_secret(self) -> str:
        """The ``whsec_...`` signing secret of this account's webhooks (from the seed)."""
        return self._webhook_secret

    @property
    def api_key(self) -> str:
        """A test-mode secret key the HTTP API accepts (any ``sk_test_...`` key works)."""
        return self._api_key

    def _all(self, kind: str) -> list[PaymentsObject]:
        with self._lock:
            return [_snapshot(obj) for obj in self._by_type[kind].values()]

    @property
    def customers(self) -> list[PaymentsObject]:
        """Every customer, oldest first (deleted ones are gone)."""
        return self._all("customer")

    @property
    def payment_methods(self) -> list[PaymentsObject]:
        return self._all("payment_method")

    @property
    def payment_intents(self) -> list[PaymentsObject]:
        return self._all("payment_intent")

    @property
    def charges(self) -> list[PaymentsObject]:
        """Every charge attempt, failed ones included, oldest first."""
        return self._all("charge")

    @property
    def refunds(self) -> list[PaymentsObject]:
        return self._all("refund")

    @property
    def events(self) -> list[PaymentsObject]:
        """Every event, in the order the state changes happened."""
        return self._all("event")

    def retrieve(self, id: str) -> PaymentsObject:
        """The current state of any object by id (``cus_``, ``pm_``, ``pi_``, ``ch_``,
        ``re_``, ``evt_``); an unknown id raises Stripe's "No such ..." error."""
        return self._invoke("retrieve", id, {}, None, self._op_retrieve)

    def _get(
        self, ident: object, kind: str, param: str | None, *, status: int = 400
    ) -> dict[str, Any]:
        if isinstance(ident, Mapping):
            ident = ident.get("id")
        if not isinstance(ident, str) or not ident:
            raise _invalid(f"Invalid {kind} id: expected a string id, got {ident!r}", param=param)
        obj = self._by_type[kind].get(ident)
        if obj is None:
            label = "PaymentMethod" if kind == "payment_method" else kind
            raise _missing(label, ident, param, status=status)
        return obj

    def _op_retrieve(self, ident: str) -> dict[str, Any]:
        if not isinstance(ident, str):
            raise TypeError(f"retrieve() takes an id string such as 'pi_...', not {ident!r}")
        obj = self._objects.get(ident)
        if obj is None:
            prefix = ident.split("_", 1)[0]
            kind = _PREFIXES.get(prefix)
            if kind is None:
                raise _missing("object", ident, "id", status=404)
            raise _missing(kind, ident, "id", status=404)
        return obj

    # --- the invocation pipeline: idempotency, scripted failures, locking --------------

    def _invoke(
        self,
        operation: str,
        target: str | None,
        params: dict[str, Any],
        idempotency_key: str | None,
        run: Callable[..., dict[str, Any]],
        **kwargs: Any,
    ) -> PaymentsObject:
        return self._invoke_full(operation, target, params, idempotency_key, run, **kwargs)[0]

    def _invoke_full(
        self,
        operation: str,
        target: str | None,
        params: dict[str, Any],
        idempotency_key: str | None,
        run: Callable[..., dict[str, Any]],
        **kwargs: Any,
    ) -> tuple[PaymentsObject, bool]:
        """Run an operation; returns (snapshot, whether it was an idempotent replay)."""
        with self._lock:
            endpoint = OPERATIONS[operation]
            key = None
            if idempotency_key is not None:
                key = _check_idempotency_key(idempotency_key)
                fingerprint = json.dumps(
                    {"target": target, "params": params}, sort_keys=True, default=repr
                )
                self._prune_idempotency()
                saved = self._idempotency.get(key)
                if saved is not None:
                    return self._replay(saved, key, endpoint, fingerprint), True
            failure = self._take_failure(operation, api_level=True)
            request_id = "req_" + self._random(14)
            self._request = {"id": request_id, "idempotency_key": key}
            try:
                if failure is not None and failure.code != "api_connection_error":
                    raise _api_failure(failure)
                obj = run(target, **kwargs) if target is not None else run(**kwargs)
            except PaymentsError as error:
                if key is not None and getattr(error, "replayable", True):
                    self._idempotency[key] = _SavedResult(
                        endpoint, fingerprint, self.clock.now(), None, error
                    )
                raise
            finally:
                self._request = {"id": None, "idempotency_key": None}
            snapshot: PaymentsObject = _snapshot(obj)
            if key is not None:
                self._idempotency[key] = _SavedResult(
                    endpoint, fingerprint, self.clock.now(), _copy(obj), None
                )
            if failure is not None:  # api_connection_error: it ran, the answer is lost
                self.record(
                    f"{operation}: the response was lost (scripted api_connection_error)",
                    operation=operation,
                )
                raise _api_failure(failure)
            return snapshot, False

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
        replay: PaymentsObject = _snapshot(saved.result)
        return replay

    def _prune_idempotency(self) -> None:
        cutoff = self.clock.now() - IDEMPOTENCY_TTL
        stale = [key for key, saved in self._idempotency.items() if saved.at <= cutoff]
        for key in stale:
            del self._idempotency[key]

    # --- scripted failures -------------------------------------------------------------

    @_keywords
    def fail_next(self, code: str, *, message: str | None = None, on: str | None = None) -> None:
        """Make the next operation fail with ``code``; calls queue up, first in first out.

        Card codes (``card_declined``, ``insufficient_funds``, ``lost_card``,
        ``stolen_card``, ``expired_card``, ``incorrect_cvc``, ``processing_error``,
        ``fraudulent``, ``card_velocity_exceeded``, ``authentication_required``)
        decline the next charge attempt, whatever the card, with Stripe's
        ``code``/``decline_code``. ``rate_limit`` (HTTP 429) and ``api_error`` (500)
        fail the next operation of any kind before it runs; ``api_connection_error``
        lets it run and loses the answer, as a dropped connection does. ``on`` names the
        operation (a method name such as ``"create_refund"``) the failure waits for.
        """
        if not isinstance(code, str) or code not in FAILURES:
            close = difflib.get_close_matches(str(code), FAILURES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"fail_next() does not know the code {code!r}{hint}; "
                f"use one of: {', '.join(FAILURES)}"
            )
        if message is not None and not isinstance(message, str):
            raise TypeError(f"fail_next()'s message= must be a str, not {message!r}")
        valid_ops = tuple(OPERATIONS)
        if on is not None and on not in valid_ops:
            raise ValueError(
                f"fail_next()'s on= must name an operation, not {on!r}; use one of: "
                f"{', '.join(valid_ops)}"
            )
        if code not in _API_FAILURES and on is not None and on not in _CHARGING:
            raise ValueError(
                f"{code!r} declines a charge, and {on}() charges nothing; use on= with one "
                f"of {', '.join(_CHARGING)} (or leave it out)"
            )
        with self._lock:
            self._failures.append(_Failure(code, message, on))
        self.record(f"next {on or 'operation'} scripted to fail with {code}", code=code, on=on)

    def _take_failure(self, operation: str, *, api_level: bool) -> _Failure | None:
        for index, failure in enumerate(self._failures):
            if (failure.code in _API_FAILURES) != api_level:
                continue
            if failure.on is not None and failure.on != operation:
                continue
            del self._failures[index]
            return failure
        return None

    # --- events and webhooks -----------------------------------------------------------

    def _emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        summary: str,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"object": _copy(obj)}
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

    @_keywords
    def add_webhook_endpoint(
        self,
        target: WebhookTarget,
        *,
        events: Iterable[str] = ("*",),
        secret: str | None = None,
        retry_delays: Iterable[float] = RETRY_DELAYS,
    ) -> WebhookEndpoint:
        """Deliver events of the given types (``"*"`` for all, ``"charge.*"``) to a URL
        or to a callable ``(body, headers)``, signed with ``secret`` (default:
        `webhook_secret`). `deliver_webhooks` sends what is pending; a failed delivery
        is retried after each of ``retry_delays`` (seconds) on the clock."""
        if not (isinstance(target, str) and target.startswith(("http://", "https://"))) and (
            isinstance(target, str) or not callable(target)
        ):
            raise TypeError(
                "add_webhook_endpoint() takes a URL ('http://127.0.0.1:8000/webhooks') or a "
                f"callable taking (body, headers), not {target!r}"
            )
        if isinstance(events, str):
            events = (events,)
        kinds = tuple(events)
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
                secret=secret or self._webhook_secret,
                retry_delays=delays,
            )
            self._endpoints.append(endpoint)
        self.record(f"webhook endpoint {endpoint.id} -> {endpoint.describe()}", id=endpoint.id)
        return endpoint

    @property
    def webhook_endpoints(self) -> list[WebhookEndpoint]:
        return list(self._endpoints)

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every delivery attempt so far, in order."""
        return list(self._deliveries)

    @property
    def pending_webhooks(self) -> int:
        """Deliveries waiting for `deliver_webhooks` (retries wait for the clock)."""
        return len(self._pending)

    def signed_webhook(
        self,
        event: Mapping[str, Any] | str,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """``(body, headers)`` of ``event`` (an event or its id) as Stripe would POST it.

        The ``Stripe-Signature`` header is signed with ``secret`` (default
        `webhook_secret`) at ``timestamp`` (default: the clock's now), so
        ``stripe.Webhook.construct_event(body, headers["Stripe-Signature"], secret)``
        accepts it while the clock stays within its 300-second tolerance.
        """
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
        key = self._webhook_secret if secret is None else secret
        if not isinstance(key, str) or not key:
            raise TypeError(f"secret= must be a non-empty str, not {secret!r}")
        body = encode_event(event)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": signature_header(body, key, timestamp),
        }
        return body, headers

    def deliver_webhooks(self) -> list[WebhookDelivery]:
        """Send every pending event to its endpoints now; returns the attempts made.

        Stripe delivers asynchronously; in a test you say when. A failed attempt
        (an exception, or a status outside 2xx) is retried on the clock after the
        endpoint's next retry delay: ``clock.advance(...)`` makes the retries happen.
        """
        with self._lock:
            pending, self._pending = self._pending, []
        return [
            self._attempt(event_id, endpoint, attempt) for event_id, endpoint, attempt in pending
        ]

    def _attempt(self, event_id: str, endpoint: WebhookEndpoint, attempt: int) -> WebhookDelivery:
        with self._lock:
            event = self._objects.get(event_id)
        if event is None:  # reset() in between
            raise RuntimeError(f"event {event_id} is gone (the fake was reset)")
        body, headers = self.signed_webhook(event, secret=endpoint.secret)
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
        if error:
            if attempt <= len(endpoint.retry_delays):
                delay = endpoint.retry_delays[attempt - 1]
                delivery.next_attempt_at = self.clock.now() + timedelta(seconds=delay)
                generation = self._generation
                self.clock.call_later(
                    delay, self._retry, generation, event_id, endpoint, attempt + 1
                )
                self.record(
                    f"webhook {event['type']} to {endpoint.describe()} failed "
                    f"(attempt {attempt}: {error}); retry in {delay:g} s",
                    event=event_id,
                    attempt=attempt,
                )
            else:
                self.record(
                    f"webhook {event['type']} to {endpoint.describe()} failed for good "
                    f"after {attempt} attempts: {error}",
                    event=event_id,
                    attempt=attempt,
                )
        else:
            self.record(
                f"webhook {event['type']} delivered to {endpoint.describe()}"
                + (f" (attempt {attempt})" if attempt > 1 else ""),
                event=event_id,
                attempt=attempt,
            )
        return delivery

    def _retry(
        self, generation: int, event_id: str, endpoint: WebhookEndpoint, attempt: int
    ) -> None:
        if generation == self._generation and endpoint in self._endpoints:
            self._attempt(event_id, endpoint, attempt)

    # --- customers ---------------------------------------------------------------------

    @_keywords
    def create_customer(
        self,
        *,
        email: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        payment_method: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Create a customer; ``payment_method`` attaches one (a ``pm_...`` id or token)."""
        params = {
            "email": email,
            "name": name,
            "phone": phone,
            "description": description,
            "metadata": metadata,
            "payment_method": payment_method,
        }
        return self._invoke(
            "create_customer", None, params, idempotency_key, self._op_create_customer, **params
        )

    def _op_create_customer(
        self,
        *,
        email: Any = None,
        name: Any = None,
        phone: Any = None,
        description: Any = None,
        metadata: Any = None,
        payment_method: Any = None,
    ) -> dict[str, Any]:
        fields = {
            "email": _opt_str(email, "email"),
            "name": _opt_str(name, "name"),
            "phone": _opt_str(phone, "phone"),
            "description": _opt_str(description, "description"),
        }
        meta = _metadata(metadata, {})
        method = None if payment_method is None else self._payment_method(payment_method)
        ident = self._new_id("cus")
        customer: dict[str, Any] = {
            "id": ident,
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": self._now(),
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": fields["description"],
            "discount": None,
            "email": fields["email"],
            "invoice_prefix": self._random(8).upper(),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": None,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": meta,
            "name": fields["name"],
            "phone": fields["phone"],
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }
        self._store(customer)
        self._emit(
            "customer.created", customer, f"customer {ident}" + (f" <{email}>" if email else "")
        )
        if method is not None:
            self._attach(method, customer)
        return customer

    @_keywords
    def update_customer(
        self,
        id: str,
        *,
        email: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        invoice_settings: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Change a customer's fields; ``metadata`` merges (a value of ``""`` removes a key)."""
        params = {
            "email": email,
            "name": name,
            "phone": phone,
            "description": description,
            "metadata": metadata,
            "invoice_settings": invoice_settings,
        }
        given = {key: value for key, value in params.items() if value is not None}
        return self._invoke(
            "update_customer", id, given, idempotency_key, self._op_update_customer, **given
        )

    def _op_update_customer(self, ident: str, **changes: Any) -> dict[str, Any]:
        customer = self._get(ident, "customer", "id", status=404)
        previous: dict[str, Any] = {}
        updates: dict[str, Any] = {}
        for key in ("email", "name", "phone", "description"):
            if key in changes:
                updates[key] = _opt_str(changes[key], key) or None
        if "metadata" in changes:
            updates["metadata"] = _metadata(changes["metadata"], customer["metadata"])
        if "invoice_settings" in changes:
            settings = changes["invoice_settings"]
            if not isinstance(settings, Mapping) or set(settings) - {"default_payment_method"}:
                raise _invalid(
                    "invoice_settings takes default_payment_method only here",
                    param="invoice_settings",
                )
            merged = dict(customer["invoice_settings"])
            default = settings.get("default_payment_method")
            if default:
                method = self._get(
                    default, "payment_method", "invoice_settings[default_payment_method]"
                )
                if method["customer"] != customer["id"]:
                    raise _invalid(
                        f"The payment method {method['id']} is not attached to customer "
                        f"{customer['id']}; attach it first",
                        param="invoice_settings[default_payment_method]",
                    )
                merged["default_payment_method"] = method["id"]
            else:
                merged["default_payment_method"] = None
            updates["invoice_settings"] = merged
        for key, value in updates.items():
            if customer[key] != value:
                previous[key] = _copy(customer[key])
                customer[key] = value
        if previous:
            self._emit(
                "customer.updated", customer, f"customer {ident} ({', '.join(previous)})", previous
            )
        return customer

    @_keywords
    def delete_customer(self, id: str, *, idempotency_key: str | None = None) -> PaymentsObject:
        """Delete a customer (its payment methods are detached); returns the deletion stub."""
        return self._invoke("delete_customer", id, {}, idempotency_key, self._op_delete_customer)

    def _op_delete_customer(self, ident: str) -> dict[str, Any]:
        customer = self._get(ident, "customer", "id", status=404)
        for method in self._by_type["payment_method"].values():
            if method["customer"] == ident:
                method["customer"] = None
        del self._objects[ident]
        del self._by_type["customer"][ident]
        self._emit("customer.deleted", customer, f"customer {ident}")
        return {"id": ident, "object": "customer", "deleted": True}

    # --- payment methods ---------------------------------------------------------------

    @_keywords
    def create_payment_method(
        self,
        *,
        card: str | Mapping[str, Any],
        billing_details: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        type: str = "card",
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Create a card payment method from a test card number, a ``tok_...`` token, or
        ``{"number": ..., "exp_month": ..., "exp_year": ..., "cvc": ...}``."""
        params = {
            "card": card,
            "billing_details": billing_details,
            "metadata": metadata,
            "type": type,
        }
        return self._invoke(
            "create_payment_method",
            None,
            params,
            idempotency_key,
            self._op_create_payment_method,
            **params,
        )

    def _op_create_payment_method(
        self, *, card: Any, billing_details: Any = None, metadata: Any = None, type: Any = "card"
    ) -> dict[str, Any]:
        if type != "card":
            raise _invalid(
                f"Invalid type: the fake supports payment methods of type 'card', not {type!r}",
                param="type",
            )
        if card is None:
            raise _invalid("Missing required param: card.", param="card", code="parameter_missing")
        if isinstance(card, str):
            card = {"token": card} if card.startswith("tok_") else {"number": card}
        if not isinstance(card, Mapping):
            raise _invalid(
                f"Invalid card: expected a number, a token or a hash, got {card!r}", param="card"
            )
        unknown = set(card) - {"number", "exp_month", "exp_year", "cvc", "token"}
        if unknown:
            name = sorted(unknown)[0]
            raise _invalid(
                f"Received unknown parameter: card[{name}]",
                param=f"card[{name}]",
                code="parameter_unknown",
            )
        details = _billing_details(billing_details)
        meta = _metadata(metadata, {})
        year = self.clock.now().year
        if "token" in card:
            token = card["token"]
            test_card = (
                _cards.card_by_token(token[4:])
                if isinstance(token, str) and token.startswith("tok_")
                else None
            )
            if test_card is None:
                raise _missing("token", str(token), "card[token]")
            number, exp_month, exp_year = test_card.number, 12, year + 3
            cvc: Any = "123"
        else:
            given = card.get("number")
            if given is None:
                raise _invalid(
                    "Missing required param: card[number].",
                    param="card[number]",
                    code="parameter_missing",
                )
            number = str(given).replace(" ", "")
            exp_month = _card_int(card.get("exp_month", 12), "exp_month")
            exp_year = _card_int(card.get("exp_year", year + 3), "exp_year")
            cvc = card.get("cvc")
            if not number.isdigit() or not 12 <= len(number) <= 19:
                raise CardError(
                    "The card number is not a valid credit card number.",
                    code="invalid_number",
                    param="number",
                )
            if not _cards.luhn_ok(number):
                raise CardError(
                    "Your card number is incorrect.", code="incorrect_number", param="number"
                )
            if not 1 <= exp_month <= 12:
                raise CardError(
                    "Your card's expiration month is invalid.",
                    code="invalid_expiry_month",
                    param="exp_month",
                )
            if exp_year < 100:
                exp_year += 2000
            now = self.clock.now()
            if exp_year < now.year or exp_year > now.year + 50:
                raise CardError(
                    "Your card's expiration year is invalid.",
                    code="invalid_expiry_year",
                    param="exp_year",
                )
            if exp_year == now.year and exp_month < now.month:
                raise CardError(
                    "Your card's expiration month is invalid.",
                    code="invalid_expiry_month",
                    param="exp_month",
                )
            if cvc is not None and not (str(cvc).isdigit() and 3 <= len(str(cvc)) <= 4):
                raise CardError(
                    "Your card's security code is invalid.", code="invalid_cvc", param="cvc"
                )
            test_card = _cards.card_by_number(number)
        return self._new_payment_method(number, exp_month, exp_year, cvc, test_card, details, meta)

    def _new_payment_method(
        self,
        number: str,
        exp_month: int,
        exp_year: int,
        cvc: Any,
        test_card: _cards.TestCard | None,
        billing_details: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        ident = self._new_id("pm")
        brand = test_card.brand if test_card else _cards.brand_of(number)
        method = {
            "id": ident,
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": billing_details or _billing_details(None),
            "card": {
                "brand": brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "unchecked" if cvc is not None else None,
                },
                "country": test_card.country if test_card else "US",
                "display_brand": brand,
                "exp_month": exp_month,
                "exp_year": exp_year,
                "fingerprint": _cards.fingerprint(number),
                "funding": test_card.funding if test_card else "credit",
                "last4": number[-4:],
                "networks": {"available": [brand], "preferred": None},
                "three_d_secure_usage": {"supported": True},
                "wallet": None,
            },
            "created": self._now(),
            "customer": None,
            "livemode": False,
            "metadata": metadata or {},
            "type": "card",
        }
        self._cards[ident] = test_card
        return self._store(method)

    def _payment_method(self, ref: object, param: str = "payment_method") -> dict[str, Any]:
        """A payment method from an id, or a new one from a ``pm_card_*`` token."""
        if isinstance(ref, str) and ref.startswith("pm_card_"):
            test_card = _cards.card_by_token(ref[len("pm_card_") :])
            if test_card is None:
                raise _missing("PaymentMethod", ref, param)
            year = self.clock.now().year
            return self._new_payment_method(test_card.number, 12, year + 3, "123", test_card)
        return self._get(ref, "payment_method", param)

    @_keywords
    def attach_payment_method(
        self, id: str, *, customer: str, idempotency_key: str | None = None
    ) -> PaymentsObject:
        """Attach a payment method to a customer."""
        params = {"customer": customer}
        return self._invoke(
            "attach_payment_method", id, params, idempotency_key, self._op_attach, **params
        )

    def _op_attach(self, ident: str, *, customer: Any = None) -> dict[str, Any]:
        if customer is None:
            raise _invalid(
                "Missing required param: customer.", param="customer", code="parameter_missing"
            )
        method = self._payment_method(ident, "payment_method")
        owner = self._get(customer, "customer", "customer")
        if method["customer"] == owner["id"]:
            return method
        if method["customer"] is not None:
            raise InvalidRequestError(
                f"The payment method you provided has already been attached to a customer "
                f"({method['customer']}).",
                param="payment_method",
            )
        self._attach(method, owner)
        return method

    def _attach(self, method: dict[str, Any], customer: dict[str, Any]) -> None:
        test_card = self._cards.get(method["id"])
        if (
            test_card is not None
            and test_card.decline is not None
            and not test_card.attach_then_fail
        ):
            decline = test_card.decline
            raise CardError(
                decline.message,
                code=decline.code,
                decline_code=decline.decline_code,
                param=decline.param,
            )
        method["customer"] = customer["id"]
        self._emit(
            "payment_method.attached",
            method,
            f"{method['id']} ({method['card']['brand']} {method['card']['last4']}) "
            f"to {customer['id']}",
        )

    @_keywords
    def detach_payment_method(
        self, id: str, *, idempotency_key: str | None = None
    ) -> PaymentsObject:
        """Detach a payment method from its customer."""
        return self._invoke("detach_payment_method", id, {}, idempotency_key, self._op_detach)

    def _op_detach(self, ident: str) -> dict[str, Any]:
        method = self._get(ident, "payment_method", "payment_method", status=404)
        if method["customer"] is None:
            raise InvalidRequestError(
                f"The payment method {ident} is not attached to a customer so detachment "
                "is impossible.",
                param="payment_method",
            )
        previous = method["customer"]
        method["customer"] = None
        self._emit("payment_method.detached", method, f"{ident} from {previous}")
        return method

    # --- payment intents ---------------------------------------------------------------

    @_keywords
    def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        customer: str | None = None,
        payment_method: str | None = None,
        confirm: bool = False,
        capture_method: str = "automatic",
        idempotency_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        description: str | None = None,
        receipt_email: str | None = None,
        payment_method_types: Iterable[str] | None = None,
        return_url: str | None = None,
        off_session: bool | None = None,
        setup_future_usage: str | None = None,
        statement_descriptor: str | None = None,
        error_on_requires_action: bool | None = None,
    ) -> PaymentsObject:
        """Create a payment intent; with ``confirm=True`` it is confirmed at once.

        ``amount`` is an int in the currency's smallest unit (cents; yen for ``jpy``).
        A decline raises `CardError`, the intent is left in ``requires_payment_method``
        with ``last_payment_error`` set; a card that needs 3D Secure leaves it in
        ``requires_action`` (finish with `authenticate`).
        """
        params = {
            "amount": amount,
            "currency": currency,
            "customer": customer,
            "payment_method": payment_method,
            "confirm": confirm,
            "capture_method": capture_method,
            "metadata": metadata,
            "description": description,
            "receipt_email": receipt_email,
            "payment_method_types": None
            if payment_method_types is None
            else list(payment_method_types),
            "return_url": return_url,
            "off_session": off_session,
            "setup_future_usage": setup_future_usage,
            "statement_descriptor": statement_descriptor,
            "error_on_requires_action": error_on_requires_action,
        }
        return self._invoke(
            "create_payment_intent",
            None,
            params,
            idempotency_key,
            self._op_create_payment_intent,
            **params,
        )

    def _op_create_payment_intent(
        self,
        *,
        amount: Any = None,
        currency: Any = None,
        customer: Any = None,
        payment_method: Any = None,
        confirm: Any = False,
        capture_method: Any = "automatic",
        metadata: Any = None,
        description: Any = None,
        receipt_email: Any = None,
        payment_method_types: Any = None,
        return_url: Any = None,
        off_session: Any = None,
        setup_future_usage: Any = None,
        statement_descriptor: Any = None,
        error_on_requires_action: Any = None,
    ) -> dict[str, Any]:
        code = _currency(currency)
        value = _amount(amount, code)
        if capture_method not in _CAPTURE_METHODS:
            raise _invalid(
                f"Invalid capture_method: must be one of {', '.join(_CAPTURE_METHODS)}",
                param="capture_method",
            )
        confirm = _bool(confirm, "confirm")
        types = ["card"] if payment_method_types is None else list(payment_method_types)
        if types != ["card"]:
            raise _invalid(
                "The fake supports card payments only: payment_method_types must be "
                f"['card'], not {types!r}",
                param="payment_method_types",
            )
        if setup_future_usage not in (None, "on_session", "off_session"):
            raise _invalid(
                "Invalid setup_future_usage: must be one of on_session, off_session",
                param="setup_future_usage",
            )
        if statement_descriptor is not None and (
            not isinstance(statement_descriptor, str) or len(statement_descriptor) > 22
        ):
            raise _invalid(
                "The statement descriptor must be at most 22 characters.",
                param="statement_descriptor",
            )
        if off_session is not None and not confirm:
            raise _invalid(
                "You can only pass in off_session when confirm is true.", param="off_session"
            )
        owner = None if customer is None else self._get(customer, "customer", "customer")
        method = None if payment_method is None else self._payment_method(payment_method)
        if (
            method is not None
            and owner is not None
            and method["customer"] not in (None, owner["id"])
        ):
            raise _invalid(
                f"The provided PaymentMethod ({method['id']}) belongs to another Customer "
                f"({method['customer']}) than the one on this PaymentIntent ({owner['id']}).",
                param="payment_method",
            )
        if confirm and method is None:
            raise _invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "Pass payment_method, or create it without confirm=true and confirm it later "
                "with one.",
                param="payment_method",
                code="payment_intent_unexpected_state",
            )
        ident = self._new_id("pi")
        intent = {
            "id": ident,
            "object": "payment_intent",
            "amount": value,
            "amount_capturable": 0,
            "amount_received": 0,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": capture_method,
            "client_secret": f"{ident}_secret_{self._random(25)}",
            "confirmation_method": "automatic",
            "created": self._now(),
            "currency": code,
            "customer": None if owner is None else owner["id"],
            "description": _opt_str(description, "description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": _metadata(metadata, {}),
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": None if method is None else method["id"],
            "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
            "payment_method_types": types,
            "processing": None,
            "receipt_email": _opt_str(receipt_email, "receipt_email"),
            "review": None,
            "setup_future_usage": setup_future_usage,
            "shipping": None,
            "source": None,
            "statement_descriptor": statement_descriptor,
            "statement_descriptor_suffix": None,
            "status": "requires_payment_method" if method is None else "requires_confirmation",
            "transfer_data": None,
            "transfer_group": None,
        }
        self._store(intent)
        self._emit(
            "payment_intent.created",
            intent,
            f"{ident} for {_cards.format_amount(value, code)}"
            + (f" ({owner['id']})" if owner else ""),
        )
        if confirm:
            self._confirm(
                intent,
                operation="create_payment_intent",
                return_url=_opt_str(return_url, "return_url"),
                off_session=bool(off_session),
                error_on_requires_action=bool(error_on_requires_action),
            )
        return intent

    @_keywords
    def update_payment_intent(
        self,
        id: str,
        *,
        amount: int | None = None,
        currency: str | None = None,
        customer: str | None = None,
        payment_method: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        description: str | None = None,
        receipt_email: str | None = None,
        capture_method: str | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Change a payment intent that is not confirmed yet."""
        params = {
            "amount": amount,
            "currency": currency,
            "customer": customer,
            "payment_method": payment_method,
            "metadata": metadata,
            "description": description,
            "receipt_email": receipt_email,
            "capture_method": capture_method,
        }
        given = {key: value for key, value in params.items() if value is not None}
        return self._invoke(
            "update_payment_intent",
            id,
            given,
            idempotency_key,
            self._op_update_payment_intent,
            **given,
        )

    def _op_update_payment_intent(self, ident: str, **changes: Any) -> dict[str, Any]:
        intent = self._get(ident, "payment_intent", "intent", status=404)
        if intent["status"] not in _UPDATABLE:
            raise _unexpected_state(
                f"This PaymentIntent's {', '.join(changes) or 'fields'} could not be updated "
                f"because it has a status of {intent['status']}. You may only update a "
                f"PaymentIntent with one of the following statuses: {', '.join(_UPDATABLE)}."
            )
        currency = _currency(changes["currency"]) if "currency" in changes else intent["currency"]
        updates: dict[str, Any] = {}
        if "currency" in changes or "amount" in changes:
            updates["amount"] = _amount(changes.get("amount", intent["amount"]), currency)
            updates["currency"] = currency
        if "customer" in changes:
            updates["customer"] = self._get(changes["customer"], "customer", "customer")["id"]
        if "payment_method" in changes:
            updates["payment_method"] = self._payment_method(changes["payment_method"])["id"]
            if intent["status"] == "requires_payment_method":
                updates["status"] = "requires_confirmation"
        if "metadata" in changes:
            updates["metadata"] = _metadata(changes["metadata"], intent["metadata"])
        for key in ("description", "receipt_email"):
            if key in changes:
                updates[key] = _opt_str(changes[key], key) or None
        if "capture_method" in changes:
            if changes["capture_method"] not in _CAPTURE_METHODS:
                raise _invalid(
                    f"Invalid capture_method: must be one of {', '.join(_CAPTURE_METHODS)}",
                    param="capture_method",
                )
            updates["capture_method"] = changes["capture_method"]
        intent.update(updates)
        return intent

    @_keywords
    def confirm_payment_intent(
        self,
        id: str,
        *,
        payment_method: str | None = None,
        return_url: str | None = None,
        off_session: bool | None = None,
        error_on_requires_action: bool | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Confirm: charge the payment method (or require 3D Secure, or decline)."""
        params = {
            "payment_method": payment_method,
            "return_url": return_url,
            "off_session": off_session,
            "error_on_requires_action": error_on_requires_action,
        }
        return self._invoke(
            "confirm_payment_intent", id, params, idempotency_key, self._op_confirm, **params
        )

    def _op_confirm(
        self,
        ident: str,
        *,
        payment_method: Any = None,
        return_url: Any = None,
        off_session: Any = None,
        error_on_requires_action: Any = None,
    ) -> dict[str, Any]:
        intent = self._get(ident, "payment_intent", "intent", status=404)
        status = intent["status"]
        if status in ("succeeded", "canceled", "requires_capture", "processing"):
            verb = {
                "succeeded": "it has already succeeded after being previously confirmed",
                "canceled": "it has a status of canceled",
                "requires_capture": "it has already been confirmed and is waiting to be captured",
                "processing": "it is processing",
            }[status]
            raise _unexpected_state(f"You cannot confirm this PaymentIntent because {verb}.")
        if payment_method is not None:
            method = self._payment_method(payment_method)
            intent["payment_method"] = method["id"]
        if intent["payment_method"] is None:
            raise _unexpected_state(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "You can either update the PaymentIntent with a payment method and then confirm "
                "it again, or confirm it again directly with a payment method."
            )
        self._confirm(
            intent,
            operation="confirm_payment_intent",
            return_url=_opt_str(return_url, "return_url"),
            off_session=bool(_bool(off_session, "off_session")),
            error_on_requires_action=bool(
                _bool(error_on_requires_action, "error_on_requires_action")
            ),
        )
        return intent

    def _confirm(
        self,
        intent: dict[str, Any],
        *,
        operation: str,
        return_url: str | None,
        off_session: bool,
        error_on_requires_action: bool,
    ) -> None:
        method = self._objects[intent["payment_method"]]
        test_card = self._cards.get(method["id"])
        if intent["customer"] and method["customer"] not in (None, intent["customer"]):
            raise _invalid(
                f"The provided PaymentMethod ({method['id']}) belongs to another Customer "
                f"({method['customer']}) than the one on this PaymentIntent "
                f"({intent['customer']}).",
                param="payment_method",
            )
        scripted = self._take_failure(operation, api_level=False)
        needs_action = (
            scripted is None and test_card is not None and test_card.outcome == "requires_action"
        ) or (
            scripted is not None and scripted.code == "authentication_required" and not off_session
        )
        if needs_action and not (off_session or error_on_requires_action):
            previous = intent["status"]
            intent["status"] = "requires_action"
            intent["last_payment_error"] = None
            if return_url:
                intent["next_action"] = {
                    "type": "redirect_to_url",
                    "redirect_to_url": {
                        "return_url": return_url,
                        "url": f"https://hooks.stripe.com/3d_secure_2/hosted?payment_intent={intent['id']}",
                    },
                }
            else:
                intent["next_action"] = {
                    "type": "use_stripe_sdk",
                    "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": ""},
                }
            if previous != "requires_action":
                self._emit(
                    "payment_intent.requires_action", intent, f"{intent['id']} needs 3D Secure"
                )
            return
        if needs_action:
            self._decline(intent, method, _AUTH_DECLINE, scripted)
        decline = None
        if scripted is not None:
            decline = (
                _AUTH_DECLINE
                if scripted.code == "authentication_required"
                else _cards.DECLINES[scripted.code]
            )
        elif test_card is None:
            decline = _TEST_MODE_LIVE_CARD
        elif test_card.decline is not None:
            decline = test_card.decline
        if decline is not None:
            self._decline(intent, method, decline, scripted)
        self._succeed(intent, method)

    def _charge(
        self, intent: dict[str, Any], method: dict[str, Any], *, paid: bool
    ) -> dict[str, Any]:
        card = method["card"]
        charge = {
            "id": self._new_id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": 0,
            "amount_refunded": 0,
            "balance_transaction": None,
            "billing_details": _copy(method["billing_details"]),
            "calculated_statement_descriptor": intent["statement_descriptor"] or "FIXTUREKIT",
            "captured": False,
            "created": self._now(),
            "currency": intent["currency"],
            "customer": intent["customer"],
            "description": intent["description"],
            "disputed": False,
            "failure_code": None,
            "failure_message": None,
            "livemode": False,
            "metadata": _copy(intent["metadata"]),
            "outcome": None,
            "paid": paid,
            "payment_intent": intent["id"],
            "payment_method": method["id"],
            "payment_method_details": {
                "card": {
                    "brand": card["brand"],
                    "checks": _copy(card["checks"]),
                    "country": card["country"],
                    "exp_month": card["exp_month"],
                    "exp_year": card["exp_year"],
                    "fingerprint": card["fingerprint"],
                    "funding": card["funding"],
                    "last4": card["last4"],
                    "network": card["brand"],
                },
                "type": "card",
            },
            "receipt_email": intent["receipt_email"],
            "refunded": False,
            "status": "succeeded" if paid else "failed",
        }
        intent["latest_charge"] = charge["id"]
        return self._store(charge)

    def _decline(
        self,
        intent: dict[str, Any],
        method: dict[str, Any],
        decline: _cards.Decline,
        scripted: _Failure | None,
    ) -> None:
        message = scripted.message if scripted is not None and scripted.message else decline.message
        charge = self._charge(intent, method, paid=False)
        charge["failure_code"] = decline.code
        charge["failure_message"] = message
        charge["outcome"] = {
            "network_status": "declined_by_network",
            "reason": decline.decline_code,
            "risk_level": "highest" if decline.decline_code == "fraudulent" else "normal",
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "blocked" if decline.decline_code == "fraudulent" else "issuer_declined",
        }
        error = CardError(
            message,
            code=decline.code,
            decline_code=decline.decline_code,
            param=decline.param,
            charge=charge["id"],
        )
        intent["status"] = "requires_payment_method"
        intent["next_action"] = None
        last_error = error.to_dict()["error"]
        last_error["payment_method"] = _copy(method)
        intent["last_payment_error"] = last_error
        self._emit(
            "charge.failed",
            charge,
            f"{charge['id']} {_cards.format_amount(charge['amount'], charge['currency'])} "
            f"declined: {decline.decline_code}",
        )
        self._emit(
            "payment_intent.payment_failed", intent, f"{intent['id']} ({decline.decline_code})"
        )
        error.payment_intent = _copy(intent)
        error.payment_method = _copy(method)
        raise error

    def _succeed(self, intent: dict[str, Any], method: dict[str, Any]) -> None:
        charge = self._charge(intent, method, paid=True)
        charge["outcome"] = {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
        charge["payment_method_details"]["card"]["checks"]["cvc_check"] = (
            "pass" if method["card"]["checks"]["cvc_check"] else None
        )
        intent["next_action"] = None
        intent["last_payment_error"] = None
        amount = _cards.format_amount(charge["amount"], charge["currency"])
        if intent["capture_method"] == "manual":
            intent["status"] = "requires_capture"
            intent["amount_capturable"] = intent["amount"]
            self._emit(
                "charge.succeeded", charge, f"{charge['id']} {amount} authorized (not captured)"
            )
            self._emit(
                "payment_intent.amount_capturable_updated",
                intent,
                f"{intent['id']} {amount} capturable",
            )
            self.clock.call_later(
                AUTHORIZATION_TTL, self._expire_authorization, self._generation, intent["id"]
            )
        else:
            charge["captured"] = True
            charge["amount_captured"] = charge["amount"]
            charge["balance_transaction"] = self._new_id("txn")
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
            self._emit("charge.succeeded", charge, f"{charge['id']} {amount} captured")
            self._emit("payment_intent.succeeded", intent, f"{intent['id']} {amount}")

    def _expire_authorization(self, generation: int, ident: str) -> None:
        with self._lock:
            intent = self._by_type["payment_intent"].get(ident)
            if generation != self._generation or intent is None:
                return
            if intent["status"] == "requires_capture":
                self._cancel(intent, "automatic")

    @_keywords
    def authenticate(self, id: str, *, succeed: bool = True) -> PaymentsObject:
        """Play the customer's part in 3D Secure for an intent in ``requires_action``:
        on success the charge goes through (capture as configured), otherwise the intent
        goes back to ``requires_payment_method`` with an authentication failure."""
        if not isinstance(succeed, bool):
            raise TypeError(f"succeed= must be True or False, not {succeed!r}")
        return self._invoke("authenticate", id, {}, None, self._op_authenticate, succeed=succeed)

    def _op_authenticate(self, ident: str, *, succeed: bool) -> dict[str, Any]:
        intent = self._get(ident, "payment_intent", "intent", status=404)
        if intent["status"] != "requires_action":
            raise _unexpected_state(
                f"This PaymentIntent has a status of {intent['status']}; only a PaymentIntent "
                "with a status of requires_action can be authenticated."
            )
        method = self._objects[intent["payment_method"]]
        if not succeed:
            intent["status"] = "requires_payment_method"
            intent["next_action"] = None
            error = InvalidRequestError(
                "The provided PaymentMethod has failed authentication. You can provide "
                "payment_method_data or a new PaymentMethod to attempt to fulfill this "
                "PaymentIntent again.",
                code="payment_intent_authentication_failure",
            )
            last_error = error.to_dict()["error"]
            last_error["payment_method"] = _copy(method)
            intent["last_payment_error"] = last_error
            self._emit("payment_intent.payment_failed", intent, f"{ident} (3D Secure failed)")
            return intent
        self.record(f"3D Secure passed for {ident}", id=ident)
        scripted = self._take_failure("authenticate", api_level=False)
        if scripted is not None and scripted.code != "authentication_required":
            self._decline(intent, method, _cards.DECLINES[scripted.code], scripted)
        self._succeed(intent, method)
        return intent

    @_keywords
    def capture_payment_intent(
        self, id: str, *, amount_to_capture: int | None = None, idempotency_key: str | None = None
    ) -> PaymentsObject:
        """Capture an authorized (``capture_method="manual"``) intent, all or part of it."""
        params = {"amount_to_capture": amount_to_capture}
        return self._invoke(
            "capture_payment_intent", id, params, idempotency_key, self._op_capture, **params
        )

    def _op_capture(self, ident: str, *, amount_to_capture: Any = None) -> dict[str, Any]:
        intent = self._get(ident, "payment_intent", "intent", status=404)
        if intent["status"] != "requires_capture":
            raise _unexpected_state(
                f"This PaymentIntent could not be captured because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                "may be captured: requires_capture."
            )
        capturable = intent["amount_capturable"]
        if amount_to_capture is None:
            amount = capturable
        else:
            amount = _int(amount_to_capture, "amount_to_capture")
            if amount < 1:
                raise _invalid(
                    "Invalid positive integer: amount_to_capture must be at least 1",
                    param="amount_to_capture",
                    code="parameter_invalid_integer",
                )
            if amount > capturable:
                raise _invalid(
                    f"The amount to capture ({amount}) is greater than the amount capturable "
                    f"on this PaymentIntent ({capturable}).",
                    param="amount_to_capture",
                    code="amount_too_large",
                )
        charge = self._objects[intent["latest_charge"]]
        charge["captured"] = True
        charge["amount_captured"] = amount
        charge["balance_transaction"] = self._new_id("txn")
        intent["status"] = "succeeded"
        intent["amount_capturable"] = 0
        intent["amount_received"] = amount
        formatted = _cards.format_amount(amount, intent["currency"])
        self._emit("charge.captured", charge, f"{charge['id']} {formatted}")
        self._emit("payment_intent.succeeded", intent, f"{ident} {formatted} captured")
        return intent

    @_keywords
    def cancel_payment_intent(
        self, id: str, *, cancellation_reason: str | None = None, idempotency_key: str | None = None
    ) -> PaymentsObject:
        """Cancel an intent that has not succeeded (an authorization is released)."""
        params = {"cancellation_reason": cancellation_reason}
        return self._invoke(
            "cancel_payment_intent", id, params, idempotency_key, self._op_cancel, **params
        )

    def _op_cancel(self, ident: str, *, cancellation_reason: Any = None) -> dict[str, Any]:
        intent = self._get(ident, "payment_intent", "intent", status=404)
        if cancellation_reason is not None and cancellation_reason not in _CANCELLATION_REASONS:
            raise _invalid(
                f"Invalid cancellation_reason: must be one of {', '.join(_CANCELLATION_REASONS)}",
                param="cancellation_reason",
            )
        if intent["status"] not in _CANCELABLE:
            raise _unexpected_state(
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                f"may be canceled: {', '.join(_CANCELABLE)}."
            )
        self._cancel(intent, cancellation_reason)
        return intent

    def _cancel(self, intent: dict[str, Any], reason: str | None) -> None:
        if intent["status"] == "requires_capture":
            charge = self._objects[intent["latest_charge"]]
            charge["refunded"] = True
            charge["amount_refunded"] = charge["amount"]
        intent["status"] = "canceled"
        intent["canceled_at"] = self._now()
        intent["cancellation_reason"] = reason
        intent["amount_capturable"] = 0
        intent["next_action"] = None
        self._emit(
            "payment_intent.canceled", intent, intent["id"] + (f" ({reason})" if reason else "")
        )

    # --- refunds -----------------------------------------------------------------------

    @_keywords
    def create_refund(
        self,
        *,
        payment_intent: str | None = None,
        charge: str | None = None,
        amount: int | None = None,
        reason: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentsObject:
        """Refund a captured payment, in full (no ``amount``) or in part; never more than
        what was captured and not refunded yet."""
        params = {
            "payment_intent": payment_intent,
            "charge": charge,
            "amount": amount,
            "reason": reason,
            "metadata": metadata,
        }
        return self._invoke(
            "create_refund", None, params, idempotency_key, self._op_refund, **params
        )

    def _op_refund(
        self,
        *,
        payment_intent: Any = None,
        charge: Any = None,
        amount: Any = None,
        reason: Any = None,
        metadata: Any = None,
    ) -> dict[str, Any]:
        if payment_intent is None and charge is None:
            raise _invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                param="payment_intent",
                code="parameter_missing",
            )
        if reason is not None and reason not in _REFUND_REASONS:
            raise _invalid(
                f"Invalid reason: must be one of {', '.join(_REFUND_REASONS)}", param="reason"
            )
        meta = _metadata(metadata, {})
        if charge is not None:
            target = self._get(charge, "charge", "charge")
            if (
                payment_intent is not None
                and target["payment_intent"]
                != self._get(payment_intent, "payment_intent", "payment_intent")["id"]
            ):
                raise _invalid(
                    f"The charge {target['id']} does not belong to payment intent "
                    f"{payment_intent}.",
                    param="charge",
                )
        else:
            intent = self._get(payment_intent, "payment_intent", "payment_intent")
            if intent["status"] != "succeeded" or intent["latest_charge"] is None:
                raise InvalidRequestError(
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge to "
                    f"refund (its status is {intent['status']}).",
                    param="payment_intent",
                    code="charge_not_refundable",
                )
            target = self._objects[intent["latest_charge"]]
        if target["status"] != "succeeded" or not target["captured"]:
            raise InvalidRequestError(
                f"Charge {target['id']} has not been captured; cancel its PaymentIntent to "
                "release the authorization instead of refunding it."
                if target["status"] == "succeeded"
                else f"Charge {target['id']} failed; there is nothing to refund.",
                param="charge",
                code="charge_not_refundable",
            )
        currency = target["currency"]
        remaining = target["amount_captured"] - target["amount_refunded"]
        if remaining <= 0:
            raise InvalidRequestError(
                f"Charge {target['id']} has already been refunded.",
                param="charge",
                code="charge_already_refunded",
            )
        if amount is None:
            value = remaining
        else:
            value = _int(amount, "amount")
            if value < 1:
                raise _invalid(
                    "Invalid positive integer: amount must be at least 1",
                    param="amount",
                    code="parameter_invalid_integer",
                )
            if value > remaining:
                raise InvalidRequestError(
                    f"Refund amount ({_cards.format_amount(value, currency)}) is greater than "
                    f"unrefunded amount on charge ({_cards.format_amount(remaining, currency)})",
                    param="amount",
                    code="amount_too_large",
                )
        refund = {
            "id": self._new_id("re"),
            "object": "refund",
            "amount": value,
            "balance_transaction": self._new_id("txn"),
            "charge": target["id"],
            "created": self._now(),
            "currency": currency,
            "destination_details": {"card": {"type": "refund"}, "type": "card"},
            "metadata": meta,
            "payment_intent": target["payment_intent"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        self._store(refund)
        previous = {"amount_refunded": target["amount_refunded"], "refunded": target["refunded"]}
        target["amount_refunded"] += value
        target["refunded"] = target["amount_refunded"] >= target["amount_captured"]
        formatted = _cards.format_amount(value, currency)
        self._emit("refund.created", refund, f"{refund['id']} {formatted} of {target['id']}")
        self._emit("charge.refunded", target, f"{target['id']} {formatted} refunded", previous)
        return refund

    # --- listing (what the HTTP API's list endpoints use) -------------------------------

    def _list(
        self,
        kind: str,
        *,
        limit: int = 10,
        starting_after: str | None = None,
        ending_before: str | None = None,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> tuple[list[PaymentsObject], bool]:
        with self._lock:
            items = [
                obj for obj in reversed(self._by_type[kind].values()) if where is None or where(obj)
            ]
            if starting_after is not None:
                ids = [obj["id"] for obj in items]
                if starting_after not in ids:
                    raise _missing(kind, starting_after, "starting_after")
                items = items[ids.index(starting_after) + 1 :]
            elif ending_before is not None:
                ids = [obj["id"] for obj in items]
                if ending_before not in ids:
                    raise _missing(kind, ending_before, "ending_before")
                items = items[: ids.index(ending_before)][-limit:]
                return [_snapshot(obj) for obj in items], False
            page = items[:limit]
            return [_snapshot(obj) for obj in page], len(items) > limit

    # --- assertions --------------------------------------------------------------------

    def assert_charged(
        self,
        *,
        amount: Any = _UNSET,
        currency: Any = _UNSET,
        customer: Any = _UNSET,
        **match: Any,
    ) -> PaymentsObject:
        """Assert that a charge matching the criteria was captured; returns the charge.

        Criteria are charge fields (``amount``, ``currency``, ``customer``,
        ``payment_intent``, ``metadata``, ``description``...) and match as everywhere in
        fixturekit: exact values, compiled regexes or callables. ``captured=False``
        asserts an authorization that was not captured. A failure lists every charge,
        closest first, with the fields that differ.
        """
        __tracebackhide__ = True
        criteria = self._criteria(
            "charge", {"amount": amount, "currency": currency, "customer": customer}, match
        )
        base: dict[str, Any] = {"status": "succeeded", "captured": True}
        base.update(criteria)
        charges = self.charges
        found = filter_matching(charges, base)
        if found:
            return found[-1]
        raise AssertionError(explain("a successful charge", base, charges, _describe_charge))

    def assert_not_charged(self, **match: Any) -> None:
        """Assert that no captured charge (matching the criteria, if any) exists."""
        __tracebackhide__ = True
        criteria = self._criteria("charge", {}, match)
        base: dict[str, Any] = {"status": "succeeded", "captured": True}
        base.update(criteria)
        found = filter_matching(self.charges, base)
        if found:
            lines = "\n".join(f"  - {_describe_charge(charge)}" for charge in found)
            wanted = f" matching {criteria}" if criteria else ""
            raise AssertionError(f"expected no charge{wanted}, but {len(found)} happened:\n{lines}")

    def assert_refunded(
        self,
        *,
        amount: Any = _UNSET,
        currency: Any = _UNSET,
        payment_intent: Any = _UNSET,
        **match: Any,
    ) -> PaymentsObject:
        """Assert that a refund matching the criteria (refund fields: ``amount``,
        ``currency``, ``payment_intent``, ``charge``, ``reason``, ``metadata``) was made."""
        __tracebackhide__ = True
        criteria = self._criteria(
            "refund",
            {"amount": amount, "currency": currency, "payment_intent": payment_intent},
            match,
        )
        refunds = self.refunds
        found = filter_matching(refunds, criteria)
        if found:
            return found[-1]
        raise AssertionError(explain("a refund", criteria, refunds, _describe_refund))

    def _criteria(self, kind: str, named: dict[str, Any], match: dict[str, Any]) -> dict[str, Any]:
        fields = _FIELDS[kind]
        for key in match:
            if key not in fields:
                close = difflib.get_close_matches(key, fields, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise TypeError(
                    f"{key!r} is not a field of a {kind}{hint}; match on: {', '.join(fields)}"
                )
        criteria = {key: value for key, value in named.items() if value is not _UNSET}
        criteria.update(match)
        for key, value in criteria.items():
            if isinstance(value, Mapping) and "id" in value and key != "metadata":
                criteria[key] = value["id"]  # an object given for its id
            elif key == "currency" and isinstance(value, str):
                criteria[key] = value.lower()
        return criteria

    # --- the HTTP API ------------------------------------------------------------------

    def stripe_api(self) -> StripeAPIServer:
        """Serve the Stripe HTTP API from this state on 127.0.0.1:
        ``with payments.stripe_api() as api_base: stripe.api_base = api_base``.

        The official ``stripe`` SDK works against it unchanged (module-level API, or
        ``StripeClient(key, base_addresses={"api": api_base})``); any ``sk_test_...``
        key is accepted. The server stops at the end of the block, or with the fake.
        """
        from fixturekit.payments._api import StripeAPIServer

        return StripeAPIServer(self)

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{len(self._by_type[kind])} {kind}s"
            for kind in ("customer", "payment_intent", "charge", "refund")
        )
        return f"<FakePayments {counts}{' running' if self.running else ''}>"


_FIELDS = {
    "charge": (
        "amount",
        "amount_captured",
        "amount_refunded",
        "captured",
        "currency",
        "customer",
        "description",
        "failure_code",
        "id",
        "metadata",
        "outcome",
        "paid",
        "payment_intent",
        "payment_method",
        "payment_method_details",
        "receipt_email",
        "refunded",
        "status",
    ),
    "refund": (
        "amount",
        "charge",
        "currency",
        "id",
        "metadata",
        "payment_intent",
        "reason",
        "status",
    ),
}


def _describe_charge(charge: Mapping[str, Any]) -> str:
    state = "captured" if charge["captured"] else charge["status"]
    if charge["status"] == "succeeded" and not charge["captured"]:
        state = "authorized, not captured"
    if charge["failure_code"]:
        reason = charge["outcome"]["reason"] if charge["outcome"] else charge["failure_code"]
        state = f"failed: {reason}"
    return (
        f"{charge['id']} {charge['amount']} {charge['currency']} customer={charge['customer']} "
        f"({state}) payment_intent={charge['payment_intent']}"
    )


def _describe_refund(refund: Mapping[str, Any]) -> str:
    return (
        f"{refund['id']} {refund['amount']} {refund['currency']} of {refund['charge']} "
        f"payment_intent={refund['payment_intent']} reason={refund['reason']}"
    )


def _api_failure(failure: _Failure) -> PaymentsError:
    cls, message = _API_FAILURES[failure.code]
    code = failure.code if failure.code == "rate_limit" else None
    headers = {"Stripe-Should-Retry": "false"} if failure.code == "api_error" else None
    return cls(failure.message or message, code=code, headers=headers)


# --- parameter checks ------------------------------------------------------------------


def _check_idempotency_key(key: object) -> str:
    if not isinstance(key, str) or not key:
        raise _invalid(f"Invalid idempotency key: expected a non-empty string, got {key!r}")
    if len(key) > 255:
        raise _invalid(
            "Keys for idempotent requests can only be 255 characters long and contain "
            f"printable characters; this one has {len(key)}.",
        )
    return key


def _int(value: object, param: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(f"Invalid integer: {value}", param=param, code="parameter_invalid_integer")
    return value


def _bool(value: object, param: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise _invalid(f"Invalid boolean: {value}", param=param)


def _card_int(value: object, param: str) -> int:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(
            f"Invalid integer: {value}", param=f"card[{param}]", code="parameter_invalid_integer"
        )
    return value


def _opt_str(value: object, param: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _invalid(f"Invalid string: {value!r}", param=param, code="parameter_invalid_string")


def _currency(value: object) -> str:
    if value is None:
        raise _invalid(
            "Missing required param: currency.", param="currency", code="parameter_missing"
        )
    if not isinstance(value, str) or value.lower() not in _cards.CURRENCIES:
        raise _invalid(
            f"Invalid currency: {str(value).lower()}. Stripe currently supports these "
            f"currencies: {', '.join(sorted(_cards.CURRENCIES))}",
            param="currency",
        )
    return value.lower()


def _amount(value: object, currency: str) -> int:
    if value is None:
        raise _invalid("Missing required param: amount.", param="amount", code="parameter_missing")
    amount = _int(value, "amount")
    minimum = _cards.MINIMUM_AMOUNTS.get(currency, 1)
    if amount < minimum:
        raise _invalid(
            f"Amount must be at least {_cards.format_amount(minimum, currency)} {currency}",
            param="amount",
            code="amount_too_small",
        )
    if amount > _cards.MAXIMUM_AMOUNT:
        raise _invalid(
            f"Amount must be no more than {_cards.format_amount(_cards.MAXIMUM_AMOUNT, currency)}",
            param="amount",
            code="amount_too_large",
        )
    if currency in _cards.THREE_DECIMAL_CURRENCIES and amount % 10:
        raise _invalid(
            f"Invalid amount: {currency} amounts must end in 0 (the card networks round to "
            f"two decimals), got {amount}",
            param="amount",
        )
    return amount


def _metadata(value: object, current: Mapping[str, Any]) -> dict[str, Any]:
    """Stripe's metadata rules: string keys up to 40 chars, values up to 500, 50 keys;
    a value of "" (or None) removes the key; "" for the whole hash clears it."""
    if value is None:
        return dict(current)
    if value == "":
        return {}
    if not isinstance(value, Mapping):
        raise _invalid(f"Invalid hash: metadata must be a dict, got {value!r}", param="metadata")
    merged = dict(current)
    for key, item in value.items():
        if not isinstance(key, str) or not key or len(key) > 40:
            raise _invalid(
                f"Metadata keys must be strings of 1 to 40 characters: {key!r}",
                param=f"metadata[{key}]",
            )
        if item is None or item == "":
            merged.pop(key, None)
            continue
        if isinstance(item, bool):
            item = str(item).lower()
        if isinstance(item, (int, float)):
            item = str(item)
        if not isinstance(item, str):
            raise _invalid(
                f"Invalid value for metadata[{key}]: metadata values must be strings, got {item!r}",
                param=f"metadata[{key}]",
            )
        if len(item) > 500:
            raise _invalid(
                "Metadata values can have up to 500 characters, but "
                f"metadata[{key}] has {len(item)}",
                param=f"metadata[{key}]",
            )
        merged[key] = item
    if len(merged) > 50:
        raise _invalid("You can have up to 50 metadata keys.", param="metadata")
    return merged


def _billing_details(value: object) -> dict[str, Any]:
    details: dict[str, Any] = {
        "address": {
            "city": None,
            "country": None,
            "line1": None,
            "line2": None,
            "postal_code": None,
            "state": None,
        },
        "email": None,
        "name": None,
        "phone": None,
    }
    if value is None:
        return details
    if not isinstance(value, Mapping):
        raise _invalid(
            f"Invalid hash: billing_details must be a dict, got {value!r}", param="billing_details"
        )
    for key, item in value.items():
        if key == "address" and isinstance(item, Mapping):
            unknown = set(item) - set(details["address"])
            if unknown:
                name = sorted(unknown)[0]
                raise _invalid(
                    f"Received unknown parameter: billing_details[address][{name}]",
                    param=f"billing_details[address][{name}]",
                    code="parameter_unknown",
                )
            details["address"].update(item)
        elif key in ("email", "name", "phone"):
            details[key] = _opt_str(item, f"billing_details[{key}]")
        else:
            raise _invalid(
                f"Received unknown parameter: billing_details[{key}]",
                param=f"billing_details[{key}]",
                code="parameter_unknown",
            )
    return details
