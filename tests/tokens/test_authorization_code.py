"""The authorization-code flow with PKCE, driven end to end by authlib's OAuth2 client
against the real loopback issuer; ID tokens checked with PyJWT and the issuer's JWKS.

Every test here starts a real loopback server.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from authlib.integrations.httpx_client import OAuth2Client

import fixturekit as fk
from fixturekit.tokens import ALGORITHMS, IssuerServer, TokenMinter

pytestmark = pytest.mark.slow

REDIRECT_URI = "http://127.0.0.1:8000/auth/callback"


@pytest.fixture
def clock() -> fk.Clock:
    return fk.Clock(patch=False)


@pytest.fixture
def minter(clock: fk.Clock) -> TokenMinter:
    return TokenMinter(algorithm="RS256", audience="api", clock=clock)


@pytest.fixture
def issuer(minter: TokenMinter) -> Iterator[IssuerServer]:
    server = minter.serve(clients={"web": "web-secret", "spa": None})
    server.login_as("alice", email="alice@example.com", name="Alice", roles=["admin"])
    with server:
        yield server


def _config(issuer: IssuerServer) -> dict[str, Any]:
    config: dict[str, Any] = httpx.get(issuer.discovery_url).json()
    return config


def _client(client_id: str = "web", secret: str | None = "web-secret") -> OAuth2Client:
    return OAuth2Client(
        client_id=client_id,
        client_secret=secret,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        redirect_uri=REDIRECT_URI,
        scope="openid profile email",
        code_challenge_method="S256",
    )


def _login(client: OAuth2Client, config: dict[str, Any], **extra: str) -> tuple[str, str, str]:
    """authlib builds the authorization URL; the browser follows it; the issuer redirects
    straight back. Returns (callback location, code_verifier, nonce)."""
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(12)
    url, _state = client.create_authorization_url(
        config["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra
    )
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return location, verifier, nonce


def _id_claims(token: str, config: dict[str, Any], client_id: str) -> dict[str, Any]:
    key = jwt.PyJWKClient(config["jwks_uri"]).get_signing_key_from_jwt(token).key
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=config["id_token_signing_alg_values_supported"],
        audience=client_id,
        issuer=config["issuer"],
        options={"require": ["iss", "sub", "aud", "exp", "iat", "nonce"]},
    )
    return claims


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def test_authlib_logs_in_with_pkce_and_gets_access_id_and_refresh_tokens(
    issuer: IssuerServer, minter: TokenMinter
) -> None:
    config = _config(issuer)
    with _client() as client:
        location, verifier, nonce = _login(client, config)
        token = client.fetch_token(
            config["token_endpoint"], authorization_response=location, code_verifier=verifier
        )
        userinfo = client.get(config["userinfo_endpoint"])

    assert parse_qs(urlsplit(location).query)["iss"] == [issuer.url]
    assert token["token_type"] == "Bearer"
    access = minter.decode(token["access_token"])
    assert (access["sub"], access["client_id"], access["aud"]) == ("alice", "web", "api")
    assert access["scope"] == "openid profile email"
    assert access["roles"] == ["admin"]
    id_claims = _id_claims(token["id_token"], config, "web")
    assert (id_claims["sub"], id_claims["nonce"], id_claims["azp"]) == ("alice", nonce, "web")
    assert id_claims["email"] == "alice@example.com"
    assert id_claims["at_hash"] == _at_hash(token["access_token"])
    assert token["refresh_token"]
    assert userinfo.status_code == 200
    assert userinfo.json() == {
        "sub": "alice",
        "email": "alice@example.com",
        "name": "Alice",
        "roles": ["admin"],
    }


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_the_flow_works_for_every_algorithm(algorithm: str) -> None:
    minter = TokenMinter(algorithm=algorithm)
    with minter.serve().login_as("bob") as issuer_url, _client("app", None) as client:
        config = httpx.get(issuer_url + "/.well-known/openid-configuration").json()
        location, verifier, nonce = _login(client, config)
        token = client.fetch_token(
            config["token_endpoint"], authorization_response=location, code_verifier=verifier
        )
        id_claims = _id_claims(token["id_token"], config, "app")
        assert jwt.get_unverified_header(token["access_token"])["alg"] == algorithm
        assert minter.decode(token["access_token"])["sub"] == "bob"
    assert id_claims["nonce"] == nonce


def test_a_public_client_refreshes_its_tokens(issuer: IssuerServer, minter: TokenMinter) -> None:
    config = _config(issuer)
    with _client("spa", None) as client:
        location, verifier, _ = _login(client, config)
        first = client.fetch_token(
            config["token_endpoint"], authorization_response=location, code_verifier=verifier
        )
        second = client.refresh_token(config["token_endpoint"])
    again = httpx.post(  # the spent refresh token, once more
        config["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": "spa",
        },
    )

    assert second["refresh_token"] != first["refresh_token"]
    assert minter.decode(second["access_token"])["sub"] == "alice"
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")  # rotated


def test_refresh_may_narrow_the_scope_but_not_widen_it(issuer: IssuerServer) -> None:
    config = _config(issuer)
    with _client() as client:
        location, verifier, _ = _login(client, config)
        token = client.fetch_token(
            config["token_endpoint"], authorization_response=location, code_verifier=verifier
        )
        wide = httpx.post(
            config["token_endpoint"],
            data={
                "grant_type": "refresh_token",
                "refresh_token": token["refresh_token"],
                "scope": "openid admin",
            },
            auth=("web", "web-secret"),
        )
        narrow = httpx.post(
            config["token_endpoint"],
            data={
                "grant_type": "refresh_token",
                "refresh_token": token["refresh_token"],
                "scope": "openid",
            },
            auth=("web", "web-secret"),
        )
    assert (wide.status_code, wide.json()["error"]) == (400, "invalid_scope")
    assert narrow.status_code == 200
    assert narrow.json()["scope"] == "openid"


def _exchange(config: dict[str, Any], code: str, verifier: str, **overrides: Any) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": REDIRECT_URI,
        **overrides.pop("form", {}),
    }
    return httpx.post(
        config["token_endpoint"], data=form, auth=overrides.pop("auth", ("web", "web-secret"))
    )


def _code(issuer: IssuerServer) -> tuple[dict[str, Any], str, str]:
    config = _config(issuer)
    with _client() as client:
        location, verifier, _ = _login(client, config)
    return config, parse_qs(urlsplit(location).query)["code"][0], verifier


@pytest.mark.parametrize(
    ("overrides", "status", "error", "message"),
    [
        ({"form": {"code_verifier": "x" * 43}}, 400, "invalid_grant", "code_verifier"),
        ({"form": {"redirect_uri": REDIRECT_URI + "2"}}, 400, "invalid_grant", "redirect_uri"),
        ({"form": {"code": "forged"}}, 400, "invalid_grant", "unknown or already used"),
        ({"auth": ("spa", "")}, 400, "invalid_grant", "another client"),
        ({"auth": ("web", "wrong")}, 401, "invalid_client", "wrong client secret"),
        ({"form": {"code_verifier": ""}}, 400, "invalid_request", "code_verifier"),
    ],
    ids=[
        "wrong-verifier",
        "wrong-redirect-uri",
        "forged-code",
        "other-client",
        "wrong-secret",
        "no-verifier",
    ],
)
def test_code_exchanges_that_do_not_check_out_are_refused(
    issuer: IssuerServer, overrides: dict[str, Any], status: int, error: str, message: str
) -> None:
    config, code, verifier = _code(issuer)
    if overrides.get("auth") == ("spa", ""):
        overrides = {"auth": None, "form": {"client_id": "spa"}}
    response = _exchange(config, code, verifier, **overrides)

    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert message in response.json()["error_description"]
    assert response.headers["Pragma"] == "no-cache"


def test_a_code_is_used_once(issuer: IssuerServer) -> None:
    config, code, verifier = _code(issuer)
    assert _exchange(config, code, verifier).status_code == 200
    second = _exchange(config, code, verifier)
    assert (second.status_code, second.json()["error"]) == (400, "invalid_grant")


def test_a_code_expires_after_ten_minutes_on_the_clock(
    issuer: IssuerServer, clock: fk.Clock
) -> None:
    config, code, verifier = _code(issuer)
    clock.advance(minutes=10)
    response = _exchange(config, code, verifier)
    assert response.json()["error_description"] == "the authorization code expired"


def _authorize(issuer: IssuerServer, **params: str) -> httpx.Response:
    query = {
        "response_type": "code",
        "client_id": "web",
        "redirect_uri": REDIRECT_URI,
        "state": "xyz",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        **params,
    }
    return httpx.get(issuer.authorization_endpoint, params=query, follow_redirects=False)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"response_type": "token"}, "unsupported_response_type", "only 'code'"),
        ({"code_challenge": ""}, "invalid_request", "PKCE is required"),
        ({"code_challenge_method": "plain"}, "invalid_request", "must be S256"),
    ],
    ids=["implicit", "no-pkce", "plain-pkce"],
)
def test_bad_authorization_requests_are_redirected_back_with_an_error(
    issuer: IssuerServer, params: dict[str, str], error: str, message: str
) -> None:
    response = _authorize(issuer, **params)

    assert response.status_code == 302
    back = parse_qs(urlsplit(response.headers["Location"]).query)
    assert (back["error"], back["state"]) == ([error], ["xyz"])
    assert message in back["error_description"][0]


def test_nobody_logged_in_is_login_required(issuer: IssuerServer) -> None:
    issuer.logout()
    back = parse_qs(urlsplit(_authorize(issuer).headers["Location"]).query)
    assert back["error"] == ["login_required"]
    assert "issuer.login_as" in back["error_description"][0]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"client_id": "intruder"}, "invalid_client"),
        ({"client_id": ""}, "invalid_request"),
        ({"redirect_uri": "javascript:alert(1)"}, "invalid_request"),
    ],
    ids=["unknown-client", "no-client", "bad-redirect-uri"],
)
def test_requests_that_cannot_be_redirected_get_a_400(
    issuer: IssuerServer, params: dict[str, str], error: str
) -> None:
    response = _authorize(issuer, **params)
    assert (response.status_code, response.json()["error"]) == (400, error)


def test_userinfo_wants_a_live_access_token(issuer: IssuerServer, clock: fk.Clock) -> None:
    config, code, verifier = _code(issuer)
    access = _exchange(config, code, verifier).json()["access_token"]
    url = config["userinfo_endpoint"]

    missing = httpx.get(url)
    unknown = httpx.get(url, headers={"Authorization": "Bearer nope"})
    clock.advance(hours=1)
    expired = httpx.get(url, headers={"Authorization": f"Bearer {access}"})

    for response in (missing, unknown, expired):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert expired.json()["error_description"] == "the access token expired"


def test_login_as_refuses_claims_the_issuer_fills(minter: TokenMinter) -> None:
    server = minter.serve()
    with pytest.raises(TypeError, match=r"login_as\(\) claims aud, nonce are filled"):
        server.login_as("alice", aud="x", nonce="y")
    with pytest.raises(TypeError, match=r"sub must be a non-empty str"):
        server.login_as("")


def test_the_flow_is_on_the_timeline(issuer: IssuerServer, minter: TokenMinter) -> None:
    config, code, verifier = _code(issuer)
    _exchange(config, code, verifier)
    messages = minter.timeline.messages()
    assert "authorization code for 'alice' to client 'web'" in messages
    assert "token endpoint: authorization_code grant for 'alice' (client 'web')" in messages


def test_authlib_s_requests_session_logs_in_too(issuer: IssuerServer, minter: TokenMinter) -> None:
    import requests
    from authlib.integrations.requests_client import OAuth2Session

    config = _config(issuer)
    verifier = secrets.token_urlsafe(48)
    with OAuth2Session(
        client_id="web",
        client_secret="web-secret",
        redirect_uri=REDIRECT_URI,
        scope="openid",
        code_challenge_method="S256",
    ) as session:
        url, _ = session.create_authorization_url(
            config["authorization_endpoint"], code_verifier=verifier, nonce="abc"
        )
        # the browser follows the authorization URL, not the session
        callback = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
        token = session.fetch_token(
            config["token_endpoint"], authorization_response=callback, code_verifier=verifier
        )
        userinfo = session.get(config["userinfo_endpoint"]).json()

    assert _id_claims(token["id_token"], config, "web")["nonce"] == "abc"
    assert minter.decode(token["access_token"])["sub"] == userinfo["sub"] == "alice"
