"""FakeMailer: an outbox of sent mail, reachable three ways, with assertions.

```python
from fixturekit.mail import FakeMailer

with FakeMailer() as mailer:
    mailer.send(to="ada@example.com", subject="Welcome", text="Hi! https://app.test/verify?t=1")
    mail = mailer.assert_sent(to="ada@example.com", subject="Welcome")
    assert mail.find_link("/verify") == "https://app.test/verify?t=1"
```

The three ways in all land in one `FakeMailer.outbox`:

1. direct: `FakeMailer.send` and `FakeMailer.send_message`, for apps that take a
   mailer object;
2. ``with mailer.smtp_server() as (host, port):`` a real SMTP server (aiosmtpd) on
   127.0.0.1, for apps configured with a host and a port;
3. ``with mailer.patch_smtplib():`` ``smtplib.SMTP`` and ``SMTP_SSL`` to any host talk
   to that server over a socket pair, for apps that hard-code their provider.

The SMTP ways need the ``smtp`` extra (aiosmtpd); the direct way needs nothing.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import mimetypes
import os
import re
import smtplib
import socket
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from email import policy as email_policy
from email.generator import BytesGenerator
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses
from html.parser import HTMLParser
from io import BytesIO
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from fixturekit._internal import matching as _matching
from fixturekit._internal.lifecycle import Lifecycle
from fixturekit.clock import Clock
from fixturekit.harness import Fake, Timeline

if TYPE_CHECKING:
    from fixturekit._smtp import CaptureService, ConnectionInfo, Listener

__all__ = [
    "Attachment",
    "FakeMailer",
    "Headers",
    "SMTPCaptureServer",
    "SMTPLibPatch",
    "SentMail",
    "address_problem",
]

Reply = tuple[int, str]

#: A data-stage outcome that drops the connection instead of replying (code 0; the same
#: convention as ``fixturekit._smtp``).
DROP: Reply = (0, "connection dropped")

_DEFAULT_FROM = "noreply@example.com"

# --- addresses ---------------------------------------------------------------------------

_ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\u0080-\U0010ffff"
_LETTER = "A-Za-z0-9\u0080-\U0010ffff"
_LABEL = f"[{_LETTER}](?:[{_LETTER}\\-]*[{_LETTER}])?"
_FAST_ADDRESS = re.compile(f"[{_ATEXT}]+(?:\\.[{_ATEXT}]+)*@{_LABEL}(?:\\.{_LABEL})+\\Z")
_LOCAL_PART = re.compile(f'(?:[{_ATEXT}]+(?:\\.[{_ATEXT}]+)*|"(?:[^"\\\\\\r\\n]|\\\\.)*")\\Z')
_DOMAIN = re.compile(f"{_LABEL}(?:\\.{_LABEL})*\\Z")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_ADDRESS_LITERAL = re.compile(rf"\[(?:{_OCTET}(?:\.{_OCTET}){{3}}|IPv6:[0-9A-Fa-f:.]+)\]\Z")
_SPACE = re.compile(r"[\s\x00-\x1f\x7f]")
_DISPLAY_FORM = re.compile(r"\s*(?P<name>.*?)\s*<(?P<address>[^<>]*)>\s*\Z", re.S)


def address_problem(address: str) -> str | None:
    """What is wrong with the mailbox ``address`` (``local@domain``), or None if nothing.

    Checks what a receiving server or a provider checks at send time: one ``@``, a
    local part of atoms or a quoted string (at most 64 octets), a domain of host-name
    labels with a dot (``localhost`` and address literals such as ``[192.0.2.1]`` aside),
    and the lengths RFC 5321 allows. Non-ASCII addresses (SMTPUTF8) are accepted.
    """
    size = len(address.encode("utf-8", "surrogatepass"))
    if _FAST_ADDRESS.match(address) is not None:
        local, _, domain = address.rpartition("@")
        if (
            size <= 254
            and len(local.encode("utf-8", "surrogatepass")) <= 64
            and all(len(label) <= 63 for label in domain.split("."))
        ):
            return None
    if not address:
        return "it is empty"
    if _SPACE.search(address) and not address.startswith('"'):
        return "it contains whitespace or a control character"
    local, at, domain = address.rpartition("@")
    if not at:
        return "it has no '@' (an address is local-part@domain, such as ada@example.com)"
    if not local:
        return "nothing comes before the '@'"
    if not domain:
        return "nothing comes after the '@'"
    if "@" in local and not local.startswith('"'):
        return "it has more than one '@'"
    if _LOCAL_PART.match(local) is None:
        if local.startswith(".") or local.endswith(".") or ".." in local:
            return f"the local part {local!r} has a leading, trailing or doubled dot"
        return f"the local part {local!r} has characters that need quoting"
    if len(local.encode("utf-8", "surrogatepass")) > 64:
        return f"the local part is longer than 64 octets ({len(local.encode())})"
    if domain.startswith("["):
        if _ADDRESS_LITERAL.match(domain) is None:
            return f"the address literal {domain!r} is not an IPv4 or IPv6: address"
    elif _DOMAIN.match(domain) is None:
        return (
            f"the domain {domain!r} is not a host name (letters, digits and inner "
            "hyphens, in dot-separated labels)"
        )
    elif "." not in domain and domain.lower() != "localhost":
        return f"the domain {domain!r} has no dot, so no provider would deliver to it"
    elif any(len(label) > 63 for label in domain.split(".")):
        return "a label of the domain is longer than 63 characters"
    if size > 254:
        return f"it is longer than 254 octets ({size})"
    return None


def _split_display(value: object, what: str) -> tuple[str, str]:
    """``'Ada <ada@example.com>'`` -> ``('Ada', 'ada@example.com')``; bare -> ``('', addr)``."""
    if not isinstance(value, str):
        raise TypeError(
            f"{what} must be an address such as 'ada@example.com' or 'Ada <ada@example.com>', "
            f"not {value!r}"
        )
    if "<" not in value:
        return "", value.strip()
    match = _DISPLAY_FORM.match(value)
    if match is None:
        raise ValueError(
            f"{what}: cannot read {value!r} as an address; write 'ada@example.com' or "
            "'Ada Lovelace <ada@example.com>' (one address per string; pass a list for several)"
        )
    name = match["name"]
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return name, match["address"].strip()


def _address_list(value: object, what: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, str):
        return [_split_display(value, what)]
    if isinstance(value, (list, tuple)):
        return [_split_display(item, what) for item in value]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        return [_split_display(item, what) for item in list(value)]
    raise TypeError(
        f"{what} must be an address or a list of addresses such as ['ada@example.com'], "
        f"not {value!r}"
    )


def _format_address(name: str, address: str) -> str:
    if not name:
        return address
    if re.search(r'[()<>\[\]:;@\\,."]', name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


def _unique(addresses: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for address in addresses:
        key = address.lower()
        if key not in seen:
            seen.add(key)
            out.append(address)
    return out


# --- what a sent mail is -----------------------------------------------------------------


class Attachment(NamedTuple):
    """A file attached to a mail: ``name, content_type, content = attachment``."""

    name: str
    content_type: str
    content: bytes

    def __repr__(self) -> str:
        return f"Attachment({self.name!r}, {self.content_type!r}, <{len(self.content)} bytes>)"


class Headers(Mapping[str, str]):
    """A mail's headers: case-insensitive, read-only, decoded to str.

    ``headers["subject"]`` is the first value of a name; `get_all` gives every value
    of a repeated header (``Received``).
    """

    __slots__ = ("_index", "_items")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = list(items)
        index: dict[str, str] = {}
        for name, value in self._items:
            index.setdefault(name.lower(), value)
        self._index = index

    def __getitem__(self, name: str) -> str:
        return self._index[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for name, _ in self._items:
            if name.lower() not in seen:
                seen.add(name.lower())
                yield name

    def __len__(self) -> int:
        return len(self._index)

    def get_all(self, name: str) -> list[str]:
        """Every value of the header ``name``, in order (empty if absent)."""
        key = name.lower()
        return [value for item, value in self._items if item.lower() == key]

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


class _Draft:
    """What `FakeMailer.send` was given, to build the message only when asked."""

    __slots__ = ("cc", "extra", "from_", "reply_to", "to")

    def __init__(
        self,
        from_: tuple[str, str],
        to: list[tuple[str, str]],
        cc: list[tuple[str, str]],
        reply_to: list[tuple[str, str]],
        extra: list[tuple[str, str]],
    ) -> None:
        self.from_ = from_
        self.to = to
        self.cc = cc
        self.reply_to = reply_to
        self.extra = extra


class SentMail:
    """One mail in the outbox, however it was sent.

    Attributes:
        to, cc, bcc, reply_to: lists of addresses (``local@domain``, no display names;
            those are in `headers`). ``bcc`` are the recipients the headers do not show.
        from_: the sender's address.
        subject: the decoded subject (``""`` when there is none).
        text, html: the plain-text and HTML bodies (None when absent), line endings
            normalised to ``\\n`` and trailing newlines removed.
        attachments: `Attachment` tuples ``(name, content_type, content)``.
        recipients: everyone the mail was delivered to (the SMTP envelope).
        sent_at: the clock time it landed in the outbox (for ``after_commit`` sends, the
            commit).
        via: how it arrived: ``"direct"``, ``"smtp"`` or ``"smtplib"``.
        server: the ``(host, port)`` the client dialled (None for direct sends).
        login: the AUTH user name the client logged in with, if it did.
        tls: whether the client used ``SMTP_SSL`` or STARTTLS (patched smtplib only).
    """

    __slots__ = (
        "_draft",
        "_headers",
        "_links",
        "_message",
        "_raw",
        "attachments",
        "bcc",
        "cc",
        "from_",
        "html",
        "login",
        "number",
        "recipients",
        "reply_to",
        "sent_at",
        "server",
        "subject",
        "text",
        "tls",
        "to",
        "via",
    )

    def __init__(
        self,
        *,
        to: list[str],
        cc: list[str],
        bcc: list[str],
        reply_to: list[str],
        from_: str,
        subject: str,
        text: str | None,
        html: str | None,
        attachments: list[Attachment],
        recipients: list[str],
        sent_at: datetime,
        via: str,
        server: tuple[str, int] | None = None,
        login: str | None = None,
        tls: bool = False,
        headers: Headers | None = None,
        message: EmailMessage | None = None,
        raw: bytes | None = None,
        draft: _Draft | None = None,
    ) -> None:
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.reply_to = reply_to
        self.from_ = from_
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = attachments
        self.recipients = recipients
        self.sent_at = sent_at
        self.via = via
        self.server = server
        self.login = login
        self.tls = tls
        self.number = 0
        self._headers = headers
        self._message = message
        self._raw = raw
        self._draft = draft
        self._links: list[str] | None = None

    # --- derived, computed on first use ---------------------------------------------------

    @property
    def links(self) -> list[str]:
        """Every URL in the text and HTML bodies (``href`` values included), in order."""
        if self._links is None:
            self._links = _extract_links(self.text, self.html)
        return list(self._links)

    @property
    def message(self) -> EmailMessage:
        """The mail as an `email.message.EmailMessage` (built on first use for direct sends)."""
        if self._message is None:
            if self._draft is None and self._raw is not None:
                self._message = _parse_full(self._raw)
            else:
                self._message = _build_message(self)
        return self._message

    @property
    def headers(self) -> Headers:
        """The mail's headers (a case-insensitive mapping; see `Headers`)."""
        if self._headers is None:
            self._headers = _headers_of(self.message)
        return self._headers

    @property
    def raw(self) -> bytes:
        """The message as sent over SMTP (generated for direct sends)."""
        if self._raw is None:
            self._raw = _flatten(self.message)
        return self._raw

    def find_link(self, pattern: str | re.Pattern[str] | Callable[[str], object]) -> str:
        """The first link containing ``pattern`` (a str), matching it (a compiled regex)
        or accepted by it (a callable): ``mail.find_link("/verify")``.

        Raises AssertionError listing the mail's links when none fits.
        """
        __tracebackhide__ = True
        if isinstance(pattern, str):
            if not pattern:
                raise ValueError("find_link() needs a non-empty pattern such as '/verify'")
            found = [link for link in self.links if pattern in link]
        elif isinstance(pattern, re.Pattern):
            found = [link for link in self.links if pattern.search(link)]
        elif callable(pattern):
            found = [link for link in self.links if pattern(link)]
        else:
            raise TypeError(
                "find_link() takes a str (a part of the URL), a compiled regex or a callable, "
                f"not {pattern!r}"
            )
        if found:
            return found[0]
        links = self.links
        listing = "\n".join(f"  - {link}" for link in links) if links else "  (none)"
        wanted = f"containing {pattern!r}"
        if not isinstance(pattern, str):
            wanted = _matching.describe_matcher(pattern)
        raise AssertionError(
            f"no link {wanted} in mail {self.subject!r} to {', '.join(self.recipients)}; "
            f"its links are:\n{listing}"
        )

    def describe(self) -> str:
        """One line: subject, sender, recipients, time and way in."""
        return (
            f"{self.subject!r} from {self.from_} to {', '.join(self.recipients) or '(nobody)'} "
            f"at {self.sent_at.isoformat()} via {self.via}"
        )

    def __repr__(self) -> str:
        return f"<SentMail {self.describe()}>"


