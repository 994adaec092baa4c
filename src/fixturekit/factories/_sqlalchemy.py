"""SQLAlchemy mapped classes: columns and relationships to value generators."""

from __future__ import annotations

import copy
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import types as sat

from fixturekit.factories._build import OMIT, Build, Gen, factory_for_table, registered_factory
from fixturekit.factories._models import (
    FieldSpec,
    ModelInfo,
    UniqueGroup,
    jsonable,
    known_info,
    none_gen,
)
from fixturekit.factories._types import Owner, infer, unique

__all__ = ["sqlalchemy_info"]

_INT_LIMITS: list[tuple[type[Any], int]] = [
    (sat.SmallInteger, 2**15 - 1),
    (sat.BigInteger, 2**63 - 1),
    (sat.Integer, 2**31 - 1),
]


def _impl(column_type: Any) -> Any:
    while isinstance(column_type, sat.TypeDecorator):
        column_type = getattr(column_type, "impl_instance", None) or column_type.impl
    return column_type


def _column_gen(column: sa.Column[Any], owner: Owner) -> Gen:
    t = _impl(column.type)
    name = column.key or column.name
    if isinstance(t, sat.Enum):
        if t.enum_class is not None:
            return infer(t.enum_class, {}, name, owner)
        options = tuple(t.enums)
        return lambda b: b.rng.choice(options)
    if isinstance(t, sat.String):
        return infer(str, {"max_length": t.length} if t.length else {}, name, owner)
    if isinstance(t, sat.Boolean):
        return infer(bool, {}, name, owner)
    if isinstance(t, sat.Integer):
        limit = next(value for kind, value in _INT_LIMITS if isinstance(t, kind))
        return infer(int, {"le": limit, "ge": -limit}, name, owner)
    if isinstance(t, sat.Float) or (isinstance(t, sat.Numeric) and not t.asdecimal):
        return infer(float, {}, name, owner)
    if isinstance(t, sat.Numeric):
        constraints: dict[str, Any] = {}
        if t.precision is not None:
            constraints["max_digits"] = t.precision
            constraints["decimal_places"] = t.scale or 0
        return infer(Decimal, constraints, name, owner)
    if isinstance(t, sat.DateTime):
        naive_owner = Owner(owner.model, naive_datetimes=not t.timezone)
        return infer(datetime, {}, name, naive_owner)
    if isinstance(t, sat.Date):
        return infer(date, {}, name, owner)
    if isinstance(t, sat.Time):
        return infer(time, {}, name, owner)
    if isinstance(t, sat.Interval):
        return infer(timedelta, {}, name, owner)
    if isinstance(t, sat._Binary):
        return infer(bytes, {"max_length": t.length} if t.length else {}, name, owner)
    if isinstance(t, sat.Uuid):
        import uuid

        as_uuid = t.as_uuid
        return lambda b: (
            uuid.UUID(int=b.rng.getrandbits(128), version=4)
            if as_uuid
            else str(uuid.UUID(int=b.rng.getrandbits(128), version=4))
        )
    if isinstance(t, sat.JSON):
        word = infer(str, {}, "word", owner)
        return lambda b: {word(b): word(b)}
    if isinstance(t, sat.ARRAY):
        item = _column_gen(sa.Column(name, t.item_type), owner)
        return lambda b: [item(b) for _ in range(b.rng.randint(1, 3))]
    try:
        python_type = t.python_type
    except NotImplementedError:
        python_type = None
    if python_type is None:
        raise TypeError(
            f"cannot infer a value for column {column.table.name}.{column.name} of type "
            f"{t!r}; declare {name} on the factory"
        )
    return infer(python_type, {}, name, owner)


def _is_unique(column: sa.Column[Any], table: sa.Table) -> bool:
    if column.unique or column.primary_key:
        return True
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            columns = list(constraint.columns)
            if len(columns) == 1 and columns[0] is column:
                return True
    for index in table.indexes:
        if index.unique and len(index.columns) == 1 and column in index.columns.values():
            return True
    return False


def _constant(value: Any) -> Gen:
    return lambda b: copy.copy(value)


def _related(target: type, name: str, local_keys: tuple[str, ...], required: bool) -> Gen:
    """A many-to-one relationship: an object from the target's registered factory; for
    an optional one, only when the call reaches into it (``team__name="Avengers"``)."""

    def gen(b: Build) -> Any:
        if not required and name not in b.nested:
            return OMIT
        if any(b.overridden(key) for key in local_keys):
            return OMIT  # the caller set the foreign key itself
        factory = registered_factory(target) if required else b.factory_for(target)
        if factory is None:
            return OMIT
        return factory._build_nested(b, b.nested_overrides(name))

    return gen


def _back_keys(rel: Any) -> tuple[str, ...]:
    """The related class's fields that a one-to-many ``rel`` fills: its foreign key
    columns and the many-to-one relationships over them."""
    if rel.direction.name != "ONETOMANY":
        return ()
    child = rel.mapper
    remote = set(rel.remote_side)
    keys = [child.get_property_by_column(c).key for c in remote if c.table is child.local_table]
    keys += [
        r.key
        for r in child.relationships
        if r.direction.name == "MANYTOONE" and remote & set(r.local_columns)
    ]
    return tuple(keys)


