"""FakeMailer: the outbox, the three ways in, the assertions, faults and commit-gated sends."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from email.message import Message
from typing import TYPE_CHECKING, Any

from fixturekit._internal.checks import check_count, keywords
from fixturekit._internal.commit import CommitGate, CommitGates
from fixturekit._internal.matching import (
    Recordings,
    describe_matcher,
    filter_matching,
    value_matches,
)
from fixturekit.clock import Clock
from fixturekit.harness import Fake, Timeline
from fixturekit.mail._addresses import address_list, address_problem, split_display, unique
from fixturekit.mail._compose import (
    attachment,
    body,
    check_header_value,
    copy_without_bcc,
    envelope_of,
    extra_headers,
)
from fixturekit.mail._faults import Attempt, Fault, Faults, Sink, make_fault
from fixturekit.mail._message import Draft, Headers, SentMail, flatten
from fixturekit.mail._options import DEFAULT_AUTH, check_auth_mechanisms, check_tls
from fixturekit.mail._patch import SMTPLibPatch
from fixturekit.mail._received import read_raw
from fixturekit.mail._server import SharedService, SMTPCaptureServer

if TYPE_CHECKING:
    import ssl

__all__ = ["FakeMailer"]

_DEFAULT_FROM = "noreply@example.com"

#: What assert_sent() and friends match on: SentMail's attributes, plus ``attachment``
#: (the attachments' names).
_FIELDS = (
    "to",
    "cc",
    "bcc",
    "reply_to",
    "from_",
    "envelope_from",
    "subject",
    "text",
    "html",
    "headers",
    "attachments",
    "attachment",
    "links",
    "recipients",
    "sent_at",
    "via",
    "server",
    "login",
    "tls",
)


class _HeadersIncluding:
    """The matcher a dict given as ``headers=`` becomes: those headers, among others."""

    def __init__(self, expected: Mapping[str, Any]) -> None:
        self.expected = dict(expected)

    def __call__(self, headers: Headers) -> bool:
        for name, value in self.expected.items():
            if name not in headers:
                return False
            if not value_matches(value, headers.get_all(name)):
                return False
        return True

    def __repr__(self) -> str:
        return f"headers including {self.expected!r}"


def _field(mail: SentMail, name: str) -> Any:
    if name == "attachment":
        return [attachment.name for attachment in mail.attachments]
    return getattr(mail, name)


def _prepare(criteria: dict[str, Any]) -> dict[str, Any]:
    if isinstance(criteria.get("headers"), Mapping):
        criteria["headers"] = _HeadersIncluding(criteria["headers"])
    return criteria


def _envelope_note(mails: Sequence[SentMail], criteria: Mapping[str, Any]) -> str:
    """When ``to=`` or ``cc=`` failed where ``recipients=`` would match: the address is
    on the envelope only (Bcc, or a raw ``sendmail``), and the note says so."""
    if "recipients" in criteria:
        return ""
    for name in ("to", "cc"):
        if name not in criteria:
            continue
        moved = {key: value for key, value in criteria.items() if key != name}
        moved["bcc"] = criteria[name]
        found = filter_matching(mails, moved, _field)
        if found:
            return (
                f"\nnote: with recipients={describe_matcher(criteria[name])} instead of "
                f"{name}=, {len(found)} mail(s) match: {name}= matches the {name.title()} "
                "header, and the address is only on their envelope (a Bcc, or a raw "
                "sendmail); recipients= matches everyone a mail was delivered to, bcc= "
                "those the headers do not show:\n"
                + "\n".join(f"  - {mail.describe()}" for mail in found)
            )
    return ""


def _lone_surrogate(value: object, depth: int = 0) -> str | None:
    """The first lone surrogate in a str, or in the strs of a list, tuple or mapping."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            return value[error.start]
        return None
    if depth > 3:
        return None
    if isinstance(value, Mapping):
        items: Iterable[object] = itertools.chain(value.keys(), value.values())
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return None
    for item in items:
        found = _lone_surrogate(item, depth + 1)
        if found is not None:
            return found
    return None


