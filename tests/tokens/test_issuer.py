"""The fake OIDC issuer, seen through real clients: PyJWT's PyJWKClient, urllib and httpx.

Every test here starts a real loopback server.
"""

from __future__ import annotations

import base64
import inspect
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest

import fixturekit as fk
from fixturekit.harness import ServingFake
from fixturekit.tokens import IssuerServer, TokenMinter

from .conftest import ASYMMETRIC

pytestmark = pytest.mark.slow


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        data: dict[str, Any] = json.load(response)
        return data


def _jwk_client(uri: str) -> jwt.PyJWKClient:
    """A PyJWKClient that refetches at once on an unknown kid.

    Recent PyJWT waits ``cooldown_duration`` (30 s of real, monotonic time) after a
    fetch before refetching on a miss; a test cannot wait that long.
    """
    if "cooldown_duration" in inspect.signature(jwt.PyJWKClient).parameters:
        return jwt.PyJWKClient(uri, cooldown_duration=0)
    return jwt.PyJWKClient(uri)  # pragma: no cover - older PyJWT refetches at once


@pytest.fixture
def minter() -> TokenMinter:
    return TokenMinter(algorithm="RS256", audience="api")


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_pyjwkclient_verifies_minted_tokens_against_the_served_jwks(algorithm: str) -> None:
    minter = TokenMinter(algorithm=algorithm)
    with minter.serve() as issuer_url:
        token = minter.mint("alice")
        config = _get_json(issuer_url + "/.well-known/openid-configuration")
        client = jwt.PyJWKClient(config["jwks_uri"])
        key = client.get_signing_key_from_jwt(token).key
        claims = jwt.decode(
            token, key, algorithms=[algorithm], audience="api", issuer=config["issuer"]
        )
    assert claims["sub"] == "alice"
    assert claims["iss"] == issuer_url


def test_discovery_document_describes_the_issuer(minter: TokenMinter) -> None:
    with minter.serve() as issuer_url:
        config = _get_json(issuer_url + "/.well-known/openid-configuration")
    assert issuer_url.startswith("http://127.0.0.1:")
    assert config["issuer"] == issuer_url
    assert config["jwks_uri"] == issuer_url + "/.well-known/jwks.json"
    assert config["token_endpoint"] == issuer_url + "/token"
    assert config["authorization_endpoint"] == issuer_url + "/authorize"
    assert config["userinfo_endpoint"] == issuer_url + "/userinfo"
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert config["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "password",
    ]


def test_served_jwks_is_the_minter_s_jwks(minter: TokenMinter) -> None:
    with minter.serve() as issuer_url:
        assert _get_json(issuer_url + "/.well-known/jwks.json") == minter.jwks


def test_issuer_is_the_server_url_while_serving_and_reverts_after(minter: TokenMinter) -> None:
    assert minter.issuer == "https://issuer.test"
    with minter.serve() as issuer_url:
        assert minter.issuer == issuer_url
        assert minter.decode(minter.mint())["iss"] == issuer_url
    assert minter.issuer == "https://issuer.test"


def test_rotation_is_seen_through_pyjwkclient_which_fetches_the_new_kid(
    minter: TokenMinter,
) -> None:
    with minter.serve() as issuer_url:
        client = _jwk_client(issuer_url + "/.well-known/jwks.json")
        before = minter.mint("alice")
        assert client.get_signing_key_from_jwt(before).key_id == minter.kid
        old_kid = minter.kid
        minter.rotate()
        after = minter.mint("alice")
        fetched = client.get_signing_key_from_jwt(after)  # miss on the cached set: refetch
        assert fetched.key_id == minter.kid != old_kid
        jwt.decode(after, fetched.key, algorithms=["RS256"], audience="api")
        # The old key is still published: tokens signed before the rotation verify.
        old_key = client.get_signing_key_from_jwt(before).key
        jwt.decode(before, old_key, algorithms=["RS256"], audience="api")


