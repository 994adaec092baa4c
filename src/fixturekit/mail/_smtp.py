"""The SMTP capture service behind `fixturekit.mail.FakeMailer` (needs aiosmtpd).

Private, and imported only when a server or a patch starts: users reach it through
``mailer.smtp_server()`` and ``mailer.patch_smtplib()``.

One `CaptureService` runs an asyncio event loop in a thread and serves aiosmtpd SMTP
sessions on it, either on a listening socket that we bind ourselves (aiosmtpd's own
controller cannot use port 0: aio-libs/aiosmtpd#388), or over one end of a
``socket.socketpair()`` whose other end a patched ``smtplib.SMTP`` talks to.

The service knows nothing about mail: every decision (is this address acceptable,
should this send fail, where does the message go) is the `Sink`'s (in the mailer, an
``Attempt`` of ``fixturekit.mail._faults`` per transaction), so the direct
``mailer.send()`` path and the SMTP paths behave alike.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import secrets
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

try:
    from aiosmtpd.smtp import (
        MISSING,
        SMTP,
        AuthResult,
        Envelope,
        LoginPassword,
        Session,
        TLSSetupException,
    )
except ImportError as exc:  # pragma: no cover - exercised in a process without aiosmtpd
    raise ImportError(
        "FakeMailer's SMTP server and its smtplib patch need aiosmtpd, which is "
        f"fixturekit's smtp extra: pip install 'fixturekit[smtp]' ({exc})"
    ) from exc

from fixturekit.mail._options import AUTH_MECHANISMS, DEFAULT_AUTH

__all__ = ["DROP", "CaptureService", "ConnectionInfo", "Listener", "Sink", "Transaction"]

#: The name the server greets with.
SERVER_NAME = "fixturekit.smtp.test"
#: How long a call into the loop thread may take before we give up (seconds).
_CALL_TIMEOUT = 30.0
_T = TypeVar("_T")
_log = logging.getLogger("mail.log")


#: An SMTP reply: (code, text). A code of 0 (see `DROP`) drops the connection instead.
Reply = tuple[int, str]

DROP: Reply = (0, "connection dropped")


@dataclass
class ConnectionInfo:
    """What the sink learns about one client connection."""

    #: "smtp" (the loopback server), "smtplib" or "aiosmtplib" (the patched clients).
    via: str
    #: The (host, port) the client dialled.
    server: tuple[str, int]
    #: Whether the session is encrypted (TLS on the server, implicit or after STARTTLS;
    #: for patched smtplib, SMTP_SSL or STARTTLS without a handshake).
    tls: bool = False
    #: Offer STARTTLS (the patched smtplib: it pretends to negotiate TLS).
    offer_starttls: bool = False
    #: The AUTH mechanisms advertised and accepted, in the order EHLO lists them.
    auth: tuple[str, ...] = DEFAULT_AUTH
    #: Offer real STARTTLS with this server context...
    starttls: ssl.SSLContext | None = field(default=None, repr=False)
    #: ...and require it before AUTH and MAIL (AUTH is advertised only once encrypted).
    require_starttls: bool = False
    #: The AUTH username, once the client authenticated.
    login: str | None = None
    #: The listener the connection came through (None for a socket pair).
    listener: Listener | None = field(default=None, repr=False)


class Transaction(Protocol):
    """One mail transaction (MAIL, RCPT..., DATA), decided by the sink."""

    def mail(self, sender: str) -> Reply | None:
        """None to accept the sender, or the refusal reply."""

    def rcpt(self, recipient: str) -> Reply | None:
        """None to accept the recipient, or the refusal reply."""

    def data(self, raw: bytes, sender: str, recipients: list[str]) -> Reply | None:
        """None once the message is delivered, a refusal reply, or a code-0 reply to drop
        the connection without answering."""


class Sink(Protocol):
    def begin(self, info: ConnectionInfo) -> Transaction:
        """A new transaction on the connection ``info`` (at MAIL FROM)."""


def _accept_any(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    return AuthResult(success=True, auth_data=auth_data)


class _Session(Session):
    """aiosmtpd's Session, without the deprecation log line on every AUTH."""

    @property
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


