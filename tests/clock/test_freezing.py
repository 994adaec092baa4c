from __future__ import annotations

import datetime as dt_module
import os
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime, timedelta, timezone
from time import time as copied_time

import pytest

import fixturekit as fk

UTC = timezone.utc
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def local_naive(moment: datetime) -> datetime:
    return moment.astimezone().replace(tzinfo=None)


def test_clock_freezes_datetime_date_and_time_functions() -> None:
    with fk.Clock("2024-01-01T09:00:00Z") as clock:
        assert clock.now() == START
        assert datetime.now(UTC) == START
        assert datetime.now() == local_naive(START)
        assert datetime.today() == local_naive(START)
        assert dt_module.datetime.now(UTC) == START
        assert date.today() == local_naive(START).date()
        assert time.time() == START.timestamp()
        assert time.time_ns() == int(START.timestamp()) * 1_000_000_000
        assert time.gmtime()[:6] == (2024, 1, 1, 9, 0, 0)
        assert time.localtime() == time.localtime(START.timestamp())
        assert time.strftime("%Y-%m-%d") == local_naive(START).strftime("%Y-%m-%d")
        assert time.ctime() == time.ctime(START.timestamp())
        assert time.asctime() == time.asctime(time.localtime(START.timestamp()))


def test_utcnow_returns_naive_utc() -> None:
    with fk.Clock("2024-01-01T09:00:00Z"):
        assert datetime.utcnow() == datetime(2024, 1, 1, 9, 0)


def test_copies_made_with_from_import_are_frozen_too() -> None:
    with fk.Clock(START):
        assert copied_time() == START.timestamp()


def test_values_are_real_datetime_instances() -> None:
    with fk.Clock(START):
        assert type(datetime.now()) is datetime
        assert type(datetime.now(UTC)) is datetime
        assert type(date.today()) is date
        assert dt_module.datetime is datetime


def test_subclasses_get_instances_of_themselves() -> None:
    class Moment(datetime):
        pass

    class Day(date):
        pass

    with fk.Clock(START):
        assert type(Moment.now(UTC)) is Moment
        assert Moment.now(UTC) == START
        assert type(Day.today()) is Day


def test_now_with_a_timezone_converts_the_frozen_instant() -> None:
    plus_five = timezone(timedelta(hours=5))
    with fk.Clock(START):
        moment = datetime.now(plus_five)
    assert moment.utcoffset() == timedelta(hours=5)
    assert moment.hour == 14
    assert moment == START


def test_now_rejects_a_non_tzinfo_like_the_real_one() -> None:
    with fk.Clock(START), pytest.raises(TypeError, match="tzinfo argument must be None"):
        datetime.now("UTC")  # type: ignore[arg-type]


def test_real_time_comes_back_on_exit() -> None:
    with fk.Clock("2001-01-01"):
        pass
    assert abs(time.time() - fk.Clock().now().timestamp()) < 5
    assert datetime.now(UTC).year >= 2024
    assert date.today().year >= 2024


def test_real_time_comes_back_when_the_body_raises() -> None:
    clock = fk.Clock("2001-01-01")
    with pytest.raises(ZeroDivisionError), clock:
        1 / 0  # noqa: B018
    assert not clock.running
    assert datetime.now(UTC).year >= 2024
    with fk.Clock("2002-02-02"):  # a new clock can start: nothing was left behind
        assert date.today() == date(2002, 2, 2)


def test_monotonic_clocks_keep_running() -> None:
    with fk.Clock(START):
        first = time.monotonic()
        perf = time.perf_counter()
        time.sleep(0.01)
        assert time.monotonic() > first
        assert time.perf_counter() > perf
        assert time.time() == START.timestamp()


def test_start_accepts_the_documented_forms() -> None:
    assert fk.Clock("2024-01-01").now() == datetime(2024, 1, 1, tzinfo=UTC)
    assert fk.Clock(" 2024-01-01T09:00:00Z ").now() == START
    assert fk.Clock("2024-01-01T10:00:00+01:00").now() == START
    assert fk.Clock(date(2024, 1, 1)).now() == datetime(2024, 1, 1, tzinfo=UTC)
    assert fk.Clock(datetime(2024, 1, 1, 9)).now() == START  # naive means UTC
    aware = datetime(2024, 1, 1, 4, tzinfo=timezone(timedelta(hours=-5)))
    assert fk.Clock(aware).now() == START
    assert fk.Clock(aware).now().tzinfo is UTC
    assert fk.Clock(START.timestamp()).now() == START
    before = datetime.now(UTC)
    assert before <= fk.Clock().now() <= datetime.now(UTC)


def test_clock_without_start_freezes_now() -> None:
    with fk.Clock() as clock:
        frozen = clock.now()
        time.sleep(0.01)
        assert datetime.now(UTC) == frozen


def test_tick_mode_lets_time_flow_from_the_start() -> None:
    with fk.Clock(START, tick=True) as clock:
        first = datetime.now(UTC)
        time.sleep(0.02)
        second = datetime.now(UTC)
        assert START <= first < second < START + timedelta(seconds=5)
        clock.advance(hours=1)
        assert datetime.now(UTC) >= START + timedelta(hours=1)
    stopped_at = clock.now()
    time.sleep(0.01)
    assert clock.now() == stopped_at  # a stopped clock does not tick


def test_a_non_patching_clock_leaves_process_time_alone() -> None:
    with fk.Clock("2001-01-01", patch=False) as clock:
        assert clock.now().year == 2001
        assert datetime.now(UTC).year >= 2024
        with fk.Clock("2002-01-01"):  # a patching clock may run beside it
            assert datetime.now(UTC).year == 2002


def test_start_and_stop_work_without_with() -> None:
    clock = fk.Clock(START)
    assert clock.start() is clock
    try:
        assert datetime.now(UTC) == START
    finally:
        clock.stop()
    assert datetime.now(UTC) != START


async def _async_body() -> datetime:
    async with fk.Clock(START):
        return datetime.now(UTC)


def test_async_with_freezes_time() -> None:
    import asyncio

    assert asyncio.run(_async_body()) == START


def test_local_time_follows_the_machine_timezone() -> None:
    script = textwrap.dedent(
        """
        import time
        from datetime import date, datetime
        import fixturekit as fk
        with fk.Clock("2024-01-01T03:00:00Z"):
            print(datetime.now().isoformat(), date.today().isoformat(), time.strftime("%H"))
        """
    )
    env = {**os.environ, "TZ": "America/New_York"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["2023-12-31T22:00:00", "2023-12-31", "22"]


def test_functions_captured_before_the_first_clock_follow_it() -> None:
    # A default_factory evaluated at import time, before any clock, still follows the
    # clock once the trampolines are installed early.
    script = textwrap.dedent(
        """
        from datetime import datetime, timezone
        from fixturekit import clock as clock_module
        clock_module.install()
        stamp = datetime.now                # captured at "import time"
        import fixturekit as fk
        with fk.Clock("2024-01-01"):
            print(stamp(timezone.utc).year)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "2024"
