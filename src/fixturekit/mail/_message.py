"""What a sent mail is (`SentMail`, `Headers`, `Attachment`), and its message built or parsed.

A direct send keeps what `FakeMailer.send` was given (a `Draft`) and builds the
`email.message.EmailMessage` only when a test asks for it; a mail received over SMTP
keeps its bytes and parses the full message only when asked (`fixturekit.mail._received`
reads the few fields every mail needs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from email import policy as email_policy
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime
from io import BytesIO
from typing import Any, NamedTuple

from fixturekit._internal.matching import describe_matcher
from fixturekit.errors import FakeAssertionError
from fixturekit.mail._addresses import format_address
from fixturekit.mail._links import extract_links

__all__ = [
    "Attachment",
    "Draft",
    "Headers",
    "SentMail",
    "build_message",
    "fix_surrogates",
    "flatten",
    "headers_of",
    "normalise_body",
    "parse_full",
]


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


class Draft:
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
        from_: the sender's address: the From header's (the envelope sender's when
            the message has no From).
        envelope_from: the envelope sender (SMTP's ``MAIL FROM``, where bounces go).
        subject: the decoded subject (``""`` when there is none).
        text, html: the plain-text and HTML bodies (None when absent), line endings
            normalised to ``\\n`` and trailing newlines removed.
        attachments: `Attachment` tuples ``(name, content_type, content)``.
        recipients: everyone the mail was delivered to (the SMTP envelope's ``RCPT TO``).
            ``to=`` and ``cc=`` criteria match the headers; ``recipients=`` matches this.
        sent_at: the clock time it landed in the outbox (for ``after_commit`` sends, the
            commit).
        via: how it arrived: ``"direct"``, ``"smtp"`` (the server), or through the patch
            ``"smtplib"`` or ``"aiosmtplib"``.
        server: the ``(host, port)`` the client dialled (None for direct sends).
        login: the AUTH user name the client logged in with, if it did.
        tls: whether the session was encrypted: TLS on the server (``smtp_server(tls=)``:
            implicit, or after STARTTLS), or ``SMTP_SSL`` / ``starttls()`` through patched
            smtplib.
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
        "envelope_from",
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
        envelope_from: str | None = None,
        headers: Headers | None = None,
        message: EmailMessage | None = None,
        raw: bytes | None = None,
        draft: Draft | None = None,
    ) -> None:
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.reply_to = reply_to
        self.from_ = from_
        self.envelope_from = from_ if envelope_from is None else envelope_from
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
            self._links = extract_links(self.text, self.html)
        return list(self._links)

    @property
    def message(self) -> EmailMessage:
        """The mail as an `email.message.EmailMessage` (built on first use for direct sends)."""
        if self._message is None:
            if self._draft is None and self._raw is not None:
                self._message = parse_full(self._raw)
            else:
                self._message = build_message(self)
        return self._message

    @property
    def headers(self) -> Headers:
        """The mail's headers (a case-insensitive mapping; see `Headers`)."""
        if self._headers is None:
            self._headers = headers_of(self.message)
        return self._headers

    @property
    def raw(self) -> bytes:
        """The message as sent over SMTP (generated for direct sends)."""
        if self._raw is None:
            self._raw = flatten(self.message)
        return self._raw

    def find_link(self, pattern: str | re.Pattern[str] | Callable[[str], object]) -> str:
        """The first link containing ``pattern`` (a str), matching it (a compiled regex)
        or accepted by it (a callable): ``mail.find_link("/verify")``.

        Raises `fixturekit.errors.FakeAssertionError` (an AssertionError) listing the
        mail's links when none fits.
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
            wanted = describe_matcher(pattern)
        raise FakeAssertionError(
            f"no link {wanted} in mail {self.subject!r} to {', '.join(self.recipients)}; "
            f"its links are:\n{listing}"
        )

    def describe(self) -> str:
        """One line: subject, sender, recipients, time and way in.

        Recipients are named by the criteria that match them: ``to`` and ``cc`` as the
        headers show them, ``bcc`` for those only on the envelope (``to (none), bcc
        b@example.com`` for a raw ``sendmail`` without a To header).
        """
        sender = self.from_
        if self.envelope_from != self.from_:
            sender += f" (envelope {self.envelope_from or '<>'})"
        to = f"to {', '.join(self.to) or '(none)'}"
        if self.cc:
            to += f", cc {', '.join(self.cc)}"
        if self.bcc:
            to += f", bcc {', '.join(self.bcc)}"
        return f"{self.subject!r} from {sender} {to} at {self.sent_at.isoformat()} via {self.via}"

    def __repr__(self) -> str:
        return f"<SentMail {self.describe()}>"


def normalise_body(value: str) -> str:
    return value.replace("\r\n", "\n").rstrip("\n")


def build_message(mail: SentMail) -> EmailMessage:
    draft = mail._draft
    message = EmailMessage()
    if draft is not None:
        message["From"] = format_address(*draft.from_)
        if draft.to:
            message["To"] = ", ".join(format_address(*pair) for pair in draft.to)
        if draft.cc:
            message["Cc"] = ", ".join(format_address(*pair) for pair in draft.cc)
        if draft.reply_to:
            message["Reply-To"] = ", ".join(format_address(*pair) for pair in draft.reply_to)
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


def flatten(message: Message) -> bytes:
    international = any(not str(value).isascii() for value in message.values())
    policy: Any = message.policy
    if international:
        policy = policy.clone(utf8=True)
    out = BytesIO()
    BytesGenerator(out, policy=policy).flatten(message, linesep="\r\n")
    return out.getvalue()


def fix_surrogates(value: str) -> str:
    """Undo the surrogate escapes the parser leaves for raw UTF-8 (RFC 6532) headers."""
    if value.isascii():
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def headers_of(message: Message) -> Headers:
    items = []
    for name, value in message.items():
        try:
            text = str(value)
        except Exception:  # pragma: no cover - a header the parser could not even read
            text = repr(value)
        items.append((name, fix_surrogates(text)))
    return Headers(items)


def parse_full(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=email_policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message
