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

The HTTP cases run a tenth of ``--number`` per repetition (they are slower). The
target (issue 5): the direct API within 3x of the canned respx route.
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


def _time(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def run(repeat: int, number: int) -> dict[str, Any]:
    canned = _canned()
    http_number = max(number // 10, 5)
    payments = FakePayments()

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

    cases: dict[str, tuple[Callable[[], object], int]] = {
        "direct API": (direct, number),
        "respx canned (httpx)": (respx_canned, number),
        "SDK -> stripe_api()": (sdk_fake, http_number),
        "SDK -> respx canned": (sdk_canned, http_number),
    }
    rates: dict[str, list[float]] = {name: [] for name in cases}
    saved = (stripe.api_base, stripe.api_key, stripe.max_network_retries)
    try:
        with payments.stripe_api() as api_base:
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
        "rates": rates,
    }


def _times(rates: dict[str, list[float]], name: str, against: str) -> float:
    """Time per operation of ``name`` over that of ``against``: the median of the
    per-repetition ratios (interleaved, so each pair shares its noise)."""
    return statistics.median(b / a for a, b in zip(rates[name], rates[against], strict=True))


def report(result: dict[str, Any]) -> str:
    rates = result["rates"]
    lines = [
        f"Payment intent create+confirm (Python {result['python']}, stripe "
        f"{result['stripe']}, {result['repeat']} interleaved repetitions)",
        "",
        "| case | ops/s, median (min-max) | µs/op |",
        "|---|---|---|",
    ]
    for name, values in rates.items():
        median = statistics.median(values)
        lines.append(
            f"| {name} | {median:,.0f} ({min(values):,.0f}-{max(values):,.0f}) | "
            f"{1e6 / median:,.0f} |"
        )
    direct = _times(rates, "direct API", "respx canned (httpx)")
    lines += [
        "",
        "Ratios (time per operation, median of per-repetition ratios):",
        f"- direct API / respx canned route: {direct:.2f}x "
        f"(target: within 3x: {'met' if direct <= 3 else 'missed'})",
        "- SDK over stripe_api() / SDK against a respx canned route: "
        f"{_times(rates, 'SDK -> stripe_api()', 'SDK -> respx canned'):.2f}x",
        "- SDK over stripe_api() / direct API: "
        f"{_times(rates, 'SDK -> stripe_api()', 'direct API'):.1f}x",
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
    result = run(args.repeat, args.number)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
