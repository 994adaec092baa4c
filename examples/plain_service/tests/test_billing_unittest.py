# unittest assertions on purpose: this file shows the unittest way of writing tests.
# ruff: noqa: PT009
"""The same service tested with plain ``unittest`` and fixturekit's context managers.

Runs under pytest with the rest of the suite, and on its own with
``python -m unittest plain_service.tests.test_billing_unittest`` from ``examples``.
"""

from __future__ import annotations

import unittest

from sqlalchemy import select

from fixturekit.db import TestDatabase
from plain_service import billing
from plain_service.billing import Invoice
from plain_service.db import Base, SessionLocal


class BillingTest(unittest.TestCase):
    db: TestDatabase

    @classmethod
    def setUpClass(cls) -> None:
        # One database for the class; each test gets a sandbox in setUp.
        cls.db = TestDatabase("sqlite:///billing.db", schema=Base.metadata).start()
        cls.addClassCleanup(cls.db.stop)

    def setUp(self) -> None:
        sandbox = self.db.sandbox().start()
        self.addCleanup(sandbox.stop)
        sandbox.bind(SessionLocal)
        self.session = sandbox.shared_session

    def test_usage_is_invoiced_once(self) -> None:
        ada = billing.open_account("ada@example.com")
        billing.record_usage(ada, 7)
        first = billing.run_monthly_billing()
        second = billing.run_monthly_billing()
        self.assertEqual(len(first.invoiced), 1)
        self.assertEqual(second.invoiced, [])
        amounts = self.session.scalars(select(Invoice.amount_cents)).all()
        self.assertEqual(amounts, [7 * billing.UNIT_PRICE])

    def test_the_previous_test_left_nothing_behind(self) -> None:
        self.assertEqual(self.session.scalars(select(Invoice)).all(), [])
        self.assertEqual(billing.run_monthly_billing().invoiced, [])


if __name__ == "__main__":
    unittest.main()
