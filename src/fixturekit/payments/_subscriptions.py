"""Subscriptions billed on the clock, as Stripe's test clocks bill them.

A subscription's first invoice is made, finalized and charged when it is created
(none is charged during a trial: its invoice is zero). Each time the clock passes
``current_period_end`` the period moves on and the next invoice is made, finalized and
charged at once to the subscription's (or the customer's) default payment method,
off session. A failed renewal makes the subscription ``past_due`` and is retried on a
fixed schedule (`RETRY_DAYS` after each failure, instead of Stripe's Smart Retries);
when the last retry fails the subscription ends ``canceled`` (Stripe's default),
``unpaid`` or stays ``past_due``, as `configure_billing` says.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from fixturekit.payments._catalog import Catalog
from fixturekit.payments._customers import Customers
from fixturekit.payments._invoices import RETRY_DAYS, Invoices
from fixturekit.payments._objects import copy
from fixturekit.payments._params import invalid, merge_metadata

__all__ = ["FINAL_STATUSES", "PAYMENT_BEHAVIORS", "RETRY_DAYS", "Subscriptions"]

#: What a subscription becomes when the last retry fails.
FINAL_STATUSES = ("canceled", "unpaid", "past_due")
PAYMENT_BEHAVIORS = ("allow_incomplete", "default_incomplete")
#: How long a first payment may stay unpaid before the subscription expires.
INCOMPLETE_TTL = timedelta(hours=23)
#: ``customer.subscription.trial_will_end`` comes this long before a trial ends.
TRIAL_NOTICE = 3 * 86400

_ENDED = ("canceled", "incomplete_expired")


def period_end(anchor: int, interval: str, count: int, periods: int) -> int:
    """The end of ``periods`` billing periods from ``anchor`` (months keep the anchor's
    day, or the month's last day when it is shorter)."""
    if interval in ("day", "week"):
        return anchor + periods * count * 86400 * (7 if interval == "week" else 1)
    start = datetime.fromtimestamp(anchor, timezone.utc)
    months = start.month - 1 + periods * count * (12 if interval == "year" else 1)
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


def _plan(price: Mapping[str, Any]) -> dict[str, Any]:
    """The legacy ``plan`` view of a recurring price."""
    recurring = price["recurring"]
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": copy(price["metadata"]),
        "meter": None,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": recurring["trial_period_days"],
        "usage_type": "licensed",
    }


