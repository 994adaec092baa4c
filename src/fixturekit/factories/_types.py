"""Inference: a field's type (with its constraints and name) to a value generator.

`infer` unwraps ``Annotated``, ``Optional``/unions, ``Literal``, ``NewType`` and
containers, and hands scalars to the number, date and text generators; pydantic's own
types (``EmailStr``, ``HttpUrl``, ``SecretStr``, ``PastDatetime``...) get values of
their kind, and a field holding a model gets an object from that model's factory.
`unique` redraws a generator's values until they do not repeat within the seed.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import typing
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any, Literal, get_args, get_origin

from fixturekit.factories import _random
from fixturekit.factories._build import Build, Gen
from fixturekit.factories._constraints import collect
from fixturekit.factories._models import is_union, model_kind
from fixturekit.factories._names import email, text_gen, url_gen
from fixturekit.factories._values import (
    bytes_gen,
    date_gen,
    datetime_gen,
    decimal_gen,
    float_gen,
    int_gen,
)

__all__ = ["Owner", "disambiguate", "infer", "unique"]


@dataclasses.dataclass(frozen=True)
class Owner:
    """Where a field lives, for unique-value registries and naive/aware datetimes."""

    model: type
    naive_datetimes: bool = False


def infer(annotation: Any, constraints: dict[str, Any], name: str, owner: Owner) -> Gen:
    """The generator for a field of type ``annotation`` named ``name``."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        base, *metadata = get_args(annotation)
        merged = collect(metadata, dict(constraints))
        return infer(base, merged, name, owner)
    choices = constraints.get("choices")
    if choices:
        options = tuple(choices)
        return lambda b: b.rng.choice(options)
    if annotation is type(None) or annotation is None:
        return lambda b: None
    if is_union(annotation):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if not members:
            return lambda b: None
        gens = [infer(a, constraints, name, owner) for a in members]
        if len(gens) == 1:
            return gens[0]
        return lambda b: b.rng.choice(gens)(b)
    if origin is Literal:
        values = get_args(annotation)
        return lambda b: b.rng.choice(values)
    supertype = getattr(annotation, "__supertype__", None)  # typing.NewType
    if supertype is not None:
        return infer(supertype, constraints, name, owner)
    if isinstance(annotation, typing.TypeVar) or annotation is Any or annotation is object:
        return text_gen(name, constraints)
    if origin is not None:
        return _container(annotation, origin, constraints, name, owner)
    if not isinstance(annotation, type):
        raise TypeError(
            f"cannot infer a value for field {name!r} of {owner.model.__qualname__}: "
            f"unsupported type {annotation!r}; declare it on the factory"
        )
    special = _pydantic_type(annotation, constraints, name, owner)
    if special is not None:
        return special
    if issubclass(annotation, enum.Enum):
        members = list(annotation)
        if not members:
            raise TypeError(f"field {name!r}: enum {annotation.__qualname__} has no members")
        return lambda b: b.rng.choice(members)
    if annotation is bool:
        return lambda b: b.rng.random() < 0.5
    if issubclass(annotation, int) and not issubclass(annotation, bool):
        return int_gen(name, constraints)
    if issubclass(annotation, float):
        return float_gen(name, constraints)
    if issubclass(annotation, Decimal):
        return decimal_gen(name, constraints)
    if issubclass(annotation, str):
        return text_gen(name, constraints)
    if issubclass(annotation, bytes):
        return bytes_gen(constraints)
    if issubclass(annotation, datetime):
        return datetime_gen(name, constraints, naive=owner.naive_datetimes)
    if issubclass(annotation, date):
        return date_gen(name, constraints)
    if issubclass(annotation, time):
        return lambda b: time(b.rng.randrange(24), b.rng.randrange(60), b.rng.randrange(60))
    if issubclass(annotation, timedelta):
        return lambda b: timedelta(seconds=b.rng.randrange(1, 7 * 86400))
    if issubclass(annotation, uuid.UUID):
        version = constraints.get("uuid_version") or 4
        return lambda b: uuid.UUID(int=b.rng.getrandbits(128), version=version)
    if issubclass(annotation, ipaddress.IPv4Address):
        return lambda b: ipaddress.IPv4Address(b.rng.randrange(0x0A000001, 0x0AFFFFFE))
    if issubclass(annotation, ipaddress.IPv6Address):
        return lambda b: ipaddress.IPv6Address((0xFD << 120) | b.rng.getrandbits(120))
    if issubclass(annotation, PurePath):
        cls = annotation
        return lambda b: cls("files", _random.pooled(b.locale, "file_name", b.rng))
    if model_kind(annotation) is not None:
        return _nested(annotation, name)
    if annotation in (list, set, frozenset, tuple, dict):
        return _container(annotation[Any], annotation, constraints, name, owner)
    raise TypeError(
        f"cannot infer a value for field {name!r} of {owner.model.__qualname__}: unsupported "
        f"type {annotation.__qualname__}; declare it on the factory (e.g. {name} = fk.Lazy(...))"
    )


def _nested(model: type, name: str) -> Gen:
    def gen(b: Build) -> Any:
        factory = b.factory_for(model)
        return factory._build_nested(b, b.nested.get(name, {}))

    return gen


