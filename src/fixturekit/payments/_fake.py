"""FakePayments: a stateful, in-memory model of the core of Stripe's card payments API.

The resources live in their own modules (customers, payment methods, payment intents
and their confirmation, setup intents, charges, refunds, products and prices,
Checkout, subscriptions, invoices, search, webhooks), each operation is one row of
`fixturekit.payments._operations`; the Python methods that run them sit in
`_calls`, `_intent_calls`, `_shop_calls` and `_billing_calls`; this module holds the
rest of the public surface.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from fixturekit._internal.checks import check_bool, check_count, keywords
from fixturekit._internal.matching import Recordings
from fixturekit.clock import Clock
from fixturekit.harness import Timeline
from fixturekit.payments._api import StripeAPIServer
from fixturekit.payments._billing_calls import BillingCalls
from fixturekit.payments._charges import Charges
from fixturekit.payments._checkout import Checkout
from fixturekit.payments._core import FAILURES, Failure
from fixturekit.payments._events import Webhooks
from fixturekit.payments._intent_calls import IntentCalls
from fixturekit.payments._objects import PaymentsObject
from fixturekit.payments._operations import CALLS, CHARGING, NAMES, perform
from fixturekit.payments._recorded import (
    CHARGE_FIELDS,
    REFUND_FIELDS,
    charged_criteria,
    describe_charge,
    describe_refund,
    refund_criteria,
)
from fixturekit.payments._refunds import Refunds
from fixturekit.payments._shop_calls import ShopCalls
from fixturekit.payments._webhooks import (
    RETRY_DELAYS,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookTarget,
)

__all__ = ["FakePayments"]


class FakePayments(
    BillingCalls,
    ShopCalls,
    IntentCalls,
    Checkout,
    Charges,
    Refunds,
    Webhooks,
):
    """A stateful, in-memory Stripe: customers, payment methods, payment and setup
    intents, charges, refunds, products, prices, Checkout Sessions, subscriptions and
    invoices billed on the clock, and events, reachable directly or over HTTP with the
    official SDK.

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

    Args:
        clock: the clock to follow (default: a private one).
        timeline: the timeline to record on (default: a private one).
        strict: when True, leaving the fake fails if a successful charge or a refund
            was made that no assertion looked at.
    """

    @keywords
    def __init__(
        self, *, clock: Clock | None = None, timeline: Timeline | None = None, strict: bool = False
    ) -> None:
        self._charged = Recordings(
            verb="charged",
            noun=("charge", "charges"),
            records=lambda: self.charges,
            describe=describe_charge,
            fields=CHARGE_FIELDS,
            prepare=charged_criteria,
            seen=self._looked_at,
        )
        self._refunded = Recordings(
            verb="refunded",
            noun=("refund", "refunds"),
            records=lambda: self.refunds,
            describe=describe_refund,
            fields=REFUND_FIELDS,
            prepare=refund_criteria,
            seen=self._looked_at,
        )
        super().__init__(clock=clock, timeline=timeline, strict=check_bool(strict, "strict"))

    # --- what the fake holds ---------------------------------------------------------

    @property
    def webhook_secret(self) -> str:
        """The ``whsec_...`` signing secret of this account's webhooks (from the seed;
        `reset` keeps it)."""
        return self._secret()

    @property
    def api_key(self) -> str:
        """A test-mode secret key the HTTP API accepts (any ``sk_test_...`` key works)."""
        assert self._api_key is not None
        return self._api_key

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
    def setup_intents(self) -> list[PaymentsObject]:
        return self._all("setup_intent")

    @property
    def products(self) -> list[PaymentsObject]:
        return self._all("product")

    @property
    def prices(self) -> list[PaymentsObject]:
        return self._all("price")

    @property
    def checkout_sessions(self) -> list[PaymentsObject]:
        return self._all("checkout.session")

    @property
    def disputes(self) -> list[PaymentsObject]:
        return self._all("dispute")

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
        """The current state of any object by id (``cus_``, ``pm_``, ``pi_``, ``seti_``,
        ``ch_``, ``re_``, ``dp_``, ``txn_``, ``prod_``, ``price_``, ``cs_``, ``sub_``, ``in_``,
        ``evt_``); an unknown
        id raises Stripe's "No such ..." error."""
        return perform(self, CALLS["retrieve"], id, {})[0]

    # --- scripted failures -----------------------------------------------------------

    @keywords
    def fail_next(
        self, code: str, *, times: int = 1, message: str | None = None, on: str | None = None
    ) -> None:
        """Make the next operation fail with ``code``; calls queue up, first in first out.

        Card codes (``card_declined``, ``insufficient_funds``, ``lost_card``,
        ``stolen_card``, ``expired_card``, ``incorrect_cvc``, ``processing_error``,
        ``fraudulent``, ``card_velocity_exceeded``, ``authentication_required``)
        decline the next charge attempt, whatever the card, with Stripe's
        ``code``/``decline_code``. ``rate_limit`` (HTTP 429) and ``api_error`` (500)
        fail the next operation of any kind before it runs; ``api_connection_error``
        lets it run and loses the answer, as a dropped connection does. ``on`` names the
        operation (a method name such as ``"create_refund"``) the failure waits for;
        ``times`` queues the same failure for that many operations; ``message``
        replaces Stripe's.
        """
        if not isinstance(code, str) or code not in FAILURES:
            close = difflib.get_close_matches(str(code), FAILURES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"fail_next() does not know the code {code!r}{hint}; "
                f"use one of: {', '.join(FAILURES)}"
            )
        check_count(times, "times", minimum=1)
        if message is not None and not isinstance(message, str):
            raise TypeError(f"fail_next()'s message= must be a str, not {message!r}")
        if on is not None and on not in NAMES:
            raise ValueError(
                f"fail_next()'s on= must name an operation, not {on!r}; use one of: "
                f"{', '.join(NAMES)}"
            )
        failure = Failure(code, message, on)
        if not failure.api_level and on is not None and on not in CHARGING:
            raise ValueError(
                f"{code!r} declines a charge, and {on}() charges nothing; use on= with one "
                f"of {', '.join(CHARGING)} (or leave it out)"
            )
        with self._lock:
            self._failures.extend([failure] * times)
        again = f" ({times} times)" if times > 1 else ""
        self.record(
            f"next {on or 'operation'} scripted to fail with {code}{again}", code=code, on=on
        )

    # --- webhooks --------------------------------------------------------------------

    @keywords
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
        is retried after each of ``retry_delays`` (seconds) on the clock. Endpoints are
        configuration: `reset` keeps them."""
        return self._add_webhook_endpoint(target, events, secret, retry_delays)

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

    @keywords
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
        return self._signed_webhook(event, secret, timestamp)

    def deliver_webhooks(self) -> list[WebhookDelivery]:
        """Send every pending event to its endpoints now; returns the attempts made.

        Stripe delivers asynchronously; in a test you say when. A failed attempt
        (an exception, or a status outside 2xx) is retried on the clock after the
        endpoint's next retry delay: ``clock.advance(...)`` makes the retries happen.
        """
        return self._deliver_webhooks()

    # --- assertions: charged ---------------------------------------------------------

    def assert_charged(
        self, *, times: int | None = None, timeout: float | None = None, **match: Any
    ) -> PaymentsObject:
        """Assert that a captured charge matches; returns the latest match.

        Criteria are charge fields (``amount``, ``currency``, ``customer``,
        ``payment_intent``, ``metadata``, ``description``...) matched as everywhere in
        fixturekit: exact values, compiled regexes or callables; an object stands for
        its id, a currency matches in any case. "Charged" means ``status="succeeded"``
        and ``captured=True`` unless the criteria name them: ``captured=False`` asserts
        an authorization, ``status="failed"`` a decline. ``times`` asks for exactly that
        many matches, ``timeout`` waits that many seconds for them (charges made on
        other threads). A failure lists every charge, closest first.
        """
        __tracebackhide__ = True
        return self._charged.assert_(  # noqa: PT009 - not unittest's
            "assert_charged", match, times=times, timeout=timeout
        )

    def assert_not_charged(self, **match: Any) -> None:
        """Assert that no captured charge (matching the criteria, if any) exists."""
        __tracebackhide__ = True
        self._charged.assert_not("assert_not_charged", match)

    def assert_charged_count(
        self, count: int, /, *, timeout: float | None = None, **match: Any
    ) -> list[PaymentsObject]:
        """Assert that exactly ``count`` captured charges match; returns them."""
        __tracebackhide__ = True
        return self._charged.assert_count("assert_charged_count", count, match, timeout=timeout)

    def assert_nothing_charged(self) -> None:
        """Assert that no charge was captured at all (declines do not count)."""
        __tracebackhide__ = True
        self._charged.assert_not("assert_nothing_charged", {})

    def find(self, **match: Any) -> list[PaymentsObject]:
        """The charges `assert_charged` would match, oldest first: captured ones by
        default; ``status=``/``captured=`` widen it (``find(status="failed")``)."""
        return self._charged.find("find", match)

    # --- assertions: refunded --------------------------------------------------------

    def assert_refunded(
        self, *, times: int | None = None, timeout: float | None = None, **match: Any
    ) -> PaymentsObject:
        """Assert that a refund matches (refund fields: ``amount``, ``currency``,
        ``payment_intent``, ``charge``, ``reason``, ``metadata``...); the latest match."""
        __tracebackhide__ = True
        return self._refunded.assert_(  # noqa: PT009 - not unittest's
            "assert_refunded", match, times=times, timeout=timeout
        )

    def assert_not_refunded(self, **match: Any) -> None:
        """Assert that no refund (matching the criteria, if any) was made."""
        __tracebackhide__ = True
        self._refunded.assert_not("assert_not_refunded", match)

    def assert_refunded_count(
        self, count: int, /, *, timeout: float | None = None, **match: Any
    ) -> list[PaymentsObject]:
        """Assert that exactly ``count`` refunds match; returns them."""
        __tracebackhide__ = True
        return self._refunded.assert_count("assert_refunded_count", count, match, timeout=timeout)

    def assert_nothing_refunded(self) -> None:
        """Assert that no refund was made at all."""
        __tracebackhide__ = True
        self._refunded.assert_nothing("assert_nothing_refunded")

    def find_refunds(self, **match: Any) -> list[PaymentsObject]:
        """The refunds matching the criteria, oldest first."""
        return self._refunded.find("find_refunds", match)

    # --- strict mode ------------------------------------------------------------------

    def _looked_at(self, matched: Iterable[Mapping[str, Any]]) -> None:
        with self._lock:
            self._seen.update(obj["id"] for obj in matched)

    def exit_problems(self) -> list[str]:
        """In strict mode, the successful charges and the refunds no assertion looked at."""
        if not self.strict:
            return []
        with self._lock:
            seen = set(self._seen)
        charges = [c for c in self.charges if c["status"] == "succeeded" and c["id"] not in seen]
        refunds = [r for r in self.refunds if r["id"] not in seen]
        if not charges and not refunds:
            return []
        return [
            f"{len(charges)} charge(s) and {len(refunds)} refund(s) were made that no "
            "assertion looked at (strict=True):",
            *[f"  - charge {describe_charge(charge)}" for charge in charges],
            *[f"  - refund {describe_refund(refund)}" for refund in refunds],
            "assert them with payments.assert_charged(...) / assert_refunded(...), "
            "or drop strict=True",
        ]

    # --- the HTTP API ----------------------------------------------------------------

    def stripe_api(self) -> StripeAPIServer:
        """Serve the Stripe HTTP API from this state on 127.0.0.1:
        ``with payments.stripe_api() as api_base: stripe.api_base = api_base``.

        The official ``stripe`` SDK works against it unchanged (module-level API, or
        ``StripeClient(key, base_addresses={"api": api_base})``); any ``sk_test_...``
        key is accepted. The server stops at the end of the block, or with the fake;
        `reset` leaves it running.
        """
        return StripeAPIServer(self)

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{len(self._by_type[kind])} {kind}s"
            for kind in ("customer", "payment_intent", "charge", "refund")
        )
        return f"<FakePayments {counts}{' running' if self.running else ''}>"
