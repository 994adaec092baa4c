"""NetworkGuard: refuse every socket connection except to the hosts a test may reach.

Users import ``fixturekit.NetworkGuard`` or ``fixturekit.http.NetworkGuard``. This module
imports only the standard library and fixturekit's core (and ``fixturekit.http`` imports
the HTTP fake lazily), so the pytest plugin can turn the guard on for every test without
loading httpx or respx.

While a guard is active, the entry points of the `socket` module check where they
are going: ``socket.socket.connect`` / ``connect_ex`` / ``sendto`` / ``sendmsg`` (every
TCP and UDP client: ``create_connection``, ``http.client``, ``urllib``, urllib3/requests,
httpcore and so httpx, asyncio's selector loop) and the resolver functions
(``getaddrinfo``, ``gethostbyname``, ``gethostbyname_ex``, ``gethostbyaddr``,
``getnameinfo``, ``getfqdn``, in `socket` and in `_socket`): a name that may not be
reached is refused before any DNS query leaves the machine, and the error names it
rather than an address. Names under ``.localhost`` resolve to loopback without asking
the resolver. Unix sockets, ``socketpair`` (asyncio's self-pipe) and servers
(``bind``/``listen``/``accept``) are never touched. When anyio is loaded (httpx's async
client), ``anyio.connect_tcp`` re-raises a refusal as the `NetworkBlocked` itself
rather than anyio's "All connection attempts failed".
"""

from __future__ import annotations

import _socket
import contextlib
import importlib
import ipaddress
import socket
import sys
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

#: What each patch calls through to, captured when the first guard starts.
_real: dict[str, Callable[..., Any]] = {}

#: The loopback answers for a name under ``.localhost`` (RFC 6761), per address family.
_LOOPBACK_ANSWERS = ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1"))


def _current() -> NetworkGuard | None:
    active = _active
    return active[-1] if active else None


