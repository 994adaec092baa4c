"""The SMTP options a capture server or a patch takes, checked (no aiosmtpd needed)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["AUTH_MECHANISMS", "DEFAULT_AUTH", "TLS_MODES", "check_auth_mechanisms", "check_tls"]

#: The AUTH mechanisms the capture server implements (any credentials are accepted).
AUTH_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2")
#: What it advertises by default: what common providers (Gmail, Microsoft 365, SendGrid,
#: Amazon SES, Mailgun) all advertise. smtplib prefers CRAM-MD5 when it is offered, and
#: then fails on a missing password with an AttributeError of its own.
DEFAULT_AUTH = ("PLAIN", "LOGIN")
#: ``smtp_server(tls=...)``: no TLS, STARTTLS on a plain connection, or TLS from the
#: first byte (what ``smtplib.SMTP_SSL`` expects; port 465 at providers).
TLS_MODES = (None, "starttls", "implicit")


def check_auth_mechanisms(value: object, function: str) -> tuple[str, ...]:
    """``auth_mechanisms=`` as a tuple of upper-case names: an iterable of names, or
    one str listing them as EHLO does (``"PLAIN LOGIN"``); empty offers no AUTH."""
    names: Iterable[object]
    if isinstance(value, str):
        names = value.split()
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, dict)):
        names = list(value)
    else:
        raise TypeError(
            f"{function}(auth_mechanisms=) takes the mechanisms to advertise, such as "
            f"('PLAIN', 'LOGIN'), not {value!r}"
        )
    chosen: list[str] = []
    for name in names:
        upper = name.upper() if isinstance(name, str) else None
        if upper not in AUTH_MECHANISMS:
            raise ValueError(
                f"{function}(auth_mechanisms=) got {name!r}, which the server does not "
                f"implement; choose among {', '.join(map(repr, AUTH_MECHANISMS))} "
                "(or () to offer no AUTH)"
            )
        if upper not in chosen:
            chosen.append(upper)
    return tuple(chosen)


def check_tls(value: object, function: str) -> str | None:
    """``tls=``: None, ``"starttls"`` or ``"implicit"``."""
    if value is None or (isinstance(value, str) and value in TLS_MODES):
        return value
    raise ValueError(
        f"{function}(tls=) must be None (no TLS), 'starttls' (a plain connection upgraded "
        "with STARTTLS, as on port 587) or 'implicit' (TLS from the first byte, as "
        f"smtplib.SMTP_SSL and port 465 expect), not {value!r}"
    )
