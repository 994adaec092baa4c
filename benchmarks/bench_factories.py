"""Data factories: fixturekit against factory_boy and polyfactory, side by side in one run.

Usage::

    python benchmarks/bench_factories.py [--quick] [--repeat 7] [--number 10000]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--json]

Part 1, ``build``: the 10-field pydantic v2 ``User`` (str, int, EmailStr, datetime, UUID,
Decimal, enum, Optional[str], list[str], nested 3-field ``Address``), ``--number``
objects per case and repetition, repetitions interleaved:

* ``fixturekit, inferred``: ``class UserFactory(fk.Factory[User], fill_optional=True):
  pass`` (the optional ``nickname`` filled too, like the other libraries' values).
* ``fixturekit, fk.Faker``: the same Faker providers as factory_boy, declared with
  ``fk.Faker`` (argument-less text providers draw from fixturekit's per-locale pools;
  numbers, UUIDs, enums, dates, words and emails come from the factory's own stream).
* ``factory_boy``: ``factory.Factory`` with one ``factory.Faker`` per field and a
  ``SubFactory`` for the address.
* ``polyfactory, defaults``: ``ModelFactory[User]`` with nothing declared.
* ``polyfactory, Faker Use``: the factory_boy providers declared with ``Use``.
* ``floor``: ``User.model_validate(constant dict)``: pydantic's validation alone.

Part 2, ``create_batch(1000)`` of a SQLAlchemy model (8 columns, a unique email) into a
session of a fixturekit sandbox (rolled back after each repetition), on SQLite and, with
``--postgres``, PostgreSQL: fixturekit against factory_boy's ``SQLAlchemyModelFactory``
with ``sqlalchemy_session_persistence="flush"`` (a flush per object) and with ``None``
(add only) followed by one flush.

Every library is seeded before it runs. Numbers depend on the machine; compare the
ratios, which are medians of per-repetition ratios measured in this one process.
"""

from __future__ import annotations

import argparse
import enum
import gc
import importlib.metadata
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Optional

import factory
import factory.alchemy
import factory.random
import sqlalchemy as sa
from faker import Faker as RealFaker
from polyfactory import Use
from polyfactory.factories.pydantic_factory import ModelFactory
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

import fixturekit
import fixturekit.factories as fk
from fixturekit._internal import seed as _seed
from fixturekit.db import TestDatabase

# --- the pydantic model ------------------------------------------------------------------


class Status(str, enum.Enum):
    ACTIVE = "active"
    INVITED = "invited"
    BANNED = "banned"


class Address(BaseModel):
    street: str
    city: str
    country: str


class User(BaseModel):
    name: str
    age: int
    email: EmailStr
    created_at: datetime
    id: uuid.UUID
    balance: Decimal = Field(max_digits=12, decimal_places=2)
    status: Status
    nickname: Optional[str]  # noqa: UP045 - the issue's model spells it so
    tags: list[str]
    address: Address


# fixturekit
class InferredUserFactory(fk.Factory[User], fill_optional=True):
    pass  # every field filled, the Optional nickname too, as the other libraries do


class FkAddressFactory(fk.Factory[Address], register=False):
    street = fk.Faker("street_address")
    city = fk.Faker("city")
    country = fk.Faker("country")


class FkFakerUserFactory(fk.Factory[User], register=False):
    name = fk.Faker("name")
    age = fk.Faker("pyint", min_value=18, max_value=90)
    email = fk.Faker("email")
    created_at = fk.Faker("date_time", tzinfo=timezone.utc)
    id = fk.Faker("uuid4", cast_to=None)
    balance = fk.Faker("pydecimal", left_digits=4, right_digits=2, positive=True)
    status = fk.Faker("enum", enum_cls=Status)
    nickname = fk.Faker("user_name")
    tags = fk.Faker("words", nb=3)
    address = fk.SubFactory(FkAddressFactory)


# factory_boy
class FbAddressFactory(factory.Factory):
    class Meta:
        model = Address

    street = factory.Faker("street_address")
    city = factory.Faker("city")
    country = factory.Faker("country")


class FbUserFactory(factory.Factory):
    class Meta:
        model = User

    name = factory.Faker("name")
    age = factory.Faker("pyint", min_value=18, max_value=90)
    email = factory.Faker("email")
    created_at = factory.Faker("date_time", tzinfo=timezone.utc)
    id = factory.Faker("uuid4", cast_to=None)
    balance = factory.Faker("pydecimal", left_digits=4, right_digits=2, positive=True)
    status = factory.Faker("enum", enum_cls=Status)
    nickname = factory.Faker("user_name")
    tags = factory.Faker("words", nb=3)
    address = factory.SubFactory(FbAddressFactory)


