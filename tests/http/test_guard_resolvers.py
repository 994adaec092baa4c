"""NetworkGuard: every resolver function, UDP sendmsg, ``*.localhost`` and anyio."""

from __future__ import annotations

import _socket
import asyncio
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixturekit.http import NetworkBlocked, NetworkGuard

REMOTE_IP = "203.0.113.10"
REMOTE_NAME = "payments.example.invalid"

RESOLVERS: dict[str, Callable[[], object]] = {
    "socket.gethostbyname": lambda: socket.gethostbyname(REMOTE_NAME),
    "socket.gethostbyname_ex": lambda: socket.gethostbyname_ex(REMOTE_NAME),
    "socket.gethostbyaddr": lambda: socket.gethostbyaddr(REMOTE_IP),
    "socket.getnameinfo": lambda: socket.getnameinfo((REMOTE_IP, 443), 0),
    "_socket.getaddrinfo": lambda: _socket.getaddrinfo(REMOTE_NAME, 443),
    "_socket.gethostbyname": lambda: _socket.gethostbyname(REMOTE_NAME),
    "_socket.gethostbyname_ex": lambda: _socket.gethostbyname_ex(REMOTE_NAME),
    "_socket.gethostbyaddr": lambda: _socket.gethostbyaddr(REMOTE_IP),
    "_socket.getnameinfo": lambda: _socket.getnameinfo((REMOTE_IP, 443), 0),
}


@pytest.mark.parametrize("via", sorted(RESOLVERS))
def test_every_resolver_function_is_refused_before_a_lookup(via: str) -> None:
    with NetworkGuard() as guard, pytest.raises(NetworkBlocked) as info:
        RESOLVERS[via]()
    assert info.value.via == via
    assert info.value.host in (REMOTE_NAME, REMOTE_IP)
    assert [item.via for item in guard.blocked] == [via]


def test_resolvers_still_answer_for_allowed_hosts() -> None:
    with NetworkGuard():
        assert socket.gethostbyname("127.0.0.1") == "127.0.0.1"
        assert _socket.gethostbyname_ex("127.0.0.1")[2] == ["127.0.0.1"]
        assert socket.getnameinfo(("127.0.0.1", 80), socket.NI_NUMERICHOST)[0] == "127.0.0.1"
        # numeric answers need no lookup: allowed for any address
        assert socket.getnameinfo((REMOTE_IP, 80), socket.NI_NUMERICHOST)[0] == REMOTE_IP


def test_getfqdn_of_a_remote_name_is_refused_and_answers_the_name() -> None:
    with NetworkGuard() as guard:
        assert socket.getfqdn(REMOTE_NAME) == REMOTE_NAME  # getfqdn never raises
    assert [(item.host, item.via) for item in guard.blocked] == [(REMOTE_NAME, "socket.getfqdn")]


def test_getfqdn_of_this_machine_asks_no_resolver_and_is_not_a_refusal() -> None:
    with NetworkGuard() as guard:
        assert socket.getfqdn() == socket.gethostname()  # smtplib's EHLO name
    assert guard.blocked == []


def test_udp_sendmsg_to_a_remote_host_is_refused() -> None:
    with (
        NetworkGuard() as guard,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        pytest.raises(NetworkBlocked, match=f"{REMOTE_IP}:53"),
    ):
        sock.sendmsg([b"x"], [], 0, (REMOTE_IP, 53))
    assert guard.blocked[0].via == "socket.sendmsg"


def test_udp_sendmsg_to_loopback_and_on_unix_sockets_goes_through() -> None:
    with (
        NetworkGuard(),
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender,
    ):
        receiver.bind(("127.0.0.1", 0))
        assert sender.sendmsg([b"ping"], [], 0, receiver.getsockname()) == 4
        assert receiver.recv(10) == b"ping"
        left, right = socket.socketpair()
        with left, right:
            assert left.sendmsg([b"x"]) == 1
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "s")
        with (
            NetworkGuard(allow=()),
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server,
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as client,
        ):
            server.bind(path)
            assert client.sendmsg([b"y"], [], 0, path) == 1


@pytest.fixture
def resolver_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every host the real resolver functions are asked about (the guard calls through)."""
    calls: list[Any] = []
    for module in (socket, _socket):
        for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
            real = getattr(module, name)

            def spy(host: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
                calls.append(host)
                return _real(host, *args, **kwargs)

            monkeypatch.setattr(module, name, spy)
    return calls


def test_dot_localhost_resolves_to_loopback_without_asking_the_resolver(
    resolver_calls: list[Any], loopback_server: int
) -> None:
    with NetworkGuard() as guard:
        infos = socket.getaddrinfo("app.localhost", loopback_server, type=socket.SOCK_STREAM)
        assert socket.gethostbyname("api.app.localhost") == "127.0.0.1"
        assert socket.gethostbyname_ex("app.localhost") == ("app.localhost", [], ["127.0.0.1"])
        with socket.create_connection(("app.localhost", loopback_server), timeout=5):
            pass
    assert {info[4][0] for info in infos} <= {"127.0.0.1", "::1"}
    assert "127.0.0.1" in {info[4][0] for info in infos}
    assert not any("localhost" in str(host) for host in resolver_calls)
    assert guard.blocked == []


def test_dot_localhost_is_refused_when_localhost_is_not_allowed() -> None:
    with NetworkGuard(allow=("127.0.0.1",)), pytest.raises(NetworkBlocked):
        socket.getaddrinfo("app.localhost", 80)


def test_httpx_async_client_shows_the_guard_message_for_an_address() -> None:
    async def main() -> httpx.ConnectError:
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ConnectError) as info:
                await client.get(f"http://{REMOTE_IP}/")
        return info.value

    with NetworkGuard() as guard:
        error = asyncio.run(main())
    assert "All connection attempts failed" not in str(error)
    assert f"fixturekit.NetworkGuard blocked a connection to {REMOTE_IP}:80" in str(error)
    assert isinstance(error.__cause__, Exception)
    assert isinstance(error.__cause__.__context__, NetworkBlocked)
    assert [item.host for item in guard.blocked] == [REMOTE_IP]


def test_anyio_is_restored_when_the_guard_stops() -> None:
    import anyio

    real = anyio.connect_tcp
    with NetworkGuard():
        assert anyio.connect_tcp is not real
    assert anyio.connect_tcp is real


def test_anyio_connect_tcp_raises_network_blocked() -> None:
    import anyio

    async def main() -> None:
        with pytest.raises(NetworkBlocked, match=f"{REMOTE_IP}:443"):
            await anyio.connect_tcp(REMOTE_IP, 443)

    with NetworkGuard():
        anyio.run(main)
