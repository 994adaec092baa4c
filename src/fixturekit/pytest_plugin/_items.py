"""What the plugin does to collected tests, at a cost paid once per run.

A plugin that checks every test for its markers in an autouse fixture makes every
test pay for it, marked or not. fixturekit instead finds the marked tests once, after
collection, and adds the fixture a marker needs to those tests alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest

__all__ = ["add_fixture", "any_wants", "marked", "wants_any"]


def marked(items: Iterable[pytest.Item], names: Sequence[str]) -> list[pytest.Item]:
    """The items carrying a marker named in ``names``, on themselves or on a class,
    module or package around them.

    Each collector's markers are looked at once for all the items under it, so the
    cost per unmarked item is a look at its own (usually empty) marker list and one at
    its parent's cached answer.
    """
    wanted = frozenset(names)
    known: dict[int, bool] = {}

    def under_marker(node: pytest.Item | pytest.Collector | None) -> bool:
        if node is None:
            return False
        found = known.get(id(node))
        if found is None:
            found = any(mark.name in wanted for mark in node.own_markers) or under_marker(
                node.parent
            )
            known[id(node)] = found
        return found

    result = []
    for item in items:
        own = item.own_markers
        if own and any(mark.name in wanted for mark in own):
            result.append(item)
            continue
        parent = item.parent
        found = known.get(id(parent))
        if found is None:
            found = under_marker(parent)
        if found:
            result.append(item)
    return result


def any_wants(items: Iterable[pytest.Item], names: frozenset[str]) -> bool:
    """Whether some item's fixtures (as collected) include one of ``names``."""
    disjoint = names.isdisjoint
    return not all(disjoint(getattr(item, "fixturenames", ())) for item in items)


def wants_any(item: pytest.Item, names: frozenset[str]) -> bool:
    """Whether the item's fixtures (as collected) include one of ``names``."""
    return not names.isdisjoint(getattr(item, "fixturenames", ()))


def add_fixture(item: pytest.Item, name: str) -> None:
    """Make the test set up fixture ``name`` first among its function-scoped fixtures
    (after the session, package, module and class ones), as an autouse fixture would be,
    even when the test does not ask for it; moved there if it does.

    The item gets its own list: parametrized tests share one with their siblings.
    """
    names = getattr(item, "fixturenames", None)
    if names is None:  # not a fixture-using item (e.g. a doctest)
        return
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    others = [each for each in names if each != name]
    at = len(others)
    for index, each in enumerate(others):
        if each == "request":
            continue
        found = definitions.get(each)
        if found and found[-1].scope != "function":
            continue
        at = index
        break
    item.fixturenames = [*others[:at], name, *others[at:]]  # type: ignore[attr-defined]