# --- links ---------------------------------------------------------------------------------

_URL = re.compile(r"""\b(?:https?|ftp)://[^\s<>"'`]+""", re.IGNORECASE)
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        if last in ".,;:!?'\"" or (
            last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])
        ):
            url = url[:-1]
        else:
            break
    return url


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "href" and value:
                value = value.strip()
                if (
                    value
                    and not value.startswith("#")
                    and not value.lower().startswith("javascript:")
                ):
                    self.links.append(value)

    def handle_data(self, data: str) -> None:
        self.links.extend(_trim_url(match) for match in _URL.findall(data))


def _extract_links(text: str | None, html: str | None) -> list[str]:
    found: list[str] = []
    if text:
        found.extend(_trim_url(match) for match in _URL.findall(text))
    if html:
        parser = _LinkParser()
        parser.feed(html)
        parser.close()
        found.extend(parser.links)
    return list(dict.fromkeys(link for link in found if link))


# --- messages: building (direct sends) and reading (SMTP) --------------------------------


def _normalise_body(value: str) -> str:
    return value.replace("\r\n", "\n").rstrip("\n")


def _build_message(mail: SentMail) -> EmailMessage:
    draft = mail._draft
    message = EmailMessage()
    if draft is not None:
        message["From"] = _format_address(*draft.from_)
        if draft.to:
            message["To"] = ", ".join(_format_address(*pair) for pair in draft.to)
        if draft.cc:
            message["Cc"] = ", ".join(_format_address(*pair) for pair in draft.cc)
        if draft.reply_to:
            message["Reply-To"] = ", ".join(_format_address(*pair) for pair in draft.reply_to)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.sent_at)
    message["Message-ID"] = f"<{mail.number}.{id(mail):x}@fixturekit.test>"
    if draft is not None:
        for name, value in draft.extra:
            message[name] = value
    if mail.text is not None:
        message.set_content(mail.text)
        if mail.html is not None:
            message.add_alternative(mail.html, subtype="html")
    elif mail.html is not None:
        message.set_content(mail.html, subtype="html")
    elif not mail.attachments:
        message.set_content("")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.name,
        )
    return message


