from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import fixturekit as fk

UTC = timezone.utc
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def test_advance_moves_time_and_returns_the_new_time() -> None:
    with fk.Clock(START) as clock:
        assert clock.advance(timedelta(minutes=5)) == START + timedelta(minutes=5)
        assert clock.advance(30) == START + timedelta(minutes=5, seconds=30)
        clock.advance(seconds=30, minutes=1, hours=1, days=1)
        assert datetime.now(UTC) == START + timedelta(days=1, hours=1, minutes=7)
        clock.advance(timedelta(hours=1), minutes=1)  # both forms add up
        assert clock.now() == START + timedelta(days=1, hours=2, minutes=8)


def test_timers_fire_in_time_order_seeing_their_due_time() -> None:
    seen: list[tuple[str, datetime, datetime]] = []
    with fk.Clock(START) as clock:

        def note(label: str) -> None:
            seen.append((label, clock.now(), datetime.now(UTC)))

        clock.call_later(timedelta(minutes=3), note, "c")
        clock.call_at("2024-01-01T09:01:00Z", note, "a")
        clock.call_later(120, note, label="b")
        clock.advance(minutes=10)
        assert clock.now() == START + timedelta(minutes=10)
    assert seen == [
        ("a", START + timedelta(minutes=1), START + timedelta(minutes=1)),
        ("b", START + timedelta(minutes=2), START + timedelta(minutes=2)),
        ("c", START + timedelta(minutes=3), START + timedelta(minutes=3)),
    ]


def test_timers_due_at_the_same_time_fire_in_scheduling_order() -> None:
    order: list[int] = []
    clock = fk.Clock(START, patch=False)
    for n in range(5):
        clock.call_later(60, order.append, n)
    clock.advance(60)
    assert order == [0, 1, 2, 3, 4]


def test_timers_after_the_window_stay_pending() -> None:
    fired: list[str] = []
    clock = fk.Clock(START, patch=False)
    late = clock.call_later(3600, fired.append, "late")
    clock.advance(minutes=59, seconds=59)
    assert fired == []
    assert late.pending
    assert clock.pending_timers == [late]
    clock.advance(seconds=1)
    assert fired == ["late"]
    assert late.fired
    assert clock.pending_timers == []


def test_a_timer_scheduled_by_a_callback_inside_the_window_fires_too() -> None:
    seen: list[datetime] = []
    clock = fk.Clock(START, patch=False)

    def retry(attempt: int) -> None:
        seen.append(clock.now())
        if attempt < 3:
            clock.call_later(timedelta(minutes=2**attempt), retry, attempt + 1)

    clock.call_later(0, retry, 0)
    clock.advance(minutes=5)
    assert seen == [
        START,
        START + timedelta(minutes=1),
        START + timedelta(minutes=3),
    ]
    assert len(clock.pending_timers) == 1  # the attempt due at 09:07 waits
    clock.advance(minutes=2)
    assert seen[-1] == START + timedelta(minutes=7)


def test_cancelled_timers_do_not_fire() -> None:
    fired: list[str] = []
    clock = fk.Clock(START, patch=False)
    timer = clock.call_later(10, fired.append, "x")
    assert timer.cancel() is True
    assert timer.cancel() is False
    assert timer.cancelled
    clock.advance(60)
    assert fired == []


def test_set_forward_fires_due_timers_and_set_back_fires_nothing() -> None:
    fired: list[datetime] = []
    with fk.Clock(START) as clock:
        clock.call_at("2024-01-02", lambda: fired.append(clock.now()))
        assert clock.set("2024-01-03") == datetime(2024, 1, 3, tzinfo=UTC)
        assert fired == [datetime(2024, 1, 2, tzinfo=UTC)]
        clock.call_at("2024-01-04", lambda: fired.append(clock.now()))
        assert clock.set("2023-06-01") == datetime(2023, 6, 1, tzinfo=UTC)
        assert datetime.now(UTC) == datetime(2023, 6, 1, tzinfo=UTC)
        assert len(fired) == 1
        assert len(clock.pending_timers) == 1


def test_advance_zero_fires_timers_due_now() -> None:
    fired: list[int] = []
    clock = fk.Clock(START, patch=False)
    clock.call_later(0, fired.append, 1)
    clock.advance(0)
    assert fired == [1]


def test_run_all_timers_drains_the_queue_in_order() -> None:
    seen: list[datetime] = []
    clock = fk.Clock(START, patch=False)
    clock.call_later(timedelta(days=2), lambda: seen.append(clock.now()))
    clock.call_later(timedelta(days=1), lambda: seen.append(clock.now()))
    assert clock.run_all_timers() == 2
    assert seen == [START + timedelta(days=1), START + timedelta(days=2)]
    assert clock.now() == START + timedelta(days=2)


def test_run_all_timers_stops_a_timer_that_reschedules_itself() -> None:
    clock = fk.Clock(START, patch=False)

    def forever() -> None:
        clock.call_later(1, forever)

    clock.call_later(1, forever)
    with pytest.raises(RuntimeError, match=r"stopped after 50 timers.*forever"):
        clock.run_all_timers(limit=50)


def test_a_failing_callback_stops_the_clock_at_its_due_time() -> None:
    later: list[int] = []
    clock = fk.Clock(START, patch=False)

    def boom() -> None:
        raise KeyError("boom")

    clock.call_later(60, boom)
    clock.call_later(120, later.append, 1)
    with pytest.raises(KeyError, match="boom"):
        clock.advance(minutes=5)
    assert clock.now() == START + timedelta(minutes=1)
    assert later == []
    clock.advance(minutes=4)
    assert later == [1]
    assert clock.now() == START + timedelta(minutes=5)


def test_moving_the_clock_from_a_callback_is_refused() -> None:
    clock = fk.Clock(START, patch=False)
    clock.call_later(1, clock.advance, 5)
    with pytest.raises(RuntimeError, match="inside a timer callback"):
        clock.advance(10)


def test_an_async_callback_is_refused_with_advice() -> None:
    clock = fk.Clock(START, patch=False)

    async def send() -> None:
        pass

    clock.call_later(1, send)
    with pytest.raises(TypeError, match="returned an awaitable"):
        clock.advance(1)


def test_ticking_clock_fires_timers_on_advance() -> None:
    seen: list[datetime] = []
    with fk.Clock(START, tick=True) as clock:
        clock.call_later(3600, lambda: seen.append(clock.now()))
        clock.advance(hours=2)
    assert len(seen) == 1
    assert START + timedelta(hours=1) <= seen[0] < START + timedelta(hours=1, seconds=5)


def test_timer_repr_names_the_callback() -> None:
    clock = fk.Clock(START, patch=False)
    timer = clock.call_later(5, print)
    assert repr(timer) == "<Timer print at 2024-01-01T09:00:05+00:00 pending>"
    assert "1 pending timer" in repr(clock)
