"""The run seed, each test's seed, the running test, and the failure report section.

Per test this is the plugin's only unconditional work: one hook before the setup seeds
``random`` (and Faker, once it is imported) and records the running test in
`fixturekit._internal.current`, and one look at each phase's report (a passing one
returns at once), which adds the ``fixturekit`` section to a failure and notes that the
test itself did not pass.
"""

from __future__ import annotations

import os
import zlib
from typing import TYPE_CHECKING, Any

import pytest

from fixturekit._internal import current
from fixturekit._internal import seed as _seed

if TYPE_CHECKING:
    from fixturekit.harness import Harness

__all__ = [
    "attach_harness",
    "call_failed",
    "configure",
    "failure_section",
    "run_seed",
    "test_seed",
]

_RUN = pytest.StashKey["RunSeed"]()
_HARNESS = pytest.StashKey["Harness"]()
_CALL_FAILED = pytest.StashKey[bool]()


def configure(config: pytest.Config) -> None:
    """Choose the run seed (the xdist controller's, ``--fixturekit-seed``, or a new one)
    and register the hooks that seed each test from it."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "fixturekit_seed" in workerinput:
        seed = int(workerinput["fixturekit_seed"])
    elif config.option.fixturekit_seed is not None:
        seed = config.option.fixturekit_seed
    else:
        seed = int.from_bytes(os.urandom(4), "big") >> 1  # 0 .. 2**31 - 1
    run = RunSeed(seed)
    config.stash[_RUN] = run
    config.pluginmanager.register(run, "fixturekit-seed")


def run_seed(config: pytest.Config) -> int:
    """The run seed of this pytest run (the same in every xdist worker)."""
    return config.stash[_RUN].seed


class RunSeed:
    """One run's seed, and the hooks that seed each of its tests."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        # derive_seed(seed, nodeid) is the CRC of f"{seed}:{nodeid}": the prefix's CRC
        # is computed once, and each test only adds its node id.
        self._prefix = zlib.crc32(f"{seed}:".encode())
        self._outer: current.CurrentTest | None = None

    def derive(self, nodeid: str) -> int:
        """``fixturekit._internal.seed.derive_seed(self.seed, nodeid)``, cheaper."""
        return zlib.crc32(nodeid.encode(), self._prefix) & 0x7FFFFFFF

    def pytest_report_header(self) -> str:
        return f"fixturekit: run seed {self.seed} (rerun with --fixturekit-seed={self.seed})"

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """pytest-xdist: hand the controller's run seed to every worker."""
        node.workerinput["fixturekit_seed"] = self.seed

    def pytest_sessionstart(self) -> None:
        self._outer = current.get()  # a pytest run inside a test (pytester) puts it back

    def pytest_sessionfinish(self) -> None:
        if self._outer is None:
            current.clear()
        else:
            current.set_current(self._outer)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Seed ``random`` and Faker for the test, before any of its fixtures run."""
        seed = zlib.crc32(item.nodeid.encode(), self._prefix) & 0x7FFFFFFF
        parent = item.parent
        cls = parent.obj if isinstance(parent, pytest.Class) else None
        current.set_current(current.CurrentTest(item, cls, item.name, self.seed, seed))
        _seed.seed(seed)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.outcome == "passed":
            return
        test = current.get()
        if test is None or test.item.nodeid != report.nodeid:
            return  # e.g. on the xdist controller, which runs no tests
        if report.outcome == "failed":
            report.sections.append(("fixturekit", failure_section(test.item)))
        if report.when == "call":
            test.item.stash[_CALL_FAILED] = True  # failed, skipped or xfailed


def attach_harness(item: pytest.Item, harness: Harness) -> None:
    """Show ``harness``'s timeline when the test fails."""
    item.stash[_HARNESS] = harness


def call_failed(item: pytest.Item) -> bool:
    """Whether the test function itself did not pass (known from its teardown on)."""
    return item.stash.get(_CALL_FAILED, False)


def test_seed(item: pytest.Item) -> int:
    """The seed ``random`` and Faker got before the test's setup."""
    return item.config.stash[_RUN].derive(item.nodeid)


def failure_section(item: pytest.Item) -> str:
    """The text fixturekit adds to a failing test's report."""
    run = item.config.stash[_RUN].seed
    quoted = "'" + item.nodeid.replace("'", "'\"'\"'") + "'"
    lines = [
        f"test seed {test_seed(item)} (run seed {run})",
        f"rerun: pytest --fixturekit-seed={run} {quoted}",
    ]
    harness = item.stash.get(_HARNESS, None)
    test = current.get()
    if harness is None and test is not None and test.item is item:
        harness = test.harness  # a HarnessTestCase's, run by pytest
    if harness is not None:
        lines += ["", "timeline:", str(harness.timeline)]
    return "\n".join(lines)
