"""The pytest integration of FakeHTTP and NetworkGuard, run in nested pytest projects.

The guard's runs are in-process (each guard restores the socket module as it found it);
the fixture's run is a subprocess, since its tests start a patching clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

REMOTE = "payments.example.invalid"


def _project(inner_pytest: InnerPytest, tests: str, *, guard: bool, extra: str = "") -> None:
    options = ("fixturekit_network_guard = true\n" if guard else "") + extra
    if options:
        inner_pytest.ini(options)
    inner_pytest.makepyfile(test_project=tests)


def _run(inner_pytest: InnerPytest, *args: str) -> pytest.RunResult:
    return inner_pytest.run_inprocess(*args)


GUARDED_TESTS = f"""
import socket

import httpx
import pytest


def test_remote_host_is_refused(network_guard):
    with pytest.raises(httpx.ConnectError, match="NetworkGuard blocked .*{REMOTE}:443"):
        httpx.get("https://{REMOTE}/")
    assert [b.host for b in network_guard.blocked] == ["{REMOTE}"]


def test_loopback_is_allowed():
    server = socket.create_server(("127.0.0.1", 0))
    socket.create_connection(server.getsockname(), timeout=5).close()
    server.close()


@pytest.mark.allow_network
def test_marker_without_hosts_lifts_the_guard():
    assert socket.socket.__dict__.get("connect") is None


@pytest.mark.fixturekit_allow_network("{REMOTE}")
def test_marker_with_hosts_adds_them(network_guard):
    assert network_guard.allows("{REMOTE}")
    assert network_guard.allows("127.0.0.1")
    assert not network_guard.allows("other.example.invalid")


def test_network_guard_fixture_is_the_running_guard(network_guard):
    assert network_guard.running
    assert network_guard.allow == ("127.0.0.1", "::1", "localhost")


@pytest.fixture
def stripe_client():
    # a fixture's setup is guarded too
    with pytest.raises(OSError):
        socket.create_connection(("{REMOTE}", 443))
    yield
"""


def test_ini_option_guards_every_test_and_the_marker_lifts_it(inner_pytest: InnerPytest) -> None:
    _project(
        inner_pytest,
        GUARDED_TESTS + "\n\ndef test_fixture_setup(stripe_client):\n    pass\n",
        guard=True,
    )
    _run(inner_pytest).assert_outcomes(passed=6)


def test_without_the_ini_option_nothing_is_guarded(inner_pytest: InnerPytest) -> None:
    tests = """
import socket

def test_unguarded():
    assert socket.socket.__dict__.get("connect") is None

def test_guard_on_request(network_guard):
    assert network_guard.running
    assert socket.socket.__dict__.get("connect") is not None
"""
    _project(inner_pytest, tests, guard=False)
    _run(inner_pytest).assert_outcomes(passed=2)


def test_allow_hosts_ini_option_sets_the_whole_list(inner_pytest: InnerPytest) -> None:
    tests = """
def test_hosts(network_guard):
    assert network_guard.allow == ("10.0.0.0/8", "db.internal")
    assert not network_guard.allows("127.0.0.1")
"""
    extra = "fixturekit_allow_hosts =\n    10.0.0.0/8\n    db.internal\n"
    _project(inner_pytest, tests, guard=True, extra=extra)
    _run(inner_pytest).assert_outcomes(passed=1)


def test_a_swallowed_refusal_fails_a_test_that_would_pass(inner_pytest: InnerPytest) -> None:
    tests = f"""
import httpx

def fetch_rates_or_default():
    try:
        return httpx.get("https://{REMOTE}/rates").json()
    except httpx.HTTPError:
        return {{"eur": 1.0}}  # silently falls back

def test_falls_back():
    assert fetch_rates_or_default() == {{"eur": 1.0}}
"""
    _project(inner_pytest, tests, guard=True)
    result = _run(inner_pytest)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the test passed, but the fixturekit network guard refused 1 connection(s)*",
            f"*- {REMOTE}:443 (via socket.getaddrinfo)*",
        ]
    )


def test_bad_marker_arguments_fail_the_test_with_a_message(inner_pytest: InnerPytest) -> None:
    tests = """
import pytest

@pytest.mark.allow_network(hosts=["api.test"])
def test_bad():
    pass
"""
    _project(inner_pytest, tests, guard=True)
    result = _run(inner_pytest)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.allow_network * takes host names only*"])


def test_markers_are_registered(inner_pytest: InnerPytest) -> None:
    _project(inner_pytest, "def test_nothing():\n    pass\n", guard=False)
    result = _run(inner_pytest, "--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.allow_network(*hosts)*", "*fixturekit_allow_network(*hosts)*"]
    )


HTTP_MOCK_TESTS = """
import httpx
import pytest


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_http_mock_joins_the_harness_on_the_clock(http_mock, harness, clock):
    assert harness.http is http_mock
    http_mock.get("https://api.test/rates").respond(json={"eur": 1.1})
    clock.advance(minutes=1)
    assert httpx.get("https://api.test/rates").json() == {"eur": 1.1}
    assert [str(e) for e in harness.timeline] == [
        "2024-01-01T09:01:00+00:00 [http] GET https://api.test/rates -> 200"
    ]


@pytest.mark.asyncio
async def test_http_mock_answers_async_clients(http_mock):
    http_mock.post("https://api.test/pay").respond(201)
    async with httpx.AsyncClient() as client:
        assert (await client.post("https://api.test/pay")).status_code == 201


def test_unused_route_fails_at_teardown(http_mock):
    http_mock.get("https://api.test/never").respond(200)


def test_failing_test_reports_only_its_own_failure(http_mock):
    http_mock.get("https://api.test/never").respond(200)
    assert 1 == 2, "the real failure"


def test_http_mock_works_under_the_guard_for_remote_hosts(http_mock):
    http_mock.get("https://{remote}/v1/x").respond(json=[])
    assert httpx.get("https://{remote}/v1/x").json() == []
"""


@pytest.mark.slow
def test_http_fixture(inner_pytest: InnerPytest) -> None:
    _project(inner_pytest, HTTP_MOCK_TESTS.replace("{remote}", REMOTE), guard=True)
    result = inner_pytest.run("-rA", plugins=["asyncio"])
    result.assert_outcomes(passed=4, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_unused_route_fails_at_teardown*",
            "*1 route(s) were never called*",
        ]
    )
    output = result.stdout.str()
    assert "the real failure" in output
    failing = output.split("test_failing_test_reports_only_its_own_failure")[1]
    assert "never called" not in failing.split("short test summary")[0]
