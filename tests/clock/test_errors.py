from __future__ import annotations

from datetime import timedelta

import pytest

import fixturekit as fk


@pytest.mark.parametrize("start", ["next tuesday", "2024-13-01", "", "01/02/2024"])
def test_unparseable_start_is_a_value_error_quoting_it(start: str) -> None:
    with pytest.raises(ValueError, match="cannot parse start") as info:
        fk.Clock(start)
    assert repr(start) in str(info.value)
    assert "ISO 8601" in str(info.value)


@pytest.mark.parametrize("start", [[2024, 1, 1], object(), True])
def test_start_of_the_wrong_type_is_a_type_error(start: object) -> None:
    with pytest.raises(TypeError, match="start must be"):
        fk.Clock(start)  # type: ignore[arg-type]


def test_an_impossible_timestamp_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"1e\+20 is not a usable POSIX timestamp"):
        fk.Clock(1e20)


@pytest.mark.parametrize(
    ("args", "kwargs", "quoted"),
    [
        ((-5,), {}, "-5"),
        ((timedelta(seconds=-1),), {}, "datetime.timedelta(days=-1, seconds=86399)"),
        ((), {"minutes": -3}, "minutes=-3"),
        ((), {"days": 1, "hours": -25}, "hours=-25"),
    ],
)
def test_negative_advance_is_a_value_error_quoting_the_value(
    args: tuple[object, ...], kwargs: dict[str, float], quoted: str
) -> None:
    clock = fk.Clock("2024-01-01", patch=False)
    with pytest.raises(ValueError, match="negative") as info:
        clock.advance(*args, **kwargs)  # type: ignore[arg-type]
    assert quoted in str(info.value)
    assert "clock.set" in str(info.value)
    assert clock.now().isoformat() == "2024-01-01T00:00:00+00:00"  # nothing moved


def test_advance_rejects_a_non_number() -> None:
    clock = fk.Clock("2024-01-01", patch=False)
    with pytest.raises(TypeError, match="delta must be a timedelta or a number of seconds"):
        clock.advance("5 minutes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="minutes= must be a number"):
        clock.advance(minutes="5")  # type: ignore[arg-type]


def test_entering_a_running_clock_is_a_runtime_error() -> None:
    clock = fk.Clock("2024-01-01")
    with clock:
        with pytest.raises(RuntimeError, match="already running"):
            clock.start()
        assert clock.running
    assert not clock.running


def test_nesting_two_patching_clocks_is_a_runtime_error() -> None:
    with fk.Clock("2024-01-01") as outer:
        with pytest.raises(RuntimeError, match="another Clock is already running"):
            fk.Clock("2025-01-01").start()
        assert outer.now().year == 2024
    with fk.Clock("2025-01-01") as again:  # the refused one left nothing behind
        assert again.running


def test_stopping_a_clock_that_is_not_running_is_a_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        fk.Clock().stop()


def test_running_beside_freezegun_is_refused() -> None:
    freezegun = pytest.importorskip("freezegun")
    with freezegun.freeze_time("2020-01-01"), pytest.raises(RuntimeError, match="freezegun"):
        fk.Clock("2024-01-01").start()


def test_call_at_in_the_past_is_refused() -> None:
    clock = fk.Clock("2024-01-01T09:00:00Z", patch=False)
    with pytest.raises(ValueError, match="before the clock's current time"):
        clock.call_at("2024-01-01T08:00:00Z", print)


def test_call_later_rejects_negative_delays_and_non_callables() -> None:
    clock = fk.Clock("2024-01-01", patch=False)
    with pytest.raises(ValueError, match="must not be negative, got -1"):
        clock.call_later(-1, print)
    with pytest.raises(TypeError, match="callback must be callable, not str"):
        clock.call_later(1, "print")  # type: ignore[arg-type]


@pytest.mark.parametrize("option", ["tick", "patch"])
def test_boolean_options_must_be_booleans(option: str) -> None:
    with pytest.raises(TypeError, match=f"{option} must be True or False"):
        fk.Clock("2024-01-01", **{option: "yes"})  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
def test_run_all_timers_limit_must_be_a_positive_int(limit: object) -> None:
    with pytest.raises(ValueError, match="limit must be a positive int"):
        fk.Clock(patch=False).run_all_timers(limit=limit)  # type: ignore[arg-type]
