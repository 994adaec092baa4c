"""The Stripe HTTP API, served on loopback from a FakePayments' state.

Form-encoded requests (``metadata[key]=v``, ``expand[]=customer``,
``payment_method_types[0]=card``), JSON answers, Stripe's error shape and status
codes, ``Idempotency-Key`` and ``Idempotent-Replayed`` headers: what the official
``stripe`` SDK sends and reads, so it works against the fake unchanged.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fixturekit._internal.loopback import LoopbackHandler, ServedAPI
from fixturekit.errors import (
    APIConnectionError,
    AuthenticationError,
    InvalidRequestError,
    PaymentsError,
)
from fixturekit.payments._core import PaymentsCore
from fixturekit.payments._objects import API_VERSION, snapshot
from fixturekit.payments._operations import OPERATIONS, Operation, perform
from fixturekit.payments._params import Param

__all__ = ["StripeAPIServer"]

_MAX_BODY = 1024 * 1024
#: How deep a form key may nest (``a[b][c]`` is 3); Stripe's parameters use a few levels.
_MAX_DEPTH = 32
_KEY = re.compile(r"^(?P<name>[^\[\]]+)(?P<rest>(?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")

#: Fields whose id the API can replace by the object (``expand[]=customer``).
_EXPANDABLE = frozenset(
    {
        "customer",
        "payment_method",
        "latest_charge",
        "payment_intent",
        "charge",
        "default_payment_method",
        "balance_transaction",
        "setup_intent",
        "product",
        "latest_invoice",
        "subscription",
        "invoice",
    }
)


class _Reply(Exception):
    """Answer with this status and body (raised from deep inside a request)."""

    def __init__(self, error: PaymentsError) -> None:
        super().__init__(error.message)
        self.error = error


def _bad(message: str, param: str | None = None, code: str | None = None) -> _Reply:
    return _Reply(InvalidRequestError(message, param=param, code=code))


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding to nested dicts and lists: ``a[b]=1``, ``a[0]=x``, ``a[]=x``."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise _bad(f"Invalid parameter name: {key}", param=key)
        parts = [match["name"], *_PART.findall(match["rest"])]
        if len(parts) > _MAX_DEPTH:
            raise _bad(
                f"Invalid parameter name: {parts[0]} is nested {len(parts)} levels deep; "
                f"parameters nest at most {_MAX_DEPTH} levels",
                param=parts[0],
            )
        node = root
        for index, part in enumerate(parts[:-1]):
            following = parts[index + 1]
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise _bad(f"Invalid hash: {'['.join(parts[: index + 1])} is not a hash", param=key)
            if following == "":
                parts[index + 1] = str(sum(1 for name in child if name.isdigit()))
            node = child
        node[parts[-1]] = value
    return {name: _listify(name, value) for name, value in root.items()}


def _listify(name: str, value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if name != "metadata" and value and all(key.isdigit() for key in value):
        return [_listify("", value[key]) for key in sorted(value, key=int)]
    return {
        key: _listify(key if name != "metadata" else "metadata", item)
        for key, item in value.items()
    }


#: The routes of the table, as path patterns.
_ROUTES = tuple(
    (re.compile("^" + op.path.replace("{id}", "(?P<id>[^/]+)") + "$"), op)
    for op in OPERATIONS
    if op.method is not None and op.path is not None
)


def _convert(name: str, wire: str, value: Any) -> Any:
    """A form value as its parameter's check expects it (a ``Check``'s ``wire`` kind)."""
    if wire == "raw":
        return value
    if wire == "str":
        if not isinstance(value, str):
            raise _bad(f"Invalid string: {name} must be a string", param=name)
        return value
    if wire == "int":
        if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
            raise _bad(f"Invalid integer: {value}", param=name, code="parameter_invalid_integer")
        return int(value)
    if wire == "bool":
        if value not in ("true", "false"):
            raise _bad(f"Invalid boolean: {value}", param=name)
        return value == "true"
    if wire in ("metadata", "hash"):
        if value == "":
            return "" if wire == "metadata" else {}
        if not isinstance(value, dict):
            raise _bad(f"Invalid hash: {name} must be a hash", param=name)
        return value
    if wire == "list":
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise _bad(f"Invalid array: {name} must be an array", param=name)
        return value
    raise AssertionError(wire)  # pragma: no cover


def _decode(raw: dict[str, Any], params: Iterable[Param]) -> tuple[dict[str, Any], list[str]]:
    """(parameters for the operation's checks, expand paths). Unknown names pass as they
    are: the operation's checks refuse them, with a suggestion."""
    expand = raw.pop("expand", [])
    if isinstance(expand, str):
        expand = [expand]
    if not isinstance(expand, list) or not all(isinstance(path, str) for path in expand):
        raise _bad("Invalid array: expand must be an array of strings", param="expand")
    spec = {param.name: param.check.wire for param in params}
    decoded = {
        name: _convert(name, spec[name], value) if name in spec else value
        for name, value in raw.items()
    }
    return decoded, expand


class _StripeHandler(LoopbackHandler):
    server_version = "fixturekit-stripe"

    @property
    def payments(self) -> PaymentsCore:
        payments: PaymentsCore = self.context.payments
        return payments

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        request_id = self.payments.new_request_id()
        headers = {
            "Stripe-Version": self.headers.get("Stripe-Version") or API_VERSION,
            "Request-Id": request_id,
        }
        try:
            self._authenticate()
            raw = self._raw_params(method, split.query)
            body, replayed = self._dispatch(method, path, raw, request_id)
        except _Reply as reply:
            self._send_error(method, path, reply.error, headers)
            return
        except APIConnectionError:
            # The operation ran; the answer is lost: close without a response.
            self.close_connection = True
            return
        except PaymentsError as error:
            self._send_error(method, path, error, headers)
            return
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        key = self.headers.get("Idempotency-Key")
        if key:
            headers["Idempotency-Key"] = key
        self.send_json(200, body, headers)

    def _send_error(
        self, method: str, path: str, error: PaymentsError, headers: dict[str, str]
    ) -> None:
        self.payments.record(
            f"HTTP {method} {path} -> {error.http_status} {error.code or error.type}",
            status=error.http_status,
            code=error.code,
        )
        self.send_json(error.http_status, error.to_dict(), {**headers, **error.headers})

    def _authenticate(self) -> None:
        header = self.headers.get("Authorization") or ""
        scheme, _, credentials = header.partition(" ")
        key = credentials.strip()
        if scheme.lower() == "basic":
            try:
                key = base64.b64decode(key).decode("utf-8").split(":", 1)[0]
            except ValueError:
                key = ""
        elif scheme.lower() != "bearer":
            key = ""
        if not key:
            raise _Reply(
                AuthenticationError(
                    "You did not provide an API key. You need to provide your API key in the "
                    "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                    "YOUR_SECRET_KEY')."
                )
            )
        if not key.startswith(("sk_test_", "rk_test_")) or key in ("sk_test_", "rk_test_"):
            shown = key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "****"
            raise _Reply(
                AuthenticationError(
                    f"Invalid API Key provided: {shown}. The fake payments API takes test-mode "
                    "secret keys only (sk_test_... or rk_test_...)."
                )
            )

    def _raw_params(self, method: str, query: str) -> dict[str, Any]:
        if method != "POST":
            return decode_form(parse_qsl(query, keep_blank_values=True))
        content_type = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            raise _bad("Invalid request: missing or bad Content-Length")
        received = self.rfile.read(length) if length else b""
        if len(received) < length:  # the client went away (or the server stops) mid-body
            raise APIConnectionError("the request body ended early")
        data = received.decode("utf-8", "replace")
        if data and content_type != "application/x-www-form-urlencoded":
            raise _bad(
                "Invalid request: the body must be form-encoded "
                f"(application/x-www-form-urlencoded), not {content_type or 'no content type'}"
            )
        pairs = parse_qsl(query, keep_blank_values=True) + parse_qsl(data, keep_blank_values=True)
        return decode_form(pairs)

    def _route(self, method: str, path: str) -> tuple[Operation, str | None]:
        known_path = False
        for pattern, operation in _ROUTES:
            found = pattern.match(path)
            if found is None:
                continue
            known_path = True
            if operation.method == method:
                return operation, found.groupdict().get("id")
        verb = "Unrecognized request URL" if not known_path else "Unrecognized method for URL"
        raise _Reply(
            InvalidRequestError(
                f"{verb} ({method}: {path}). The fake payments API serves customers, "
                "payment_methods, payment_intents, setup_intents, charges, refunds, "
                "disputes, balance_transactions, products, prices, checkout/sessions, "
                "subscriptions, invoices and events.",
                http_status=404,
            )
        )

    def _dispatch(
        self, method: str, path: str, raw: dict[str, Any], request_id: str
    ) -> tuple[Any, bool]:
        operation, target = self._route(method, path)
        params, expand = _decode(raw, operation.params)
        key = self.headers.get("Idempotency-Key") or None if method != "GET" else None
        result, replayed = perform(self.payments, operation, target, params, key, request_id)
        return self._expand(result, expand), replayed

    def _expand(self, body: Any, paths: list[str]) -> Any:
        for path in paths:
            parts = path.split(".")
            if body.get("object") == "list":
                if parts[0] != "data":
                    raise _bad(f"This property cannot be expanded ({path}).", param="expand")
                for item in body["data"]:
                    self._expand_one(item, parts[1:], path)
            else:
                self._expand_one(body, parts, path)
        return body

    def _expand_one(self, obj: Any, parts: list[str], path: str) -> None:
        payments = self.payments
        for depth, part in enumerate(parts):
            if not isinstance(obj, dict) or part not in obj:
                raise _bad(f"This property cannot be expanded ({path}).", param="expand")
            value = obj[part]
            last = depth == len(parts) - 1
            if isinstance(value, str):
                if part not in _EXPANDABLE:
                    raise _bad(f"This property cannot be expanded ({path}).", param="expand")
                with payments._lock:
                    found = payments._objects.get(value)
                if found is None:
                    raise _bad(f"This property cannot be expanded ({path}).", param="expand")
                value = obj[part] = snapshot(found)
            elif value is None and last:
                return
            obj = value


class StripeAPIServer(ServedAPI):
    """A running Stripe API for one FakePayments: ``with payments.stripe_api() as api_base:``."""

    handler = _StripeHandler
    thread_name = "fixturekit-stripe-api"

    def __init__(self, payments: PaymentsCore) -> None:
        super().__init__(payments)
        self.payments = payments
