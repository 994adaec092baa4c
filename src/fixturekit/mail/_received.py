"""Reading a mail received over SMTP into a `SentMail`.

This runs for every mail on the SMTP path, so it uses the fast ``compat32`` parser and
decodes only what `SentMail` needs; the full `email.message.EmailMessage`
(`SentMail.message`, `SentMail.headers`) is parsed from the raw bytes on first use.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from email import policy as email_policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses

from fixturekit.mail._message import Attachment, SentMail, fix_surrogates, normalise_body

__all__ = ["read_raw"]

_FAST_PARSER = BytesParser(policy=email_policy.compat32)
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def _decoded(value: str) -> str:
    value = fix_surrogates(_FOLD.sub("", value))
    if "=?" in value:
        with contextlib.suppress(ValueError, LookupError, UnicodeError):
            value = str(make_header(decode_header(value)))
    return value.rstrip("\r\n")


def _addresses_in(values: list[str], name: str) -> list[str]:
    found: list[str] = []
    for value in values:
        value = fix_surrogates(_FOLD.sub("", value))
        if "=?" in value:  # encoded words (RFC 2047) in a local part or domain
            header = email_policy.default.header_factory(name, value)
            found.extend(
                fix_surrogates(a.addr_spec) for a in getattr(header, "addresses", ()) if a.username
            )
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
    return normalise_body(text)


def read_raw(
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
        envelope_from=sender,
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
