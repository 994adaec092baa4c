"""Usage-based billing: accounts record usage, and a monthly run invoices each account.

Every function opens its own session from :data:`plain_service.db.SessionLocal` and
commits its own work, as a service or a cron job does. The monthly run commits one
invoice at a time, so an account that fails is rolled back alone and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from plain_service.db import Base, SessionLocal, utcnow

#: Price of one unit of usage, in cents.
UNIT_PRICE = 3


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    credit_cents: Mapped[int] = mapped_column(default=0)


class Usage(Base):
    __tablename__ = "usage"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    units: Mapped[int]
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), default=None)


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount_cents: Mapped[int]
    issued_at: Mapped[datetime]


class BillingError(Exception):
    pass


@dataclass
class RunReport:
    invoiced: list[int] = field(default_factory=list)  # invoice ids
    failed: dict[str, str] = field(default_factory=dict)  # account email -> reason


def open_account(email: str, *, credit_cents: int = 0) -> int:
    with SessionLocal() as session:
        account = Account(email=email, credit_cents=credit_cents)
        session.add(account)
        session.commit()
        return account.id


def record_usage(account_id: int, units: int) -> None:
    if units <= 0:
        raise BillingError(f"usage must be positive, got {units}")
    with SessionLocal.begin() as session:
        session.add(Usage(account_id=account_id, units=units))


def run_monthly_billing() -> RunReport:
    """Invoice every account's unbilled usage, one transaction per account."""
    report = RunReport()
    with SessionLocal() as session:
        accounts = session.scalars(select(Account).order_by(Account.id)).all()
        for account in accounts:
            try:
                invoice = _invoice(session, account)
            except BillingError as exc:
                session.rollback()
                report.failed[account.email] = str(exc)
                continue
            if invoice is not None:
                session.commit()
                report.invoiced.append(invoice.id)
    return report


def _invoice(session: Session, account: Account) -> Invoice | None:
    usage = session.scalars(
        select(Usage).where(Usage.account_id == account.id, Usage.invoice_id.is_(None))
    ).all()
    if not usage:
        return None
    amount = sum(u.units for u in usage) * UNIT_PRICE - account.credit_cents
    invoice = Invoice(account_id=account.id, amount_cents=max(amount, 0), issued_at=utcnow())
    session.add(invoice)
    session.flush()
    for u in usage:
        u.invoice_id = invoice.id
    account.credit_cents = max(-amount, 0)
    if account.email.endswith(".invalid"):
        raise BillingError(f"cannot deliver an invoice to {account.email}")
    return invoice
