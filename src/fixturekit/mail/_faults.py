"""Faults and send attempts: the rules every way in (direct, SMTP, patched smtplib) shares.

`FakeMailer.fail_next` queues `Fault`s. Each send is an `Attempt` that takes the next
fault when the sender is given (SMTP's MAIL) and answers stage by stage (MAIL, RCPT,
DATA), so a malformed address or a queued fault refuses the mail the same way whichever
way it came in. Over SMTP the client sees the replies; a direct send raises what
`smtplib` raises against a real server. Those exceptions are `smtplib`'s own classes
and `fixturekit.errors.FixturekitError` too.
"""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from fixturekit.errors import FixturekitError
from fixturekit.mail._addresses import address_problem, split_display
from fixturekit.mail._compose import check_header_value
from fixturekit.mail._message import SentMail
from fixturekit.mail._received import read_raw

if TYPE_CHECKING:
    from fixturekit.mail._smtp import ConnectionInfo

__all__ = [
    "DROP",
    "STAGES",
    "Attempt",
    "DataError",
    "Disconnected",
    "Fault",
    "Faults",
    "Outbox",
    "RecipientsRefused",
    "Reply",
    "SenderRefused",
    "Sink",
    "as_fixturekit_error",
    "make_fault",
]

#: An SMTP reply: (code, text). Code 0 (`DROP`) drops the connection instead of replying.
Reply = tuple[int, str]

DROP: Reply = (0, "connection dropped")

#: The SMTP stages a fault can answer at (``fail_next(on=...)``).
STAGES = ("mail", "rcpt", "data")

_ALIASES: dict[str, int | str] = {
    "temporary": 451,
    "rejected": 550,
    "disconnect": "disconnect",
}

_DEFAULT_REPLIES = {
    421: "4.3.2 Service not available, closing transmission channel",
    450: "4.2.1 Mailbox unavailable, try again later",
    451: "4.3.0 Temporary failure, try again later",
    452: "4.3.1 Insufficient system storage",
    550: "5.1.1 Recipient address rejected: mailbox unavailable",
    551: "5.1.6 User not local",
    552: "5.3.4 Message size exceeds fixed limit",
    553: "5.1.3 Mailbox name not allowed",
    554: "5.7.1 Message rejected",
}


# --- faults -----------------------------------------------------------------------------------


class Fault:
    """One queued failure: the reply and the stage that answers with it."""

    __slots__ = ("code", "recipient", "stage", "text")

    def __init__(self, code: int, text: str, stage: str, recipient: str | None) -> None:
        self.code = code
        self.text = text
        self.stage = stage
        self.recipient = recipient

    @property
    def reply(self) -> Reply:
        return (self.code, self.text)

    def __repr__(self) -> str:
        if self.code == 0:
            return "<fault: drop the connection>"
        who = f" for {self.recipient}" if self.recipient else ""
        return f"<fault: {self.code} {self.text} at {self.stage}{who}>"


def make_fault(
    code: object, *, message: object = None, on: object = None, recipient: object = None
) -> Fault:
    """The `Fault` ``fail_next(code, message=, on=, recipient=)`` asks for, checked."""
    kind: object = code
    if isinstance(code, str):
        if code not in _ALIASES:
            raise ValueError(
                f"unknown code {code!r}; give an SMTP code such as 451 or 550, or one of "
                f"{', '.join(map(repr, _ALIASES))}"
            )
        kind = _ALIASES[code]
    elif isinstance(code, bool) or not isinstance(code, int) or not 400 <= code < 600:
        raise ValueError(
            f"code must be an SMTP error code from 400 to 599 (451: try again later, "
            f"550: recipient rejected) or 'disconnect', not {code!r}"
        )
    if on is not None and on not in STAGES:
        raise ValueError(f"on must be one of {', '.join(map(repr, STAGES))}, not {on!r}")
    address = None if recipient is None else split_display(recipient, "recipient")[1]
    if kind == "disconnect":
        if on not in (None, "data") or recipient is not None or message is not None:
            raise ValueError(
                "a 'disconnect' failure drops the connection after the message; it takes "
                "no on=, recipient= or message="
            )
        return Fault(0, DROP[1], "data", None)
    assert isinstance(kind, int)
    stage = str(on or ("rcpt" if kind == 550 or recipient is not None else "data"))
    if recipient is not None and stage != "rcpt":
        raise ValueError(f"recipient= refuses a recipient, so on= must be 'rcpt', not {on!r}")
    if message is None:
        text = _DEFAULT_REPLIES.get(kind)
        if text is None:
            text = f"{kind // 100}.0.0 {'Temporary' if kind < 500 else 'Permanent'} failure"
        text += " (injected by FakeMailer.fail_next)"
    else:
        text = check_header_value(message, "message")
    return Fault(kind, text, stage, address)


