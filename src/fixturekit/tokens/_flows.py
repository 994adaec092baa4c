"""The issuer's user-facing flows: authorization code with PKCE, refresh tokens, userinfo.

Private to `fixturekit.tokens`. Nobody types a password in a test: the test says who is
logged in (`FlowState.login_as`), and ``/authorize`` redirects straight back to the
client's redirect URI with a code and the ``state``. ``/token`` exchanges the code once,
checking the client, the redirect URI and the PKCE ``code_verifier`` (S256 only), for an
access token, an ID token (``openid`` scope) and a refresh token; the ``refresh_token``
grant rotates the refresh token; ``/userinfo`` answers for a bearer access token.

This module knows the minter only through `TokenSource`; `fixturekit.tokens._issuer`
(the HTTP side) imports it, never the other way round.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import secrets
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from fixturekit._internal.loopback import ServedOwner
from fixturekit.clock import Clock

__all__ = ["CODE_LIFETIME", "FlowState", "OAuthError", "TokenSource", "s256", "same_secret"]

#: How long an authorization code may wait for its exchange, on the minter's clock.
CODE_LIFETIME = timedelta(minutes=10)

#: Claims the issuer fills itself, which ``login_as`` does not take.
_RESERVED = frozenset(
    {"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "nonce", "azp", "at_hash", "auth_time"}
    | {"client_id", "scope"}
)


class OAuthError(Exception):
    """An OAuth 2.0 error answer: HTTP status, ``error`` code and description."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


class TokenSource(ServedOwner, Protocol):
    """What the issuer needs from the minter behind it (`TokenMinter` is one)."""

    @property
    def algorithm(self) -> str: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def expires_in(self) -> timedelta: ...

    def served_jwks(self) -> dict[str, Any]: ...

    def issue_token(
        self,
        sub: str,
        *,
        claims: Mapping[str, Any],
        audience: str | list[str] | None = None,
        typ: str = "JWT",
        id_token: bool = False,
    ) -> str: ...

    def record(self, message: str, /, **data: Any) -> object: ...


@dataclasses.dataclass
class _Grant:
    client_id: str
    sub: str
    scope: str | None
    claims: dict[str, Any]
    auth_time: int
    redirect_uri: str = ""
    nonce: str | None = None
    code_challenge: str = ""
    expires_at: datetime | None = None


def same_secret(given: str | None, expected: str) -> bool:
    """Whether ``given`` is ``expected``, compared in constant time."""
    offered = (given or "").encode("utf-8")
    return hmac.compare_digest(offered, expected.encode("utf-8")) and given is not None


