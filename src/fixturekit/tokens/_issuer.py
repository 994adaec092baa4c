"""The fake OIDC issuer: discovery, the JWKS, and the authorization, token and userinfo
endpoints in front of a minter.

Private to `fixturekit.tokens`; users reach it through ``TokenMinter.serve()`` (a
loopback HTTP server) and ``TokenMinter.mock_jwks(http)`` (the documents as routes of
a `fixturekit.FakeHTTP`). The loopback server serves on 127.0.0.1 with an ephemeral
port, from a thread that is shut down and joined (with every request thread) when the
server stops. This module is the HTTP side: parsing requests, client authentication,
the ``client_credentials`` and ``password`` grants and the answers;
`fixturekit.tokens._flows` holds the authorization-code flow, refresh tokens and
userinfo.

This module knows the minter only through `TokenSource`, the few members it uses, and
FakeHTTP only through `HTTPRoutes`: it imports neither.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote_plus

from fixturekit._internal.checks import check_name
from fixturekit._internal.loopback import LoopbackHandler, ServedAPI
from fixturekit.tokens._flows import FlowState, OAuthError, TokenSource, same_secret

if TYPE_CHECKING:
    import httpx

__all__ = ["HTTPRoutes", "IssuerServer", "TokenSource", "discovery_document", "route_documents"]

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"
TOKEN_PATH = "/token"
AUTHORIZE_PATH = "/authorize"
USERINFO_PATH = "/userinfo"

_MAX_BODY = 64 * 1024

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials", "password")

#: The scopes and the claims the issuer speaks of in its discovery document.
SCOPES = ("openid", "profile", "email", "offline_access")
CLAIMS = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "azp",
    "at_hash",
    "name",
    "email",
    "email_verified",
)


def discovery_document(
    issuer: str, algorithm: str, *, jwks_uri: str, endpoints: bool = True
) -> dict[str, Any]:
    """An ``/.well-known/openid-configuration`` document (OpenID Connect Discovery 1.0
    section 3, RFC 8414). ID tokens are signed with RS256, as every client may ask
    (``id_token_signed_response_alg`` defaults to RS256); access tokens with
    ``algorithm``. ``endpoints`` False leaves out the endpoints a FakeHTTP-served
    document has no server for."""
    base = issuer.rstrip("/")
    document: dict[str, Any] = {"issuer": issuer}
    if endpoints:
        document.update(
            authorization_endpoint=base + AUTHORIZE_PATH,
            token_endpoint=base + TOKEN_PATH,
            userinfo_endpoint=base + USERINFO_PATH,
        )
    document["jwks_uri"] = jwks_uri
    if endpoints:
        document.update(
            scopes_supported=list(SCOPES),
            response_types_supported=["code"],
            response_modes_supported=["query"],
            grant_types_supported=list(GRANT_TYPES),
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            token_endpoint_auth_methods_supported=[
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            claims_supported=list(CLAIMS),
            code_challenge_methods_supported=["S256"],
            authorization_response_iss_parameter_supported=True,
        )
    else:
        document.update(
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
        )
    if algorithm != "RS256":
        document["access_token_signing_alg_values_supported"] = [algorithm]
    return document


class _Handler(LoopbackHandler):
    server_version = "fixturekit-oidc"

    @property
    def issuer(self) -> IssuerServer:
        issuer: IssuerServer = self.context
        return issuer

    def do_GET(self) -> None:
        issuer = self.issuer
        path, _, query = self.path.partition("?")
        if path == DISCOVERY_PATH:
            self._send_json(200, issuer.discovery())
        elif path == JWKS_PATH:
            self._send_json(200, issuer.minter.served_jwks())
        elif path == AUTHORIZE_PATH:
            self._authorize(query)
        elif path == USERINFO_PATH:
            self._userinfo()
        elif path == TOKEN_PATH:
            self._send_error(
                OAuthError(405, "invalid_request", "the token endpoint takes POST requests")
            )
        else:
            self._send_error(OAuthError(404, "not_found", f"no such path: {path}"))

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == USERINFO_PATH:
            self._userinfo()
            return
        if path != TOKEN_PATH:
            self._send_error(OAuthError(404, "not_found", f"no such path: {path}"))
            return
        try:
            body = self._token_response()
        except OAuthError as error:
            self.issuer.minter.record(
                f"token endpoint refused the request: {error.error}: {error.description}",
                error=error.error,
            )
            self._send_error(error, no_cache=True)
        else:
            # RFC 6749 section 5.1: token responses are never cached.
            self._send_json(200, body, no_cache=True)

    # --- the authorization and userinfo endpoints ----------------------------------------

    def _authorize(self, query: str) -> None:
        issuer = self.issuer
        values = {name: found[0] for name, found in parse_qs(query).items()}
        client_id = values.get("client_id", "")
        known = issuer.clients is None or client_id in issuer.clients
        try:
            location = issuer.flows.authorize(values, known, issuer.url)
        except OAuthError as error:
            self._send_error(error)
            return
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _userinfo(self) -> None:
        try:
            claims = self.issuer.flows.userinfo(self.headers.get("Authorization"))
        except OAuthError as error:
            body = {"error": error.error, "error_description": error.description}
            challenge = f'Bearer error="{error.error}"'
            self.send_json(error.status, body, {"WWW-Authenticate": challenge})
        else:
            self._send_json(200, claims)

    # --- the token endpoint ------------------------------------------------------------

    def _form(self) -> dict[str, str]:
        content_type = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise OAuthError(
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
            raise OAuthError(400, "invalid_request", "missing or bad Content-Length")
        raw = self.rfile.read(length).decode("utf-8", "replace")
        values = parse_qs(raw, keep_blank_values=True)
        repeated = sorted(name for name, found in values.items() if len(found) > 1)
        if repeated:
            raise OAuthError(
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
            raise OAuthError(
                401, "invalid_client", f"unsupported client authentication scheme {scheme!r}"
            )
        if "client_secret" in form:
            raise OAuthError(
                400,
                "invalid_request",
                "the client authenticated twice (HTTP Basic and client_secret); use one",
            )
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(401, "invalid_client", "malformed HTTP Basic credentials") from None
        client_id, colon, client_secret = decoded.partition(":")
        if not colon:
            raise OAuthError(401, "invalid_client", "malformed HTTP Basic credentials")
        return unquote_plus(client_id) or None, unquote_plus(client_secret), True

    def _token_response(self) -> dict[str, Any]:
        issuer = self.issuer
        form = self._form()
        client_id, client_secret, basic = self._client(form)
        grant = form.get("grant_type")
        if not grant:
            raise OAuthError(400, "invalid_request", "grant_type is missing")
        if grant not in GRANT_TYPES:
            raise OAuthError(
                400,
                "unsupported_grant_type",
                f"grant_type {grant!r} is not supported; use one of {', '.join(GRANT_TYPES)}",
            )
        if client_id is None:
            raise OAuthError(
                401 if basic else 400,
                "invalid_client" if basic else "invalid_request",
                "no client_id: send it with HTTP Basic or as a form field",
            )
        issuer.authenticate(client_id, client_secret)
        if grant == "authorization_code":
            return issuer.flows.exchange_code(form, client_id)
        if grant == "refresh_token":
            return issuer.flows.refresh(form, client_id)
        scope = form.get("scope") or None
        if grant == "password":
            username = form.get("username")
            password = form.get("password")
            if not username or password is None:
                raise OAuthError(
                    400, "invalid_request", "the password grant needs username and password"
                )
            users = issuer.users
            if users is not None:
                expected = users.get(username)
                if not same_secret(password, expected or "") or expected is None:
                    raise OAuthError(400, "invalid_grant", "wrong username or password")
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

    def _send_error(self, error: OAuthError, *, no_cache: bool = False) -> None:
        self._send_json(
            error.status,
            {"error": error.error, "error_description": error.description},
            no_cache=no_cache,
        )


class IssuerServer(ServedAPI):
    """A running fake OIDC issuer; ``with minter.serve() as issuer_url:`` gives its URL.

    While it runs, the minter's `fixturekit.tokens.TokenMinter.issuer` is
    `url`, so tokens minted in the meantime carry it as ``iss``. `login_as` says who
    logs in at the authorization endpoint:

    ```python
    issuer = minter.serve(clients={"web": "s3cret"})
    issuer.login_as("alice", email="alice@example.com")
    with issuer as issuer_url:
        ...
    ```
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
        self.flows = FlowState(minter)
        self.flows.access_token_typ = self.access_token_typ

    def login_as(self, sub: str, /, **claims: Any) -> IssuerServer:
        """Who "logs in" at ``/authorize`` from now on: ``sub``, with profile ``claims``
        (``email=``, ``name=``...) for the ID token and ``/userinfo``. Returns the server,
        so ``with minter.serve().login_as("alice") as issuer_url:`` reads as it runs."""
        check_name(sub, "sub", example="'alice'")
        self.flows.login_as(sub, claims)
        self.minter.record(f"issuer: {sub!r} is logged in", sub=sub)
        return self

    def logout(self) -> None:
        """Nobody is logged in: ``/authorize`` answers ``error=login_required``."""
        self.flows.logout()

    def authenticate(self, client_id: str, client_secret: str | None) -> None:
        """Refuse (401 ``invalid_client``) a client that is not registered, or whose
        secret is wrong; without registered clients every client is accepted."""
        clients = self.clients
        if clients is None:
            return
        if client_id not in clients:
            raise OAuthError(
                401,
                "invalid_client",
                f"unknown client {client_id!r}; the registered clients are "
                f"{', '.join(sorted(clients))}",
            )
        expected = clients[client_id]
        if expected is None:
            if client_secret:
                raise OAuthError(
                    401,
                    "invalid_client",
                    f"{client_id!r} is a public client: it authenticates with no secret",
                )
        elif not same_secret(client_secret, expected):
            raise OAuthError(401, "invalid_client", f"wrong client secret for {client_id!r}")

    @property
    def jwks_uri(self) -> str:
        return self.url + JWKS_PATH

    @property
    def token_endpoint(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def discovery_url(self) -> str:
        return self.url + DISCOVERY_PATH

    @property
    def authorization_endpoint(self) -> str:
        return self.url + AUTHORIZE_PATH

    @property
    def userinfo_endpoint(self) -> str:
        return self.url + USERINFO_PATH

    def discovery(self) -> dict[str, Any]:
        """The ``/.well-known/openid-configuration`` document."""
        return discovery_document(self.url, self.minter.algorithm, jwks_uri=self.jwks_uri)


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
    discovery = discovery_document(issuer, algorithm, jwks_uri=jwks_uri, endpoints=False)
    no_store = {"Cache-Control": "no-store"}

    def serve_discovery(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=discovery, headers=no_store)

    def serve_jwks(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=jwks(), headers=no_store)

    http.get(base + DISCOVERY_PATH, optional=True).mock(side_effect=serve_discovery)
    http.get(jwks_uri, optional=True).mock(side_effect=serve_jwks)
    return jwks_uri