def test_rotated_out_key_is_gone_from_pyjwkclient_after_the_grace_period() -> None:
    clock = fk.Clock(patch=False)
    minter = TokenMinter(algorithm="ES256", clock=clock)
    with minter.serve() as issuer_url:
        client = _jwk_client(issuer_url + "/.well-known/jwks.json")
        old = minter.mint()
        minter.rotate(grace=60)
        clock.advance(seconds=60)
        with pytest.raises(jwt.PyJWKClientError, match="Unable to find a signing key"):
            client.get_signing_key_from_jwt(old)


def test_unknown_kid_is_refused_by_pyjwkclient(minter: TokenMinter) -> None:
    with minter.serve() as issuer_url:
        client = _jwk_client(issuer_url + "/.well-known/jwks.json")
        with pytest.raises(jwt.PyJWKClientError):
            client.get_signing_key_from_jwt(minter.unknown_kid())


def test_client_credentials_grant_mints_a_token_with_the_requested_scope(
    minter: TokenMinter,
) -> None:
    with minter.serve() as issuer_url, httpx.Client() as http:
        response = http.post(
            issuer_url + "/token",
            data={"grant_type": "client_credentials", "scope": "orders:read orders:write"},
            auth=("billing-service", "s3cret"),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        claims = minter.decode(body["access_token"])
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "orders:read orders:write"
    assert claims["sub"] == claims["client_id"] == "billing-service"
    assert claims["scope"] == "orders:read orders:write"
    assert claims["iss"] == issuer_url


def test_password_grant_over_urllib_mints_a_token_for_the_user(minter: TokenMinter) -> None:
    with minter.serve() as issuer_url:
        form = "grant_type=password&username=alice&password=pw&client_id=web&scope=profile"
        request = urllib.request.Request(
            issuer_url + "/token",
            data=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
        claims = minter.decode(body["access_token"])
    assert (claims["sub"], claims["client_id"], claims["scope"]) == ("alice", "web", "profile")
    assert "scope" in body


def test_token_endpoint_grants_are_on_the_timeline(minter: TokenMinter) -> None:
    with minter.serve() as issuer_url, httpx.Client() as http:
        http.post(
            issuer_url + "/token", data={"grant_type": "client_credentials", "client_id": "svc"}
        )
    assert "token endpoint: client_credentials grant for 'svc'" in minter.timeline.messages()


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.mark.parametrize(
    ("form", "headers", "status", "error"),
    [
        ({"client_id": "svc"}, {}, 400, "invalid_request"),
        (
            {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": "svc"},
            {},
            400,
            "unsupported_grant_type",
        ),
        ({"grant_type": "client_credentials"}, {}, 400, "invalid_request"),
        (
            {"grant_type": "password", "client_id": "web", "username": "alice"},
            {},
            400,
            "invalid_request",
        ),
        (
            {"grant_type": "client_credentials"},
            {"Authorization": "Basic !!!"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials"},
            {"Authorization": "Bearer x"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials", "client_secret": "a"},
            {"Authorization": _basic("svc", "b")},
            400,
            "invalid_request",
        ),
    ],
    ids=[
        "no-grant-type",
        "unsupported-grant",
        "no-client-id",
        "password-without-password",
        "malformed-basic",
        "not-basic",
        "two-client-auth-methods",
    ],
)
def test_bad_token_requests_get_an_oauth_error(
    minter: TokenMinter, form: dict[str, str], headers: dict[str, str], status: int, error: str
) -> None:
    with minter.serve() as issuer_url, httpx.Client() as http:
        response = http.post(issuer_url + "/token", data=form, headers=headers)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert response.headers["Cache-Control"] == "no-store"


def test_token_endpoint_wants_a_form_body(minter: TokenMinter) -> None:
    with minter.serve() as issuer_url, httpx.Client() as http:
        response = http.post(issuer_url + "/token", json={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert "form-encoded" in response.json()["error_description"]


def test_configured_clients_and_users_are_checked(minter: TokenMinter) -> None:
    serving = minter.serve(clients={"svc": "right"}, users={"alice": "pw"})
    with serving as issuer_url, httpx.Client() as http:
        url = issuer_url + "/token"
        grant = {"grant_type": "client_credentials"}
        assert http.post(url, data=grant, auth=("svc", "right")).status_code == 200
        wrong = http.post(url, data=grant, auth=("svc", "wrong"))
        assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
        password = {"grant_type": "password", "username": "alice", "client_id": "svc"}
        ok = http.post(url, data={**password, "password": "pw", "client_secret": "right"})
        assert ok.status_code == 200
        bad = http.post(url, data={**password, "password": "no", "client_secret": "right"})
        assert (bad.status_code, bad.json()["error"]) == (400, "invalid_grant")


def test_unknown_paths_and_methods_get_json_errors(minter: TokenMinter) -> None:
    with minter.serve() as issuer_url, httpx.Client() as http:
        assert http.get(issuer_url + "/nope").status_code == 404
        assert http.post(issuer_url + "/nope").status_code == 404
        response = http.get(issuer_url + "/token")
    assert response.status_code == 405
    assert response.json()["error"] == "invalid_request"


def test_hmac_issuer_publishes_only_its_rs256_id_token_key() -> None:
    minter = TokenMinter(algorithm="HS256")
    with minter.serve() as issuer_url, httpx.Client() as http:
        config = http.get(issuer_url + "/.well-known/openid-configuration").json()
        jwks = http.get(config["jwks_uri"]).json()
    (key,) = jwks["keys"]
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    assert "k" not in key  # the HMAC secret is never published
    assert config["access_token_signing_alg_values_supported"] == ["HS256"]


def _issuer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("fixturekit-oidc-issuer")]


def test_the_server_thread_is_gone_after_exit(minter: TokenMinter) -> None:
    serving = minter.serve()
    with serving as issuer_url:
        thread = serving.thread
        assert thread is not None
        assert thread.is_alive()
        _get_json(issuer_url + "/.well-known/jwks.json")
    assert not thread.is_alive()
    assert _issuer_threads() == []
    with pytest.raises(urllib.error.URLError):
        _get_json(issuer_url + "/.well-known/jwks.json")


def test_the_server_stops_even_when_the_block_raises(minter: TokenMinter) -> None:
    with pytest.raises(ZeroDivisionError), minter.serve():
        1 / 0  # noqa: B018
    assert _issuer_threads() == []
    assert minter.issuer == "https://issuer.test"


def test_serving_twice_at_once_is_refused(minter: TokenMinter) -> None:
    with minter.serve() as issuer_url:
        with pytest.raises(RuntimeError, match=r"already serving at http://127\.0\.0\.1:\d+"):
            minter.serve().__enter__()
        assert minter.issuer == issuer_url
    assert _issuer_threads() == []


def test_stopping_the_minter_stops_a_server_left_running(minter: TokenMinter) -> None:
    with minter:
        minter.serve().__enter__()
        assert _issuer_threads()
    assert _issuer_threads() == []
    assert minter.issuer == "https://issuer.test"


class _OpaqueTokens(ServingFake):
    """Not a TokenMinter: an issuer behind which sits anything that mints."""

    name = "opaque"
    algorithm = "RS256"
    expires_in = timedelta(minutes=5)

    def served_jwks(self) -> dict[str, Any]:
        return {"keys": [{"kty": "oct", "kid": "k1"}]}

    def issue_token(
        self,
        sub: str,
        *,
        claims: Mapping[str, Any],
        audience: str | list[str] | None = None,
        typ: str = "JWT",
        id_token: bool = False,
    ) -> str:
        return f"opaque:{sub}:{claims.get('scope')}:{claims['client_id']}"


def test_the_issuer_serves_any_token_source_not_only_a_minter() -> None:
    source = _OpaqueTokens()
    with IssuerServer(source) as issuer_url:
        assert _get_json(issuer_url + "/.well-known/jwks.json") == source.served_jwks()
        config = _get_json(issuer_url + "/.well-known/openid-configuration")
        form = "grant_type=client_credentials&client_id=svc&scope=a"
        request = urllib.request.Request(
            config["token_endpoint"],
            data=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
    assert config["issuer"] == issuer_url
    assert body == {
        "access_token": "opaque:svc:a:svc",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "a",
    }
    assert "token endpoint: client_credentials grant for 'svc' (scope 'a')" in (
        source.timeline.messages("opaque")
    )
