"""Faker providers computed without calling Faker, from the factory's own stream.

`compile` returns, for a provider and its arguments, a function ``(build, locale)`` that
draws the value from ``build.rng`` with Faker's semantics (same arguments, same ranges and
types), or None when the provider or one of its arguments is not emulated: the caller
then asks Faker. Numbers, UUIDs, enums and dates are generated directly (dates relative to
the build's reference time, the clock's now); user names and emails are assembled from the
locale's user-name formats with names drawn from the per-locale pools.
"""

from __future__ import annotations

import math
import re
import sys
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from fixturekit.factories import _random

if TYPE_CHECKING:
    import random

    from fixturekit.factories._build import Build

__all__ = ["compile"]

Emulated = Callable[["Build", str], Any]

_MISSING: Any = object()


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _args(kwargs: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any] | None:
    """``defaults`` updated with ``kwargs``, or None if ``kwargs`` has another name."""
    if not kwargs.keys() <= defaults.keys():
        return None
    return {**defaults, **kwargs}


# --- numbers, booleans, choices ------------------------------------------------------------


def _randrange(lo: Any, hi: Any, step: Any) -> Emulated | None:
    if not (_int(lo) and _int(hi) and _int(step)) or step <= 0 or hi < lo:
        return None
    stop = hi + 1
    if step == 1:
        return lambda b, locale: b.rng.randrange(lo, stop)
    return lambda b, locale: b.rng.randrange(lo, stop, step)


def _pyint(kwargs: dict[str, Any]) -> Emulated | None:
    a = _args(kwargs, {"min_value": 0, "max_value": 9999, "step": 1})
    return None if a is None else _randrange(a["min_value"], a["max_value"], a["step"])


def _random_int(kwargs: dict[str, Any]) -> Emulated | None:
    a = _args(kwargs, {"min": 0, "max": 9999, "step": 1})
    return None if a is None else _randrange(a["min"], a["max"], a["step"])


def _chance(kwargs: dict[str, Any], name: str) -> Emulated | None:
    a = _args(kwargs, {name: 50})
    if a is None or not _int(a[name]) or not 0 <= a[name] <= 100:
        return None
    p = a[name]
    return lambda b, locale: b.rng.randint(1, 100) <= p


def _random_digit(kwargs: dict[str, Any]) -> Emulated | None:
    return None if kwargs else (lambda b, locale: b.rng.randrange(10))


def _uuid4(kwargs: dict[str, Any]) -> Emulated | None:
    a = _args(kwargs, {"cast_to": str})
    if a is None:
        return None
    cast = a["cast_to"]
    if cast is None:
        return lambda b, locale: uuid.UUID(int=b.rng.getrandbits(128), version=4)
    if not callable(cast):
        return None
    return lambda b, locale: cast(uuid.UUID(int=b.rng.getrandbits(128), version=4))


def _enum(kwargs: dict[str, Any]) -> Emulated | None:
    cls = kwargs.get("enum_cls")
    if kwargs.keys() != {"enum_cls"} or not (isinstance(cls, type) and issubclass(cls, Enum)):
        return None
    members = tuple(cls)
    if not members:
        return None
    return lambda b, locale: b.rng.choice(members)


def _random_element(kwargs: dict[str, Any]) -> Emulated | None:
    elements = kwargs.get("elements", ("a", "b", "c"))
    if not kwargs.keys() <= {"elements"} or not isinstance(elements, (list, tuple, str)):
        return None
    items = tuple(elements)
    if not items:
        return None
    return lambda b, locale: b.rng.choice(items)


def _digits(rng: random.Random, n: int) -> str:
    """``n`` random decimal digits (Faker's ``random_digit`` ``n`` times)."""
    return f"{rng.randrange(10**n):0{n}d}" if n else ""


#: The arguments Faker's ``pydecimal`` and ``pyfloat`` share, with their defaults.
_NUMBER_ARGS: dict[str, Any] = dict.fromkeys(
    ("left_digits", "right_digits", "positive", "min_value", "max_value")
)


