"""`SMTPLibPatch`: ``smtplib.SMTP``, ``SMTP_SSL`` and aiosmtplib to any host deliver to the
mailer."""

from __future__ import annotations

import contextlib
import importlib.util
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
    import ssl

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

    When aiosmtplib is installed, its connections (``SMTP(...).connect()``,
    ``aiosmtplib.send(...)``) to any host or socket path deliver here too, over a socket
    pair with real TLS (``use_tls=True``, or STARTTLS, which is offered); their mails
    have ``via="aiosmtplib"``.
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
            try:
                self._install()
                self._install_aiosmtplib()
            except BaseException:
                self._restore()
                self._service = None
                self._shared.release()
                raise
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

    def _install_aiosmtplib(self) -> None:
        """aiosmtplib's connections, when it is installed, go to a socket pair too.

        Its TLS is real over the pair (the mailer's certificate): ``use_tls=True`` gets
        TLS from the first byte, and STARTTLS is offered, as providers do. No
        certificate of the provider exists here, so the client's TLS settings give way,
        for these connections, to a context that trusts the mailer's authority.
        """
        if importlib.util.find_spec("aiosmtplib") is None:
            return
        from aiosmtplib import smtp as module

        cls: Any = module.SMTP
        hooks = ("_create_connection", "_get_tls_context", "_get_default_port")
        missing = [name for name in hooks if not hasattr(cls, name)]
        if missing:
            raise RuntimeError(
                "patch_smtplib() cannot intercept this aiosmtplib (it has no "
                f"{', '.join(missing)}); install aiosmtplib>=3, or uninstall it if the "
                "application does not use it"
            )
        patch = self
        original_connect = cls.__dict__["_create_connection"]

        async def _create_connection(smtp: Any, timeout: Any) -> Any:
            host = str(smtp.hostname or smtp.socket_path or "localhost")
            port = smtp.port if smtp.port is not None else smtp._get_default_port()
            if smtp.socket_path is not None and smtp.port is None:
                port = 0
            sock = patch._connect_async(host, int(port), bool(smtp.use_tls))
            saved = (smtp.sock, smtp.socket_path, smtp.port, smtp.hostname)
            smtp.sock, smtp.socket_path, smtp.port, smtp.hostname = sock, None, None, host
            try:
                return await original_connect(smtp, timeout)
            except BaseException:
                sock.close()
                raise
            finally:
                smtp.sock, smtp.socket_path, smtp.port, smtp.hostname = saved

        async def _get_tls_context(smtp: Any) -> ssl.SSLContext:
            from fixturekit.mail._tls import client_context

            context = client_context()
            context.check_hostname = False  # the chain is verified, the name cannot be
            return context

        for name, replacement in (
            ("_create_connection", _create_connection),
            ("_get_tls_context", _get_tls_context),
        ):
            self._originals.append((cls, name, cls.__dict__[name]))
            setattr(cls, name, replacement)

    def _connect_async(self, host: str, port: int, tls: bool) -> socket.socket:
        from fixturekit.mail._smtp import ConnectionInfo
        from fixturekit.mail._tls import server_context

        service = self._service
        if service is None:
            raise RuntimeError("the smtplib patch is not running")
        context = server_context()
        info = ConnectionInfo(
            "aiosmtplib",
            (host, port),
            tls=tls,
            auth=self.auth_mechanisms,
            starttls=None if tls else context,
        )
        sock = service.socket_pair(info, context=context if tls else None)
        with self._lock:
            self._sockets.add(sock)
            self._connections.append(info.server)
        return sock

    def _restore(self) -> None:
        for cls, name, original in reversed(self._originals):
            setattr(cls, name, original)
        self._originals.clear()

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
            self._restore()
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
