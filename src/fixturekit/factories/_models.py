"""What factories know about a model class: its kind, its fields (`FieldSpec`) and how
to construct and serialise it (`ModelInfo`), plus the type-hint helpers every adapter uses.

The `ModelInfo` of each class is made once (by the adapters, see `_adapters`) and kept
here, so serialising a nested object finds its model's serialiser.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any, get_args, get_origin

from fixturekit.factories import _random
from fixturekit.factories._build import OMIT, Gen

__all__ = [
    "FieldSpec",
    "ModelInfo",
    "UniqueGroup",
    "cached_info",
    "default_gen",
    "is_union",
    "jsonable",
    "known_info",
    "model_kind",
    "nested_model",
    "none_gen",
    "optional_empty",
    "strip_annotated",
]


@dataclasses.dataclass
class FieldSpec:
    """One field of a model: how the factory fills it."""

    name: str  # the attribute name (what overrides and Lazy use)
    key: str  # the key of the constructor input (an alias for some pydantic fields)
    gen: Gen | None  # None: leave it out
    nested: type | None = None  # a model type the field holds (for name__field overrides)
    #: For an optional field (one that may be None or left out): what it gets unless
    #: optional fields are filled (None, or OMIT for the model's own default).
    empty: Gen | None = None


@dataclasses.dataclass(frozen=True)
class UniqueGroup:
    """Columns whose values together are unique (a multi-column unique constraint)."""

    key: Any  # the unique-value registry's key
    #: per column: its field, then the many-to-one relationships that fill it
    fields: tuple[tuple[str, ...], ...]
    #: the fields a number may be appended to (text and integer columns) -> max length
    stretchable: dict[str, int | None]


@dataclasses.dataclass
class ModelInfo:
    """What factories need to know about one model class."""

    model: type
    #: "pydantic", "pydantic-dataclass", "dataclass", "attrs", "typeddict", "sqlalchemy",
    #: "sqlmodel" (a SQLModel table model: a mapped class with pydantic fields)
    kind: str
    fields: dict[str, FieldSpec]
    construct: Callable[[dict[str, Any]], Any]
    serialize: Callable[[Any], Any]
    #: SQLAlchemy: the model's relationships (name -> related class).
    relations: dict[str, type] = dataclasses.field(default_factory=dict)
    #: SQLAlchemy: to-many relationships -> (related class, the related class's fields
    #: that point back at this one and are left for the relationship to fill).
    to_many: dict[str, tuple[type, tuple[str, ...]]] = dataclasses.field(default_factory=dict)
    #: SQLAlchemy: the multi-column unique constraints and indexes.
    unique_together: list[UniqueGroup] = dataclasses.field(default_factory=list)

    @property
    def persistable(self) -> bool:
        return self.kind in ("sqlalchemy", "sqlmodel")


_infos: dict[type, ModelInfo] = {}


def model_kind(model: Any) -> str | None:
    """Which kind of model ``model`` is, or None if factories cannot build it."""
    if not isinstance(model, type):
        return None
    if typing.is_typeddict(model) or _typing_extensions_typeddict(model):
        return "typeddict"
    pydantic = _random.loaded("pydantic")
    if pydantic is not None and issubclass(model, pydantic.BaseModel):
        return "sqlmodel" if hasattr(model, "__mapper__") else "pydantic"
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


def cached_info(model: type, make: Callable[[type], ModelInfo]) -> ModelInfo:
    """The `ModelInfo` of ``model``, made with ``make`` the first time it is asked for."""
    info = _infos.get(model)
    if info is None:
        info = _infos[model] = make(model)
    return info


def known_info(model: type) -> ModelInfo | None:
    """The `ModelInfo` of ``model`` if it was made already."""
    return _infos.get(model)


def jsonable(obj: Any) -> Any:
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


def nested_model(annotation: Any) -> type | None:
    """The model class a field holds directly or optionally (for ``field__x=`` overrides)."""
    annotation = strip_annotated(annotation)
    if model_kind(annotation) is not None:
        return annotation  # type: ignore[no-any-return]
    if is_union(annotation):
        for arg in get_args(annotation):
            found = nested_model(arg)
            if found is not None:
                return found
    return None


def none_gen(b: Any) -> Any:
    return None


def default_gen(b: Any) -> Any:
    return OMIT


def admits_none(annotation: Any) -> bool:
    """True for ``X | None``, ``Optional[X]`` (inside ``Annotated`` too) and ``None``."""
    annotation = strip_annotated(annotation)
    if annotation is None or annotation is type(None):
        return True
    return is_union(annotation) and any(admits_none(a) for a in get_args(annotation))


def optional_empty(annotation: Any, has_default: bool) -> Gen | None:
    """`FieldSpec.empty` for a field of this type: None for an optional field without a
    default, the model's default (OMIT) for one with a default, None (not optional) else."""
    if not admits_none(annotation):
        return None
    return default_gen if has_default else none_gen


def strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def is_union(annotation: Any) -> bool:
    origin = get_origin(annotation)
    return origin is typing.Union or origin is types.UnionType
