"""Payload checks: what a JSON broker would deliver, or a `PayloadError` naming the path.

A real broker serializes every payload. Whatever would not come back identical
(datetimes, sets, tuples, UUIDs, ORM instances, non-string keys...) is refused at push
time, with the path of the offending value and how to send it instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from fixturekit.errors import PayloadError

__all__ = ["check_payload", "find_unserializable", "hint_for"]

_MAX_DEPTH = 200


class _Bad(Exception):
    """Raised while walking a payload; collects the path on the way out."""

    def __init__(self, value: Any, problem: str, hint: str) -> None:
        self.value = value
        self.problem = problem
        self.hint = hint
        self.keys: list[str] = []


def hint_for(value: Any) -> tuple[str, str]:
    """What is wrong with ``value`` in JSON, and how to send it instead."""
    kind = type(value)
    name = kind.__qualname__
    if kind.__module__ not in ("builtins",):
        name = f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(value, Enum):
        return (
            f"is an enum member ({name}); JSON has no enums and the handler would get a "
            "plain value",
            "send member.value (or member.name)",
        )
    if isinstance(value, (datetime, date, time)):
        return (
            f"is a {name}; JSON has no dates or times",
            "send value.isoformat() and parse it in the handler",
        )
    if isinstance(value, (set, frozenset)):
        return (f"is a {kind.__name__}; JSON has no sets", "send a list, e.g. sorted(value)")
    if isinstance(value, tuple):
        return (
            f"is a {name}; JSON has no tuples, so the handler would get a list",
            "send a list",
        )
    if isinstance(value, (bytes, bytearray, memoryview)):
        return (
            f"is {kind.__name__}; JSON has no bytes",
            "send base64.b64encode(value).decode() and decode it in the handler",
        )
    if isinstance(value, float):
        return (
            f"is {value!r}; JSON has no NaN or Infinity (brokers reject or mangle them)",
            "send None or a string",
        )
    if isinstance(value, (str, int, dict, list)):
        plain = kind.__mro__[1].__name__
        return (
            f"is a {name}, a subclass of {plain}; after JSON the handler would get a plain {plain}",
            "convert it to the plain type first",
        )
    if hasattr(value, "_sa_instance_state"):
        return (
            f"is a SQLAlchemy model instance ({name}); a broker cannot carry a database row",
            "send its primary key (e.g. user.id) and load the row in the handler",
        )
    if hasattr(value, "model_dump") and hasattr(type(value), "model_fields"):
        return (f"is a pydantic model ({name})", "send value.model_dump(mode='json')")
    if hasattr(type(value), "__dataclass_fields__"):
        return (
            f"is a dataclass instance ({name})",
            "send a dict of JSON values, e.g. dataclasses.asdict(value) with dates as strings",
        )
    if name in ("decimal.Decimal", "uuid.UUID"):
        return (f"is a {name}; JSON has no {kind.__name__}", "send str(value)")
    return (
        f"is a {name}",
        "only dict (with str keys), list, str, int, float, bool and None survive a JSON round trip",
    )


def _json_copy(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` as JSON would give it back; `_Bad` if it would not be identical."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        raise _Bad(value, *hint_for(value))
    if depth > _MAX_DEPTH:
        raise _Bad(
            value,
            f"is nested more than {_MAX_DEPTH} levels deep (does it contain itself?)",
            "send a flatter payload",
        )
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _Bad(
                    key,
                    f"has the key {key!r} ({type(key).__name__}); JSON object keys are "
                    f"strings, so the handler would get {_json_key(key)!r}",
                    "use str keys",
                )
            try:
                out[key] = _json_copy(item, depth + 1)
            except _Bad as bad:
                bad.keys.append(f"[{key!r}]")
                raise
        return out
    if kind is list:
        copied = []
        for index, item in enumerate(value):
            try:
                copied.append(_json_copy(item, depth + 1))
            except _Bad as bad:
                bad.keys.append(f"[{index}]")
                raise
        return copied
    raise _Bad(value, *hint_for(value))


def _json_key(key: Any) -> str:
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    return str(key)


def check_payload(payload: Any, *, name: str = "job") -> Any:
    """Return the copy of ``payload`` a JSON broker would deliver, or raise `PayloadError`.

    ``name`` is the job's name, for the message.
    """
    try:
        return _json_copy(payload)
    except _Bad as bad:
        path = "payload" + "".join(reversed(bad.keys))
        shown = repr(bad.value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        raise PayloadError(
            f"job {name!r}: {path} {bad.problem} (value: {shown}). A real broker serializes "
            f"payloads, so this job would not reach its handler as pushed: {bad.hint}",
            path=path,
            value=bad.value,
        ) from None


def find_unserializable(body: Any, survives: Callable[[Any], bool]) -> tuple[str, Any]:
    """The path and value of the innermost part of ``body`` that ``survives`` refuses."""
    path = "payload"
    value = body
    while True:
        children: list[tuple[str, Any]] = []
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    return f"{path} key {key!r}", key
                children.append((f"[{key!r}]", item))
        elif isinstance(value, (list, tuple)):
            children = [(f"[{index}]", item) for index, item in enumerate(value)]
        for suffix, child in children:
            if not survives(child):
                path += suffix
                value = child
                break
        else:
            return path, value
