"""The protected routes, with fixturekit's `tokens` minter as the identity provider.

``tokens.serve()`` runs a real OIDC issuer on 127.0.0.1; the app's verifier fetches
its keys with PyJWKClient exactly as it would from the real one. Tokens follow the
test's clock, and so does PyJWT's expiry check, so sessions expire when the clock
moves on.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import fixturekit as fk
from fixturekit.tokens import TokenMinter
from shop.api import app
from shop.auth import AuthSettings, TokenVerifier, get_verifier


@pytest.fixture
def issuer_url(tokens: TokenMinter) -> Iterator[str]:
    """The minter serving discovery and its JWKS; tokens minted meanwhile carry this iss."""
    with tokens.serve() as url:
        yield url


@pytest.fixture
def auth_client(client: TestClient, issuer_url: str) -> Iterator[TestClient]:
    """The app, trusting the test's issuer instead of the one in the environment."""
    # The tokens fixture mints for audience "api".
    verifier = TokenVerifier(AuthSettings(issuer=issuer_url, audience="api"))
    app.dependency_overrides[get_verifier] = lambda: verifier
    yield client
    app.dependency_overrides.pop(get_verifier, None)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_missing_token_is_401(auth_client: TestClient) -> None:
    response = auth_client.get("/me")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_other_authorization_schemes_are_401(auth_client: TestClient) -> None:
    response = auth_client.get("/me", headers={"Authorization": "Basic YWxpY2U6cHc="})

    assert response.status_code == 401


@pytest.mark.parametrize(
    "bad",
    [
        "expired",
        "not_yet_valid",
        "wrong_audience",
        "wrong_issuer",
        "bad_signature",
        "alg_none",
        "unknown_kid",
        "tampered",
    ],
)
def test_each_bad_token_is_401(auth_client: TestClient, tokens: TokenMinter, bad: str) -> None:
    token = getattr(tokens, bad)("alice", roles=["customer"])

    response = auth_client.get("/me", headers=bearer(token))

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "aud", "iss"])
def test_tokens_without_a_required_claim_are_401(
    auth_client: TestClient, tokens: TokenMinter, claim: str
) -> None:
    response = auth_client.get("/me", headers=bearer(tokens.missing_claim(claim, "alice")))

    assert response.status_code == 401, response.text
    assert claim in response.json()["detail"]


def test_a_customer_who_adds_the_admin_role_to_the_token_is_401(
    auth_client: TestClient, tokens: TokenMinter
) -> None:
    token = tokens.tampered("bob", roles=["customer"])  # payload now says customer + admin

    assert auth_client.get("/admin/orders", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("roles", [["customer"], []])
def test_admin_routes_are_403_without_the_admin_role(
    auth_client: TestClient, tokens: TokenMinter, roles: list[str]
) -> None:
    response = auth_client.get("/admin/orders", headers=tokens.auth_header("bob", roles=roles))

    assert response.status_code == 403
    assert response.json() == {"detail": "this needs the 'admin' role"}


@pytest.mark.clock("2024-01-05T16:30:00Z")
def test_a_valid_token_is_200(
    clock: fk.Clock, auth_client: TestClient, tokens: TokenMinter
) -> None:
    response = auth_client.get("/me", headers=tokens.auth_header("alice", roles=["customer"]))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "sub": "alice",
        "roles": ["customer"],
        "session_expires_at": "2024-01-05T17:30:00Z",
    }


@pytest.mark.clock("2024-01-05T16:30:00Z")
def test_admins_see_every_order(
    clock: fk.Clock, auth_client: TestClient, tokens: TokenMinter
) -> None:
    customer = auth_client.post("/customers", json={"email": "ada@example.com"}).json()
    for sku in ("MUG-01", "TEE-02"):
        auth_client.post("/orders", json={"customer_id": customer["id"], "sku": sku})

    response = auth_client.get("/admin/orders", headers=tokens.auth_header("root", roles=["admin"]))

    assert response.status_code == 200, response.text
    assert [order["sku"] for order in response.json()] == ["MUG-01", "TEE-02"]


@pytest.mark.clock("2024-01-05T16:30:00Z")
def test_the_session_expires_after_an_hour(
    clock: fk.Clock, auth_client: TestClient, tokens: TokenMinter
) -> None:
    headers = tokens.auth_header("alice")  # default lifetime: one hour
    assert auth_client.get("/me", headers=headers).status_code == 200

    clock.advance(minutes=59)
    assert auth_client.get("/me", headers=headers).status_code == 200

    clock.advance(hours=2)
    response = auth_client.get("/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid token: Signature has expired"}


def test_the_issuer_being_down_is_503_not_401(client: TestClient, tokens: TokenMinter) -> None:
    with tokens.serve() as url:
        headers = tokens.auth_header("alice")
    verifier = TokenVerifier(AuthSettings(issuer=url, audience="api"))
    app.dependency_overrides[get_verifier] = lambda: verifier
    try:
        response = client.get("/me", headers=headers)
    finally:
        app.dependency_overrides.pop(get_verifier, None)

    assert response.status_code == 503
