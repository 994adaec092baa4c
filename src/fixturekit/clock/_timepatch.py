"""The process-wide time source behind `fixturekit.Clock`.

The first clock that patches time installs small trampolines, once per process:

* ``datetime.datetime.now``, ``datetime.datetime.utcnow`` and ``datetime.date.today``
  are replaced *inside the real classes* (the type dictionaries of the C types), so
  ``from datetime import datetime`` keeps naming the real class and every value made
  under a clock is a real `datetime.datetime`, not a subclass;
* the wall-clock functions of the `time` module (``time``, ``time_ns``,
  ``localtime``, ``gmtime``, ``ctime``, ``asctime``, ``strftime``) are replaced on the
  module, and in every already-imported module that copied them with
  ``from time import time``. Modules imported later copy the trampoline itself.

A trampoline reads the running clock when there is one and real time otherwise, so
entering and leaving a clock only swaps one reference: its cost does not depend on how
many modules the process has loaded. The monotonic clocks (``time.monotonic``,
``time.perf_counter``) are never touched, which is what keeps asyncio, timeouts and
test-duration measurements working under a frozen clock. ``uuid.uuid1()`` follows the
running clock too (its C generator is set aside while a clock runs).
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from datetime import date, datetime, timezone, tzinfo
from types import BuiltinFunctionType
from typing import Any


def _c_classes() -> tuple[type[date], type[datetime]]:
    """The C classes themselves, even if someone swapped ``datetime.datetime``."""
    import importlib

    try:
        accelerator = importlib.import_module("_datetime")
    except ImportError:  # pragma: no cover - interpreters without the C accelerator
        return date, datetime
    return accelerator.date, accelerator.datetime


_RealDate, _RealDatetime = _c_classes()

__all__ = ["DEFAULT_IGNORE", "active_clock", "install", "installed", "real_time", "real_utcnow"]

#: Module-name prefixes whose copies of the time functions are never replaced: pytest
#: measures durations and stamps reports with real time, and thread and process pools
#: must keep their own timing.
DEFAULT_IGNORE: tuple[str, ...] = (
    "_pytest.",
    "pytest",
    "threading",
    "queue",
    "multiprocessing.",
    "concurrent.",
    "selenium.",
    "fixturekit.clock._timepatch",
)

_EPOCH = _RealDatetime(1970, 1, 1, tzinfo=timezone.utc)
_TIME_NAMES = ("time", "time_ns", "localtime", "gmtime", "ctime", "asctime", "strftime")

# The real functions. Read again, and checked, when the trampolines are installed:
# another library (freezegun) may have had its own fakes in place when this module
# was imported.
real_time: Callable[[], float] = time.time
_real_time_ns: Callable[[], int] = time.time_ns
_real_localtime = time.localtime
_real_gmtime = time.gmtime
_real_ctime = time.ctime
_real_asctime = time.asctime
_real_strftime = time.strftime
_real_now = _RealDatetime.__dict__["now"]
_real_utcnow = _RealDatetime.__dict__["utcnow"]
_real_today = _RealDate.__dict__["today"]

# The running clock's ``now`` (an aware UTC datetime) and the clock itself.
_source: Callable[[], datetime] | None = None
_owner: object | None = None
_installed = False


def real_utcnow() -> datetime:
    """Real, unfrozen time as an aware UTC datetime, whatever clock is running."""
    result: datetime = _RealDatetime.fromtimestamp(real_time(), timezone.utc)
    return result


def active_clock() -> object | None:
    """The clock that currently drives the process's time, if any."""
    return _owner


def activate(clock: object, source: Callable[[], datetime]) -> None:
    global _source, _owner
    _owner = clock
    _source = source
    _uuid_to_clock()


def deactivate(clock: object) -> None:
    global _source, _owner
    if _owner is clock:
        _owner = None
        _source = None
        _uuid_to_real()


# --- uuid ----------------------------------------------------------------------------
#
# ``uuid.uuid1()`` reads the time through the C library's generator when it can, and
# otherwise through ``time.time_ns()`` (which the trampoline answers). While a clock
# runs the C generator is set aside; ``_last_timestamp`` (the guard that keeps uuid1
# values increasing) is forgotten on both edges, since the clock may stand before the
# last real value, and real time before the last frozen one.

_uuid_generator: Any = None
# The uuid module's namespace and its "last timestamp" guards, found at install (a
# failed attribute lookup on a module costs microseconds; a dict lookup does not).
_uuid_namespace: dict[str, Any] = {}
_uuid_guards: tuple[str, ...] = ()


def _find_uuid() -> None:
    global _uuid_namespace, _uuid_guards
    import uuid

    _uuid_namespace = uuid.__dict__
    # _last_timestamp_v7 is Python 3.14's uuid7 guard.
    names = ("_last_timestamp", "_last_timestamp_v7")
    _uuid_guards = tuple(name for name in names if name in _uuid_namespace)


