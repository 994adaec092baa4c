"""A threaded HTTP server on 127.0.0.1 for the fakes that speak HTTP (OIDC issuer, Stripe).

It binds an ephemeral port, serves from a daemon thread, and on `LoopbackServer.stop`
shuts down, closes the socket and joins the serving thread and every request thread:
nothing outlives the server. Handlers answer HTTP/1.0, one request per connection, so
no request thread waits on a kept-alive client when the server closes; a client that
holds a connection open without finishing its request (idle, or half-sent) has its
connection shut for reading at stop, so stopping never waits on it.

Browsers may call the servers too: an ``OPTIONS`` preflight is answered with the CORS
headers a cross-origin request needs, and every answer to a request with an ``Origin``
allows that origin.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Protocol

__all__ = ["LoopbackHandler", "LoopbackServer", "ServedAPI", "ServedOwner"]

#: How long a request thread may wait on a silent client before giving up (seconds).
REQUEST_TIMEOUT = 10.0
#: How often the serving thread looks for a shutdown request (seconds).
POLL_INTERVAL = 0.01


class _Server(ThreadingHTTPServer):
    # Request threads are joined at server_close(): nothing outlives the server.
    daemon_threads = False
    block_on_close = True
    context: Any

    def server_activate(self) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().server_activate()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def stop_reading(self) -> None:
        """Wake every request thread still waiting on its client: reads see the end.

        Answers being written still go out; a request not fully received is dropped.
        """
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):  # the client closed it already
                connection.shutdown(socket.SHUT_RD)


#: The request headers a browser may send on a cross-origin call, unless it names them.
_CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key, Stripe-Version, Stripe-Account"


class LoopbackHandler(BaseHTTPRequestHandler):
    """Base request handler: quiet, HTTP/1.0, with a JSON answer helper.

    ``self.context`` is the object the server was started for.
    """

    server: _Server
    protocol_version = "HTTP/1.0"
    timeout = REQUEST_TIMEOUT

    @property
    def context(self) -> Any:
        return self.server.context

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr log; the timeline records what matters."""

    def do_OPTIONS(self) -> None:
        """Answer a CORS preflight: the methods this handler serves, any origin."""
        methods = sorted(
            name[3:] for name in dir(self) if name.startswith("do_") and name[3:].isupper()
        )
        requested = self.headers.get("Access-Control-Request-Headers")
        self.send_response(204)
        self.send_header("Allow", ", ".join(methods))
        self.send_header("Access-Control-Allow-Methods", ", ".join(methods))
        self.send_header("Access-Control-Allow-Headers", requested or _CORS_HEADERS)
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def end_headers(self) -> None:
        origin = self.headers.get("Origin") if getattr(self, "headers", None) else None
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Credentials", "true")
            self.send_header("Vary", "Origin")
        super().end_headers()

    def send_json(
        self,
        status: int,
        body: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class LoopbackServer:
    """Serves ``handler`` on 127.0.0.1 with an ephemeral port, from a named thread."""

    def __init__(self, handler: type[LoopbackHandler], context: Any, *, thread_name: str) -> None:
        self._handler = handler
        self._context = context
        self._thread_name = thread_name
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def thread(self) -> threading.Thread | None:
        """The thread serving requests while the server runs."""
        return self._thread

    @property
    def port(self) -> int | None:
        server = self._server
        return None if server is None else int(server.server_address[1])

    def start(self) -> str:
        if self._server is not None:
            raise RuntimeError(f"this server is already serving at {self.url}")
        server = _Server(("127.0.0.1", 0), self._handler)
        server.context = self._context
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            name=f"{self._thread_name}-{port}",
            daemon=True,
        )
        self._server = server
        self._thread = thread
        thread.start()
        return self.url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            raise RuntimeError("this server is not serving; stop() follows start()")
        self._server = None
        try:
            server.shutdown()
        finally:
            server.stop_reading()  # no request thread waits on a silent client
            server.server_close()  # joins the request threads
            thread.join()
            self._thread = None


class ServedOwner(Protocol):
    """What serves a `ServedAPI`: ``harness.ServingFake``."""

    def _start_serving(self, server: ServedAPI) -> str: ...

    def _stop_serving(self, server: ServedAPI) -> None: ...


class ServedAPI:
    """A fake's HTTP face on loopback, as ``minter.serve()`` or ``payments.stripe_api()``
    return it: ``with ... as url:`` starts it through its fake and stops it at the end
    of the block."""

    #: The request handler and the serving thread's name, set by each subclass.
    handler: ClassVar[type[LoopbackHandler]]
    thread_name: ClassVar[str]

    def __init__(self, owner: ServedOwner) -> None:
        self._owner = owner
        self._loopback = LoopbackServer(self.handler, self, thread_name=self.thread_name)

    @property
    def url(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:53211`` (empty until started)."""
        return self._loopback.url

    @property
    def running(self) -> bool:
        return self._loopback.running

    @property
    def thread(self) -> threading.Thread | None:
        """The thread serving requests while the server runs."""
        return self._loopback.thread

    def start(self) -> str:
        return self._loopback.start()

    def stop(self) -> None:
        self._loopback.stop()

    def __enter__(self) -> str:
        return self._owner._start_serving(self)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._owner._stop_serving(self)

    def __repr__(self) -> str:
        state = f"serving at {self.url}" if self.running else "stopped"
        return f"<{type(self).__name__} {state}>"
