"""The issuer's token endpoint is strict with clients: registered clients only, secrets
compared in constant time, RFC 6749 section 5.1 headers, RFC 9068 access tokens.

Every test here starts a real loopback server.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from fixturekit.tokens import TokenMinter

pytestmark = pytest.mark.slow

GRANT = {"grant_type": "client_credentials"}


@pytest.fixture
def minter() -> TokenMinter:
    return TokenMinter(algorithm="ES256", audience="api")


@pytest.fixture
def token_url(minter: TokenMinter) -> Iterator[str]:
    clients = {"billing": "right-secret", "spa": None}
    with minter.serve(clients=clients, users={"alice": "pw"}) as issuer_url:
        yield issuer_url + "/token"


def _error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"], body["error_description"]


def test_an_unregistered_client_without_a_secret_is_401(token_url: str) -> None:
    response = httpx.post(token_url, data={**GRANT, "client_id": "intruder"})

    status, error, description = _error(response)
    assert (status, error) == (401, "invalid_client")
    assert "unknown client 'intruder'" in description
    assert "billing, spa" in description


@pytest.mark.parametrize(
    ("form", "auth", "message"),
    [
        ({"client_id": "intruder", "client_secret": "x"}, None, "unknown client 'intruder'"),
        ({}, ("billing", "wrong-secret"), "wrong client secret for 'billing'"),
        ({"client_id": "billing"}, None, "wrong client secret for 'billing'"),
        ({}, ("spa", "a-secret"), "'spa' is a public client"),
    ],
    ids=["unknown-with-secret", "wrong-secret", "no-secret", "public-client-with-secret"],
)
def test_clients_that_do_not_authenticate_are_401(
    token_url: str, form: dict[str, str], auth: tuple[str, str] | None, message: str
) -> None:
    response = httpx.post(token_url, data={**GRANT, **form}, auth=auth)

    status, error, description = _error(response)
    assert (status, error) == (401, "invalid_client")
    assert message in description
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_registered_clients_get_tokens(token_url: str, minter: TokenMinter) -> None:
    confidential = httpx.post(token_url, data=GRANT, auth=("billing", "right-secret"))
    public = httpx.post(
        token_url,
        data={"grant_type": "password", "client_id": "spa", "username": "alice", "password": "pw"},
    )

    assert confidential.status_code == public.status_code == 200
    assert minter.decode(confidential.json()["access_token"])["client_id"] == "billing"
    assert minter.decode(public.json()["access_token"])["sub"] == "alice"


def test_secrets_and_passwords_are_compared_with_compare_digest(
    token_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    form = {"grant_type": "password", "username": "alice", "password": "nope"}
    response = httpx.post(token_url, data=form, auth=("billing", "right-secret"))

    assert response.status_code == 400
    assert (b"right-secret", b"right-secret") in compared
    assert (b"nope", b"pw") in compared


@pytest.mark.parametrize("outcome", ["granted", "refused"])
def test_token_responses_are_not_cached(token_url: str, outcome: str) -> None:
    secret = "right-secret" if outcome == "granted" else "wrong"
    response = httpx.post(token_url, data=GRANT, auth=("billing", secret))

    assert response.status_code == (200 if outcome == "granted" else 401)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


def test_at_jwt_access_tokens_carry_the_rfc_9068_typ() -> None:
    minter = TokenMinter(algorithm="RS256", audience="api")
    with minter.serve(at_jwt=True) as issuer_url:
        response = httpx.post(
            issuer_url + "/token", data={**GRANT, "client_id": "svc", "scope": "read"}
        )
        token = response.json()["access_token"]
        claims = jwt.decode(
            token, minter.public_key_pem, algorithms=["RS256"], audience="api", issuer=issuer_url
        )
        decoded = jose_jwt.decode(token, KeySet.import_key_set(minter.jwks), algorithms=["RS256"])  # type: ignore[arg-type]
        assert minter.decode(token)["sub"] == "svc"

    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    assert decoded.header["typ"] == "at+jwt"
    # RFC 9068 section 2.2: the claims a JWT access token carries.
    assert {"iss", "exp", "aud", "sub", "client_id", "iat", "jti"} <= set(claims)
    assert claims["scope"] == "read"
    # minted tokens keep the plain typ
    assert jwt.get_unverified_header(minter.mint())["typ"] == "JWT"


def test_at_jwt_must_be_a_bool(minter: TokenMinter) -> None:
    with pytest.raises(TypeError, match=r"at_jwt"):
        minter.serve(at_jwt="yes")  # type: ignore[arg-type]


def test_public_clients_are_none_only_in_clients(minter: TokenMinter) -> None:
    with pytest.raises(TypeError, match=r"users= must map names to passwords"):
        minter.serve(users={"alice": None})  # type: ignore[dict-item]
