"""Per-test randomness for factories: one state per seed, never shared process-wide.

Every factory draws from its own `random.Random`, derived from the current seed
(`fixturekit._internal.seed`) and the factory's name. A new seed (``fk.seed(n)``, or the pytest
plugin seeding the next test) starts a new `SeedState`: fresh streams, sequences back to
0 and empty unique-value registries. So a test builds the same objects for the same seed
whatever ran before it, and building with one factory never changes another's values.

Semantic text values (names, cities, companies...) come from per-locale pools of values
Faker produced: slot ``i`` of a pool is always the value Faker gives when seeded with a
number derived from the provider and ``i``, filled on first use. A pool's contents do not
depend on the order tests run in; which slot a build picks comes from the factory's stream.
"""

from __future__ import annotations

import random
import sys
import zlib
from collections.abc import Callable, Hashable
from typing import Any

from fixturekit._internal import seed as _seed

__all__ = [
    "POOL_SIZE",
    "SeedState",
    "faker_generator",
    "faker_installed",
    "pooled",
    "require_faker",
    "state",
]

#: How many distinct values a semantic pool holds per locale and provider.
POOL_SIZE = 512

#: The seed used when nothing was seeded (outside pytest, without ``fk.seed``).
DEFAULT_SEED = 0


def _stable_hash(text: str) -> int:
    return zlib.crc32(text.encode())


class SeedState:
    """Everything random or counted that factories keep for one seed."""

    __slots__ = ("_streams", "seed", "sequences", "unique")

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, random.Random] = {}
        self.sequences: dict[str, int] = {}
        self.unique: dict[Hashable, set[Any]] = {}

    def stream(self, key: str) -> random.Random:
        """The generator of the factory named ``key`` under this seed."""
        rng = self._streams.get(key)
        if rng is None:
            rng = self._streams[key] = random.Random(_stable_hash(f"{self.seed}\x00{key}"))
        return rng

    def next_sequence(self, key: str) -> int:
        n = self.sequences.get(key, 0)
        self.sequences[key] = n + 1
        return n

    def unique_set(self, key: Hashable) -> set[Any]:
        seen = self.unique.get(key)
        if seen is None:
            seen = self.unique[key] = set()
        return seen


_state: SeedState | None = None
_token: object = None


def _seed_token() -> object:
    """What identifies "the current seeding": the seed and how many times seed() was
    called (so re-seeding with the same number starts over)."""
    return (_seed.current_seed(), _seed.generation())


def state() -> SeedState:
    """The state for the current seed, started anew whenever the seed changes."""
    global _state, _token
    token = _seed_token()
    if _state is None or token != _token:
        current = _seed.current_seed()
        _state = SeedState(DEFAULT_SEED if current is None else current)
        _token = token
    return _state


# --- Faker, imported on first use --------------------------------------------------------

_generators: dict[str, Any] = {}


def faker_installed() -> bool:
    """Whether Faker can be imported (it comes with the ``faker`` extra)."""
    if sys.modules.get("faker") is not None:
        return True
    import importlib.util

    return importlib.util.find_spec("faker") is not None


def require_faker(what: str) -> None:
    """Raise the ImportError naming the ``faker`` extra when Faker is not installed."""
    if faker_installed():
        return
    raise ImportError(
        f"{what} needs Faker, which is not installed: pip install 'fixturekit[faker]' "
        "(the faker extra). Without it, factories fill numbers, dates, UUIDs, enums, "
        "plain text (made-up words) and the fk.Faker providers fixturekit emulates; "
        "names, emails and other Faker text need Faker",
        name="faker",
    )


def faker_generator(locale: str) -> Any:
    """A Faker `Generator` for ``locale``, private to fixturekit (one per locale).

    Callers point its ``random`` at their own stream before each call, so it carries no
    state from one factory, or one test, to the next.
    """
    generator = _generators.get(locale)
    if generator is None:
        require_faker(f"a value from Faker's locale {locale!r}")
        from faker import Faker

        try:
            proxy = Faker(locale)
        except AttributeError as exc:
            raise ValueError(
                f"Faker has no locale {locale!r}; use one such as 'en_US', 'fr_FR', 'de_DE'"
            ) from exc
        generator = _generators[locale] = proxy.factories[0]
    return generator


def faker_method(locale: str, provider: str) -> Callable[..., Any]:
    """The bound Faker provider method ``provider`` for ``locale``; a clear error if absent."""
    require_faker(f"fk.Faker({provider!r}) (or a field fixturekit fills from that provider)")
    generator = faker_generator(locale)
    try:
        method = getattr(generator, provider)
    except AttributeError:
        import difflib

        names = [n for n in dir(generator) if not n.startswith("_")]
        close = difflib.get_close_matches(provider, names, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise AttributeError(
            f"Faker has no provider {provider!r} (locale {locale!r}){hint}"
        ) from None
    if not callable(method):
        raise TypeError(f"Faker's {provider!r} is not a provider method")
    return method  # type: ignore[no-any-return]


_pools: dict[tuple[str, str, Hashable], list[Any]] = {}
#: The generator pool slots are filled from, re-seeded for every slot.
_pool_random = random.Random()


def pooled(locale: str, provider: str, rng: random.Random, kwargs: Hashable = ()) -> Any:
    """A value of Faker's ``provider`` from the ``locale`` pool, slot chosen by ``rng``.

    Without Faker, ``word`` (what a plain text field is filled from) is a pronounceable
    made-up word drawn from ``rng``; other providers ask for the ``faker`` extra.
    """
    if provider == "word" and not kwargs and not faker_installed():
        return _made_up_word(rng)
    key = (locale, provider, kwargs)
    pool = _pools.get(key)
    if pool is None:
        pool = _pools[key] = [None] * POOL_SIZE
    index = int(rng.random() * POOL_SIZE)
    value = pool[index]
    if value is None:
        method = faker_method(locale, provider)
        generator = faker_generator(locale)
        _pool_random.seed(_stable_hash(f"{provider}\x00{kwargs!r}\x00{index}"))
        generator.random = _pool_random
        value = pool[index] = method(**dict(kwargs)) if kwargs else method()  # type: ignore[call-overload]
    return value


_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


def _made_up_word(rng: random.Random) -> str:
    """Two or three consonant-vowel syllables, such as ``tabeko``."""
    syllables = 2 + int(rng.random() * 2)
    return "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(syllables))


def faker_call(
    locale: str, provider: str, rng: random.Random, kwargs: dict[str, Any] | None = None
) -> Any:
    """A fresh Faker call of ``provider``, drawing from ``rng``."""
    method = faker_method(locale, provider)
    generator = faker_generator(locale)
    generator.random = rng
    return method(**kwargs) if kwargs else method()


def loaded(name: str) -> Any:
    """``sys.modules[name]`` if that library is already imported, else None."""
    return sys.modules.get(name)
