"""Changing a subscription: items (price, quantity), default payment method, trial end,
``cancel_at_period_end``; canceling it; listing subscriptions as Stripe filters them.

Prorations are left out: a new price or quantity is billed from the next renewal on,
whatever ``proration_behavior`` says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fixturekit.payments._hashes import in_range
from fixturekit.payments._objects import copy
from fixturekit.payments._params import invalid, merge_metadata
from fixturekit.payments._subscriptions import Subscriptions

__all__ = ["SUBSCRIPTION_STATUSES", "SubscriptionChanges"]

SUBSCRIPTION_STATUSES = (
    "active", "all", "canceled", "ended", "incomplete", "incomplete_expired", "past_due",
    "paused", "trialing", "unpaid",
)  # fmt: skip


class SubscriptionChanges(Subscriptions):
    """The handlers of ``POST|DELETE /v1/subscriptions/{id}`` and the list."""

    def _op_update_subscription(
        self,
        ident: str,
        *,
        items: list[Mapping[str, Any]] | None = None,
        default_payment_method: str | None = None,
        cancel_at_period_end: bool | None = None,
        trial_end: int | str | None = None,
        metadata: Any = None,
        description: str | None = None,
        proration_behavior: str | None = None,
        payment_behavior: str | None = None,
        off_session: bool | None = None,
    ) -> dict[str, Any]:
        subscription = self._get(ident, "subscription", "id", status=404)
        ended = subscription["status"] in ("canceled", "incomplete_expired")
        if ended and (items is not None or default_payment_method or cancel_at_period_end):
            raise invalid(
                "A canceled subscription can only update its cancellation_details and metadata."
            )
        changes: dict[str, Any] = {}
        if metadata is not None:
            changes["metadata"] = merge_metadata(subscription["metadata"], metadata)
        if description is not None:
            changes["description"] = description or None
        if default_payment_method is not None:
            method = self._get(default_payment_method, "payment_method", "default_payment_method")
            if method["customer"] != subscription["customer"]:
                raise invalid(
                    f"The payment method {method['id']} is not attached to customer "
                    f"{subscription['customer']}; attach it first.",
                    param="default_payment_method",
                )
            changes["default_payment_method"] = method["id"]
        if items is not None:
            changes.update(self._changed_items(subscription, items))
        if cancel_at_period_end is not None:
            changes["cancel_at_period_end"] = cancel_at_period_end
            changes["cancel_at"] = (
                subscription["current_period_end"] if cancel_at_period_end else None
            )
            changes["canceled_at"] = self._now() if cancel_at_period_end else None
            changes["cancellation_details"] = {
                **subscription["cancellation_details"],
                "reason": "cancellation_requested" if cancel_at_period_end else None,
            }
        end_now = False
        if trial_end is not None:
            if subscription["status"] != "trialing":
                raise invalid(
                    "trial_end can only change while the subscription is trialing (adding a "
                    "trial to an active subscription is left out by the fake).",
                    param="trial_end",
                )
            now = self._now()
            end_now = trial_end == "now"
            end = now if end_now else self._trial_end(None, trial_end, now)
            changes.update(trial_end=end, current_period_end=end, billing_cycle_anchor=end)
        self._set(subscription, **changes)
        if end_now:
            self._emit(
                "customer.subscription.trial_will_end", subscription, f"{ident} trial ends now"
            )
            self._renew(subscription)
        elif trial_end is not None:
            self._schedule(subscription)
            self._notice_trial_end(subscription)
        return subscription

    def _changed_items(
        self, subscription: dict[str, Any], given: list[Mapping[str, Any]]
    ) -> dict[str, Any]:
        items = copy(subscription["items"])
        current = {item["id"]: item for item in items["data"]}
        price = items["data"][0]["price"]
        every = (price["recurring"]["interval"], price["recurring"]["interval_count"])
        for index, raw in enumerate(given):
            param = f"items[{index}]"
            if "id" not in raw:
                items["data"].extend(self._items(subscription["id"], [raw], self._now(), every))
                continue
            item = current.get(raw["id"])
            if item is None:
                raise invalid(
                    f"No such subscription item: '{raw['id']}'",
                    param=f"{param}[id]",
                    code="resource_missing",
                )
            rest = {key: value for key, value in raw.items() if key != "id"}
            if "price" not in rest:
                rest["price"] = item["price"]["id"]
            rest.setdefault("quantity", item["quantity"])
            (new,) = self._items(subscription["id"], [rest], item["created"], every)
            if new["price"]["currency"] != subscription["currency"]:
                raise invalid(
                    "All prices of a subscription must have the same currency.",
                    param=f"{param}[price]",
                )
            item.update(price=new["price"], plan=new["plan"], quantity=new["quantity"])
            item["metadata"] = merge_metadata(item["metadata"], raw.get("metadata"))
        items["total_count"] = len(items["data"])
        single = len(items["data"]) == 1
        return {
            "items": items,
            "plan": copy(items["data"][0]["plan"]) if single else None,
            "quantity": items["data"][0]["quantity"] if single else None,
        }

    def _op_cancel_subscription(
        self,
        ident: str,
        *,
        invoice_now: bool | None = None,
        prorate: bool | None = None,
        cancellation_details: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        subscription = self._get(ident, "subscription", "id", status=404)
        if subscription["status"] in ("canceled", "incomplete_expired"):
            raise invalid(
                f"This subscription is already {subscription['status']}.", param="subscription"
            )
        details = dict(cancellation_details or {})
        unknown = set(details) - {"comment", "feedback"}
        if unknown:
            name = sorted(unknown)[0]
            raise invalid(
                f"Received unknown parameter: cancellation_details[{name}]",
                param=f"cancellation_details[{name}]",
                code="parameter_unknown",
            )
        subscription["cancellation_details"].update(details)
        subscription["canceled_at"] = self._now()
        if subscription["status"] == "incomplete":
            self._void(self._objects[subscription["latest_invoice"]])
        self._end(subscription, "cancellation_requested")
        return subscription

    def _op_list_subscriptions(
        self,
        *,
        limit: int = 10,
        starting_after: str | None = None,
        ending_before: str | None = None,
        status: str | None = None,
        customer: str | None = None,
        price: str | None = None,
        created: Any = None,
    ) -> dict[str, Any]:
        if customer is not None:
            self._get(customer, "customer", "customer")
        ended = ("canceled", "incomplete_expired")

        def wanted(obj: dict[str, Any]) -> bool:
            if status is None and obj["status"] in ended:
                return False
            if status == "ended" and obj["status"] not in ended:
                return False
            if status not in (None, "all", "ended") and obj["status"] != status:
                return False
            if customer is not None and obj["customer"] != customer:
                return False
            if price is not None and all(i["price"]["id"] != price for i in obj["items"]["data"]):
                return False
            return created is None or in_range(obj["created"], created)

        data, has_more = self._list(
            "subscription",
            limit=limit,
            starting_after=starting_after,
            ending_before=ending_before,
            where=wanted,
        )
        return {"object": "list", "data": data, "has_more": has_more, "url": "/v1/subscriptions"}