def _unique_together(
    table: sa.Table, mapper: Any, covering: dict[Any, list[str]]
) -> list[UniqueGroup]:
    """``table``'s multi-column unique constraints and indexes. Each column is named by
    its field and by the many-to-one relationships that fill it (``covering``): before
    the flush only the related object tells rows apart."""
    groups: dict[Any, UniqueGroup] = {}
    for item in [*table.constraints, *table.indexes]:
        if isinstance(item, sa.UniqueConstraint) or (isinstance(item, sa.Index) and item.unique):
            columns = list(item.columns)
            if len(columns) < 2 or not all(isinstance(c, sa.Column) for c in columns):
                continue
            keys = [mapper.get_property_by_column(c).key for c in columns]
            stretchable: dict[str, int | None] = {}
            for column, key in zip(columns, keys, strict=True):
                t = _impl(column.type)
                if isinstance(t, (sat.String, sat.Integer)) and not isinstance(t, sat.Enum):
                    stretchable[key] = getattr(t, "length", None)
            fields = tuple(
                (key, *covering.get(c, ())) for c, key in zip(columns, keys, strict=True)
            )
            key = ("unique together", table.name, *keys)
            groups.setdefault(key, UniqueGroup(key, fields, stretchable))
    return list(groups.values())


def _foreign_key(column: sa.Column[Any], mapper: Any) -> Gen:
    """A foreign key without a relationship: in create, a row from the target's factory."""
    (fk,) = column.foreign_keys
    target_column = fk.column

    def gen(b: Build) -> Any:
        factory = factory_for_table(target_column.table)
        if factory is None or b.session is None:
            return OMIT
        return b.related_key(factory, target_column)

    return gen


def sqlalchemy_info(
    model: type, typed: dict[str, FieldSpec] | None = None, *, kind: str = "sqlalchemy"
) -> ModelInfo:
    """``model``'s fields from its mapper; ``typed`` (a SQLModel's pydantic fields) gives
    the values of the columns the factory fills."""
    mapper: Any = sa.inspect(model)
    table = mapper.local_table
    owner = Owner(model)
    auto = getattr(table, "autoincrement_column", None)
    relations: dict[str, type] = {}
    relation_fields: dict[str, FieldSpec] = {}
    #: foreign key columns -> the many-to-one relationships that fill them
    covered: dict[Any, list[str]] = {}
    many_to_one: list[str] = []
    to_many: dict[str, tuple[type, tuple[str, ...]]] = {}
    for rel in mapper.relationships:
        target = rel.mapper.class_
        relations[rel.key] = target
        if rel.direction.name == "MANYTOONE" and not rel.viewonly:
            local = list(rel.local_columns)
            for column in local:
                covered.setdefault(column, []).append(rel.key)
            many_to_one.append(rel.key)
            required = any(not c.nullable for c in local)
            keys = tuple(mapper.get_property_by_column(c).key for c in local)
            related = _related(target, rel.key, keys, required)
            relation_fields[rel.key] = FieldSpec(rel.key, rel.key, related, target)
        else:
            if rel.uselist and not rel.viewonly:
                to_many[rel.key] = (target, _back_keys(rel))
            relation_fields[rel.key] = FieldSpec(rel.key, rel.key, None, None)

    fields: dict[str, FieldSpec] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        key = prop.key
        gen: Gen | None = None
        empty: Gen | None = None
        if not isinstance(column, sa.Column) or column.table is not table:
            pass  # column_property expressions, inherited tables: not set by the factory
        elif column is auto or column.computed is not None or column.identity is not None:
            pass  # left to the database
        elif column.default is not None:
            default = column.default
            if getattr(default, "is_scalar", False):
                gen = _constant(default.arg)  # type: ignore[attr-defined]
        elif column.server_default is not None or column in covered:
            pass
        elif column.foreign_keys:
            if not column.nullable and len(column.foreign_keys) == 1:
                gen = _foreign_key(column, mapper)
        elif column.nullable and column.primary_key:
            pass
        else:
            spec = typed.get(key) if typed else None
            gen = spec.gen if spec is not None and spec.gen is not None else None
            if gen is None:
                gen = _column_gen(column, owner)
            if _is_unique(column, table):
                length = getattr(_impl(column.type), "length", None)
                gen = unique(gen, (table.name, column.name), length)
            if column.nullable:
                empty = none_gen  # NULL unless optional columns are filled
        fields[key] = FieldSpec(key, key, gen, None, empty)
    fields.update(relation_fields)

    column_keys = [prop.key for prop in mapper.column_attrs]

    def construct(values: dict[str, Any]) -> Any:
        return model(**values)

    def serialize(obj: Any) -> Any:
        out: dict[str, Any] = {}
        state = obj.__dict__
        for key in column_keys:
            value = state.get(key)
            if value is None and fields[key].gen is None and key not in state:
                continue
            out[key] = value
        for key in many_to_one:
            related = state.get(key)
            if related is not None:
                out[key] = _related_info(type(related)).serialize(related)
        return jsonable(out)

    return ModelInfo(
        model,
        kind,
        fields,
        construct,
        serialize,
        relations,
        to_many,
        _unique_together(table, mapper, covered),
    )


def _related_info(model: type) -> ModelInfo:
    """The related model's info (relationships point at mapped classes only)."""
    return known_info(model) or sqlalchemy_info(model)