# polyfactory
class PolyUserFactory(ModelFactory[User]):
    __random_seed__ = 0


_poly_faker = RealFaker()
_poly_faker.seed_instance(0)


class PolyAddressFactory(ModelFactory[Address]):
    street = Use(_poly_faker.street_address)
    city = Use(_poly_faker.city)
    country = Use(_poly_faker.country)


class PolyFakerUserFactory(ModelFactory[User]):
    name = Use(_poly_faker.name)
    age = Use(_poly_faker.pyint, min_value=18, max_value=90)
    email = Use(_poly_faker.email)
    created_at = Use(_poly_faker.date_time, tzinfo=timezone.utc)
    id = Use(_poly_faker.uuid4, cast_to=None)
    balance = Use(_poly_faker.pydecimal, left_digits=4, right_digits=2, positive=True)
    status = Use(_poly_faker.enum, enum_cls=Status)
    nickname = Use(_poly_faker.user_name)
    tags = Use(_poly_faker.words, nb=3)
    address = Use(PolyAddressFactory.build)


_CONSTANT = {
    "name": "Ada Lovelace",
    "age": 36,
    "email": "ada.lovelace@example.com",
    "created_at": datetime(2024, 1, 1, tzinfo=timezone.utc),
    "id": uuid.UUID(int=1, version=4),
    "balance": Decimal("12.50"),
    "status": Status.ACTIVE,
    "nickname": "ada",
    "tags": ["math", "engines"],
    "address": {"street": "1 Main St", "city": "London", "country": "UK"},
}

BUILD_CASES: dict[str, Callable[[], object]] = {
    "fixturekit, inferred": InferredUserFactory.build,
    "fixturekit, fk.Faker": FkFakerUserFactory.build,
    "factory_boy": FbUserFactory.build,
    "polyfactory, defaults": PolyUserFactory.build,
    "polyfactory, Faker Use": PolyFakerUserFactory.build,
    "floor: model_validate": lambda: User.model_validate(_CONSTANT),
}
RIVALS = ("factory_boy", "polyfactory, defaults", "polyfactory, Faker Use")


# --- the SQLAlchemy model ------------------------------------------------------------------


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "bench_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(120), unique=True)
    city: Mapped[str] = mapped_column(sa.String(100))
    age: Mapped[int]
    balance: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    active: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class AccountFactory(fk.Factory[Account]):
    pass


class _SessionHolder:
    session: Session | None = None


def _fb_account_factory(persistence: str | None) -> type[factory.alchemy.SQLAlchemyModelFactory]:
    class Meta:
        model = Account
        sqlalchemy_session_factory = staticmethod(lambda: _SessionHolder.session)
        sqlalchemy_session_persistence = persistence

    return type(  # type: ignore[no-any-return]
        f"FbAccountFactory_{persistence}",
        (factory.alchemy.SQLAlchemyModelFactory,),
        {
            "Meta": Meta,
            "name": factory.Faker("name"),
            "email": factory.Sequence(lambda n: f"user{n}@example.com"),
            "city": factory.Faker("city"),
            "age": factory.Faker("pyint", min_value=18, max_value=90),
            "balance": factory.Faker("pydecimal", left_digits=4, right_digits=2, positive=True),
            "active": factory.Faker("pybool"),
            "created_at": factory.Faker("date_time", tzinfo=timezone.utc),
        },
    )


FbFlush = _fb_account_factory("flush")
FbAdd = _fb_account_factory(None)


def _create_cases(batch: int) -> dict[str, Callable[[Session], object]]:
    def ours(session: Session) -> object:
        return AccountFactory.create_batch(batch, session)

    def fb_flush(session: Session) -> object:
        _SessionHolder.session = session
        return FbFlush.create_batch(batch)

    def fb_add(session: Session) -> object:
        _SessionHolder.session = session
        objs = FbAdd.create_batch(batch)
        session.flush()
        return objs

    return {
        "fixturekit create_batch": ours,
        'factory_boy, persistence "flush"': fb_flush,
        "factory_boy, add + one flush": fb_add,
    }


# --- running ---------------------------------------------------------------------------------


def _seed_all(n: int) -> None:
    _seed.seed(n)
    factory.random.reseed_random(n)
    _poly_faker.seed_instance(n)


