"""Matching recorded things (mails, jobs, requests, charges) against what a test expects.

Every fake's ``assert_*`` methods use this module, so they all accept the same
matchers and fail with the same kind of message:

* an exact value: ``subject="Welcome"``;
* a compiled regular expression, searched in the value's text: ``subject=re.compile("^Wel")``;
* a callable returning a truth value: ``subject=lambda s: "Welcome" in s``.

When the recorded value is a list, tuple, set or frozenset and the expected one is
not, it matches if any element matches (``to="a@example.com"`` matches a mail sent to
several people).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Mismatch", "describe_matcher", "explain", "filter_matching", "mismatches"]

T = TypeVar("T")

_COLLECTIONS = (list, tuple, set, frozenset)


def _matches_one(expected: Any, actual: Any) -> bool:
    if isinstance(expected, re.Pattern):
        return actual is not None and expected.search(str(actual)) is not None
    if callable(expected) and not isinstance(expected, type):
        return bool(expected(actual))
    return bool(expected == actual)


def value_matches(expected: Any, actual: Any) -> bool:
    """Whether ``actual`` satisfies the matcher ``expected`` (see the module docstring)."""
    if isinstance(actual, _COLLECTIONS) and not isinstance(expected, _COLLECTIONS):
        return any(_matches_one(expected, item) for item in actual)
    return _matches_one(expected, actual)


def describe_matcher(expected: Any) -> str:
    """How a matcher reads in a failure message."""
    if isinstance(expected, re.Pattern):
        return f"matching /{expected.pattern}/"
    if callable(expected) and not isinstance(expected, type):
        name = getattr(expected, "__qualname__", None) or repr(expected)
        return f"accepted by {name}"
    return repr(expected)


@dataclass(frozen=True)
class Mismatch:
    """One field whose recorded value did not satisfy the matcher."""

    field: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return f"{self.field} was {self.actual!r}, expected {describe_matcher(self.expected)}"


def _field(record: Any, name: str) -> Any:
    if isinstance(record, Mapping):
        return record.get(name)
    return getattr(record, name, None)


def mismatches(
    record: Any,
    criteria: Mapping[str, Any],
    get: Callable[[Any, str], Any] = _field,
) -> list[Mismatch]:
    """The fields of ``record`` (attributes, or keys of a mapping) that fail ``criteria``."""
    found = []
    for name, expected in criteria.items():
        actual = get(record, name)
        if not value_matches(expected, actual):
            found.append(Mismatch(name, expected, actual))
    return found


def filter_matching(
    records: Iterable[T],
    criteria: Mapping[str, Any],
    get: Callable[[Any, str], Any] = _field,
) -> list[T]:
    """The records that satisfy every criterion, in their original order."""
    return [record for record in records if not mismatches(record, criteria, get)]


@dataclass(frozen=True)
class _Ranked(Generic[T]):
    record: T
    problems: list[Mismatch]


def explain(
    what: str,
    criteria: Mapping[str, Any],
    records: Sequence[T],
    describe: Callable[[T], str],
    *,
    get: Callable[[Any, str], Any] = _field,
    limit: int = 10,
) -> str:
    """A failure message: what was expected, then what did happen, closest match first.

    ``what`` names the expectation ("a mail", "a job 'send_welcome'"); ``describe``
    renders one record in a line.
    """
    wanted = ", ".join(f"{key}={describe_matcher(value)}" for key, value in criteria.items())
    lines = [f"expected {what}" + (f" with {wanted}" if wanted else "") + ", but"]
    if not records:
        lines[0] += " nothing was recorded at all"
        return lines[0]
    ranked = sorted(
        (_Ranked(record, mismatches(record, criteria, get)) for record in records),
        key=lambda item: len(item.problems),
    )
    count = len(records)
    lines[0] += f" none of the {count} recorded matched (closest first):"
    for item in ranked[:limit]:
        lines.append(f"  - {describe(item.record)}")
        lines.extend(f"      {problem}" for problem in item.problems)
    if count > limit:
        lines.append(f"  ... and {count - limit} more")
    return "\n".join(lines)
