"""FakeHTTP: answers the application's httpx requests from routes; NetworkGuard: no stray
connections.

```python
import httpx
from fixturekit.http import FakeHTTP

with FakeHTTP() as http:
    http.get("https://api.test/rates").respond(json={"eur": 1.1})
    assert httpx.get("https://api.test/rates").json() == {"eur": 1.1}
    http.assert_called("GET", "https://api.test/rates")
```

`FakeHTTP` is built on respx: routes take respx's patterns (method, URL, ``params``,
``headers``, ``json``, ``data``, lookups such as ``path__regex``) and are respx routes,
so ``route.mock(side_effect=...)``, ``route.calls`` and ``route.pass_through()`` work as
in respx. On top of that it is strict (a request no route matches fails, and so do routes
never called), scripts sequences and failures (``respond(503, times=2)``, ``timeout()``),
records every request on the fake's timeline at the clock's time, and asserts like the
other fakes (``assert_called`` returns the call, failures list what was called, closest
first).

Module name note: inside fixturekit this module is always imported absolutely
(``fixturekit.http``); it never shadows the standard library's `http` package.
"""

from __future__ import annotations

import inspect
import json as jsonlib
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, cast

import httpx
import respx
from respx.mocks import Mocker
from respx.models import (
    AllMockedAssertionError,
    Call,
    PassThrough,
    SideEffectError,
    clone_response,
)
from respx.patterns import Lookup, Pattern, _And

from fixturekit._internal import matching as _matching
from fixturekit._netguard import LOOPBACK, BlockedConnection, NetworkBlocked, NetworkGuard
from fixturekit.clock import Clock
from fixturekit.harness import Fake, Timeline

__all__ = [
    "LOOPBACK",
    "BlockedConnection",
    "FakeHTTP",
    "HTTPCall",
    "HTTPRoute",
    "NetworkBlocked",
    "NetworkGuard",
    "RouteExhausted",
    "UnmatchedRequest",
]

