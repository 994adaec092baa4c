"""HTTPRoute: a respx route with scripted sequences, failures and an ``optional`` flag."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.cookiejar import CookieJar
from typing import Any

import httpx
import respx
from respx.models import SideEffectError, clone_response
from respx.patterns import Pattern

from fixturekit._internal.checks import check_bool, check_count, unknown_keyword
from fixturekit.errors import RouteExhausted
from fixturekit.http._describe import describe_pattern

__all__ = ["HTTPRoute", "build_error", "check_error", "error_name", "unused_routes"]

_RESPOND_KEYWORDS = (
    "status_code",
    "times",
    "headers",
    "cookies",
    "content",
    "text",
    "html",
    "json",
    "stream",
    "content_type",
    "http_version",
)


@dataclass
class _Step:
    make: Callable[[httpx.Request], httpx.Response]
    label: str
    times: int
    used: int = 0


def _check_pairs(value: Any, what: str, kind: Any, example: str) -> None:
    """``headers=``/``cookies=`` of `HTTPRoute.respond`: what httpx takes, or a clear error."""
    if value is None:
        return
    try:
        if not isinstance(value, (Mapping, list, tuple, httpx.Headers, httpx.Cookies, CookieJar)):
            raise TypeError(f"{type(value).__name__} is not a mapping")
        kind(value)
    except (TypeError, ValueError, AttributeError) as error:
        raise TypeError(
            f"respond() {what}= must be a dict of names to str values such as {example} "
            f"(or a list of (name, value) pairs), not {value!r}: {error}"
        ) from None


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
            raise unknown_keyword("respond", next(iter(kwargs)), _RESPOND_KEYWORDS)
        _check_pairs(headers, "headers", httpx.Headers, "{'Retry-After': '2'}")
        _check_pairs(cookies, "cookies", httpx.Cookies, "{'session': 'abc'}")
        given = [n for n, v in (("content", content), ("text", text), ("html", html)) if v]
        if json is not None:
            given.append("json")
        if len(given) > 1:
            raise TypeError(f"respond() takes one body, got {' and '.join(given)}")
        answer: dict[str, Any] = {
            "headers": headers,
            "cookies": cookies,
            "content": content,
            "text": text,
            "html": html,
            "json": json,
            "stream": stream,
            "content_type": content_type,
            "http_version": http_version,
        }
        if times is None:
            super().respond(status_code, **answer)
            return self
        count = check_count(times, "times", minimum=1)
        response = respx.MockResponse(status_code, **answer)

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
        check_error(error, "fail()")
        label = f"raise {error_name(error)}"

        def make(request: httpx.Request) -> httpx.Response:
            raise build_error(error, request)

        if times is None:
            self.mock(side_effect=make)
            return self
        self._add_step(_Step(make, label, check_count(times, "times", minimum=1)))
        return self

    def timeout(self, *, times: int | None = None) -> HTTPRoute:
        """Time out (``httpx.ReadTimeout``): every call, or the next ``times`` calls."""
        return self.fail(httpx.ReadTimeout, times=times)

    def connection_error(self, *, times: int | None = None) -> HTTPRoute:
        """Fail to connect (``httpx.ConnectError``): every call, or the next ``times`` calls."""
        return self.fail(httpx.ConnectError, times=times)

    def optional(self, value: bool = True) -> HTTPRoute:
        """Mark the route as optional: the fake does not fail at exit if it was never called."""
        self._optional = check_bool(value, "optional")
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
        text = self._label or describe_pattern(self.pattern)
        return f"{text} (name {self.name!r})" if self.name else text

    def __repr__(self) -> str:
        return f"<HTTPRoute {self.label}>"


def unused_routes(routes: Iterable[HTTPRoute]) -> list[str]:
    """Lines for the routes (not optional) never called or with scripted answers left."""
    routes = [route for route in routes if not route.is_optional]
    lines = []
    unused = [route for route in routes if not route.called]
    if unused:
        lines.append(
            f"{len(unused)} route(s) were never called (mark a route optional with "
            "http.get(..., optional=True) if that is fine):"
        )
        lines.extend(f"  - {route.label}" for route in unused)
    for route in routes:
        pending = route.pending
        if route.called and pending:
            lines.append(
                f"the route {route.label} has {len(pending)} scripted answer(s) never used: "
                f"{', '.join(pending)}"
            )
    return lines


def error_name(error: BaseException | type[BaseException]) -> str:
    """``ConnectError`` for the class or an instance."""
    return error.__name__ if isinstance(error, type) else type(error).__name__


def check_error(error: object, function: str) -> None:
    """``error`` must be an exception class or instance."""
    if isinstance(error, BaseException):
        return
    if isinstance(error, type) and issubclass(error, Exception):
        return
    raise TypeError(
        f"{function} takes an exception such as httpx.ConnectTimeout (the class or an "
        f"instance), not {error!r}"
    )


def build_error(
    error: BaseException | type[BaseException],
    request: httpx.Request,
    message: str | None = None,
) -> BaseException:
    """The exception to raise for ``request``: a class is instantiated (with ``message``);
    httpx request errors get the request attached, as the real transport does."""
    if isinstance(error, type):
        if issubclass(error, httpx.RequestError):
            text = message or (
                f"{error.__name__} scripted by FakeHTTP for {request.method} {request.url}"
            )
            return error(text, request=request)
        return error(message) if message is not None else error()
    if isinstance(error, httpx.RequestError):
        try:
            error.request  # noqa: B018 - raises when no request is attached
        except RuntimeError:
            error.request = request
    return error