class Faults:
    """The queued faults, next first. Thread-safe: SMTP sessions take them too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    def add(self, fault: Fault, times: int) -> None:
        with self._lock:
            self._queue.extend(fault for _ in range(times))

    def take(self) -> Fault | None:
        if not self._queue:
            return None
        with self._lock:
            return self._queue.pop(0) if self._queue else None

    def clear(self) -> None:
        with self._lock:
            self._queue = []

    def describe(self) -> list[str]:
        with self._lock:
            return [repr(fault) for fault in self._queue]


# --- the exceptions a direct send raises --------------------------------------------------------


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


class RecipientsRefused(FixturekitError, smtplib.SMTPRecipientsRefused):
    """`smtplib.SMTPRecipientsRefused`, readable."""

    def __str__(self) -> str:
        parts = [
            f"{address!r}: {code} {_text(text)}"
            for address, (code, text) in self.recipients.items()
        ]
        return "recipients refused: " + "; ".join(parts)


class SenderRefused(FixturekitError, smtplib.SMTPSenderRefused):
    """`smtplib.SMTPSenderRefused`, readable."""

    def __str__(self) -> str:
        return f"sender {self.sender!r} refused: {self.smtp_code} {_text(self.smtp_error)}"


class DataError(FixturekitError, smtplib.SMTPDataError):
    """`smtplib.SMTPDataError`, readable."""

    def __str__(self) -> str:
        return f"message refused: {self.smtp_code} {_text(self.smtp_error)}"


class Disconnected(FixturekitError, smtplib.SMTPServerDisconnected):
    """`smtplib.SMTPServerDisconnected`: the connection dropped without a reply."""


def as_fixturekit_error(error: smtplib.SMTPException) -> smtplib.SMTPException:
    """The refusal ``error`` (raised by the smtplib client) as the class above that is
    both its smtplib class and a `FixturekitError`; other errors as they are."""
    if isinstance(error, FixturekitError):
        return error
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return RecipientsRefused(error.recipients)
    if isinstance(error, smtplib.SMTPSenderRefused):
        return SenderRefused(error.smtp_code, error.smtp_error, error.sender)
    if isinstance(error, smtplib.SMTPDataError):
        return DataError(error.smtp_code, error.smtp_error)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return Disconnected(*error.args)
    return error


# --- one send attempt -----------------------------------------------------------------------------


class Outbox(Protocol):
    """What an attempt needs from the mailer."""

    def record(self, message: str, /, **data: Any) -> object: ...

    def now(self) -> datetime: ...

    def _take_fault(self) -> Fault | None: ...

    def _land(self, mail: SentMail) -> None: ...


class Attempt:
    """One send attempt, stage by stage; the same rules for every way in.

    Over SMTP it is the capture server's transaction (``mail``, ``rcpt``, ``data``);
    a direct send runs `direct`, which raises what smtplib would.
    """

    __slots__ = ("fault", "info", "outbox", "sender")

    def __init__(self, outbox: Outbox, info: ConnectionInfo | None = None) -> None:
        self.outbox = outbox
        self.info = info
        self.fault: Fault | None = None
        self.sender = ""

    def mail(self, sender: str) -> Reply | None:
        problem = address_problem(sender)
        if problem is not None:
            reply = (553, f"5.1.7 Bad sender address syntax: {sender!r}: {problem}")
            self.outbox.record(f"mail from {sender} refused: {reply[0]} {reply[1]}")
            return reply
        self.sender = sender
        fault = self.fault = self.outbox._take_fault()
        if fault is not None and fault.stage == "mail":
            self.outbox.record(f"mail from {sender} refused: {fault.code} {fault.text}")
            return fault.reply
        return None

    def rcpt(self, recipient: str) -> Reply | None:
        problem = address_problem(recipient)
        if problem is not None:
            reply = (553, f"5.1.3 Bad recipient address syntax: {recipient!r}: {problem}")
        else:
            fault = self.fault
            if (
                fault is None
                or fault.stage != "rcpt"
                or (fault.recipient is not None and fault.recipient.lower() != recipient.lower())
            ):
                return None
            reply = fault.reply
        self.outbox.record(f"mail to {recipient} refused: {reply[0]} {reply[1]}")
        return reply

    def check_data(self, recipients: Sequence[str]) -> Reply | None:
        fault = self.fault
        if fault is None or fault.stage != "data":
            return None
        to = ", ".join(recipients)
        if fault.code == 0:
            self.outbox.record(f"mail to {to} failed: connection dropped")
        else:
            self.outbox.record(f"mail to {to} failed: {fault.code} {fault.text}")
        return fault.reply

    def data(self, raw: bytes, sender: str, recipients: list[str]) -> Reply | None:
        """The SMTP server's DATA: deliver the message, or the refusal."""
        outcome = self.check_data(recipients)
        if outcome is not None:
            return outcome
        info = self.info
        assert info is not None
        mail = read_raw(
            raw,
            sender,
            recipients,
            via=info.via,
            sent_at=self.outbox.now(),
            server=info.server,
            login=info.login,
            tls=info.tls,
        )
        self.outbox._land(mail)
        return None

    def direct(self, sender: str, recipients: list[str]) -> None:
        """Every stage for a direct send: raises what smtplib raises on a refusal."""
        refusal = self.mail(sender)
        if refusal is not None:
            raise SenderRefused(refusal[0], refusal[1].encode(), sender)
        refused: dict[str, tuple[int, bytes]] = {}
        for recipient in recipients:
            refusal = self.rcpt(recipient)
            if refusal is not None:
                refused[recipient] = (refusal[0], refusal[1].encode())
        if refused:
            raise RecipientsRefused(refused)
        outcome = self.check_data(recipients)
        if outcome is not None and outcome[0] == 0:
            raise Disconnected("Connection unexpectedly closed")
        if outcome is not None:
            raise DataError(outcome[0], outcome[1].encode())


class Sink:
    """What the SMTP capture service delivers to: an `Attempt` per mail transaction."""

    __slots__ = ("outbox",)

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def begin(self, info: ConnectionInfo) -> Attempt:
        return Attempt(self.outbox, info)
