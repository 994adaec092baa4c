"""Every operation of the fake Stripe, one row each: route, parameters, handler.

The Python API (``payments.create_customer(...)``) and the HTTP facade
(``payments.stripe_api()``) both run an operation from its row, through `perform`:
the row's parameters are checked (required ones, unknown names, each value's
`Check`), then its handler runs inside the fake's invocation pipeline (lock,
idempotency key scoped to the row's endpoint, scripted failures named after the row).

A row without a route is a test helper of the Python API only (``authenticate``, and
``retrieve`` of any object by id); rows of the HTTP API only (``GET`` of one type,
lists) are not methods of the fake.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fixturekit.payments._catalog import Catalog
from fixturekit.payments._charges import Charges
from fixturekit.payments._charging import CANCELLATION_REASONS, Charging
from fixturekit.payments._checkout import Checkout
from fixturekit.payments._core import PaymentsCore
from fixturekit.payments._customers import Customers
from fixturekit.payments._hashes import (
    AUTOMATIC_PAYMENT_METHODS,
    CREATED,
    EXPIRY,
    FLAG,
    FRAUD_DETAILS,
    OFF_SESSION,
    PAYMENT_METHOD_DATA,
    PAYMENT_METHOD_OPTIONS,
    SHIPPING,
    TRIAL_END,
    in_range,
)
from fixturekit.payments._intents import CAPTURE_METHODS, PaymentIntents
from fixturekit.payments._invoices import Invoices
from fixturekit.payments._objects import PaymentsObject
from fixturekit.payments._params import (
    BILLING_DETAILS,
    BOOLEAN,
    CARD,
    CARD_TYPES,
    CURRENCY,
    DESCRIPTOR,
    INTEGER,
    INVOICE_SETTINGS,
    LIMIT,
    METADATA,
    POSITIVE,
    REFERENCE,
    STRING,
    STRINGS,
    Check,
    Param,
    billing_details,
    check_params,
    invalid,
    missing,
    one_of,
)
from fixturekit.payments._payment_methods import PaymentMethods
from fixturekit.payments._refunds import REFUND_REASONS, Refunds
from fixturekit.payments._search import search
from fixturekit.payments._setup_intents import SETUP_CANCELLATION_REASONS, SetupIntents
from fixturekit.payments._subscription_changes import SUBSCRIPTION_STATUSES, SubscriptionChanges
from fixturekit.payments._subscriptions import PAYMENT_BEHAVIORS, Subscriptions

__all__ = ["CALLS", "CHARGING", "NAMES", "OPERATIONS", "Operation", "perform"]

Handler = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    """One operation: its name, HTTP route, object type, parameters and handler.

    ``name`` is what ``fail_next(on=...)`` and the timeline call it (every ``GET`` of
    one object is ``retrieve``, every list ``list``); ``targeted`` operations act on
    the object whose id is in the path; ``charges`` ones attempt a charge (where a
    scripted decline lands).
    """

    name: str
    method: str | None
    path: str | None
    kind: str
    handler: Handler
    params: tuple[Param, ...] = ()
    targeted: bool = False
    python: bool = True
    charges: bool = False

    @property
    def endpoint(self) -> str:
        """What an idempotency key is scoped to, as in Stripe: ``POST /v1/refunds``."""
        return f"{self.method} {self.path}" if self.method else f"{self.name}()"

    def run(
        self, fake: PaymentsCore, target: str | None, given: Mapping[str, Any]
    ) -> dict[str, Any]:
        params = check_params(self.params, given)
        if self.targeted:
            return self.handler(fake, target, **params)
        return self.handler(fake, **params)


def perform(
    fake: PaymentsCore,
    operation: Operation,
    target: str | None,
    given: Mapping[str, Any],
    idempotency_key: str | None = None,
    request_id: str | None = None,
) -> tuple[PaymentsObject, bool]:
    """Run ``operation`` on ``fake``: (the result's snapshot, whether it was replayed)."""
    return fake._invoke(
        operation.name,
        operation.endpoint,
        target,
        given,
        idempotency_key,
        lambda: operation.run(fake, target, given),
        request_id,
    )


# --- building rows ----------------------------------------------------------------------


def _row(
    name: str,
    route: str,
    kind: str,
    handler: Handler,
    *params: Param,
    charges: bool = False,
) -> Operation:
    method, path = route.split(" ", 1)
    return Operation(name, method, path, kind, handler, params, "{id}" in path, charges=charges)


def _helper(
    name: str, kind: str, handler: Handler, *params: Param, charges: bool = False
) -> Operation:
    """A test helper on an object: Python API only."""
    return Operation(name, None, None, kind, handler, params, targeted=True, charges=charges)


def _retrieve(path: str, kind: str) -> Operation:
    def run(fake: PaymentsCore, ident: str) -> dict[str, Any]:
        obj = fake._op_retrieve(ident)
        if obj["object"] != kind:
            raise missing(kind, ident, "id", status=404)
        return obj

    return Operation("retrieve", "GET", path, kind, run, targeted=True, python=False)


_PAGE = (Param("limit", LIMIT), Param("starting_after", STRING), Param("ending_before", STRING))


def _list(path: str, kind: str, *filters: Param) -> Operation:
    """A list, newest first; a path with ``{id}`` lists what belongs to that customer."""

    def run(
        fake: PaymentsCore,
        owner: str | None = None,
        *,
        limit: int = 10,
        starting_after: str | None = None,
        ending_before: str | None = None,
        **where: Any,
    ) -> dict[str, Any]:
        url = path
        if owner is not None:
            where["customer"] = fake._get(owner, "customer", "id", status=404)["id"]
            url = path.replace("{id}", owner)
        if "customer" in where:
            fake._get(where["customer"], "customer", "customer")
        if "lookup_keys" in where:
            where["lookup_key"] = where.pop("lookup_keys")
        types = where.pop("types", None)
        if types is not None:
            where["type"] = types
        tests = {name: _matcher(value) for name, value in where.items() if name != "created"}
        if "created" in where:
            bounds = where["created"]
            tests["created"] = lambda found: in_range(found, bounds)

        def wanted(obj: dict[str, Any]) -> bool:
            return all(test(obj.get(name)) for name, test in tests.items())

        data, has_more = fake._list(
            kind,
            limit=limit,
            starting_after=starting_after,
            ending_before=ending_before,
            where=wanted,
        )
        return {"object": "list", "data": data, "has_more": has_more, "url": url}

    params = (*_PAGE, Param("created", CREATED), *filters)
    return Operation("list", "GET", path, kind, run, params, "{id}" in path, python=False)


def _search(path: str, kind: str) -> Operation:
    """``GET /v1/<resources>/search``: Stripe's query language (`_search`)."""
    resources = path.split("/")[2]

    def run(
        fake: PaymentsCore, *, query: str, limit: int = 10, page: str | None = None
    ) -> dict[str, Any]:
        return search(fake, kind, query, limit, page)

    params = (Param("query", STRING, required=True), Param("limit", LIMIT), Param("page", STRING))
    return Operation(f"search_{resources}", "GET", path, kind, run, params)


def _billing_update(value: object, param: str) -> dict[str, Any]:
    """Only the given fields of ``billing_details``, checked like a full one."""
    full = billing_details(value, param)
    given = value if isinstance(value, Mapping) else {}
    changed = {key: full[key] for key in given if key != "address"}
    if "address" in given:
        changed["address"] = {key: full["address"][key] for key in given["address"]}
    return changed


BILLING_UPDATE = Check("hash", _billing_update)


def _hash(value: object, param: str) -> Mapping[str, Any]:
    """A hash whose fields the handler checks."""
    if isinstance(value, Mapping):
        return value
    raise invalid(f"Invalid hash: {param} must be a hash", param=param)


def _hashes(value: object, param: str) -> list[Mapping[str, Any]]:
    if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
        return value
    raise invalid(f"Invalid array: {param} must be an array of hashes", param=param)


def _matcher(value: Any) -> Callable[[Any], bool]:
    """A list filter's test: equality, an event type's ``*`` wildcard
    (``customer.*``, ``*.succeeded``), a list of either (``types``)."""
    if isinstance(value, list):
        tests = [_matcher(item) for item in value]
        return lambda found: any(test(found) for test in tests)
    if isinstance(value, str) and "*" in value:
        pattern = re.compile("^" + ".*".join(re.escape(part) for part in value.split("*")) + "$")
        return lambda found: isinstance(found, str) and pattern.match(found) is not None
    return lambda found: bool(found == value)


def _str(*names: str) -> tuple[Param, ...]:
    return tuple(Param(name, STRING) for name in names)


_CUSTOMER = Param("customer", REFERENCE)
_PAYMENT_METHOD = Param("payment_method", REFERENCE)
_METADATA = Param("metadata", METADATA)
_CAPTURE_METHOD = Param("capture_method", one_of(*CAPTURE_METHODS))
_CONFIRMATION = (
    Param("return_url", STRING),
    Param("off_session", OFF_SESSION),
    Param("error_on_requires_action", BOOLEAN),
)
_PAYMENT_METHOD_DATA = Param("payment_method_data", PAYMENT_METHOD_DATA)
_PAYMENT_METHOD_OPTIONS = Param("payment_method_options", PAYMENT_METHOD_OPTIONS)
_SETUP_FUTURE_USAGE = Param("setup_future_usage", one_of("on_session", "off_session"))
_SHIPPING = Param("shipping", SHIPPING)
_TAX_BEHAVIOR = Param("tax_behavior", one_of("exclusive", "inclusive", "unspecified"))
_ITEMS = Check("list", _hashes)
_TRIAL_END = Param("trial_end", TRIAL_END)
_PRORATION = Param("proration_behavior", one_of("create_prorations", "none", "always_invoice"))
_PAYMENT_BEHAVIOR = Param(
    "payment_behavior",
    one_of(
        *PAYMENT_BEHAVIORS,
        message="payment_behavior={value!r} is left out by the fake: "
        "use allow_incomplete or default_incomplete",
    ),
)
_AUTOMATIC_ONLY = "The fake charges invoices automatically: collection_method={value!r} is left out"
_CARD_ONLY = "Invalid type: the fake supports payment methods of type 'card', not {value!r}"

# --- the table ------------------------------------------------------------------------------

# fmt: off
OPERATIONS: tuple[Operation, ...] = (
    # customers
    _row(
        "create_customer", "POST /v1/customers", "customer", Customers._op_create_customer,
        *_str("email", "name", "phone", "description"), _METADATA, _PAYMENT_METHOD,
    ),
    _search("/v1/customers/search", "customer"),
    _list("/v1/customers", "customer", Param("email", STRING)),
    _retrieve("/v1/customers/{id}", "customer"),
    _row(
        "update_customer", "POST /v1/customers/{id}", "customer", Customers._op_update_customer,
        *_str("email", "name", "phone", "description"), _METADATA,
        Param("invoice_settings", INVOICE_SETTINGS),
    ),
    _row(
        "delete_customer", "DELETE /v1/customers/{id}", "customer",
        Customers._op_delete_customer,
    ),
    _list("/v1/customers/{id}/payment_methods", "payment_method", Param("type", STRING)),
    # payment methods
    _row(
        "create_payment_method", "POST /v1/payment_methods", "payment_method",
        PaymentMethods._op_create_payment_method,
        Param("type", one_of("card", message=_CARD_ONLY)), Param("card", CARD, required=True),
        Param("billing_details", BILLING_DETAILS), _METADATA,
    ),
    _list("/v1/payment_methods", "payment_method", *_str("customer", "type")),
    _retrieve("/v1/payment_methods/{id}", "payment_method"),
    _row(
        "update_payment_method", "POST /v1/payment_methods/{id}", "payment_method",
        PaymentMethods._op_update_payment_method, Param("billing_details", BILLING_UPDATE),
        _METADATA, Param("card", EXPIRY),
        Param("allow_redisplay", one_of("always", "limited", "unspecified")),
    ),
    _row(
        "attach_payment_method", "POST /v1/payment_methods/{id}/attach", "payment_method",
        PaymentMethods._op_attach_payment_method, Param("customer", REFERENCE, required=True),
    ),
    _row(
        "detach_payment_method", "POST /v1/payment_methods/{id}/detach", "payment_method",
        PaymentMethods._op_detach_payment_method,
    ),
    # payment intents
    _row(
        "create_payment_intent", "POST /v1/payment_intents", "payment_intent",
        PaymentIntents._op_create_payment_intent,
        Param("currency", CURRENCY, required=True), Param("amount", INTEGER, required=True),
        _CUSTOMER, _PAYMENT_METHOD, _PAYMENT_METHOD_DATA, Param("confirm", BOOLEAN),
        _CAPTURE_METHOD, _METADATA, *_str("description", "receipt_email", "transfer_group"),
        Param("automatic_payment_methods", AUTOMATIC_PAYMENT_METHODS),
        Param("payment_method_types", CARD_TYPES), _PAYMENT_METHOD_OPTIONS, *_CONFIRMATION,
        _SETUP_FUTURE_USAGE, Param("statement_descriptor", DESCRIPTOR),
        Param("statement_descriptor_suffix", DESCRIPTOR), _SHIPPING,
        Param("confirmation_method", one_of("automatic", "manual")),
        Param("use_stripe_sdk", FLAG), Param("excluded_payment_method_types", STRINGS),
        charges=True,
    ),
    _search("/v1/payment_intents/search", "payment_intent"),
    _list("/v1/payment_intents", "payment_intent", Param("customer", STRING)),
    _retrieve("/v1/payment_intents/{id}", "payment_intent"),
    _row(
        "update_payment_intent", "POST /v1/payment_intents/{id}", "payment_intent",
        PaymentIntents._op_update_payment_intent,
        Param("currency", CURRENCY), Param("amount", INTEGER), _CUSTOMER, _PAYMENT_METHOD,
        _PAYMENT_METHOD_DATA, _METADATA, *_str("description", "receipt_email"),
        _CAPTURE_METHOD, _SETUP_FUTURE_USAGE, _SHIPPING, _PAYMENT_METHOD_OPTIONS,
        Param("statement_descriptor", DESCRIPTOR),
        Param("statement_descriptor_suffix", DESCRIPTOR),
    ),
    _row(
        "confirm_payment_intent", "POST /v1/payment_intents/{id}/confirm", "payment_intent",
        Charging._op_confirm_payment_intent, _PAYMENT_METHOD, _PAYMENT_METHOD_DATA,
        *_CONFIRMATION, _SETUP_FUTURE_USAGE, _CAPTURE_METHOD, Param("receipt_email", STRING),
        _SHIPPING, _PAYMENT_METHOD_OPTIONS, Param("use_stripe_sdk", FLAG),
        charges=True,
    ),
    _row(
        "increment_authorization", "POST /v1/payment_intents/{id}/increment_authorization",
        "payment_intent", PaymentIntents._op_increment_authorization,
        Param("amount", POSITIVE, required=True), Param("description", STRING), _METADATA,
        Param("statement_descriptor", DESCRIPTOR),
    ),
    _row(
        "capture_payment_intent", "POST /v1/payment_intents/{id}/capture", "payment_intent",
        Charging._op_capture_payment_intent, Param("amount_to_capture", POSITIVE),
    ),
    _row(
        "cancel_payment_intent", "POST /v1/payment_intents/{id}/cancel", "payment_intent",
        Charging._op_cancel_payment_intent,
        Param("cancellation_reason", one_of(*CANCELLATION_REASONS)),
    ),
    _helper(
        "authenticate", "payment_intent", SetupIntents._op_authenticate,
        Param("succeed", BOOLEAN), charges=True,
    ),
    # setup intents
    _row(
        "create_setup_intent", "POST /v1/setup_intents", "setup_intent",
        SetupIntents._op_create_setup_intent, _CUSTOMER, _PAYMENT_METHOD, _PAYMENT_METHOD_DATA,
        Param("confirm", BOOLEAN), Param("usage", one_of("on_session", "off_session")),
        Param("description", STRING), _METADATA,
        Param("automatic_payment_methods", AUTOMATIC_PAYMENT_METHODS),
        Param("payment_method_types", CARD_TYPES), _PAYMENT_METHOD_OPTIONS,
        Param("return_url", STRING), Param("use_stripe_sdk", FLAG),
    ),
    _list("/v1/setup_intents", "setup_intent", *_str("customer", "payment_method")),
    _retrieve("/v1/setup_intents/{id}", "setup_intent"),
    _row(
        "update_setup_intent", "POST /v1/setup_intents/{id}", "setup_intent",
        SetupIntents._op_update_setup_intent, _CUSTOMER, _PAYMENT_METHOD, _PAYMENT_METHOD_DATA,
        Param("description", STRING), _METADATA,
    ),
    _row(
        "confirm_setup_intent", "POST /v1/setup_intents/{id}/confirm", "setup_intent",
        SetupIntents._op_confirm_setup_intent, _PAYMENT_METHOD, _PAYMENT_METHOD_DATA,
        _PAYMENT_METHOD_OPTIONS, Param("return_url", STRING), Param("use_stripe_sdk", FLAG),
    ),
    _row(
        "cancel_setup_intent", "POST /v1/setup_intents/{id}/cancel", "setup_intent",
        SetupIntents._op_cancel_setup_intent,
        Param("cancellation_reason", one_of(*SETUP_CANCELLATION_REASONS)),
    ),
    # charges
    _search("/v1/charges/search", "charge"),
    _row(
        "create_charge", "POST /v1/charges", "charge", Charges._op_create_charge,
        Param("amount", INTEGER, required=True), Param("currency", CURRENCY, required=True),
        _CUSTOMER, Param("source", REFERENCE), Param("capture", BOOLEAN), _METADATA,
        *_str("description", "receipt_email", "transfer_group"),
        Param("statement_descriptor", DESCRIPTOR),
        Param("statement_descriptor_suffix", DESCRIPTOR), _SHIPPING,
        charges=True,
    ),
    _list("/v1/charges", "charge", *_str("customer", "payment_intent")),
    _retrieve("/v1/charges/{id}", "charge"),
    _row(
        "update_charge", "POST /v1/charges/{id}", "charge", Charges._op_update_charge,
        *_str("description", "receipt_email", "transfer_group"), _METADATA, _SHIPPING,
        Param("fraud_details", FRAUD_DETAILS),
    ),
    _row(
        "capture_charge", "POST /v1/charges/{id}/capture", "charge", Charges._op_capture_charge,
        Param("amount", POSITIVE), Param("receipt_email", STRING),
        Param("statement_descriptor", DESCRIPTOR),
    ),
    # refunds
    _row(
        "create_refund", "POST /v1/refunds", "refund", Refunds._op_create_refund,
        Param("payment_intent", REFERENCE), Param("charge", REFERENCE),
        Param("amount", POSITIVE), Param("reason", one_of(*REFUND_REASONS)), _METADATA,
    ),
    _list("/v1/refunds", "refund", *_str("charge", "payment_intent")),
    _retrieve("/v1/refunds/{id}", "refund"),
    _row("update_refund", "POST /v1/refunds/{id}", "refund", Refunds._op_update_refund, _METADATA),
    _row("cancel_refund", "POST /v1/refunds/{id}/cancel", "refund", Refunds._op_cancel_refund),
    # disputes
    _list("/v1/disputes", "dispute", *_str("charge", "payment_intent")),
    _retrieve("/v1/disputes/{id}", "dispute"),
    _row(
        "update_dispute", "POST /v1/disputes/{id}", "dispute", Charging._op_update_dispute,
        Param("evidence", Check("hash", _hash)), _METADATA, Param("submit", BOOLEAN),
    ),
    _row("close_dispute", "POST /v1/disputes/{id}/close", "dispute", Charging._op_close_dispute),
    _list(
        "/v1/radar/early_fraud_warnings", "radar.early_fraud_warning",
        *_str("charge", "payment_intent"),
    ),
    _retrieve("/v1/radar/early_fraud_warnings/{id}", "radar.early_fraud_warning"),
    # balance transactions
    _retrieve("/v1/balance_transactions/{id}", "balance_transaction"),
    # products and prices
    _row(
        "create_product", "POST /v1/products", "product", Catalog._op_create_product,
        Param("name", STRING, required=True), Param("active", BOOLEAN), _METADATA,
        *_str("description", "url", "unit_label", "tax_code"), Param("images", STRINGS),
        Param("statement_descriptor", DESCRIPTOR), Param("shippable", FLAG),
        Param("default_price_data", Check("hash", _hash)),
    ),
    _list("/v1/products", "product", Param("active", FLAG)),
    _retrieve("/v1/products/{id}", "product"),
    _row(
        "update_product", "POST /v1/products/{id}", "product", Catalog._op_update_product,
        *_str("name", "description", "url"), Param("active", BOOLEAN), _METADATA,
        Param("images", STRINGS), Param("statement_descriptor", DESCRIPTOR),
        Param("default_price", REFERENCE),
    ),
    _row("delete_product", "DELETE /v1/products/{id}", "product", Catalog._op_delete_product),
    _row(
        "create_price", "POST /v1/prices", "price", Catalog._op_create_price,
        Param("currency", CURRENCY, required=True), Param("product", REFERENCE),
        Param("product_data", Check("hash", _hash)), Param("unit_amount", INTEGER),
        Param("recurring", Check("hash", _hash)), *_str("nickname", "lookup_key"), _METADATA,
        Param("active", BOOLEAN), _TAX_BEHAVIOR,
    ),
    _list(
        "/v1/prices", "price", Param("product", STRING), Param("active", FLAG),
        Param("type", one_of("one_time", "recurring")), Param("currency", CURRENCY),
        Param("lookup_keys", STRINGS),
    ),
    _retrieve("/v1/prices/{id}", "price"),
    _row(
        "update_price", "POST /v1/prices/{id}", "price", Catalog._op_update_price,
        Param("active", BOOLEAN), *_str("nickname", "lookup_key"), _METADATA, _TAX_BEHAVIOR,
    ),
    # checkout sessions
    _row(
        "create_checkout_session", "POST /v1/checkout/sessions", "checkout.session",
        Checkout._op_create_checkout_session,
        Param("mode", one_of("payment", "setup", "subscription"), required=True),
        Param("line_items", Check("list", _hashes)),
        *_str("success_url", "cancel_url", "client_reference_id", "customer_email", "locale"),
        _CUSTOMER, Param("customer_creation", one_of("always", "if_required")), _METADATA,
        Param("payment_intent_data", Check("hash", _hash)),
        Param("payment_method_types", CARD_TYPES), Param("expires_at", INTEGER),
        Param("submit_type", one_of("auto", "book", "donate", "pay", "subscribe")),
        Param("billing_address_collection", one_of("auto", "required")),
        Param("allow_promotion_codes", BOOLEAN),
        Param("subscription_data", Check("hash", _hash)),
    ),
    _list(
        "/v1/checkout/sessions", "checkout.session", *_str("customer", "payment_intent"),
        Param("status", one_of("open", "complete", "expired")),
    ),
    _retrieve("/v1/checkout/sessions/{id}", "checkout.session"),
    Operation(
        "list", "GET", "/v1/checkout/sessions/{id}/line_items", "item",
        Checkout._op_list_line_items, (Param("limit", LIMIT),), targeted=True, python=False,
    ),
    _row(
        "expire_checkout_session", "POST /v1/checkout/sessions/{id}/expire", "checkout.session",
        Checkout._op_expire_checkout_session,
    ),
    _helper(
        "complete_checkout_session", "checkout.session",
        Checkout._op_complete_checkout_session, Param("payment_method", REFERENCE, required=True),
        *_str("email", "name"), Param("authenticate", BOOLEAN), charges=True,
    ),
    # subscriptions and invoices
    _row(
        "create_subscription", "POST /v1/subscriptions", "subscription",
        Subscriptions._op_create_subscription, Param("customer", REFERENCE, required=True),
        Param("items", _ITEMS, required=True), Param("default_payment_method", REFERENCE),
        Param("trial_period_days", INTEGER), _TRIAL_END, Param("cancel_at_period_end", BOOLEAN),
        _PAYMENT_BEHAVIOR, _METADATA, Param("description", STRING), _PRORATION,
        Param("collection_method", one_of("charge_automatically", message=_AUTOMATIC_ONLY)),
        Param("off_session", BOOLEAN), charges=True,
    ),
    Operation(
        "list", "GET", "/v1/subscriptions", "subscription",
        SubscriptionChanges._op_list_subscriptions,
        (*_PAGE, Param("created", CREATED), Param("status", one_of(*SUBSCRIPTION_STATUSES)),
         *_str("customer", "price")), python=False,
    ),
    _retrieve("/v1/subscriptions/{id}", "subscription"),
    _row(
        "update_subscription", "POST /v1/subscriptions/{id}", "subscription",
        SubscriptionChanges._op_update_subscription, Param("items", _ITEMS),
        Param("default_payment_method", REFERENCE), Param("cancel_at_period_end", BOOLEAN),
        _TRIAL_END, _METADATA, Param("description", STRING), _PRORATION, _PAYMENT_BEHAVIOR,
        Param("off_session", BOOLEAN), charges=True,
    ),
    _row(
        "cancel_subscription", "DELETE /v1/subscriptions/{id}", "subscription",
        SubscriptionChanges._op_cancel_subscription, Param("invoice_now", BOOLEAN),
        Param("prorate", BOOLEAN), Param("cancellation_details", Check("hash", _hash)),
    ),
    _list(
        "/v1/invoices", "invoice", *_str("customer", "subscription"),
        Param("status", one_of("draft", "open", "paid", "uncollectible", "void")),
    ),
    _retrieve("/v1/invoices/{id}", "invoice"),
    Operation(
        "list", "GET", "/v1/invoices/{id}/lines", "line_item", Invoices._op_list_invoice_lines,
        (Param("limit", LIMIT),), targeted=True, python=False,
    ),
    _row(
        "pay_invoice", "POST /v1/invoices/{id}/pay", "invoice", Invoices._op_pay_invoice,
        _PAYMENT_METHOD, Param("off_session", BOOLEAN), charges=True,
    ),
    # events
    _list("/v1/events", "event", Param("type", STRING), Param("types", STRINGS)),
    _retrieve("/v1/events/{id}", "event"),
    # any object by id, from Python
    _helper("retrieve", "object", PaymentsCore._op_retrieve),
)
# fmt: on

#: The rows the Python API runs, by method name.
CALLS: dict[str, Operation] = {op.name: op for op in OPERATIONS if op.python}
#: Every operation name, as ``fail_next(on=...)`` takes them.
NAMES: tuple[str, ...] = tuple(dict.fromkeys([*CALLS, *(op.name for op in OPERATIONS)]))
#: The operations that attempt a charge.
CHARGING: tuple[str, ...] = tuple(op.name for op in OPERATIONS if op.charges)
