"""`SMTPLibPatch`: ``smtplib.SMTP`` and ``SMTP_SSL`` to any host deliver to the mailer."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import threading
import weakref
from typing import TYPE_CHECKING, Any

from fixturekit._internal.lifecycle import Lifecycle
from fixturekit.mail._faults import as_fixturekit_error
from fixturekit.mail._options import DEFAULT_AUTH
from fixturekit.mail._server import SharedService

if TYPE_CHECKING:
    from fixturekit.mail._smtp import CaptureService

__all__ = ["SMTPLibPatch"]

_PATCH_LOCK = threading.Lock()
_patched_by: SMTPLibPatch | None = None


class SMTPLibPatch(Lifecycle):
    """While running, ``smtplib.SMTP`` and ``SMTP_SSL`` to any host talk to the mailer.

    Made by `FakeMailer.patch_smtplib`. The patch is on the classes themselves, so it
    also reaches ``from smtplib import SMTP`` done at import time and subclasses. Each
    connection is a socket pair to the mailer's SMTP server: the real smtplib client
    code runs (EHLO, AUTH, SMTPUTF8, ``sendmail`` and ``send_message``), nothing touches
    the network. ``SMTP_SSL`` connects without TLS and ``starttls()`` completes the
    STARTTLS exchange without a handshake; mails record it (`SentMail.tls`). The
    refusals ``sendmail`` and ``send_message`` raise are smtplib's exceptions and
    `fixturekit.errors.FixturekitError` too. One patch at a time per process.
    """

    def __init__(self, shared: SharedService, *, auth: tuple[str, ...] = DEFAULT_AUTH) -> None:
        self._shared = shared
        self.auth_mechanisms = auth
        self._service: CaptureService | None = None
        self._originals: list[tuple[type, str, Any]] = []
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._connections: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._service is not None

    @property
    def connections(self) -> list[tuple[str, int]]:
        """Every ``(host, port)`` the application connected to while patched, in order."""
        with self._lock:
            return list(self._connections)

    def start(self) -> SMTPLibPatch:
        global _patched_by
        with _PATCH_LOCK:
            if self._service is not None:
                raise RuntimeError("this smtplib patch is already running")
            if _patched_by is not None:
                raise RuntimeError(
                    f"smtplib is already patched by {_patched_by._shared.owner!r}; leave its "
                    "`with mailer.patch_smtplib():` first (one patch at a time per process)"
                )
            self._service = self._shared.acquire()
            self._install()
            _patched_by = self
        self._shared.started(self)
        return self

    def _install(self) -> None:
        patch = self
        ssl_class = getattr(smtplib, "SMTP_SSL", None)

        def _get_socket(smtp: smtplib.SMTP, host: str, port: int, timeout: Any) -> Any:
            if timeout is not None and not timeout:
                raise ValueError("Non-blocking socket (timeout=0) is not supported")
            tls = ssl_class is not None and isinstance(smtp, ssl_class)
            return patch._connect(host, port, timeout, tls)

        def starttls(smtp: smtplib.SMTP, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
            smtp.ehlo_or_helo_if_needed()
            if not smtp.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server.")
            code, reply = smtp.docmd("STARTTLS")
            if code != 220:
                raise smtplib.SMTPResponseException(code, reply)
            # Where a real client wraps the socket in TLS, the session simply goes on;
            # like after a real handshake, what EHLO said is forgotten (RFC 3207).
            smtp.helo_resp = None
            smtp.ehlo_resp = None
            smtp.esmtp_features = {}
            smtp.does_esmtp = False
            return code, reply

        original_sendmail = smtplib.SMTP.sendmail

        def sendmail(smtp: smtplib.SMTP, *args: Any, **kwargs: Any) -> Any:
            try:
                return original_sendmail(smtp, *args, **kwargs)
            except smtplib.SMTPException as error:
                converted = as_fixturekit_error(error)
                if converted is error:
                    raise
                raise converted.with_traceback(error.__traceback__) from None

        targets: list[tuple[type, str, Any]] = [
            (smtplib.SMTP, "_get_socket", _get_socket),
            (smtplib.SMTP, "starttls", starttls),
            (smtplib.SMTP, "sendmail", sendmail),
        ]
        if ssl_class is not None:
            targets.append((ssl_class, "_get_socket", _get_socket))
        for cls, name, replacement in targets:
            self._originals.append((cls, name, cls.__dict__[name]))
            setattr(cls, name, replacement)

    def _connect(self, host: str, port: int, timeout: Any, tls: bool) -> socket.socket:
        from fixturekit.mail._smtp import ConnectionInfo

        service = self._service
        if service is None:
            raise RuntimeError("the smtplib patch is not running")
        info = ConnectionInfo(
            "smtplib",
            (str(host), int(port)),
            tls=tls,
            offer_starttls=True,
            auth=self.auth_mechanisms,
        )
        sock = service.socket_pair(info)
        if timeout is None or isinstance(timeout, (int, float)):
            sock.settimeout(timeout)
        with self._lock:
            self._sockets.add(sock)
            self._connections.append(info.server)
        return sock

    def stop(self) -> None:
        global _patched_by
        with _PATCH_LOCK:
            if self._service is None:
                raise RuntimeError("this smtplib patch is not running; stop() follows start()")
            for cls, name, original in reversed(self._originals):
                setattr(cls, name, original)
            self._originals.clear()
            self._service = None
            if _patched_by is self:
                _patched_by = None
        self._shared.stopped(self)
        try:
            with self._lock:
                sockets = list(self._sockets)
                self._sockets = weakref.WeakSet()
            for sock in sockets:  # connections the application never closed
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        finally:
            self._shared.release()

    def __repr__(self) -> str:
        return f"<SMTPLibPatch{' running' if self.running else ''} for {self._shared.owner!r}>"
