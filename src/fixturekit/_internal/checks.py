"""Argument checks every public entry point shares, so that every block words them alike.

* `keywords`: a decorator turning Python's bare "unexpected keyword argument" into an
  error that suggests the closest valid name and lists them all;
* `unknown_keyword`: the same error for functions taking ``**criteria``;
* `check_bool`, `check_count`, `check_name`: flags, counts and names.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Collection, Iterable
from typing import ParamSpec, TypeVar

__all__ = [
    "check_bool",
    "check_count",
    "check_criteria",
    "check_name",
    "keywords",
    "unknown_keyword",
]

P = ParamSpec("P")
R = TypeVar("R")


def unknown_keyword(function: str, name: str, valid: Iterable[str], *, what: str = "") -> TypeError:
    """``function() got an unexpected keyword argument 'nme' (did you mean name=?); ...``.

    ``what`` names the valid ones when they are not the function's arguments
    ("a mail's fields"); by default they are "its keyword arguments".
    """
    valid = list(valid)
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f" (did you mean {close[0]}=?)" if close else ""
    listed = ", ".join(valid) if valid else "(none)"
    return TypeError(
        f"{function}() got an unexpected keyword argument {name!r}{hint}; "
        f"{what or 'its keyword arguments'} are: {listed}"
    )


def check_criteria(
    function: str, criteria: Iterable[str], valid: Collection[str], what: str
) -> None:
    """Refuse the first name of ``criteria`` that is not in ``valid``."""
    for name in criteria:
        if name not in valid:
            raise unknown_keyword(function, name, valid, what=what)


def keywords(fn: Callable[P, R]) -> Callable[P, R]:
    """Reject unknown keyword arguments with the closest valid name and the full list.

    Costs one set comparison per call when the keywords are right.
    """
    valid = [
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
    ]
    known = frozenset(valid)
    name = fn.__qualname__.removesuffix(".__init__")  # "TokenMinter()", not "...__init__()"

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs and not known.issuperset(kwargs):
            unknown = next(key for key in kwargs if key not in known)
            raise unknown_keyword(name, unknown, valid)
        return fn(*args, **kwargs)

    return wrapper


def check_bool(value: object, what: str) -> bool:
    """``what`` must be True or False (not 1, not "yes")."""
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be True or False, not {value!r}")
    return value


def check_count(value: object, what: str, *, minimum: int = 0) -> int:
    """``what`` must be a whole number >= ``minimum`` (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{what} must be a whole number >= {minimum}, not {value!r}")
    return value


def check_name(value: object, what: str, *, example: str = "'name'") -> str:
    """``what`` must be a non-empty str."""
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{what} must be a non-empty str such as {example}, not {value!r}")
    return value
