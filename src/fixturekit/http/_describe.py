"""How routes and requests read in messages: route labels, and why a request missed a route."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from respx.patterns import Lookup, Pattern, _And

from fixturekit._internal.checks import unknown_keyword

__all__ = [
    "METHODS",
    "check_lookups",
    "describe_pattern",
    "label_for",
    "method_of",
    "normalise_url",
    "under",
    "unmatched_message",
]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

_OPERATORS = {
    Lookup.EQUAL: "==",
    Lookup.REGEX: "~",
    Lookup.STARTS_WITH: "starts with",
    Lookup.CONTAINS: "contains",
    Lookup.IN: "in",
}


def method_of(method: object) -> str:
    """``method`` as a request carries it (``"get"`` -> ``"GET"``)."""
    if not isinstance(method, str) or not method.strip():
        raise TypeError(f"method must be an HTTP method such as 'GET', not {method!r}")
    return method.strip().upper()


def under(base: str, path: str) -> str:
    """``path`` under ``base``, as respx's ``base_url`` puts it (appended, not RFC-joined)."""
    if httpx.URL(path).is_absolute_url:
        return path
    return base.rstrip("/") + "/" + path.lstrip("/")


def normalise_url(url: str) -> str:
    """An absolute URL as httpx writes it; a relative one is refused."""
    parsed = httpx.URL(url)
    if not parsed.is_absolute_url:
        raise ValueError(
            f"url {url!r} is not absolute; write 'https://api.test/path' (or create "
            "FakeHTTP(base_url=...) and give a path)"
        )
    return str(parsed)


def check_lookups(function: str, lookups: Mapping[str, Any], options: Sequence[str]) -> None:
    """Refuse a route keyword that is neither a respx pattern (with its lookup) nor an
    option such as ``name``."""
    valid = sorted([*Pattern.registry, "url"])
    for key in lookups:
        if key.split("__", 1)[0] not in valid:
            raise unknown_keyword(
                function,
                key,
                [*valid, *options],
                what="route keywords (respx patterns, with lookups such as path__regex=)",
            )


def label_for(lookups: Mapping[str, Any], patterns: Sequence[Pattern], base: str | None) -> str:
    """A route's label from the arguments that made it ("" when given respx patterns)."""
    if patterns:
        return ""
    method = lookups.get("method")
    url = lookups.get("url")
    parts = []
    if isinstance(method, str):
        parts.append(method.upper())
    if isinstance(url, str):
        parts.append(under(base, url) if base else url)
    elif isinstance(url, re.Pattern):
        parts.append(f"/{url.pattern}/")
    elif url is None:
        parts.append(f"{base}*" if base else "any URL")
    for key, value in lookups.items():
        if key not in ("method", "url"):
            parts.append(f"{key}={value!r}")
    return " ".join(parts)


def _leaves(pattern: Pattern) -> list[Pattern]:
    if isinstance(pattern, _And):
        left, right = pattern.value
        return _leaves(left) + _leaves(right)
    return [pattern] if pattern else []


def _describe_leaf(leaf: Pattern) -> str:
    key = getattr(leaf, "key", None)
    if key is None:
        return repr(leaf)
    value = leaf.value
    if isinstance(value, re.Pattern):
        shown = f"/{value.pattern}/"
    elif isinstance(value, (httpx.Headers, httpx.QueryParams)):
        shown = repr(dict(value.multi_items()))
    else:
        shown = repr(value)
    if key == "json":
        path = getattr(leaf, "path", None)
        key = f"json[{path.replace('__', '.')}]" if path else "json"
    base = getattr(leaf, "base", None)
    prefix = f"under {base.value!r} " if base is not None else ""
    return f"{key} {prefix}{_OPERATORS[leaf.lookup]} {shown}"


def describe_pattern(pattern: Pattern) -> str:
    """``url == 'https://api.test/x' & method == 'GET'``: a respx pattern in words."""
    leaves = _leaves(pattern)
    if not leaves:
        return "any request"
    return " & ".join(_describe_leaf(leaf) for leaf in leaves)


def _request_value(leaf: Pattern, request: httpx.Request) -> str:
    try:
        value = leaf.parse(request)
    except Exception:
        return "unreadable"
    if isinstance(value, (httpx.Headers, httpx.QueryParams)):
        return repr(dict(value.multi_items()))
    return repr(value)


def _mismatches(pattern: Pattern, request: httpx.Request) -> list[str]:
    problems = []
    for leaf in _leaves(pattern):
        if not leaf.match(request):
            key = getattr(leaf, "key", "pattern")
            problems.append(
                f"{key} was {_request_value(leaf, request)}, route wants {_describe_leaf(leaf)}"
            )
    return problems


def unmatched_message(request: httpx.Request, routes: Sequence[tuple[str, Pattern]]) -> str:
    """Why no route (given as label and pattern) matched ``request``, closest first."""
    lines = [f"FakeHTTP: no route matches {request.method} {request.url}"]
    if not routes:
        lines[0] += "; this fake has no routes at all."
    else:
        ranked = sorted(
            ((label, _mismatches(pattern, request)) for label, pattern in routes),
            key=lambda item: len(item[1]),
        )
        lines[0] += f"; the {len(routes)} route(s), closest first:"
        for label, problems in ranked[:10]:
            lines.append(f"  - {label}")
            lines.extend(f"      {problem}" for problem in problems)
        if len(routes) > 10:
            lines.append(f"  ... and {len(routes) - 10} more")
    path = request.url.copy_with(query=None)
    lines.append(
        f"add a route such as http.{request.method.lower()}({str(path)!r}).respond(...)"
        if request.method in METHODS
        else f"add a route such as http.request({request.method!r}, {str(path)!r})"
    )
    return "\n".join(lines)
