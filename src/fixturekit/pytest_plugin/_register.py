"""Fixtures for fakes and factories: `register_fake`, `register_factory`, and the one
helper that makes a fake's fixture (fixturekit's own fakes use it too)."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from fixturekit.pytest_plugin._options import strict_setting

if TYPE_CHECKING:
    from fixturekit.harness import Fake, Harness

__all__ = ["OWN_FIXTURES", "fake_fixture", "register_factory", "register_fake"]

#: Every fixture name fixturekit defines (and pytest's ``request``): register_fake()
#: and register_factory() refuse them.
OWN_FIXTURES = frozenset(
    {
        "request",
        "clock",
        "harness",
        "fixturekit_seed",
        "mailer",
        "queue",
        "job_queue",
        "payments",
        "http",
        "http_mock",
        "tokens",
        "network_guard",
        "fixturekit_database",
        "db_sandbox",
        "db_session",
        "async_db_sandbox",
        "async_db_session",
    }
)


def fake_fixture(
    factory: Callable[[pytest.FixtureRequest], Fake],
    name: str,
    doc: str,
    *,
    method: bool = False,
    rename: bool = False,
) -> Any:
    """Build the fixture ``name``: ``factory(request)`` added to (and entered by) the
    ``harness`` fixture.

    The fake keeps its own name on the harness (the ``queue`` fixture is
    ``harness.queue``); ``rename=True`` gives each fake the fixture's name instead, so
    one class can back several fixtures. ``method=True`` makes a fixture for a class
    body (it takes self).
    """

    def make(request: pytest.FixtureRequest, harness: Harness) -> Fake:
        fake = factory(request)
        if rename and fake.name != name:
            fake.name = name
        return harness.add(fake)

    def fixture_method(self: object, request: pytest.FixtureRequest, harness: Harness) -> Fake:
        return make(request, harness)

    fixture = fixture_method if method else make
    fixture.__name__ = name
    fixture.__qualname__ = name
    fixture.__doc__ = doc
    return pytest.fixture(name=name)(fixture)


def register_fake(fake_cls: type[Fake], *, name: str | None = None) -> Any:
    """Make a fixture for a custom fake: ``register_fake(FakeSMS)`` in ``conftest.py``.

    The fixture is named ``name`` or ``fake_cls.name``; per test it creates
    ``fake_cls()``, adds it to the ``harness`` fixture (so it shares the test's clock
    and timeline and is entered now, and stopped when the harness exits) and returns it.
    When the ``fixturekit_strict`` ini option is set, the fake's ``strict`` is set to it.
    The fixture is put into the calling module (or class body), which is how pytest
    finds it, and also returned, so ``sms = register_fake(FakeSMS)`` works as well.
    """
    from fixturekit.harness import Fake, check_fake_name

    given: object = fake_cls  # checked at runtime: conftest files are rarely type-checked
    if isinstance(given, Fake):
        kind = type(given).__name__
        raise TypeError(
            f"register_fake() takes the fake's class, not an instance: write "
            f"register_fake({kind}) instead of register_fake({kind}())"
        )
    if not (isinstance(given, type) and issubclass(given, Fake)):
        raise TypeError(
            f"register_fake() takes a fixturekit.Fake subclass, not {given!r}; "
            "write `class FakeSMS(fk.Fake): name = 'sms'` and register_fake(FakeSMS)"
        )
    if name is None:
        if not fake_cls.name:
            raise ValueError(
                f"{fake_cls.__qualname__} has no name; set a class attribute such as "
                f"name = 'sms', or write register_fake({fake_cls.__qualname__}, name='sms')"
            )
        name = fake_cls.name
    check_fake_name(name, "register_fake()'s fixture name")
    _refuse_own(name, "register_fake()")

    def make(request: pytest.FixtureRequest) -> Fake:
        fake = fake_cls()
        strict = strict_setting(request.config)
        if strict is not None:
            fake.strict = strict
        return fake

    caller = sys._getframe(1)
    # A module or class body (not a function): its namespace is where pytest looks.
    inject = not caller.f_code.co_flags & inspect.CO_OPTIMIZED
    in_class = inject and caller.f_locals is not caller.f_globals
    fixture = fake_fixture(
        make,
        name,
        f"A running {fake_cls.__qualname__}, on the test's harness clock and timeline.",
        method=in_class,
        rename=True,
    )
    if inject:
        caller.f_locals[name] = fixture
    return fixture


def register_factory(factory_cls: type, *, name: str | None = None) -> Any:
    """Make a fixture for a factory: ``register_factory(UserFactory)`` in ``conftest.py``
    gives a ``user_factory`` fixture (or ``name``), put into the calling module and
    returned, like `register_fake`."""
    from fixturekit.factories._fixtures import register_factory as register

    if name is not None:
        _refuse_own(name, "register_factory()")
    return register(factory_cls, name=name, _depth=2)


def _refuse_own(name: str, what: str) -> None:
    if name in OWN_FIXTURES:
        raise ValueError(
            f"{what} cannot name a fixture {name!r}: fixturekit's own fixture has that "
            "name; pass another name=..."
        )
