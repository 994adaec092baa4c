"""``register_factory(UserFactory)``: a ``user_factory`` pytest fixture, for fixture lovers."""

from __future__ import annotations

import inspect
import re
import sys
from typing import Any

__all__ = ["fixture_name", "register_factory"]

_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def fixture_name(factory: type) -> str:
    """``UserFactory`` -> ``user_factory``, ``HTTPLogFactory`` -> ``http_log_factory``."""
    name = factory.__name__
    snake = _WORD_BREAK.sub("_", name).lower()
    return snake if snake.endswith("_factory") else f"{snake}_factory"


def register_factory(factory: type, *, name: str | None = None, _depth: int = 1) -> Any:
    """A pytest fixture returning ``factory``: ``register_factory(UserFactory)`` in conftest.py.

    The fixture is named ``name`` or after the class (``UserFactory`` -> ``user_factory``).
    It is put into the calling module (or class body), where pytest finds it, and also
    returned. Factories need no fixture to work; this is for suites that ask for
    everything through fixtures.
    """
    import pytest

    from fixturekit.factories._factory import Factory

    given: object = factory
    if isinstance(given, type) and issubclass(given, Factory):
        pass
    else:
        raise TypeError(
            "register_factory() takes a factory class such as UserFactory "
            f"(class UserFactory(fk.Factory[User])), got {given!r}"
        )
    if name is None:
        name = fixture_name(factory)
    elif not (isinstance(name, str) and name.isidentifier()):
        raise ValueError(f"register_factory(name=...) must be a Python identifier, got {name!r}")
    caller = sys._getframe(_depth)
    inject = not caller.f_code.co_flags & inspect.CO_OPTIMIZED
    in_class = inject and caller.f_locals is not caller.f_globals

    def plain() -> type:
        return factory

    def method(self: object) -> type:
        return factory

    fixture = method if in_class else plain
    fixture.__name__ = fixture.__qualname__ = name
    fixture.__doc__ = f"The factory {factory.__qualname__} (registered with register_factory)."
    result = pytest.fixture(name=name)(fixture)
    if inject:
        caller.f_locals[name] = result
    return result
