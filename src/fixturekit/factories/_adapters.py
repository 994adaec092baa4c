"""Model classes to `ModelInfo`: one adapter per kind of model.

* pydantic v2 models and pydantic dataclasses: each field's type and constraints, and
  its alias (the constructor's key) unless the model populates by name;
* dataclasses and TypedDicts: type hints, with ``Annotated`` constraints;
* attrs classes: type hints and the bounds of attrs' own validators;
* SQLAlchemy mapped classes: see `_sqlalchemy` (imported when a mapped class is first
  built, so that building other models never imports SQLAlchemy).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from typing import Any, get_args, get_origin

from fixturekit.factories._constraints import attrs_constraints, collect
from fixturekit.factories._models import (
    FieldSpec,
    ModelInfo,
    cached_info,
    default_gen,
    jsonable,
    model_kind,
    nested_model,
    optional_empty,
)
from fixturekit.factories._types import Owner, infer

__all__ = ["model_info"]


def model_info(model: type) -> ModelInfo:
    """What factories need to know about ``model`` (worked out once per class)."""
    return cached_info(model, _adapt)


def _adapt(model: type) -> ModelInfo:
    kind = model_kind(model)
    if kind is None:
        raise TypeError(
            f"fixturekit factories build pydantic models, dataclasses, attrs classes, "
            f"TypedDicts, SQLAlchemy mapped classes and SQLModel table models; {model!r} is "
            "none of these"
        )
    return _ADAPTERS[kind](model)


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
        constraints = collect(info.metadata)
        annotation = info.annotation
        if (
            info.exclude is True or getattr(info, "init_var", None)
        ) and not info.is_required():  # pragma: no cover - rare
            out[name] = FieldSpec(name, key, None)
            continue
        gen = infer(annotation, constraints, name, Owner(model))
        empty = optional_empty(annotation, not info.is_required())
        out[name] = FieldSpec(name, key, gen, nested_model(annotation), empty)
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


def _dataclass(model: type) -> ModelInfo:
    hints = _hints(model)
    fields: dict[str, FieldSpec] = {}
    for f in dataclasses.fields(model):
        if not f.init:
            continue
        annotation = hints.get(f.name, Any)
        gen = infer(annotation, {}, f.name, Owner(model))
        has_default = (
            f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        )
        empty = optional_empty(annotation, has_default)
        fields[f.name] = FieldSpec(f.name, f.name, gen, nested_model(annotation), empty)

    def construct(values: dict[str, Any]) -> Any:
        return model(**values)

    return ModelInfo(model, "dataclass", fields, construct, jsonable)


def _attrs(model: type) -> ModelInfo:
    import attr

    attr.resolve_types(model)
    fields: dict[str, FieldSpec] = {}
    for a in attr.fields(model):
        if not a.init:
            continue
        constraints: dict[str, Any] = {}
        attrs_constraints(a.validator, constraints)
        annotation = a.type if a.type is not None else Any
        gen = infer(annotation, constraints, a.name, Owner(model))
        key = getattr(a, "alias", None) or a.name.lstrip("_")
        empty = optional_empty(annotation, a.default is not attr.NOTHING)
        fields[a.name] = FieldSpec(a.name, key, gen, nested_model(annotation), empty)

    def construct(values: dict[str, Any]) -> Any:
        return model(**values)

    return ModelInfo(model, "attrs", fields, construct, jsonable)


_REQUIRED_WRAPPERS = ("Required", "NotRequired", "ReadOnly")


def _unwrap_required(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin is not None and getattr(origin, "_name", None) in _REQUIRED_WRAPPERS:
        return get_args(annotation)[0]
    return annotation


def _typeddict(model: type) -> ModelInfo:
    fields: dict[str, FieldSpec] = {}
    not_required: frozenset[str] = getattr(model, "__optional_keys__", frozenset())
    for name, hint in _hints(model).items():
        annotation = _unwrap_required(hint)
        gen = infer(annotation, {}, name, Owner(model))
        wrapper = getattr(get_origin(hint), "_name", None)
        if wrapper == "NotRequired" or (name in not_required and wrapper != "Required"):
            empty: Any = default_gen  # a key that may be missing is left out
        else:
            empty = optional_empty(annotation, False)
        fields[name] = FieldSpec(name, name, gen, nested_model(annotation), empty)
    return ModelInfo(model, "typeddict", fields, dict, jsonable)


def _sqlalchemy(model: type) -> ModelInfo:
    from fixturekit.factories._sqlalchemy import sqlalchemy_info

    return sqlalchemy_info(model)


def _sqlmodel(model: type) -> ModelInfo:
    """A SQLModel table model: the mapped class's columns and relationships decide what
    is filled (keys, defaults, foreign keys, uniqueness); its pydantic fields (types and
    ``Field`` constraints) decide the values."""
    from fixturekit.factories._sqlalchemy import sqlalchemy_info

    typed = _pydantic_fields(model, model.model_fields, True)  # type: ignore[attr-defined]
    return sqlalchemy_info(model, typed, kind="sqlmodel")


_ADAPTERS: dict[str, Callable[[type], ModelInfo]] = {
    "pydantic": _pydantic,
    "pydantic-dataclass": _pydantic_dataclass,
    "dataclass": _dataclass,
    "attrs": _attrs,
    "typeddict": _typeddict,
    "sqlalchemy": _sqlalchemy,
    "sqlmodel": _sqlmodel,
}
