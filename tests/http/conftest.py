"""Shared pieces of the HTTP fake and network guard tests.

Nothing here reaches the real network: hosts are under ``.test``/``.invalid`` (which
never resolve) or TEST-NET addresses (RFC 5737), and the guard refuses them before a
packet leaves.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from fixturekit.http import _guard


@pytest.fixture(autouse=True)
def no_guard_patch_left() -> Iterator[None]:
    """Every test leaves the socket module as it found it."""
    before = (socket.getaddrinfo, socket.socket.__dict__.get("connect"))
    yield
    assert not _guard.installed()
    assert (socket.getaddrinfo, socket.socket.__dict__.get("connect")) == before


@pytest.fixture
def loopback_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 accepting (and closing) connections; yields its port."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, name="loopback-test-server")
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        server.close()
