"""Constraints read from a field's metadata, as one dict of names factories understand.

* ``Annotated[...]`` metadata: annotated-types objects (``Ge``, ``MaxLen``...) and
  pydantic's ``Field(...)`` / ``FieldInfo`` metadata (``min_length``, ``max_length``,
  ``ge``/``gt``/``le``/``lt``, ``multiple_of``, ``pattern``, ``max_digits``,
  ``decimal_places``, UUID versions);
* attrs validators (``max_len``, ``min_len``, ``ge``/``gt``/``le``/``lt``, ``matches_re``,
  ``in_``, and the validators combining them).
"""

from __future__ import annotations

import re
import typing
from typing import Any

__all__ = ["attrs_constraints", "collect"]

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


def collect(metadata: typing.Iterable[Any], into: dict[str, Any] | None = None) -> dict[str, Any]:
    """Constraints from annotated-types objects, pydantic metadata and FieldInfos."""
    out: dict[str, Any] = {} if into is None else into
    for item in metadata:
        inner = getattr(item, "metadata", None)
        if isinstance(inner, list):  # a FieldInfo inside Annotated[...]
            collect(inner, out)
        for name in _CONSTRAINT_NAMES:
            value = getattr(item, name, None)
            if value is not None and not callable(value):
                out[name] = value
    return out


def attrs_constraints(validator: Any, out: dict[str, Any]) -> None:
    if validator is None:
        return
    for inner in getattr(validator, "_validators", ()) or ():
        attrs_constraints(inner, out)
    if hasattr(validator, "validator") and type(validator).__name__ == "_OptionalValidator":
        attrs_constraints(validator.validator, out)
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