#: The keywords `FakeHTTP.assert_called` and friends match calls on.
MATCH_FIELDS: tuple[str, ...] = (
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

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_ROUTE_OPTIONS = ("name", "optional")


class UnmatchedRequest(AllMockedAssertionError):
    """A request reached a `FakeHTTP` that no route matches.

    An `AssertionError` (so that application code catching ``httpx.HTTPError`` does not
    swallow it); the fake also fails when it exits, in case something caught it anyway.
    """


class RouteExhausted(AssertionError):
    """A route's scripted responses (``times=``) are used up and it has no default answer."""


# --- calls --------------------------------------------------------------------------------


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
        query = self.request.url.params
        found: dict[str, str | list[str]] = {}
        for key in query:
            values = query.get_list(key)
            found[key] = values[0] if len(values) == 1 else values
        return found

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
        form = httpx.QueryParams(self.request.content.decode("utf-8", "replace"))
        found: dict[str, str | list[str]] = {}
        for key in form:
            values = form.get_list(key)
            found[key] = values[0] if len(values) == 1 else values
        return found

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


def _call_field(call: Any, name: str, *, query: bool = True) -> Any:
    if name == "route":
        return call.route_name
    if name == "error":
        return None if call.error is None else type(call.error)
    if name == "url" and not query:
        return str(call.request.url.copy_with(query=None))
    return getattr(call, name, None)


def _call_field_without_query(call: Any, name: str) -> Any:
    return _call_field(call, name, query=False)


def _normalise_url(url: str) -> str:
    parsed = httpx.URL(url)
    if not parsed.is_absolute_url:
        raise ValueError(
            f"url {url!r} is not absolute; write 'https://api.test/path' (or create "
            "FakeHTTP(base_url=...) and give a path)"
        )
    return str(parsed)


class _Contains:
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
            if key not in items or not _matching.value_matches(want, items[key]):
                return False
        return True

    def __repr__(self) -> str:
        return f"containing {self.expected!r}"


# --- routes ---------------------------------------------------------------------------------


@dataclass
class _Step:
    make: Callable[[httpx.Request], httpx.Response]
    label: str
    times: int
    used: int = 0


class HTTPRoute(respx.Route):
    """A respx route with sequences, scripted failures and an `optional` flag.

    ``respond(...)`` without ``times=`` sets the answer to every call, as in respx.
    ``respond(..., times=n)``, ``fail(..., times=n)``, ``timeout(times=n)`` and
    ``connection_error(times=n)`` add scripted steps, used in the order they were
    added, each ``n`` times; once they are used up the route answers with its default
    (``respond()`` without ``times=``), or, if it has none, fails with `RouteExhausted`.
    """

    def __init__(self, *patterns: Pattern, **lookups: Any) -> None:
        super().__init__(*patterns, **lookups)
        self._steps: list[_Step] = []
        self._optional = False
        self._label = ""
        self._lock = threading.Lock()

    # --- configuring -------------------------------------------------------------------

    def respond(
        self,
        status_code: int = 200,
        *,
        times: int | None = None,
        headers: Any = None,
        cookies: Any = None,
        content: Any = None,
        text: str | None = None,
        html: str | None = None,
        json: Any = None,
        stream: Any = None,
        content_type: str | None = None,
        http_version: str | None = None,
        **kwargs: Any,
    ) -> HTTPRoute:
        """Answer with this response: every call, or the next ``times`` calls."""
        if type(status_code) is not int or not 100 <= status_code <= 599:
            raise ValueError(
                f"status_code must be an int HTTP status between 100 and 599, not {status_code!r}"
            )
        if kwargs:
            raise TypeError(
                f"respond() got unexpected keyword(s) {', '.join(map(repr, sorted(kwargs)))}; "
                "it takes status_code, times, headers, cookies, content, text, html, json, "
                "stream, content_type, http_version"
            )
        given = [n for n, v in (("content", content), ("text", text), ("html", html)) if v]
        if json is not None:
            given.append("json")
        if len(given) > 1:
            raise TypeError(f"respond() takes one body, got {' and '.join(given)}")
        if times is None:
            super().respond(
                status_code,
                headers=headers,
                cookies=cookies,
                content=content,
                text=text,
                html=html,
                json=json,
                stream=stream,
                content_type=content_type,
                http_version=http_version,
            )
            return self
        count = _check_times(times)
        response = respx.MockResponse(
            status_code,
            headers=headers,
            cookies=cookies,
            content=content,
            text=text,
            html=html,
            json=json,
            stream=stream,
            content_type=content_type,
            http_version=http_version,
        )

        def make(request: httpx.Request) -> httpx.Response:
            return clone_response(response, request)

        self._add_step(_Step(make, str(status_code), count))
        return self

    def fail(
        self, error: BaseException | type[BaseException], *, times: int | None = None
    ) -> HTTPRoute:
        """Raise ``error`` instead of answering: every call, or the next ``times`` calls.

        An exception class is instantiated per call; ``httpx`` request errors
        (``httpx.ConnectTimeout``, ``httpx.ConnectError``...) get the request attached, as
        the real transport does, so retry code sees what it would in production.
        """
        _check_error(error)
        label = f"raise {error.__name__ if isinstance(error, type) else type(error).__name__}"

        def make(request: httpx.Request) -> httpx.Response:
            raise _build_error(error, request)

        if times is None:
            self.mock(side_effect=make)
            return self
        self._add_step(_Step(make, label, _check_times(times)))
        return self

    def timeout(self, *, times: int | None = None) -> HTTPRoute:
        """Time out (``httpx.ReadTimeout``): every call, or the next ``times`` calls."""
        return self.fail(httpx.ReadTimeout, times=times)

    def connection_error(self, *, times: int | None = None) -> HTTPRoute:
        """Fail to connect (``httpx.ConnectError``): every call, or the next ``times`` calls."""
        return self.fail(httpx.ConnectError, times=times)

    def optional(self, value: bool = True) -> HTTPRoute:
        """Mark the route as optional: the fake does not fail at exit if it was never called."""
        if not isinstance(value, bool):
            raise TypeError(f"optional() takes True or False, not {value!r}")
        self._optional = value
        return self

    @property
    def is_optional(self) -> bool:
        return self._optional

    @property
    def pending(self) -> list[str]:
        """The scripted answers not used yet, e.g. ``['503', '503', 'raise ReadTimeout']``."""
        with self._lock:
            return [step.label for step in self._steps for _ in range(step.times - step.used)]

    def rewind(self) -> None:
        """Start the scripted steps over and forget the calls (`FakeHTTP.reset` does this)."""
        with self._lock:
            for step in self._steps:
                step.used = 0
        self.calls.clear()

    def _add_step(self, step: _Step) -> None:
        with self._lock:
            self._steps.append(step)

    # --- answering ------------------------------------------------------------------------

    def _next_step(self) -> _Step | None:
        with self._lock:
            for step in self._steps:
                if step.used < step.times:
                    step.used += 1
                    return step
        return None

    def _has_default(self) -> bool:
        return self._return_value is not None or self._side_effect is not None

    def resolve(self, request: httpx.Request, **kwargs: Any) -> Any:
        step = self._next_step()
        if step is not None:
            try:
                return step.make(request)
            except Exception as error:
                raise SideEffectError(self, origin=error) from error
        if self._steps and not self._has_default():
            used = sum(s.times for s in self._steps)
            exhausted = RouteExhausted(
                f"FakeHTTP: {request.method} {request.url} matched the route {self.label}, "
                f"whose {used} scripted answer(s) are used up and which has no default; add "
                "route.respond(...) without times= for the calls after them"
            )
            raise SideEffectError(self, origin=exhausted)
        return super().resolve(request, **kwargs)

    # --- describing ----------------------------------------------------------------------

    @property
    def label(self) -> str:
        """How the route reads in messages: its name, method and URL pattern."""
        text = self._label or _describe_pattern(self.pattern)
        return f"{text} (name {self.name!r})" if self.name else text

    def __repr__(self) -> str:
        return f"<HTTPRoute {self.label}>"


def _check_times(times: object) -> int:
    if type(times) is not int or times < 1:
        raise ValueError(f"times must be a whole number >= 1, not {times!r}")
    return times


def _check_error(error: object) -> None:
    if isinstance(error, BaseException):
        return
    if isinstance(error, type) and issubclass(error, Exception):
        return
    raise TypeError(
        f"fail() takes an exception such as httpx.ConnectTimeout (the class or an "
        f"instance), not {error!r}"
    )


def _build_error(error: BaseException | type[BaseException], request: httpx.Request) -> Exception:
    if isinstance(error, type):
        if issubclass(error, httpx.RequestError):
            return error(
                f"{error.__name__} scripted by FakeHTTP for {request.method} {request.url}",
                request=request,
            )
        built = error()
        assert isinstance(built, Exception)
        return built
    if isinstance(error, httpx.RequestError):
        try:
            error.request  # noqa: B018 - raises when no request is attached
        except RuntimeError:
            error.request = request
    return cast(Exception, error)


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
    operator = {
        Lookup.EQUAL: "==",
        Lookup.REGEX: "~",
        Lookup.STARTS_WITH: "starts with",
        Lookup.CONTAINS: "contains",
        Lookup.IN: "in",
    }[leaf.lookup]
    base = getattr(leaf, "base", None)
    prefix = f"under {base.value!r} " if base is not None else ""
    return f"{key} {prefix}{operator} {shown}"


def _describe_pattern(pattern: Pattern) -> str:
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


def _route_mismatches(route: HTTPRoute, request: httpx.Request) -> list[str]:
    problems = []
    for leaf in _leaves(route.pattern):
        if not leaf.match(request):
            key = getattr(leaf, "key", "pattern")
            problems.append(
                f"{key} was {_request_value(leaf, request)}, route wants {_describe_leaf(leaf)}"
            )
    return problems


# --- the fake ---------------------------------------------------------------------------------


class _Router(respx.Router):
    """The respx router FakeHTTP registers with respx's httpcore mocker."""

    def __init__(self, fake: FakeHTTP, base_url: str | None) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=True, base_url=base_url)
        self.fake = fake

    def handler(self, request: httpx.Request) -> httpx.Response:
        return self.fake._handle(request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        return await self.fake._ahandle(request)


def _method_of(method: object) -> str:
    if not isinstance(method, str) or not method.strip():
        raise TypeError(f"method must be an HTTP method such as 'GET', not {method!r}")
    return method.strip().upper()


class FakeHTTP(Fake):
    """A respx router that answers the application's httpx requests; also a fake.

    Arguments:
        base_url: routes given a path (``http.get("/rates")``) are under this URL.
        assert_all_called: fail at exit when a route that is not `HTTPRoute.optional`
            was never called, or has scripted answers left (default True).
        assert_all_mocked: a request no route matches raises `UnmatchedRequest` and fails
            the fake at exit (default True); with False it gets an empty 200, as in respx.
        pass_through: hosts whose unmatched requests go to the real network (say
            ``("127.0.0.1",)`` for a local server); needs ``patch=True``.
        patch: intercept every httpx client (default); with False only clients built on
            `transport` are answered.
        clock: the clock calls are stamped with, as for every `fixturekit.Fake`.
        timeline: where calls are recorded, as for every `fixturekit.Fake`.

    While it runs (``with FakeHTTP() as http:``), every ``httpx.Client`` and
    ``httpx.AsyncClient`` request goes through the routes, first match wins.
    """

    name = "http"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        assert_all_called: bool = True,
        assert_all_mocked: bool = True,
        pass_through: Iterable[str] = (),
        patch: bool = True,
        clock: Clock | None = None,
        timeline: Timeline | None = None,
    ) -> None:
        for option, value in (
            ("assert_all_called", assert_all_called),
            ("assert_all_mocked", assert_all_mocked),
            ("patch", patch),
        ):
            if not isinstance(value, bool):
                raise TypeError(f"{option} must be True or False, not {value!r}")
        if base_url is not None and (
            not isinstance(base_url, str) or not httpx.URL(base_url).is_absolute_url
        ):
            raise ValueError(
                f"base_url must be an absolute URL such as 'https://api.test', not {base_url!r}"
            )
        if isinstance(pass_through, (str, bytes)) or not isinstance(pass_through, Iterable):
            raise TypeError(
                f"pass_through must be a list of hosts such as ('127.0.0.1',), not {pass_through!r}"
            )
        hosts = tuple(pass_through)
        if not all(isinstance(h, str) and h for h in hosts):
            raise TypeError(f"pass_through must hold host names (str), got {hosts!r}")
        self._base_url = base_url
        self._assert_all_called = assert_all_called
        self._assert_all_mocked = assert_all_mocked
        self._pass_through = frozenset(h.lower().strip("[]") for h in hosts)
        self._patch = patch
        self._router = _Router(self, base_url)
        self._lock = threading.RLock()
        self._calls: list[HTTPCall] = []
        self._unmatched: list[HTTPCall] = []
        self._quiet = False
        self._patched = False
        super().__init__(clock=clock, timeline=timeline)

    # --- state --------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the calls and start every route's scripted answers over; keep the routes."""
        with self._lock:
            self._calls = []
            self._unmatched = []
        self._router.calls.clear()
        for route in self.routes:
            route.rewind()

    @property
    def router(self) -> respx.Router:
        """The underlying respx router (for respx-level features)."""
        return self._router

    @property
    def routes(self) -> tuple[HTTPRoute, ...]:
        return tuple(cast(HTTPRoute, route) for route in self._router.routes)

    def __getitem__(self, name: str) -> HTTPRoute:
        try:
            return cast(HTTPRoute, self._router.routes[name])
        except KeyError:
            names = [r.name for r in self._router.routes if r.name]
            known = ", ".join(map(repr, names)) if names else "no named routes"
            raise KeyError(f"no route named {name!r}; this fake has {known}") from None

    @property
    def calls(self) -> list[HTTPCall]:
        """Every request seen, in order (a copy), answered or not."""
        with self._lock:
            return list(self._calls)

    @property
    def unmatched(self) -> list[HTTPCall]:
        """The requests no route matched (they fail the fake at exit)."""
        with self._lock:
            return list(self._unmatched)

    def transport(self) -> httpx.MockTransport:
        """An httpx transport answering from these routes, for clients you build yourself
        (``httpx.Client(transport=http.transport())``); needs no patching."""
        return httpx.MockTransport(self._router.handler)

    # --- routes ---------------------------------------------------------------------------

    def route(
        self, *patterns: Pattern, name: str | None = None, optional: bool = False, **lookups: Any
    ) -> HTTPRoute:
        """A route for requests matching respx ``patterns`` and ``lookups`` (``method=``,
        ``url=``, ``host=``, ``path__regex=``, ``params=``, ``headers=``, ``json=``,
        ``data=``...). Adding a route with the same pattern again returns the existing one."""
        _check_lookups(lookups)
        if name is not None and (not isinstance(name, str) or not name):
            raise TypeError(f"name must be a non-empty str, not {name!r}")
        if not isinstance(optional, bool):
            raise TypeError(f"optional must be True or False, not {optional!r}")
        url = lookups.get("url")
        if (
            isinstance(url, str)
            and self._base_url is None
            and not url.startswith(("http:", "https:"))
        ):
            raise ValueError(
                f"url {url!r} is relative; give an absolute URL such as "
                f"'https://api.test{url if url.startswith('/') else '/' + url}', or create "
                "FakeHTTP(base_url='https://api.test')"
            )
        try:
            new = HTTPRoute(*patterns, **lookups)
        except (KeyError, NotImplementedError, ValueError) as exc:
            raise ValueError(f"invalid route {lookups!r}: {exc}") from None
        new._label = _label_for(lookups, patterns, self._base_url)
        route = cast(HTTPRoute, self._router.add(new, name=name))
        if route is not new and not route._label:
            route._label = new._label
        if optional:
            route._optional = True
        return route

    def request(
        self,
        method: str,
        url: str | re.Pattern[str] | None = None,
        *,
        name: str | None = None,
        optional: bool = False,
        **lookups: Any,
    ) -> HTTPRoute:
        """A route for ``method`` requests to ``url`` (str, regex, or None for any URL)."""
        if "method" in lookups or any(k.startswith("method__") for k in lookups):
            raise TypeError("give the method once: request('GET', url), not method=...")
        if url is not None:
            if "url" in lookups:
                raise TypeError("give the url once, positionally")
            lookups["url"] = url
        return self.route(method=_method_of(method), name=name, optional=optional, **lookups)

    def get(self, url: str | re.Pattern[str] | None = None, **options: Any) -> HTTPRoute:
        """A route for GET requests to ``url``: ``http.get(url).respond(json=...)``."""
        return self.request("GET", url, **options)

    def post(self, url: str | re.Pattern[str] | None = None, **options: Any) -> HTTPRoute:
        """A route for POST requests to ``url``."""
        return self.request("POST", url, **options)

    def put(self, url: str | re.Pattern[str] | None = None, **options: Any) -> HTTPRoute:
        """A route for PUT requests to ``url``."""
        return self.request("PUT", url, **options)

    def patch(self, url: str | re.Pattern[str] | None = None, **options: Any) -> HTTPRoute:
        """A route for PATCH requests to ``url``."""
        return self.request("PATCH", url, **options)

    def delete(self, url: str | re.Pattern[str] | None = None, **options: Any) -> HTTPRoute:
        """A route for DELETE requests to ``url``."""
        return self.request("DELETE", url, **options)

    def head(self, url: str | re.Pattern[str] | None = None, **options: Any) -> HTTPRoute:
        """A route for HEAD requests to ``url``."""
        return self.request("HEAD", url, **options)

    def options(self, url: str | re.Pattern[str] | None = None, **options: Any) -> HTTPRoute:
        """A route for OPTIONS requests to ``url``."""
        return self.request("OPTIONS", url, **options)

    # --- answering requests ------------------------------------------------------------------

    def _try(self, route: HTTPRoute, request: httpx.Request) -> tuple[bool, Any]:
        """(matched, outcome): a Response, the request (pass through), an error or an
        awaitable (async side effect)."""
        try:
            outcome = route.match(request)
        except SideEffectError as error:
            return True, error.origin
        return outcome is not None, outcome

    def _handle(self, request: httpx.Request) -> httpx.Response:
        for route in self.routes:
            matched, outcome = self._try(route, request)
            if inspect.isawaitable(outcome):
                close = getattr(outcome, "close", None)
                if close is not None:
                    close()
                outcome = TypeError(
                    f"the route {route.label} has an async side effect, but "
                    f"{request.method} {request.url} came from a sync client; use a sync "
                    "function as side effect"
                )
            if matched:
                return self._finish(request, route, outcome)
        return self._finish(request, None, None)

    async def _ahandle(self, request: httpx.Request) -> httpx.Response:
        for route in self.routes:
            matched, outcome = self._try(route, request)
            if inspect.isawaitable(outcome):
                try:
                    outcome = await outcome
                except Exception as error:
                    outcome = error
                matched = outcome is not None
            if matched:
                response = self._finish(request, route, outcome)
                if isinstance(response.stream, httpx.ByteStream):
                    await response.aread()
                return response
        return self._finish(request, None, None)

    def _finish(
        self, request: httpx.Request, route: HTTPRoute | None, outcome: Any
    ) -> httpx.Response:
        __tracebackhide__ = True
        if route is None:
            return self._unmatched_request(request)
        if outcome is request:
            self._record(request, None, None, route, passed_through=True)
            raise PassThrough(
                f"FakeHTTP passes {request.method} {request.url} through",
                request=request,
                origin=route,
            )
        if isinstance(outcome, BaseException):
            self._record(request, None, outcome, route)
            raise outcome
        if not isinstance(outcome, httpx.Response):
            error = TypeError(
                f"the route {route.label} produced {outcome!r}; side effects return an "
                "httpx.Response, the request (pass through), or None (no match)"
            )
            self._record(request, None, error, route)
            raise error
        response = outcome if outcome._request is not None else clone_response(outcome, request)
        if isinstance(response.stream, httpx.ByteStream):
            response.read()
        self._record(request, response, None, route)
        return response

    def _unmatched_request(self, request: httpx.Request) -> httpx.Response:
        __tracebackhide__ = True
        host = request.url.host.lower()
        if host in self._pass_through:
            self._record(request, None, None, None, passed_through=True)
            raise PassThrough(
                f"FakeHTTP passes {request.method} {request.url} through (pass_through hosts)",
                request=request,
                origin=cast(respx.Route, None),
            )
        if self._another_router_takes(request):
            # Another active respx router (a respx.mock the test started) handles it.
            raise AllMockedAssertionError(f"FakeHTTP has no route for {request!r}")
        if not self._assert_all_mocked:
            response = httpx.Response(200, request=request)
            self._record(request, response, None, None)
            return response
        error = UnmatchedRequest(self._unmatched_message(request))
        self._record(request, None, error, None)
        raise error

    def _another_router_takes(self, request: httpx.Request) -> bool:
        for router in Mocker.registry["httpcore"].routers:
            if router is self._router:
                continue
            if not router._assert_all_mocked:
                return True
            for route in router.routes:
                if not route.pattern or route.pattern.match(request):
                    return True
        return False

    def _unmatched_message(self, request: httpx.Request) -> str:
        lines = [f"FakeHTTP: no route matches {request.method} {request.url}"]
        routes = self.routes
        if not routes:
            lines[0] += "; this fake has no routes at all."
        else:
            ranked = sorted(
                ((route, _route_mismatches(route, request)) for route in routes),
                key=lambda item: len(item[1]),
            )
            lines[0] += f"; the {len(routes)} route(s), closest first:"
            for route, problems in ranked[:10]:
                lines.append(f"  - {route.label}")
                lines.extend(f"      {problem}" for problem in problems)
            if len(routes) > 10:
                lines.append(f"  ... and {len(routes) - 10} more")
        path = request.url.copy_with(query=None)
        lines.append(
            f"add a route such as http.{request.method.lower()}({str(path)!r}).respond(...)"
            if request.method in _METHODS
            else f"add a route such as http.request({request.method!r}, {str(path)!r})"
        )
        return "\n".join(lines)

    def _record(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        error: BaseException | None,
        route: HTTPRoute | None,
        *,
        passed_through: bool = False,
    ) -> HTTPCall:
        call = HTTPCall(
            request=request,
            response=response,
            error=error,
            route=route,
            at=self.clock.now(),
            passed_through=passed_through,
            route_name=None if route is None else route.name,
        )
        with self._lock:
            self._calls.append(call)
            if route is None and not passed_through and error is not None:
                self._unmatched.append(call)
            if route is not None:
                route.calls.append(Call(request=request, optional_response=response))
            self._router.calls.record(request, response)
        self.record(
            f"{call.method} {call.url} -> {call.outcome}",
            method=call.method,
            url=call.url,
            status=call.status,
            route=call.route_name,
        )
        return call

    # --- assertions -----------------------------------------------------------------------

    def _criteria(
        self, method: object, url: object, match: Mapping[str, Any]
    ) -> tuple[dict[str, Any], Callable[[Any, str], Any]]:
        unknown = sorted(set(match) - set(MATCH_FIELDS))
        if unknown:
            raise TypeError(
                f"unknown keyword(s) {', '.join(map(repr, unknown))}; calls match on "
                f"method, url, {', '.join(MATCH_FIELDS)}"
            )
        criteria: dict[str, Any] = {}
        getter: Callable[[Any, str], Any] = _call_field
        if method is not None:
            if isinstance(method, str):
                criteria["method"] = _method_of(method)
            else:
                criteria["method"] = method
        if isinstance(url, httpx.URL):
            url = str(url)
        if isinstance(url, str):
            if self._base_url is not None and not httpx.URL(url).is_absolute_url:
                url = _under(self._base_url, url)
            url = _normalise_url(url)
            if not httpx.URL(url).query:
                # As respx routes do: a URL without a query string matches any query.
                getter = _call_field_without_query
        if url is not None:
            criteria["url"] = url
        for key, value in match.items():
            if key in ("headers", "params") and isinstance(value, Mapping):
                value = _Contains(key, value, fold_case=key == "headers")
            criteria[key] = value
        return criteria, getter

    def _matching(
        self, criteria: Mapping[str, Any], getter: Callable[[Any, str], Any]
    ) -> list[HTTPCall]:
        return _matching.filter_matching(self.calls, criteria, getter)

    def _explain(self, criteria: Mapping[str, Any], getter: Callable[[Any, str], Any]) -> str:
        return "FakeHTTP: " + _matching.explain("a request", criteria, self.calls, str, get=getter)

    def assert_called(
        self,
        method: str | None = None,
        url: str | re.Pattern[str] | Callable[[str], bool] | None = None,
        *,
        times: int | None = None,
        **match: Any,
    ) -> HTTPCall:
        """Assert a request matching ``method``, ``url`` and ``match`` was made (exactly
        ``times`` times if given); return the first matching call.

        ``url`` without a query string matches any query (as respx routes do);
        ``headers=`` and ``params=`` dicts match calls that have at least those items;
        every value may also be a regex or a callable (see `fixturekit._internal.matching`).
        """
        __tracebackhide__ = True
        if times is not None:
            _check_count(times, "times")
        criteria, getter = self._criteria(method, url, match)
        found = self._matching(criteria, getter)
        if not found:
            raise AssertionError(self._explain(criteria, getter))
        if times is not None and len(found) != times:
            raise AssertionError(_count_message(criteria, times, found))
        return found[0]

    def assert_called_once(
        self,
        method: str | None = None,
        url: str | re.Pattern[str] | Callable[[str], bool] | None = None,
        **match: Any,
    ) -> HTTPCall:
        """Assert exactly one matching request was made; return it."""
        __tracebackhide__ = True
        return self.assert_called(method, url, times=1, **match)

    def assert_called_times(
        self,
        times: int,
        method: str | None = None,
        url: str | re.Pattern[str] | Callable[[str], bool] | None = None,
        **match: Any,
    ) -> list[HTTPCall]:
        """Assert exactly ``times`` matching requests were made (0 allowed); return them."""
        __tracebackhide__ = True
        _check_count(times, "times", allow_zero=True)
        criteria, getter = self._criteria(method, url, match)
        found = self._matching(criteria, getter)
        if len(found) != times:
            if not found:
                raise AssertionError(
                    self._explain(criteria, getter).replace(
                        "expected a request", f"expected {times} request(s)", 1
                    )
                )
            raise AssertionError(_count_message(criteria, times, found))
        return found

    def assert_not_called(
        self,
        method: str | None = None,
        url: str | re.Pattern[str] | Callable[[str], bool] | None = None,
        **match: Any,
    ) -> None:
        """Assert no matching request was made (with no arguments: no request at all)."""
        __tracebackhide__ = True
        criteria, getter = self._criteria(method, url, match)
        found = self._matching(criteria, getter)
        if found:
            wanted = ", ".join(f"{k}={_matching.describe_matcher(v)}" for k, v in criteria.items())
            listing = "\n".join(f"  - {call}" for call in found[:10])
            raise AssertionError(
                f"FakeHTTP: expected no request{' with ' + wanted if wanted else ''}, but "
                f"{len(found)} matched:\n{listing}"
            )

    def assert_all_called(self) -> None:
        """Assert every route that is not optional was called and used its scripted answers."""
        __tracebackhide__ = True
        problems = self._route_problems()
        if problems:
            raise AssertionError("FakeHTTP: " + "\n".join(problems))

    def _route_problems(self) -> list[str]:
        lines = []
        unused = [r for r in self.routes if not r.is_optional and not r.called]
        if unused:
            lines.append(
                f"{len(unused)} route(s) were never called (mark a route optional with "
                "http.get(..., optional=True) if that is fine):"
            )
            lines.extend(f"  - {route.label}" for route in unused)
        leftover = [r for r in self.routes if not r.is_optional and r.called and r.pending]
        for route in leftover:
            pending = route.pending
            lines.append(
                f"the route {route.label} has {len(pending)} scripted answer(s) never used: "
                f"{', '.join(pending)}"
            )
        return lines

    def skip_exit_checks(self) -> None:
        """Do not fail at exit for unused routes or unmatched requests, this once.

        Leaving a ``with`` block on an exception does this by itself; the pytest fixture
        calls it when the test already failed, so only the real failure is reported.
        """
        self._quiet = True

    # --- lifecycle ----------------------------------------------------------------------------

    def on_start(self) -> None:
        self._quiet = False
        if self._patch:
            mocker = Mocker.registry["httpcore"]
            mocker.register(self._router)
            mocker.start()
            self._patched = True

    def on_stop(self) -> None:
        __tracebackhide__ = True
        if self._patched:
            mocker = Mocker.registry["httpcore"]
            mocker.unregister(self._router)
            mocker.stop()
            self._patched = False
        quiet, self._quiet = self._quiet, False
        if quiet:
            return
        problems = []
        unmatched = self.unmatched
        if unmatched:
            problems.append(
                f"{len(unmatched)} request(s) matched no route "
                "(each raised UnmatchedRequest; something may have caught it):"
            )
            problems.extend(f"  - {call.method} {call.url}" for call in unmatched)
        if self._assert_all_called:
            problems.extend(self._route_problems())
        if problems:
            raise AssertionError("FakeHTTP at exit: " + "\n".join(problems))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._quiet = True
        self.stop()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        state = " running" if self.running else ""
        return (
            f"<FakeHTTP {self.name!r} {len(self.routes)} routes, {len(self._calls)} calls{state}>"
        )


