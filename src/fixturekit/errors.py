"""Every exception fixturekit raises on purpose, under one root: `FixturekitError`.

Each also keeps the standard base a caller would catch without knowing fixturekit:
assertion failures and unmatched requests are `AssertionError`s, `NetworkBlocked` is a
`ConnectionRefusedError`, `PayloadError` a `TypeError`, `MissingDriverError` an
`ImportError`. So ``except fixturekit.errors.FixturekitError`` catches everything the
library raises, and code written against the real service keeps working.

The refusals a direct ``mailer.send()`` or the patched smtplib raises are smtplib's own
exceptions (``smtplib.SMTPRecipientsRefused`` and friends, as a real server's refusal
would give) and `FixturekitError` too; they live in ``fixturekit.mail`` so that
importing this module stays free of smtplib.

This module imports nothing outside the standard library's core, so any block, the
pytest plugin and user code can import it at no cost.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "CardError",
    "FactoryError",
    "FakeAssertionError",
    "FixturekitError",
    "IdempotencyError",
    "InvalidRequestError",
    "JobFailed",
    "MissingDriverError",
    "NetworkBlocked",
    "PatternError",
    "PayloadError",
    "PaymentsError",
    "RateLimitError",
    "RouteExhausted",
    "RunawayJobsError",
    "SandboxError",
    "SandboxEscapeError",
    "StrictModeError",
    "UnmatchedRequest",
    "UnsafeDatabaseError",
]


class FixturekitError(Exception):
    """The root of every exception fixturekit raises on purpose."""


# --- assertions -----------------------------------------------------------------------------


class FakeAssertionError(FixturekitError, AssertionError):
    """An ``assert_*`` of a fake did not hold; the message lists what did happen,
    closest match first."""


class StrictModeError(FakeAssertionError):
    """A strict fake found something at exit that no assertion looked at (mails sent,
    jobs pushed, routes never called...). Raised only when the test itself passed."""


# --- database -------------------------------------------------------------------------------


class UnsafeDatabaseError(FixturekitError):
    """TestDatabase refused a database: it does not look like one fixturekit may own."""


class SandboxError(FixturekitError):
    """Something in a sandbox would have broken its isolation, or the sandbox was misused."""


class MissingDriverError(FixturekitError, ImportError):
    """The database driver a URL needs is not installed; the message names the extra."""


class SandboxEscapeError(SandboxError):
    """Writes reached the test database outside the sandbox, and were committed.

    ``escapes`` lists them: each has the ``statement``, the engine's ``url``, the
    ``thread`` and the ``frames`` of the code that ran it.
    """

    def __init__(self, message: str, escapes: list[Any]) -> None:
        super().__init__(message)
        self.escapes = escapes


# --- factories ------------------------------------------------------------------------------


class FactoryError(FixturekitError):
    """A factory is declared or used wrongly; the message says how to fix it."""


class PatternError(FixturekitError, ValueError):
    """No string satisfying a pattern (and length bounds) could be generated."""


# --- queue ----------------------------------------------------------------------------------


class PayloadError(FixturekitError, TypeError):
    """A payload that would not survive the broker's serializer unchanged.

    ``path`` is where the offending value sits, such as ``payload['user']['created_at']``.
    """

    def __init__(self, message: str, *, path: str, value: Any) -> None:
        super().__init__(message)
        self.path = path
        self.value = value


class JobFailed(FixturekitError):
    """A job failed for good (no retries left). ``job`` holds it; the cause is its error."""

    def __init__(self, job: Any) -> None:
        error = job.error
        what = f"{type(error).__name__}: {error}" if error is not None else "an error"
        tries = f"{job.attempts} attempt{'s' * (job.attempts != 1)}"
        super().__init__(
            f"job {job.name!r} ({job.id}) failed after {tries}: {what}. It is in queue.failed; "
            "pass raise_failures=False to run_all()/run_due()/run() to go on instead"
        )
        self.job = job


class RunawayJobsError(FixturekitError, RuntimeError):
    """``run_all``/``run_due`` ran ``max_steps`` jobs and jobs were still coming."""


# --- HTTP and the network -------------------------------------------------------------------


class UnmatchedRequest(FakeAssertionError):
    """A request reached a `FakeHTTP` that no route matches.

    An `AssertionError` (so that application code catching ``httpx.HTTPError`` does not
    swallow it); the fake also fails when it exits, in case something caught it anyway.
    """


class RouteExhausted(FakeAssertionError):
    """A route's scripted responses (``times=``) are used up and it has no default answer."""


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class NetworkBlocked(FixturekitError, ConnectionRefusedError):
    """A `NetworkGuard` refused a connection to a host the test may not reach.

    It is a `ConnectionRefusedError` (an `OSError`, errno ``ECONNREFUSED``) on purpose:
    every client library already turns an `OSError` raised while connecting into its own
    connection failure (``httpx.ConnectError``, ``requests.ConnectionError``,
    ``urllib.error.URLError``, asyncio's `OSError`), so the application under test reacts
    as it would to an unreachable service, and the message, which names the host and
    port and says what to do, travels inside that error.
    """

    def __init__(self, host: str, port: int | None, allowed: tuple[str, ...], via: str) -> None:
        import errno

        self.host = host
        self.port = port
        self.allowed = allowed
        self.via = via
        target = host if port is None else f"{_bracket(host)}:{port}"
        reach = (
            f"this test may reach only {', '.join(allowed)}"
            if allowed
            else "this test may reach no host at all (allow=())"
        )
        message = (
            f"fixturekit.NetworkGuard blocked a connection to {target}: {reach}. "
            "Fake the service instead: fixturekit.FakeHTTP (the http fixture) answers "
            "httpx requests without a network; or allow the host with "
            f"NetworkGuard(allow=(..., {host!r})), the fixturekit_allow_hosts ini option, "
            f"or @pytest.mark.allow_network({host!r}) on the test"
        )
        super().__init__(errno.ECONNREFUSED, message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Any:
        return (type(self), (self.host, self.port, self.allowed, self.via))


# --- payments -------------------------------------------------------------------------------

_STRIPE_DOCS = "https://docs.stripe.com/error-codes/"


class PaymentsError(FixturekitError):
    """An error answered by the fake payments API, shaped like Stripe's.

    Attributes mirror the ``error`` object of Stripe's responses: `type`, `code`,
    `decline_code`, `param`, `message`, plus `http_status`, and the ids or
    objects an error carries (`payment_intent`, `charge`, `payment_method`).
    """

    type = "api_error"
    http_status = 500

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        http_status: int | None = None,
        payment_intent: dict[str, Any] | None = None,
        charge: str | None = None,
        payment_method: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        if http_status is not None:
            self.http_status = http_status
        self.payment_intent = payment_intent
        self.charge = charge
        self.payment_method = payment_method
        self.headers = dict(headers or {})

    @property
    def doc_url(self) -> str | None:
        return _STRIPE_DOCS + self.code.replace("_", "-") if self.code else None

    def to_dict(self) -> dict[str, Any]:
        """The ``{"error": {...}}`` body Stripe answers with."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = self.doc_url
        if self.decline_code is not None:
            error["decline_code"] = self.decline_code
        if self.param is not None:
            error["param"] = self.param
        if self.charge is not None:
            error["charge"] = self.charge
        if self.payment_intent is not None:
            error["payment_intent"] = self.payment_intent
        if self.payment_method is not None:
            error["payment_method"] = self.payment_method
        return {"error": error}

    def __str__(self) -> str:
        detail = [f"type={self.type}"]
        if self.code:
            detail.append(f"code={self.code}")
        if self.decline_code:
            detail.append(f"decline_code={self.decline_code}")
        if self.param:
            detail.append(f"param={self.param}")
        return f"{self.message} ({', '.join(detail)}; HTTP {self.http_status})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"


class CardError(PaymentsError):
    """The card was declined (HTTP 402): ``code`` and ``decline_code`` say why."""

    type = "card_error"
    http_status = 402


class InvalidRequestError(PaymentsError):
    """Bad parameters (HTTP 400), an unknown id (404) or an illegal state change (400)."""

    type = "invalid_request_error"
    http_status = 400


class IdempotencyError(PaymentsError):
    """An idempotency key was reused with other parameters or on another endpoint."""

    type = "idempotency_error"
    http_status = 400


class AuthenticationError(PaymentsError):
    """No API key, or not a test-mode key (HTTP 401)."""

    type = "invalid_request_error"
    http_status = 401


class RateLimitError(PaymentsError):
    """Too many requests (HTTP 429), as scripted with ``fail_next("rate_limit")``."""

    type = "invalid_request_error"
    http_status = 429


class APIError(PaymentsError):
    """A server-side failure (HTTP 500), as scripted with ``fail_next("api_error")``."""

    type = "api_error"
    http_status = 500


class APIConnectionError(PaymentsError):
    """The response never arrived, although the operation ran.

    Scripted with ``fail_next("api_connection_error")``: over HTTP the connection is
    closed without an answer, so a client retrying with the same idempotency key gets
    the result of the first attempt instead of a second charge.
    """

    type = "api_connection_error"
    http_status = 0
