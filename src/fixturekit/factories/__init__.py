"""Data factories: typed, constraint-aware, deterministic, persisted through the sandbox.

::

    import fixturekit as fk

    class UserFactory(fk.Factory[User]):
        name = fk.Sequence(lambda n: f"user{n}")

    UserFactory.build()          # a User; every undeclared field inferred
    UserFactory.create()         # added to the sandbox's session and flushed
    UserFactory.payload()        # the JSON-ready dict an API client would send

Importing this package imports neither Faker nor pydantic nor SQLAlchemy: each is
imported when a factory first needs it.
"""

from __future__ import annotations

from fixturekit.errors import FactoryError, PatternError
from fixturekit.factories._declarations import (
    Declaration,
    Faker,
    Lazy,
    Sequence,
    Traits,
    post_build,
)
from fixturekit.factories._factory import Factory, RelatedList, SubFactory
from fixturekit.factories._fixtures import register_factory

__all__ = [
    "Declaration",
    "Factory",
    "FactoryError",
    "Faker",
    "Lazy",
    "PatternError",
    "RelatedList",
    "Sequence",
    "SubFactory",
    "Traits",
    "post_build",
    "register_factory",
]