def _uuid_to_clock() -> None:
    global _uuid_generator
    namespace = _uuid_namespace
    if "_generate_time_safe" in namespace:
        _uuid_generator = namespace["_generate_time_safe"]
        namespace["_generate_time_safe"] = None
    for name in _uuid_guards:
        namespace[name] = None


def _uuid_to_real() -> None:
    global _uuid_generator
    namespace = _uuid_namespace
    if _uuid_generator is not None:
        namespace["_generate_time_safe"] = _uuid_generator
        _uuid_generator = None
    for name in _uuid_guards:
        namespace[name] = None


def installed() -> bool:
    return _installed


# --- time module trampolines -------------------------------------------------


def _fake_time() -> float:
    source = _source
    if source is None:
        return real_time()
    return (source() - _EPOCH).total_seconds()


def _fake_time_ns() -> int:
    source = _source
    if source is None:
        return _real_time_ns()
    delta = source() - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _fake_localtime(secs: float | None = None) -> time.struct_time:
    if secs is None and _source is not None:
        secs = _fake_time()
    return _real_localtime(secs)


def _fake_gmtime(secs: float | None = None) -> time.struct_time:
    if secs is None and _source is not None:
        secs = _fake_time()
    return _real_gmtime(secs)


def _fake_ctime(secs: float | None = None) -> str:
    if secs is None and _source is not None:
        secs = _fake_time()
    return _real_ctime(secs)


def _fake_asctime(t: Any = None) -> str:
    if t is None:
        t = _fake_localtime()
    return _real_asctime(t)


def _fake_strftime(format: str, t: Any = None) -> str:
    if t is None:
        t = _fake_localtime()
    return _real_strftime(format, t)


_TIME_FAKES: dict[str, Callable[..., Any]] = {
    "time": _fake_time,
    "time_ns": _fake_time_ns,
    "localtime": _fake_localtime,
    "gmtime": _fake_gmtime,
    "ctime": _fake_ctime,
    "asctime": _fake_asctime,
    "strftime": _fake_strftime,
}
_TIME_REALS: dict[str, Callable[..., Any]] = {}

for _name, _fake in _TIME_FAKES.items():
    _fake.__name__ = _name
    _fake.__qualname__ = _name
    _fake.__doc__ = getattr(time, _name).__doc__


def _unwrap(value: Any) -> tuple[Any, bool]:
    """The original behind a trampoline left by an earlier import of this module.

    Tools that snapshot ``sys.modules`` (pytester's in-process runs) can drop this
    module and import it afresh while the old trampolines are still installed.
    """
    func = getattr(value, "__func__", value)
    original = getattr(func, "_fixturekit_original", None)
    return (value, False) if original is None else (original, True)


def _capture_reals() -> dict[int, Callable[..., Any]]:
    """Read the real time functions, refusing ones another library has replaced.

    Returns the trampolines of an earlier import of this module, by id, each mapped to
    this module's replacement, so that copies of them get replaced too.
    """
    global real_time, _real_time_ns, _real_localtime, _real_gmtime, _real_ctime
    global _real_asctime, _real_strftime, _real_now, _real_utcnow, _real_today
    reals: dict[str, Callable[..., Any]] = {}
    stale: dict[int, Callable[..., Any]] = {}
    for name in _TIME_NAMES:
        current = getattr(time, name)
        value, was_ours = _unwrap(current)
        if was_ours:
            stale[id(current)] = _TIME_FAKES[name]
        if not isinstance(value, BuiltinFunctionType):
            raise RuntimeError(
                f"time.{name} is not the built-in function but {value!r}; another time "
                "library (freezegun?) has patched it. Stop it before using a fixturekit Clock"
            )
        reals[name] = value
        _TIME_FAKES[name]._fixturekit_original = value  # type: ignore[attr-defined]
    real_time = reals["time"]
    _real_time_ns = reals["time_ns"]
    _real_localtime = reals["localtime"]
    _real_gmtime = reals["gmtime"]
    _real_ctime = reals["ctime"]
    _real_asctime = reals["asctime"]
    _real_strftime = reals["strftime"]
    _real_now = _unwrap(_RealDatetime.__dict__["now"])[0]
    _real_utcnow = _unwrap(_RealDatetime.__dict__["utcnow"])[0]
    _real_today = _unwrap(_RealDate.__dict__["today"])[0]
    _fake_now._fixturekit_original = _real_now  # type: ignore[attr-defined]
    _fake_utcnow._fixturekit_original = _real_utcnow  # type: ignore[attr-defined]
    _fake_today._fixturekit_original = _real_today  # type: ignore[attr-defined]
    _TIME_REALS.clear()
    _TIME_REALS.update(reals)
    return stale


# --- datetime trampolines ----------------------------------------------------


def _as_class(cls: type[Any], value: datetime) -> Any:
    if cls is _RealDatetime:
        return value
    return cls(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
        value.tzinfo,
        fold=value.fold,
    )


