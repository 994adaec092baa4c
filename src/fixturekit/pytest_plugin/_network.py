"""The network guard: the ``fixturekit_network_guard`` ini option, the ``allow_network``
marker and the ``network_guard`` fixture.

The hooks that run each test inside a guard are registered only when the ini option
is on; otherwise tests pay nothing for them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from fixturekit.pytest_plugin._options import NETWORK_MARKERS

if TYPE_CHECKING:
    from fixturekit.http import NetworkGuard

__all__ = ["configure", "network_guard"]

_GUARD = pytest.StashKey["NetworkGuard | None"]()
_GUARD_ERROR = pytest.StashKey["BaseException | None"]()


def configure(config: pytest.Config) -> None:
    if config.getini("fixturekit_network_guard"):
        config.pluginmanager.register(GuardEveryTest(), "fixturekit-network-guard")


def _network_marker(item: pytest.Item) -> pytest.Mark | None:
    for mark in item.iter_markers():
        if mark.name in NETWORK_MARKERS:
            return mark
    return None


def _allowed_hosts(item: pytest.Item) -> tuple[str, ...] | None:
    """The hosts the test may reach, or None when its marker allows the whole network."""
    hosts = tuple(item.config.getini("fixturekit_allow_hosts"))
    mark = _network_marker(item)
    if mark is None:
        return hosts
    if mark.kwargs or not all(isinstance(host, str) and host for host in mark.args):
        pytest.fail(
            f"@pytest.mark.{mark.name} on {item.nodeid} takes host names only, e.g. "
            f"@pytest.mark.{mark.name}('api.partner.test'), or nothing to allow the whole "
            f"network; got args {mark.args!r} and keywords {mark.kwargs!r}",
            pytrace=False,
        )
    if not mark.args:
        return None
    return hosts + tuple(mark.args)


def _make_guard(item: pytest.Item) -> NetworkGuard | None:
    hosts = _allowed_hosts(item)
    if hosts is None:
        return None
    from fixturekit.http import NetworkGuard

    try:
        return NetworkGuard(allow=hosts)
    except (TypeError, ValueError) as exc:
        pytest.fail(f"fixturekit network guard for {item.nodeid}: {exc}", pytrace=False)


class GuardEveryTest:
    """Registered with ``fixturekit_network_guard = true``: each test's setup, call and
    teardown run inside a NetworkGuard."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, None]:
        guard = None
        item.stash[_GUARD_ERROR] = None
        try:
            guard = _make_guard(item)
        except pytest.fail.Exception as exc:  # a bad marker: reported as the test's failure
            item.stash[_GUARD_ERROR] = exc
        item.stash[_GUARD] = guard
        with guard if guard is not None else contextlib.nullcontext():
            yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, None]:
        """Fail a test that passed only because the application swallowed a refused
        connection."""
        error = item.stash.get(_GUARD_ERROR, None)
        if error is not None:
            raise error
        guard = item.stash.get(_GUARD, None)
        before = len(guard.blocked) if guard is not None else 0
        outcome = yield
        # A test that takes the network_guard fixture handles refusals itself (it may
        # expect one); it can call network_guard.assert_nothing_blocked().
        manages_guard = "network_guard" in getattr(item, "fixturenames", ())
        if guard is None or outcome.excinfo is not None or manages_guard:
            return
        blocked = guard.blocked[before:]
        if blocked:
            listing = "\n".join(f"  - {entry}" for entry in blocked)
            outcome.force_exception(
                pytest.fail.Exception(
                    "the test passed, but the fixturekit network guard refused "
                    f"{len(blocked)} connection(s) that the code under test swallowed:\n"
                    f"{listing}\nfake the service (the http fixture answers httpx) "
                    "or allow the host with @pytest.mark.allow_network('host')",
                    pytrace=False,
                )
            )


@pytest.fixture
def network_guard(request: pytest.FixtureRequest) -> Iterator[NetworkGuard]:
    """The fixturekit.NetworkGuard around this test: the one the ini option started, or
    one started now (allowing fixturekit_allow_hosts and the marker's hosts)."""
    node: pytest.Item = request.node
    active = node.stash.get(_GUARD, None)
    if active is not None:
        yield active
        return
    mark = _network_marker(node)
    if mark is not None and not mark.args:
        pytest.fail(
            f"{node.nodeid} asks for the network_guard fixture and is marked "
            f"@pytest.mark.{mark.name} (the whole network allowed); drop one of the two",
            pytrace=False,
        )
    guard = _make_guard(node)
    assert guard is not None
    with guard:
        yield guard