def _check_send_text(**arguments: object) -> None:
    """Refuse at `FakeMailer.send` what no mail can carry: text with lone surrogates, or
    one string given as the list of attachments."""
    attachments = arguments["attachments"]
    if isinstance(attachments, (str, bytes, os.PathLike)):
        raise TypeError(
            f"attachments must be a list of attachments, not the single {attachments!r}; "
            f"for one file write attachments=[{attachments!r}]"
        )
    for name, value in arguments.items():
        found = _lone_surrogate(value)
        if found is not None:
            raise ValueError(
                f"{name} contains the lone surrogate {found!r}, which no mail can carry "
                "(text decoded with errors='surrogateescape'?); decode it with the right "
                "encoding, or errors='replace'"
            )


class FakeMailer(Fake):
    """An outbox for the mail an application sends, with assertions.

    Arguments:
        clock: the `fixturekit.Clock` that stamps `SentMail.sent_at`; without one the
            mailer has a private virtual clock (see `fixturekit.Fake`).
        timeline: where sends are recorded; a harness sets it.
        strict: when True, leaving the mailer raises `fixturekit.errors.StrictModeError`
            if a mail in the outbox was neither matched by an assertion nor acknowledged
            with `ignore` (not when the ``with`` block raised: its error is the one shown).
        default_from: the sender of direct sends that give no ``from_``.

    Sending with a malformed address raises like a server refusing it would; faults
    queued with `fail_next` fail the next sends the way a provider does. `reset`
    forgets sent and pending mail and queued faults; running servers and patches stay.
    Thread-safe: the SMTP server's thread and the test's deliver into one outbox.
    """

    name = "mailer"

    @keywords
    def __init__(
        self,
        *,
        clock: Clock | None = None,
        timeline: Timeline | None = None,
        strict: bool = False,
        default_from: str = _DEFAULT_FROM,
    ) -> None:
        super().__init__(clock=clock, timeline=timeline, strict=strict)
        pair = split_display(default_from, "default_from")
        problem = address_problem(pair[1])
        if problem is not None:
            raise ValueError(f"default_from {default_from!r} is not a valid address: {problem}")
        self.default_from = default_from
        self._default_from = pair
        self._lock = threading.RLock()
        self._smtp = SharedService(Sink(self), owner=self)
        self._outbox: list[SentMail] = []
        self._seen: set[int] = set()
        self._faults = Faults()
        self._gates: CommitGates[SentMail] = CommitGates(deliver=self._deliver, drop=self._drop)
        self._numbers = itertools.count(1)
        self._sent: Recordings[SentMail] = Recordings(
            verb="sent",
            noun=("mail", "mails"),
            records=lambda: self.outbox,
            describe=SentMail.describe,
            fields=_FIELDS,
            get=_field,
            prepare=_prepare,
            seen=self._acknowledge,
            note=self._failure_note,
        )

    # --- state -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget sent and pending mail and queued faults (running servers and patches,
        and the configuration, stay)."""
        super().reset()
        with self._lock:
            self._outbox = []
            self._seen = set()
            self._gates.close()
        self._faults.clear()

    @property
    def outbox(self) -> list[SentMail]:
        """Every mail sent so far, oldest first (a copy)."""
        with self._lock:
            return list(self._outbox)

    @property
    def pending(self) -> list[SentMail]:
        """Mails sent with ``after_commit=`` whose transaction has not ended yet."""
        with self._lock:
            return self._gates.pending

    def _land(self, mail: SentMail) -> None:
        with self._lock:
            mail.sent_at = self.clock.now()
            mail.number = next(self._numbers)
            self._outbox.append(mail)
            self.record(
                f"mail to {', '.join(mail.recipients)}: {mail.subject}",
                to=tuple(mail.recipients),
                subject=mail.subject,
                via=mail.via,
            )

    def _deliver(self, mails: list[SentMail]) -> None:
        for mail in mails:
            self._land(mail)

    def _drop(self, mails: list[SentMail]) -> None:
        with self._lock:
            for mail in mails:
                self.record(
                    f"mail to {', '.join(mail.recipients)}: {mail.subject} discarded "
                    "(its transaction rolled back)",
                    to=tuple(mail.recipients),
                    subject=mail.subject,
                )

    def _gate(self, after_commit: object) -> CommitGate[SentMail]:
        with self._lock:
            return self._gates.for_session(after_commit)

    def _land_or_hold(self, mail: SentMail, gate: CommitGate[SentMail] | None) -> None:
        if gate is not None:
            with self._lock:
                if gate.stage(mail):
                    return
        self._land(mail)

    # --- way 1: direct ----------------------------------------------------------------------

    @keywords
    def send(
        self,
        *,
        to: str | Iterable[str] | None,
        subject: str = "",
        text: str | None = None,
        html: str | None = None,
        from_: str | None = None,
        cc: str | Iterable[str] | None = None,
        bcc: str | Iterable[str] | None = None,
        reply_to: str | Iterable[str] | None = None,
        attachments: Iterable[Any] | None = None,
        headers: Mapping[str, str] | None = None,
        after_commit: Any = None,
    ) -> SentMail:
        """Send a mail directly (for applications that take a mailer object).

        Addresses are ``'ada@example.com'`` or ``'Ada <ada@example.com>'``, or lists of
        them. ``attachments`` items are paths, ``(name, content)``,
        ``(name, content_type, content)`` or `Attachment` tuples.

        ``after_commit=session`` (a SQLAlchemy ``Session``, ``AsyncSession`` or
        ``scoped_session``) holds the mail until the session's transaction commits and
        drops it if it rolls back (see `pending`); a session with no transaction open
        delivers at once.

        Raises what smtplib raises against a real server: `smtplib.SMTPSenderRefused`
        for a malformed sender, `smtplib.SMTPRecipientsRefused` for malformed or
        refused recipients (then nothing is sent), and for queued faults
        `smtplib.SMTPDataError` or `smtplib.SMTPServerDisconnected`.
        """
        _check_send_text(
            to=to, subject=subject, text=text, html=html, from_=from_, cc=cc, bcc=bcc,
            reply_to=reply_to, headers=headers, attachments=attachments,
        )  # fmt: skip
        if type(to) is str and "<" not in to:
            to_pairs = [("", to.strip())]
        else:
            to_pairs = address_list(to, "to")
        cc_pairs = address_list(cc, "cc") if cc else []
        bcc_pairs = address_list(bcc, "bcc") if bcc else []
        reply_pairs = address_list(reply_to, "reply_to") if reply_to else []
        sender = self._default_from if from_ is None else split_display(from_, "from_")
        if type(subject) is not str or "\n" in subject or "\r" in subject:
            check_header_value(subject, "subject")
        text = body(text, "text") if text is not None else None
        html = body(html, "html") if html is not None else None
        files = [attachment(item) for item in attachments] if attachments else []
        extra = extra_headers(headers) if headers else []
        to_list = [pair[1] for pair in to_pairs]
        cc_list = [pair[1] for pair in cc_pairs]
        bcc_list = [pair[1] for pair in bcc_pairs]
        recipients = unique(to_list + cc_list + bcc_list) if cc_list or bcc_list else to_list
        if not recipients:
            raise ValueError("a mail needs at least one recipient: give to=, cc= or bcc=")
        gate = self._gate(after_commit) if after_commit is not None else None
        Attempt(self).direct(sender[1], recipients)
        mail = SentMail(
            to=to_list,
            cc=cc_list,
            bcc=bcc_list,
            reply_to=[pair[1] for pair in reply_pairs],
            from_=sender[1],
            envelope_from=sender[1],
            subject=subject,
            text=text,
            html=html,
            attachments=files,
            recipients=recipients,
            sent_at=self.clock.now(),
            via="direct",
            draft=Draft(sender, to_pairs, cc_pairs, reply_pairs, extra),
        )
        self._land_or_hold(mail, gate)
        return mail

    @keywords
    def send_message(
        self,
        message: Message,
        *,
        from_addr: str | None = None,
        to_addrs: str | Iterable[str] | None = None,
        after_commit: Any = None,
    ) -> SentMail:
        """Send an `email.message.EmailMessage` directly, as ``smtplib.send_message`` would.

        The sender is ``from_addr`` or the message's Sender/From; the recipients
        ``to_addrs`` or its To, Cc and Bcc. The Bcc header is removed before sending and
        the message goes through the same serialisation as over SMTP. ``after_commit``
        is `send`'s.
        """
        if not isinstance(message, Message):
            raise TypeError(
                f"send_message() takes an email.message.EmailMessage, not {message!r}; "
                "for keyword arguments use send(to=..., subject=...)"
            )
        sender, recipients = envelope_of(message, from_addr, to_addrs)
        gate = self._gate(after_commit) if after_commit is not None else None
        raw = flatten(copy_without_bcc(message))
        Attempt(self).direct(sender, recipients)
        mail = read_raw(raw, sender, recipients, via="direct", sent_at=self.clock.now())
        self._land_or_hold(mail, gate)
        return mail

    # --- ways 2 and 3: SMTP ----------------------------------------------------------------

    @keywords
    def smtp_server(
        self,
        *,
        tls: str | None = None,
        auth_mechanisms: str | Iterable[str] = DEFAULT_AUTH,
    ) -> SMTPCaptureServer:
        """A real SMTP server on 127.0.0.1 delivering here:
        ``with mailer.smtp_server() as (host, port):``. Needs the ``smtp`` extra.

        ``tls`` is None (plain SMTP), ``"starttls"`` (STARTTLS offered, and required
        before AUTH and MAIL, as on a provider's port 587) or ``"implicit"`` (TLS from
        the first byte, as ``smtplib.SMTP_SSL`` and port 465 expect); clients that
        verify trust `ca_file` (or use `ssl_context`). ``auth_mechanisms`` are the AUTH
        mechanisms it advertises, in that order, and accepts with any credentials: among
        ``"PLAIN"``, ``"LOGIN"``, ``"CRAM-MD5"`` and ``"XOAUTH2"``; PLAIN and LOGIN by
        default, as common providers; ``()`` offers no AUTH.
        """
        mode = check_tls(tls, "smtp_server")
        auth = check_auth_mechanisms(auth_mechanisms, "smtp_server")
        return SMTPCaptureServer(self._smtp, auth=auth, tls=mode)

    @property
    def ca_file(self) -> str:
        """The PEM file of the authority that signed the TLS servers' certificate: what a
        verifying client trusts (``cafile=``, aiosmtplib's ``cert_bundle=``,
        ``SSL_CERT_FILE``). Generated once per process."""
        from fixturekit.mail._tls import certificates

        return certificates().ca_file

    def ssl_context(self) -> ssl.SSLContext:
        """A new client `ssl.SSLContext` that verifies the TLS servers (host name
        included) against `ca_file`: ``smtp.starttls(context=mailer.ssl_context())``."""
        from fixturekit.mail._tls import client_context

        return client_context()

    @keywords
    def patch_smtplib(self, *, auth_mechanisms: str | Iterable[str] = DEFAULT_AUTH) -> SMTPLibPatch:
        """``with mailer.patch_smtplib():`` ``smtplib.SMTP``/``SMTP_SSL``, and aiosmtplib
        when installed, to any host deliver here, without network. Needs the ``smtp``
        extra. ``auth_mechanisms`` is `smtp_server`'s."""
        auth = check_auth_mechanisms(auth_mechanisms, "patch_smtplib")
        return SMTPLibPatch(self._smtp, auth=auth)

    # --- faults ------------------------------------------------------------------------------

    @keywords
    def fail_next(
        self,
        code: int | str,
        *,
        times: int = 1,
        message: str | None = None,
        on: str | None = None,
        recipient: str | None = None,
    ) -> None:
        """Make the next send(s) fail the way a provider does, through every way in.

        ``code`` is an SMTP reply code from 400 to 599, or ``"temporary"`` (451),
        ``"rejected"`` (550) or ``"disconnect"`` (the connection drops after the message
        was transmitted, without a reply). ``on`` is the SMTP stage that answers with
        the code: ``"mail"``, ``"rcpt"`` or ``"data"``; by default a 550 or a
        ``recipient=`` refuses recipients (``"rcpt"``) and any other code refuses the
        message (``"data"``). ``recipient`` limits a recipient refusal to that address,
        ``message`` sets the reply's text. ``times`` queues the same failure for that
        many sends.

        Over SMTP the client sees the reply itself; `send` raises what smtplib raises.
        """
        check_count(times, "times", minimum=1)
        fault = make_fault(code, message=message, on=on, recipient=recipient)
        self._faults.add(fault, times)

    def _take_fault(self) -> Fault | None:
        return self._faults.take()

    @property
    def faults(self) -> list[str]:
        """The queued faults, next first, described."""
        return self._faults.describe()

    # --- assertions --------------------------------------------------------------------------

    def assert_sent(
        self, *, times: int | None = None, timeout: float | None = None, **match: Any
    ) -> SentMail:
        """Assert a mail matching ``match`` was sent (exactly ``times`` of them, if
        given); returns the latest matching mail.

        Criteria are `SentMail` attributes (``to=``, ``subject=``, ``text=``...) plus
        ``attachment=`` (an attachment's name); values are exact values, compiled regexes
        (searched) or callables. A list attribute matches if any item does
        (``to="ada@example.com"``); a dict for ``headers=`` matches those headers among
        others. ``to=`` and ``cc=`` match the headers, ``recipients=`` everyone the mail
        was delivered to (the envelope), ``bcc=`` those the headers do not show; a
        failure says when ``recipients=`` would have matched. ``timeout=`` waits up to
        that many seconds for the mail (sent from another thread).
        """
        __tracebackhide__ = True
        return self._sent.assert_("assert_sent", match, times=times, timeout=timeout)  # noqa: PT009

    def assert_not_sent(self, **match: Any) -> None:
        """Assert no mail matching ``match`` was sent (criteria as for `assert_sent`)."""
        __tracebackhide__ = True
        self._sent.assert_not("assert_not_sent", match)

    def assert_sent_count(
        self, count: int, /, *, timeout: float | None = None, **match: Any
    ) -> list[SentMail]:
        """Assert exactly ``count`` mails matching ``match`` (all mails, without criteria)
        were sent; returns them. ``timeout=`` waits up to that many seconds for the count."""
        __tracebackhide__ = True
        return self._sent.assert_count("assert_sent_count", count, match, timeout=timeout)

    def assert_nothing_sent(self) -> None:
        """Assert the outbox is empty."""
        __tracebackhide__ = True
        self._sent.assert_nothing("assert_nothing_sent")

    def find(self, **match: Any) -> list[SentMail]:
        """The mails matching ``match`` (criteria as for `assert_sent`), oldest first.

        Looking is not asserting: strict mode does not count the mails found as checked.
        """
        return self._sent.find("find", match)

    def ignore(self, **match: Any) -> list[SentMail]:
        """Acknowledge the mails matching ``match`` (all, without criteria) for strict
        mode; returns them."""
        matched = self._sent.find("ignore", match)
        self._acknowledge(matched)
        return matched

    @property
    def unasserted(self) -> list[SentMail]:
        """Mails no assertion matched and no `ignore` acknowledged."""
        with self._lock:
            return [mail for mail in self._outbox if mail.number not in self._seen]

    def _acknowledge(self, mails: Sequence[SentMail]) -> None:
        with self._lock:
            self._seen.update(mail.number for mail in mails)

    def _failure_note(self, criteria: Mapping[str, Any]) -> str:
        return _envelope_note(self.outbox, criteria) + self._pending_note(criteria)

    def _pending_note(self, criteria: Mapping[str, Any]) -> str:
        waiting = filter_matching(self.pending, criteria, _field)
        if not waiting:
            return ""
        lines = [
            f"\nnote: {len(waiting)} matching mail(s) wait for their session to commit "
            "(sent with after_commit=):"
        ]
        lines += [f"  - {mail.describe()}" for mail in waiting]
        return "\n".join(lines)

    # --- lifecycle ---------------------------------------------------------------------------

    def on_stop(self) -> None:
        """Stop the servers and patches left running; forget mail still waiting for a
        commit."""
        try:
            self._smtp.stop_all()
        finally:
            with self._lock:
                self._gates.close()

    def exit_problems(self) -> list[str]:
        """In strict mode, the mails no assertion looked at."""
        if not self.strict:
            return []
        left = self.unasserted
        if not left:
            return []
        return [
            f"{len(left)} mail(s) were sent that no assertion looked at (strict=True):",
            *[f"  - {mail.describe()}" for mail in left],
            "assert them with mailer.assert_sent(...), or acknowledge them with mailer.ignore(...)",
        ]