def _container(
    annotation: Any, origin: Any, constraints: dict[str, Any], name: str, owner: Owner
) -> Gen:
    import collections.abc as abc

    args = get_args(annotation)
    low = constraints.get("min_length")
    high = constraints.get("max_length")
    low = 0 if low is None else low
    high = max(low, 3) if high is None else min(high, max(low, 3))
    first = max(low, min(1, high))
    item_name = name[:-1] if name.endswith("s") and len(name) > 3 else name
    if origin in (dict, abc.Mapping, abc.MutableMapping) or (
        isinstance(origin, type) and issubclass(origin, dict)
    ):
        key_type, value_type = args if len(args) == 2 else (str, Any)
        key_gen = infer(key_type, {}, "key", owner)
        value_gen = infer(value_type, {}, item_name, owner)

        def make_dict(b: Build) -> Any:
            size = b.rng.randint(first, high)
            out: dict[Any, Any] = {}
            for _ in range(size * 5):
                if len(out) >= size:
                    break
                out[key_gen(b)] = value_gen(b)
            return out

        return make_dict
    if origin is tuple and args and args[-1] is not Ellipsis:
        gens = [infer(a, {}, item_name, owner) for a in args]
        return lambda b: tuple(g(b) for g in gens)
    item_type = args[0] if args else Any
    item_gen = infer(item_type, {}, item_name, owner)
    if origin in (set, frozenset, abc.Set, abc.MutableSet):
        kind: type = frozenset if origin is frozenset else set

        def make_set(b: Build) -> Any:
            size = b.rng.randint(first, high)
            out: set[Any] = set()
            for _ in range(size * 10 + 10):
                if len(out) >= size:
                    break
                out.add(item_gen(b))
            if len(out) < low:
                raise ValueError(f"could not draw {low} distinct values for field {name!r}")
            return kind(out)

        return make_set
    if origin is tuple:

        def make_tuple(b: Build) -> Any:
            return tuple(item_gen(b) for _ in range(b.rng.randint(first, high)))

        return make_tuple
    if origin in (list, abc.Sequence, abc.MutableSequence, abc.Iterable, abc.Collection):

        def make_list(b: Build) -> Any:
            return [item_gen(b) for _ in range(b.rng.randint(first, high))]

        return make_list
    raise TypeError(
        f"cannot infer a value for field {name!r} of {owner.model.__qualname__}: unsupported "
        f"type {annotation!r}; declare it on the factory"
    )


# --- pydantic's own types --------------------------------------------------------------------


def _pydantic_type(annotation: type, c: dict[str, Any], name: str, owner: Owner) -> Gen | None:
    pydantic = _random.loaded("pydantic")
    if pydantic is None or not annotation.__module__.startswith("pydantic"):
        return None
    high = c.get("max_length")
    if annotation is pydantic.EmailStr:
        return lambda b: email(b, high)
    if annotation is pydantic.NameEmail:
        return lambda b: f"{_random.pooled(b.locale, 'name', b.rng)} <{email(b)}>"
    if annotation in (pydantic.SecretStr, pydantic.SecretBytes):
        inner = text_gen("password", c) if annotation is pydantic.SecretStr else bytes_gen(c)
        wrap = annotation
        return lambda b: wrap(inner(b))
    base_url = getattr(getattr(pydantic, "networks", None), "_BaseUrl", None)
    if base_url is not None and issubclass(annotation, base_url):
        constraints = getattr(annotation, "_constraints", None)
        schemes = getattr(constraints, "allowed_schemes", None) or ["https"]
        scheme = "https" if "https" in schemes else schemes[0]
        url_type = annotation

        def url(b: Build) -> Any:
            return url_type(url_gen(b).replace("https://", f"{scheme}://", 1))

        return url
    naive = annotation is pydantic.NaiveDatetime or owner.naive_datetimes
    if annotation is pydantic.AwareDatetime:
        return datetime_gen(name, c, naive=False)
    if annotation is pydantic.NaiveDatetime:
        return datetime_gen(name, c, naive=True)
    if annotation is pydantic.PastDatetime:
        return datetime_gen(name, c, naive=naive, when="past")
    if annotation is pydantic.FutureDatetime:
        return datetime_gen(name, c, naive=naive, when="future")
    if annotation is pydantic.PastDate:
        return date_gen(name, c, when="past")
    if annotation is pydantic.FutureDate:
        return date_gen(name, c, when="future")
    if annotation in (pydantic.IPvAnyAddress,):
        return lambda b: ipaddress.IPv4Address(b.rng.randrange(0x0A000001, 0x0AFFFFFE))
    return None


def unique(gen: Gen, key: Any, max_length: int | None = None) -> Gen:
    """``gen``, redrawn until its value was not produced before under this seed."""

    def draw(b: Build) -> Any:
        seen = b.state.unique_set(key)
        value = gen(b)
        for _ in range(20):
            if value not in seen:
                break
            value = gen(b)
        else:
            value = disambiguate(value, seen, len(seen), max_length)
        seen.add(value)
        return value

    return draw


def disambiguate(value: Any, seen: set[Any], n: int, max_length: int | None) -> Any:
    """``value`` with a number appended (a string) or added (an int) so it is not in
    ``seen``."""
    for k in range(n + 1, n + 1000):
        if isinstance(value, str):
            local, at, domain = value.partition("@")
            suffix = str(k)
            if max_length is not None:
                local = local[: max(max_length - len(suffix) - len(at) - len(domain), 0)]
            candidate: Any = f"{local}{suffix}{at}{domain}"
        elif isinstance(value, int) and not isinstance(value, bool):
            candidate = value + k
        else:
            return value
        if candidate not in seen:
            return candidate
    return value