def _pydecimal(kwargs: dict[str, Any]) -> Emulated | None:
    a = _args(kwargs, _NUMBER_ARGS)
    if a is None:
        return None
    left, right, positive = a["left_digits"], a["right_digits"], a["positive"]
    low, high = a["min_value"], a["max_value"]
    if not _int(right) or right < 0 or right > 100 or positive not in (None, True, False):
        return None
    if low is None and high is None:
        # Exactly ``left`` digits before the point (no leading zero), ``right`` after.
        if not _int(left) or left < 0 or left > 100 or left + right == 0:
            return None
        signs = ("+", "-") if positive is None else ("+",) if positive else ("-",)
        lo, hi = (10 ** (left - 1), 10**left - 1) if left else (0, 0)

        def bounded_digits(b: Build, locale: str) -> Decimal:
            rng = b.rng
            sign = signs[0] if len(signs) == 1 else rng.choice(signs)
            return Decimal(f"{sign}{rng.randint(lo, hi)}.{_digits(rng, right)}")

        return bounded_digits
    if not (isinstance(low, (int, float, Decimal)) and isinstance(high, (int, float, Decimal))):
        return None
    if not 0 <= low < high:
        return None
    if left is not None and (
        not _int(left) or (high and math.ceil(math.log10(abs(float(high)))) > left)
    ):
        return None
    if positive and low <= 0:
        return None
    int_lo, int_hi = int(low), int(high)
    # Clamped to the range like Faker, but keeping ``right`` decimal places.
    scale = Decimal(1).scaleb(-right)
    dec_lo = Decimal(str(low)).quantize(scale, ROUND_CEILING)
    dec_hi = Decimal(str(high)).quantize(scale, ROUND_FLOOR)
    if dec_lo > dec_hi:
        return None

    def in_range(b: Build, locale: str) -> Decimal:
        rng = b.rng
        value = Decimal(f"{rng.randint(int_lo, int_hi)}.{_digits(rng, right)}")
        if value > dec_hi:
            return dec_hi
        return dec_lo if value < dec_lo else value

    return in_range


def _pyfloat(kwargs: dict[str, Any]) -> Emulated | None:
    a = _args(kwargs, _NUMBER_ARGS)
    if a is None:
        return None
    left, right, positive = a["left_digits"], a["right_digits"], a["positive"]
    low, high = a["min_value"], a["max_value"]
    if positive not in (None, True, False):
        return None
    dig = sys.float_info.dig
    if low is not None or high is not None:
        if left is not None or not (
            isinstance(low, (int, float)) and isinstance(high, (int, float))
        ):
            return None
        if low >= high or (positive and low <= 0) or isinstance(low, bool):
            return None
        if right is not None and (not _int(right) or right < 0):
            return None

        def uniform(b: Build, locale: str) -> float:
            value = b.rng.uniform(low, high)
            if right is not None:
                value = round(value, right)
            return min(max(value, low), high)

        return uniform
    if left is None and right is None:
        fixed_right = None
    else:
        if left is not None and (not _int(left) or left < 0):
            return None
        if right is not None and (not _int(right) or right < 0):
            return None
        if left is None:
            left = max(1, dig - right)
        elif right is None:
            right = max(1, dig - left)
        if left + right > dig or left + right == 0:
            return None
        fixed_right = right
    fixed_left = left
    signs = ("+", "-") if positive is None else ("+",) if positive else ("-",)

    def digits(b: Build, locale: str) -> float:
        rng = b.rng
        r = fixed_right if fixed_right is not None else rng.randint(1, dig - 1)
        n = fixed_left if fixed_left is not None else max(1, dig - r)
        sign = signs[0] if len(signs) == 1 else rng.choice(signs)
        result = float(f"{sign}{rng.randint(0, 10**n - 1)}.{rng.randint(0, 10**r - 1)}")
        if positive and result == 0:
            result = float("0." + "0" * (r - 1) + "1") if r else 1.0
        return result

    return digits


# --- dates and times, relative to the build's reference time -------------------------------

