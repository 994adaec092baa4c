"""HTTPCall: one request a `FakeHTTP` saw, and how assertions read its fields."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from fixturekit._internal.matching import value_matches
from fixturekit.errors import RouteExhausted, UnmatchedRequest
from fixturekit.http._describe import method_of, normalise_url, under

if TYPE_CHECKING:
    from fixturekit.http._route import HTTPRoute

__all__ = [
    "MATCH_FIELDS",
    "CallURL",
    "Contains",
    "HTTPCall",
    "call_field",
    "join_criteria",
    "multi_dict",
    "prepare_criteria",
]

#: The fields `FakeHTTP.assert_called` and friends match calls on.
MATCH_FIELDS: tuple[str, ...] = (
    "method",
    "url",
    "host",
    "path",
    "params",
    "headers",
    "json",
    "data",
    "content",
    "text",
    "status",
    "route",
    "error",
)


def multi_dict(items: httpx.QueryParams) -> dict[str, str | list[str]]:
    """One value per name, or a list when a name repeats."""
    found: dict[str, str | list[str]] = {}
    for key in items:
        values = items.get_list(key)
        found[key] = values[0] if len(values) == 1 else values
    return found


@dataclass(frozen=True, eq=False)
class HTTPCall:
    """One request a `FakeHTTP` saw, with what it answered (a response or an error)."""

    request: httpx.Request
    response: httpx.Response | None
    error: BaseException | None
    route: HTTPRoute | None
    at: datetime
    passed_through: bool = False
    #: The route's name (if it has one); for matching with ``route="name"``.
    route_name: str | None = field(default=None)

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def url(self) -> str:
        return str(self.request.url)

    @property
    def host(self) -> str:
        return self.request.url.host

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def params(self) -> dict[str, str | list[str]]:
        """The query string: one value per name, or a list when a name repeats."""
        return multi_dict(self.request.url.params)

    @property
    def headers(self) -> httpx.Headers:
        return self.request.headers

    @property
    def content(self) -> bytes:
        return self.request.content

    @property
    def text(self) -> str:
        return self.request.content.decode("utf-8", "replace")

    @property
    def json(self) -> Any:
        """The request body parsed as JSON; None when it is empty or not JSON."""
        body = self.request.content
        if not body:
            return None
        try:
            return jsonlib.loads(body)
        except ValueError:
            return None

    @property
    def data(self) -> dict[str, str | list[str]] | None:
        """The form-encoded body as a dict; None when the body is not a form."""
        kind = self.request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            return None
        return multi_dict(httpx.QueryParams(self.request.content.decode("utf-8", "replace")))

    @property
    def status(self) -> int | None:
        """The response's status code; None when the call raised or passed through."""
        return None if self.response is None else self.response.status_code

    def __str__(self) -> str:
        return f"{self.method} {self.url} -> {self.outcome}"

    @property
    def outcome(self) -> str:
        """What the fake answered, as it reads in messages and on the timeline."""
        if self.passed_through:
            return "passed through to the network"
        if self.error is not None:
            if isinstance(self.error, UnmatchedRequest):
                return "no route matched"
            if isinstance(self.error, RouteExhausted):
                return "route exhausted"
            return f"raised {type(self.error).__name__}"
        assert self.response is not None
        return str(self.response.status_code)


class CallURL(str):
    """A call's URL as assertions compare it: an expected URL without a query string
    equals it whatever its query (as respx routes match); one with a query, exactly."""

    def __new__(cls, url: httpx.URL) -> CallURL:
        made = super().__new__(cls, str(url))
        made._bare = str(url.copy_with(query=None)) if url.query else None
        return made

    _bare: str | None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return NotImplemented
        if str.__eq__(self, other):
            return True
        return self._bare is not None and "?" not in other and self._bare == other

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = str.__hash__


def call_field(call: HTTPCall, name: str) -> Any:
    """The value a matcher for ``name`` sees (``route``: the route's name, ``error``: the
    error's class, ``url``: a `CallURL`)."""
    if name == "route":
        return call.route_name
    if name == "error":
        return None if call.error is None else type(call.error)
    if name == "url":
        return CallURL(call.request.url)
    return getattr(call, name, None)


class Contains:
    """Matches a mapping (headers, params) holding at least these items."""

    def __init__(self, what: str, expected: Mapping[str, Any], *, fold_case: bool) -> None:
        if not isinstance(expected, Mapping):
            raise TypeError(f"{what}= must be a dict such as {{'x': '1'}}, not {expected!r}")
        self.what = what
        self.fold = fold_case
        self.expected = {(k.lower() if fold_case else k): v for k, v in expected.items()}

    def __call__(self, actual: object) -> bool:
        if isinstance(actual, httpx.Headers):
            items: Mapping[str, Any] = {k.lower(): v for k, v in actual.items()}
        elif isinstance(actual, Mapping):
            items = {(k.lower() if self.fold else k): v for k, v in actual.items()}
        else:
            return False
        for key, want in self.expected.items():
            if key not in items or not value_matches(want, items[key]):
                return False
        return True

    def __repr__(self) -> str:
        return f"containing {self.expected!r}"


def join_criteria(method: object, url: object, match: dict[str, Any]) -> dict[str, Any]:
    """``method`` and ``url`` (given positionally) joined to the other criteria."""
    if url is not None:
        match = {"url": url, **match}
    if method is not None:
        match = {"method": method, **match}
    return match


def prepare_criteria(criteria: dict[str, Any], base_url: str | None) -> dict[str, Any]:
    """Criteria as calls are matched: method upper-cased, url absolute (under
    ``base_url``), ``headers``/``params`` dicts as "at least these items"."""
    method = criteria.get("method")
    if isinstance(method, str):
        criteria["method"] = method_of(method)
    url = criteria.get("url")
    if isinstance(url, httpx.URL):
        url = str(url)
    if isinstance(url, str):
        if base_url is not None and not httpx.URL(url).is_absolute_url:
            url = under(base_url, url)
        criteria["url"] = normalise_url(url)
    for key in ("headers", "params"):
        value = criteria.get(key)
        if isinstance(value, Mapping):
            criteria[key] = Contains(key, value, fold_case=key == "headers")
    return criteria