class _Handler:
    """aiosmtpd hooks for one connection, forwarding every decision to the sink."""

    def __init__(self, sink: Sink, info: ConnectionInfo) -> None:
        self.sink = sink
        self.info = info
        self.transaction: Transaction | None = None

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        if self.info.offer_starttls and not self.info.tls:
            responses.insert(len(responses) - 1, "250-STARTTLS")
        # The AUTH line in the configured order, or none when no mechanism is offered,
        # or (as at providers) while STARTTLS is required and not done yet.
        responses = [line for line in responses if not line.startswith("250-AUTH")]
        if self.info.auth and (self.info.tls or not self.info.require_starttls):
            responses.insert(len(responses) - 1, "250-AUTH " + " ".join(self.info.auth))
        return responses

    async def handle_exception(self, error: Exception) -> str:
        if isinstance(error, TLSSetupException):
            # A client that refused the certificate (or dropped the handshake): its own
            # error tells the story, and aiosmtpd closes the connection.
            return "454 4.7.0 TLS handshake failed"
        _log.exception("SMTP session exception")  # what aiosmtpd does by default
        return f"500 Error: ({type(error).__name__}) {error}"

    def handle_STARTTLS(self, server: SMTP, session: Session, envelope: Envelope) -> bool:
        # Called by aiosmtpd once a real STARTTLS handshake completed; the session has
        # started over (RFC 3207 4.2).
        self.info.tls = True
        self.transaction = None
        return True

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        self._note_login(session)
        transaction = self.sink.begin(self.info)
        refusal = transaction.mail(address)
        if refusal is not None:
            return _reply(refusal)
        self.transaction = transaction
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        transaction = self.transaction
        if transaction is None:  # pragma: no cover - aiosmtpd checks MAIL came first
            return "503 5.5.1 Error: need MAIL command"
        refusal = transaction.rcpt(address)
        if refusal is not None:
            return _reply(refusal)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        transaction, self.transaction = self.transaction, None
        if transaction is None:  # pragma: no cover - aiosmtpd checks RCPT came first
            return "503 5.5.1 Error: need MAIL command"
        raw = envelope.original_content or b""
        outcome = transaction.data(raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        if outcome is not None and outcome[0] == 0:
            # Close without a reply: the client sees the connection drop mid-transaction.
            if server.transport is not None:
                server.transport.close()
            return "421 4.4.2 Connection dropped"
        if outcome is not None:
            return _reply(outcome)
        return "250 2.0.0 OK: queued"

    async def handle_RSET(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.transaction = None
        return "250 2.0.0 OK"

    def _note_login(self, session: Session) -> None:
        data: Any = session.auth_data
        if session.authenticated and isinstance(data, LoginPassword):
            self.info.login = data.login.decode("utf-8", "replace")

    # AUTH mechanisms beyond aiosmtpd's PLAIN and LOGIN; any credentials are accepted.

    async def auth_CRAM__MD5(self, server: SMTP, args: list[str]) -> AuthResult:
        challenge = f"<{secrets.token_hex(8)}@{SERVER_NAME}>"
        response = await server.challenge_auth(challenge)
        if response is MISSING or not isinstance(response, bytes):
            return AuthResult(success=False, handled=True)
        login, _, _digest = response.partition(b" ")
        return AuthResult(success=True, auth_data=LoginPassword(login, b""))

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        if len(args) > 1:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except (binascii.Error, ValueError):
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        else:
            response = await server.challenge_auth("")
            if response is MISSING or not isinstance(response, bytes):
                return AuthResult(success=False, handled=True)
            blob = response
        login = b""
        for part in blob.split(b"\x01"):
            if part.startswith(b"user="):
                login = part[len(b"user=") :]
        return AuthResult(success=True, auth_data=LoginPassword(login, b""))


def _reply(reply: Reply) -> str:
    code, text = reply
    return f"{code} {text}"


class _CaptureSMTP(SMTP):
    """An aiosmtpd session that accepts any AUTH without TLS and can pretend STARTTLS."""

    def __init__(
        self,
        handler: _Handler,
        service: CaptureService,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__(
            handler,
            hostname=SERVER_NAME,
            ident="fixturekit FakeMailer",
            enable_SMTPUTF8=True,
            decode_data=False,
            auth_require_tls=False,
            authenticator=_accept_any,
            auth_exclude_mechanism=[m for m in AUTH_MECHANISMS if m not in handler.info.auth],
            tls_context=handler.info.starttls,
            require_starttls=handler.info.require_starttls,
            loop=loop,
        )
        self._capture_handler = handler
        self._service = service

    def _create_session(self) -> Session:
        return _Session(self.loop)

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        # The path exactly as the client wrote it: aiosmtpd's RFC 5322 parser would
        # quietly repair some malformed addresses ("a@exa mple.com"), which a real
        # server refuses; the sink judges the address as given.
        if not arg:
            return "", ""
        text = arg.lstrip()
        if text.startswith("<"):
            end = text.find(">")
            if end < 0:
                return None, None
            return text[1:end], text[end + 1 :]
        address, _, rest = text.partition(" ")
        return address, rest

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._service._protocols.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._service._protocols.discard(self)
        super().connection_lost(error)

    async def smtp_STARTTLS(self, arg: str) -> None:
        info = self._capture_handler.info
        if not info.offer_starttls:
            await super().smtp_STARTTLS(arg)
            return
        if arg:
            await self.push("501 Syntax: STARTTLS")
            return
        if info.tls:
            await self.push("503 5.5.1 TLS already active")
            return
        await self.push("220 2.0.0 Ready to start TLS")
        # The patched client skips the handshake; like after a real one (RFC 3207 4.2),
        # the session starts over and the client must say EHLO again.
        info.tls = True
        assert self.session is not None
        self.session.host_name = None
        self.session.extended_smtp = False
        self._set_rset_state()  # type: ignore[no-untyped-call]
        self._capture_handler.transaction = None


@dataclass(eq=False)
class Listener:
    """A listening socket served by the service."""

    host: str
    port: int
    server: asyncio.AbstractServer | None = None


class CaptureService:
    """An event loop in a thread serving SMTP sessions for a sink.

    `listen` opens a loopback listener, `socket_pair` a connection for a patched client;
    `close` aborts every connection, stops the loop and joins the thread.
    """

    def __init__(self, sink: Sink, *, name: str = "fixturekit-smtp") -> None:
        self._sink = sink
        self._loop = asyncio.new_event_loop()
        self._protocols: set[_CaptureSMTP] = set()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            asyncio.set_event_loop(None)

    def _call(self, make: Callable[[], Awaitable[_T]]) -> _T:
        if self._closed:
            raise RuntimeError("this SMTP capture service is closed")

        async def run() -> _T:
            return await make()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(_CALL_TIMEOUT)

    def _protocol(self, info: ConnectionInfo) -> _CaptureSMTP:
        return _CaptureSMTP(_Handler(self._sink, info), self, self._loop)

    # --- entry points ----------------------------------------------------------------

    def listen(
        self,
        *,
        via: str = "smtp",
        auth: tuple[str, ...] = DEFAULT_AUTH,
        tls: str | None = None,
        context: ssl.SSLContext | None = None,
    ) -> Listener:
        """Serve on 127.0.0.1 and a port the kernel picks, held from bind to close.

        ``tls`` is None, ``"starttls"`` or ``"implicit"``, with the server ``context``.
        """
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # The socket is bound (so the port is ours) before anyone learns the port:
            # no window in which a parallel worker could take it.
            sock.bind(("127.0.0.1", 0))
            sock.listen(64)
            sock.setblocking(False)
            host, port = sock.getsockname()[:2]
            listener = Listener(host, port)

            def factory() -> _CaptureSMTP:
                info = ConnectionInfo(
                    via,
                    (host, port),
                    tls=tls == "implicit",
                    auth=auth,
                    starttls=context if tls == "starttls" else None,
                    require_starttls=tls == "starttls",
                    listener=listener,
                )
                return self._protocol(info)

            implicit = context if tls == "implicit" else None
            listener.server = self._call(
                lambda: self._loop.create_server(factory, sock=sock, ssl=implicit)
            )
        except BaseException:
            sock.close()
            raise
        return listener

    def close_listener(self, listener: Listener) -> None:
        """Stop accepting, drop the listener's open connections, release the port."""
        server = listener.server
        if server is None:
            return
        listener.server = None

        async def close() -> None:
            server.close()
            for protocol in list(self._protocols):
                if protocol._capture_handler.info.listener is listener:
                    _abort(protocol)
            await _settle()
            await server.wait_closed()

        self._call(close)

    def socket_pair(
        self, info: ConnectionInfo, *, context: ssl.SSLContext | None = None
    ) -> socket.socket:
        """A connected socket whose other end is served as an SMTP session (in TLS from
        the first byte with the server ``context``)."""
        client, served = socket.socketpair()
        try:
            served.setblocking(False)
            if context is None:
                self._call(
                    lambda: self._loop.connect_accepted_socket(lambda: self._protocol(info), served)
                )
            else:
                # With TLS the coroutine returns after the handshake, which needs the
                # client, who is waiting for this socket: start it without waiting. A
                # failed handshake closes the served end, and the client sees that.
                if self._closed:
                    raise RuntimeError("this SMTP capture service is closed")
                accept = self._loop.connect_accepted_socket(
                    lambda: self._protocol(info), served, ssl=context
                )
                future = asyncio.run_coroutine_threadsafe(accept, self._loop)
                future.add_done_callback(_ignore_outcome)
        except BaseException:
            client.close()
            served.close()
            raise
        return client

    def close(self) -> None:
        """Abort every connection, stop the loop, join the thread. Idempotent."""
        if self._closed:
            return

        async def shutdown() -> None:
            for protocol in list(self._protocols):
                _abort(protocol)
            await _settle()
            current = asyncio.current_task()
            tasks = [task for task in asyncio.all_tasks() if task is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._loop.shutdown_asyncgens()

        try:
            self._call(shutdown)
        finally:
            self._closed = True
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()


def _ignore_outcome(future: Any) -> None:
    if not future.cancelled():
        future.exception()


def _abort(protocol: _CaptureSMTP) -> None:
    transport = protocol.transport
    if transport is not None:
        transport.abort()  # type: ignore[attr-defined]


async def _settle() -> None:
    """Let connection_lost callbacks and cancelled session tasks run."""
    for _ in range(3):
        await asyncio.sleep(0)
