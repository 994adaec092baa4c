"""The test a runner is running right now, as pytest's plugin and ``HarnessTestCase`` share it.

The pytest plugin sets it around each test; ``fixturekit.testcase`` reads it, so a
``HarnessTestCase`` run by pytest takes pytest's seeds and shows its timeline in
pytest's failure report. Neither imports the other: both import this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CurrentTest", "clear", "get", "set_current"]


@dataclass
class CurrentTest:
    """One running test: who runs it, its seeds, and the harness whose timeline a failure
    report shows."""

    #: The runner's handle for the test (a ``pytest.Item`` under pytest).
    item: Any
    #: The test's class (None for a function) and its name within it.
    cls: type | None
    name: str
    run_seed: int
    test_seed: int
    harness: Any = None

    def is_case(self, case: Any) -> bool:
        """Whether this is the ``unittest.TestCase`` instance ``case``."""
        case_id: str = case.id()
        return self.cls is type(case) and self.name == case_id.rsplit(".", 1)[-1]


_current: CurrentTest | None = None


def set_current(test: CurrentTest) -> None:
    global _current
    _current = test


def clear() -> None:
    global _current
    _current = None


def get() -> CurrentTest | None:
    return _current
