"""NetworkGuard: every way out of the process is refused, except loopback and unix sockets."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import socket
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import requests

import fixturekit.errors
import fixturekit.http
from fixturekit.errors import FakeAssertionError, FixturekitError
from fixturekit.http import FakeHTTP, NetworkBlocked, NetworkGuard

#: Documentation addresses and reserved names: never routed, never resolved.
REMOTE_IP = "203.0.113.10"
REMOTE_NAME = "payments.example.invalid"


def _plain_connect() -> None:
    with socket.socket() as sock:
        sock.connect((REMOTE_IP, 443))


def _sync_clients() -> dict[str, Callable[[], object]]:
    return {
        "socket.connect": _plain_connect,
        "socket.create_connection": lambda: socket.create_connection((REMOTE_NAME, 443), 1),
        "http.client": lambda: http.client.HTTPSConnection(REMOTE_NAME, timeout=1).connect(),
        "httpx": lambda: httpx.get(f"https://{REMOTE_NAME}/", timeout=1),
        "requests": lambda: requests.get(f"https://{REMOTE_NAME}/", timeout=1),
    }


@pytest.mark.parametrize("client", sorted(_sync_clients()))
def test_each_client_library_sees_a_connection_failure_naming_host_and_port(
    client: str,
) -> None:
    with NetworkGuard() as guard, pytest.raises((OSError, httpx.ConnectError)) as info:
        _sync_clients()[client]()
    # requests wraps it in its own ConnectionError, httpx in ConnectError, as for any refusal
    assert "fixturekit.NetworkGuard blocked a connection to" in str(info.value)
    assert "FakeHTTP" in str(info.value)
    (blocked,) = guard.blocked
    assert blocked.port == 443
    assert blocked.host in (REMOTE_IP, REMOTE_NAME)


def test_httpx_raises_connect_error_carrying_the_guard_message() -> None:
    with NetworkGuard(), pytest.raises(httpx.ConnectError, match=REMOTE_NAME + ":443"):
        httpx.get(f"https://{REMOTE_NAME}/")


def test_urllib_raises_url_error_with_network_blocked_as_reason() -> None:
    with NetworkGuard(), pytest.raises(urllib.error.URLError) as info:
        urllib.request.urlopen(f"http://{REMOTE_NAME}/", timeout=1)
    assert isinstance(info.value.reason, NetworkBlocked)
    assert info.value.reason.host == REMOTE_NAME
    assert info.value.reason.port == 80


def test_connect_ex_is_refused_too() -> None:
    with NetworkGuard(), socket.socket() as sock, pytest.raises(NetworkBlocked):
        sock.connect_ex((REMOTE_IP, 80))


def test_udp_sendto_a_remote_host_is_refused() -> None:
    with (
        NetworkGuard(),
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        pytest.raises(NetworkBlocked, match=f"{REMOTE_IP}:53"),
    ):
        sock.sendto(b"x", (REMOTE_IP, 53))


def test_name_is_refused_before_any_dns_lookup() -> None:
    with NetworkGuard() as guard, pytest.raises(NetworkBlocked) as info:
        socket.getaddrinfo(REMOTE_NAME, 443)
    assert info.value.via == "socket.getaddrinfo"
    assert guard.blocked[0].via == "socket.getaddrinfo"


def test_network_blocked_is_a_connection_refused_os_error() -> None:
    assert NetworkBlocked is fixturekit.errors.NetworkBlocked
    error = NetworkBlocked("api.test", 443, ("127.0.0.1",), "socket.connect")
    assert isinstance(error, FixturekitError)
    assert isinstance(error, ConnectionRefusedError)
    assert isinstance(error, OSError)
    assert error.errno == 111 or error.errno is not None
    assert str(error).startswith("fixturekit.NetworkGuard blocked a connection to api.test:443")
    assert "@pytest.mark.allow_network('api.test')" in str(error)


def test_asyncio_connections_are_refused_by_name_and_by_address() -> None:
    async def main() -> list[str]:
        messages = []
        for host in (REMOTE_NAME, REMOTE_IP):
            try:
                await asyncio.open_connection(host, 443)
            except NetworkBlocked as exc:
                messages.append(str(exc))
        async with httpx.AsyncClient() as client:
            try:
                await client.get(f"https://{REMOTE_NAME}/")
            except httpx.ConnectError as exc:
                messages.append(str(exc))
        return messages

    with NetworkGuard():
        messages = asyncio.run(main())
    assert len(messages) == 3
    assert all("fixturekit.NetworkGuard blocked" in m for m in messages)


def test_loopback_stays_reachable_by_default(loopback_server: int) -> None:
    async def via_asyncio() -> None:
        _, writer = await asyncio.open_connection("localhost", loopback_server)
        writer.close()
        await writer.wait_closed()

    with NetworkGuard() as guard:
        for host in ("127.0.0.1", "localhost"):
            socket.create_connection((host, loopback_server), timeout=5).close()
        asyncio.run(via_asyncio())
    assert guard.blocked == []


def test_unix_sockets_and_socketpair_keep_working() -> None:
    with tempfile.TemporaryDirectory() as directory, NetworkGuard(allow=()):
        path = str(Path(directory) / "s")
        server = socket.socket(socket.AF_UNIX)
        server.bind(path)
        server.listen()
        client = socket.socket(socket.AF_UNIX)
        client.connect(path)
        client.close()
        server.close()
        left, right = socket.socketpair()
        left.sendall(b"ok")
        assert right.recv(2) == b"ok"
        left.close()
        right.close()
        asyncio.run(asyncio.sleep(0))  # the event loop's self-pipe is a socketpair


def test_allow_empty_refuses_loopback_too(loopback_server: int) -> None:
    with NetworkGuard(allow=()), pytest.raises(NetworkBlocked, match="no host at all"):
        socket.create_connection(("127.0.0.1", loopback_server))


def test_allow_takes_names_addresses_and_networks() -> None:
    guard = NetworkGuard(allow=("db.internal", "10.0.0.0/8", "2001:db8::1", "localhost"))
    assert guard.allows("db.internal")
    assert guard.allows("DB.Internal.")
    assert guard.allows("10.1.2.3")
    assert not guard.allows("11.0.0.1")
    assert guard.allows("2001:db8::1")
    assert guard.allows("[2001:db8::1]")
    assert guard.allows("app.localhost")
    assert not guard.allows("api.test")
    assert guard.allows("::ffff:10.0.0.1")


def test_allowed_name_lets_through_the_addresses_it_resolves_to(loopback_server: int) -> None:
    with NetworkGuard(allow=("localhost",)) as guard:
        socket.create_connection(("localhost", loopback_server), timeout=5).close()
        addresses = {info[4][0] for info in socket.getaddrinfo("localhost", loopback_server)}
        assert all(guard.allows(address) for address in addresses)
    assert not NetworkGuard(allow=("localhost",)).allows("127.0.0.1")


@pytest.mark.parametrize(
    ("allow", "message"),
    [
        ("127.0.0.1", r"not the single string '127.0.0.1'; write allow=\('127.0.0.1',\)"),
        (None, "allow must be a list of hosts"),
        (("https://api.test",), "looks like a URL or host:port; give the host alone.*'api.test'"),
        (("api.test:443",), "give the host alone.*'api.test'"),
        (("10.0.0.0/33",), "is not a valid network"),
        (("",), "allow entries must be host names"),
    ],
)
def test_allow_is_checked(allow: object, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        NetworkGuard(allow=allow)  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"unexpected keyword argument 'allowed' \(did you mean allow=\?\)"
    ):
        NetworkGuard(allowed=())  # type: ignore[call-arg]


def test_guards_nest_and_the_innermost_decides(loopback_server: int) -> None:
    with NetworkGuard():
        with NetworkGuard(allow=()), pytest.raises(NetworkBlocked):
            socket.create_connection(("127.0.0.1", loopback_server))
        socket.create_connection(("127.0.0.1", loopback_server), timeout=5).close()


def test_guard_restores_the_socket_module_and_can_run_again() -> None:
    guard = NetworkGuard()
    for _ in range(2):
        with guard:
            assert socket.getaddrinfo is not fixturekit.http.NetworkGuard  # patched
            assert "connect" in vars(socket.socket)
        assert "connect" not in vars(socket.socket)
    with pytest.raises(RuntimeError, match="is not active"):
        guard.stop()
    with guard, pytest.raises(RuntimeError, match="already active"):
        guard.start()


def test_assert_nothing_blocked_catches_a_swallowed_refusal() -> None:
    with NetworkGuard() as guard:
        with contextlib.suppress(httpx.HTTPError):  # an application falling back silently
            httpx.get(f"https://{REMOTE_NAME}/")
        with pytest.raises(FakeAssertionError, match=f"refused 1:\n  - {REMOTE_NAME}:443"):
            guard.assert_nothing_blocked()


def test_fake_http_answers_under_the_guard_without_touching_a_socket() -> None:
    with NetworkGuard(allow=()) as guard, FakeHTTP() as http:
        http.get(f"https://{REMOTE_NAME}/v1/charges").respond(json={"data": []})
        assert httpx.get(f"https://{REMOTE_NAME}/v1/charges").json() == {"data": []}
    assert guard.blocked == []


def test_fake_http_pass_through_is_still_guarded() -> None:
    with NetworkGuard(), FakeHTTP() as http:
        http.get(f"https://{REMOTE_NAME}/").pass_through()
        with pytest.raises(httpx.ConnectError, match="NetworkGuard blocked"):
            httpx.get(f"https://{REMOTE_NAME}/")


@pytest.mark.asyncio
async def test_guard_works_as_async_context_manager() -> None:
    async with NetworkGuard(allow=()) as guard:
        with pytest.raises(NetworkBlocked):
            await asyncio.open_connection(REMOTE_IP, 80)
    assert len(guard.blocked) == 1
