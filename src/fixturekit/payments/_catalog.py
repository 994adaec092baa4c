"""Products and prices: what a shop sells, one-time or recurring, as Checkout and
(later) subscriptions read them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fixturekit.errors import InvalidRequestError
from fixturekit.payments import _cards
from fixturekit.payments._core import PaymentsCore
from fixturekit.payments._objects import copy
from fixturekit.payments._params import CURRENCY, amount_in, invalid, merge_metadata

__all__ = ["INTERVALS", "Catalog"]

INTERVALS = ("day", "week", "month", "year")
#: Stripe's longest recurring period: one year (or 52 weeks, 365 days).
_MAX_COUNT = {"day": 365, "week": 52, "month": 12, "year": 1}


def _recurring(value: Mapping[str, Any] | None, param: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or value.get("interval") not in INTERVALS:
        raise invalid(
            f"Invalid {param}[interval]: must be one of {', '.join(INTERVALS)}",
            param=f"{param}[interval]",
        )
    unknown = set(value) - {"interval", "interval_count", "usage_type", "trial_period_days"}
    if unknown:
        name = sorted(unknown)[0]
        raise invalid(
            f"Received unknown parameter: {param}[{name}]",
            param=f"{param}[{name}]",
            code="parameter_unknown",
        )
    interval = value["interval"]
    count = value.get("interval_count", 1)
    count = int(count) if isinstance(count, str) and count.isdigit() else count
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise invalid(f"Invalid integer: {count}", param=f"{param}[interval_count]")
    if count > _MAX_COUNT[interval]:
        raise invalid(
            "The maximum billing interval is one year (1 year, 12 months, 52 weeks or 365 days).",
            param=f"{param}[interval_count]",
        )
    if value.get("usage_type", "licensed") != "licensed":
        raise invalid(
            "The fake serves licensed (per seat) prices only, not metered usage.",
            param=f"{param}[usage_type]",
        )
    trial = value.get("trial_period_days")
    return {
        "interval": interval,
        "interval_count": count,
        "meter": None,
        "trial_period_days": None if trial is None else int(trial),
        "usage_type": "licensed",
    }


class Catalog(PaymentsCore):
    """The handlers of ``/v1/products`` and ``/v1/prices``."""

    def _op_create_product(
        self,
        *,
        name: str,
        active: bool = True,
        description: str | None = None,
        metadata: Any = None,
        images: list[str] | None = None,
        url: str | None = None,
        statement_descriptor: str | None = None,
        unit_label: str | None = None,
        tax_code: str | None = None,
        shippable: bool | None = None,
        default_price_data: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        if not name:
            raise invalid("Missing required param: name.", param="name", code="parameter_missing")
        now = self._now()
        product: dict[str, Any] = {
            "id": "prod_" + self._random(14),
            "object": "product",
            "active": active,
            "created": now,
            "default_price": None,
            "description": description or None,
            "images": list(images or []),
            "livemode": False,
            "marketing_features": [],
            "metadata": merge_metadata({}, metadata),
            "name": name,
            "package_dimensions": None,
            "shippable": shippable,
            "statement_descriptor": statement_descriptor,
            "tax_code": tax_code,
            "type": "service",
            "unit_label": unit_label,
            "updated": now,
            "url": url,
        }
        self._store(product)
        self._emit("product.created", product, f"{product['id']} {name!r}")
        if default_price_data is not None:
            data = dict(default_price_data)
            unknown = set(data) - {"currency", "unit_amount", "recurring", "tax_behavior"}
            if unknown or "currency" not in data:
                name = sorted(unknown)[0] if unknown else "currency"
                raise invalid(
                    f"Invalid default_price_data[{name}]: it takes currency, unit_amount, "
                    "recurring and tax_behavior",
                    param=f"default_price_data[{name}]",
                )
            price = self._op_create_price(product=product["id"], **data)
            product["default_price"] = price["id"]
        return product

    def _op_update_product(self, ident: str, **changes: Any) -> dict[str, Any]:
        product = self._get(ident, "product", "id", status=404)
        updates: dict[str, Any] = {}
        for key in ("name", "active", "description", "url", "images", "statement_descriptor"):
            if key in changes:
                updates[key] = changes[key] if changes[key] != "" else None
        if "metadata" in changes:
            updates["metadata"] = merge_metadata(product["metadata"], changes["metadata"])
        if "default_price" in changes:
            price = self._get(changes["default_price"], "price", "default_price")
            if price["product"] != ident:
                raise invalid(
                    f"The price {price['id']} belongs to product {price['product']}, not {ident}.",
                    param="default_price",
                )
            updates["default_price"] = price["id"]
        previous = {key: copy(product[key]) for key in updates if product[key] != updates[key]}
        product.update(updates)
        if previous:
            product["updated"] = self._now()
            self._emit("product.updated", product, f"{ident} ({', '.join(previous)})", previous)
        return product

    def _op_delete_product(self, ident: str) -> dict[str, Any]:
        product = self._get(ident, "product", "id", status=404)
        if any(price["product"] == ident for price in self._by_type["price"].values()):
            raise InvalidRequestError(
                "This product cannot be deleted because it has one or more user-created "
                "prices. Archive it instead (active=false).",
                param="id",
            )
        del self._by_type["product"][ident]
        self._objects[ident] = {"id": ident, "object": "product", "deleted": True}
        self._emit("product.deleted", product, ident)
        return {"id": ident, "object": "product", "deleted": True}

    def _op_create_price(
        self,
        *,
        currency: str,
        product: str | None = None,
        product_data: Mapping[str, Any] | None = None,
        unit_amount: int | str | None = None,
        recurring: Mapping[str, Any] | None = None,
        nickname: str | None = None,
        metadata: Any = None,
        lookup_key: str | None = None,
        active: bool = True,
        tax_behavior: str = "unspecified",
    ) -> dict[str, Any]:
        currency = CURRENCY(currency, "currency")
        if (product is None) == (product_data is None):
            raise invalid("You must pass exactly one of product or product_data.", param="product")
        if isinstance(unit_amount, str):
            if not unit_amount.isdigit():
                raise invalid(
                    f"Invalid integer: {unit_amount}",
                    param="unit_amount",
                    code="parameter_invalid_integer",
                )
            unit_amount = int(unit_amount)
        if unit_amount is None:
            raise invalid(
                "Missing required param: unit_amount.",
                param="unit_amount",
                code="parameter_missing",
            )
        if unit_amount != 0:
            amount_in(unit_amount, currency, "unit_amount")
        period = _recurring(recurring, "recurring")
        if product_data is not None:
            data = dict(product_data)
            if set(data) - {"name", "active", "metadata", "statement_descriptor", "unit_label"}:
                name = sorted(set(data) - {"name", "active", "metadata"})[0]
                raise invalid(
                    f"Received unknown parameter: product_data[{name}]",
                    param=f"product_data[{name}]",
                    code="parameter_unknown",
                )
            if "active" in data:
                data["active"] = data["active"] in (True, "true")
            owner = self._op_create_product(name=data.pop("name", ""), **data)
        else:
            owner = self._get(product, "product", "product")
        if lookup_key is not None:
            for other in self._by_type["price"].values():
                if other["lookup_key"] == lookup_key:
                    raise invalid(
                        f"A price ({other['id']}) already uses that lookup key.",
                        param="lookup_key",
                    )
        price: dict[str, Any] = {
            "id": "price_" + self._random(24),
            "object": "price",
            "active": active,
            "billing_scheme": "per_unit",
            "created": self._now(),
            "currency": currency,
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": lookup_key,
            "metadata": merge_metadata({}, metadata),
            "nickname": nickname,
            "product": owner["id"],
            "recurring": period,
            "tax_behavior": tax_behavior,
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time" if period is None else "recurring",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        }
        self._store(price)
        every = ""
        if period is not None:
            every = f" every {period['interval_count']} {period['interval']}"
        self._emit(
            "price.created",
            price,
            f"{price['id']} {_cards.format_amount(unit_amount, currency)}{every} of {owner['id']}",
        )
        return price

    def _op_update_price(self, ident: str, **changes: Any) -> dict[str, Any]:
        price = self._get(ident, "price", "id", status=404)
        updates: dict[str, Any] = {}
        for key in ("active", "nickname", "lookup_key", "tax_behavior"):
            if key in changes:
                updates[key] = changes[key] if changes[key] != "" else None
        if "metadata" in changes:
            updates["metadata"] = merge_metadata(price["metadata"], changes["metadata"])
        previous = {key: copy(price[key]) for key in updates if price[key] != updates[key]}
        price.update(updates)
        if previous:
            self._emit("price.updated", price, f"{ident} ({', '.join(previous)})", previous)
        return price

    def _price(self, ref: object, param: str) -> dict[str, Any]:
        """An active price, or Stripe's refusal naming ``param``."""
        price = self._get(ref, "price", param)
        if not price["active"]:
            raise invalid(f"The price specified ({price['id']}) is inactive.", param=param)
        if not self._by_type["product"].get(price["product"], {}).get("active", False):
            raise invalid(
                f"The price specified ({price['id']}) belongs to an inactive or deleted product.",
                param=param,
            )
        return price
