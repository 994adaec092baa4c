"""Payments: FakePayments against a canned respx route, side by side in one run.

Usage::

    python benchmarks/bench_payments.py [--quick] [--repeat 7] [--number 1000] [--json]

The operation is "create and confirm a payment intent" for 20.00 USD with
``pm_card_visa``. Cases, repetitions interleaved so that machine noise hits every
case alike:

* ``direct API``: ``payments.create_payment_intent(..., confirm=True)``: validation,
  a payment method, the intent, a charge, three events, a timeline record each.
* ``respx canned (httpx)``: what a hand-written test does instead: ``httpx.Client``
  posting the same form to a respx route that returns a canned JSON body, parsed.
* ``SDK -> stripe_api()``: the official SDK (module-level API, its default requests
  client) over loopback HTTP to ``payments.stripe_api()``.
* ``SDK -> respx canned``: the official SDK with its ``HTTPXClient`` against a respx
  route with the same canned body: the SDK's own cost without a server or state.
* ``year, SDK -> stripe_api()``: a subscription's year through a ``StripeClient``
  (``HTTPXClient``) over loopback HTTP to ``payments.stripe_api()`` on a ``Clock``:
  create a price, a customer with ``pm_card_visa``, list its payment methods, set the
  default one, subscribe; then 12 times ``clock.advance()`` to the period end (the fake
  creates, finalizes and charges the renewal invoice, with its events) and retrieve the
  subscription with ``expand=["latest_invoice"]`` to see it paid; finally cancel it.
  18 SDK calls, 13 invoices paid.
* ``year, SDK -> respx canned``: the same 18 SDK calls, same client class, answered by
  respx routes with canned bodies (taken from the fake once); nothing renews.

The HTTP cases run a tenth of ``--number`` per repetition (they are slower), the year
cases a hundredth (at least 2). The targets: the direct API within 3x of the canned
respx route (issue 5); the subscription's year within 3x of the same SDK calls
answered by canned respx routes (issue 13).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import respx
import stripe

from fixturekit.clock import Clock
from fixturekit.payments import FakePayments

API = "https://api.stripe.com"
PARAMS = {
    "amount": "2000",
    "currency": "usd",
    "payment_method": "pm_card_visa",
    "confirm": "true",
}


def _canned() -> dict[str, Any]:
    """A real-looking succeeded intent, taken from the fake once."""
    return dict(
        FakePayments().create_payment_intent(
            amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
        )
    )


def _year(
    client: stripe.StripeClient,
    advance: Callable[[int], object],
    keep: dict[str, Any] | None = None,
) -> object:
    """A subscription's first year: sign up, 12 renewals on the clock, cancel.

    With ``keep``, each answer's body is stored there under its call's name."""
    v1 = client.v1
    seen = keep if keep is not None else {}

    def kept(name: str, obj: Any) -> Any:
        if keep is not None:
            # the SDK reads decimal fields as Decimal; Stripe sends them as strings
            seen[name] = json.loads(json.dumps(obj.to_dict(), default=str))
        return obj

    price = kept(
        "price",
        v1.prices.create(
            params={
                "currency": "usd",
                "unit_amount": 900,
                "recurring": {"interval": "month"},
                "product_data": {"name": "Pro"},
            }
        ),
    )
    customer = kept(
        "customer",
        v1.customers.create(params={"email": "ada@example.com", "payment_method": "pm_card_visa"}),
    )
    methods = kept("methods", v1.customers.payment_methods.list(customer.id))
    kept(
        "updated",
        v1.customers.update(
            customer.id,
            params={"invoice_settings": {"default_payment_method": methods.data[0].id}},
        ),
    )
    sub = kept(
        "subscription",
        v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]}),
    )
    for _ in range(12):
        advance(sub.current_period_end)
        sub = kept(
            "renewed",
            v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]}),
        )
        if sub.latest_invoice.status != "paid":
            raise RuntimeError(f"renewal not paid: {sub.latest_invoice.status}")
    return kept("canceled", v1.subscriptions.cancel(sub.id))


def _sdk_client(api_base: str | None = None) -> stripe.StripeClient:
    """A StripeClient on the SDK's httpx client, the one respx can answer."""
    return stripe.StripeClient(
        "sk_test_bench",
        base_addresses={"api": api_base or API},
        http_client=stripe.HTTPXClient(allow_sync_methods=True),
        max_network_retries=0,
    )


def _year_routes(payments: FakePayments, clock: Clock) -> respx.MockRouter:
    """respx routes answering `_year`'s calls with the bodies the fake gave once."""
    bodies: dict[str, Any] = {}
    with payments.stripe_api() as api_base:
        _year(_sdk_client(api_base), lambda end: _advance_to(clock, end), bodies)
    payments.reset()
    router = respx.MockRouter(assert_all_called=False)
    customer, subscription = r"/v1/customers/[^/]+", r"/v1/subscriptions/[^/]+"
    router.post("/v1/prices").respond(200, json=bodies["price"])
    router.post("/v1/customers").respond(200, json=bodies["customer"])
    router.get(path__regex=customer + "/payment_methods$").respond(200, json=bodies["methods"])
    router.post(path__regex=customer + "$").respond(200, json=bodies["updated"])
    router.post("/v1/subscriptions").respond(200, json=bodies["subscription"])
    router.get(path__regex=subscription + "$").respond(200, json=bodies["renewed"])
    router.delete(path__regex=subscription + "$").respond(200, json=bodies["canceled"])
    return router


def _advance_to(clock: Clock, timestamp: int) -> None:
    """Move the clock to a period end (a renewal fires there)."""
    clock.advance(max(timestamp - clock.now().timestamp(), 0))


