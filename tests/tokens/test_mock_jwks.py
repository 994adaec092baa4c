"""TokenMinter.mock_jwks: the issuer's documents through FakeHTTP, for httpx-based verifiers."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

import fixturekit as fk
from fixturekit.http import FakeHTTP
from fixturekit.tokens import TokenMinter

ISSUER = "https://login.example.test/tenant"


def verify_with_httpx(token: str, issuer: str, audience: str) -> dict[str, Any]:
    """What an application does: discovery, then the JWKS, then PyJWT with the key by kid."""
    with httpx.Client() as client:
        config = client.get(f"{issuer}/.well-known/openid-configuration").json()
        keys = jwt.PyJWKSet.from_dict(client.get(config["jwks_uri"]).json())
    header = jwt.get_unverified_header(token)
    key = next(k for k in keys.keys if k.key_id == header["kid"])
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=[header["alg"]], audience=audience, issuer=config["issuer"]
    )
    return claims


async def averify_with_httpx(token: str, issuer: str, audience: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        config = (await client.get(f"{issuer}/.well-known/openid-configuration")).json()
        keys = jwt.PyJWKSet.from_dict((await client.get(config["jwks_uri"])).json())
    header = jwt.get_unverified_header(token)
    key = next(k for k in keys.keys if k.key_id == header["kid"])
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=[header["alg"]], audience=audience, issuer=config["issuer"]
    )
    return claims


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "EdDSA"])
def test_httpx_verifier_accepts_minted_tokens(algorithm: str) -> None:
    clock = fk.Clock(patch=False)
    with fk.Harness(clock=clock, fakes=[TokenMinter(issuer=ISSUER, algorithm=algorithm)]) as h:
        h.add(FakeHTTP())
        assert h.tokens.mock_jwks(h.http) == ISSUER
        token = h.tokens.mint("alice", scope="orders:read")
        assert verify_with_httpx(token, ISSUER, "api")["sub"] == "alice"
        h.http.assert_called("GET", f"{ISSUER}/.well-known/jwks.json", times=1)
    assert "JWKS served through" in h.timeline.messages("tokens")[0]


def test_bad_signature_is_rejected_through_the_mocked_jwks() -> None:
    with TokenMinter(issuer=ISSUER) as minter, FakeHTTP() as http:
        minter.mock_jwks(http)
        with pytest.raises(jwt.InvalidSignatureError):
            verify_with_httpx(minter.bad_signature(), ISSUER, "api")


@pytest.mark.asyncio
async def test_async_httpx_verifier_accepts_minted_tokens() -> None:
    async with TokenMinter(issuer=ISSUER) as minter, FakeHTTP() as http:
        minter.mock_jwks(http)
        claims = await averify_with_httpx(minter.mint("bob"), ISSUER, "api")
    assert claims["sub"] == "bob"


def test_rotation_and_grace_period_show_in_the_served_jwks() -> None:
    clock = fk.Clock(patch=False)
    with TokenMinter(issuer=ISSUER, clock=clock) as minter, FakeHTTP() as http:
        minter.mock_jwks(http)
        old_token = minter.mint("alice")
        old_kid = minter.kid
        new_kid = minter.rotate(grace=60)
        jwks_url = f"{ISSUER}/.well-known/jwks.json"
        assert [k["kid"] for k in httpx.get(jwks_url).json()["keys"]] == [old_kid, new_kid]
        assert verify_with_httpx(old_token, ISSUER, "api")["sub"] == "alice"
        clock.advance(seconds=61)
        assert [k["kid"] for k in httpx.get(jwks_url).json()["keys"]] == [new_kid]


def test_routes_are_optional_so_fetching_only_the_jwks_is_fine() -> None:
    with TokenMinter(issuer=ISSUER) as minter, FakeHTTP() as http:
        minter.mock_jwks(http)
        keys = httpx.get(f"{ISSUER}/.well-known/jwks.json").json()["keys"]
    assert keys[0]["kid"] == minter.kid
    assert all(route.is_optional for route in http.routes)


def test_discovery_document_points_at_the_mocked_jwks() -> None:
    with TokenMinter(issuer=ISSUER + "/") as minter, FakeHTTP() as http:
        minter.mock_jwks(http)
        config = httpx.get(f"{ISSUER}/.well-known/openid-configuration").json()
    assert config["issuer"] == ISSUER + "/"
    assert config["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]


def test_hmac_minter_has_no_jwks_to_serve() -> None:
    with TokenMinter(algorithm="HS256") as minter, FakeHTTP() as http:
        with pytest.raises(AttributeError, match="shared secret, so it has no public key"):
            minter.mock_jwks(http)
        assert http.routes == ()


def test_mock_jwks_refuses_what_is_not_a_fake_http() -> None:
    with (
        TokenMinter() as minter,
        pytest.raises(TypeError, match=r"mock_jwks\(\) takes a fixturekit.FakeHTTP"),
    ):
        minter.mock_jwks(object())  # type: ignore[arg-type]


def test_mock_jwks_refuses_a_fake_that_is_not_a_fake_http() -> None:
    with (
        TokenMinter() as minter,
        pytest.raises(
            TypeError,
            match=r"mock_jwks\(\) takes a fixturekit.FakeHTTP \(the http fixture\), "
            r"not <TokenMinter",
        ),
    ):
        minter.mock_jwks(TokenMinter())  # type: ignore[arg-type]
