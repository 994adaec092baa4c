"""The errors FakePayments raises: Stripe's error shape, type, code and HTTP status.

The direct Python API raises these; the HTTP facade renders the same error as
``{"error": {...}}`` with the same status, so the official SDK raises its own
``stripe.CardError``, ``stripe.InvalidRequestError`` and so on.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "CardError",
    "IdempotencyError",
    "InvalidRequestError",
    "PaymentsError",
    "RateLimitError",
]

_DOCS = "https://docs.stripe.com/error-codes/"


class PaymentsError(Exception):
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
        return _DOCS + self.code.replace("_", "-") if self.code else None

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
