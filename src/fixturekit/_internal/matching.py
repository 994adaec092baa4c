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
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fixturekit._internal.checks import check_count, check_criteria
from fixturekit.errors import FakeAssertionError

__all__ = [
    "Mismatch",
    "Recordings",
    "describe_matcher",
    "explain",
    "filter_matching",
    "mismatches",
    "value_matches",
    "wanted",
]

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


# --- one assertion surface for every fake -----------------------------------------------------


def wanted(criteria: Mapping[str, Any]) -> str:
    """``to='a@example.com', subject=matching /^Wel/``: criteria as a failure message says them."""
    return ", ".join(f"{key}={describe_matcher(value)}" for key, value in criteria.items())


class Recordings(Generic[T]):
    """What one fake recorded under one verb, and the assertions over it.

    Each fake keeps one of these per verb (mail ``sent``, queue ``pushed``, HTTP
    ``called``, payments ``charged`` and ``refunded``) and its public ``find`` /
    ``assert_<verb>`` / ``assert_not_<verb>`` / ``assert_<verb>_count`` /
    ``assert_nothing_<verb>`` are one line each over it, so every fake matches, counts,
    waits and words its failures the same way:

    * matchers are those of `value_matches` (exact value, regex, callable; a list field
      matches when any item does);
    * ``assert_<verb>`` returns the *latest* match;
    * ``timeout=`` waits up to that many seconds of real time for a match (for work done
      on other threads), then fails with the usual listing;
    * every match is reported to ``seen`` (strict mode's "an assertion looked at it").
    """

    def __init__(
        self,
        *,
        verb: str,
        noun: tuple[str, str],
        records: Callable[[], Sequence[T]],
        describe: Callable[[T], str],
        fields: Sequence[str],
        get: Callable[[Any, str], Any] = _field,
        prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        seen: Callable[[Sequence[T]], None] | None = None,
        note: Callable[[Mapping[str, Any]], str] | None = None,
    ) -> None:
        self.verb = verb
        self.singular, self.plural = noun
        self.records = records
        self.describe = describe
        self.fields = tuple(fields)
        self._field_set = frozenset(fields)
        self.get = get
        self.prepare = prepare
        self.seen = seen
        self.note = note

    # --- criteria ---------------------------------------------------------------------------

    def criteria(self, function: str, match: Mapping[str, Any]) -> dict[str, Any]:
        """``match`` checked against the fields (unknown names get a suggestion), prepared."""
        if not self._field_set.issuperset(match):
            check_criteria(function, match, self.fields, f"{self.plural}' fields")
        checked = dict(match)
        return self.prepare(checked) if self.prepare is not None else checked

    def _matching(self, criteria: Mapping[str, Any]) -> tuple[Sequence[T], list[T]]:
        records = self.records()
        if not criteria:
            return records, list(records)
        return records, filter_matching(records, criteria, self.get)

    def _mark(self, matched: Sequence[T]) -> None:
        if self.seen is not None and matched:
            self.seen(matched)

    def _listing(self, head: str, records: Sequence[T]) -> str:
        lines = [head]
        lines += [f"  - {self.describe(record)}" for record in records] or ["  (none)"]
        return "\n".join(lines)

    def _with(self, criteria: Mapping[str, Any]) -> str:
        text = wanted(criteria)
        return f" with {text}" if text else ""

    def _note(self, criteria: Mapping[str, Any]) -> str:
        return self.note(criteria) if self.note is not None else ""

    # --- the four assertions and find -----------------------------------------------------

    def find(self, function: str, match: Mapping[str, Any]) -> list[T]:
        """The records matching ``match``, in the order they happened."""
        return self._matching(self.criteria(function, match))[1]

    def assert_(
        self,
        function: str,
        match: Mapping[str, Any],
        *,
        times: int | None = None,
        timeout: float | None = None,
    ) -> T:
        """At least one record matches (exactly ``times``, if given); the latest match."""
        __tracebackhide__ = True
        if times is not None:
            check_count(times, "times", minimum=1)
        deadline = _deadline(timeout)
        criteria = self.criteria(function, match)
        while True:
            records, matched = self._matching(criteria)
            if matched and (times is None or len(matched) == times):
                self._mark(matched)
                return matched[-1]
            if not _wait(deadline):
                break
        waited = _waited(timeout)
        if not matched:
            message = explain(f"a {self.singular}", criteria, records, self.describe, get=self.get)
            raise FakeAssertionError(message + waited + self._note(criteria))
        head = (
            f"expected {times} {self.plural}{self._with(criteria)}, "
            f"but {len(matched)} matched{waited}:"
        )
        raise FakeAssertionError(self._listing(head, matched) + self._note(criteria))

    def assert_not(self, function: str, match: Mapping[str, Any]) -> None:
        """No record matches."""
        __tracebackhide__ = True
        criteria = self.criteria(function, match)
        _, matched = self._matching(criteria)
        if matched:
            self._mark(matched)
            head = f"expected no {self.singular}{self._with(criteria)}, but {len(matched)} matched:"
            raise FakeAssertionError(self._listing(head, matched))

    def assert_count(
        self,
        function: str,
        count: int,
        match: Mapping[str, Any],
        *,
        timeout: float | None = None,
    ) -> list[T]:
        """Exactly ``count`` records match; returns them."""
        __tracebackhide__ = True
        check_count(count, "count")
        deadline = _deadline(timeout)
        criteria = self.criteria(function, match)
        while True:
            _, matched = self._matching(criteria)
            if len(matched) == count:
                self._mark(matched)
                return matched
            if not _wait(deadline):
                break
        head = (
            f"expected {count} {self.plural} {self.verb}{self._with(criteria)}, "
            f"but {len(matched)} were{_waited(timeout)}:"
        )
        raise FakeAssertionError(self._listing(head, matched) + self._note(criteria))

    def assert_nothing(self, function: str) -> None:
        """Nothing was recorded at all."""
        __tracebackhide__ = True
        records = self.records()
        if records:
            head = f"expected no {self.singular} {self.verb} at all, but {len(records)} were:"
            raise FakeAssertionError(self._listing(head, records))


def _deadline(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
        raise ValueError(f"timeout must be a number of seconds >= 0, not {timeout!r}")
    return time.monotonic() + timeout


def _wait(deadline: float | None) -> bool:
    """Sleep a little if the deadline has not passed; False once it has."""
    if deadline is None:
        return False
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    time.sleep(min(0.005, left))
    return True


def _waited(timeout: float | None) -> str:
    return f" (after waiting {timeout:g}s)" if timeout else ""
