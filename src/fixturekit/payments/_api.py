"""The Stripe HTTP API, served on loopback from a FakePayments' state.

Form-encoded requests (``metadata[key]=v``, ``expand[]=customer``,
``payment_method_types[0]=card``), JSON answers, Stripe's error shape and status
codes, ``Idempotency-Key`` and ``Idempotent-Replayed`` headers: what the official
``stripe`` SDK sends and reads, so it works against the fake unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from fixturekit._internal.loopback import LoopbackHandler, ServedAPI
from fixturekit.payments._errors import (
    APIConnectionError,
    AuthenticationError,
    InvalidRequestError,
    PaymentsError,
)

if TYPE_CHECKING:
    from fixturekit.payments._model import FakePayments

__all__ = ["StripeAPIServer"]

_MAX_BODY = 1024 * 1024
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
    }
)

_LIST = {"limit": "int", "starting_after": "str", "ending_before": "str"}

# Parameter kinds: str, int, bool, metadata, hash, list.
_SPECS: dict[str, dict[str, str]] = {
    "create_customer": {
        "email": "str",
        "name": "str",
        "phone": "str",
        "description": "str",
        "metadata": "metadata",
        "payment_method": "str",
    },
    "update_customer": {
        "email": "str",
        "name": "str",
        "phone": "str",
        "description": "str",
        "metadata": "metadata",
        "invoice_settings": "hash",
    },
    "delete_customer": {},
    "create_payment_method": {
        "type": "str",
        "card": "hash",
        "billing_details": "hash",
        "metadata": "metadata",
    },
    "attach_payment_method": {"customer": "str"},
    "detach_payment_method": {},
    "create_payment_intent": {
        "amount": "int",
        "currency": "str",
        "customer": "str",
        "payment_method": "str",
        "confirm": "bool",
        "capture_method": "str",
        "metadata": "metadata",
        "description": "str",
        "receipt_email": "str",
        "payment_method_types": "list",
        "return_url": "str",
        "off_session": "bool",
        "setup_future_usage": "str",
        "statement_descriptor": "str",
        "error_on_requires_action": "bool",
    },
    "update_payment_intent": {
        "amount": "int",
        "currency": "str",
        "customer": "str",
        "payment_method": "str",
        "metadata": "metadata",
        "description": "str",
        "receipt_email": "str",
        "capture_method": "str",
    },
    "confirm_payment_intent": {
        "payment_method": "str",
        "return_url": "str",
        "off_session": "bool",
        "error_on_requires_action": "bool",
    },
    "capture_payment_intent": {"amount_to_capture": "int"},
    "cancel_payment_intent": {"cancellation_reason": "str"},
    "create_refund": {
        "payment_intent": "str",
        "charge": "str",
        "amount": "int",
        "reason": "str",
        "metadata": "metadata",
    },
    "retrieve": {},
}

_OP_METHODS = {
    "create_customer": "_op_create_customer",
    "update_customer": "_op_update_customer",
    "delete_customer": "_op_delete_customer",
    "create_payment_method": "_op_create_payment_method",
    "attach_payment_method": "_op_attach",
    "detach_payment_method": "_op_detach",
    "create_payment_intent": "_op_create_payment_intent",
    "update_payment_intent": "_op_update_payment_intent",
    "confirm_payment_intent": "_op_confirm",
    "capture_payment_intent": "_op_capture",
    "cancel_payment_intent": "_op_cancel",
    "create_refund": "_op_refund",
}


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    operation: str  # an operation of the model, or "list"
    kind: str  # the object type the path is about
    #: for list routes: filters (param -> kind) and how they select objects
    filters: tuple[tuple[str, str], ...] = ()


def _route(
    method: str, path: str, operation: str, kind: str, filters: dict[str, str] | None = None
) -> _Route:
    regex = "^" + path.replace("{id}", "(?P<id>[^/]+)") + "$"
    return _Route(method, re.compile(regex), operation, kind, tuple((filters or {}).items()))


_ROUTES = (
    _route("POST", "/v1/customers", "create_customer", "customer"),
    _route("GET", "/v1/customers", "list", "customer", {"email": "str"}),
    _route("GET", "/v1/customers/{id}", "retrieve", "customer"),
    _route("POST", "/v1/customers/{id}", "update_customer", "customer"),
    _route("DELETE", "/v1/customers/{id}", "delete_customer", "customer"),
    _route("GET", "/v1/customers/{id}/payment_methods", "list", "payment_method", {"type": "str"}),
    _route("POST", "/v1/payment_methods", "create_payment_method", "payment_method"),
    _route(
        "GET", "/v1/payment_methods", "list", "payment_method", {"customer": "str", "type": "str"}
    ),
    _route("GET", "/v1/payment_methods/{id}", "retrieve", "payment_method"),
    _route("POST", "/v1/payment_methods/{id}/attach", "attach_payment_method", "payment_method"),
    _route("POST", "/v1/payment_methods/{id}/detach", "detach_payment_method", "payment_method"),
    _route("POST", "/v1/payment_intents", "create_payment_intent", "payment_intent"),
    _route("GET", "/v1/payment_intents", "list", "payment_intent", {"customer": "str"}),
    _route("GET", "/v1/payment_intents/{id}", "retrieve", "payment_intent"),
    _route("POST", "/v1/payment_intents/{id}", "update_payment_intent", "payment_intent"),
    _route("POST", "/v1/payment_intents/{id}/confirm", "confirm_payment_intent", "payment_intent"),
    _route("POST", "/v1/payment_intents/{id}/capture", "capture_payment_intent", "payment_intent"),
    _route("POST", "/v1/payment_intents/{id}/cancel", "cancel_payment_intent", "payment_intent"),
    _route("GET", "/v1/charges", "list", "charge", {"customer": "str", "payment_intent": "str"}),
    _route("GET", "/v1/charges/{id}", "retrieve", "charge"),
    _route("POST", "/v1/refunds", "create_refund", "refund"),
    _route("GET", "/v1/refunds", "list", "refund", {"charge": "str", "payment_intent": "str"}),
    _route("GET", "/v1/refunds/{id}", "retrieve", "refund"),
    _route("GET", "/v1/events", "list", "event", {"type": "str", "types": "list"}),
    _route("GET", "/v1/events/{id}", "retrieve", "event"),
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


def _convert(name: str, kind: str, value: Any) -> Any:
    if kind == "str":
        if not isinstance(value, str):
            raise _bad(f"Invalid string: {name} must be a string", param=name)
        return value
    if kind == "int":
        if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
            raise _bad(f"Invalid integer: {value}", param=name, code="parameter_invalid_integer")
        return int(value)
    if kind == "bool":
        if value not in ("true", "false"):
            raise _bad(f"Invalid boolean: {value}", param=name)
        return value == "true"
    if kind == "metadata":
        if value == "":
            return ""
        if not isinstance(value, dict):
            raise _bad("Invalid hash: metadata must be a hash", param=name)
        return value
    if kind == "hash":
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise _bad(f"Invalid hash: {name} must be a hash", param=name)
        return value
    if kind == "list":
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise _bad(f"Invalid array: {name} must be an array", param=name)
        return value
    raise AssertionError(kind)  # pragma: no cover


def _params(raw: dict[str, Any], spec: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """(converted parameters, expand paths); unknown names are refused as Stripe does."""
    expand = raw.pop("expand", [])
    if isinstance(expand, str):
        expand = [expand]
    if not isinstance(expand, list) or not all(isinstance(path, str) for path in expand):
        raise _bad("Invalid array: expand must be an array of strings", param="expand")
    converted: dict[str, Any] = {}
    for name, value in raw.items():
        kind = spec.get(name)
        if kind is None:
            import difflib

            close = difflib.get_close_matches(name, list(spec), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise _bad(f"Received unknown parameter: {name}{hint}", name, "parameter_unknown")
        converted[name] = _convert(name, kind, value)
    return converted, expand


class _StripeHandler(LoopbackHandler):
    server_version = "fixturekit-stripe"

    @property
    def payments(self) -> FakePayments:
        payments: FakePayments = self.context.payments
        return payments

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        payments = self.payments
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        headers = {"Stripe-Version": self.headers.get("Stripe-Version") or "2024-06-20"}
        try:
            self._authenticate()
            raw = self._raw_params(method, split.query)
            body, replayed = self._dispatch(method, path, raw)
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
        request_id = payments._random(14)
        headers["Request-Id"] = f"req_{request_id}"
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
            import base64

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
        if not key.startswith(("sk_test_", "rk_test_")):
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
        data = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        if data and content_type != "application/x-www-form-urlencoded":
            raise _bad(
                "Invalid request: the body must be form-encoded "
                f"(application/x-www-form-urlencoded), not {content_type or 'no content type'}"
            )
        pairs = parse_qsl(query, keep_blank_values=True) + parse_qsl(data, keep_blank_values=True)
        return decode_form(pairs)

    def _dispatch(self, method: str, path: str, raw: dict[str, Any]) -> tuple[Any, bool]:
        payments = self.payments
        known_path = False
        for route in _ROUTES:
            found = route.pattern.match(path)
            if found is None:
                continue
            known_path = True
            if route.method != method:
                continue
            target = found.groupdict().get("id")
            if route.operation == "list":
                result, replayed = self._list(route, target, raw), False
                expand = result.pop("_expand")
            elif route.operation == "retrieve":
                _, expand = _params(raw, {})
                assert target is not None
                obj = payments._invoke("retrieve", target, {}, None, payments._op_retrieve)
                if obj.get("object") != route.kind:
                    raise _Reply(
                        InvalidRequestError(
                            f"No such {route.kind}: '{target}'",
                            param="id",
                            code="resource_missing",
                            http_status=404,
                        )
                    )
                result, replayed = obj, False
            else:
                params, expand = _params(raw, _SPECS[route.operation])
                run = getattr(payments, _OP_METHODS[route.operation])
                key = self.headers.get("Idempotency-Key") or None
                result, replayed = payments._invoke_full(
                    route.operation, target, params, key, run, **params
                )
            return self._expand(result, expand), replayed
        verb = "Unrecognized request URL" if not known_path else "Unrecognized method for URL"
        raise _Reply(
            InvalidRequestError(
                f"{verb} ({method}: {path}). The fake payments API serves customers, "
                "payment_methods, payment_intents, charges, refunds and events.",
                http_status=404,
            )
        )

    def _list(self, route: _Route, target: str | None, raw: dict[str, Any]) -> dict[str, Any]:
        payments = self.payments
        spec = {**_LIST, **dict(route.filters)}
        params, expand = _params(raw, spec)
        limit = params.pop("limit", 10)
        if not 1 <= limit <= 100:
            raise _bad("Invalid limit: must be between 1 and 100", param="limit")
        filters = {name: value for name, value in params.items() if name in dict(route.filters)}
        if target is not None:  # /v1/customers/{id}/payment_methods
            payments._invoke("retrieve", target, {}, None, payments._op_retrieve)
            filters["customer"] = target
        kinds = filters.pop("types", None)

        def where(obj: dict[str, Any]) -> bool:
            if kinds is not None and obj.get("type") not in kinds:
                return False
            return all(obj.get(name) == value for name, value in filters.items())

        def run() -> dict[str, Any]:
            data, has_more = payments._list(
                route.kind,
                limit=limit,
                starting_after=params.get("starting_after"),
                ending_before=params.get("ending_before"),
                where=where,
            )
            return {
                "object": "list",
                "data": data,
                "has_more": has_more,
                "url": self.path.split("?")[0],
            }

        result: dict[str, Any] = dict(payments._invoke("list", None, {}, None, run))
        result["_expand"] = expand
        return result

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
                from fixturekit.payments._model import _snapshot

                value = obj[part] = _snapshot(found)
            elif value is None and last:
                return
            obj = value


class StripeAPIServer(ServedAPI):
    """A running Stripe API for one FakePayments: ``with payments.stripe_api() as api_base:``."""

    handler = _StripeHandler
    thread_name = "fixturekit-stripe-api"

    def __init__(self, payments: FakePayments) -> None:
        super().__init__(payments)
        self.payments = payments
