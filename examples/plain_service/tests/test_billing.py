"""The billing service with pytest: the service commits, the sandbox undoes it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import fixturekit as fk
from plain_service import billing
from plain_service.billing import Account, Invoice, Usage


@pytest.mark.parametrize("email", ["ada@example.com", "bob@example.com"])
def test_each_test_starts_without_accounts(db_session: Session, email: str) -> None:
    assert db_session.scalars(select(Account)).all() == []
    billing.open_account(email)
    assert db_session.scalars(select(Account.email)).all() == [email]


@pytest.mark.clock("2024-02-01T00:00:00Z")
def test_monthly_run_invoices_unbilled_usage_minus_credit(
    db_session: Session, clock: fk.Clock
) -> None:
    ada = billing.open_account("ada@example.com", credit_cents=10)
    billing.record_usage(ada, 100)
    billing.record_usage(ada, 20)

    report = billing.run_monthly_billing()

    invoice = db_session.get(Invoice, report.invoiced[0])
    assert invoice is not None
    assert invoice.amount_cents == 120 * billing.UNIT_PRICE - 10
    assert invoice.issued_at.replace(tzinfo=clock.now().tzinfo) == clock.now()
    assert billing.run_monthly_billing().invoiced == []  # nothing left to bill


def test_an_account_that_fails_is_rolled_back_alone(db_session: Session) -> None:
    ada = billing.open_account("ada@example.com")
    broken = billing.open_account("broken@example.invalid", credit_cents=50)
    grace = billing.open_account("grace@example.com")
    for account in (ada, broken, grace):
        billing.record_usage(account, 10)

    report = billing.run_monthly_billing()

    assert len(report.invoiced) == 2
    assert report.failed == {
        "broken@example.invalid": "cannot deliver an invoice to broken@example.invalid"
    }
    billed = db_session.scalars(select(Invoice.account_id).order_by(Invoice.account_id)).all()
    assert billed == [ada, grace]
    unbilled = db_session.scalars(select(Usage.account_id).where(Usage.invoice_id.is_(None)))
    assert unbilled.all() == [broken]
    assert db_session.get(Account, broken).credit_cents == 50  # type: ignore[union-attr]


def test_invalid_usage_is_refused_and_nothing_is_stored(db_session: Session) -> None:
    ada = billing.open_account("ada@example.com")
    with pytest.raises(billing.BillingError, match="must be positive"):
        billing.record_usage(ada, 0)
    assert db_session.scalars(select(Usage)).all() == []
