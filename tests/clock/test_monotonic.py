from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timezone
from time import monotonic as copied_monotonic
from typing import Any

import pytest

import fixturekit as fk
from fixturekit.clock import install as install_time_trampolines

UTC = timezone.utc
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)

# As the docs advise for timers grabbed where no module global holds them (a default
# argument, below): the monotonic trampolines go in before the code that grabs them.
install_time_trampolines(monotonic=True)


class TTLCache:
    """A small cache in cachetools' manner: the timer is grabbed when the class is
    defined, and entries expire ``ttl`` seconds after they were set."""

    def __init__(self, ttl: float, timer: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.timer = timer
        self._items: dict[str, tuple[float, Any]] = {}

    def __setitem__(self, key: str, value: Any) -> None:
        self._items[key] = (self.timer() + self.ttl, value)

    def get(self, key: str) -> Any:
        expires, value = self._items.get(key, (0.0, None))
        return value if self.timer() < expires else None


class RateLimiter:
    """At most ``limit`` calls per ``per`` seconds (a sliding window on perf_counter)."""

    def __init__(self, limit: int, per: float) -> None:
        self.limit = limit
        self.per = per
        self.calls: list[float] = []

    def allow(self) -> bool:
        now = time.perf_counter()
        self.calls = [at for at in self.calls if now - at < self.per]
        if len(self.calls) >= self.limit:
            return False
        self.calls.append(now)
        return True


def test_a_ttl_cache_expires_on_the_clock() -> None:
    cache = TTLCache(ttl=300)
    with fk.Clock(START, monotonic=True) as clock:
        cache["token"] = "abc"
        clock.advance(seconds=299)
        assert cache.get("token") == "abc"
        clock.advance(seconds=1)
        assert cache.get("token") is None


def test_a_rate_limiter_opens_again_when_the_window_passes() -> None:
    limiter = RateLimiter(limit=2, per=60)
    with fk.Clock(START, monotonic=True) as clock:
        assert limiter.allow()
        assert limiter.allow()
        assert not limiter.allow()
        clock.advance(seconds=59)
        assert not limiter.allow()
        clock.advance(seconds=1)
        assert limiter.allow()


def test_every_monotonic_function_follows_the_clock() -> None:
    with fk.Clock(START, monotonic=True) as clock:
        readings = [
            time.monotonic(),
            time.perf_counter(),
            time.monotonic_ns(),
            time.perf_counter_ns(),
            copied_monotonic(),
        ]
        time.sleep(0.02)
        assert time.monotonic() == readings[0]  # frozen, like the wall clock
        clock.advance(minutes=2)
        assert time.monotonic() - readings[0] == pytest.approx(120)
        assert time.perf_counter() - readings[1] == pytest.approx(120)
        assert time.monotonic_ns() - readings[2] == 120 * 10**9
        assert time.perf_counter_ns() - readings[3] == 120 * 10**9
        assert copied_monotonic() - readings[4] == pytest.approx(120)


def test_monotonic_readings_never_go_back() -> None:
    with fk.Clock(START, monotonic=True) as clock:
        clock.advance(hours=1)
        high = time.monotonic()
        clock.set(START)
        assert time.monotonic() == high
        clock.advance(hours=2)
        assert time.monotonic() == pytest.approx(high + 3600)


def test_monotonic_time_is_real_by_default_and_after_the_clock() -> None:
    with fk.Clock(START) as clock:
        first = time.monotonic()
        clock.advance(hours=1)
        assert time.monotonic() - first < 60
    with fk.Clock(START, monotonic=True):
        pass
    first = time.monotonic()
    time.sleep(0.01)
    assert time.monotonic() > first


def test_asyncio_keeps_real_loop_time_under_a_monotonic_clock() -> None:
    async def main() -> str:
        await asyncio.sleep(0.01)
        return await asyncio.wait_for(asyncio.sleep(0.01, "done"), timeout=5)

    with fk.Clock(START, monotonic=True):
        assert asyncio.run(main()) == "done"


def test_clock_run_with_monotonic_moves_both_together() -> None:
    async def main() -> float:
        before = time.monotonic()
        await asyncio.sleep(3600)
        return time.monotonic() - before

    with fk.Clock(START, monotonic=True) as clock:
        assert clock.run(main()) == pytest.approx(3600)


def test_monotonic_needs_a_patching_clock_and_a_bool() -> None:
    with pytest.raises(ValueError, match="cannot go with patch=False"):
        fk.Clock(START, patch=False, monotonic=True)
    with pytest.raises(TypeError, match="monotonic must be True or False, not 'yes'"):
        fk.Clock(START, monotonic="yes")  # type: ignore[arg-type]
    assert fk.Clock(START, monotonic=True).monotonic
    assert not fk.Clock(START).monotonic


def test_install_takes_monotonic_as_a_bool() -> None:
    with pytest.raises(TypeError, match="monotonic must be True or False, not 1"):
        install_time_trampolines(monotonic=1)  # type: ignore[arg-type]


def test_plain_install_leaves_the_monotonic_clocks_alone_in_a_new_process() -> None:
    import subprocess
    import sys

    code = (
        "import time, types\nimport fixturekit.clock\nfixturekit.clock.install()\n"
        "print(isinstance(time.monotonic, types.BuiltinFunctionType))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "True"