def _timed(fn: Callable[[], object], number: int) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def run_build(repeat: int, number: int) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {name: [] for name in BUILD_CASES}
    names = list(BUILD_CASES)
    for rep in range(repeat):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            _seed_all(rep)
            rates[name].append(number / _timed(BUILD_CASES[name], number))
    return rates


def run_create(url: str, repeat: int, batch: int) -> dict[str, list[float]]:
    cases = _create_cases(batch)
    rates: dict[str, list[float]] = {name: [] for name in cases}
    with TestDatabase(url, schema=Base.metadata) as database:
        names = list(cases)
        for rep in range(repeat):
            order = names[rep % len(names) :] + names[: rep % len(names)]
            for name in order:
                _seed_all(rep)
                with database.sandbox() as sandbox:
                    session = sandbox.session()
                    start = time.perf_counter()
                    made = cases[name](session)
                    elapsed = time.perf_counter() - start
                    assert len(made) == batch  # type: ignore[arg-type]
                    count = session.scalar(sa.select(sa.func.count()).select_from(Account))
                    assert count == batch, (name, count)
                    session.close()
                rates[name].append(batch / elapsed)
    return rates


def _ratios(rates: dict[str, list[float]], ours: str, other: str) -> list[float]:
    return [a / b for a, b in zip(rates[ours], rates[other], strict=True)]


def _table(title: str, rates: dict[str, list[float]], unit: str) -> list[str]:
    lines = [
        f"### {title}",
        "",
        f"| case | {unit}/s, median (min-max) | µs each |",
        "|---|---|---|",
    ]
    for name, values in rates.items():
        med = statistics.median(values)
        lines.append(
            f"| {name} | {med:,.0f} ({min(values):,.0f}-{max(values):,.0f}) | {1e6 / med:,.1f} |"
        )
    return [*lines, ""]


def report(result: dict[str, Any]) -> str:
    lines = [
        f"Python {result['python']}, fixturekit {result['fixturekit']}, factory_boy "
        f"{result['factory_boy']}, polyfactory {result['polyfactory']}, "
        f"{result['repeat']} interleaved repetitions",
        "",
    ]
    build = result["build"]
    lines += _table(f"build, {result['number']:,} objects per case", build, "objects")
    for ours in ("fixturekit, inferred", "fixturekit, fk.Faker"):
        for rival in RIVALS:
            ratio = _ratios(build, ours, rival)
            med = statistics.median(ratio)
            target = "meets" if med >= 3 else "MISSES"
            lines.append(
                f"- {ours} / {rival}: **{med:.2f}x** (min {min(ratio):.2f}, max {max(ratio):.2f}); "
                f"{target} the 3x target"
            )
    lines.append("")
    for backend, rates in result["create"].items():
        lines += _table(f"create_batch({result['batch']}) on {backend}", rates, "rows")
        for rival in ('factory_boy, persistence "flush"', "factory_boy, add + one flush"):
            ratio = _ratios(rates, "fixturekit create_batch", rival)
            med = statistics.median(ratio)
            target = "meets" if med >= 1 else "MISSES"
            lines.append(
                f"- fixturekit / {rival}: **{med:.2f}x** (min {min(ratio):.2f}, "
                f"max {max(ratio):.2f}); {target} the 1x target"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 repetitions, smaller counts")
    parser.add_argument("--repeat", type=int, default=None, help="interleaved repetitions (7)")
    parser.add_argument("--number", type=int, default=None, help="objects per build case (10000)")
    parser.add_argument("--batch", type=int, default=1000, help="rows per create_batch (1000)")
    parser.add_argument("--postgres", default="", help="PostgreSQL URL to also run part 2 on")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)
    number = args.number or (1000 if args.quick else 10_000)
    batch = 200 if args.quick and args.batch == 1000 else args.batch
    # Warm up every case once (imports, Faker's tables, fixturekit's pools).
    _seed_all(0)
    for fn in BUILD_CASES.values():
        for _ in range(200 if args.quick else 2000):
            fn()
    result: dict[str, Any] = {
        "python": sys.version.split()[0],
        "fixturekit": fixturekit.__version__,
        "factory_boy": factory.__version__,
        "polyfactory": importlib.metadata.version("polyfactory"),
        "repeat": repeat,
        "number": number,
        "batch": batch,
        "build": run_build(repeat, number),
        "create": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{os.path.join(tmp, 'bench.db')}"
        result["create"]["SQLite (file)"] = run_create(sqlite_url, repeat, batch)
    if args.postgres:
        result["create"]["PostgreSQL"] = run_create(args.postgres, repeat, batch)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
