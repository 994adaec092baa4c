"""FakePayments inside a Harness and a HarnessTestCase: shared clock, timeline, cleanup."""

from __future__ import annotations

import threading
import unittest

import pytest

import fixturekit as fk
from fixturekit.payments import FakePayments
from fixturekit.testcase import HarnessTestCase


class CheckoutTest(HarnessTestCase):
    fakes = (FakePayments,)
    clock_start = "2024-05-01T09:00:00Z"

    def test_payments_is_on_the_test_case_and_its_clock(self) -> None:
        payments: FakePayments = self.payments  # type: ignore[attr-defined]
        intent = payments.create_payment_intent(
            amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True
        )
        assert intent.created == 1714554000  # clock_start
        payments.assert_charged(amount=2000)
        with payments.stripe_api():
            pass


@pytest.mark.slow
def test_the_harness_test_case_runs_green_and_leaves_no_server_thread() -> None:
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(CheckoutTest)
    result = unittest.TestResult()
    suite.run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    assert not [t for t in threading.enumerate() if t.name.startswith("fixturekit-stripe")]


def test_a_harness_shares_its_clock_and_timeline_with_the_fake() -> None:
    payments = FakePayments()
    with fk.Harness(clock=fk.Clock("2024-05-01"), fakes=[payments]) as harness:
        assert payments.clock is harness.clock
        payments.create_customer(email="a@example.com")
        assert harness.timeline.messages("payments")[0].startswith(
            "customer.created: customer cus_"
        )
