"""fk.Faker providers computed from the factory's stream instead of calling Faker."""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import fixturekit.factories as fk
from fixturekit._internal import seed as _seed
from fixturekit.clock import Clock
from fixturekit.factories import _emulated, _random


class Color(enum.Enum):
    RED = 1
    GREEN = 2
    BLUE = 3


@dataclasses.dataclass
class Row:
    a: Any = None
    b: Any = None
    c: Any = None
    d: Any = None
    e: Any = None
    f: Any = None
    g: Any = None
    h: Any = None


def _factory(locale: str = "en_US", **fields: Any) -> type[fk.Factory[Row]]:
    return types.new_class(
        "RowFactory",
        (fk.Factory[Row],),
        {"register": False, "locale": locale},
        lambda ns: ns.update(fields),
    )


@pytest.fixture
def no_faker_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"Faker was called: {args}")

    monkeypatch.setattr(_random, "faker_call", refuse)


NOW = "2024-05-01T12:00:00Z"
NOW_DT = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)


def test_numbers_uuids_and_enums_follow_fakers_arguments(no_faker_calls: None) -> None:
    factory = _factory(
        a=fk.Faker("pyint", min_value=18, max_value=90),
        b=fk.Faker("pyint", min_value=0, max_value=100, step=5),
        c=fk.Faker("uuid4"),
        d=fk.Faker("uuid4", cast_to=None),
        e=fk.Faker("enum", enum_cls=Color),
        f=fk.Faker("pydecimal", left_digits=4, right_digits=2, positive=True),
        g=fk.Faker("pybool"),
        h=fk.Faker("random_element", elements=("x", "y")),
    )
    rows = factory.build_batch(200)
    assert all(18 <= r.a <= 90 for r in rows)
    assert {r.a for r in rows} >= {18, 90} or len({r.a for r in rows}) > 50
    assert all(r.b % 5 == 0 and 0 <= r.b <= 100 for r in rows)
    assert all(isinstance(r.c, str) and uuid.UUID(r.c).version == 4 for r in rows)
    assert all(isinstance(r.d, uuid.UUID) and r.d.version == 4 for r in rows)
    assert {r.e for r in rows} == set(Color)
    for r in rows:
        assert isinstance(r.f, Decimal)
        assert 1000 <= r.f < 10000
        assert r.f.as_tuple().exponent == -2
    assert {r.g for r in rows} == {True, False}
    assert {r.h for r in rows} == {"x", "y"}


def test_decimals_and_floats_stay_in_their_ranges(no_faker_calls: None) -> None:
    factory = _factory(
        a=fk.Faker("pydecimal", min_value=1, max_value=100, right_digits=2),
        b=fk.Faker("pyfloat", min_value=-5, max_value=5, right_digits=1),
        c=fk.Faker("pyfloat", left_digits=2, right_digits=3, positive=True),
        d=fk.Faker("pydecimal", left_digits=3, right_digits=0),
        e=fk.Faker("pyfloat"),
    )
    for r in factory.build_batch(200):
        assert 1 <= r.a <= 100
        assert r.a.as_tuple().exponent == -2
        assert -5 <= r.b <= 5
        assert round(r.b, 1) == r.b
        assert 0 < r.c < 100
        assert 100 <= abs(r.d) <= 999
        assert isinstance(r.e, float)


def test_dates_are_relative_to_the_clocks_now(no_faker_calls: None) -> None:
    factory = _factory(
        a=fk.Faker("date_time", tzinfo=timezone.utc),
        b=fk.Faker("date_time"),
        c=fk.Faker("date_time_between", start_date="-1y", end_date="+1w", tzinfo=timezone.utc),
        d=fk.Faker("date_between", start_date="-30d"),
        e=fk.Faker("past_datetime", tzinfo=timezone.utc),
        f=fk.Faker("future_date", end_date="+10d"),
        g=fk.Faker("date_time_between", start_date=datetime(2020, 1, 1), end_date="now"),
    )
    with Clock(NOW):
        rows = factory.build_batch(100)
    today = NOW_DT.date()
    for r in rows:
        assert r.a.tzinfo is not None
        assert r.a <= NOW_DT
        assert r.b.tzinfo is None
        assert r.b <= NOW_DT.replace(tzinfo=None)
        assert NOW_DT - timedelta(days=366) <= r.c <= NOW_DT + timedelta(weeks=1)
        assert isinstance(r.d, date)
        assert today - timedelta(days=30) <= r.d <= today
        assert NOW_DT - timedelta(days=30, seconds=1) <= r.e < NOW_DT
        assert today < r.f <= today + timedelta(days=10)
        assert datetime(2020, 1, 1) <= r.g <= NOW_DT.replace(tzinfo=None)


