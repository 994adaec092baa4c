"""Argument checks only tokens need: issuers, audiences, algorithms, lifetimes, claims.

Unknown keywords, flags, counts and plain names go through `fixturekit._internal.checks`,
like every block's; what is here knows about JWTs.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from fixturekit._internal.checks import check_name
from fixturekit.clock import to_delta
from fixturekit.tokens._keys import ALGORITHMS, KEY_TYPES

__all__ = [
    "check_algorithm",
    "check_audience",
    "check_claims",
    "check_credentials",
    "check_duration",
    "check_issuer",
    "check_lifetime",
    "check_optional_issuer",
    "check_roles",
    "check_scope",
    "check_sub",
]

#: The claims the minter fills itself, and where each one comes from instead.
WHERE_FROM = {
    "iss": "the minter's issuer= (or wrong_issuer() for a bad token)",
    "aud": "the minter's audience= (or wrong_audience() for a bad token)",
    "iat": "the clock (advance or set the clock; not_yet_valid() for a bad token)",
    "nbf": "the clock (advance or set the clock; not_yet_valid() for a bad token)",
    "exp": "expires_in= (or expired() for a bad token)",
    "jti": "a random value per token",
}

#: The ``sub`` of tokens minted without one.
DEFAULT_SUB = "test-user"

_ZERO = timedelta(0)


def check_issuer(value: object, what: str = "issuer") -> str:
    return check_name(value, what, example="'https://issuer.test'")


def check_optional_issuer(value: object) -> str | None:
    """The minter's ``issuer=``: None leaves ``iss`` out of its tokens."""
    return None if value is None else check_issuer(value)


def check_sub(value: object) -> str:
    return check_name(value, "sub", example="'alice'")


def check_audience(value: object) -> str | tuple[str, ...] | None:
    """The minter's ``audience=``: None leaves ``aud`` out of its tokens."""
    if value is None:
        return None
    if isinstance(value, str):
        if value.strip():
            return value
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        items = tuple(value)
        if items and all(isinstance(item, str) and item.strip() for item in items):
            return items
    raise TypeError(
        f"audience must be a non-empty str such as 'api', a non-empty list of them, or None "
        f"for tokens without aud, not {value!r}"
    )


def check_algorithm(value: object) -> str:
    if isinstance(value, str) and value in KEY_TYPES:
        return value
    hint = ""
    if isinstance(value, str):
        matches = [name for name in ALGORITHMS if name.lower() == value.lower()]
        if matches:
            hint = f" (did you mean {matches[0]!r}?)"
        elif value.lower() == "none":
            hint = " (for an unsigned token, use minter.alg_none())"
    raise ValueError(
        f"unknown algorithm {value!r}{hint}; TokenMinter signs with one of {', '.join(ALGORITHMS)}"
    )


def check_lifetime(value: object, what: str = "expires_in") -> timedelta:
    step = to_delta(value, what)
    if step <= _ZERO:
        raise ValueError(
            f"{what} must be positive, got {value!r} ({step.total_seconds():g} seconds); "
            "for a token that is already expired "
            "use minter.expired(), for one valid later use minter.not_yet_valid()"
        )
    if step < timedelta(seconds=1):
        raise ValueError(
            f"{what} must be at least one second (JWT times are whole seconds), got {value!r}"
        )
    return step


def check_duration(value: object, what: str) -> timedelta:
    """A duration that may be zero but not negative (``leeway=``, ``grace=``)."""
    step = to_delta(value, what)
    if step < _ZERO:
        raise ValueError(f"{what} must not be negative, got {value!r}")
    return step


def check_scope(value: object) -> str:
    if isinstance(value, str):
        words = value.split()
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        words = list(value)
        for word in words:
            if not isinstance(word, str) or not word or word != word.strip() or " " in word:
                raise TypeError(
                    f"scope items must be single scopes (non-empty str without spaces), "
                    f"got {word!r} in {value!r}"
                )
    else:
        raise TypeError(
            f"scope must be a str such as 'orders:read orders:write' or a list of scopes, "
            f"not {value!r}"
        )
    if not words:
        raise ValueError(f"scope is empty ({value!r}); leave it out for a token without scope")
    return " ".join(words)


def check_roles(value: object) -> list[str]:
    if isinstance(value, str):
        raise TypeError(
            f"roles must be a list of str, not the str {value!r}; write roles=[{value!r}]"
        )
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        roles = list(value)
        if all(isinstance(role, str) and role for role in roles):
            return roles
    raise TypeError(f"roles must be a list of non-empty str such as ['admin'], not {value!r}")


def check_claims(claims: dict[str, Any]) -> None:
    """Refuse the claims the minter fills, and a misspelt ``expires_in=``."""
    for name in claims:
        if name in WHERE_FROM:
            raise TypeError(
                f"the {name!r} claim is filled by the minter; it comes from {WHERE_FROM[name]}"
            )
        close = difflib.get_close_matches(name, ("expires_in",), n=1, cutoff=0.75)
        if close:
            raise TypeError(
                f"{name}= looks like a misspelt {close[0]}=; mint() would have made it a claim "
                f"named {name!r}. Write {close[0]}=..."
            )


def check_credentials(
    given: object, what: str, *, public: bool = False
) -> dict[str, str | None] | None:
    """``serve()``'s ``clients=`` / ``users=``: None, or a map of names to passwords
    (for ``clients=``, None as a password is a public client that sends no secret)."""
    if given is None:
        return None
    if isinstance(given, Mapping) and all(
        isinstance(k, str) and k and (isinstance(v, str) or (public and v is None))
        for k, v in given.items()
    ):
        return dict(given)
    public_hint = " (None for a public client)" if public else ""
    raise TypeError(
        f"serve()'s {what}= must map names to passwords (str to str{public_hint}), "
        f"e.g. {{'svc': 's3cret'}}, not {given!r}"
    )
