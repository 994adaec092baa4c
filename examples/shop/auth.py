"""Bearer-token authentication: JWTs from the shop's identity provider.

The identity provider (any OpenID Connect issuer) signs access tokens; the shop checks
them with PyJWT against the issuer's published keys, fetched from
``{issuer}/.well-known/jwks.json`` by :class:`jwt.PyJWKClient` and cached. Settings
come from ``SHOP_AUTH_ISSUER`` and ``SHOP_AUTH_AUDIENCE``.

Routes ask for :data:`CurrentUser` (any valid token) or ``Depends(require_role("admin"))``.
Failures follow RFC 6750: 401 with ``WWW-Authenticate: Bearer`` when the token is
missing or invalid, 403 when it lacks the role, 503 when the issuer's keys cannot be
fetched. Tests override :func:`get_verifier` with a verifier for their own issuer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

#: Claims a token must carry; PyJWT checks ``exp`` only when it is present, so it is
#: required here (a token without ``exp`` would otherwise never expire).
REQUIRED_CLAIMS = ("exp", "iat", "sub")


@dataclass(frozen=True)
class AuthSettings:
    issuer: str
    audience: str
    algorithms: tuple[str, ...] = ("RS256",)
    #: Clock skew tolerated between the issuer and this server, in seconds.
    leeway: float = 30

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer.rstrip('/')}/.well-known/jwks.json"

    @classmethod
    def from_env(cls) -> AuthSettings:
        missing = [
            name for name in ("SHOP_AUTH_ISSUER", "SHOP_AUTH_AUDIENCE") if not os.environ.get(name)
        ]
        if missing:
            raise RuntimeError(
                f"set {' and '.join(missing)}: the shop verifies tokens from that issuer, "
                "for that audience"
            )
        return cls(issuer=os.environ["SHOP_AUTH_ISSUER"], audience=os.environ["SHOP_AUTH_AUDIENCE"])


@dataclass(frozen=True)
class Principal:
    """Who made the request, from a verified token."""

    sub: str
    roles: frozenset[str]
    expires_at: datetime


class InvalidToken(Exception):
    """The token is not one the shop accepts (the message says why)."""


class IssuerUnavailable(Exception):
    """The issuer's keys could not be fetched, so no token can be checked."""


class TokenVerifier:
    """Verifies access tokens against the issuer's published keys."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._keys = jwt.PyJWKClient(settings.jwks_url, timeout=5)

    def verify(self, token: str) -> Principal:
        settings = self.settings
        try:
            signing_key = self._keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                signing_key.key,
                algorithms=list(settings.algorithms),
                audience=settings.audience,
                issuer=settings.issuer,
                leeway=settings.leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise IssuerUnavailable(str(exc)) from None
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
            raise InvalidToken(str(exc)) from None
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise InvalidToken(f"the roles claim must be a list of strings, got {roles!r}")
        return Principal(
            sub=claims["sub"],
            roles=frozenset(roles),
            expires_at=datetime.fromtimestamp(claims["exp"], timezone.utc),
        )


@lru_cache(maxsize=1)
def get_verifier() -> TokenVerifier:
    """The app's verifier, built from the environment on first use (and its keys cached)."""
    return TokenVerifier(AuthSettings.from_env())


_bearer = HTTPBearer(auto_error=False)


def current_user(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    verifier: Annotated[TokenVerifier, Depends(get_verifier)],
) -> Principal:
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"invalid token: {exc}",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    except IssuerUnavailable:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "cannot check tokens right now; try again"
        ) from None


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_role(role: str) -> Callable[[Principal], Principal]:
    """A dependency that lets through only users whose token carries ``role``."""

    def dependency(user: CurrentUser) -> Principal:
        if role not in user.roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"this needs the {role!r} role",
                headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
            )
        return user

    return dependency
