"""Scalar values inside a field's bounds: numbers (with sensible ranges for names such
as ``age``, ``year``, ``port``), dates and datetimes relative to the build's now (in the
future for deadline-like names), and bytes.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from fixturekit.factories._build import Build, Gen
from fixturekit.factories._names import normal_name

__all__ = ["bytes_gen", "date_gen", "datetime_gen", "decimal_gen", "float_gen", "int_gen"]

_INT_RANGES: dict[str, tuple[int, int]] = {
    "age": (18, 90),
    "year": (1970, 2030),
    "month": (1, 12),
    "day": (1, 28),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
    "port": (1024, 65535),
    "quantity": (1, 20),
    "qty": (1, 20),
    "count": (0, 100),
    "rating": (1, 5),
    "score": (0, 100),
    "percent": (0, 100),
    "percentage": (0, 100),
    "priority": (0, 10),
    "position": (0, 100),
    "rank": (1, 100),
    "stock": (0, 500),
}


def _int_bounds(name: str, c: dict[str, Any]) -> tuple[int, int]:
    low: int | None = None
    high: int | None = None
    if c.get("ge") is not None:
        low = math.ceil(c["ge"])
    if c.get("gt") is not None:
        low = math.floor(c["gt"]) + 1
    if c.get("le") is not None:
        high = math.floor(c["le"])
    if c.get("lt") is not None:
        high = math.ceil(c["lt"]) - 1
    default_low, default_high = _INT_RANGES.get(normal_name(name), (1, 10_000))
    if low is None and high is None:
        low, high = default_low, default_high
    elif low is None:
        assert high is not None
        low = min(default_low, high) if high >= default_low else high - 10_000
        low = max(low, high - 10_000)
    elif high is None:
        high = max(default_high, low) if low <= default_high else low + 10_000
        high = min(high, low + 10_000)
    if low > high:
        raise ValueError(f"field {name!r}: no integer satisfies the bounds {c}")
    return low, high


def int_gen(name: str, c: dict[str, Any]) -> Gen:
    low, high = _int_bounds(name, c)
    step = c.get("multiple_of")
    if step:
        first, last = math.ceil(low / step), math.floor(high / step)
        if first > last:
            raise ValueError(f"field {name!r}: no multiple of {step} in [{low}, {high}]")
        return lambda b: int(b.rng.randint(first, last) * step)
    return lambda b: b.rng.randint(low, high)


def float_gen(name: str, c: dict[str, Any]) -> Gen:
    low: Any = c.get("ge", c.get("gt"))
    high: Any = c.get("le", c.get("lt"))
    low_open = c.get("gt") is not None and c.get("ge") is None
    high_open = c.get("lt") is not None and c.get("le") is None
    if low is None and high is None:
        low, high = 0.0, 1000.0
    elif low is None:
        low = float(high) - 1000.0
    elif high is None:
        high = float(low) + 1000.0
    low, high = float(low), float(high)
    step = c.get("multiple_of")
    if step:
        first = math.ceil(low / step) + (
            1 if low_open and math.ceil(low / step) * step == low else 0
        )
        last = math.floor(high / step) - (
            1 if high_open and math.floor(high / step) * step == high else 0
        )
        if first > last:
            raise ValueError(f"field {name!r}: no multiple of {step} in [{low}, {high}]")
        return lambda b: b.rng.randint(first, last) * step

    def gen(b: Build) -> float:
        value = round(low + (high - low) * b.rng.random(), 2)
        if (
            value < low
            or value > high
            or (low_open and value <= low)
            or (high_open and value >= high)
        ):
            value = low + (high - low) * b.rng.uniform(0.25, 0.75)
        return float(value)

    return gen


def decimal_gen(name: str, c: dict[str, Any]) -> Gen:
    places = c.get("decimal_places")
    digits = c.get("max_digits")
    if places is None:
        places = 2 if digits is None or digits > 2 else 0
    scale = 10**places
    low, high = None, None
    if c.get("ge") is not None:
        low = math.ceil(Decimal(c["ge"]) * scale)
    if c.get("gt") is not None:
        low = math.floor(Decimal(c["gt"]) * scale) + 1
    if c.get("le") is not None:
        high = math.floor(Decimal(c["le"]) * scale)
    if c.get("lt") is not None:
        high = math.ceil(Decimal(c["lt"]) * scale) - 1
    limit = None if digits is None else 10**digits - 1  # in units of 10**-places
    if low is None and high is None:
        low, high = 0, 1000 * scale
    elif low is None:
        assert high is not None
        low = high - 1000 * scale
    elif high is None:
        high = low + 1000 * scale
    if limit is not None:
        low, high = max(low, -limit), min(high, limit)
    if low > high:
        raise ValueError(f"field {name!r}: no decimal satisfies the bounds {c}")
    step = c.get("multiple_of")
    if step:
        unit = int(Decimal(step) * scale)
        first, last = math.ceil(low / unit), math.floor(high / unit)
        if unit <= 0 or first > last:
            raise ValueError(f"field {name!r}: no multiple of {step} satisfies {c}")
        return lambda b: Decimal(b.rng.randint(first, last) * unit).scaleb(-places)
    return lambda b: Decimal(b.rng.randint(low, high)).scaleb(-places)


# --- dates and times ------------------------------------------------------------------------

_FUTURE_NAMES = ("expires", "expiry", "expiration", "due", "deadline", "until", "ends", "end")
_YEAR = 365 * 86400


def _datetime_bounds(c: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    low = c.get("ge", c.get("gt"))
    high = c.get("le", c.get("lt"))
    return (
        low if isinstance(low, datetime) else None,
        high if isinstance(high, datetime) else None,
    )


def datetime_gen(name: str, c: dict[str, Any], *, naive: bool, when: str = "") -> Gen:
    low, high = _datetime_bounds(c)
    normal = normal_name(name)
    future = when == "future" or (
        when != "past" and any(normal.startswith(p) or normal.endswith(p) for p in _FUTURE_NAMES)
    )

    def gen(b: Build) -> datetime:
        now = b.now()
        value: datetime
        if low is not None or high is not None:
            start: Any = low if low is not None else high - timedelta(days=365)  # type: ignore[operator]
            end: Any = high if high is not None else start + timedelta(days=365)
            span = max(int((end - start).total_seconds()) - 2, 0)
            value = start + timedelta(seconds=1 + b.rng.randint(0, span))
        elif future:
            value = now + timedelta(seconds=b.rng.randrange(3600, _YEAR))
        else:
            value = now - timedelta(seconds=b.rng.randrange(60, _YEAR))
        if naive and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    return gen


def date_gen(name: str, c: dict[str, Any], when: str = "") -> Gen:
    low, high = c.get("ge", c.get("gt")), c.get("le", c.get("lt"))
    normal = normal_name(name)
    future = when == "future" or (
        when != "past" and any(normal.startswith(p) or normal.endswith(p) for p in _FUTURE_NAMES)
    )
    birth = "birth" in normal or normal in ("dob", "born", "birthday")

    def gen(b: Build) -> date:
        today = b.now().date()
        if isinstance(low, date) or isinstance(high, date):
            start: Any = low if isinstance(low, date) else high - timedelta(days=365)  # type: ignore[operator]
            end: Any = high if isinstance(high, date) else start + timedelta(days=365)
            span = max((end - start).days - 2, 0)
            day: date = start + timedelta(days=1 + b.rng.randint(0, span))
            return day
        if birth:
            return today - timedelta(days=b.rng.randrange(18 * 365, 80 * 365))
        if future:
            return today + timedelta(days=b.rng.randrange(1, 365))
        return today - timedelta(days=b.rng.randrange(1, 365))

    return gen


def bytes_gen(c: dict[str, Any]) -> Gen:
    low = c.get("min_length") or 8
    high = c.get("max_length")
    high = max(low, 16) if high is None else high
    low = min(low, high)
    return lambda b: bytes(b.rng.getrandbits(8) for _ in range(b.rng.randint(low, high)))
