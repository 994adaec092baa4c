from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
import pytest
from joserfc.jwk import import_key

import fixturekit as fk
from fixturekit.tokens import ALGORITHMS, TokenMinter

from .conftest import Verify


def _segment(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data


def test_minted_token_verifies_with_pyjwt_for_every_algorithm(
    minter: TokenMinter, pyjwt_verify: Verify
) -> None:
    token = minter.mint("alice", scope="orders:read", roles=["staff"], tenant="acme")
    claims = pyjwt_verify(minter, token)
    assert claims["sub"] == "alice"
    assert claims["scope"] == "orders:read"
    assert claims["roles"] == ["staff"]
    assert claims["tenant"] == "acme"


def test_minted_token_verifies_with_joserfc_for_every_algorithm(
    minter: TokenMinter, joserfc_verify: Verify
) -> None:
    claims = joserfc_verify(minter, minter.mint("alice"))
    assert claims["sub"] == "alice"
    assert claims["iss"] == minter.issuer


def test_header_carries_algorithm_kid_and_type(minter: TokenMinter) -> None:
    header = jwt.get_unverified_header(minter.mint())
    assert header == {"alg": minter.algorithm, "kid": minter.kid, "typ": "JWT"}


def test_registered_claims_come_from_the_minter_and_the_clock() -> None:
    clock = fk.Clock("2024-01-01T09:00:00Z", patch=False)
    minter = TokenMinter(issuer="https://id.example.test", audience="shop", clock=clock)
    claims = _segment(minter.mint("alice", expires_in=timedelta(minutes=5)), 1)
    start = int(datetime(2024, 1, 1, 9, tzinfo=timezone.utc).timestamp())
    assert claims["iss"] == "https://id.example.test"
    assert claims["aud"] == "shop"
    assert claims["iat"] == claims["nbf"] == start
    assert claims["exp"] == start + 300
    assert len(claims["jti"]) == 32


def test_default_lifetime_is_an_hour_and_can_be_set_per_minter() -> None:
    assert TokenMinter(algorithm="HS256").expires_in == timedelta(hours=1)
    minter = TokenMinter(algorithm="HS256", expires_in=90)
    claims = _segment(minter.mint(), 1)
    assert claims["exp"] - claims["iat"] == 90


def test_every_token_gets_its_own_jti() -> None:
    minter = TokenMinter(algorithm="HS256")
    jtis = {_segment(minter.mint(), 1)["jti"] for _ in range(50)}
    assert len(jtis) == 50


def test_scope_given_as_a_list_becomes_a_space_separated_claim() -> None:
    minter = TokenMinter(algorithm="HS256")
    assert _segment(minter.mint(scope=["a:read", "b:write"]), 1)["scope"] == "a:read b:write"
    assert _segment(minter.mint(scope="  a:read   b:write "), 1)["scope"] == "a:read b:write"


def test_tokens_without_scope_or_roles_have_no_such_claims() -> None:
    claims = _segment(TokenMinter(algorithm="HS256").mint(), 1)
    assert "scope" not in claims
    assert "roles" not in claims
    assert claims["sub"] == "test-user"


def test_audience_may_be_a_list() -> None:
    minter = TokenMinter(audience=["api", "admin"], algorithm="HS256")
    token = minter.mint()
    assert _segment(token, 1)["aud"] == ["api", "admin"]
    claims = jwt.decode(token, minter.secret, algorithms=["HS256"], audience="admin")
    assert claims["aud"] == ["api", "admin"]


def test_auth_header_is_a_bearer_token_minted_like_mint() -> None:
    minter = TokenMinter(algorithm="HS256")
    header = minter.auth_header("bob", roles=["admin"])
    assert list(header) == ["Authorization"]
    scheme, token = header["Authorization"].split(" ")
    assert scheme == "Bearer"
    assert minter.decode(token)["roles"] == ["admin"]


def test_decode_returns_the_claims_of_a_valid_token(minter: TokenMinter) -> None:
    claims = minter.decode(minter.mint("carol", plan="pro"))
    assert (claims["sub"], claims["plan"]) == ("carol", "pro")


def test_nested_claims_survive_the_round_trip() -> None:
    minter = TokenMinter(algorithm="ES256")
    token = minter.mint(org={"id": 7, "teams": ["a", "b"]}, verified=True, score=1.5)
    claims = minter.decode(token)
    assert claims["org"] == {"id": 7, "teams": ["a", "b"]}
    assert claims["verified"] is True
    assert claims["score"] == 1.5


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256", "EdDSA"])
def test_jwks_publishes_the_public_key_with_its_thumbprint_as_kid(algorithm: str) -> None:
    minter = TokenMinter(algorithm=algorithm)
    (jwk,) = minter.jwks["keys"]
    assert jwk["kid"] == minter.kid
    assert jwk["alg"] == algorithm
    assert jwk["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk), "private members leaked"
    assert import_key(jwk).thumbprint() == minter.kid  # RFC 7638, computed by joserfc


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256", "EdDSA"])
def test_public_key_pem_verifies_minted_tokens(algorithm: str) -> None:
    minter = TokenMinter(algorithm=algorithm)
    assert minter.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    claims = jwt.decode(
        minter.mint(), minter.public_key_pem, algorithms=[algorithm], audience="api"
    )
    assert claims["sub"] == "test-user"


@pytest.mark.parametrize(("algorithm", "length"), [("HS256", 32), ("HS384", 48), ("HS512", 64)])
def test_hmac_secret_is_random_and_at_least_as_long_as_the_hash(
    algorithm: str, length: int
) -> None:
    first, second = TokenMinter(algorithm=algorithm), TokenMinter(algorithm=algorithm)
    assert first.secret != second.secret
    assert len(first.secret.encode()) >= length
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(first.mint(), second.secret, algorithms=[algorithm], audience="api")


def test_a_minter_is_a_fake_named_tokens_that_records_mints_on_its_timeline() -> None:
    clock = fk.Clock("2024-01-01", patch=False)
    minter = TokenMinter(algorithm="HS256", clock=clock)
    assert isinstance(minter, fk.Fake)
    assert minter.name == "tokens"
    minter.mint("alice")
    minter.expired("bob")
    assert minter.timeline.messages() == [
        "minted token for 'alice'",
        "minted bad token (expired) for 'bob'",
    ]
    assert minter.timeline.events[0].data["sub"] == "alice"


def test_every_algorithm_is_listed() -> None:
    assert ALGORITHMS == ("HS256", "HS384", "HS512", "RS256", "PS256", "ES256", "EdDSA")


def test_repr_names_algorithm_and_issuer() -> None:
    minter = TokenMinter(algorithm="ES256", issuer="https://a.test")
    assert repr(minter) == "<TokenMinter 'tokens' ES256 iss='https://a.test'>"
