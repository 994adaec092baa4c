"""One build in progress (`Build`), what declarations and generators read, and the
registry of which factory builds a model.

This module sits under everything else in the package: declarations, type inference,
the SQLAlchemy adapter and persistence read the build, and the factory module on top
makes it. A factory class reaches a build only as a value (`FactoryClass`), so nothing
here imports the factory module.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from fixturekit.errors import FactoryError

if TYPE_CHECKING:
    import random

    from sqlalchemy.orm import Session

    from fixturekit.factories._random import SeedState

__all__ = [
    "OMIT",
    "Build",
    "FactoryClass",
    "Gen",
    "did_you_mean",
    "factory_for_table",
    "register",
    "registered_factory",
]


class _Omit:
    """Leave the field out: the model's default (or the database) fills it."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()

#: A value generator: a function of the build in progress returning a field's value.
Gen = Callable[["Build"], Any]

_BUSY: Any = object()


class FactoryClass(Protocol):
    """What a build needs of the factory class making it (a `Factory` subclass)."""

    _fk_name: str  # the class's __qualname__, for messages
    _fk_key: str
    _fk_locale: str

    def _build_nested(self, parent: Build, overrides: dict[str, Any]) -> Any: ...

    def _fk_factory_for(self, model: type) -> FactoryClass: ...


def names(found: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in found)


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """`` (did you mean 'a', 'b'?)`` for the options close to ``name``, or ''."""
    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.6)
    return f" (did you mean {names(close)}?)" if close else ""


# --- which factory builds a model ------------------------------------------------------------

_registry: dict[type, FactoryClass] = {}


def register(model: type, factory: FactoryClass) -> None:
    """Make ``factory`` the one other factories use for ``model`` (the first one wins)."""
    _registry.setdefault(model, factory)


def registered_factory(model: type) -> FactoryClass | None:
    """The first factory declared for ``model`` (with ``register=True``, the default)."""
    return _registry.get(model)


def factory_for_table(table: Any) -> FactoryClass | None:
    """The registered factory whose (SQLAlchemy) model maps ``table``."""
    for model, factory in _registry.items():
        if getattr(model, "__table__", None) is table:
            return factory
    return None


# --- one build in progress ---------------------------------------------------------------------


class View:
    """What ``fk.Lazy`` functions receive: the object's fields by attribute."""

    __slots__ = ("_build",)

    def __init__(self, build: Build) -> None:
        self._build = build

    def __getattr__(self, name: str) -> Any:
        build = self._build
        if name == "sequence":
            return build.sequence
        if name not in build.sources:
            raise AttributeError(
                f"{build.factory._fk_name}: fk.Lazy asked for {name!r}, which is not a "
                f"field{did_you_mean(name, build.sources)}"
            )
        value = build.get(name)
        return None if value is OMIT else value


class Build:
    """The state of building one object: its values so far, its generator, its session.

    ``sources`` are the field generators (the plan's, with the overrides in place);
    ``after`` collects post-build hooks to run once the objects are flushed.
    """

    __slots__ = (
        "_now",
        "_sequence",
        "after",
        "depth",
        "factory",
        "locale",
        "nested",
        "overrides",
        "rng",
        "session",
        "sources",
        "state",
        "values",
    )

    def __init__(
        self,
        factory: FactoryClass,
        sources: dict[str, Gen],
        state: SeedState,
        overrides: dict[str, Any],
        nested: dict[str, dict[str, Any]],
        session: Session | None,
        after: list[tuple[Any, Any, Any]] | None,
        depth: int,
        now: datetime | None,
    ) -> None:
        self.factory = factory
        self.state = state
        self.rng: random.Random = state.stream(factory._fk_key)
        self.locale = factory._fk_locale
        self.overrides = overrides
        self.nested = nested
        self.session = session
        self.after = after
        self.depth = depth
        self._now = now
        self._sequence: int | None = None
        self.values: dict[str, Any] = {}
        self.sources = sources

    def get(self, name: str) -> Any:
        values = self.values
        value = values.get(name, OMIT)
        if value is _BUSY:
            raise FactoryError(
                f"{self.factory._fk_name}: the field {name!r} depends on itself through "
                "fk.Lazy declarations; break the cycle"
            )
        if name in values:
            return value
        values[name] = _BUSY
        value = values[name] = self.sources[name](self)
        return value

    def now(self) -> datetime:
        """The reference time of this build: the clock's now (a patching fk.Clock rules it)."""
        if self._now is None:
            self._now = datetime.now(timezone.utc).replace(microsecond=0)
        return self._now

    @property
    def sequence(self) -> int:
        if self._sequence is None:
            self._sequence = self.state.next_sequence(self.factory._fk_key)
        return self._sequence

    @property
    def view(self) -> View:
        return View(self)

    def factory_for(self, model: type) -> FactoryClass:
        """The registered factory for ``model``, or one made on the fly."""
        factory = _registry.get(model)
        return factory if factory is not None else self.factory._fk_factory_for(model)

    def overridden(self, name: str) -> bool:
        return name in self.overrides

    def nested_overrides(self, name: str) -> dict[str, Any]:
        return self.nested.get(name, {})

    def related_key(self, factory: FactoryClass, column: Any) -> Any:
        """Create a row with ``factory`` (in this build's session) and return ``column``'s value."""
        import sqlalchemy as sa

        session = self.session
        assert session is not None
        obj = factory._build_nested(self, {})
        session.add(obj)
        session.flush()
        key = sa.inspect(type(obj)).get_property_by_column(column).key
        return getattr(obj, key)
