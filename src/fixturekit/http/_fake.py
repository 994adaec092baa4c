"""FakeHTTP: answers the application's httpx requests from respx routes, records every call."""

from __future__ import annotations

import functools
import inspect
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, cast

import httpx
import respx
from respx.mocks import Mocker
from respx.models import AllMockedAssertionError, Call, PassThrough, SideEffectError, clone_response
from respx.patterns import Pattern

from fixturekit._internal.checks import check_bool, check_name, keywords
from fixturekit._internal.matching import Recordings
from fixturekit.clock import Clock
from fixturekit.errors import FakeAssertionError, UnmatchedRequest
from fixturekit.harness import Fake, Timeline
from fixturekit.http._call import (
    MATCH_FIELDS,
    HTTPCall,
    call_field,
    join_criteria,
    prepare_criteria,
)
from fixturekit.http._describe import check_lookups, label_for, method_of, unmatched_message
from fixturekit.http._faults import Fault, RequestFaults, check_fault
from fixturekit.http._route import HTTPRoute, unused_routes

__all__ = ["FakeHTTP"]

_ROUTE_OPTIONS = ("name", "optional")

P = ParamSpec("P")

URLPattern = str | re.Pattern[str] | None
URLMatcher = str | re.Pattern[str] | Callable[[str], bool] | None


