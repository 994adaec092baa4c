"""From a model class to value generators: one per field the factory does not declare.

A generator is a function of the build in progress (`_Build`: the factory's random
stream, locale, the current seed state and "now") returning the field's value. What is
read, per kind of model:

* pydantic v2 models and pydantic dataclasses: the field's type and its constraints
  (``min_length``, ``max_length``, ``ge``/``gt``/``le``/``lt``, ``multiple_of``,
  ``pattern``, ``max_digits``, ``decimal_places``, UUID versions, pydantic's own types);
* dataclasses and TypedDicts: type hints, with ``Annotated`` constraints;
* attrs classes: type hints and the bounds of attrs' own validators;
* SQLAlchemy mapped classes: the column type and length, nullability, scalar defaults,
  uniqueness, primary keys and foreign keys.

Field names steer text values towards what they name (``email``, ``first_name``,
``city``, ``phone``, ``url``...).
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import math
import re
import types
import typing
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

from fixturekit.factories import _random
from fixturekit.factories._regex import string_matching

if TYPE_CHECKING:
    from fixturekit.factories._factory import _Build

__all__ = ["OMIT", "FieldSpec", "ModelInfo", "model_info"]

Gen = Callable[["_Build"], Any]


class _Omit:
    """Leave the field out: the model's default (or the database) fills it."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()

_CONSTRAINT_NAMES = (
    "min_length",
    "max_length",
    "ge",
    "gt",
    "le",
    "lt",
    "multiple_of",
    "pattern",
    "max_digits",
    "decimal_places",
    "uuid_version",
)


def _collect(metadata: typing.Iterable[Any], into: dict[str, Any] | None = None) -> dict[str, Any]:
    """Constraints from annotated-types objects, pydantic metadata and FieldInfos."""
    out: dict[str, Any] = {} if into is None else into
    for item in metadata:
        inner = getattr(item, "metadata", None)
        if isinstance(inner, list):  # a FieldInfo inside Annotated[...]
            _collect(inner, out)
        for name in _CONSTRAINT_NAMES:
            value = getattr(item, name, None)
            if value is not None and not callable(value):
                out[name] = value
    return out


# --- model adapters ---------------------------------------------------------------------


@dataclasses.dataclass
class FieldSpec:
    """One field of a model: how the factory fills it."""

    name: str  # the attribute name (what overrides and Lazy use)
    key: str  # the key of the constructor input (an alias for some pydantic fields)
    gen: Gen | None  # None: leave it out
    nested: type | None = None  # a model type the field holds (for name__field overrides)


@dataclasses.dataclass
class ModelInfo:
    """What factories need to know about one model class."""

    model: type
    kind: str  # "pydantic", "pydantic-dataclass", "dataclass", "attrs", "typeddict", "sqlalchemy"
    fields: dict[str, FieldSpec]
    construct: Callable[[dict[str, Any]], Any]
    serialize: Callable[[Any], Any]
    #: SQLAlchemy: the model's relationships (name -> related class).
    relations: dict[str, type] = dataclasses.field(default_factory=dict)

    @property
    def persistable(self) -> bool:
        return self.kind == "sqlalchemy"


_infos: dict[type, ModelInfo] = {}


def model_kind(model: Any) -> str | None:
    """Which kind of model ``model`` is, or None if factories cannot build it."""
    if not isinstance(model, type):
        return None
    if typing.is_typeddict(model) or _typing_extensions_typeddict(model):
        return "typeddict"
    pydantic = _random.loaded("pydantic")
    if pydantic is not None and issubclass(model, pydantic.BaseModel):
        return "pydantic"
    if dataclasses.is_dataclass(model):
        return "pydantic-dataclass" if hasattr(model, "__pydantic_fields__") else "dataclass"
    attr = _random.loaded("attr")
    if attr is not None and attr.has(model):
        return "attrs"
    if _random.loaded("sqlalchemy") is not None and hasattr(model, "__mapper__"):
        return "sqlalchemy"
    return None


def _typing_extensions_typeddict(model: type) -> bool:
    te = _random.loaded("typing_extensions")
    return te is not None and te.is_typeddict(model)


def model_info(model: type) -> ModelInfo:
    info = _infos.get(model)
    if info is None:
        kind = model_kind(model)
        if kind is None:
            raise TypeError(
                f"fixturekit factories build pydantic models, dataclasses, attrs classes, "
                f"TypedDicts and SQLAlchemy mapped classes; {model!r} is none of these"
            )
        info = _infos[model] = _ADAPTERS[kind](model)
    return info


