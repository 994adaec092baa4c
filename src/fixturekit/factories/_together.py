"""Multi-column unique constraints (``UniqueConstraint("team_id", "code_name")``, unique
indexes): within one seed, no two objects a factory makes share a group's values.

A group is checked once every field of the object has its value. A column that a
many-to-one relationship fills counts as the related object (the key exists only after
the flush), and a child made for a to-many relationship counts its parent. When the
combination was made before, the group's inferred fields are drawn again (fields the
call or the factory set are kept), then made distinct the way single unique columns are.
"""

from __future__ import annotations

from typing import Any

from fixturekit.factories._build import OMIT, Build
from fixturekit.factories._declarations import Back, Declaration, Lazy
from fixturekit.factories._models import UniqueGroup
from fixturekit.factories._types import disambiguate

__all__ = ["keep_unique_together"]

_TRIES = 20
_INFERRED: Any = Declaration()  # stands for "not declared": a generator, redrawn


class _Same:
    """A related object (or the parent being made) in a combination: equal only to
    itself, and kept alive by the registry so that its id is not reused."""

    __slots__ = ("obj",)

    def __init__(self, obj: object) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


def _component(build: Build, names: tuple[str, ...]) -> Any:
    """One column's part of the combination, or None (NULL, or left to the database:
    no clash the factory can see)."""
    overrides = build.overrides
    values = build.values
    for name in names:
        given = overrides.get(name)
        if isinstance(given, Back):
            return _Same(given.parent)
        value = values.get(name, OMIT)
        if value is OMIT or value is None:
            continue
        if hasattr(value, "_sa_instance_state") or type(value).__hash__ is None:
            return _Same(value)  # a related row: the same object, the same key
        return value
    return None


def _combination(build: Build, fields: tuple[tuple[str, ...], ...]) -> tuple[Any, ...] | None:
    parts = []
    for names in fields:
        part = _component(build, names)
        if part is None:
            return None
        parts.append(part)
    return tuple(parts)


def keep_unique_together(build: Build, groups: list[UniqueGroup], declared: dict[str, Any]) -> None:
    """Redraw the inferred fields of any group whose combination was made before."""
    for group in groups:
        fields = group.fields
        seen = build.state.unique_set(group.key)
        combination = _combination(build, fields)
        if combination is None:
            continue
        if combination in seen:
            free = [
                names[0]
                for names in fields
                if names[0] not in build.overrides
                and isinstance(declared.get(names[0], _INFERRED), Declaration)
            ]
            lazy = [name for name, value in declared.items() if isinstance(value, Lazy)]
            for _ in range(_TRIES if free else 0):
                _redraw(build, free + lazy)
                combination = _combination(build, fields)
                if combination is None or combination not in seen:
                    break
            else:
                stretch = [n for n in free if n in group.stretchable and n not in declared]
                if stretch:
                    _make_distinct(build, group, stretch[-1], seen)
                    combination = _combination(build, fields)
        if combination is not None:
            seen.add(combination)


def _redraw(build: Build, names: list[str]) -> None:
    values = build.values
    for name in names:
        values.pop(name, None)
    for name in names:
        build.get(name)


def _make_distinct(build: Build, group: UniqueGroup, name: str, seen: set[Any]) -> None:
    """Give ``name`` a value (a number appended or added) that makes the combination new."""
    position = [names[0] for names in group.fields].index(name)
    combination = _combination(build, group.fields)
    value = build.values.get(name)
    if combination is None or not isinstance(value, (str, int)) or isinstance(value, bool):
        return
    rest = combination[:position] + combination[position + 1 :]
    taken = {c[position] for c in seen if c[:position] + c[position + 1 :] == rest}
    build.values[name] = disambiguate(value, taken, len(taken), group.stretchable[name])
