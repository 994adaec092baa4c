"""Shared pieces of the payments tests: the plugin's `payments` fixture on a clock at
2024-05-01 12:00 UTC, and the real SDK pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fixturekit.payments import FakePayments

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        uses_fixture = "payments" in getattr(item, "fixturenames", ())
        if uses_fixture and item.path.is_relative_to(HERE) and not item.get_closest_marker("clock"):
            item.add_marker(pytest.mark.clock("2024-05-01T12:00:00Z"))


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