def _flatten(message: Message) -> bytes:
    international = any(not str(value).isascii() for value in message.values())
    policy: Any = message.policy
    if international:
        policy = policy.clone(utf8=True)
    out = BytesIO()
    BytesGenerator(out, policy=policy).flatten(message, linesep="\r\n")
    return out.getvalue()


def _fix(value: str) -> str:
    """Undo the surrogate escapes the parser leaves for raw UTF-8 (RFC 6532) headers."""
    if value.isascii():
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _headers_of(message: Message) -> Headers:
    items = []
    for name, value in message.items():
        try:
            text = str(value)
        except Exception:  # pragma: no cover - a header the parser could not even read
            text = repr(value)
        items.append((name, _fix(text)))
    return Headers(items)


def _parse_full(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=email_policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


# Reading a received message happens on the SMTP path for every mail, so it uses the
# fast compat32 parser and decodes only what SentMail needs; the full EmailMessage
# (`SentMail.message`, `SentMail.headers`) is parsed from the raw bytes on first use.
_FAST_PARSER = BytesParser(policy=email_policy.compat32)
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def _decoded(value: str) -> str:
    value = _fix(_FOLD.sub("", value))
    if "=?" in value:
        with contextlib.suppress(ValueError, LookupError, UnicodeError):
            value = str(make_header(decode_header(value)))
    return value.rstrip("\r\n")


def _addresses_in(values: list[str], name: str) -> list[str]:
    found: list[str] = []
    for value in values:
        value = _fix(_FOLD.sub("", value))
        if "=?" in value:  # encoded words (RFC 2047) in a local part or domain
            header = email_policy.default.header_factory(name, value)
            found.extend(_fix(a.addr_spec) for a in getattr(header, "addresses", ()) if a.username)
        else:
            found.extend(addr for _, addr in getaddresses([value]) if addr)
    return found


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):  # pragma: no cover - a multipart has no text
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload.decode(charset, "replace")
    except LookupError:
        text = payload.decode("utf-8", "replace")
    return _normalise_body(text)


def _read_raw(
    raw: bytes,
    sender: str,
    recipients: list[str],
    *,
    via: str,
    sent_at: datetime,
    server: tuple[str, int] | None = None,
    login: str | None = None,
    tls: bool = False,
) -> SentMail:
    message = _FAST_PARSER.parsebytes(raw)
    headers: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        headers.setdefault(name.lower(), []).append(value)
    to = _addresses_in(headers.get("to", []), "to")
    cc = _addresses_in(headers.get("cc", []), "cc")
    senders = _addresses_in(headers.get("from", []), "from")
    shown = {address.lower() for address in (*to, *cc)}
    text = html = None
    attachments = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        attached = part.get_content_disposition() == "attachment"
        filename = part.get_filename()
        if not attached and not filename:
            if content_type == "text/plain" and text is None:
                text = _part_text(part)
                continue
            if content_type == "text/html" and html is None:
                html = _part_text(part)
                continue
            if part is message:
                continue  # a single-part message of another type, not marked attachment
        payload = part.get_payload(decode=True)
        attachments.append(
            Attachment(
                _decoded(filename or ""),
                content_type,
                payload if isinstance(payload, bytes) else b"",
            )
        )
    subjects = headers.get("subject")
    return SentMail(
        to=to,
        cc=cc,
        bcc=[address for address in recipients if address.lower() not in shown],
        reply_to=_addresses_in(headers.get("reply-to", []), "reply-to"),
        from_=senders[0] if senders else sender,
        subject=_decoded(subjects[0]) if subjects else "",
        text=text,
        html=html,
        attachments=attachments,
        recipients=list(recipients),
        sent_at=sent_at,
        via=via,
        server=server,
        login=login,
        tls=tls,
        raw=raw,
    )


# --- fault injection -------------------------------------------------------------------------

_STAGES = ("mail", "rcpt", "data")

