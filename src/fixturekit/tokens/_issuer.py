"""The fake OIDC issuer: discovery, the JWKS and a token endpoint in front of a minter.

Private to `fixturekit.tokens`; users reach it through ``TokenMinter.serve()`` (a
loopback HTTP server) and ``TokenMinter.mock_jwks(http)`` (the documents as routes of
a `fixturekit.FakeHTTP`). The loopback server serves discovery, the JWKS and a token
endpoint with the ``client_credentials`` and ``password`` grants, on 127.0.0.1 with an
ephemeral port, from a thread that is shut down and joined (with every request thread)
when the server stops.

This module knows the minter only through `TokenSource`, the few members it uses, and
FakeHTTP only through `HTTPRoutes`: it imports neither.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote_plus

from fixturekit._internal.loopback import LoopbackHandler, ServedAPI, ServedOwner

if TYPE_CHECKING:
    import httpx

__all__ = ["HTTPRoutes", "IssuerServer", "TokenSource", "discovery_document", "route_documents"]

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"
TOKEN_PATH = "/token"

_MAX_BODY = 64 * 1024

GRANT_TYPES = ("client_credentials", "password")


class TokenSource(ServedOwner, Protocol):
    """What the issuer needs from the minter behind it (`TokenMinter` is one)."""

    @property
    def algorithm(self) -> str: ...

    @property
    def jwks(self) -> dict[str, Any]: ...

    @property
    def expires_in(self) -> timedelta: ...

    def issue_token(
        self,
        sub: str,
        *,
        claims: Mapping[str, Any],
        audience: str | list[str] | None = None,
        typ: str = "JWT",
    ) -> str: ...

    def record(self, message: str, /, **data: Any) -> object: ...


def discovery_document(
    issuer: str, algorithm: str, *, jwks_uri: str | None, token_endpoint: str | None = None
) -> dict[str, Any]:
    """An ``/.well-known/openid-configuration`` document; ``jwks_uri`` is None for an
    HMAC issuer (it publishes no keys), ``token_endpoint`` None when there is none."""
    document: dict[str, Any] = {"issuer": issuer}
    if token_endpoint is not None:
        document["token_endpoint"] = token_endpoint
        document["grant_types_supported"] = list(GRANT_TYPES)
        document["token_endpoint_auth_methods_supported"] = [
            "client_secret_basic",
            "client_secret_post",
        ]
    if jwks_uri is not None:
        document["jwks_uri"] = jwks_uri
    document["response_types_supported"] = ["token"]
    document["subject_types_supported"] = ["public"]
    document["id_token_signing_alg_values_supported"] = [algorithm]
    return document


def same_secret(given: str | None, expected: str) -> bool:
    """Whether ``given`` is ``expected``, compared in constant time."""
    offered = (given or "").encode("utf-8")
    return hmac.compare_digest(offered, expected.encode("utf-8")) and given is not None


class _OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


class _Handler(LoopbackHandler):
    server_version = "fixturekit-oidc"

    @property
    def issuer(self) -> IssuerServer:
        issuer: IssuerServer = self.context
        return issuer

    def do_GET(self) -> None:
        issuer = self.issuer
        path = self.path.split("?", 1)[0]
        if path == DISCOVERY_PATH:
            self._send_json(200, issuer.discovery())
        elif path == JWKS_PATH:
            minter = issuer.minter
            if minter.algorithm.startswith("HS"):
                self._send_error(
                    _OAuthError(
                        404,
                        "not_found",
                        f"this issuer signs with {minter.algorithm}, a shared secret; "
                        "it publishes no keys",
                    )
                )
            else:
                self._send_json(200, minter.jwks)
        elif path == TOKEN_PATH:
            self._send_error(
                _OAuthError(405, "invalid_request", "the token endpoint takes POST requests")
            )
        else:
            self._send_error(_OAuthError(404, "not_found", f"no such path: {path}"))

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        if path != TOKEN_PATH:
            self._send_error(_OAuthError(404, "not_found", f"no such path: {path}"))
            return
        try:
            body = self._token_response()
        except _OAuthError as error:
            self.issuer.minter.record(
                f"token endpoint refused the request: {error.error}: {error.description}",
                error=error.error,
            )
            self._send_error(error, no_cache=True)
        else:
            # RFC 6749 section 5.1: token responses are never cached.
            self._send_json(200, body, no_cache=True)

    # --- the token endpoint ------------------------------------------------------------

    def _form(self) -> dict[str, str]:
        content_type = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise _OAuthError(
                400,
                "invalid_request",
                "the token request must be form-encoded "
                f"(application/x-www-form-urlencoded), not {content_type or 'no content type'}",
            )
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            raise _OAuthError(400, "invalid_request", "missing or bad Content-Length")
        raw = self.rfile.read(length).decode("utf-8", "replace")
        values = parse_qs(raw, keep_blank_values=True)
        repeated = sorted(name for name, found in values.items() if len(found) > 1)
        if repeated:
            raise _OAuthError(
                400, "invalid_request", f"parameters sent more than once: {', '.join(repeated)}"
            )
        return {name: found[0] for name, found in values.items()}

    def _client(self, form: dict[str, str]) -> tuple[str | None, str | None, bool]:
        """(client_id, client_secret, whether HTTP Basic was used)."""
        header = self.headers.get("Authorization")
        if header is None:
            return form.get("client_id") or None, form.get("client_secret"), False
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            raise _OAuthError(
                401, "invalid_client", f"unsupported client authentication scheme {scheme!r}"
            )
        if "client_secret" in form:
            raise _OAuthError(
                400,
                "invalid_request",
                "the client authenticated twice (HTTP Basic and client_secret); use one",
            )
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _OAuthError(401, "invalid_client", "malformed HTTP Basic credentials") from None
        client_id, colon, client_secret = decoded.partition(":")
        if not colon:
            raise _OAuthError(401, "invalid_client", "malformed HTTP Basic credentials")
        return unquote_plus(client_id) or None, unquote_plus(client_secret), True

    def _token_response(self) -> dict[str, Any]:
        issuer = self.issuer
        form = self._form()
        client_id, client_secret, basic = self._client(form)
        grant = form.get("grant_type")
        if not grant:
            raise _OAuthError(400, "invalid_request", "grant_type is missing")
        if grant not in GRANT_TYPES:
            raise _OAuthError(
                400,
                "unsupported_grant_type",
                f"grant_type {grant!r} is not supported; use client_credentials or password",
            )
        if client_id is None:
            raise _OAuthError(
                401 if basic else 400,
                "invalid_client" if basic else "invalid_request",
                "no client_id: send it with HTTP Basic or as a form field",
            )
        issuer.authenticate(client_id, client_secret)
        scope = form.get("scope") or None
        if grant == "password":
            username = form.get("username")
            password = form.get("password")
            if not username or password is None:
                raise _OAuthError(
                    400, "invalid_request", "the password grant needs username and password"
                )
            users = issuer.users
            if users is not None:
                expected = users.get(username)
                if not same_secret(password, expected or "") or expected is None:
                    raise _OAuthError(400, "invalid_grant", "wrong username or password")
            subject = username
        else:
            subject = client_id
        minter = issuer.minter
        claims: dict[str, Any] = {"client_id": client_id}
        if scope:
            claims["scope"] = scope
        token = minter.issue_token(subject, claims=claims, typ=issuer.access_token_typ)
        lifetime = int(minter.expires_in.total_seconds())
        minter.record(
            f"token endpoint: {grant} grant for {subject!r}"
            + (f" (scope {scope!r})" if scope else ""),
            grant=grant,
            sub=subject,
            client_id=client_id,
            scope=scope,
        )
        body: dict[str, Any] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": lifetime,
        }
        if scope:
            body["scope"] = scope
        return body

    # --- responses ---------------------------------------------------------------------

    def _send_json(self, status: int, body: Mapping[str, Any], *, no_cache: bool = False) -> None:
        headers = {"WWW-Authenticate": 'Basic realm="fixturekit"'} if status == 401 else {}
        if no_cache:
            headers["Pragma"] = "no-cache"
        self.send_json(status, body, headers)

    def _send_error(self, error: _OAuthError, *, no_cache: bool = False) -> None:
        self._send_json(
            error.status,
            {"error": error.error, "error_description": error.description},
            no_cache=no_cache,
        )


class IssuerServer(ServedAPI):
    """A running fake OIDC issuer; ``with minter.serve() as issuer_url:`` gives its URL.

    While it runs, the minter's `fixturekit.tokens.TokenMinter.issuer` is
    `url`, so tokens minted in the meantime carry it as ``iss``.
    """

    handler = _Handler
    thread_name = "fixturekit-oidc-issuer"

    def __init__(
        self,
        minter: TokenSource,
        *,
        clients: Mapping[str, str | None] | None = None,
        users: Mapping[str, str | None] | None = None,
        at_jwt: bool = False,
    ) -> None:
        super().__init__(minter)
        self.minter = minter
        self.clients = None if clients is None else dict(clients)
        self.users = None if users is None else dict(users)
        #: The header ``typ`` of access tokens: ``at+jwt`` (RFC 9068) or ``JWT``.
        self.access_token_typ = "at+jwt" if at_jwt else "JWT"

    def authenticate(self, client_id: str, client_secret: str | None) -> None:
        """Refuse (401 ``invalid_client``) a client that is not registered, or whose
        secret is wrong; without registered clients every client is accepted."""
        clients = self.clients
        if clients is None:
            return
        if client_id not in clients:
            raise _OAuthError(
                401,
                "invalid_client",
                f"unknown client {client_id!r}; the registered clients are "
                f"{', '.join(sorted(clients))}",
            )
        expected = clients[client_id]
        if expected is None:
            if client_secret:
                raise _OAuthError(
                    401,
                    "invalid_client",
                    f"{client_id!r} is a public client: it authenticates with no secret",
                )
        elif not same_secret(client_secret, expected):
            raise _OAuthError(401, "invalid_client", f"wrong client secret for {client_id!r}")

    @property
    def jwks_uri(self) -> str:
        return self.url + JWKS_PATH

    @property
    def token_endpoint(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def discovery_url(self) -> str:
        return self.url + DISCOVERY_PATH

    def discovery(self) -> dict[str, Any]:
        """The ``/.well-known/openid-configuration`` document."""
        algorithm = self.minter.algorithm
        return discovery_document(
            self.url,
            algorithm,
            jwks_uri=None if algorithm.startswith("HS") else self.jwks_uri,
            token_endpoint=self.token_endpoint,
        )


# --- the same documents through FakeHTTP ---------------------------------------------------


class _Route(Protocol):
    def mock(self, *, side_effect: Callable[[httpx.Request], httpx.Response]) -> object: ...


@runtime_checkable
class HTTPRoutes(Protocol):
    """What `route_documents` uses of a `fixturekit.FakeHTTP`: ``get(url, optional=True)``
    and the route's ``mock(side_effect=...)``."""

    def get(self, url: str, *, optional: bool) -> _Route: ...


def route_documents(
    http: HTTPRoutes, issuer: str, algorithm: str, jwks: Callable[[], dict[str, Any]]
) -> str:
    """Answer ``GET <issuer>/.well-known/openid-configuration`` and the JWKS through
    ``http``'s routes (both optional), the key set computed per request by ``jwks``;
    return the JWKS URL."""
    import httpx

    base = issuer.rstrip("/")
    jwks_uri = base + JWKS_PATH
    discovery = discovery_document(issuer, algorithm, jwks_uri=jwks_uri)
    no_store = {"Cache-Control": "no-store"}

    def serve_discovery(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=discovery, headers=no_store)

    def serve_jwks(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=jwks(), headers=no_store)

    http.get(base + DISCOVERY_PATH, optional=True).mock(side_effect=serve_discovery)
    http.get(jwks_uri, optional=True).mock(side_effect=serve_jwks)
    return jwks_uri
