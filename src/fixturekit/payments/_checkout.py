"""Checkout Sessions in ``payment`` mode (an ``open`` session from line items), in
``setup`` mode (save a card) and in ``subscription`` mode (recurring prices: completing
it creates the subscription and pays its first invoice); the test plays the customer
on the hosted page (`complete_checkout_session`); expiry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from fixturekit.errors import CardError, InvalidRequestError
from fixturekit.payments._catalog import Catalog
from fixturekit.payments._customers import Customers
from fixturekit.payments._intents import PaymentIntents
from fixturekit.payments._params import invalid, merge_metadata
from fixturekit.payments._setup_intents import SetupIntents
from fixturekit.payments._subscription_changes import SubscriptionChanges

__all__ = ["Checkout"]

#: Where a session keeps the subscription its first (declined) try created.
_PENDING = "_subscription"

#: How long a session stays open unless ``expires_at`` says otherwise (Stripe: 24 h).
SESSION_TTL = timedelta(hours=24)

_INTENT_DATA = frozenset(
    {"capture_method", "setup_future_usage", "description", "metadata", "receipt_email",
     "statement_descriptor", "statement_descriptor_suffix"}
)  # fmt: skip
_SUBSCRIPTION_DATA = frozenset({"trial_period_days", "trial_end", "metadata", "description"})


class Checkout(SubscriptionChanges, PaymentIntents, SetupIntents, Customers, Catalog):
    """The handlers of ``/v1/checkout/sessions`` and the customer's side of the page."""

    def _op_create_checkout_session(
        self,
        *,
        mode: str,
        line_items: list[Any] | None = None,
        success_url: str | None = None,
        cancel_url: str | None = None,
        customer: str | None = None,
        customer_email: str | None = None,
        customer_creation: str | None = None,
        client_reference_id: str | None = None,
        metadata: Any = None,
        payment_intent_data: Mapping[str, Any] | None = None,
        payment_method_types: list[str] | None = None,
        expires_at: int | None = None,
        locale: str | None = None,
        submit_type: str | None = None,
        billing_address_collection: str | None = None,
        allow_promotion_codes: bool | None = None,
        subscription_data: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        setup = mode == "setup"
        subscribe = mode == "subscription"
        if subscription_data is not None and not subscribe:
            raise invalid(
                f"You can not pass `subscription_data` in `{mode}` mode.",
                param="subscription_data",
            )
        if payment_intent_data is not None and subscribe:
            raise invalid(
                "You can not pass `payment_intent_data` in `subscription` mode.",
                param="payment_intent_data",
            )
        if setup and line_items:
            raise invalid("You can not pass `line_items` in `setup` mode.", param="line_items")
        if customer is not None and customer_email is not None:
            raise invalid(
                "You may only specify one of these parameters: customer, customer_email.",
                param="customer_email",
            )
        owner = None if customer is None else self._get(customer, "customer", "customer")
        items = [] if setup else self._line_items(line_items, mode)
        currency = items[0]["currency"] if items else None
        subtotal = sum(item["amount_subtotal"] for item in items) if items else None
        intent_data = dict((subscription_data if subscribe else payment_intent_data) or {})
        known, prefix = (
            (_SUBSCRIPTION_DATA, "subscription_data") if subscribe
            else (_INTENT_DATA, "payment_intent_data")
        )  # fmt: skip
        unknown = set(intent_data) - known
        if unknown:
            name = sorted(unknown)[0]
            raise invalid(
                f"Received unknown parameter: {prefix}[{name}]",
                param=f"{prefix}[{name}]",
                code="parameter_unknown",
            )
        if subscribe and "trial_period_days" in intent_data:
            days = intent_data["trial_period_days"]
            days = int(days) if isinstance(days, str) and days.isdigit() else days
            if not isinstance(days, int) or isinstance(days, bool) or days < 1:
                raise invalid(
                    f"Invalid subscription_data[trial_period_days]: {days!r} (whole days >= 1)",
                    param="subscription_data[trial_period_days]",
                )
            intent_data["trial_period_days"] = days
        if subscribe and ("trial_period_days" in intent_data or "trial_end" in intent_data):
            subtotal = 0  # nothing is due until the trial ends
        now = self._now()
        ttl = int(SESSION_TTL.total_seconds())
        if expires_at is not None and not now + 1800 <= expires_at <= now + ttl:
            raise invalid(
                "expires_at must be between 30 minutes and 24 hours from now.",
                param="expires_at",
            )
        ident = "cs_test_" + self._random(58)
        session: dict[str, Any] = {
            "id": ident,
            "object": "checkout.session",
            "adaptive_pricing": {"enabled": False},
            "after_expiration": None,
            "allow_promotion_codes": allow_promotion_codes,
            "amount_subtotal": subtotal,
            "amount_total": subtotal,
            "automatic_tax": {
                "enabled": False,
                "liability": None,
                "provider": None,
                "status": None,
            },
            "billing_address_collection": billing_address_collection,
            "cancel_url": cancel_url,
            "client_reference_id": client_reference_id,
            "client_secret": None,
            "collected_information": None,
            "consent": None,
            "consent_collection": None,
            "created": now,
            "currency": currency,
            "currency_conversion": None,
            "custom_fields": [],
            "custom_text": {
                "after_submit": None,
                "shipping_address": None,
                "submit": None,
                "terms_of_service_acceptance": None,
            },
            "customer": None if owner is None else owner["id"],
            "customer_account": None,
            "customer_creation": None
            if owner or subscribe
            else (customer_creation or "if_required"),
            "customer_details": None,
            "customer_email": customer_email,
            "discounts": [],
            "expires_at": expires_at or now + ttl,
            "integration_identifier": None,
            "invoice": None,
            "invoice_creation": {"enabled": False, "invoice_data": None},
            "livemode": False,
            "locale": locale,
            "managed_payments": {"enabled": False},
            "metadata": merge_metadata({}, metadata),
            "mode": mode,
            "origin_context": None,
            "payment_intent": None,
            "payment_link": None,
            "payment_method_collection": "if_required",
            "payment_method_configuration_details": None,
            "payment_method_options": {},
            "payment_method_types": payment_method_types or ["card"],
            "payment_status": "no_payment_required" if setup else "unpaid",
            "permissions": None,
            "phone_number_collection": {"enabled": False},
            "recovered_from": None,
            "saved_payment_method_options": None,
            "setup_intent": None,
            "shipping_address_collection": None,
            "shipping_cost": None,
            "shipping_options": [],
            "status": "open",
            "submit_type": submit_type,
            "subscription": None,
            "success_url": success_url,
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": "hosted",
            "url": f"https://checkout.stripe.com/c/pay/{ident}",
            "wallet_options": None,
        }
        self._checkout[ident] = (items, intent_data)
        self._store(session)
        self.clock.call_later(
            session["expires_at"] - now, self._expire_at_deadline, self._generation, ident
        )
        self._emit("checkout.session.created", session, f"{ident} {subtotal} {currency}")
        return session

    def _op_list_line_items(self, ident: str, *, limit: int = 10) -> dict[str, Any]:
        self._get(ident, "checkout.session", "session", status=404)
        items = self._checkout[ident][0]
        return {
            "object": "list",
            "data": items[:limit],
            "has_more": len(items) > limit,
            "url": f"/v1/checkout/sessions/{ident}/line_items",
        }

    def _line_items(self, given: list[Any] | None, mode: str) -> list[dict[str, Any]]:
        if not given:
            raise invalid(
                f"line_items is required in {mode} mode.",
                param="line_items",
                code="parameter_missing",
            )
        items: list[dict[str, Any]] = []
        for index, raw in enumerate(given):
            param = f"line_items[{index}]"
            if not isinstance(raw, Mapping):
                raise invalid(f"Invalid hash: {param} must be a hash", param=param)
            quantity = raw.get("quantity", 1)
            quantity = (
                int(quantity) if isinstance(quantity, str) and quantity.isdigit() else quantity
            )
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
                raise invalid(
                    f"Invalid {param}[quantity]: {quantity!r}", param=f"{param}[quantity]"
                )
            if ("price" in raw) == ("price_data" in raw):
                raise invalid(
                    f"{param} needs exactly one of price or price_data.", param=f"{param}[price]"
                )
            if "price" in raw:
                price = self._price(raw["price"], f"{param}[price]")
            else:
                data = raw["price_data"]
                fields = {"currency", "unit_amount", "product", "product_data", "tax_behavior"}
                if not isinstance(data, Mapping) or set(data) - fields or "currency" not in data:
                    raise invalid(
                        f"{param}[price_data] takes currency, unit_amount, and product or "
                        "product_data",
                        param=f"{param}[price_data]",
                    )
                price = self._op_create_price(**data)
            if mode == "subscription" and price["type"] != "recurring":
                raise invalid(
                    "In `subscription` mode every line item takes a recurring price (one-time "
                    "items on the first invoice are left out by the fake).",
                    param=f"{param}[price]",
                )
            if mode == "payment" and price["type"] == "recurring":
                raise invalid(
                    "You specified `payment` mode but passed a recurring price. Either switch "
                    "to `subscription` mode or use only one-time prices.",
                    param=f"{param}[price]",
                )
            if items and price["currency"] != items[0]["currency"]:
                raise invalid(
                    "All prices in line_items must have the same currency.",
                    param=f"{param}[price]",
                )
            product = self._objects[price["product"]]
            amount = price["unit_amount"] * quantity
            items.append(
                {
                    "id": "li_" + self._random(24),
                    "object": "item",
                    "amount_discount": 0,
                    "amount_subtotal": amount,
                    "amount_tax": 0,
                    "amount_total": amount,
                    "currency": price["currency"],
                    "description": product.get("name"),
                    "price": dict(price),
                    "quantity": quantity,
                }
            )
        return items

    def _op_expire_checkout_session(self, ident: str) -> dict[str, Any]:
        session = self._get(ident, "checkout.session", "session", status=404)
        if session["status"] != "open":
            raise InvalidRequestError(
                f'Only Checkout Sessions with a status in ["open"] can be expired; this one '
                f"is {session['status']}.",
                param="session",
            )
        self._expire(session)
        return session

    def _expire(self, session: dict[str, Any]) -> None:
        session["status"] = "expired"
        session["url"] = None
        intent = session["payment_intent"]
        if intent is not None and self._objects[intent]["status"] != "succeeded":
            self._cancel(self._objects[intent], "abandoned")
        setup = session["setup_intent"]
        if setup is not None and self._objects[setup]["status"] != "succeeded":
            self._op_cancel_setup_intent(setup, cancellation_reason="abandoned")
        pending = self._checkout[session["id"]][1].get(_PENDING)
        if pending is not None and self._objects[pending]["status"] == "incomplete":
            self._op_cancel_subscription(pending)
        self._emit("checkout.session.expired", session, session["id"])

    def _expire_at_deadline(self, generation: int, ident: str) -> None:
        with self._lock:
            session = self._by_type["checkout.session"].get(ident)
            if generation == self._generation and session and session["status"] == "open":
                self._expire(session)

    def _op_complete_checkout_session(
        self,
        ident: str,
        *,
        payment_method: str,
        email: str | None = None,
        name: str | None = None,
        authenticate: bool = True,
    ) -> dict[str, Any]:
        """The customer on the hosted page: pays with ``payment_method``, passes (or
        fails) 3D Secure; a decline leaves the session open and raises `CardError`."""
        session = self._get(ident, "checkout.session", "session", status=404)
        if session["status"] != "open":
            raise InvalidRequestError(
                f"This Checkout Session is {session['status']}; only an open session can "
                "be completed.",
                param="session",
            )
        email = email or session["customer_email"]
        if session["customer"] is not None and email is None:
            email = email or self._objects[session["customer"]]["email"]
        if email is None:
            raise invalid(
                "The customer must enter an email address on the page: pass email=.",
                param="email",
            )
        customer = session["customer"]
        if customer is None and session["mode"] == "subscription":
            customer = self._op_create_customer(email=email, name=name)["id"]
            session["customer"] = customer
        if customer is None and session["customer_creation"] == "always":
            customer = self._op_create_customer(email=email, name=name)["id"]
            session["customer"] = customer
        session["customer_details"] = {
            "address": None,
            "business_name": None,
            "email": email,
            "individual_name": None,
            "name": name,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        }
        if session["mode"] == "setup":
            return self._complete_setup(session, customer, payment_method, authenticate)
        if session["mode"] == "subscription":
            assert customer is not None
            return self._complete_subscription(session, customer, payment_method, authenticate)
        data = self._checkout[ident][1]
        intent_id = session["payment_intent"]
        if intent_id is None:
            intent = self._op_create_payment_intent(
                amount=session["amount_total"],
                currency=session["currency"],
                customer=customer,
                metadata=data.get("metadata"),
                description=data.get("description"),
                receipt_email=data.get("receipt_email", email),
                capture_method=data.get("capture_method", "automatic"),
                setup_future_usage=data.get("setup_future_usage"),
            )
            session["payment_intent"] = intent_id = intent["id"]
        intent = self._objects[intent_id]
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise InvalidRequestError(
                f"The payment intent {intent_id} of this session is {intent['status']}.",
                param="session",
            )
        method = self._method_for(payment_method, None)
        assert method is not None
        intent["payment_method"] = method["id"]
        self._confirm(
            intent,
            operation="complete_checkout_session",
            return_url=None,
            off_session=False,
            error_on_requires_action=False,
        )
        if intent["status"] == "requires_action":
            self._op_authenticate(intent_id, succeed=authenticate)
            if intent["status"] != "succeeded" and intent["status"] != "requires_capture":
                error = intent["last_payment_error"] or {}
                raise CardError(
                    error.get("message", "Authentication failed."),
                    code=error.get("code", "payment_intent_authentication_failure"),
                )
        session["status"] = "complete"
        # An authorization waiting for capture is not paid yet, as in Stripe.
        session["payment_status"] = "paid" if intent["status"] == "succeeded" else "unpaid"
        session["url"] = None
        self._emit("checkout.session.completed", session, f"{ident} paid by {email}")
        return session

    def _complete_subscription(
        self, session: dict[str, Any], customer: str, payment_method: str, authenticate: bool
    ) -> dict[str, Any]:
        """Subscription mode: the card is saved to the customer, the subscription created
        and its first invoice paid (3D Secure included); a decline leaves the session
        open, and the next try pays the same incomplete subscription."""
        method = self._method_for(payment_method, None)
        assert method is not None
        if method["customer"] is None:
            self._attach(method, self._objects[customer])
        data = self._checkout[session["id"]][1]
        pending = data.get(_PENDING)
        if pending is None:
            subscription = self._op_create_subscription(
                customer=customer,
                items=[
                    {"price": item["price"]["id"], "quantity": item["quantity"]}
                    for item in self._checkout[session["id"]][0]
                ],
                default_payment_method=method["id"],
                payment_behavior="default_incomplete",
                **{key: value for key, value in data.items() if key in _SUBSCRIPTION_DATA},
            )
            data[_PENDING] = pending = subscription["id"]
        subscription = self._objects[pending]
        subscription["default_payment_method"] = method["id"]
        invoice = self._objects[subscription["latest_invoice"]]
        if invoice["status"] == "open":
            self._charge_invoice(
                invoice,
                method["id"],
                operation="complete_checkout_session",
                off_session=False,
                automatic=False,
            )
            intent = self._objects[invoice["payment_intent"]]
            if intent["status"] == "requires_action":
                self._op_authenticate(intent["id"], succeed=authenticate)
                if intent["status"] != "succeeded":
                    raise CardError(
                        "The customer failed to authenticate the card on the page.",
                        code="payment_intent_authentication_failure",
                    )
        session["status"] = "complete"
        session["payment_status"] = "paid" if invoice["amount_due"] else "no_payment_required"
        session["subscription"] = pending
        session["invoice"] = invoice["id"]
        session["url"] = None
        self._emit("checkout.session.completed", session, f"{session['id']} subscribed {pending}")
        return session

    def _complete_setup(
        self,
        session: dict[str, Any],
        customer: str | None,
        payment_method: str,
        authenticate: bool,
    ) -> dict[str, Any]:
        """Setup mode: the page saves the card through a setup intent."""
        if session["setup_intent"] is None:
            created = self._op_create_setup_intent(customer=customer)
            session["setup_intent"] = created["id"]
        intent = self._objects[session["setup_intent"]]
        method = self._method_for(payment_method, None)
        assert method is not None
        intent["payment_method"] = method["id"]
        self._set_up(intent, None)
        if intent["status"] == "requires_action":
            self._op_authenticate(intent["id"], succeed=authenticate)
            if intent["status"] != "succeeded":
                raise CardError(
                    "The customer failed to authenticate the card on the page.",
                    code="setup_intent_authentication_failure",
                )
        session["status"] = "complete"
        session["url"] = None
        self._emit("checkout.session.completed", session, f"{session['id']} (card saved)")
        return session