_FAILURE_ALIASES: dict[str, int | str] = {
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


class _Fault:
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


class _Attempt:
    """One send attempt, stage by stage; the same rules for every way in."""

    __slots__ = ("fault", "info", "mailer", "sender")

    def __init__(self, mailer: FakeMailer, info: ConnectionInfo | None) -> None:
        self.mailer = mailer
        self.info = info
        self.fault: _Fault | None = None
        self.sender = ""

    def mail(self, sender: str) -> Reply | None:
        problem = address_problem(sender)
        if problem is not None:
            reply = (553, f"5.1.7 Bad sender address syntax: {sender!r}: {problem}")
            self.mailer.record(f"mail from {sender} refused: {reply[0]} {reply[1]}")
            return reply
        self.sender = sender
        fault = self.fault = self.mailer._take_fault()
        if fault is not None and fault.stage == "mail":
            self.mailer.record(f"mail from {sender} refused: {fault.code} {fault.text}")
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
        self.mailer.record(f"mail to {recipient} refused: {reply[0]} {reply[1]}")
        return reply

    def check_data(self, recipients: Sequence[str]) -> Reply | None:
        fault = self.fault
        if fault is None or fault.stage != "data":
            return None
        if fault.code == 0:
            self.mailer.record(f"mail to {', '.join(recipients)} failed: connection dropped")
        else:
            self.mailer.record(f"mail to {', '.join(recipients)} failed: {fault.code} {fault.text}")
        return fault.reply

    # The SMTP server's side (fixturekit._smtp.Transaction).
    def data(self, raw: bytes, sender: str, recipients: list[str]) -> Reply | None:
        outcome = self.check_data(recipients)
        if outcome is not None:
            return outcome
        info = self.info
        assert info is not None
        mail = _read_raw(
            raw,
            sender,
            recipients,
            via=info.via,
            sent_at=self.mailer.clock.now(),
            server=info.server,
            login=info.login,
            tls=info.tls,
        )
        self.mailer._land(mail)
        return None


class _RecipientsRefused(smtplib.SMTPRecipientsRefused):
    """`smtplib.SMTPRecipientsRefused`, readable."""

    def __str__(self) -> str:
        parts = [
            f"{address!r}: {code} {text.decode('utf-8', 'replace')}"
            for address, (code, text) in self.recipients.items()
        ]
        return "recipients refused: " + "; ".join(parts)


class _SenderRefused(smtplib.SMTPSenderRefused):
    def __str__(self) -> str:
        return f"sender {self.sender!r} refused: {self.smtp_code} {_text(self.smtp_error)}"


class _DataError(smtplib.SMTPDataError):
    def __str__(self) -> str:
        return f"message refused: {self.smtp_code} {_text(self.smtp_error)}"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


# --- commit-gated sends (SQLAlchemy) -----------------------------------------------------------


def _session_of(value: object) -> Any:
    try:
        from sqlalchemy.orm import Session, scoped_session
    except ImportError as exc:  # pragma: no cover - sqlalchemy is a dependency
        raise ImportError("after_commit= needs SQLAlchemy: pip install sqlalchemy") from exc
    if isinstance(value, scoped_session):
        value = value()
    sync = getattr(value, "sync_session", None)  # an AsyncSession
    if isinstance(sync, Session):
        value = sync
    if not isinstance(value, Session):
        raise TypeError(
            "after_commit must be the SQLAlchemy Session (or AsyncSession, or "
            f"scoped_session) whose commit releases the mail, not {value!r}"
        )
    return value


class _CommitGate:
    """Mails waiting for one session's transaction: released on commit, dropped on rollback.

    Mails are staged on the innermost transaction (a savepoint from ``begin_nested()``,
    or the session's own). A savepoint that commits hands its mails to the enclosing
    transaction; the outermost transaction's commit lands them. Inside a sandbox that
    joined the session with ``join_transaction_mode="create_savepoint"``, the
    application's ``commit()`` is the session's outermost commit (a RELEASE SAVEPOINT
    on the connection), which is the moment the application believes its data is saved.
    """

    def __init__(self, mailer: FakeMailer, session: Any) -> None:
        from sqlalchemy import event

        self.mailer = mailer
        self.session = session
        self.staged: dict[Any, list[SentMail]] = {}
        self.committing: set[Any] = set()
        self._hooks: list[tuple[str, Callable[..., None]]] = [
            ("after_transaction_create", self._after_create),
            ("after_commit", self._after_commit),
            ("after_transaction_end", self._after_end),
        ]
        for name, hook in self._hooks:
            event.listen(session, name, hook)

    def remove(self) -> None:
        from sqlalchemy import event

        for name, hook in self._hooks:
            if event.contains(self.session, name, hook):
                event.remove(self.session, name, hook)
        self.staged.clear()
        self.committing.clear()

    def _current(self) -> Any:
        session = self.session
        return session.get_nested_transaction() or session.get_transaction()

    def stage(self, mail: SentMail) -> None:
        self.staged.setdefault(self._current(), []).append(mail)

    @property
    def pending(self) -> list[SentMail]:
        return [mail for mails in self.staged.values() for mail in mails]

    def _after_create(self, session: Any, transaction: Any) -> None:
        if transaction.parent is None and None in self.staged:
            self.staged.setdefault(transaction, []).extend(self.staged.pop(None))

    def _after_commit(self, session: Any) -> None:
        self.committing.add(self._current())

    def _after_end(self, session: Any, transaction: Any) -> None:
        committed = transaction in self.committing
        self.committing.discard(transaction)
        mails = self.staged.pop(transaction, None)
        if not mails:
            return
        if not committed:
            self.mailer._discard(mails)
        elif transaction.parent is None:
            for mail in mails:
                self.mailer._land(mail)
        else:
            self.staged.setdefault(transaction.parent, []).extend(mails)


# --- the SMTP entry points -------------------------------------------------------------------


class SMTPCaptureServer(Lifecycle):
    """A real SMTP server on 127.0.0.1 delivering into a mailer's outbox.

    Made by `FakeMailer.smtp_server`. ``with mailer.smtp_server() as (host, port):``
    (the server unpacks to its address), or `start` / `stop`. It accepts any AUTH
    (PLAIN, LOGIN, CRAM-MD5, XOAUTH2) without TLS, SMTPUTF8 and 8BITMIME, and offers no
    STARTTLS. The port is picked by the kernel and held from bind to close, so parallel
    test processes never race for it. Leaving closes every connection, the port and,
    when nothing else of the mailer uses it, the server thread.
    """

    def __init__(self, mailer: FakeMailer) -> None:
        self._mailer = mailer
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
        """``smtp://127.0.0.1:<port>``."""
        host, port = self.address
        return f"smtp://{host}:{port}"

    def __iter__(self) -> Iterator[Any]:
        return iter(self.address)

    def start(self) -> SMTPCaptureServer:
        if self._listener is not None:
            raise RuntimeError("this SMTP server is already running; enter it once at a time")
        service = self._mailer._acquire_service()
        try:
            listener = service.listen()
        except BaseException:
            self._mailer._release_service()
            raise
        self._listener = listener
        self._address = (listener.host, listener.port)
        self._mailer._handles.append(self)
        return self

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            raise RuntimeError("this SMTP server is not running; stop() follows start()")
        mailer = self._mailer
        if self in mailer._handles:
            mailer._handles.remove(self)
        try:
            service = mailer._service
            if service is not None:
                service.close_listener(listener)
        finally:
            mailer._release_service()

    def __repr__(self) -> str:
        where = f" {self.url}" if self._listener is not None else " (stopped)"
        return f"<SMTPCaptureServer{where}>"


_PATCH_LOCK = threading.Lock()
_patched_by: SMTPLibPatch | None = None


class SMTPLibPatch(Lifecycle):
    """While running, ``smtplib.SMTP`` and ``SMTP_SSL`` to any host talk to the mailer.

    Made by `FakeMailer.patch_smtplib`. The patch is on the classes themselves, so it
    also reaches ``from smtplib import SMTP`` done at import time and subclasses. Each
    connection is a socket pair to the mailer's SMTP server: the real smtplib client
    code runs (EHLO, AUTH, SMTPUTF8, ``sendmail`` and ``send_message``), nothing touches
    the network. ``SMTP_SSL`` connects without TLS and ``starttls()`` completes the
    STARTTLS exchange without a handshake; mails record it (`SentMail.tls`).
    One patch at a time per process.
    """

    def __init__(self, mailer: FakeMailer) -> None:
        self._mailer = mailer
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
                    f"smtplib is already patched by {_patched_by._mailer!r}; leave its "
                    "`with mailer.patch_smtplib():` first (one patch at a time per process)"
                )
            self._service = self._mailer._acquire_service()
            self._install()
            _patched_by = self
        self._mailer._handles.append(self)
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

        targets: list[tuple[type, str, Any]] = [
            (smtplib.SMTP, "_get_socket", _get_socket),
            (smtplib.SMTP, "starttls", starttls),
        ]
        if ssl_class is not None:
            targets.append((ssl_class, "_get_socket", _get_socket))
        for cls, name, replacement in targets:
            self._originals.append((cls, name, cls.__dict__[name]))
            setattr(cls, name, replacement)

    def _connect(self, host: str, port: int, timeout: Any, tls: bool) -> socket.socket:
        from fixturekit._smtp import ConnectionInfo

        service = self._service
        if service is None:
            raise RuntimeError("the smtplib patch is not running")
        info = ConnectionInfo("smtplib", (str(host), int(port)), tls=tls, offer_starttls=True)
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
        if self in self._mailer._handles:
            self._mailer._handles.remove(self)
        try:
            with self._lock:
                sockets = list(self._sockets)
                self._sockets = weakref.WeakSet()
            for sock in sockets:  # connections the application never closed
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        finally:
            self._mailer._release_service()

    def __repr__(self) -> str:
        return f"<SMTPLibPatch{' running' if self.running else ''} for {self._mailer!r}>"


