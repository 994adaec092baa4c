"""Parameter checks, worded like Stripe's answers, shared by the Python API and HTTP.

A `Param` of the operations table names one parameter, says whether it is required
and which `Check` validates it. A check turns a value given from Python, or decoded
from a form over HTTP, into the value the handler receives, or raises Stripe's
``invalid_request_error``. Its ``wire`` kind says how the HTTP facade decodes the
form value first (``str``, ``int``, ``bool``, ``hash``, ``metadata``, ``list``; ``raw`` hands the
form value to the check as it is, see `fixturekit.payments._hashes`).

Checks see one parameter; what depends on another one or on the stored state (an
amount's minimum in its currency, an id that must exist) is the handler's job.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fixturekit.errors import InvalidRequestError
from fixturekit.payments import _cards

__all__ = [
    "BILLING_DETAILS",
    "BOOLEAN",
    "CARD",
    "CARD_TYPES",
    "CURRENCY",
    "DESCRIPTOR",
    "INTEGER",
    "INVOICE_SETTINGS",
    "LIMIT",
    "METADATA",
    "POSITIVE",
    "REFERENCE",
    "STRING",
    "STRINGS",
    "Check",
    "Param",
    "amount_in",
    "billing_details",
    "card_int",
    "check_idempotency_key",
    "check_params",
    "invalid",
    "merge_metadata",
    "missing",
    "one_of",
    "unexpected_state",
]


# --- errors ------------------------------------------------------------------------------


def invalid(message: str, param: str | None = None, code: str | None = None) -> InvalidRequestError:
    """A validation error: raised before the operation changes anything, so an
    idempotency key is not saved with it (``replayable`` is False)."""
    error = InvalidRequestError(message, param=param, code=code)
    error.replayable = False  # type: ignore[attr-defined]
    return error


def missing(what: str, ident: str, param: str | None, *, status: int = 400) -> InvalidRequestError:
    """``No such customer: 'cus_x'`` (``resource_missing``; 404 on the object's own URL)."""
    error = InvalidRequestError(
        f"No such {what}: '{ident}'", param=param, code="resource_missing", http_status=status
    )
    error.replayable = False  # type: ignore[attr-defined]
    return error


def unexpected_state(message: str) -> InvalidRequestError:
    """An illegal status change (``payment_intent_unexpected_state``)."""
    return InvalidRequestError(message, code="payment_intent_unexpected_state")


# --- checks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """Validates one parameter's value: ``check(value, param) -> value``."""

    wire: str
    run: Callable[[Any, str], Any]

    def __call__(self, value: Any, param: str) -> Any:
        return self.run(value, param)


@dataclass(frozen=True)
class Param:
    """One parameter of an operation: its name, its check, whether it is required."""

    name: str
    check: Check
    required: bool = False


def check_params(params: Iterable[Param], given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` validated against ``params``: unknown names and missing required ones
    refused as Stripe refuses them, every value through its check, in table order."""
    spec = {param.name: param for param in params}
    for name in given:
        if name not in spec:
            close = difflib.get_close_matches(name, list(spec), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise invalid(f"Received unknown parameter: {name}{hint}", name, "parameter_unknown")
    checked: dict[str, Any] = {}
    for name, param in spec.items():
        if name in given:
            checked[name] = param.check(given[name], name)
        elif param.required:
            raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
    return checked


def _string(value: object, param: str) -> str:
    if isinstance(value, str):
        return value
    raise invalid(f"Invalid string: {value!r}", param=param, code="parameter_invalid_string")


def _integer(value: object, param: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"Invalid integer: {value}", param=param, code="parameter_invalid_integer")
    return value


def _positive(value: object, param: str) -> int:
    number = _integer(value, param)
    if number < 1:
        raise invalid(
            f"Invalid positive integer: {param} must be at least 1",
            param=param,
            code="parameter_invalid_integer",
        )
    return number


def _boolean(value: object, param: str) -> bool:
    if isinstance(value, bool):
        return value
    raise invalid(f"Invalid boolean: {value}", param=param)


def _currency(value: object, param: str) -> str:
    if not isinstance(value, str) or value.lower() not in _cards.CURRENCIES:
        raise invalid(
            f"Invalid currency: {str(value).lower()}. Stripe currently supports these "
            f"currencies: {', '.join(sorted(_cards.CURRENCIES))}",
            param=param,
        )
    return value.lower()


def _reference(value: object, param: str) -> str:
    """An object's id, or the object itself (a `PaymentsObject`) given for its id."""
    ident = value.get("id") if isinstance(value, Mapping) else value
    if not isinstance(ident, str) or not ident:
        raise invalid(f"Invalid {param} id: expected a string id, got {ident!r}", param=param)
    return ident


def _metadata(value: object, param: str) -> dict[str, Any] | str:
    """Stripe's metadata rules for one hash: string keys up to 40 characters, values up
    to 500 (numbers and booleans become strings); ``""`` or None as a value removes the
    key (kept as None here for `merge_metadata`), ``""`` for the whole hash clears it."""
    if value == "":
        return ""
    if not isinstance(value, Mapping):
        raise invalid(f"Invalid hash: metadata must be a dict, got {value!r}", param=param)
    cleaned: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key or len(key) > 40:
            raise invalid(
                f"Metadata keys must be strings of 1 to 40 characters: {key!r}",
                param=f"metadata[{key}]",
            )
        if item is None or item == "":
            cleaned[key] = None
            continue
        if isinstance(item, bool):
            item = str(item).lower()
        if isinstance(item, (int, float)):
            item = str(item)
        if not isinstance(item, str):
            raise invalid(
                f"Invalid value for metadata[{key}]: metadata values must be strings, got {item!r}",
                param=f"metadata[{key}]",
            )
        if len(item) > 500:
            raise invalid(
                "Metadata values can have up to 500 characters, but "
                f"metadata[{key}] has {len(item)}",
                param=f"metadata[{key}]",
            )
        cleaned[key] = item
    return cleaned


def merge_metadata(current: Mapping[str, Any], changes: object) -> dict[str, Any]:
    """``current`` with checked ``changes`` applied (None: unchanged); at most 50 keys."""
    if changes is None:
        return dict(current)
    if changes == "":
        return {}
    assert isinstance(changes, Mapping)
    merged = dict(current)
    for key, item in changes.items():
        if item is None:
            merged.pop(key, None)
        else:
            merged[key] = item
    if len(merged) > 50:
        raise invalid("You can have up to 50 metadata keys.", param="metadata")
    return merged


def billing_details(value: object, param: str = "billing_details") -> dict[str, Any]:
    """A payment method's full ``billing_details`` from what was given (None: empty)."""
    details: dict[str, Any] = {
        "address": {
            "city": None,
            "country": None,
            "line1": None,
            "line2": None,
            "postal_code": None,
            "state": None,
        },
        "email": None,
        "name": None,
        "phone": None,
        "tax_id": None,
    }
    if value is None:
        return details
    if not isinstance(value, Mapping):
        raise invalid(f"Invalid hash: {param} must be a dict, got {value!r}", param=param)
    for key, item in value.items():
        if key == "address" and isinstance(item, Mapping):
            unknown = set(item) - set(details["address"])
            if unknown:
                name = sorted(unknown)[0]
                raise invalid(
                    f"Received unknown parameter: {param}[address][{name}]",
                    param=f"{param}[address][{name}]",
                    code="parameter_unknown",
                )
            details["address"].update(item)
        elif key in ("email", "name", "phone", "tax_id"):
            details[key] = None if item is None else _string(item, f"{param}[{key}]")
        else:
            raise invalid(
                f"Received unknown parameter: {param}[{key}]",
                param=f"{param}[{key}]",
                code="parameter_unknown",
            )
    return details


_CARD_FIELDS = frozenset({"number", "exp_month", "exp_year", "cvc", "token"})


def _card(value: object, param: str) -> dict[str, Any]:
    """A card as a hash: a number or a ``tok_...`` token given alone becomes one."""
    if isinstance(value, str):
        return {"token": value} if value.startswith("tok_") else {"number": value}
    if not isinstance(value, Mapping):
        raise invalid(
            f"Invalid card: expected a number, a token or a hash, got {value!r}", param=param
        )
    unknown = set(value) - _CARD_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise invalid(
            f"Received unknown parameter: {param}[{name}]",
            param=f"{param}[{name}]",
            code="parameter_unknown",
        )
    return dict(value)


def card_int(value: object, field: str) -> int:
    """A card's ``exp_month``/``exp_year``: an int, or digits in a string."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(
            f"Invalid integer: {value}", param=f"card[{field}]", code="parameter_invalid_integer"
        )
    return value


def _invoice_settings(value: object, param: str) -> Mapping[str, Any]:
    if isinstance(value, Mapping) and not set(value) - {"default_payment_method"}:
        return value
    raise invalid(f"{param} takes default_payment_method only here", param=param)


def _card_types(value: object, param: str) -> list[str]:
    types = list(value) if isinstance(value, Iterable) else value
    if types != ["card"]:
        raise invalid(
            f"The fake supports card payments only: {param} must be ['card'], not {types!r}",
            param=param,
        )
    return ["card"]


def _descriptor(value: object, param: str) -> str:
    if not isinstance(value, str) or len(value) > 22:
        raise invalid("The statement descriptor must be at most 22 characters.", param=param)
    return value


def _limit(value: object, param: str) -> int:
    number = _integer(value, param)
    if not 1 <= number <= 100:
        raise invalid(f"Invalid {param}: must be between 1 and 100", param=param)
    return number


def _strings(value: object, param: str) -> list[str]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise invalid(f"Invalid array: {param} must be an array of strings", param=param)


def one_of(*choices: str, message: str | None = None) -> Check:
    """A string among ``choices``; ``message`` (with ``{value!r}``) words the refusal."""

    def run(value: object, param: str) -> str:
        if isinstance(value, str) and value in choices:
            return value
        text = message or f"Invalid {param}: must be one of {', '.join(choices)}"
        raise invalid(text.format(value=value), param=param)

    return Check("str", run)


STRING = Check("str", _string)
INTEGER = Check("int", _integer)
POSITIVE = Check("int", _positive)
BOOLEAN = Check("bool", _boolean)
CURRENCY = Check("str", _currency)
REFERENCE = Check("str", _reference)
METADATA = Check("metadata", _metadata)
BILLING_DETAILS = Check("hash", billing_details)
CARD = Check("hash", _card)
CARD_TYPES = Check("list", _card_types)
INVOICE_SETTINGS = Check("hash", _invoice_settings)
DESCRIPTOR = Check("str", _descriptor)
LIMIT = Check("int", _limit)
STRINGS = Check("list", _strings)


# --- checks that need another parameter ----------------------------------------------------


def amount_in(value: int, currency: str, param: str = "amount") -> int:
    """An amount within Stripe's limits for ``currency`` (its minimum, eight digits, and
    a final 0 for three-decimal currencies)."""
    minimum = _cards.MINIMUM_AMOUNTS.get(currency, 1)
    if value < minimum:
        raise invalid(
            f"Amount must be at least {_cards.format_amount(minimum, currency)} {currency}",
            param=param,
            code="amount_too_small",
        )
    if value > _cards.MAXIMUM_AMOUNT:
        raise invalid(
            f"Amount must be no more than {_cards.format_amount(_cards.MAXIMUM_AMOUNT, currency)}",
            param=param,
            code="amount_too_large",
        )
    if currency in _cards.THREE_DECIMAL_CURRENCIES and value % 10:
        raise invalid(
            f"Invalid amount: {currency} amounts must end in 0 (the card networks round to "
            f"two decimals), got {value}",
            param=param,
        )
    return value


def check_idempotency_key(key: object) -> str:
    if not isinstance(key, str) or not key:
        raise invalid(f"Invalid idempotency key: expected a non-empty string, got {key!r}")
    if len(key) > 255:
        raise invalid(
            "Keys for idempotent requests can only be 255 characters long and contain "
            f"printable characters; this one has {len(key)}.",
        )
    return key
