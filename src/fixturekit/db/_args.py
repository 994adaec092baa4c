"""Argument checking for the database block's public entry points."""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["keywords"]

P = ParamSpec("P")
R = TypeVar("R")


def keywords(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn Python's "unexpected keyword argument" into an error listing the valid names."""
    valid = [
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
    ]

    known = frozenset(valid)

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs and not known.issuperset(kwargs):
            unknown = [name for name in kwargs if name not in known]
            close = difflib.get_close_matches(unknown[0], valid, n=1)
            hint = f" (did you mean {close[0]}=?)" if close else ""
            raise TypeError(
                f"{fn.__qualname__}() got an unexpected keyword argument {unknown[0]!r}"
                f"{hint}; its keyword arguments are: {', '.join(valid)}"
            )
        return fn(*args, **kwargs)

    return wrapper
