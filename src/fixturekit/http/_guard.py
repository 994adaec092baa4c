"""NetworkGuard: refuse every socket connection except to the hosts a test may reach.

Users import ``fixturekit.NetworkGuard`` or ``fixturekit.http.NetworkGuard``. This module
imports only the standard library and fixturekit's core (and ``fixturekit.http`` imports
the HTTP fake lazily), so the pytest plugin can turn the guard on for every test without
loading httpx or respx.

While a guard is active, three entry points of the `socket` module check where they
are going: ``socket.socket.connect`` / ``connect_ex`` / ``sendto`` (every TCP and UDP
client: ``create_connection``, ``http.client``, ``urllib``, urllib3/requests, httpcore
and so httpx, asyncio's selector loop) and ``socket.getaddrinfo`` (a name that may not
be reached is refused before any DNS query leaves the machine, and the error names it
rather than an address). Unix sockets, ``socketpair`` (asyncio's self-pipe) and
servers (``bind``/``listen``/``accept``) are never touched.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fixturekit._internal.checks import keywords
from fixturekit._internal.lifecycle import Lifecycle
from fixturekit.errors import FakeAssertionError, NetworkBlocked

__all__ = ["LOOPBACK", "BlockedConnection", "NetworkGuard", "check_allow", "installed"]

#: The hosts a guard allows by default: loopback, so local servers keep working.
LOOPBACK: tuple[str, ...] = ("127.0.0.1", "::1", "localhost")

_IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class BlockedConnection:
    """One connection a `NetworkGuard` refused: where to, and through which call."""

    host: str
    port: int | None
    via: str

    def __str__(self) -> str:
        target = self.host if self.port is None else f"{_bracket(self.host)}:{self.port}"
        return f"{target} (via {self.via})"


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _normalise_host(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.split("%", 1)[0]  # IPv6 zone id
    return host.rstrip(".")


def _as_address(host: str) -> _IPAddress | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class _Allowed:
    """The parsed ``allow`` list: host names, addresses and networks."""

    def __init__(self, entries: tuple[str, ...]) -> None:
        self.names: set[str] = set()
        self.addresses: set[_IPAddress] = set()
        self.networks: list[_IPNetwork] = []
        for entry in entries:
            host = _normalise_host(entry)
            if "/" in host:
                self.networks.append(ipaddress.ip_network(host, strict=False))
                continue
            address = _as_address(host)
            if address is not None:
                self.addresses.add(address)
            else:
                self.names.add(host)
        self._lock = threading.Lock()
        #: Verdicts by host as given (a connect loop asks about the same host again).
        self._cache: dict[str, bool] = {}

    def allows_name(self, host: str) -> bool:
        if host in self.names:
            return True
        # RFC 6761: every name under .localhost is loopback.
        return host.endswith(".localhost") and "localhost" in self.names

    def allows(self, host: str) -> bool:
        known = self._cache.get(host)
        if known is not None:
            return known
        name = _normalise_host(host)
        address = _as_address(name)
        if address is None:
            verdict = self.allows_name(name)
        else:
            verdict = address in self.addresses or any(
                address in network for network in self.networks
            )
        if len(self._cache) < 1024:
            self._cache[host] = verdict
        return verdict

    def learn(self, infos: Iterable[Any]) -> None:
        """Allow the addresses an allowed name resolved to."""
        with self._lock:
            for info in infos:
                try:
                    address = _as_address(_normalise_host(str(info[4][0])))
                except (IndexError, TypeError):
                    continue
                if address is not None:
                    self.addresses.add(address)
            self._cache.clear()


def check_allow(allow: object) -> tuple[str, ...]:
    """Validate a guard's ``allow=`` argument; return it as a tuple of host strings."""
    if isinstance(allow, (str, bytes)):
        raise TypeError(
            f"allow must be a list of hosts, not the single string {allow!r}; "
            f"write allow=({allow!r},)"
        )
    if not isinstance(allow, Iterable):
        raise TypeError(
            f"allow must be a list of hosts such as ('127.0.0.1', 'api.internal'), not {allow!r}"
        )
    hosts = tuple(allow)
    for host in hosts:
        if not isinstance(host, str) or not host.strip() or any(c.isspace() for c in host):
            raise TypeError(
                f"allow entries must be host names, IP addresses or networks such as "
                f"'10.0.0.0/8', not {host!r}"
            )
        if "://" in host or (host.count(":") == 1 and not host.startswith("[")):
            raise ValueError(
                f"allow entry {host!r} looks like a URL or host:port; give the host alone "
                f"(a guard allows every port of a host), e.g. "
                f"{host.split('://')[-1].split('/')[0].rsplit(':', 1)[0]!r}"
            )
        if "/" in host:
            try:
                ipaddress.ip_network(host, strict=False)
            except ValueError:
                raise ValueError(
                    f"allow entry {host!r} is not a valid network; write it like '10.0.0.0/8'"
                ) from None
    return hosts


