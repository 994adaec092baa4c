"""Checks of the hash parameters of payment intents and of list filters: hashes arrive
from forms with every leaf a string (``automatic_payment_methods[enabled]=true``), so
these checks take Python values and form strings alike."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from fixturekit.payments._params import (
    Check,
    _card,
    _integer,
    _metadata,
    _string,
    billing_details,
    card_int,
    invalid,
)

__all__ = [
    "AUTOMATIC_PAYMENT_METHODS",
    "CREATED",
    "EXPIRY",
    "FLAG",
    "FRAUD_DETAILS",
    "OFF_SESSION",
    "PAYMENT_METHOD_DATA",
    "PAYMENT_METHOD_OPTIONS",
    "SHIPPING",
    "TRIAL_END",
    "in_range",
]


def _flag(value: object, param: str) -> bool:
    """A boolean given from Python, or as ``"true"``/``"false"`` inside a form hash."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise invalid(f"Invalid boolean: {value}", param=param)


def _hash(value: object, param: str, fields: Iterable[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise invalid(f"Invalid hash: {param} must be a hash, got {value!r}", param=param)
    allowed = list(fields)
    for key in value:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise invalid(
                f"Received unknown parameter: {param}[{key}]{hint}",
                param=f"{param}[{key}]",
                code="parameter_unknown",
            )
    return value


def _choice(value: object, param: str, choices: tuple[str, ...]) -> str:
    if isinstance(value, str) and value in choices:
        return value
    raise invalid(f"Invalid {param}: must be one of {', '.join(choices)}", param=param)


def _automatic_payment_methods(value: object, param: str) -> dict[str, Any]:
    given = _hash(value, param, ("enabled", "allow_redirects"))
    if "enabled" not in given:
        raise invalid(
            f"Missing required param: {param}[enabled].",
            param=f"{param}[enabled]",
            code="parameter_missing",
        )
    redirects = given.get("allow_redirects", "always")
    return {
        "allow_redirects": _choice(redirects, f"{param}[allow_redirects]", ("always", "never")),
        "enabled": _flag(given["enabled"], f"{param}[enabled]"),
    }


def _payment_method_data(value: object, param: str) -> dict[str, Any]:
    given = _hash(value, param, ("type", "card", "billing_details", "metadata", "allow_redisplay"))
    if given.get("type") != "card":
        raise invalid(
            f"Invalid {param}[type]: the fake supports payment methods of type 'card', "
            f"not {given.get('type')!r}",
            param=f"{param}[type]",
        )
    if "card" not in given:
        raise invalid(
            f"Missing required param: {param}[card].",
            param=f"{param}[card]",
            code="parameter_missing",
        )
    data: dict[str, Any] = {"card": _card(given["card"], f"{param}[card]")}
    if "billing_details" in given:
        data["billing_details"] = billing_details(
            given["billing_details"], f"{param}[billing_details]"
        )
    if "metadata" in given:
        data["metadata"] = _metadata(given["metadata"], f"{param}[metadata]")
    return data


_THREE_D_SECURE = ("automatic", "any", "challenge")
_INCREMENTAL = ("if_available", "never")


def _payment_method_options(value: object, param: str) -> dict[str, Any]:
    given = _hash(value, param, ("card",))
    card = _hash(
        given.get("card", {}),
        f"{param}[card]",
        ("request_three_d_secure", "request_incremental_authorization"),
    )
    options: dict[str, Any] = {"request_three_d_secure": "automatic"}
    if "request_three_d_secure" in card:
        options["request_three_d_secure"] = _choice(
            card["request_three_d_secure"],
            f"{param}[card][request_three_d_secure]",
            _THREE_D_SECURE,
        )
    if "request_incremental_authorization" in card:
        options["request_incremental_authorization"] = _choice(
            card["request_incremental_authorization"],
            f"{param}[card][request_incremental_authorization]",
            _INCREMENTAL,
        )
    return {"card": options}


def _off_session(value: object, param: str) -> bool:
    """``off_session``: a boolean, or Stripe's ``one_off``/``recurring`` (both true)."""
    if value in ("one_off", "recurring"):
        return True
    return _flag(value, param)


_ADDRESS = ("city", "country", "line1", "line2", "postal_code", "state")


def _shipping(value: object, param: str) -> dict[str, Any] | None:
    if value == "":
        return None
    given = _hash(value, param, ("name", "address", "phone", "carrier", "tracking_number"))
    if not given.get("name") or "address" not in given:
        missing_name = "name" if not given.get("name") else "address"
        raise invalid(
            f"Missing required param: {param}[{missing_name}].",
            param=f"{param}[{missing_name}]",
            code="parameter_missing",
        )
    address = _hash(given["address"], f"{param}[address]", _ADDRESS)
    return {
        "address": {key: address.get(key) for key in _ADDRESS},
        "carrier": given.get("carrier"),
        "name": _string(given["name"], f"{param}[name]"),
        "phone": given.get("phone"),
        "tracking_number": given.get("tracking_number"),
    }


_BOUNDS = ("gt", "gte", "lt", "lte")


def _timestamp(value: object, param: str) -> int:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return _integer(value, param)


def _created(value: object, param: str) -> dict[str, int]:
    """A list's ``created`` filter: a timestamp, or bounds ``{"gte": ..., "lt": ...}``."""
    if isinstance(value, Mapping):
        given = _hash(value, param, _BOUNDS)
        return {key: _timestamp(item, f"{param}[{key}]") for key, item in given.items()}
    return {"eq": _timestamp(value, param)}


def in_range(value: Any, bounds: Mapping[str, int]) -> bool:
    """Whether a ``created`` timestamp passes a `CREATED` filter."""
    tests = {
        "eq": lambda a, b: a == b,
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    return isinstance(value, int) and all(tests[op](value, bound) for op, bound in bounds.items())


def _trial_end(value: object, param: str) -> int | str:
    """A timestamp, or ``"now"``."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if value == "now" or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise invalid(f"Invalid {param}: must be 'now' or a Unix timestamp, not {value!r}", param)


def _fraud_details(value: object, param: str) -> dict[str, str]:
    if isinstance(value, Mapping) and set(value) <= {"user_report"}:
        report = value.get("user_report")
        if report in (None, "fraudulent", "safe"):
            return {} if report is None else {"user_report": report}
    raise invalid(f"{param} takes user_report='fraudulent' or 'safe'", param=param)


def _expiry(value: object, param: str) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {
            key: card_int(item, key) if key in ("exp_month", "exp_year") else item
            for key, item in value.items()
        }
    raise invalid(f"Invalid hash: {param} must be a hash", param=param)


AUTOMATIC_PAYMENT_METHODS = Check("hash", _automatic_payment_methods)
PAYMENT_METHOD_DATA = Check("hash", _payment_method_data)
PAYMENT_METHOD_OPTIONS = Check("hash", _payment_method_options)
OFF_SESSION = Check("raw", _off_session)
SHIPPING = Check("metadata", _shipping)
CREATED = Check("raw", _created)
FLAG = Check("raw", _flag)
TRIAL_END = Check("raw", _trial_end)
FRAUD_DETAILS = Check("hash", _fraud_details)
EXPIRY = Check("hash", _expiry)