# --- helpers ---------------------------------------------------------------------------------


def _valid_lookup_keys() -> list[str]:
    return sorted([*Pattern.registry, "url"])


def _check_lookups(lookups: Mapping[str, Any]) -> None:
    valid = set(_valid_lookup_keys())
    for key in lookups:
        base = key.split("__", 1)[0]
        if base not in valid:
            raise TypeError(
                f"unknown route keyword {key!r}; routes match on {', '.join(sorted(valid))} "
                "(with lookups such as path__regex=, params__eq=), "
                f"plus {', '.join(_ROUTE_OPTIONS)}"
            )


def _label_for(lookups: Mapping[str, Any], patterns: Sequence[Pattern], base: str | None) -> str:
    if patterns:
        return ""
    method = lookups.get("method")
    url = lookups.get("url")
    parts = []
    if isinstance(method, str):
        parts.append(method.upper())
    if isinstance(url, str):
        parts.append(_under(base, url) if base else url)
    elif isinstance(url, re.Pattern):
        parts.append(f"/{url.pattern}/")
    elif url is None:
        parts.append(f"{base}*" if base else "any URL")
    for key, value in lookups.items():
        if key not in ("method", "url"):
            parts.append(f"{key}={value!r}")
    return " ".join(parts)


def _under(base: str, path: str) -> str:
    """``path`` under ``base``, as respx's ``base_url`` puts it (appended, not RFC-joined)."""
    if httpx.URL(path).is_absolute_url:
        return path
    return base.rstrip("/") + "/" + path.lstrip("/")


def _check_count(value: object, what: str, *, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    if type(value) is not int or value < low:
        raise ValueError(f"{what} must be a whole number >= {low}, not {value!r}")


def _count_message(criteria: Mapping[str, Any], times: int, found: Sequence[HTTPCall]) -> str:
    wanted = ", ".join(f"{k}={_matching.describe_matcher(v)}" for k, v in criteria.items())
    listing = "\n".join(f"  - {call.at.isoformat()} {call}" for call in found[:10])
    return (
        f"FakeHTTP: expected {times} request(s){' with ' + wanted if wanted else ''}, "
        f"but {len(found)} matched:\n{listing}"
    )
