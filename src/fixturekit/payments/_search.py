"""Stripe's search query language, for ``/v1/customers/search``,
``/v1/payment_intents/search`` and ``/v1/charges/search``.

A query is clauses joined by ``AND`` or by ``OR`` (not both): ``field:value`` (exact,
case-insensitive for text), ``field~"text"`` (contains, 3 characters at least),
``field>value`` / ``<`` / ``>=`` / ``<=`` (numbers and ``created``), a leading ``-``
negates, ``metadata['key']:'value'`` reads metadata and ``metadata['key']:null``
finds the objects without that key. Values are quoted (``'...'`` or ``"..."``) or
bare numbers, ``true``, ``false``, ``null``. A malformed query is refused with
``invalid_request_error`` naming the position.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fixturekit.payments._core import PaymentsCore
from fixturekit.payments._objects import snapshot
from fixturekit.payments._params import invalid

__all__ = ["SEARCH_FIELDS", "search"]

#: The fields each resource is searched on, and their kind (text, number, token, bool).
SEARCH_FIELDS: dict[str, dict[str, str]] = {
    "customer": {
        "created": "number",
        "email": "text",
        "name": "text",
        "phone": "text",
        "metadata": "metadata",
    },
    "payment_intent": {
        "amount": "number",
        "created": "number",
        "currency": "token",
        "customer": "token",
        "status": "token",
        "metadata": "metadata",
    },
    "charge": {
        "amount": "number",
        "billing_details.address.postal_code": "token",
        "created": "number",
        "currency": "token",
        "customer": "token",
        "disputed": "bool",
        "payment_method_details.card.brand": "token",
        "payment_method_details.card.exp_month": "number",
        "payment_method_details.card.exp_year": "number",
        "payment_method_details.card.fingerprint": "token",
        "payment_method_details.card.last4": "token",
        "payment_intent": "token",
        "refunded": "bool",
        "status": "token",
        "metadata": "metadata",
    },
}
_RESOURCE = {"customer": "customers", "payment_intent": "payment_intents", "charge": "charges"}

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<join>AND|OR)(?=\s)
    | (?P<neg>-)?(?P<field>metadata\[(?P<mq>['"])(?P<key>[^'"]*)(?P=mq)\]|[a-z_][a-z0-9_.]*)
      (?P<op>>=|<=|:|~|>|<)
      (?:(?P<q>['"])(?P<quoted>(?:\\.|(?!(?P=q)).)*)(?P=q)|(?P<bare>[^\s'"]+))
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Clause:
    negated: bool
    field: str
    key: str | None
    op: str
    value: str | None  # None: null
    quoted: bool


def _syntax(query: str, position: int, what: str) -> Exception:
    return invalid(
        f"Invalid search query {query!r}: {what} at position {position}. See "
        "https://stripe.com/docs/search#search-query-language for the syntax.",
        param="query",
    )


def parse(query: str) -> tuple[list[_Clause], str]:
    """The clauses of ``query`` and how they join (``AND``/``OR``)."""
    clauses: list[_Clause] = []
    joins: set[str] = set()
    position, expect_clause = 0, True
    end = len(query.rstrip())
    if end == 0:
        raise _syntax(query, 0, "the query is empty")
    while position < end:
        found = _TOKEN.match(query, position)
        if found is None or (found["join"] is not None) == expect_clause:
            start = position + len(query[position:]) - len(query[position:].lstrip())
            what = "expected a clause such as email:'ada@example.com'"
            if not expect_clause:
                what = "expected AND or OR"
            raise _syntax(query, start, what)
        if found["join"] is not None:
            joins.add(found["join"])
        else:
            bare = found["bare"]
            quoted = found["q"] is not None
            value = found["quoted"].replace("\\", "") if quoted else bare
            clauses.append(
                _Clause(
                    negated=found["neg"] is not None,
                    field="metadata" if found["key"] is not None else found["field"],
                    key=found["key"],
                    op=found["op"],
                    value=None if not quoted and bare == "null" else value,
                    quoted=quoted,
                )
            )
        expect_clause = not expect_clause
        position = found.end()
    if expect_clause:
        raise _syntax(query, end, "the query ends after AND/OR")
    if len(joins) > 1:
        raise _syntax(query, query.index("OR"), "AND and OR cannot be mixed in one query")
    return clauses, (joins.pop() if joins else "AND")


def _lookup(obj: dict[str, Any], path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _test(kind: str, clause: _Clause, query: str) -> Callable[[dict[str, Any]], bool]:
    fields = SEARCH_FIELDS[kind]
    name = clause.field
    if name not in fields:
        raise invalid(
            f"Field `{name}` is an unsupported search field for resource "
            f"`{_RESOURCE[kind]}`. Supported fields: {', '.join(sorted(fields))}. See "
            f"https://stripe.com/docs/search#query-fields-for-{_RESOURCE[kind]}.",
            param="query",
        )
    field_kind = fields[name]
    if field_kind == "metadata" and clause.key is None:
        raise _syntax(query, query.index(name), "metadata is searched as metadata['key']")
    if clause.op in (">", "<", ">=", "<="):
        if field_kind != "number":
            raise _syntax(query, query.index(name), f"{name} takes : only, not {clause.op}")
        try:
            bound = int(clause.value or "")
        except ValueError:
            raise _syntax(query, query.index(name), f"{name} compares to a number") from None
        compare: Callable[[int], bool] = {
            ">": lambda a: a > bound,
            "<": lambda a: a < bound,
            ">=": lambda a: a >= bound,
            "<=": lambda a: a <= bound,
        }[clause.op]
        return lambda obj: isinstance(_lookup(obj, name), int) and compare(_lookup(obj, name))
    if clause.op == "~":
        if field_kind != "text" or clause.value is None or len(clause.value) < 3:
            raise _syntax(
                query, query.index(name), "~ takes a text field and at least 3 characters"
            )
        needle = clause.value.lower()
        return lambda obj: needle in str(_lookup(obj, name) or "").lower()
    wanted = clause.value
    if field_kind == "metadata":
        key = clause.key
        return lambda obj: obj["metadata"].get(key) == wanted
    if field_kind == "number":
        return lambda obj: str(_lookup(obj, name)) == wanted
    if field_kind == "bool":
        return lambda obj: str(_lookup(obj, name)).lower() == str(wanted).lower()
    if wanted is None:
        return lambda obj: _lookup(obj, name) is None
    lowered = wanted.lower()
    return lambda obj: str(_lookup(obj, name) or "").lower() == lowered


def search(
    fake: PaymentsCore, kind: str, query: str, limit: int = 10, page: str | None = None
) -> dict[str, Any]:
    """A page of the ``kind`` objects matching ``query``, newest first, as Stripe's
    ``search_result`` (``next_page`` is the ``page`` of the next call)."""
    clauses, join = parse(query)
    tests = [_test(kind, clause, query) for clause in clauses]
    negations = [clause.negated for clause in clauses]

    def matches(obj: dict[str, Any]) -> bool:
        results = (test(obj) != negated for test, negated in zip(tests, negations, strict=True))
        return all(results) if join == "AND" else any(results)

    start = 0
    if page is not None:
        try:
            start = int(base64.urlsafe_b64decode(page.encode()).decode().removeprefix("offset:"))
        except ValueError:
            message = f"Invalid page: {page!r} is not a next_page of this search"
            raise invalid(message, "page") from None
    with fake._lock:
        found = [obj for obj in reversed(fake._by_type[kind].values()) if matches(obj)]
        data = [snapshot(obj) for obj in found[start : start + limit]]
    more = len(found) > start + limit
    token = base64.urlsafe_b64encode(f"offset:{start + limit}".encode()).decode()
    return {
        "object": "search_result",
        "data": data,
        "has_more": more,
        "next_page": token if more else None,
        "url": f"/v1/{_RESOURCE[kind]}/search",
    }