def _time(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def run(repeat: int, number: int) -> dict[str, Any]:
    canned = _canned()
    http_number = max(number // 10, 5)
    year_number = max(number // 100, 2)
    payments = FakePayments()
    clock = Clock("2024-01-31T09:00:00Z")
    billing = FakePayments(clock=clock)
    year_router = _year_routes(billing, clock)

    def direct() -> object:
        return payments.create_payment_intent(
            amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
        )

    router = respx.MockRouter(assert_all_called=False)
    router.post(f"{API}/v1/payment_intents").respond(200, json=canned)
    httpx_client = httpx.Client(transport=httpx.MockTransport(router.handler))

    def respx_canned() -> object:
        response = httpx_client.post(f"{API}/v1/payment_intents", data=PARAMS)
        return response.json()

    sdk_respx = stripe.StripeClient(
        "sk_test_bench",
        http_client=stripe.HTTPXClient(allow_sync_methods=True),
        max_network_retries=0,
    )

    def sdk_canned() -> object:
        with router:
            return sdk_respx.v1.payment_intents.create(
                params={
                    "amount": 2000,
                    "currency": "usd",
                    "payment_method": "pm_card_visa",
                    "confirm": True,
                }
            )

    def sdk_fake() -> object:
        return stripe.PaymentIntent.create(
            amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
        )

    year_canned_client = _sdk_client()

    def year_canned() -> object:
        with year_router:
            return _year(year_canned_client, lambda end: None)

    year_fake_client: stripe.StripeClient | None = None

    def year_fake() -> object:
        assert year_fake_client is not None
        return _year(year_fake_client, lambda end: _advance_to(clock, end))

    cases: dict[str, tuple[Callable[[], object], int]] = {
        "direct API": (direct, number),
        "respx canned (httpx)": (respx_canned, number),
        "SDK -> stripe_api()": (sdk_fake, http_number),
        "SDK -> respx canned": (sdk_canned, http_number),
        "year, SDK -> stripe_api()": (year_fake, year_number),
        "year, SDK -> respx canned": (year_canned, year_number),
    }
    rates: dict[str, list[float]] = {name: [] for name in cases}
    saved = (stripe.api_base, stripe.api_key, stripe.max_network_retries)
    try:
        with payments.stripe_api() as api_base, billing.stripe_api() as billing_base:
            year_fake_client = _sdk_client(billing_base)
            stripe.api_base, stripe.api_key, stripe.max_network_retries = (
                api_base,
                "sk_test_bench",
                0,
            )
            for fn, _ in cases.values():  # warm up every path once
                fn()
            for _ in range(repeat):
                for name, (fn, count) in cases.items():
                    payments.reset()
                    billing.reset()
                    rates[name].append(count / _time(fn, count))
    finally:
        stripe.api_base, stripe.api_key, stripe.max_network_retries = saved
        httpx_client.close()
    return {
        "python": sys.version.split()[0],
        "stripe": stripe.VERSION,
        "repeat": repeat,
        "number": number,
        "http_number": http_number,
        "year_number": year_number,
        "rates": rates,
    }


def _times(rates: dict[str, list[float]], name: str, against: str) -> float:
    """Time per operation of ``name`` over that of ``against``: the median of the
    per-repetition ratios (interleaved, so each pair shares its noise)."""
    return statistics.median(b / a for a, b in zip(rates[name], rates[against], strict=True))


def _rate(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def report(result: dict[str, Any]) -> str:
    rates = result["rates"]
    lines = [
        "Payment intent create+confirm, and a subscription's year "
        f"(Python {result['python']}, stripe {result['stripe']}, "
        f"{result['repeat']} interleaved repetitions)",
        "",
        "| case | ops/s, median (min-max) | µs/op |",
        "|---|---|---|",
    ]
    for name, values in rates.items():
        median = statistics.median(values)
        lines.append(
            f"| {name} | {_rate(median)} ({_rate(min(values))}-{_rate(max(values))}) | "
            f"{1e6 / median:,.0f} |"
        )
    direct = _times(rates, "direct API", "respx canned (httpx)")
    year = _times(rates, "year, SDK -> stripe_api()", "year, SDK -> respx canned")
    lines += [
        "",
        "Ratios (time per operation, median of per-repetition ratios):",
        f"- direct API / respx canned route: {direct:.2f}x "
        f"(target: within 3x: {'met' if direct <= 3 else 'missed'})",
        "- SDK over stripe_api() / SDK against a respx canned route: "
        f"{_times(rates, 'SDK -> stripe_api()', 'SDK -> respx canned'):.2f}x",
        "- SDK over stripe_api() / direct API: "
        f"{_times(rates, 'SDK -> stripe_api()', 'direct API'):.1f}x",
        f"- a subscription's year (18 SDK calls, 12 renewals on the clock), over "
        f"stripe_api() / the same calls against canned respx routes: {year:.2f}x "
        f"(target: within 3x: {'met' if year <= 3 else 'missed'})",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="interleaved repetitions (7)")
    parser.add_argument(
        "--number", type=int, default=1000, help="operations per case and repetition (1000)"
    )
    parser.add_argument("--quick", action="store_true", help="3 repetitions of 200 operations")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.number = 3, 200
    if args.repeat < 1 or args.number < 10:
        parser.error("--repeat must be >= 1 and --number >= 10")
    if args.repeat * max(args.number // 100, 2) > 5000:
        # each subscription's year moves the one clock a year on: stay before 9999
        parser.error("--repeat times --number / 100 must stay <= 5000 (years on the clock)")
    result = run(args.repeat, args.number)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