# --- the fake ------------------------------------------------------------------------------


_SEND_KEYWORDS = (
    "to",
    "subject",
    "text",
    "html",
    "from_",
    "cc",
    "bcc",
    "reply_to",
    "attachments",
    "headers",
    "after_commit",
)
_SEND_MESSAGE_KEYWORDS = ("from_addr", "to_addrs", "after_commit")
_FAIL_KEYWORDS = ("times", "recipient", "message", "at")
_INIT_KEYWORDS = ("clock", "timeline", "strict", "default_from")

#: What assert_sent() and friends match on: SentMail's attributes, plus ``attachment``
#: (the attachments' names).
CRITERIA = (
    "to",
    "cc",
    "bcc",
    "reply_to",
    "from_",
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

_RESERVED_HEADERS = {
    "from": "from_=",
    "to": "to=",
    "cc": "cc=",
    "bcc": "bcc=",
    "reply-to": "reply_to=",
    "subject": "subject=",
}
_HEADER_NAME = re.compile(r"[!-9;-~]+\Z")


def _unknown(function: str, given: Iterable[str], valid: Sequence[str]) -> TypeError:
    parts = []
    for name in given:
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}=?)" if close else ""
        parts.append(f"{name!r}{hint}")
    return TypeError(
        f"{function} got unknown keyword {', '.join(parts)}; it takes {', '.join(valid)}"
    )


def _check_header_value(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {value!r}")
    if "\r" in value or "\n" in value:
        raise ValueError(
            f"{what} contains a line break ({value!r}); header values may not "
            "(it would let a value inject headers)"
        )
    return value


def _body(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str or None, not {type(value).__name__}")
    return _normalise_body(value)


def _attachment(value: object) -> Attachment:
    if isinstance(value, Attachment):
        return value
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"attachment {path!r} is not a file")
        name = os.path.basename(path)
        with open(path, "rb") as file:
            return Attachment(name, _guess_type(name), file.read())
    if isinstance(value, tuple) and len(value) in (2, 3):
        name = value[0]
        if not isinstance(name, str) or not name:
            raise TypeError(f"an attachment's name must be a non-empty str, not {name!r}")
        content_type = value[1] if len(value) == 3 else _guess_type(name)
        content = value[-1]
        if isinstance(content, str):
            content = content.encode("utf-8")
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"attachment {name!r}: the content must be bytes or str, not "
                f"{type(content).__name__}"
            )
        if not isinstance(content_type, str) or "/" not in content_type:
            raise ValueError(
                f"attachment {name!r}: the content type must look like 'application/pdf', "
                f"not {content_type!r}"
            )
        return Attachment(name, content_type, bytes(content))
    raise TypeError(
        "an attachment is a path, (name, content), (name, content_type, content) or an "
        f"Attachment, not {value!r}"
    )