def s256(verifier: str) -> str:
    """The PKCE S256 code challenge of ``verifier`` (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _half_hash(token: str) -> str:
    """``at_hash`` for an RS256 ID token: the left half of SHA-256, base64url."""
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


def _redirect(uri: str, params: Mapping[str, str]) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


class FlowState:
    """Who is logged in, and the codes, refresh tokens and access tokens handed out."""

    def __init__(self, minter: TokenSource) -> None:
        self._minter = minter
        self._lock = threading.Lock()
        self._login: tuple[str, dict[str, Any]] | None = None
        self._codes: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self._access: dict[str, tuple[_Grant, datetime]] = {}

    # --- who logs in ---------------------------------------------------------------------

    def login_as(self, sub: str, claims: Mapping[str, Any]) -> None:
        reserved = sorted(set(claims) & _RESERVED)
        if reserved:
            raise TypeError(
                f"login_as() claims {', '.join(reserved)} are filled by the issuer; pass "
                "profile claims such as email=, name=, roles="
            )
        self._login = (sub, dict(claims))

    def logout(self) -> None:
        self._login = None

    @property
    def logged_in(self) -> str | None:
        return None if self._login is None else self._login[0]

    # --- /authorize ----------------------------------------------------------------------

    def authorize(self, query: Mapping[str, str], client_known: bool, issuer: str) -> str:
        """The redirect location for an authorization request (errors that cannot be
        sent back to a trustworthy redirect URI raise `OAuthError`)."""
        client_id = query.get("client_id")
        redirect_uri = query.get("redirect_uri")
        if not client_id:
            raise OAuthError(400, "invalid_request", "client_id is missing")
        if not client_known:
            raise OAuthError(400, "invalid_client", f"unknown client {client_id!r}")
        if not redirect_uri or urlsplit(redirect_uri).scheme not in ("http", "https"):
            raise OAuthError(
                400, "invalid_request", f"redirect_uri must be an http(s) URL, not {redirect_uri!r}"
            )
        state = query.get("state")

        def refuse(error: str, description: str) -> str:
            params = {"error": error, "error_description": description, "iss": issuer}
            if state is not None:
                params["state"] = state
            self._minter.record(f"authorization refused: {error}: {description}", error=error)
            return _redirect(redirect_uri, params)

        if query.get("response_type") != "code":
            return refuse(
                "unsupported_response_type",
                f"response_type {query.get('response_type')!r}: only 'code' is supported",
            )
        challenge = query.get("code_challenge")
        if not challenge:
            return refuse("invalid_request", "PKCE is required: send code_challenge (S256)")
        if query.get("code_challenge_method") != "S256":
            return refuse("invalid_request", "code_challenge_method must be S256")
        login = self._login
        if login is None:
            return refuse(
                "login_required", "nobody is logged in: call issuer.login_as(sub, ...) first"
            )
        sub, claims = login
        now = self._minter.clock.now()
        grant = _Grant(
            client_id=client_id,
            sub=sub,
            scope=query.get("scope") or None,
            claims=claims,
            auth_time=int(now.timestamp()),
            redirect_uri=redirect_uri,
            nonce=query.get("nonce"),
            code_challenge=challenge,
            expires_at=now + CODE_LIFETIME,
        )
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = grant
        self._minter.record(
            f"authorization code for {sub!r} to client {client_id!r}", sub=sub, client_id=client_id
        )
        params = {"code": code, "iss": issuer}
        if state is not None:
            params["state"] = state
        return _redirect(redirect_uri, params)

    # --- /token: authorization_code and refresh_token ------------------------------------

    def exchange_code(self, form: Mapping[str, str], client_id: str) -> dict[str, Any]:
        code = form.get("code")
        verifier = form.get("code_verifier")
        if not code or not verifier:
            raise OAuthError(
                400, "invalid_request", "the authorization_code grant needs code and code_verifier"
            )
        with self._lock:
            grant = self._codes.pop(code, None)  # a code is used once, right or wrong
        if grant is None:
            raise OAuthError(400, "invalid_grant", "unknown or already used authorization code")
        if grant.client_id != client_id:
            raise OAuthError(400, "invalid_grant", "the code was issued to another client")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise OAuthError(
                400, "invalid_grant", "redirect_uri differs from the authorization request's"
            )
        assert grant.expires_at is not None
        if self._minter.clock.now() >= grant.expires_at:
            raise OAuthError(400, "invalid_grant", "the authorization code expired")
        if not hmac.compare_digest(s256(verifier).encode(), grant.code_challenge.encode()):
            raise OAuthError(400, "invalid_grant", "code_verifier does not match code_challenge")
        return self._tokens(grant, "authorization_code", with_id_token=True)

    def refresh(self, form: Mapping[str, str], client_id: str) -> dict[str, Any]:
        token = form.get("refresh_token")
        if not token:
            raise OAuthError(400, "invalid_request", "the refresh_token grant needs refresh_token")
        with self._lock:
            grant = self._refresh.get(token)
        if grant is None:
            raise OAuthError(400, "invalid_grant", "unknown or already used refresh token")
        if grant.client_id != client_id:
            raise OAuthError(400, "invalid_grant", "the refresh token belongs to another client")
        scope = form.get("scope")
        if scope:
            asked, granted = set(scope.split()), set((grant.scope or "").split())
            if not asked <= granted:
                raise OAuthError(
                    400,
                    "invalid_scope",
                    f"scope {' '.join(sorted(asked - granted))} was not granted",
                )
        with self._lock:
            # Rotation: the refresh token is spent, whoever comes second loses.
            if self._refresh.pop(token, None) is None:
                raise OAuthError(400, "invalid_grant", "unknown or already used refresh token")
        if scope:
            grant = dataclasses.replace(grant, scope=scope)
        return self._tokens(grant, "refresh_token", with_id_token=False)

    def _tokens(self, grant: _Grant, how: str, *, with_id_token: bool) -> dict[str, Any]:
        minter = self._minter
        claims: dict[str, Any] = {**grant.claims, "client_id": grant.client_id}
        if grant.scope:
            claims["scope"] = grant.scope
        access = minter.issue_token(grant.sub, claims=claims, typ=self.access_token_typ)
        lifetime = int(minter.expires_in.total_seconds())
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": lifetime,
        }
        if grant.scope:
            body["scope"] = grant.scope
        if with_id_token and "openid" in (grant.scope or "").split():
            id_claims: dict[str, Any] = {
                **grant.claims,
                "azp": grant.client_id,
                "auth_time": grant.auth_time,
                "at_hash": _half_hash(access),
            }
            if grant.nonce is not None:
                id_claims["nonce"] = grant.nonce
            body["id_token"] = minter.issue_token(
                grant.sub, claims=id_claims, audience=grant.client_id, id_token=True
            )
        refresh = secrets.token_urlsafe(32)
        expires = minter.clock.now() + minter.expires_in
        with self._lock:
            self._refresh[refresh] = grant
            self._access[access] = (grant, expires)
        body["refresh_token"] = refresh
        minter.record(
            f"token endpoint: {how} grant for {grant.sub!r} (client {grant.client_id!r})",
            grant=how,
            sub=grant.sub,
            client_id=grant.client_id,
            scope=grant.scope,
        )
        return body

    #: The header ``typ`` of access tokens; the issuer sets it (``at+jwt`` or ``JWT``).
    access_token_typ = "JWT"

    # --- /userinfo -----------------------------------------------------------------------

    def userinfo(self, authorization: str | None) -> dict[str, Any]:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise OAuthError(401, "invalid_token", "send the access token as a Bearer token")
        with self._lock:
            found = self._access.get(token.strip())
        if found is None:
            raise OAuthError(401, "invalid_token", "unknown access token")
        grant, expires = found
        if self._minter.clock.now() >= expires:
            raise OAuthError(401, "invalid_token", "the access token expired")
        return {"sub": grant.sub, **grant.claims}
