"""Signed webhooks: Stripe's ``Stripe-Signature`` scheme, endpoints, deliveries and retries."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

__all__ = [
    "RETRY_DELAYS",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookTarget",
    "encode_event",
    "send",
    "signature_header",
]

#: A webhook goes to a URL (POSTed with urllib) or to a callable taking
#: ``(body: bytes, headers: dict)``; the callable's result is a status code, an object
#: with ``status_code`` (a test client's response) or None for success.
WebhookTarget: TypeAlias = "str | Callable[[bytes, dict[str, str]], Any]"

#: The waits between delivery attempts after a failure: growing from a minute to ten
#: hours, about three days in all, as Stripe retries in live mode.
RETRY_DELAYS: tuple[float, ...] = (
    60,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    10 * 3600,
    10 * 3600,
    10 * 3600,
    10 * 3600,
    10 * 3600,
)

#: How long a delivery to a URL may take before it counts as failed (seconds).
DELIVERY_TIMEOUT = 10.0

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def encode_event(event: Mapping[str, Any]) -> bytes:
    """The JSON body of a webhook, as Stripe sends it (pretty-printed, UTF-8)."""
    return json.dumps(event, indent=2, ensure_ascii=False).encode("utf-8")


def signature_header(body: bytes, secret: str, timestamp: int) -> str:
    """``t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed by the secret>``."""
    signed = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(eq=False)
class WebhookEndpoint:
    """Where events are delivered: a URL or callable, for some event types or all (``*``)."""

    id: str
    target: WebhookTarget
    events: tuple[str, ...]
    secret: str
    retry_delays: tuple[float, ...] = RETRY_DELAYS
    enabled: bool = True

    def wants(self, event_type: str) -> bool:
        if not self.enabled:
            return False
        for pattern in self.events:
            if pattern in ("*", event_type):
                return True
            if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
                return True
        return False

    @property
    def url(self) -> str | None:
        return self.target if isinstance(self.target, str) else None

    def describe(self) -> str:
        if isinstance(self.target, str):
            return self.target
        return getattr(self.target, "__qualname__", None) or repr(self.target)

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.id} -> {self.describe()} events={list(self.events)}>"


@dataclass(eq=False)
class WebhookDelivery:
    """One attempt to deliver one event to one endpoint."""

    event_id: str
    event_type: str
    endpoint: WebhookEndpoint
    attempt: int
    at: datetime
    succeeded: bool
    status: int | None = None
    error: str | None = None
    #: When the next attempt is due, if this one failed and retries remain.
    next_attempt_at: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def __repr__(self) -> str:
        outcome = "ok" if self.succeeded else f"failed ({self.error or self.status})"
        return (
            f"<WebhookDelivery {self.event_type} {self.event_id} -> {self.endpoint.describe()} "
            f"attempt {self.attempt}: {outcome}>"
        )


def send(target: WebhookTarget, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """Deliver once: (HTTP status or None, error text or "" on success)."""
    if isinstance(target, str):
        import urllib.error
        import urllib.request

        request = urllib.request.Request(target, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT) as response:
                status = int(response.status)
        except urllib.error.HTTPError as error:
            return error.code, f"the endpoint answered HTTP {error.code}"
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            return None, f"could not reach {target}: {reason}"
        if 200 <= status < 300:
            return status, ""
        return status, f"the endpoint answered HTTP {status}"
    try:
        result = target(body, dict(headers))
    except Exception as error:  # the app's handler failed: that is a failed delivery
        return None, f"{type(error).__name__}: {error}"
    if result is None or result is True:
        return None, ""
    if result is False:
        return None, "the callable returned False"
    code: object = result
    if not isinstance(result, int):
        code = getattr(result, "status_code", None)
        if code is None:
            code = getattr(result, "status", None)
    if isinstance(code, int) and not isinstance(code, bool):
        if 200 <= code < 300:
            return code, ""
        return code, f"the endpoint answered HTTP {code}"
    return None, ""