def _hints(model: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(model, include_extras=True)
    except NameError as exc:
        raise TypeError(
            f"cannot resolve the type hints of {model.__qualname__}: {exc}; define the names "
            "its annotations refer to before building it"
        ) from exc


def _pydantic_fields(model: type, fields: Mapping[str, Any], by_name: bool) -> dict[str, FieldSpec]:
    out: dict[str, FieldSpec] = {}
    for name, info in fields.items():
        if getattr(info, "init", None) is False:
            continue
        alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
        key = name if by_name or not isinstance(alias, str) else alias
        constraints = _collect(info.metadata)
        annotation = info.annotation
        if (
            info.exclude is True or getattr(info, "init_var", None)
        ) and not info.is_required():  # pragma: no cover - rare
            out[name] = FieldSpec(name, key, None)
            continue
        gen = infer(annotation, constraints, name, _Owner(model))
        out[name] = FieldSpec(name, key, gen, _nested_model(annotation))
    return out


def _pydantic(model: type) -> ModelInfo:
    config = getattr(model, "model_config", {})
    by_name = bool(config.get("populate_by_name") or config.get("validate_by_name"))
    fields = _pydantic_fields(model, model.model_fields, by_name)  # type: ignore[attr-defined]
    validate = model.model_validate  # type: ignore[attr-defined]

    def serialize(obj: Any) -> Any:
        return obj.model_dump(mode="json", by_alias=True)

    return ModelInfo(model, "pydantic", fields, validate, serialize)


def _pydantic_dataclass(model: type) -> ModelInfo:
    from pydantic import TypeAdapter

    fields = _pydantic_fields(model, model.__pydantic_fields__, True)  # type: ignore[attr-defined]
    adapter: TypeAdapter[Any] = TypeAdapter(model)

    def construct(values: dict[str, Any]) -> Any:
        return model(**values)

    def serialize(obj: Any) -> Any:
        return adapter.dump_python(obj, mode="json", by_alias=True)

    return ModelInfo(model, "pydantic-dataclass", fields, construct, serialize)


def _jsonable(obj: Any) -> Any:
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(obj, fallback=_fallback)


def _fallback(obj: Any) -> Any:
    attr = _random.loaded("attr")
    if attr is not None and attr.has(type(obj)):
        return {a.name: getattr(obj, a.name) for a in attr.fields(type(obj))}
    info = _infos.get(type(obj))
    if info is not None:
        return info.serialize(obj)
    raise TypeError(f"cannot serialise {obj!r} to JSON")


def _dataclass(model: type) -> ModelInfo:
    hints = _hints(model)
    fields: dict[str, FieldSpec] = {}
    for f in dataclasses.fields(model):
        if not f.init:
            continue
        annotation = hints.get(f.name, Any)
        gen = infer(annotation, {}, f.name, _Owner(model))
        fields[f.name] = FieldSpec(f.name, f.name, gen, _nested_model(annotation))

    def construct(values: dict[str, Any]) -> Any:
        return model(**values)

    return ModelInfo(model, "dataclass", fields, construct, _jsonable)


def _attrs_constraints(validator: Any, out: dict[str, Any]) -> None:
    if validator is None:
        return
    for inner in getattr(validator, "_validators", ()) or ():
        _attrs_constraints(inner, out)
    if hasattr(validator, "validator") and type(validator).__name__ == "_OptionalValidator":
        _attrs_constraints(validator.validator, out)
    for name in ("max_length", "min_length"):
        value = getattr(validator, name, None)
        if isinstance(value, int):
            out[name] = value
    pattern = getattr(validator, "pattern", None)
    if isinstance(pattern, re.Pattern):
        out["pattern"] = pattern.pattern
    op = getattr(validator, "compare_op", None)
    if op in ("<", "<=", ">", ">="):
        out[{"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[op]] = validator.bound
    options = getattr(validator, "options", None)
    if options is not None and type(validator).__name__ == "_InValidator":
        out["choices"] = tuple(options)


def _attrs(model: type) -> ModelInfo:
    import attr

    attr.resolve_types(model)
    fields: dict[str, FieldSpec] = {}
    for a in attr.fields(model):
        if not a.init:
            continue
        constraints: dict[str, Any] = {}
        _attrs_constraints(a.validator, constraints)
        annotation = a.type if a.type is not None else Any
        gen = infer(annotation, constraints, a.name, _Owner(model))
        key = getattr(a, "alias", None) or a.name.lstrip("_")
        fields[a.name] = FieldSpec(a.name, key, gen, _nested_model(annotation))

    def construct(values: dict[str, Any]) -> Any:
        return model(**values)

    return ModelInfo(model, "attrs", fields, construct, _jsonable)


_REQUIRED_WRAPPERS = ("Required", "NotRequired", "ReadOnly")


def _unwrap_required(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin is not None and getattr(origin, "_name", None) in _REQUIRED_WRAPPERS:
        return get_args(annotation)[0]
    return annotation


def _typeddict(model: type) -> ModelInfo:
    fields: dict[str, FieldSpec] = {}
    for name, annotation in _hints(model).items():
        annotation = _unwrap_required(annotation)
        gen = infer(annotation, {}, name, _Owner(model))
        fields[name] = FieldSpec(name, name, gen, _nested_model(annotation))
    return ModelInfo(model, "typeddict", fields, dict, _jsonable)


_ADAPTERS: dict[str, Callable[[type], ModelInfo]] = {
    "pydantic": _pydantic,
    "pydantic-dataclass": _pydantic_dataclass,
    "dataclass": _dataclass,
    "attrs": _attrs,
    "typeddict": _typeddict,
}


def _nested_model(annotation: Any) -> type | None:
    """The model class a field holds directly or optionally (for ``field__x=`` overrides)."""
    annotation = _strip_annotated(annotation)
    if model_kind(annotation) is not None:
        return annotation  # type: ignore[no-any-return]
    if _is_union(annotation):
        for arg in get_args(annotation):
            found = _nested_model(arg)
            if found is not None:
                return found
    return None


def _strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_union(annotation: Any) -> bool:
    origin = get_origin(annotation)
    return origin is typing.Union or origin is types.UnionType


# --- inference: a type (and constraints, and a field name) to a generator ---------------


@dataclasses.dataclass(frozen=True)
class _Owner:
    """Where a field lives, for unique-value registries and naive/aware datetimes."""

    model: type
    naive_datetimes: bool = False


def infer(annotation: Any, constraints: dict[str, Any], name: str, owner: _Owner) -> Gen:
    """The generator for a field of type ``annotation`` named ``name``."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        base, *metadata = get_args(annotation)
        merged = _collect(metadata, dict(constraints))
        return infer(base, merged, name, owner)
    choices = constraints.get("choices")
    if choices:
        options = tuple(choices)
        return lambda b: b.rng.choice(options)
    if annotation is type(None) or annotation is None:
        return lambda b: None
    if _is_union(annotation):
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
        return _text(name, constraints)
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
        return _integer(name, constraints)
    if issubclass(annotation, float):
        return _float(name, constraints)
    if issubclass(annotation, Decimal):
        return _decimal(name, constraints)
    if issubclass(annotation, str):
        return _text(name, constraints)
    if issubclass(annotation, bytes):
        return _bytes(constraints)
    if issubclass(annotation, datetime):
        return _datetime(name, constraints, naive=owner.naive_datetimes)
    if issubclass(annotation, date):
        return _date(name, constraints)
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
    def gen(b: _Build) -> Any:
        factory = b.factory_for(model)
        return factory._build_nested(b, b.nested.get(name, {}))

    return gen


_SEQUENCE_ORIGINS = {
    list: list,
    typing.List: list,  # noqa: UP006
    set: set,
    frozenset: frozenset,
    tuple: tuple,
}


def _container(
    annotation: Any, origin: Any, constraints: dict[str, Any], name: str, owner: _Owner
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

        def make_dict(b: _Build) -> Any:
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

        def make_set(b: _Build) -> Any:
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

        def make_tuple(b: _Build) -> Any:
            return tuple(item_gen(b) for _ in range(b.rng.randint(first, high)))

        return make_tuple
    if origin in (list, abc.Sequence, abc.MutableSequence, abc.Iterable, abc.Collection):

        def make_list(b: _Build) -> Any:
            return [item_gen(b) for _ in range(b.rng.randint(first, high))]

        return make_list
    raise TypeError(
        f"cannot infer a value for field {name!r} of {owner.model.__qualname__}: unsupported "
        f"type {annotation!r}; declare it on the factory"
    )


# --- numbers ------------------------------------------------------------------------------


def _normal(name: str) -> str:
    return name.lower().strip("_")


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
    default_low, default_high = _INT_RANGES.get(_normal(name), (1, 10_000))
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


def _integer(name: str, c: dict[str, Any]) -> Gen:
    low, high = _int_bounds(name, c)
    step = c.get("multiple_of")
    if step:
        first, last = math.ceil(low / step), math.floor(high / step)
        if first > last:
            raise ValueError(f"field {name!r}: no multiple of {step} in [{low}, {high}]")
        return lambda b: int(b.rng.randint(first, last) * step)
    return lambda b: b.rng.randint(low, high)


def _float(name: str, c: dict[str, Any]) -> Gen:
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

    def gen(b: _Build) -> float:
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


def _decimal(name: str, c: dict[str, Any]) -> Gen:
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


def _datetime(name: str, c: dict[str, Any], *, naive: bool, when: str = "") -> Gen:
    low, high = _datetime_bounds(c)
    normal = _normal(name)
    future = when == "future" or (
        when != "past" and any(normal.startswith(p) or normal.endswith(p) for p in _FUTURE_NAMES)
    )

    def gen(b: _Build) -> datetime:
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


def _date(name: str, c: dict[str, Any], when: str = "") -> Gen:
    low, high = c.get("ge", c.get("gt")), c.get("le", c.get("lt"))
    normal = _normal(name)
    future = when == "future" or (
        when != "past" and any(normal.startswith(p) or normal.endswith(p) for p in _FUTURE_NAMES)
    )
    birth = "birth" in normal or normal in ("dob", "born", "birthday")

    def gen(b: _Build) -> date:
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


# --- text ----------------------------------------------------------------------------------

#: Field names (lower case, underscores removed at the ends) -> semantic kind.
_TEXT_NAMES: dict[str, str] = {}
for _kind, _names in {
    "email": "email email_address mail contact_email work_email",
    "first_name": "first_name firstname given_name forename",
    "last_name": "last_name lastname surname family_name",
    "name": "name full_name fullname display_name author owner customer contact",
    "user_name": "username user_name login handle nickname nick screen_name",
    "city": "city town",
    "country": "country country_name",
    "country_code": "country_code",
    "state": "state province region",
    "postcode": "zip zipcode zip_code postcode postal_code",
    "street_address": "street street_address address address_line address_line1 address1 line1",
    "phone_number": "phone phone_number mobile telephone tel cell",
    "url": "url website homepage link site_url",
    "company": "company company_name organization organisation org employer",
    "job": "job job_title occupation position_title",
    "sentence": "title headline subject summary caption label",
    "paragraph": "description bio about body text content comment comments note notes message",
    "slug": "slug",
    "password": "password passwd secret password_hash",
    "color_name": "color colour",
    "currency_code": "currency currency_code",
    "language_name": "language",
    "locale": "locale",
    "timezone": "timezone time_zone tz",
    "ipv4": "ip ip_address ipv4 remote_addr",
    "domain_name": "domain hostname host",
    "file_name": "filename file_name",
    "word": "word tag tags keyword category kind type status role",
}.items():
    for _name in _names.split():
        _TEXT_NAMES[_name] = _kind

_SUFFIXES = (
    ("_email", "email"),
    ("_url", "url"),
    ("_phone", "phone_number"),
    ("_city", "city"),
    ("_country", "country"),
    ("_first_name", "first_name"),
    ("_last_name", "last_name"),
    ("_company", "company"),
)

_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")


def semantic_kind(name: str) -> str | None:
    normal = _normal(name)
    kind = _TEXT_NAMES.get(normal)
    if kind is None:
        for suffix, suffix_kind in _SUFFIXES:
            if normal.endswith(suffix):
                return suffix_kind
    return kind


_folded: dict[str, str] = {}


def _ascii(text: str) -> str:
    value = _folded.get(text)
    if value is None:
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        value = _folded[text] = "".join(ch for ch in folded.lower() if ch.isalnum())
    return value


def email(b: _Build, max_length: int | None = None) -> str:
    rng = b.rng
    first = _ascii(_random.pooled(b.locale, "first_name", rng)) or "user"
    last = _ascii(_random.pooled(b.locale, "last_name", rng)) or "mail"
    domain = _EMAIL_DOMAINS[int(rng.random() * 3)]
    number = rng.randrange(1000)
    value = f"{first}.{last}{number}@{domain}"
    if max_length is not None and len(value) > max_length:
        room = max(max_length - len(domain) - 1, 1)
        value = f"{(first + last + str(number))[:room]}@{domain}"
    return value


def _url(b: _Build) -> str:
    domain = _random.pooled(b.locale, "domain_name", b.rng)
    word = _ascii(_random.pooled(b.locale, "word", b.rng)) or "page"
    return f"https://{domain}/{word}"


def _semantic(kind: str) -> Gen:
    if kind == "email":
        return email
    if kind == "url":
        return _url
    if kind == "slug":
        return lambda b: "-".join(
            _ascii(_random.pooled(b.locale, "word", b.rng)) or "x" for _ in range(3)
        )
    if kind == "password":
        alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%+"
        return lambda b: "".join(b.rng.choice(alphabet) for _ in range(16))
    if kind == "ipv4":
        return lambda b: str(ipaddress.IPv4Address(b.rng.randrange(0x0A000001, 0x0AFFFFFE)))
    return lambda b: _random.pooled(b.locale, kind, b.rng)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _fit(value: str, b: _Build, low: int, high: int | None) -> str:
    if high is not None and len(value) > high:
        value = value[:high].rstrip() if high > 0 else ""
        if len(value) < low:
            value = value[:high]
    if len(value) < low:
        value += "".join(b.rng.choice(_LETTERS) for _ in range(low - len(value)))
    return value


def _text(name: str, c: dict[str, Any]) -> Gen:
    low = c.get("min_length") or 0
    high = c.get("max_length")
    pattern = c.get("pattern")
    if pattern is not None:
        compiled = re.compile(pattern)
        return lambda b: string_matching(compiled, b.rng, min_length=low, max_length=high)
    kind = semantic_kind(name) or "word"
    if kind == "email":
        return lambda b: _fit(email(b, high), b, low, high)
    base = _semantic(kind)
    if high is None and not low:
        return base
    return lambda b: _fit(str(base(b)), b, low, high)


def _bytes(c: dict[str, Any]) -> Gen:
    low = c.get("min_length") or 8
    high = c.get("max_length")
    high = max(low, 16) if high is None else high
    low = min(low, high)
    return lambda b: bytes(b.rng.getrandbits(8) for _ in range(b.rng.randint(low, high)))


# --- pydantic's own types --------------------------------------------------------------------


def _pydantic_type(annotation: type, c: dict[str, Any], name: str, owner: _Owner) -> Gen | None:
    pydantic = _random.loaded("pydantic")
    if pydantic is None or not annotation.__module__.startswith("pydantic"):
        return None
    high = c.get("max_length")
    if annotation is pydantic.EmailStr:
        return lambda b: email(b, high)
    if annotation is pydantic.NameEmail:
        return lambda b: f"{_random.pooled(b.locale, 'name', b.rng)} <{email(b)}>"
    if annotation in (pydantic.SecretStr, pydantic.SecretBytes):
        inner = _text("password", c) if annotation is pydantic.SecretStr else _bytes(c)
        wrap = annotation
        return lambda b: wrap(inner(b))
    base_url = getattr(getattr(pydantic, "networks", None), "_BaseUrl", None)
    if base_url is not None and issubclass(annotation, base_url):
        constraints = getattr(annotation, "_constraints", None)
        schemes = getattr(constraints, "allowed_schemes", None) or ["https"]
        scheme = "https" if "https" in schemes else schemes[0]
        url_type = annotation

        def url(b: _Build) -> Any:
            return url_type(_url(b).replace("https://", f"{scheme}://", 1))

        return url
    naive = annotation is pydantic.NaiveDatetime or owner.naive_datetimes
    if annotation is pydantic.AwareDatetime:
        return _datetime(name, c, naive=False)
    if annotation is pydantic.NaiveDatetime:
        return _datetime(name, c, naive=True)
    if annotation is pydantic.PastDatetime:
        return _datetime(name, c, naive=naive, when="past")
    if annotation is pydantic.FutureDatetime:
        return _datetime(name, c, naive=naive, when="future")
    if annotation is pydantic.PastDate:
        return _date(name, c, when="past")
    if annotation is pydantic.FutureDate:
        return _date(name, c, when="future")
    if annotation in (pydantic.IPvAnyAddress,):
        return lambda b: ipaddress.IPv4Address(b.rng.randrange(0x0A000001, 0x0AFFFFFE))
    return None


# --- SQLAlchemy --------------------------------------------------------------------------------


def _sqlalchemy(model: type) -> ModelInfo:
    from fixturekit.factories._sqlalchemy import sqlalchemy_info

    return sqlalchemy_info(model)


_ADAPTERS["sqlalchemy"] = _sqlalchemy


def unique(gen: Gen, key: Any, max_length: int | None = None) -> Gen:
    """``gen``, redrawn until its value was not produced before under this seed."""

    def draw(b: _Build) -> Any:
        seen = b.state.unique_set(key)
        value = gen(b)
        for _ in range(20):
            if value not in seen:
                break
            value = gen(b)
        else:
            value = _disambiguate(value, seen, len(seen), max_length)
        seen.add(value)
        return value

    return draw


def _disambiguate(value: Any, seen: set[Any], n: int, max_length: int | None) -> Any:
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


def known_model(annotation: Any) -> bool:
    return model_kind(annotation) is not None
