"""`SMTPCaptureServer`, and the one capture service a mailer's servers and patches share."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fixturekit._internal.lifecycle import Lifecycle
from fixturekit.mail._options import DEFAULT_AUTH

if TYPE_CHECKING:
    from fixturekit.mail._smtp import CaptureService, Listener, Sink

__all__ = ["SMTPCaptureServer", "SharedService"]


class SharedService:
    """The SMTP capture service of one mailer: started (in its thread) by the first
    server or patch, closed with the last one.

    It also knows which servers and patches are running, so that the mailer stops
    those left running when it stops.
    """

    def __init__(self, sink: Sink, owner: object) -> None:
        self.sink = sink
        #: Who the service delivers to, for messages (the mailer).
        self.owner = owner
        self._lock = threading.Lock()
        self._service: CaptureService | None = None
        self._users = 0
        self._running: list[Lifecycle] = []

    @property
    def service(self) -> CaptureService | None:
        return self._service

    def acquire(self) -> CaptureService:
        """The running service (started now if needed); pair it with `release`."""
        from fixturekit.mail import _smtp  # aiosmtpd: only when SMTP is used

        with self._lock:
            if self._service is None:
                self._service = _smtp.CaptureService(self.sink)
            self._users += 1
            return self._service

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            service = None
            if self._users <= 0:
                self._users = 0
                service, self._service = self._service, None
        if service is not None:
            service.close()

    def started(self, handle: Lifecycle) -> None:
        with self._lock:
            self._running.append(handle)

    def stopped(self, handle: Lifecycle) -> None:
        with self._lock:
            if handle in self._running:
                self._running.remove(handle)

    def stop_all(self) -> None:
        """Stop every server and patch still running, the latest first."""
        with self._lock:
            running = list(self._running)
        errors: list[BaseException] = []
        for handle in reversed(running):
            try:
                handle.stop()
            except Exception as exc:  # pragma: no cover - keep releasing the others
                errors.append(exc)
        if errors:  # pragma: no cover
            raise errors[0]


class SMTPCaptureServer(Lifecycle):
    """A real SMTP server on 127.0.0.1 delivering into a mailer's outbox.

    Made by `FakeMailer.smtp_server`. ``with mailer.smtp_server() as (host, port):``
    (the server unpacks to its address), or `start` / `stop`. It advertises the AUTH
    mechanisms of ``auth_mechanisms`` (PLAIN and LOGIN unless told) and accepts any
    credentials for them; SMTPUTF8 and 8BITMIME. With ``tls="starttls"`` it offers
    STARTTLS and requires it before AUTH and MAIL (as providers do on port 587), with
    ``tls="implicit"`` it speaks TLS from the first byte (``smtplib.SMTP_SSL``, port
    465); its certificate is signed by the authority of `FakeMailer.ca_file`. The port
    is picked by the kernel and held from bind to close, so parallel test processes
    never race for it. Leaving closes every connection, the port and, when nothing else
    of the mailer uses it, the server thread.
    """

    def __init__(
        self,
        shared: SharedService,
        *,
        auth: tuple[str, ...] = DEFAULT_AUTH,
        tls: str | None = None,
    ) -> None:
        self._shared = shared
        self.auth_mechanisms = auth
        #: None, ``"starttls"`` or ``"implicit"``.
        self.tls = tls
        self._listener: Listener | None = None
        self._address: tuple[str, int] | None = None

    @property
    def running(self) -> bool:
        return self._listener is not None

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` of the running server."""
        if self._address is None:
            raise RuntimeError("the SMTP server is not started; use `with mailer.smtp_server()`")
        return self._address

    @property
    def host(self) -> str:
        return self.address[0]

    @property
    def port(self) -> int:
        return self.address[1]

    @property
    def url(self) -> str:
        """``smtp://127.0.0.1:<port>`` (``smtps://`` with implicit TLS)."""
        host, port = self.address
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        return f"{scheme}://{host}:{port}"

    def __iter__(self) -> Iterator[Any]:
        return iter(self.address)

    def start(self) -> SMTPCaptureServer:
        if self._listener is not None:
            raise RuntimeError("this SMTP server is already running; enter it once at a time")
        service = self._shared.acquire()
        try:
            context = None
            if self.tls is not None:
                from fixturekit.mail._tls import server_context

                context = server_context()
            listener = service.listen(auth=self.auth_mechanisms, tls=self.tls, context=context)
        except BaseException:
            self._shared.release()
            raise
        self._listener = listener
        self._address = (listener.host, listener.port)
        self._shared.started(self)
        return self

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            raise RuntimeError("this SMTP server is not running; stop() follows start()")
        shared = self._shared
        shared.stopped(self)
        try:
            service = shared.service
            if service is not None:
                service.close_listener(listener)
        finally:
            shared.release()

    def __repr__(self) -> str:
        where = f" {self.url}" if self._listener is not None else " (stopped)"
        return f"<SMTPCaptureServer{where}>"
