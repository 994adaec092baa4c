from __future__ import annotations

import gc

import jwt
import pytest

from fixturekit.tokens import TokenMinter, _keys


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256", "EdDSA", "HS256"])
def test_two_living_minters_never_share_a_key(algorithm: str) -> None:
    first, second = TokenMinter(algorithm=algorithm), TokenMinter(algorithm=algorithm)
    assert first.kid != second.kid
    token = first.mint()
    key = second.secret if algorithm.startswith("HS") else second.public_key_pem
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, key, algorithms=[algorithm], audience="api")


def test_a_key_goes_back_to_the_pool_when_its_minter_is_gone() -> None:
    minter = TokenMinter(algorithm="ES256")
    kid = minter.kid
    del minter
    gc.collect()
    generated = _keys.POOL.generated["EC"]
    again = TokenMinter(algorithm="ES256")
    assert _keys.POOL.generated["EC"] == generated, "a new key was generated"
    assert again.kid == kid or _keys.POOL.free_count("EC") > 0


def test_rsa_and_pss_minters_draw_on_the_same_pool() -> None:
    rs = TokenMinter(algorithm="RS256")
    kid = rs.kid
    del rs
    gc.collect()
    generated = _keys.POOL.generated["RSA"]
    ps = TokenMinter(algorithm="PS256")
    assert _keys.POOL.generated["RSA"] == generated
    assert ps.kid == kid or _keys.POOL.free_count("RSA") > 0


def test_bad_tokens_are_signed_with_a_key_the_minter_never_publishes() -> None:
    minter = TokenMinter(algorithm="ES256")
    minter.bad_signature()
    published = {key["kid"] for key in minter.jwks["keys"]}
    stranger = minter._stranger
    assert stranger is not None
    assert stranger.kid not in published