class Subscriptions(Invoices, Customers, Catalog):
    """The handlers of ``/v1/subscriptions`` and the billing that runs on the clock."""

    _final_status: str = "canceled"

    # --- create ------------------------------------------------------------------------

    def _op_create_subscription(
        self,
        *,
        customer: str,
        items: list[Mapping[str, Any]],
        default_payment_method: str | None = None,
        trial_period_days: int | None = None,
        trial_end: int | str | None = None,
        cancel_at_period_end: bool = False,
        payment_behavior: str = "allow_incomplete",
        metadata: Any = None,
        description: str | None = None,
        collection_method: str = "charge_automatically",
        off_session: bool | None = None,
        proration_behavior: str | None = None,
    ) -> dict[str, Any]:
        owner = self._get(customer, "customer", "customer")
        method = None
        if default_payment_method is not None:
            method = self._get(default_payment_method, "payment_method", "default_payment_method")
            if method["customer"] != owner["id"]:
                raise invalid(
                    f"The payment method {method['id']} is not attached to customer "
                    f"{owner['id']}; attach it first.",
                    param="default_payment_method",
                )
        ident = "sub_" + self._random(24)
        now = self._now()
        built = self._items(ident, items, now)
        if not built:
            raise invalid("Missing required param: items.", param="items", code="parameter_missing")
        if trial_period_days is not None and trial_end is not None:
            raise invalid(
                "You may only specify one of these parameters: trial_end, trial_period_days.",
                param="trial_end",
            )
        trial = self._trial_end(trial_period_days, trial_end, now)
        recurring = built[0]["price"]["recurring"]
        anchor = now if trial is None else trial
        subscription: dict[str, Any] = {
            "id": ident,
            "object": "subscription",
            "application": None,
            "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": anchor,
            "billing_cycle_anchor_config": None,
            "billing_thresholds": None,
            "cancel_at": None,
            "cancel_at_period_end": cancel_at_period_end,
            "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "collection_method": collection_method,
            "created": now,
            "currency": built[0]["price"]["currency"],
            "current_period_end": anchor
            if trial
            else period_end(anchor, recurring["interval"], recurring["interval_count"], 1),
            "current_period_start": now,
            "customer": owner["id"],
            "days_until_due": None,
            "default_payment_method": None if method is None else method["id"],
            "default_source": None,
            "default_tax_rates": [],
            "description": description,
            "discount": None,
            "discounts": [],
            "ended_at": None,
            "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
            "items": {
                "object": "list",
                "data": built,
                "has_more": False,
                "total_count": len(built),
                "url": f"/v1/subscription_items?subscription={ident}",
            },
            "latest_invoice": None,
            "livemode": False,
            "metadata": merge_metadata({}, metadata),
            "next_pending_invoice_item_invoice": None,
            "on_behalf_of": None,
            "pause_collection": None,
            "payment_settings": {
                "payment_method_options": None,
                "payment_method_types": None,
                "save_default_payment_method": "off",
            },
            "pending_invoice_item_interval": None,
            "pending_setup_intent": None,
            "pending_update": None,
            "plan": copy(built[0]["plan"]) if len(built) == 1 else None,
            "quantity": built[0]["quantity"] if len(built) == 1 else None,
            "schedule": None,
            "start_date": now,
            "status": "trialing" if trial else "incomplete",
            "test_clock": None,
            "transfer_data": None,
            "trial_end": trial,
            "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
            "trial_start": now if trial else None,
        }
        self._period_on_items(subscription)
        payer = self._payer(subscription)
        if not trial and payer is None and payment_behavior != "default_incomplete":
            raise invalid(
                "This customer has no attached payment source or default payment method. "
                "Please consider adding a default payment method (default_payment_method, "
                "or the customer's invoice_settings.default_payment_method).",
            )
        self._store(subscription)
        self._emit("customer.subscription.created", subscription, f"{ident} for {owner['id']}")
        reason = "subscription_create"
        invoice = self._new_invoice(subscription, reason, (now, now), (now, anchor))
        if trial:
            for line in invoice["lines"]["data"]:
                line["amount"] = line["amount_excluding_tax"] = 0
                line["description"] = (
                    "Trial period for " + line["description"].split(" \N{MULTIPLICATION SIGN} ")[-1]
                )
            for key in ("amount_due", "amount_remaining", "subtotal", "total"):
                invoice[key] = 0
            invoice["subtotal_excluding_tax"] = invoice["total_excluding_tax"] = 0
            self._finalize(invoice)
            self._notice_trial_end(subscription)
        else:
            self._finalize(invoice)
            if payment_behavior != "default_incomplete":
                self._charge_invoice(
                    invoice,
                    payer,
                    operation="create_subscription",
                    off_session=bool(off_session),
                    automatic=True,
                )
            if subscription["status"] == "incomplete":
                self.clock.call_later(
                    INCOMPLETE_TTL, self._expire_incomplete, self._generation, ident
                )
            # a paid first invoice made it active and scheduled its renewal
            return subscription
        self._schedule(subscription)
        return subscription

    def _items(
        self, ident: str, items: list[Mapping[str, Any]], now: int, interval: Any = None
    ) -> list[dict[str, Any]]:
        built: list[dict[str, Any]] = []
        for index, raw in enumerate(items):
            param = f"items[{index}]"
            unknown = set(raw) - {"price", "quantity", "metadata"}
            if unknown:
                name = sorted(unknown)[0]
                raise invalid(
                    f"Received unknown parameter: {param}[{name}]",
                    param=f"{param}[{name}]",
                    code="parameter_unknown",
                )
            if "price" not in raw:
                raise invalid(
                    f"Missing required param: {param}[price].",
                    param=f"{param}[price]",
                    code="parameter_missing",
                )
            price = self._price(raw["price"], f"{param}[price]")
            if price["type"] != "recurring":
                raise invalid(
                    f"The price specified ({price['id']}) is not recurring; a subscription "
                    "takes recurring prices (one-time items on the first invoice are left "
                    "out by the fake).",
                    param=f"{param}[price]",
                )
            every = (price["recurring"]["interval"], price["recurring"]["interval_count"])
            interval = interval or every
            currency = built[0]["price"]["currency"] if built else price["currency"]
            if every != interval or price["currency"] != currency:
                raise invalid(
                    "All prices of a subscription must have the same currency and billing "
                    "interval (changing the interval is left out by the fake).",
                    param=f"{param}[price]",
                )
            built.append(
                {
                    "id": "si_" + self._random(14),
                    "object": "subscription_item",
                    "billing_thresholds": None,
                    "created": now,
                    "discounts": [],
                    "metadata": merge_metadata({}, raw.get("metadata")),
                    "plan": _plan(price),
                    "price": copy(price),
                    "quantity": self._quantity(raw.get("quantity", 1), f"{param}[quantity]"),
                    "subscription": ident,
                    "tax_rates": [],
                }
            )
        return built

    @staticmethod
    def _quantity(value: object, param: str) -> int:
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise invalid(
                f"Invalid integer: {value}", param=param, code="parameter_invalid_integer"
            )
        return value

    def _trial_end(self, days: int | None, end: int | str | None, now: int) -> int | None:
        if days is not None:
            if days < 0 or days > 730:
                raise invalid("trial_period_days must be between 0 and 730.", "trial_period_days")
            return now + days * 86400 if days else None
        if end is None or end == "now":
            return None
        if isinstance(end, str) and end.isdigit():
            end = int(end)
        if not isinstance(end, int) or isinstance(end, bool) or end <= now:
            raise invalid(
                f"Invalid timestamp: trial_end must be 'now' or a time in the future, got {end!r}",
                param="trial_end",
            )
        return end

    def _payer(self, subscription: dict[str, Any]) -> str | None:
        """The payment method a subscription's invoices are charged to."""
        if subscription["default_payment_method"]:
            return str(subscription["default_payment_method"])
        customer = self._objects.get(subscription["customer"], {})
        found = (customer.get("invoice_settings") or {}).get("default_payment_method")
        return None if found is None else str(found)

    # --- on the clock ------------------------------------------------------------------

    def _schedule(self, subscription: dict[str, Any]) -> None:
        if subscription["status"] in (*_ENDED, "incomplete"):
            return
        end = subscription["current_period_end"]
        self.clock.call_later(
            max(0, end - self._now()), self._period_ended, self._generation, subscription["id"], end
        )

    def _live(self, generation: int, ident: str) -> dict[str, Any] | None:
        subscription = self._by_type["subscription"].get(ident)
        if generation != self._generation or subscription is None:
            return None
        return None if subscription["status"] in _ENDED else subscription

    def _notice_trial_end(self, subscription: dict[str, Any]) -> None:
        """Schedule ``trial_will_end``: three days before the trial ends, or now."""
        end, ident = subscription["trial_end"], subscription["id"]
        delay = max(0, end - TRIAL_NOTICE - self._now())
        self.clock.call_later(delay, self._trial_notice, self._generation, ident, end)

    def _trial_notice(self, generation: int, ident: str, end: int) -> None:
        with self._lock:
            subscription = self._live(generation, ident)
            if subscription is None or subscription["trial_end"] != end:
                return  # the trial changed since
            if subscription["status"] == "trialing":
                self._emit(
                    "customer.subscription.trial_will_end",
                    subscription,
                    f"{ident} trial ends at {subscription['trial_end']}",
                )

    def _expire_incomplete(self, generation: int, ident: str) -> None:
        with self._lock:
            subscription = self._live(generation, ident)
            if subscription is None or subscription["status"] != "incomplete":
                return
            self._void(self._objects[subscription["latest_invoice"]])
            self._set(subscription, status="incomplete_expired", ended_at=self._now())

    def _period_ended(self, generation: int, ident: str, end: int) -> None:
        with self._lock:
            subscription = self._live(generation, ident)
            if subscription is None or subscription["current_period_end"] != end:
                return  # ended, or its period changed since (a trial ended early)
            if subscription["status"] == "incomplete":
                return
            if subscription["cancel_at_period_end"]:
                self._end(subscription, "cancellation_requested")
                return
            self._renew(subscription)

    def _renew(self, subscription: dict[str, Any]) -> None:
        """Move to the next period; invoice it and charge it (a draft when unpaid)."""
        start = subscription["current_period_end"]
        recurring = subscription["items"]["data"][0]["price"]["recurring"]
        anchor = subscription["billing_cycle_anchor"]
        periods = 1
        while (end := period_end(anchor, recurring["interval"], recurring["interval_count"],
                                 periods)) <= start:  # fmt: skip
            periods += 1
        previous_start = subscription["current_period_start"]
        changes: dict[str, Any] = {"current_period_start": start, "current_period_end": end}
        if subscription["status"] == "trialing":
            changes["status"] = "active"
        invoice = self._new_invoice(
            subscription, "subscription_cycle", (previous_start, start), (start, end)
        )
        self._set(subscription, **changes)
        if subscription["status"] != "unpaid":
            self._finalize(invoice)
            if invoice["status"] == "open":
                self._charge_invoice(
                    invoice,
                    self._payer(subscription),
                    operation="pay_invoice",
                    off_session=True,
                    automatic=True,
                )
        self._schedule(subscription)

    def _retry_invoice(self, generation: int, ident: str, attempt: int) -> None:
        with self._lock:
            invoice = self._by_type["invoice"].get(ident)
            if generation != self._generation or invoice is None:
                return
            if invoice["status"] != "open" or invoice["attempt_count"] != attempt:
                return
            subscription = self._live(generation, invoice["subscription"])
            if subscription is None:
                return
            self._charge_invoice(
                invoice,
                self._payer(subscription),
                operation="pay_invoice",
                off_session=True,
                automatic=True,
            )

    # --- what payments do to the subscription -------------------------------------------

    def _invoice_paid_for(self, invoice: dict[str, Any]) -> None:
        subscription = self._by_type["subscription"].get(invoice["subscription"] or "")
        if subscription is None or subscription["status"] not in (
            "incomplete",
            "past_due",
            "unpaid",
        ):
            return
        if subscription["latest_invoice"] == invoice["id"]:
            started = subscription["status"] == "incomplete"
            self._set(subscription, status="active")
            if started:
                self._schedule(subscription)

    def _invoice_failed_for(self, invoice: dict[str, Any], automatic: bool) -> None:
        subscription = self._by_type["subscription"].get(invoice["subscription"] or "")
        if subscription is None or invoice["billing_reason"] == "subscription_create":
            return  # a first payment leaves the subscription incomplete
        if subscription["status"] in ("active", "trialing"):
            self._set(subscription, status="past_due")
        if not automatic:
            return
        attempt, due = invoice["attempt_count"], invoice["next_payment_attempt"]
        if due is not None:  # set by `_payment_failed` from the retry schedule
            self.clock.call_later(
                due - self._now(), self._retry_invoice, self._generation, invoice["id"], attempt
            )
            return
        if self._final_status == "canceled":
            self._end(subscription, "payment_failed")
        elif self._final_status == "unpaid" and subscription["status"] == "past_due":
            self._set(subscription, status="unpaid")

    # --- state changes ----------------------------------------------------------------

    def _set(self, subscription: dict[str, Any], **changes: Any) -> None:
        """Apply changes; ``customer.subscription.updated`` with what they were."""
        previous = {
            key: copy(subscription[key]) for key, value in changes.items()
            if subscription[key] != value
        }  # fmt: skip
        subscription.update(changes)
        self._period_on_items(subscription)
        if previous:
            self._emit(
                "customer.subscription.updated",
                subscription,
                f"{subscription['id']} ({', '.join(f'{k}={subscription[k]}' for k in previous)})",
                previous,
            )

    def _customer_deleted(self, ident: str) -> None:
        for subscription in list(self._by_type["subscription"].values()):
            if subscription["customer"] == ident and subscription["status"] not in _ENDED:
                self._end(subscription, "cancellation_requested")

    @staticmethod
    def _period_on_items(subscription: dict[str, Any]) -> None:
        """The period on each item too, where API versions since 2025-03-31 read it."""
        for item in subscription["items"]["data"]:
            item["current_period_start"] = subscription["current_period_start"]
            item["current_period_end"] = subscription["current_period_end"]

    def _end(self, subscription: dict[str, Any], reason: str) -> None:
        now = self._now()
        subscription["status"] = "canceled"
        subscription["ended_at"] = now
        subscription["canceled_at"] = subscription["canceled_at"] or now
        subscription["cancellation_details"]["reason"] = reason
        self._emit(
            "customer.subscription.deleted", subscription, f"{subscription['id']} ({reason})"
        )