def _blocked(guard: NetworkGuard, host: str, port: int | None, via: str) -> NetworkBlocked:
    record = BlockedConnection(host, port, via)
    with guard._lock:
        guard._blocked.append(record)
    _patch_anyio()  # from now on anyio's async connects show this error, not a summary
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
    _real["connect"](self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_socket(self, address, "socket.connect_ex")
    result: int = _real["connect_ex"](self, address)
    return result


def _guarded_sendto(self: socket.socket, data: Any, *args: Any) -> int:
    if args:
        _check_socket(self, args[-1], "socket.sendto")
    result: int = _real["sendto"](self, data, *args)
    return result


def _guarded_sendmsg(self: socket.socket, buffers: Any, *args: Any) -> int:
    if len(args) >= 3 and args[2] is not None:  # (ancdata, flags, address)
        _check_socket(self, args[2], "socket.sendmsg")
    result: int = _real["sendmsg"](self, buffers, *args)
    return result


def _host_name(host: Any) -> str:
    if isinstance(host, (bytes, bytearray)):
        return bytes(host).decode("idna")
    return str(host)


def _port_number(port: Any) -> int | None:
    if isinstance(port, int):
        return port
    if isinstance(port, (str, bytes)) and port.isdigit():
        return int(port)
    return None


def _check_name(guard: NetworkGuard, host: Any, port: Any, via: str) -> str:
    """Refuse a name or address the guard does not allow; return it normalised."""
    normalised = _normalise_host(_host_name(host))
    if not guard._allowed.allows(normalised):
        raise _blocked(guard, normalised, _port_number(port), via)
    return normalised


def _is_dot_localhost(name: str) -> bool:
    return name.endswith(".localhost")


def _loopback_infos(key: str, port: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """getaddrinfo's answer for a ``*.localhost`` name, from numeric loopback addresses."""
    family = kwargs.get("family", args[0] if args else 0)
    infos: list[Any] = []
    for answer_family, address in _LOOPBACK_ANSWERS:
        if family not in (0, socket.AF_UNSPEC, answer_family):
            continue
        try:
            infos.extend(_real[key](address, port, *args, **kwargs))
        except OSError:
            continue  # no IPv6 on this machine, say
    if not infos:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return infos


def _make_getaddrinfo(key: str, via: str) -> Callable[..., Any]:
    def guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        guard = _current()
        if guard is None or host is None:
            return _real[key](host, port, *args, **kwargs)
        normalised = _check_name(guard, host, port, via)
        if _is_dot_localhost(normalised):
            infos = _loopback_infos(key, port, args, kwargs)
        else:
            infos = _real[key](host, port, *args, **kwargs)
        if _as_address(normalised) is None:
            guard._allowed.learn(infos)
        return infos

    return guarded_getaddrinfo


def _make_gethostbyname(key: str, via: str) -> Callable[..., Any]:
    def guarded_gethostbyname(host: Any) -> Any:
        guard = _current()
        if guard is None:
            return _real[key](host)
        name = _check_name(guard, host, None, via)
        if _is_dot_localhost(name):
            return "127.0.0.1"
        address: str = _real[key](host)
        guard._allowed.learn([(0, 0, 0, "", (address, 0))])
        return address

    return guarded_gethostbyname


def _make_gethostbyname_ex(key: str, via: str) -> Callable[..., Any]:
    def guarded_gethostbyname_ex(host: Any) -> Any:
        guard = _current()
        if guard is None:
            return _real[key](host)
        name = _check_name(guard, host, None, via)
        if _is_dot_localhost(name):
            return name, [], ["127.0.0.1"]
        answer = _real[key](host)
        guard._allowed.learn([(0, 0, 0, "", (address, 0)) for address in answer[2]])
        return answer

    return guarded_gethostbyname_ex


def _make_gethostbyaddr(key: str, via: str) -> Callable[..., Any]:
    def guarded_gethostbyaddr(host: Any) -> Any:
        guard = _current()
        if guard is not None:
            _check_name(guard, host, None, via)
        return _real[key](host)

    return guarded_gethostbyaddr


def _make_getnameinfo(key: str, via: str) -> Callable[..., Any]:
    def guarded_getnameinfo(sockaddr: Any, flags: int, /) -> Any:
        guard = _current()
        numeric = isinstance(flags, int) and flags & socket.NI_NUMERICHOST
        if guard is not None and not numeric and isinstance(sockaddr, tuple) and sockaddr:
            _check_name(guard, sockaddr[0], sockaddr[1] if len(sockaddr) > 1 else None, via)
        return _real[key](sockaddr, flags)

    return guarded_getnameinfo


def _guarded_getfqdn(name: str = "") -> str:
    guard = _current()
    if guard is None:
        return str(_real["getfqdn"](name))
    name = name.strip()
    if not name or name in ("0.0.0.0", "::"):
        # The machine's own name (smtplib's EHLO asks for it): answered without a lookup.
        own = socket.gethostname()
        return str(_real["getfqdn"](own)) if guard._allowed.allows(own) else own
    try:
        _check_name(guard, name, None, "socket.getfqdn")
    except NetworkBlocked:
        return name  # getfqdn never raises: a failed lookup answers with the name itself
    return str(_real["getfqdn"](name))


def _resolvers(module: Any, prefix: str) -> dict[str, tuple[Any, str, Any]]:
    """The patches of one resolver module (`socket` or `_socket`), keyed for `_real`."""
    patches: dict[str, tuple[Any, str, Any]] = {}
    makers = {
        "getaddrinfo": _make_getaddrinfo,
        "gethostbyname": _make_gethostbyname,
        "gethostbyname_ex": _make_gethostbyname_ex,
        "gethostbyaddr": _make_gethostbyaddr,
        "getnameinfo": _make_getnameinfo,
    }
    for attribute, make in makers.items():
        key = f"{prefix}{attribute}"
        patches[key] = (module, attribute, make(key, f"{module.__name__}.{attribute}"))
    return patches


_PATCHES: dict[str, tuple[Any, str, Any]] = {
    **_resolvers(socket, ""),
    **_resolvers(_socket, "_socket."),
    "getfqdn": (socket, "getfqdn", _guarded_getfqdn),
    "connect": (socket.socket, "connect", _guarded_connect),
    "connect_ex": (socket.socket, "connect_ex", _guarded_connect_ex),
    "sendto": (socket.socket, "sendto", _guarded_sendto),
    "sendmsg": (socket.socket, "sendmsg", _guarded_sendmsg),
}

# --- anyio: its connect_tcp sums refusals up as "All connection attempts failed" ---------

_anyio_saved: list[Any] = []


def _refusal_in(error: BaseException | None) -> NetworkBlocked | None:
    """The guard's refusal behind an anyio connection failure, if there is one."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NetworkBlocked):
            return current
        pending.extend(getattr(current, "exceptions", ()))
        pending.append(current.__cause__)
    return None


def _patch_anyio() -> None:
    """Wrap ``anyio.connect_tcp`` (which httpcore calls) so a refusal reaches the user."""
    anyio: Any = sys.modules.get("anyio")
    if anyio is None or _anyio_saved:
        return
    real = getattr(anyio, "connect_tcp", None)
    if real is None:
        return

    async def connect_tcp(*args: Any, **kwargs: Any) -> Any:
        try:
            return await real(*args, **kwargs)
        except OSError as error:
            refusal = _refusal_in(error.__cause__)
            if refusal is None:
                raise
            raise NetworkBlocked(
                refusal.host, refusal.port, refusal.allowed, refusal.via
            ) from error

    _anyio_saved.append((anyio, real, connect_tcp))
    anyio.connect_tcp = connect_tcp


def _unpatch_anyio() -> None:
    while _anyio_saved:
        anyio, real, wrapper = _anyio_saved.pop()
        if getattr(anyio, "connect_tcp", None) is wrapper:
            anyio.connect_tcp = real


def _install() -> None:
    # What is there now is what we call through to (another tool may have patched first).
    for key, (owner, attribute, replacement) in _PATCHES.items():
        namespace = vars(owner)
        _saved[key] = (attribute in namespace, namespace.get(attribute))
        _real[key] = getattr(owner, attribute)
        setattr(owner, attribute, replacement)
    if "httpcore" in sys.modules and "anyio" not in sys.modules:
        # httpx is loaded: its async client will connect through anyio
        with contextlib.suppress(ImportError):
            importlib.import_module("anyio")
    _patch_anyio()


def _uninstall() -> None:
    _unpatch_anyio()
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