def _guess_type(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


class _HeadersIncluding:
    """The matcher a dict given as ``headers=`` becomes: those headers, among others."""

    def __init__(self, expected: Mapping[str, Any]) -> None:
        self.expected = dict(expected)

    def __call__(self, headers: Headers) -> bool:
        for name, value in self.expected.items():
            if name not in headers:
                return False
            if not _matching.value_matches(value, headers.get_all(name)):
                return False
        return True

    def __repr__(self) -> str:
        return f"headers including {self.expected!r}"


def _criterion(mail: SentMail, name: str) -> Any:
    if name == "attachment":
        return [attachment.name for attachment in mail.attachments]
    return getattr(mail, name)


class FakeMailer(Fake):
    """An outbox for the mail an application sends, with assertions.

    Arguments:
        clock: the `fixturekit.Clock` that stamps `SentMail.sent_at`; without one the
            mailer has a private virtual clock (see `fixturekit.Fake`).
        timeline: where sends are recorded; a harness sets it.
        strict: when True, leaving the mailer fails (AssertionError) if a mail in the
            outbox was neither matched by `assert_sent` nor acknowledged with `ignore`.
        default_from: the sender of direct sends that give no ``from_``.

    Sending with a malformed address raises like a server refusing it would; faults
    queued with `fail_next` fail the next sends the way a provider does. Thread-safe:
    the SMTP server's thread and the test's deliver into one outbox.
    """

    name = "mailer"

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        timeline: Timeline | None = None,
        strict: bool = False,
        default_from: str = _DEFAULT_FROM,
        **unknown: NoReturn,
    ) -> None:
        if unknown:
            raise _unknown("FakeMailer()", unknown, _INIT_KEYWORDS)
        if not isinstance(strict, bool):
            raise TypeError(f"strict must be True or False, not {strict!r}")
        _, sender = _split_display(default_from, "default_from")
        problem = address_problem(sender)
        if problem is not None:
            raise ValueError(f"default_from {default_from!r} is not a valid address: {problem}")
        self.strict = strict
        self.default_from = default_from
        self._default_from = _split_display(default_from, "default_from")
        self._lock = threading.RLock()
        self._service: CaptureService | None = None
        self._service_users = 0
        self._handles: list[SMTPCaptureServer | SMTPLibPatch] = []
        self._outbox: list[SentMail] = []
        self._faults: list[_Fault] = []
        self._seen: set[int] = set()
        self._gates: dict[int, _CommitGate] = {}
        self._numbers = itertools.count(1)
        super().__init__(clock=clock, timeline=timeline)

    # --- state -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget sent and pending mail and queued faults (servers and patches stay)."""
        with self._lock:
            self._outbox = []
            self._faults = []
            self._seen = set()
            gates, self._gates = self._gates, {}
        for gate in gates.values():
            gate.remove()

    @property
    def outbox(self) -> list[SentMail]:
        """Every mail sent so far, oldest first (a copy)."""
        with self._lock:
            return list(self._outbox)

    @property
    def pending(self) -> list[SentMail]:
        """Mails sent with ``after_commit=`` whose transaction has not ended yet."""
        with self._lock:
            return [mail for gate in self._gates.values() for mail in gate.pending]

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

    def _discard(self, mails: list[SentMail]) -> None:
        with self._lock:
            for mail in mails:
                self.record(
                    f"mail to {', '.join(mail.recipients)}: {mail.subject} discarded "
                    "(its transaction rolled back)",
                    to=tuple(mail.recipients),
                    subject=mail.subject,
                )

    # --- way 1: direct ----------------------------------------------------------------------

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
        **unknown: NoReturn,
    ) -> SentMail:
        """Send a mail directly (for applications that take a mailer object).

        Addresses are ``'ada@example.com'`` or ``'Ada <ada@example.com>'``, or lists of
        them. ``attachments`` items are paths, ``(name, content)``,
        ``(name, content_type, content)`` or `Attachment` tuples. ``after_commit=session``
        holds the mail until that SQLAlchemy session commits (see `pending`).

        Raises what smtplib raises against a real server: `smtplib.SMTPSenderRefused`
        for a malformed sender, `smtplib.SMTPRecipientsRefused` for malformed or
        refused recipients (then nothing is sent), and for queued faults
        `smtplib.SMTPDataError` or `smtplib.SMTPServerDisconnected`.
        """
        if unknown:
            raise _unknown("send()", unknown, _SEND_KEYWORDS)
        if type(to) is str and "<" not in to:
            to_pairs = [("", to.strip())]
        else:
            to_pairs = _address_list(to, "to")
        cc_pairs = _address_list(cc, "cc") if cc else []
        bcc_pairs = _address_list(bcc, "bcc") if bcc else []
        reply_pairs = _address_list(reply_to, "reply_to") if reply_to else []
        sender = self._default_from if from_ is None else _split_display(from_, "from_")
        if type(subject) is not str or "\n" in subject or "\r" in subject:
            _check_header_value(subject, "subject")
        text = _body(text, "text") if text is not None else None
        html = _body(html, "html") if html is not None else None
        files = [_attachment(item) for item in attachments] if attachments else []
        extra: list[tuple[str, str]] = []
        if headers:
            extra = self._extra_headers(headers)
        to_list = [pair[1] for pair in to_pairs]
        cc_list = [pair[1] for pair in cc_pairs]
        bcc_list = [pair[1] for pair in bcc_pairs]
        recipients = _unique(to_list + cc_list + bcc_list) if cc_list or bcc_list else to_list
        if not recipients:
            raise ValueError("a mail needs at least one recipient: give to=, cc= or bcc=")
        gate = self._gate(after_commit) if after_commit is not None else None

        attempt = _Attempt(self, None)
        self._refuse_or_pass(attempt, sender[1], recipients)
        mail = SentMail(
            to=to_list,
            cc=cc_list,
            bcc=bcc_list,
            reply_to=[pair[1] for pair in reply_pairs],
            from_=sender[1],
            subject=subject,
            text=text,
            html=html,
            attachments=files,
            recipients=recipients,
            sent_at=self.clock.now(),
            via="direct",
            draft=_Draft(sender, to_pairs, cc_pairs, reply_pairs, extra),
        )
        if gate is None:
            self._land(mail)
        else:
            with self._lock:
                gate.stage(mail)
        return mail

    def _extra_headers(self, headers: Mapping[str, str]) -> list[tuple[str, str]]:
        if not isinstance(headers, Mapping):
            raise TypeError(f"headers must be a mapping of name to value, not {headers!r}")
        extra = []
        for name, value in headers.items():
            if not isinstance(name, str) or _HEADER_NAME.match(name) is None:
                raise ValueError(
                    f"header name {name!r} is not valid (printable ASCII without ':' or spaces)"
                )
            instead = _RESERVED_HEADERS.get(name.lower())
            if instead is not None:
                raise TypeError(f"give the {name} header as {instead}, not in headers=")
            extra.append((name, _check_header_value(value, f"header {name!r}")))
        return extra

    def _refuse_or_pass(self, attempt: _Attempt, sender: str, recipients: list[str]) -> None:
        refusal = attempt.mail(sender)
        if refusal is not None:
            raise _SenderRefused(refusal[0], refusal[1].encode(), sender)
        refused: dict[str, tuple[int, bytes]] = {}
        for recipient in recipients:
            refusal = attempt.rcpt(recipient)
            if refusal is not None:
                refused[recipient] = (refusal[0], refusal[1].encode())
        if refused:
            raise _RecipientsRefused(refused)
        outcome = attempt.check_data(recipients)
        if outcome is not None and outcome[0] == 0:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        if outcome is not None:
            raise _DataError(outcome[0], outcome[1].encode())

    def send_message(
        self,
        message: Message,
        *,
        from_addr: str | None = None,
        to_addrs: str | Iterable[str] | None = None,
        after_commit: Any = None,
        **unknown: NoReturn,
    ) -> SentMail:
        """Send an `email.message.EmailMessage` directly, as ``smtplib.send_message`` would.

        The sender is ``from_addr`` or the message's Sender/From; the recipients
        ``to_addrs`` or its To, Cc and Bcc. The Bcc header is removed before sending and
        the message goes through the same serialisation as over SMTP.
        """
        if unknown:
            raise _unknown("send_message()", unknown, _SEND_MESSAGE_KEYWORDS)
        if not isinstance(message, Message):
            raise TypeError(
                f"send_message() takes an email.message.EmailMessage, not {message!r}; "
                "for keyword arguments use send(to=..., subject=...)"
            )
        if from_addr is None:
            found = [addr for _, addr in getaddresses(message.get_all("sender", [])) if addr]
            found = found or [addr for _, addr in getaddresses(message.get_all("from", [])) if addr]
            if not found:
                raise ValueError(
                    "the message has no From header; set message['From'] or pass from_addr="
                )
            sender = found[0]
        else:
            sender = _split_display(from_addr, "from_addr")[1]
        if to_addrs is None:
            fields = [*message.get_all("to", []), *message.get_all("cc", [])]
            fields += message.get_all("bcc", [])
            recipients = _unique(addr for _, addr in getaddresses([str(f) for f in fields]))
        else:
            recipients = _unique(pair[1] for pair in _address_list(to_addrs, "to_addrs"))
        if not recipients:
            raise ValueError(
                "the message has no recipients: set its To, Cc or Bcc header or pass to_addrs="
            )
        gate = self._gate(after_commit) if after_commit is not None else None
        copy = _copy_without_bcc(message)
        raw = _flatten(copy)
        attempt = _Attempt(self, None)
        self._refuse_or_pass(attempt, sender, recipients)
        mail = _read_raw(raw, sender, recipients, via="direct", sent_at=self.clock.now())
        if gate is None:
            self._land(mail)
        else:
            with self._lock:
                gate.stage(mail)
        return mail

    def _gate(self, after_commit: Any) -> _CommitGate:
        session = _session_of(after_commit)
        with self._lock:
            gate = self._gates.get(id(session))
            if gate is None or gate.session is not session:
                gate = self._gates[id(session)] = _CommitGate(self, session)
            return gate

    # --- ways 2 and 3: SMTP ----------------------------------------------------------------

    def smtp_server(self) -> SMTPCaptureServer:
        """A real SMTP server on 127.0.0.1 delivering here:
        ``with mailer.smtp_server() as (host, port):``. Needs the ``smtp`` extra."""
        return SMTPCaptureServer(self)

    def patch_smtplib(self) -> SMTPLibPatch:
        """``with mailer.patch_smtplib():`` ``smtplib.SMTP``/``SMTP_SSL`` to any host deliver
        here, without network. Needs the ``smtp`` extra."""
        return SMTPLibPatch(self)

    def begin(self, info: ConnectionInfo) -> _Attempt:
        """A transaction for the SMTP server (the sink protocol of ``fixturekit._smtp``)."""
        return _Attempt(self, info)

    def _acquire_service(self) -> CaptureService:
        from fixturekit import _smtp

        with self._lock:
            if self._service is None:
                self._service = _smtp.CaptureService(self)
            self._service_users += 1
            return self._service

    def _release_service(self) -> None:
        with self._lock:
            self._service_users -= 1
            service = None
            if self._service_users <= 0:
                self._service_users = 0
                service, self._service = self._service, None
        if service is not None:
            service.close()

    # --- faults ------------------------------------------------------------------------------

    def fail_next(
        self,
        failure: int | str,
        /,
        *,
        times: int = 1,
        recipient: str | None = None,
        message: str | None = None,
        at: str | None = None,
        **unknown: NoReturn,
    ) -> None:
        """Make the next send(s) fail the way a provider does, through every way in.

        ``failure`` is an SMTP reply code from 400 to 599, or ``"temporary"`` (451),
        ``"rejected"`` (550) or ``"disconnect"`` (the connection drops after the message
        was transmitted, without a reply). ``at`` is the stage that answers with the
        code: ``"mail"``, ``"rcpt"`` or ``"data"``; by default a 550 or a ``recipient=``
        refuses recipients (``"rcpt"``) and any other code refuses the message
        (``"data"``). ``recipient`` limits a recipient refusal to that address.
        ``times`` queues the same failure for that many sends.

        Over SMTP the client sees the reply itself; `send` raises what smtplib raises.
        """
        if unknown:
            raise _unknown("fail_next()", unknown, _FAIL_KEYWORDS)
        kind: int | str = failure
        if isinstance(failure, str):
            if failure not in _FAILURE_ALIASES:
                raise ValueError(
                    f"unknown failure {failure!r}; give an SMTP code such as 451 or 550, or "
                    f"one of {', '.join(map(repr, _FAILURE_ALIASES))}"
                )
            kind = _FAILURE_ALIASES[failure]
        elif isinstance(failure, bool) or not isinstance(failure, int) or not 400 <= failure < 600:
            raise ValueError(
                f"failure must be an SMTP error code from 400 to 599 (451: try again later, "
                f"550: recipient rejected) or 'disconnect', not {failure!r}"
            )
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a whole number >= 1, not {times!r}")
        if at is not None and at not in _STAGES:
            raise ValueError(f"at must be one of {', '.join(map(repr, _STAGES))}, not {at!r}")
        if recipient is not None:
            _, recipient = _split_display(recipient, "recipient")
        if kind == "disconnect":
            if at not in (None, "data") or recipient is not None or message is not None:
                raise ValueError(
                    "a 'disconnect' failure drops the connection after the message; it takes "
                    "no at=, recipient= or message="
                )
            fault = _Fault(0, DROP[1], "data", None)
        else:
            assert isinstance(kind, int)
            stage = at or ("rcpt" if kind == 550 or recipient is not None else "data")
            if recipient is not None and stage != "rcpt":
                raise ValueError(
                    f"recipient= refuses a recipient, so at= must be 'rcpt', not {at!r}"
                )
            if message is None:
                default = _DEFAULT_REPLIES.get(kind)
                if default is None:
                    status = f"{kind // 100}.0.0"
                    default = f"{status} {'Temporary' if kind < 500 else 'Permanent'} failure"
                text = f"{default} (injected by FakeMailer.fail_next)"
            else:
                text = _check_header_value(message, "message")
            fault = _Fault(kind, text, stage, recipient)
        with self._lock:
            self._faults.extend(fault for _ in range(times))

    def _take_fault(self) -> _Fault | None:
        if not self._faults:
            return None
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    @property
    def faults(self) -> list[str]:
        """The queued faults, next first, described."""
        with self._lock:
            return [repr(fault) for fault in self._faults]

    # --- assertions --------------------------------------------------------------------------

    def _check_criteria(self, function: str, criteria: Mapping[str, Any]) -> dict[str, Any]:
        unknown = [name for name in criteria if name not in CRITERIA]
        if unknown:
            raise _unknown(function, unknown, CRITERIA)
        checked = dict(criteria)
        if isinstance(checked.get("headers"), Mapping):
            checked["headers"] = _HeadersIncluding(checked["headers"])
        return checked

    def _matching(self, criteria: Mapping[str, Any]) -> tuple[list[SentMail], list[SentMail]]:
        mails = self.outbox
        return mails, _matching.filter_matching(mails, criteria, _criterion)

    def _pending_note(self, criteria: Mapping[str, Any]) -> str:
        waiting = _matching.filter_matching(self.pending, criteria, _criterion)
        if not waiting:
            return ""
        lines = [
            f"\nnote: {len(waiting)} matching mail(s) wait for their session to commit "
            "(sent with after_commit=):"
        ]
        lines += [f"  - {mail.describe()}" for mail in waiting]
        return "\n".join(lines)

    def assert_sent(self, *, times: int | None = None, **criteria: Any) -> SentMail:
        """Assert a mail matching ``criteria`` was sent (exactly ``times`` of them, if given).

        Criteria are `SentMail` attributes (``to=``, ``subject=``, ``text=``...) plus
        ``attachment=`` (an attachment's name); values are exact values, compiled regexes
        (searched) or callables. A list attribute matches if any item does
        (``to="ada@example.com"``); a dict for ``headers=`` matches those headers among
        others. Returns the latest matching mail.
        """
        __tracebackhide__ = True
        if times is not None and (
            isinstance(times, bool) or not isinstance(times, int) or times < 1
        ):
            raise ValueError(
                f"times must be a whole number >= 1, not {times!r}; "
                "for 'never' use assert_not_sent(...)"
            )
        checked = self._check_criteria("assert_sent()", criteria)
        mails, matched = self._matching(checked)
        if not matched:
            message = _matching.explain("a mail", checked, mails, SentMail.describe, get=_criterion)
            raise AssertionError(message + self._pending_note(checked))
        if times is not None and len(matched) != times:
            wanted = ", ".join(f"{k}={_matching.describe_matcher(v)}" for k, v in checked.items())
            lines = [
                f"expected {times} mail(s)"
                + (f" with {wanted}" if wanted else "")
                + f", but {len(matched)} matched:"
            ]
            lines += [f"  - {mail.describe()}" for mail in matched]
            raise AssertionError("\n".join(lines))
        with self._lock:
            self._seen.update(mail.number for mail in matched)
        return matched[-1]

    def assert_not_sent(self, **criteria: Any) -> None:
        """Assert no mail matching ``criteria`` was sent (see `assert_sent` for criteria)."""
        __tracebackhide__ = True
        checked = self._check_criteria("assert_not_sent()", criteria)
        _, matched = self._matching(checked)
        if matched:
            wanted = ", ".join(f"{k}={_matching.describe_matcher(v)}" for k, v in checked.items())
            lines = [
                "expected no mail"
                + (f" with {wanted}" if wanted else "")
                + f", but {len(matched)} matched:"
            ]
            lines += [f"  - {mail.describe()}" for mail in matched]
            raise AssertionError("\n".join(lines))

    def assert_nothing_sent(self) -> None:
        """Assert the outbox is empty."""
        __tracebackhide__ = True
        mails = self.outbox
        if mails:
            lines = [f"expected no mail at all, but {len(mails)} were sent:"]
            lines += [f"  - {mail.describe()}" for mail in mails]
            raise AssertionError("\n".join(lines))

    def assert_sent_count(self, count: int) -> list[SentMail]:
        """Assert exactly ``count`` mails were sent; returns them."""
        __tracebackhide__ = True
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"count must be a whole number >= 0, not {count!r}")
        mails = self.outbox
        if len(mails) != count:
            lines = [f"expected {count} mail(s) to be sent, but {len(mails)} were:"]
            lines += [f"  - {mail.describe()}" for mail in mails] or ["  (none)"]
            raise AssertionError("\n".join(lines) + self._pending_note({}))
        return mails

    def ignore(self, **criteria: Any) -> list[SentMail]:
        """Acknowledge the mails matching ``criteria`` (all, without any) for strict mode;
        returns them."""
        checked = self._check_criteria("ignore()", criteria)
        _, matched = self._matching(checked)
        with self._lock:
            self._seen.update(mail.number for mail in matched)
        return matched

    @property
    def unasserted(self) -> list[SentMail]:
        """Mails no `assert_sent` matched and no `ignore` acknowledged."""
        with self._lock:
            return [mail for mail in self._outbox if mail.number not in self._seen]

    # --- lifecycle ---------------------------------------------------------------------------

    def on_stop(self) -> None:
        errors: list[BaseException] = []
        for handle in reversed(list(self._handles)):
            try:
                handle.stop()
            except Exception as exc:  # pragma: no cover - keep releasing the others
                errors.append(exc)
        with self._lock:
            gates, self._gates = self._gates, {}
        for gate in gates.values():
            gate.remove()
        if errors:  # pragma: no cover
            raise errors[0]
        if self.strict:
            left = self.unasserted
            if left:
                lines = [
                    f"strict FakeMailer: {len(left)} mail(s) were sent that no assertion looked at:"
                ]
                lines += [f"  - {mail.describe()}" for mail in left]
                lines.append(
                    "assert them with mailer.assert_sent(...), or acknowledge them with "
                    "mailer.ignore(...)"
                )
                raise AssertionError("\n".join(lines))


def _copy_without_bcc(message: Message) -> Message:
    import copy

    duplicate = copy.copy(message)
    del duplicate["Bcc"]
    del duplicate["Resent-Bcc"]
    return duplicate