_DELTA = re.compile(
    r"^(?:(?P<years>[+-]\d+)y)?(?:(?P<months>[+-]\d+)M)?(?:(?P<weeks>[+-]\d+)w)?"
    r"(?:(?P<days>[+-]\d+)d)?(?:(?P<hours>[+-]\d+)h)?(?:(?P<minutes>[+-]\d+)m)?"
    r"(?:(?P<seconds>[+-]\d+)s)?$"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAIVE_EPOCH = datetime(1970, 1, 1)


def _delta(text: str) -> timedelta | None:
    """Faker's relative date strings: ``"-30y"``, ``"+1w"``, ``"-1d"``, ``"+2h30m"``..."""
    match = _DELTA.match(text)
    if match is None or not any(match.groupdict().values()):
        return None
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    days = parts.pop("days", 0) + 365.24 * parts.pop("years", 0) + 30.42 * parts.pop("months", 0)
    return timedelta(days=days, **parts)


def _moment(value: Any) -> Callable[[datetime], float] | None:
    """A Faker date argument as a function of "now" giving a POSIX timestamp."""
    if isinstance(value, datetime):
        ts = float(int((value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()))
        return lambda now: ts
    if isinstance(value, date):
        ts = float(
            int(datetime(value.year, value.month, value.day, tzinfo=timezone.utc).timestamp())
        )
        return lambda now: ts
    if isinstance(value, timedelta):
        return lambda now: float(int((now + value).timestamp()))
    if isinstance(value, str):
        if value in ("now", "today"):
            return lambda now: now.timestamp()
        delta = _delta(value)
        if delta is None:
            return None
        return lambda now: float(int((now + delta).timestamp()))
    return None


def _day(value: Any) -> Callable[[date], date] | None:
    """A Faker date argument of the date providers as a function of today."""
    if isinstance(value, datetime):
        day = value.date()
        return lambda today: day
    if isinstance(value, date):
        return lambda today: value
    if isinstance(value, timedelta):
        return lambda today: today + value
    if _int(value):
        return lambda today: today + timedelta(value)
    if isinstance(value, str):
        if value in ("today", "now"):
            return lambda today: today
        delta = _delta(value)
        if delta is None:
            return None
        return lambda today: today + delta
    return None


def _tz(value: Any) -> bool:
    return value is None or isinstance(value, tzinfo)


def _between(start: Any, end: Any, zone: tzinfo | None) -> Emulated | None:
    first, last = _moment(start), _moment(end)
    if first is None or last is None or not _tz(zone):
        return None

    def between(b: Build, locale: str) -> datetime:
        now = b.now()
        lo, hi = first(now), last(now)
        if hi == lo:
            ts = lo
        elif hi - lo <= 1:
            ts = lo + b.rng.random()
        else:
            ts = b.rng.uniform(lo, hi)
        if zone is None:
            return _NAIVE_EPOCH + timedelta(seconds=ts)
        return (_EPOCH + timedelta(seconds=ts)).astimezone(zone)

    return between


def _date_time(kwargs: dict[str, Any]) -> Emulated | None:
    a = _args(kwargs, {"tzinfo": None, "end_datetime": None})
    if a is None:
        return None
    end = "now" if a["end_datetime"] is None else a["end_datetime"]
    last = _moment(end)
    zone = a["tzinfo"]
    if last is None or not _tz(zone):
        return None
    epoch = _NAIVE_EPOCH.replace(tzinfo=zone)

    def date_time(b: Build, locale: str) -> datetime:
        return epoch + timedelta(seconds=b.rng.uniform(0, last(b.now())))

    return date_time


def _date_time_between(kwargs: dict[str, Any]) -> Emulated | None:
    a = _args(kwargs, {"start_date": "-30y", "end_date": "now", "tzinfo": None})
    return None if a is None else _between(a["start_date"], a["end_date"], a["tzinfo"])


def _past_datetime(kwargs: dict[str, Any]) -> Emulated | None:
    a = _args(kwargs, {"start_date": "-30d", "tzinfo": None})
    return None if a is None else _between(a["start_date"], "-1s", a["tzinfo"])


def _future_datetime(kwargs: dict[str, Any]) -> Emulated | None:
    a = _args(kwargs, {"end_date": "+30d", "tzinfo": None})
    return None if a is None else _between("+1s", a["end_date"], a["tzinfo"])


def _days_between(start: Any, end: Any) -> Emulated | None:
    first, last = _day(start), _day(end)
    if first is None or last is None:
        return None

    def date_between(b: Build, locale: str) -> date:
        today = b.now().date()
        lo, hi = first(today).toordinal(), last(today).toordinal()
        if hi < lo:
            raise ValueError("empty range for date_between: the start date is after the end date")
        return date.fromordinal(b.rng.randint(lo, hi))

    return date_between


def _date_between(kwargs: dict[str, Any]) -> Emulated | None:
    a = _args(kwargs, {"start_date": "-30y", "end_date": "today"})
    return None if a is None else _days_between(a["start_date"], a["end_date"])


def _past_date(kwargs: dict[str, Any]) -> Emulated | None:
    a = _args(kwargs, {"start_date": "-30d"})
    return None if a is None else _days_between(a["start_date"], -1)


def _future_date(kwargs: dict[str, Any]) -> Emulated | None:
    a = _args(kwargs, {"end_date": "+30d"})
    return None if a is None else _days_between(1, a["end_date"])


# --- words, user names and emails from the pools ---------------------------------------------


def _words(kwargs: dict[str, Any]) -> Emulated | None:
    a = _args(kwargs, {"nb": 3, "ext_word_list": None, "unique": False})
    if a is None or not _int(a["nb"]) or a["nb"] < 0 or a["unique"] is not False:
        return None
    nb, ext = a["nb"], a["ext_word_list"]
    if ext is not None:
        if not isinstance(ext, (list, tuple)) or not ext:
            return None
        choices = tuple(ext)
        return lambda b, locale: b.rng.choices(choices, k=nb)
    return lambda b, locale: [_random.pooled(locale, "word", b.rng) for _ in range(nb)]


_TOKEN = re.compile(r"\{\{\s*(\w+)\s*\}\}|(#)|(\?)|([^{#?]+|\{)")
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class _UserNames:
    """A locale's ``user_name`` (and the emails made of it) assembled from pooled names."""

    def __init__(self, locale: str, provider: Any) -> None:
        self.locale = locale
        self.to_ascii: Callable[[str], str] = provider._to_ascii
        self.safe_domains = tuple(d.lower() for d in provider.safe_domain_names)
        self.free_domains = tuple(d.lower() for d in provider.free_email_domains)
        self.formats = [self._parse(f) for f in provider.user_name_formats]
        self.ascii: dict[str, str] = {}

    @staticmethod
    def _parse(pattern: str) -> list[tuple[int, str]]:
        parts: list[tuple[int, str]] = []
        for name, digit, letter, text in _TOKEN.findall(pattern):
            if name:
                parts.append((0, name))
            elif digit:
                parts.append((1, ""))
            elif letter:
                parts.append((2, ""))
            else:
                parts.append((3, text.lower()))
        return parts

    def user_name(self, rng: random.Random) -> str:
        parts = self.formats[int(rng.random() * len(self.formats))]
        out = []
        for kind, text in parts:
            if kind == 0:
                value = _random.pooled(self.locale, text, rng)
                folded = self.ascii.get(value)
                if folded is None:
                    folded = self.ascii[value] = self.to_ascii(str(value).lower())
                out.append(folded)
            elif kind == 1:
                out.append(str(rng.randrange(10)))
            elif kind == 2:
                out.append(_LETTERS[rng.randrange(52)].lower())
            else:
                out.append(self.to_ascii(text))
        return "".join(out)


_user_names: dict[str, _UserNames | None] = {}


def _user_names_for(locale: str) -> _UserNames | None:
    if locale in _user_names:
        return _user_names[locale]
    _random.require_faker("an email or user name (fk.Faker('email'), 'user_name'...)")
    from faker.providers.internet import Provider as Internet

    found: _UserNames | None = None
    for provider in _random.faker_generator(locale).providers:
        if isinstance(provider, Internet):
            kind = type(provider)
            same = all(
                getattr(kind, m) is getattr(Internet, m)
                for m in ("user_name", "email", "safe_email", "free_email", "company_email")
            )
            if same and hasattr(provider, "user_name_formats"):
                try:
                    found = _UserNames(locale, provider)
                except (AttributeError, TypeError):  # pragma: no cover - odd locale
                    found = None
            break
    _user_names[locale] = found
    return found


def _internet(provider: str) -> Callable[[dict[str, Any]], Emulated | None]:
    def compile_one(kwargs: dict[str, Any]) -> Emulated | None:
        if kwargs:
            return None

        def emulated(b: Build, locale: str) -> str:
            names = _user_names_for(locale)
            rng = b.rng
            if names is None:
                return _random.faker_call(locale, provider, rng)  # type: ignore[no-any-return]
            user = names.user_name(rng)
            if provider == "user_name":
                return user
            if provider == "free_email":
                domains = names.free_domains
                return f"{user}@{domains[int(rng.random() * len(domains))]}"
            if provider == "company_email":
                return f"{user}@{str(_random.pooled(locale, 'domain_name', rng)).lower()}"
            domains = names.safe_domains
            return f"{user}@{domains[int(rng.random() * len(domains))]}"

        return emulated

    return compile_one


_COMPILERS: dict[str, Callable[[dict[str, Any]], Emulated | None]] = {
    "pyint": _pyint,
    "random_int": _random_int,
    "pybool": lambda kw: _chance(kw, "truth_probability"),
    "boolean": lambda kw: _chance(kw, "chance_of_getting_true"),
    "random_digit": _random_digit,
    "uuid4": _uuid4,
    "enum": _enum,
    "random_element": _random_element,
    "pydecimal": _pydecimal,
    "pyfloat": _pyfloat,
    "date_time": _date_time,
    "date_time_between": _date_time_between,
    "past_datetime": _past_datetime,
    "future_datetime": _future_datetime,
    "date_between": _date_between,
    "past_date": _past_date,
    "future_date": _future_date,
    "words": _words,
    "user_name": _internet("user_name"),
    "email": _internet("email"),
    "safe_email": _internet("safe_email"),
    "free_email": _internet("free_email"),
    "company_email": _internet("company_email"),
}

#: The providers `compile` may emulate (for some or all of their arguments).
EMULATED = frozenset(_COMPILERS)


def compile(provider: str, kwargs: dict[str, Any]) -> Emulated | None:
    """A function computing ``provider(**kwargs)`` without Faker, or None if not emulated."""
    compiler = _COMPILERS.get(provider)
    if compiler is None:
        return None
    try:
        return compiler(kwargs)
    except (TypeError, ValueError, OverflowError):
        return None