# --- the process-wide patches -----------------------------------------------------------

_state_lock = threading.RLock()
_active: list[NetworkGuard] = []
_saved: dict[str, tuple[bool, Any]] = {}

_real_getaddrinfo: Callable[..., Any] = socket.getaddrinfo
_real_connect: Callable[..., Any] = socket.socket.connect
_real_connect_ex: Callable[..., Any] = socket.socket.connect_ex
_real_sendto: Callable[..., Any] = socket.socket.sendto


def _current() -> NetworkGuard | None:
    active = _active
    return active[-1] if active else None


def _blocked(guard: NetworkGuard, host: str, port: int | None, via: str) -> NetworkBlocked:
    record = BlockedConnection(host, port, via)
    with guard._lock:
        guard._blocked.append(record)
    return NetworkBlocked(host, port, guard.allow, via)


def _inet_target(sock: socket.socket, address: object) -> tuple[str, int | None] | None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return None  # unix sockets, netlink, ...: never network
    if isinstance(address, tuple) and address and isinstance(address[0], (str, bytes)):
        host = address[0]
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        port = address[1] if len(address) > 1 and isinstance(address[1], int) else None
        return host, port
    return None


def _check_socket(sock: socket.socket, address: object, via: str) -> None:
    guard = _current()
    if guard is None:
        return
    target = _inet_target(sock, address)
    if target is None:
        return
    host, port = target
    if not guard._allowed.allows(host):
        raise _blocked(guard, _normalise_host(host), port, via)


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_socket(self, address, "socket.connect")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_socket(self, address, "socket.connect_ex")
    result: int = _real_connect_ex(self, address)
    return result


def _guarded_sendto(self: socket.socket, data: Any, *args: Any) -> int:
    if args:
        _check_socket(self, args[-1], "socket.sendto")
    result: int = _real_sendto(self, data, *args)
    return result


def _guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    guard = _current()
    if guard is None or host is None:
        return _real_getaddrinfo(host, port, *args, **kwargs)
    name = host.decode("idna") if isinstance(host, bytes) else str(host)
    normalised = _normalise_host(name)
    if not guard._allowed.allows(normalised):
        number: int | None = None
        if isinstance(port, int):
            number = port
        elif isinstance(port, (str, bytes)) and port.isdigit():
            number = int(port)
        raise _blocked(guard, normalised, number, "socket.getaddrinfo")
    infos = _real_getaddrinfo(host, port, *args, **kwargs)
    if _as_address(normalised) is None:
        guard._allowed.learn(infos)
    return infos


_PATCHES: dict[str, tuple[Any, str, Any]] = {
    "getaddrinfo": (socket, "getaddrinfo", _guarded_getaddrinfo),
    "connect": (socket.socket, "connect", _guarded_connect),
    "connect_ex": (socket.socket, "connect_ex", _guarded_connect_ex),
    "sendto": (socket.socket, "sendto", _guarded_sendto),
}


