"""Shared pieces of the payments tests: a fake on a harness clock, and the real SDK on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import fixturekit as fk
from fixturekit.payments import FakePayments


@pytest.fixture
def payments() -> Iterator[FakePayments]:
    """A running FakePayments on a patching clock at 2024-05-01, as in a Harness."""
    fake = FakePayments()
    with fk.Harness(clock=fk.Clock("2024-05-01T12:00:00Z"), fakes=[fake]):
        yield fake


@pytest.fixture
def api_base(payments: FakePayments) -> Iterator[str]:
    with payments.stripe_api() as url:
        yield url


@pytest.fixture
def sdk(api_base: str) -> Iterator[Any]:
    """The stripe module, pointed at the fake (module-level API), restored afterwards."""
    import stripe

    saved = (stripe.api_base, stripe.api_key, stripe.max_network_retries)
    stripe.api_base = api_base
    stripe.api_key = "sk_test_" + "x" * 24
    stripe.max_network_retries = 0
    try:
        yield stripe
    finally:
        stripe.api_base, stripe.api_key, stripe.max_network_retries = saved


@pytest.fixture
def client(api_base: str) -> Any:
    """A StripeClient pointed at the fake."""
    import stripe

    return stripe.StripeClient("sk_test_" + "y" * 24, base_addresses={"api": api_base})