class _Router(respx.Router):
    """The respx router FakeHTTP registers with respx's httpcore mocker."""

    def __init__(self, fake: FakeHTTP, base_url: str | None) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=True, base_url=base_url)
        self.fake = fake

    def handler(self, request: httpx.Request) -> httpx.Response:
        return self.fake._handle(request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        return await self.fake._ahandle(request)


def _refuse_respx_name(init: Callable[P, None]) -> Callable[P, None]:
    """Say what ``assert_all_called=`` (respx's name) is called here."""

    @functools.wraps(init)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        if "assert_all_called" in kwargs:
            raise TypeError(
                "FakeHTTP() got assert_all_called=, respx's name for what FakeHTTP calls "
                "strict=; write strict=False to allow routes that are never called"
            )
        init(*args, **kwargs)

    return wrapper


class FakeHTTP(Fake):
    """A respx router that answers the application's httpx requests; also a fake.

    Arguments:
        base_url: routes given a path (``http.get("/rates")``) are under this URL.
        strict: fail at exit when a route that is not `HTTPRoute.optional` was never
            called, has scripted answers left, or a `fail_next` was never used (default
            True, as respx's ``assert_all_called``).
        assert_all_mocked: a request no route matches raises `UnmatchedRequest` and fails
            the fake at exit, strict or not (default True); with False it gets an empty
            200, as in respx.
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

    @_refuse_respx_name
    @keywords
    def __init__(
        self,
        *,
        base_url: str | None = None,
        strict: bool = True,
        assert_all_mocked: bool = True,
        pass_through: Iterable[str] = (),
        patch: bool = True,
        clock: Clock | None = None,
        timeline: Timeline | None = None,
    ) -> None:
        check_bool(assert_all_mocked, "assert_all_mocked")
        check_bool(patch, "patch")
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
        super().__init__(clock=clock, timeline=timeline, strict=strict)
        self._base_url = base_url
        self._assert_all_mocked = assert_all_mocked
        self._pass_through = frozenset(h.lower().strip("[]") for h in hosts)
        self._patch = patch
        self._router = _Router(self, base_url)
        self._lock = threading.RLock()
        self._calls: list[HTTPCall] = []
        self._unmatched: list[HTTPCall] = []
        self._faults = RequestFaults()
        self._patched = False
        self._called: Recordings[HTTPCall] = Recordings(
            verb="called",
            noun=("request", "requests"),
            records=lambda: self.calls,
            describe=str,
            fields=MATCH_FIELDS,
            get=call_field,
            prepare=lambda criteria: prepare_criteria(criteria, self._base_url),
        )

    # --- state --------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the calls and pending `fail_next` failures, and start every route's
        scripted answers over; keep the routes."""
        with self._lock:
            self._calls = []
            self._unmatched = []
        self._faults.clear()
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
            raise KeyError(f"no route named {name!r}; this fake has {self._names()}") from None

    def _names(self) -> str:
        names = [r.name for r in self._router.routes if r.name]
        return ", ".join(map(repr, names)) if names else "no named routes"

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
        return self._add("route", patterns, name, optional, lookups)

    def _add(
        self,
        function: str,
        patterns: tuple[Pattern, ...],
        name: object,
        optional: object,
        lookups: dict[str, Any],
    ) -> HTTPRoute:
        check_lookups(function, lookups, _ROUTE_OPTIONS)
        if name is not None:
            check_name(name, "name", example="'rates'")
        check_bool(optional, "optional")
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
        new._label = label_for(lookups, patterns, self._base_url)
        route = cast(HTTPRoute, self._router.add(new, name=cast("str | None", name)))
        if route is not new and not route._label:
            route._label = new._label
        if optional:
            route._optional = True
        return route

    def request(
        self,
        method: str,
        url: URLPattern = None,
        *,
        name: str | None = None,
        optional: bool = False,
        **lookups: Any,
    ) -> HTTPRoute:
        """A route for ``method`` requests to ``url`` (str, regex, or None for any URL);
        ``get``, ``post``... take the same keywords."""
        return self._verb("request", method, url, {"name": name, "optional": optional, **lookups})

    def _verb(self, function: str, method: str, url: object, options: dict[str, Any]) -> HTTPRoute:
        name = options.pop("name", None)
        optional = options.pop("optional", False)
        if "method" in options or any(k.startswith("method__") for k in options):
            raise TypeError(f"give the method once: request('GET', url), not {function}(method=)")
        if url is not None:
            if "url" in options:
                raise TypeError("give the url once, positionally")
            options["url"] = url
        options["method"] = method_of(method)
        return self._add(function, (), name, optional, options)

    def get(self, url: URLPattern = None, **options: Any) -> HTTPRoute:
        """A route for GET requests to ``url``: ``http.get(url).respond(json=...)``."""
        return self._verb("get", "GET", url, options)

    def post(self, url: URLPattern = None, **options: Any) -> HTTPRoute:
        """A route for POST requests to ``url``."""
        return self._verb("post", "POST", url, options)

    def put(self, url: URLPattern = None, **options: Any) -> HTTPRoute:
        """A route for PUT requests to ``url``."""
        return self._verb("put", "PUT", url, options)

    def patch(self, url: URLPattern = None, **options: Any) -> HTTPRoute:
        """A route for PATCH requests to ``url``."""
        return self._verb("patch", "PATCH", url, options)

    def delete(self, url: URLPattern = None, **options: Any) -> HTTPRoute:
        """A route for DELETE requests to ``url``."""
        return self._verb("delete", "DELETE", url, options)

    def head(self, url: URLPattern = None, **options: Any) -> HTTPRoute:
        """A route for HEAD requests to ``url``."""
        return self._verb("head", "HEAD", url, options)

    def options(self, url: URLPattern = None, **options: Any) -> HTTPRoute:
        """A route for OPTIONS requests to ``url``."""
        return self._verb("options", "OPTIONS", url, options)

    # --- fault injection ----------------------------------------------------------------------

    @keywords
    def fail_next(
        self,
        error: BaseException | type[BaseException] | int = httpx.ConnectError,
        *,
        times: int = 1,
        on: str | None = None,
        message: str | None = None,
    ) -> None:
        """Make the next ``times`` requests (to the route named ``on``, or any request)
        fail with ``error``, before any route answers them.

        ``error`` is an exception class (instantiated per request, with ``message``; httpx
        errors get the request attached, as the real transport does) or instance, such as
        ``httpx.ConnectTimeout``; or an int status (``503``) to answer with that status
        and ``message`` as the body. Calls queue up, first in first out. The failures are
        recorded as calls and on the timeline; a strict fake fails at exit for one never
        used.
        """
        checked = check_fault(error, message)
        if on is not None:
            check_name(on, "fail_next()'s on=", example="'rates'")
            if on not in {r.name for r in self._router.routes}:
                raise ValueError(
                    f"fail_next()'s on= names no route: {on!r}; this fake has {self._names()} "
                    "(name a route with http.get(url, name='rates'))"
                )
        fault = self._faults.add(checked, times=times, message=message, on=on)
        target = f"request(s) to the route {on!r}" if on else "request(s)"
        self.record(
            f"next {times} {target} scripted to fail with {fault.label}",
            error=fault.label,
            on=on,
            times=times,
        )

    # --- answering requests ------------------------------------------------------------------

    def _try(self, route: HTTPRoute, request: httpx.Request) -> tuple[bool, Any]:
        """(matched, outcome): a Response, the request (pass through), an error or an
        awaitable (async side effect)."""
        try:
            outcome = route.match(request)
        except SideEffectError as error:
            return True, error.origin
        return outcome is not None, outcome

    def _fault(self, request: httpx.Request) -> tuple[HTTPRoute | None, Fault | None]:
        """The route a request would reach and the `fail_next` failure it meets, if any."""
        if not self._faults:
            return None, None
        route = next((r for r in self.routes if r.pattern.match(request)), None)
        return route, self._faults.take(None if route is None else route.name)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        route, fault = self._fault(request)
        if fault is not None:
            return self._finish(request, route, fault.answer(request))
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
        return self._unmatched_request(request)

    async def _ahandle(self, request: httpx.Request) -> httpx.Response:
        route, fault = self._fault(request)
        if fault is not None:
            return self._finish(request, route, fault.answer(request))
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
        return self._unmatched_request(request)

    def _finish(
        self, request: httpx.Request, route: HTTPRoute | None, outcome: Any
    ) -> httpx.Response:
        __tracebackhide__ = True
        if route is not None and outcome is request:
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
            label = "?" if route is None else route.label
            error = TypeError(
                f"the route {label} produced {outcome!r}; side effects return an "
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
            # Another active respx router (a respx.mock the test started) handles it: the
            # respx mocker tries the next router on AllMockedAssertionError.
            raise AllMockedAssertionError(f"FakeHTTP has no route for {request!r}")
        if not self._assert_all_mocked:
            response = httpx.Response(200, request=request)
            self._record(request, response, None, None)
            return response
        routes = [(route.label, route.pattern) for route in self.routes]
        error = UnmatchedRequest(unmatched_message(request, routes))
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
            if isinstance(error, UnmatchedRequest):
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

    def find(
        self, method: str | None = None, url: URLMatcher = None, **match: Any
    ) -> list[HTTPCall]:
        """The calls matching ``method``, ``url`` and ``match``, in the order they were made."""
        return self._called.find("find", join_criteria(method, url, match))

    def assert_called(
        self,
        method: str | None = None,
        url: URLMatcher = None,
        *,
        times: int | None = None,
        timeout: float | None = None,
        **match: Any,
    ) -> HTTPCall:
        """Assert a request matching ``method``, ``url`` and ``match`` was made (exactly
        ``times`` times if given; waiting up to ``timeout`` seconds for requests made on
        other threads); return the latest matching call.

        ``url`` without a query string matches any query (as respx routes do);
        ``headers=`` and ``params=`` dicts match calls that have at least those items;
        every value may also be a regex or a callable. ``match`` takes ``host``,
        ``path``, ``params``, ``headers``, ``json``, ``data``, ``content``, ``text``,
        ``status``, ``route`` (a route name) and ``error`` (an exception class).
        """
        __tracebackhide__ = True
        criteria = join_criteria(method, url, match)
        return self._called.assert_(  # noqa: PT009 - not unittest's
            "assert_called", criteria, times=times, timeout=timeout
        )

    def assert_not_called(
        self, method: str | None = None, url: URLMatcher = None, **match: Any
    ) -> None:
        """Assert no matching request was made (with no arguments: no request at all)."""
        __tracebackhide__ = True
        self._called.assert_not("assert_not_called", join_criteria(method, url, match))

    def assert_called_count(
        self,
        count: int,
        method: str | None = None,
        url: URLMatcher = None,
        *,
        timeout: float | None = None,
        **match: Any,
    ) -> list[HTTPCall]:
        """Assert exactly ``count`` matching requests were made (0 allowed); return them."""
        __tracebackhide__ = True
        criteria = join_criteria(method, url, match)
        return self._called.assert_count("assert_called_count", count, criteria, timeout=timeout)

    def assert_nothing_called(self) -> None:
        """Assert the fake saw no request at all."""
        __tracebackhide__ = True
        self._called.assert_nothing("assert_nothing_called")

    def assert_all_called(self) -> None:
        """Assert every route that is not optional was called and used its scripted
        answers, and every `fail_next` was used (what a strict fake checks at exit)."""
        __tracebackhide__ = True
        problems = self._route_problems()
        if problems:
            raise FakeAssertionError("FakeHTTP: " + "\n".join(problems))

    def _route_problems(self) -> list[str]:
        return unused_routes(self.routes) + self._faults.unused()

    # --- lifecycle ----------------------------------------------------------------------------

    def exit_problems(self) -> list[str]:
        """Requests that matched no route (always); unused routes, scripted answers and
        `fail_next` failures (when strict)."""
        problems = []
        unmatched = self.unmatched
        if unmatched:
            problems.append(
                f"{len(unmatched)} request(s) matched no route "
                "(each raised UnmatchedRequest; something may have caught it):"
            )
            problems.extend(f"  - {call.method} {call.url}" for call in unmatched)
        if self.strict:
            problems.extend(self._route_problems())
        return problems

    def on_start(self) -> None:
        if self._patch:
            mocker = Mocker.registry["httpcore"]
            mocker.register(self._router)
            mocker.start()
            self._patched = True

    def on_stop(self) -> None:
        if self._patched:
            mocker = Mocker.registry["httpcore"]
            mocker.unregister(self._router)
            mocker.stop()
            self._patched = False

    def __repr__(self) -> str:
        state = " running" if self.running else ""
        return (
            f"<FakeHTTP {self.name!r} {len(self.routes)} routes, {len(self._calls)} calls{state}>"
        )