def test_user_names_and_emails_look_like_fakers(no_faker_calls: None) -> None:
    factory = _factory(
        a=fk.Faker("email"),
        b=fk.Faker("user_name"),
        c=fk.Faker("free_email"),
        d=fk.Faker("company_email"),
        e=fk.Faker("words", nb=4),
    )
    rows = factory.build_batch(300)
    shape = re.compile(r"^[a-z0-9._]+@[a-z0-9.-]+\.[a-z]+$")
    for r in rows:
        assert shape.match(r.a)
        assert r.a.split("@")[1] in (
            "example.com",
            "example.org",
            "example.net",
        )
        assert re.match(r"^[a-z0-9._]+$", r.b)
        assert shape.match(r.c)
        assert shape.match(r.d)
        assert len(r.e) == 4
        assert all(isinstance(w, str) and w for w in r.e)
    # Names are drawn per part, so emails vary far more than a 512-value pool would.
    assert len({r.a for r in rows}) >= 295


def test_emulated_values_depend_only_on_the_seed() -> None:
    factory = _factory(
        a=fk.Faker("email"),
        b=fk.Faker("pyint"),
        c=fk.Faker("uuid4"),
        d=fk.Faker("date_time"),
        e=fk.Faker("pydecimal", left_digits=2, right_digits=2),
    )

    def run() -> list[Row]:
        with Clock(NOW):
            return factory.build_batch(5)

    _seed.seed(42)
    first = run()
    _seed.seed(7)
    run()
    _fresh = _factory(a=fk.Faker("email"))
    _fresh.build_batch(3)
    _seed.seed(42)
    assert run() == first


def test_pool_false_and_unknown_arguments_ask_faker(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = _random.faker_call

    def spy(locale: str, provider: str, rng: Any, kwargs: Any = None) -> Any:
        calls.append(provider)
        return real(locale, provider, rng, kwargs)

    monkeypatch.setattr(_random, "faker_call", spy)
    factory = _factory(
        a=fk.Faker("pyint", pool=False),
        b=fk.Faker("email", pool=False),
        c=fk.Faker("email", domain="corp.test"),
        d=fk.Faker("date_time_between", start_date="next monday"),
        e=fk.Faker("pyint", min_value=3, max_value=9),
    )
    with pytest.raises(Exception, match="next monday"):
        factory.build()
    factory = _factory(
        a=fk.Faker("pyint", pool=False),
        b=fk.Faker("email", pool=False),
        c=fk.Faker("email", domain="corp.test"),
        e=fk.Faker("pyint", min_value=3, max_value=9),
    )
    calls.clear()
    row = factory.build()
    assert sorted(calls) == ["email", "email", "pyint"]
    assert row.c.endswith("@corp.test")
    assert 3 <= row.e <= 9


def test_compile_declines_what_it_does_not_emulate() -> None:
    assert _emulated.compile("pyint", {"min_value": 1.5}) is None
    assert _emulated.compile("pyint", {"nope": 1}) is None
    assert _emulated.compile("pydecimal", {"min_value": -5, "max_value": 5}) is None
    assert _emulated.compile("words", {"part_of_speech": "noun"}) is None
    assert _emulated.compile("date_between", {"start_date": "tomorrow"}) is None
    assert _emulated.compile("sentence", {}) is None
    assert _emulated.compile("pyint", {}) is not None
