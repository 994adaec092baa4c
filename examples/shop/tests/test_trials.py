"""Trials, tested at the service layer with the `clock` fixture."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

import fixturekit as fk
from shop import services
from shop.models import Customer
from shop.tests.fakes import FakeNotifier

UTC = timezone.utc


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_trial_lasts_fourteen_days(clock: fk.Clock) -> None:
    customer = Customer(email="ada@example.com")

    ends = services.start_trial(customer)

    assert ends == datetime(2024, 1, 15, 9, tzinfo=UTC)
    assert services.trial_active(customer)


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_trial_is_active_until_its_last_second(clock: fk.Clock) -> None:
    customer = Customer(email="ada@example.com")
    services.start_trial(customer)

    clock.advance(days=14, seconds=-1)
    assert services.trial_active(customer)

    clock.advance(seconds=1)
    assert not services.trial_active(customer)


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_trial_is_stored_and_read_back_as_aware_utc(clock: fk.Clock, session: Session) -> None:
    customer = Customer(email="ada@example.com")
    services.start_trial(customer, days=7)
    session.add(customer)
    session.commit()
    session.expire_all()

    stored = session.get(Customer, customer.id)

    assert stored is not None
    assert stored.created_at == clock.now()
    assert stored.trial_ends_at == clock.now() + timedelta(days=7)


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_reminder_goes_out_three_days_before_the_trial_ends(clock: fk.Clock) -> None:
    notifier = FakeNotifier(clock=clock)
    customer = Customer(email="ada@example.com")
    services.start_trial(customer)

    # In production the scheduler is a job runner; in tests the clock is one.
    services.schedule_trial_reminder(clock, customer, notifier)

    clock.advance(days=10)
    assert notifier.sent == []

    clock.advance(days=1)
    (notice,) = notifier.sent
    assert notice.subject == "Your trial ends soon"
    assert notice.sent_at == datetime(2024, 1, 12, 9, tzinfo=UTC)
    assert "Monday 15 January 2024 at 09:00" in notice.body


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_no_reminder_when_the_trial_was_already_cut_short(clock: fk.Clock) -> None:
    notifier = FakeNotifier(clock=clock)
    customer = Customer(email="ada@example.com")
    services.start_trial(customer)
    timer = services.schedule_trial_reminder(clock, customer, notifier)

    services.start_trial(customer, days=0)  # support ended the trial today
    clock.run_all_timers()

    assert timer.fired
    assert notifier.sent == []