def _install() -> None:
    global _real_getaddrinfo, _real_connect, _real_connect_ex, _real_sendto
    # What is there now is what we call through to (another tool may have patched first).
    _real_getaddrinfo = socket.getaddrinfo
    _real_connect = socket.socket.connect
    _real_connect_ex = socket.socket.connect_ex
    _real_sendto = socket.socket.sendto
    for key, (owner, attribute, replacement) in _PATCHES.items():
        namespace = vars(owner)
        _saved[key] = (attribute in namespace, namespace.get(attribute))
        setattr(owner, attribute, replacement)


def _uninstall() -> None:
    for key, (owner, attribute, replacement) in _PATCHES.items():
        had, previous = _saved.pop(key)
        if getattr(owner, attribute) is not replacement:
            continue  # someone patched over us later; leave theirs in place
        if had:
            setattr(owner, attribute, previous)
        else:
            delattr(owner, attribute)


def installed() -> bool:
    """Whether the guard's socket patches are in place (some guard is active)."""
    with _state_lock:
        return bool(_active)


class NetworkGuard(Lifecycle):
    """Refuse socket connections to every host but ``allow`` while active.

    ``allow`` is the whole list of hosts that may be reached: host names
    (``"localhost"`` also covers ``*.localhost``), IP addresses and networks such as
    ``"10.0.0.0/8"``; ``allow=()`` allows nothing. A name that is allowed may be
    resolved, and the addresses it resolves to may then be connected to. Every other
    connection raises `NetworkBlocked` (and is listed in `blocked`).

    ``with NetworkGuard():``, ``async with``, or ``start()``/``stop()``; a guard may be
    entered again after it stopped. Guards nest: the innermost active one decides.
    The guard is process-wide (all threads), like the network it stands for.
    """

    @keywords
    def __init__(self, *, allow: Iterable[str] = LOOPBACK) -> None:
        self._allow = check_allow(allow)
        self._allowed = _Allowed(self._allow)
        self._blocked: list[BlockedConnection] = []
        self._lock = threading.Lock()
        self._running = False

    @property
    def allow(self) -> tuple[str, ...]:
        """The hosts this guard lets through, as given."""
        return self._allow

    @property
    def running(self) -> bool:
        return self._running

    @property
    def blocked(self) -> list[BlockedConnection]:
        """The connections refused so far, oldest first (a copy)."""
        with self._lock:
            return list(self._blocked)

    def allows(self, host: str) -> bool:
        """Whether a connection to ``host`` (a name or an address) would go through."""
        if not isinstance(host, str) or not host:
            raise TypeError(f"host must be a non-empty str such as 'api.test', not {host!r}")
        return self._allowed.allows(host)

    def assert_nothing_blocked(self) -> list[BlockedConnection]:
        """Fail if the guard refused any connection (say, one the application swallowed)."""
        __tracebackhide__ = True
        blocked = self.blocked
        if blocked:
            listing = "\n".join(f"  - {item}" for item in blocked)
            raise FakeAssertionError(
                f"expected no blocked connection, but NetworkGuard refused {len(blocked)}:\n"
                f"{listing}\nfake these services with fixturekit.FakeHTTP, or allow the hosts"
            )
        return blocked

    def start(self) -> NetworkGuard:
        with _state_lock:
            if self._running:
                raise RuntimeError(f"{self!r} is already active; enter a guard once at a time")
            if not _active:
                _install()
            _active.append(self)
            self._running = True
        return self

    def stop(self) -> None:
        with _state_lock:
            if not self._running:
                raise RuntimeError(f"{self!r} is not active; stop() follows start()")
            self._running = False
            _active.remove(self)
            if not _active:
                _uninstall()

    def __repr__(self) -> str:
        hosts = ", ".join(self._allow) or "nothing"
        return f"<NetworkGuard allow=({hosts}){' active' if self._running else ''}>"