def _fake_now(cls: type[datetime], tz: tzinfo | None = None) -> Any:
    source = _source
    if source is None:
        return _real_now.__get__(None, cls)(tz)
    if tz is None:
        return _as_class(cls, source().astimezone().replace(tzinfo=None))
    if not isinstance(tz, tzinfo):
        raise TypeError(
            f"tzinfo argument must be None or of a tzinfo subclass, not type '{type(tz).__name__}'"
        )
    return _as_class(cls, source().astimezone(tz))


_UTCNOW_DEPRECATION = (
    "datetime.datetime.utcnow() is deprecated and scheduled for removal in a future version. "
    "Use timezone-aware objects to represent datetimes in UTC: datetime.datetime.now(datetime.UTC)."
)


def _fake_utcnow(cls: type[datetime]) -> Any:
    source = _source
    if source is None:
        return _real_utcnow.__get__(None, cls)()
    if sys.version_info >= (3, 12):
        warnings.warn(_UTCNOW_DEPRECATION, DeprecationWarning, stacklevel=2)
    return _as_class(cls, source().replace(tzinfo=None))


def _fake_today(cls: type[date]) -> Any:
    source = _source
    if source is None:
        return _real_today.__get__(None, cls)()
    local = source().astimezone().replace(tzinfo=None)
    if issubclass(cls, _RealDatetime):
        return _as_class(cls, local)
    return cls(local.year, local.month, local.day)


_fake_now.__doc__ = _RealDatetime.now.__doc__
_fake_utcnow.__doc__ = _RealDatetime.utcnow.__doc__
_fake_today.__doc__ = _RealDate.today.__doc__


def _type_dict(cls: type[Any]) -> dict[str, Any]:
    import gc

    referents = gc.get_referents(cls.__dict__)
    if len(referents) != 1 or not isinstance(referents[0], dict):  # pragma: no cover
        raise RuntimeError(
            f"fixturekit cannot patch {cls.__qualname__} on this Python "
            f"({sys.implementation.name} {sys.version.split()[0]}); Clock needs CPython"
        )
    result: dict[str, Any] = referents[0]
    return result


def _set_type_attr(cls: type[Any], name: str, value: Any) -> None:
    import ctypes

    _type_dict(cls)[name] = value
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(cls))


def install(ignore: tuple[str, ...] = DEFAULT_IGNORE) -> None:
    """Install the trampolines (once per process; later calls do nothing)."""
    global _installed
    if _installed:
        return
    stale = _capture_reals()
    _load_time_machine_first()
    _find_uuid()

    _set_type_attr(_RealDatetime, "now", classmethod(_fake_now))
    _set_type_attr(_RealDatetime, "utcnow", classmethod(_fake_utcnow))
    _set_type_attr(_RealDate, "today", classmethod(_fake_today))
    for name, fake in _TIME_FAKES.items():
        setattr(time, name, fake)
    _replace_copies(ignore, stale)
    _installed = True


def _load_time_machine_first() -> None:
    """Let time-machine's C extension, if installed, start before the trampolines exist.

    It keeps the built-in ``time.time``/``datetime.now`` objects it finds when it is
    first imported and rewrites their C function pointers when it travels; importing it
    after the trampolines were installed would hand it Python functions instead, which
    crashes the interpreter. Imported first, it patches the real built-ins, which the
    trampolines call when no Clock runs, so both tools work in one process.
    """
    if "_time_machine" in sys.modules:
        return
    import importlib.util

    if importlib.util.find_spec("_time_machine") is not None:
        importlib.import_module("_time_machine")


def _replace_copies(ignore: tuple[str, ...], stale: dict[int, Callable[..., Any]]) -> None:
    """Swap the real time functions that modules copied into their globals."""
    by_id = {id(real): _TIME_FAKES[name] for name, real in _TIME_REALS.items()}
    by_id.update(stale)
    skip = {"time", "datetime", "_datetime", "_pydatetime", __name__}
    for mod_name, module in list(sys.modules.items()):
        if module is None or mod_name in skip or mod_name.startswith(ignore):
            continue
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        hits = [(key, by_id[id(value)]) for key, value in namespace.items() if id(value) in by_id]
        for key, fake in hits:
            namespace[key] = fake


def uninstall() -> None:
    """Put the real functions back (for our own tests; clocks reinstall on next use)."""
    global _installed
    if not _installed:
        return
    if _owner is not None:
        raise RuntimeError("cannot uninstall the time trampolines while a Clock is running")
    _set_type_attr(_RealDatetime, "now", _real_now)
    _set_type_attr(_RealDatetime, "utcnow", _real_utcnow)
    _set_type_attr(_RealDate, "today", _real_today)
    by_id = {id(fake): _TIME_REALS[name] for name, fake in _TIME_FAKES.items()}
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict) or module is sys.modules[__name__]:
            continue
        hits = [(key, by_id[id(value)]) for key, value in namespace.items() if id(value) in by_id]
        for key, real in hits:
            namespace[key] = real
    _installed = False
