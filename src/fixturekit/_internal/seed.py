"""One seed for everything random in a test: ``random``, Faker and fixturekit's factories."""

from __future__ import annotations

import random
import sys
import zlib

__all__ = ["current_seed", "derive_seed", "generation", "seed"]

_current: int | None = None
_generation = 0


def seed(n: int) -> int:
    """Seed `random` and Faker (if it is imported) with ``n``; returns ``n``.

    fixturekit's factories read the same seed, so one call makes a test's data
    reproducible. The pytest plugin calls this before every test with a seed derived
    from the run seed and the test's id.
    """
    global _current, _generation
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"seed must be an int, not {type(n).__name__} ({n!r})")
    if n < 0:
        raise ValueError(f"seed must not be negative, got {n}")
    _current = n
    _generation += 1
    random.seed(n)
    faker = sys.modules.get("faker")
    if faker is not None:
        faker.Faker.seed(n)
    return n


def current_seed() -> int | None:
    """The seed last given to `seed`, or None if nothing seeded yet."""
    return _current


def generation() -> int:
    """How many times `seed` has been called in this process.

    Factories start their sequences and unique values over whenever it changes, so
    seeding twice with the same number starts over too.
    """
    return _generation


def derive_seed(run_seed: int, test_id: str) -> int:
    """A test's own seed: stable for a given run seed and test id, whatever the test order."""
    return zlib.crc32(f"{run_seed}:{test_id}".encode()) & 0x7FFFFFFF
