# The http_mock fixture and the network guard, ready to be merged into
# src/fixturekit/pytest_plugin.py (its pytest_addoption and pytest_configure gain the
# lines below; the rest is new). Until then test_plugin_guard.py loads this file as the
# conftest.py of its pytester projects. It imports only pytest and the standard library at
# import time, as the plugin must.
from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from fixturekit._netguard import NetworkGuard
    from fixturekit.harness import Harness
    from fixturekit.http import FakeHTTP

#: The markers that allow the network for one test, the short one first.
NETWORK_MARKERS = ("allow_network", "fixturekit_allow_network")
_DEFAULT_ALLOWED = ("127.0.0.1", "::1", "localhost")

_GUARD = pytest.StashKey["NetworkGuard | None"]()
_GUARD_ERROR = pytest.StashKey["BaseException | None"]()
_CALL_FAILED = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "fixturekit_network_guard",
        type="bool",
        default=False,
        help="refuse every socket connection a test makes to a host outside "
        "fixturekit_allow_hosts (fixturekit.NetworkGuard around each test's setup, call "
        "and teardown); @pytest.mark.allow_network lifts it for one test. Default: false.",
    )
    parser.addini(
        "fixturekit_allow_hosts",
        type="linelist",
        default=list(_DEFAULT_ALLOWED),
        help="the hosts (names, addresses, networks such as 10.0.0.0/8) tests may reach "
        "while the network guard is on. Default: 127.0.0.1 ::1 localhost.",
    )


def pytest_configure(config: pytest.Config) -> None:
    for name in NETWORK_MARKERS:
        config.addinivalue_line(
            "markers",
            f"{name}(*hosts): with no argument, the test may use the network (the "
            "fixturekit network guard is off for it); with hosts, it may reach those hosts "
            "as well as fixturekit_allow_hosts.",
        )


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
    from fixturekit._netguard import NetworkGuard

    try:
        return NetworkGuard(allow=hosts)
    except (TypeError, ValueError) as exc:
        pytest.fail(f"fixturekit network guard for {item.nodeid}: {exc}", pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, Any, None]:
    """With fixturekit_network_guard on, run each test (setup, call, teardown) guarded."""
    guard = None
    item.stash[_GUARD_ERROR] = None
    if item.config.getini("fixturekit_network_guard"):
        try:
            guard = _make_guard(item)
        except pytest.fail.Exception as exc:  # a bad marker: reported as the test's failure
            item.stash[_GUARD_ERROR] = exc
    item.stash[_GUARD] = guard
    with guard if guard is not None else contextlib.nullcontext():
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, None]:
    """Remember whether the test failed (for http_mock), and fail a test that passed only
    because the application swallowed a refused connection."""
    error = item.stash.get(_GUARD_ERROR, None)
    if error is not None:
        item.stash[_CALL_FAILED] = True
        raise error
    guard = item.stash.get(_GUARD, None)
    before = len(guard.blocked) if guard is not None else 0
    outcome = yield
    failed = outcome.excinfo is not None
    item.stash[_CALL_FAILED] = failed
    # A test that takes the network_guard fixture handles refusals itself (it may expect
    # one); it can call network_guard.assert_nothing_blocked().
    manages_guard = "network_guard" in getattr(item, "fixturenames", ())
    if guard is not None and not failed and not manages_guard:
        blocked = guard.blocked[before:]
        if blocked:
            listing = "\n".join(f"  - {entry}" for entry in blocked)
            outcome.force_exception(
                pytest.fail.Exception(
                    "the test passed, but the fixturekit network guard refused "
                    f"{len(blocked)} connection(s) that the code under test swallowed:\n"
                    f"{listing}\nfake the service (the http_mock fixture answers httpx) "
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


@pytest.fixture
def http_mock(request: pytest.FixtureRequest, harness: Harness) -> Iterator[FakeHTTP]:
    """A running fixturekit.FakeHTTP (``harness.http``) on the test's clock: strict, so a
    request no route matches, or a route never called, fails the test."""
    from fixturekit.http import FakeHTTP

    fake = harness.add(FakeHTTP())
    yield fake
    if request.node.stash.get(_CALL_FAILED, False):
        fake.skip_exit_checks()  # report the test's own failure, not the routes it left
