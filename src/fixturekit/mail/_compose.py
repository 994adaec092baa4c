"""Reading what `FakeMailer.send` and `FakeMailer.send_message` are given.

Every argument is checked at send time with an error that says what to write instead:
header values without line breaks (no header injection), bodies as str, attachments
as paths, ``(name, content)``, ``(name, content_type, content)`` or `Attachment`.
"""

from __future__ import annotations

import copy
import mimetypes
import os
import re
from collections.abc import Iterable, Mapping
from email.message import Message
from email.utils import getaddresses

from fixturekit.mail._addresses import address_list, split_display, unique
from fixturekit.mail._message import Attachment, normalise_body

__all__ = [
    "attachment",
    "body",
    "check_header_value",
    "copy_without_bcc",
    "envelope_of",
    "extra_headers",
]

_RESERVED_HEADERS = {
    "from": "from_=",
    "to": "to=",
    "cc": "cc=",
    "bcc": "bcc=",
    "reply-to": "reply_to=",
    "subject": "subject=",
}
_HEADER_NAME = re.compile(r"[!-9;-~]+\Z")


def check_header_value(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {value!r}")
    if "\r" in value or "\n" in value:
        raise ValueError(
            f"{what} contains a line break ({value!r}); header values may not "
            "(it would let a value inject headers)"
        )
    return value


def body(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str or None, not {type(value).__name__}")
    return normalise_body(value)


def attachment(value: object) -> Attachment:
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


def extra_headers(headers: object) -> list[tuple[str, str]]:
    """``headers=`` of `FakeMailer.send`: names and values checked, the ones with their
    own argument (``Subject``...) refused."""
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
        extra.append((name, check_header_value(value, f"header {name!r}")))
    return extra


def envelope_of(
    message: Message, from_addr: str | None, to_addrs: str | Iterable[str] | None
) -> tuple[str, list[str]]:
    """The sender and recipients of ``message``, as ``smtplib.send_message`` picks them:
    ``from_addr`` or its Sender/From; ``to_addrs`` or its To, Cc and Bcc."""
    if from_addr is None:
        found = [addr for _, addr in getaddresses(message.get_all("sender", [])) if addr]
        found = found or [addr for _, addr in getaddresses(message.get_all("from", [])) if addr]
        if not found:
            raise ValueError(
                "the message has no From header; set message['From'] or pass from_addr="
            )
        sender = found[0]
    else:
        sender = split_display(from_addr, "from_addr")[1]
    if to_addrs is None:
        fields = [*message.get_all("to", []), *message.get_all("cc", [])]
        fields += message.get_all("bcc", [])
        recipients = unique(addr for _, addr in getaddresses([str(f) for f in fields]))
    else:
        recipients = unique(pair[1] for pair in address_list(to_addrs, "to_addrs"))
    if not recipients:
        raise ValueError(
            "the message has no recipients: set its To, Cc or Bcc header or pass to_addrs="
        )
    return sender, recipients


def copy_without_bcc(message: Message) -> Message:
    """A shallow copy of ``message`` without its Bcc headers (the caller's is left alone)."""
    duplicate = copy.copy(message)
    del duplicate["Bcc"]
    del duplicate["Resent-Bcc"]
    return duplicate
