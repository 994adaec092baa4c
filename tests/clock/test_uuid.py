from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import fixturekit as fk

UTC = timezone.utc
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
# uuid1 counts 100 ns steps from the start of the Gregorian calendar.
_GREGORIAN = datetime(1582, 10, 15, tzinfo=UTC)


def moment_of(value: uuid.UUID) -> datetime:
    return _GREGORIAN + timedelta(microseconds=value.time // 10)


def test_uuid1_carries_the_clocks_time() -> None:
    with fk.Clock(START) as clock:
        first = uuid.uuid1()
        clock.advance(minutes=5)
        later = uuid.uuid1()
    assert moment_of(first) == START
    assert moment_of(later) == START + timedelta(minutes=5)


def test_uuid1_values_stay_unique_and_ordered_under_a_frozen_clock() -> None:
    with fk.Clock(START):
        values = [uuid.uuid1() for _ in range(50)]
    assert len(set(values)) == 50
    assert [value.time for value in values] == sorted(value.time for value in values)
    assert all(moment_of(value) - START < timedelta(milliseconds=1) for value in values)


def test_uuid1_goes_back_to_real_time_after_a_clock_in_the_future() -> None:
    with fk.Clock("2099-01-01"):
        assert moment_of(uuid.uuid1()).year == 2099
    before = datetime.now(UTC) - timedelta(seconds=5)
    after_exit = moment_of(uuid.uuid1())
    assert before < after_exit < datetime.now(UTC) + timedelta(seconds=5)


def test_uuid1_with_its_own_node_and_clock_seq_follows_the_clock() -> None:
    with fk.Clock(START):
        value = uuid.uuid1(node=0x1234, clock_seq=7)
    assert moment_of(value) == START
    assert value.node == 0x1234


def test_a_private_clock_leaves_uuid1_alone() -> None:
    with fk.Clock("2001-01-01", patch=False):
        assert moment_of(uuid.uuid1()).year > 2020
