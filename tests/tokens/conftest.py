"""Shared pieces of the token tests: a minter per algorithm and two independent verifiers.

PyJWT is what most applications verify with; joserfc (a test-only dependency) is a
second, independent implementation, so a token both accept is not merely something
PyJWT happens to tolerate.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from joserfc import jwt as jose_jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet, OctKey
from joserfc.jwt import JWTClaimsRegistry

import fixturekit as fk
from fixturekit.tokens import ALGORITHMS, TokenMinter

ASYMMETRIC = tuple(name for name in ALGORITHMS if not name.startswith("HS"))
HMAC = tuple(name for name in ALGORITHMS if name.startswith("HS"))

#: Every claim the minter fills; strict verifiers in these tests require all of them.
REQUIRED = ["iss", "sub", "aud", "iat", "nbf", "exp", "jti"]

Verify = Callable[[TokenMinter, str], dict[str, Any]]


@pytest.fixture
def virtual_clock() -> fk.Clock:
    """A clock that does not patch the process's time, starting at the real time."""
    return fk.Clock(patch=False)


@pytest.fixture(params=ALGORITHMS)
def minter(request: pytest.FixtureRequest, virtual_clock: fk.Clock) -> Iterator[TokenMinter]:
    with TokenMinter(algorithm=request.param, clock=virtual_clock) as running:
        yield running


def pyjwt_key(minter: TokenMinter) -> str:
    """What an application configured with one fixed key would pass to jwt.decode."""
    if minter.algorithm.startswith("HS"):
        return minter.secret
    return minter.public_key_pem


@pytest.fixture
def pyjwt_verify() -> Verify:
    """Verify like a strict application: fixed key, algorithm, audience, issuer, claims."""

    def verify(minter: TokenMinter, token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            token,
            pyjwt_key(minter),
            algorithms=[minter.algorithm],
            audience=minter.audience,
            issuer=minter.issuer,
            options={"require": REQUIRED},
        )
        return claims

    return verify


def joserfc_keys(minter: TokenMinter) -> KeySet:
    if minter.algorithm.startswith("HS"):
        return KeySet([OctKey.import_key(minter.secret, {"kid": minter.kid})])
    return KeySet.import_key_set(minter.jwks)  # type: ignore[arg-type]


@pytest.fixture
def joserfc_verify() -> Verify:
    """Verify with joserfc: signature by kid from the key set, then every claim."""

    def verify(minter: TokenMinter, token: str) -> dict[str, Any]:
        with warnings.catch_warnings():
            # joserfc flags "EdDSA" as deprecated by RFC 9864 (in favour of "Ed25519");
            # PyJWT only knows "EdDSA", which is what deployed verifiers accept.
            warnings.filterwarnings("ignore", "EdDSA is deprecated", SecurityWarning)
            decoded = jose_jwt.decode(token, joserfc_keys(minter), algorithms=[minter.algorithm])
        audience = minter.audience
        registry = JWTClaimsRegistry(
            now=lambda: int(minter.clock.timestamp()),
            iss={"essential": True, "value": minter.issuer},
            aud={"essential": True, "value": audience if isinstance(audience, str) else None},
            **{name: {"essential": True} for name in ("sub", "iat", "nbf", "exp", "jti")},
        )
        registry.validate(decoded.claims)
        return dict(decoded.claims)

    return verify
