"""Opt-in monotonic time: ``Clock(monotonic=True)``.

``time.monotonic``, ``time.perf_counter`` and their ``_ns`` variants are replaced by
trampolines by `fixturekit.clock.install` (which the pytest plugin calls before
``conftest.py`` loads) or else the first time such a clock starts: on the module, and
in already-imported modules that copied them. Without a monotonic clock running they
return real readings. While a monotonic clock runs they report their real reading
at the clock's start plus how far the clock moved since, never less than they reported
before; otherwise, and for callers in the modules below, they return real readings.

Event loops, thread and process pools, pytest and fixturekit itself time things with
these functions; they keep real readings (asyncio's loop keeps its real timing unless
the clock drives it, see `fixturekit.clock._loop`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import BuiltinFunctionType
from typing import Any

__all__ = ["IGNORE", "activate", "deactivate", "install"]

#: Module-name prefixes whose calls (and copies) keep the real monotonic functions.
IGNORE: tuple[str, ...] = (
    "asyncio.",
    "selectors",
    "threading",
    "queue",
    "subprocess",
    "concurrent.",
    "multiprocessing.",
    "_pytest.",
    "pytest",
    "pluggy",
    "fixturekit.",
    "uvloop",
    "anyio.",
    "trio",
)

_NAMES = ("monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns")
_real_monotonic: Callable[[], float] = time.monotonic
_real_monotonic_ns: Callable[[], int] = time.monotonic_ns
_real_perf_counter: Callable[[], float] = time.perf_counter
_real_perf_counter_ns: Callable[[], int] = time.perf_counter_ns
_bases: dict[str, int] = {}  # real readings at the clock's start, in nanoseconds
_source: Callable[[], datetime] | None = None
_origin: datetime | None = None
_high = 0  # the most microseconds reported since the start (readings never go back)
_installed = False


def _elapsed_us() -> int | None:
    """Microseconds the clock moved since it started, or None for a real reading."""
    source = _source
    if source is None or _origin is None:
        return None
    caller = sys._getframe(2).f_globals.get("__name__") or ""
    if caller.startswith(IGNORE):
        return None
    global _high
    delta: timedelta = source() - _origin
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if micros < _high:
        return _high
    _high = micros
    return micros


def _fake_monotonic() -> float:
    if _source is None:
        return _real_monotonic()
    micros = _elapsed_us()
    if micros is None:
        return _real_monotonic()
    return (_bases["monotonic"] + micros * 1_000) / 1e9


def _fake_monotonic_ns() -> int:
    if _source is None:
        return _real_monotonic_ns()
    micros = _elapsed_us()
    if micros is None:
        return _real_monotonic_ns()
    return _bases["monotonic"] + micros * 1_000


def _fake_perf_counter() -> float:
    if _source is None:
        return _real_perf_counter()
    micros = _elapsed_us()
    if micros is None:
        return _real_perf_counter()
    return (_bases["perf_counter"] + micros * 1_000) / 1e9


def _fake_perf_counter_ns() -> int:
    if _source is None:
        return _real_perf_counter_ns()
    micros = _elapsed_us()
    if micros is None:
        return _real_perf_counter_ns()
    return _bases["perf_counter"] + micros * 1_000


_FAKES: dict[str, Callable[[], Any]] = {
    "monotonic": _fake_monotonic,
    "monotonic_ns": _fake_monotonic_ns,
    "perf_counter": _fake_perf_counter,
    "perf_counter_ns": _fake_perf_counter_ns,
}
for _name, _fake in _FAKES.items():
    _fake.__name__ = _fake.__qualname__ = _name
    _fake.__doc__ = getattr(time, _name).__doc__


def install() -> None:
    """Put the trampolines in place (once per process)."""
    global _installed, _real_monotonic, _real_monotonic_ns
    global _real_perf_counter, _real_perf_counter_ns
    if _installed:
        return
    reals: dict[str, Any] = {}
    for name in _NAMES:
        current = getattr(time, name)
        if not isinstance(current, BuiltinFunctionType):
            raise RuntimeError(
                f"time.{name} is not the built-in function but {current!r}; another time "
                "library has patched it. Stop it before using Clock(monotonic=True)"
            )
        reals[name] = current
    _real_monotonic = reals["monotonic"]
    _real_monotonic_ns = reals["monotonic_ns"]
    _real_perf_counter = reals["perf_counter"]
    _real_perf_counter_ns = reals["perf_counter_ns"]
    by_id = {id(reals[name]): _FAKES[name] for name in _NAMES}
    for mod_name, module in list(sys.modules.items()):
        if module is None or mod_name in ("time", __name__) or mod_name.startswith(IGNORE):
            continue
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        hits = [(key, by_id[id(value)]) for key, value in namespace.items() if id(value) in by_id]
        for key, fake in hits:
            namespace[key] = fake
    for name in _NAMES:
        setattr(time, name, _FAKES[name])
    _installed = True


def activate(source: Callable[[], datetime]) -> None:
    """Monotonic readings follow ``source`` (a running clock's ``now``) from here on."""
    global _source, _origin, _high
    _bases["monotonic"] = _real_monotonic_ns()
    _bases["perf_counter"] = _real_perf_counter_ns()
    _origin = source()
    _high = 0
    _source = source


def deactivate() -> None:
    """Real monotonic readings again."""
    global _source, _origin
    _source = None
    _origin = None
