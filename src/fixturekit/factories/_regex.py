"""Strings that match a regular expression, for ``pattern=`` constraints.

Walks the tree Python's own regex parser builds and draws each piece from a
`random.Random`, so the result depends only on that generator. Covers what field
patterns use in practice: literals, classes and ranges, ``\\d \\w \\s``, ``.``, groups,
alternation, every kind of repetition, anchors and back-references. Look-arounds and
word boundaries are not generated but checked: a candidate that fails them is drawn
again. Every result is verified against the compiled pattern before it is returned.
"""

from __future__ import annotations

import random
import re
import string
import sys
from typing import Any

from fixturekit.errors import PatternError

if sys.version_info >= (3, 11):
    from re import _parser as sre_parse
else:  # pragma: no cover - Python 3.10
    import sre_parse

__all__ = ["string_matching"]

_PRINTABLE = [chr(c) for c in range(32, 127)]
_WORD = string.ascii_letters + string.digits + "_"
_CATEGORIES: dict[str, str] = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters + "_-",
    "CATEGORY_WORD": _WORD,
    "CATEGORY_NOT_WORD": " -.,;:!?",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": _WORD,
}
_MAX_ATTEMPTS = 300


def _name(op: Any) -> str:
    return str(getattr(op, "name", op))


class _Generator:
    def __init__(
        self, rng: random.Random, ignore_case: bool, spread: int, max_length: int | None
    ) -> None:
        self.rng = rng
        self.ignore_case = ignore_case
        self.spread = spread
        self.max_length = max_length
        self.groups: dict[int, str] = {}

    def emit(self, items: Any) -> str:
        return "".join(self.one(op, av) for op, av in items)

    def _char(self, c: str) -> str:
        if self.ignore_case and self.rng.random() < 0.5:
            return c.swapcase()
        return c

    def _class(self, items: Any) -> str:
        negate = False
        chars: list[str] = []
        for op, av in items:
            name = _name(op)
            if name == "NEGATE":
                negate = True
            elif name == "LITERAL":
                chars.append(chr(av))
            elif name == "RANGE":
                lo, hi = av
                if hi - lo > 200:
                    hi = lo + 200
                chars.extend(chr(c) for c in range(lo, hi + 1))
            elif name == "CATEGORY":
                chars.extend(_CATEGORIES.get(_name(av), ""))
        if negate:
            excluded = set(chars)
            if self.ignore_case:
                excluded |= {c.swapcase() for c in chars}
            pool = [c for c in _PRINTABLE if c not in excluded]
            return self.rng.choice(pool) if pool else ""
        return self._char(self.rng.choice(chars)) if chars else ""

    def one(self, op: Any, av: Any) -> str:
        rng = self.rng
        name = _name(op)
        if name == "LITERAL":
            return self._char(chr(av))
        if name == "NOT_LITERAL":
            return rng.choice([c for c in _PRINTABLE if ord(c) != av])
        if name == "ANY":
            return rng.choice(_WORD)
        if name == "IN":
            return self._class(av)
        if name == "BRANCH":
            return self.emit(rng.choice(av[1]))
        if name == "SUBPATTERN":
            group, _add, _del, sub = av
            text = self.emit(sub)
            if group is not None:
                self.groups[group] = text
            return text
        if name == "ATOMIC_GROUP":
            return self.emit(av)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = av
            if high == sre_parse.MAXREPEAT or high > low + self.spread:
                high = low + self.spread
            if self.max_length is not None:
                high = max(low, min(high, self.max_length))
            return "".join(self.emit(sub) for _ in range(rng.randint(low, high)))
        if name == "GROUPREF":
            return self.groups.get(av, "")
        if name == "GROUPREF_EXISTS":
            group, yes, no = av
            if group in self.groups:
                return self.emit(yes)
            return self.emit(no) if no is not None else ""
        # AT (anchors, boundaries), ASSERT, ASSERT_NOT: nothing to emit; checked below.
        return ""


def string_matching(
    pattern: str | re.Pattern[str],
    rng: random.Random,
    *,
    min_length: int | None = None,
    max_length: int | None = None,
) -> str:
    """A string ``pattern`` matches (``re.search``), within the length bounds."""
    compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern)
    tree = sre_parse.parse(compiled.pattern, compiled.flags)
    ignore_case = bool(compiled.flags & re.IGNORECASE)
    low = min_length or 0
    for attempt in range(_MAX_ATTEMPTS):
        spread = max(4, low) + attempt // 20
        generator = _Generator(rng, ignore_case, spread, max_length)
        candidate = generator.emit(tree)
        if len(candidate) < low or (max_length is not None and len(candidate) > max_length):
            continue
        if compiled.search(candidate) is not None:
            return candidate
    bounds = ""
    if min_length is not None or max_length is not None:
        top = "any" if max_length is None else max_length
        bounds = f" with length in [{min_length or 0}, {top}]"
    raise PatternError(
        f"could not generate a string matching {compiled.pattern!r}{bounds}; declare the "
        "field on the factory (e.g. fk.Sequence or a fixed value) instead"
    )
