from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

import fixturekit as fk
from fixturekit.tokens import TokenMinter


def _kids(minter: TokenMinter) -> list[str]:
    return [key["kid"] for key in minter.jwks["keys"]]


@pytest.fixture
def clock() -> fk.Clock:
    return fk.Clock("2024-01-01T09:00:00Z", patch=False)


def test_rotate_signs_new_tokens_with_a_new_kid(clock: fk.Clock) -> None:
    minter = TokenMinter(algorithm="ES256", clock=clock)
    old_kid = minter.kid
    minter.mint()
    new_kid = minter.rotate()
    assert new_kid == minter.kid != old_kid
    assert jwt.get_unverified_header(minter.mint())["kid"] == new_kid
    assert _kids(minter) == [old_kid, new_kid]


def test_old_key_stays_published_for_the_grace_period_on_the_clock(clock: fk.Clock) -> None:
    minter = TokenMinter(algorithm="RS256", clock=clock)
    old_token = minter.mint(expires_in=timedelta(days=1))
    old_kid = minter.kid
    minter.rotate(grace=timedelta(minutes=10))
    clock.advance(minutes=9, seconds=59)
    assert old_kid in _kids(minter)
    assert minter.decode(old_token)["sub"] == "test-user"
    clock.advance(seconds=1)
    assert old_kid not in _kids(minter)
    with pytest.raises(jwt.PyJWKClientError, match=old_kid):
        minter.decode(old_token)


def test_by_default_the_old_key_stays_until_its_last_token_expires(clock: fk.Clock) -> None:
    minter = TokenMinter(algorithm="EdDSA", clock=clock)
    old_kid = minter.kid
    minter.mint(expires_in=timedelta(minutes=5))
    minter.mint(expires_in=timedelta(minutes=30))
    minter.rotate()
    clock.advance(minutes=29)
    assert old_kid in _kids(minter)
    clock.advance(minutes=1)
    assert _kids(minter) == [minter.kid]


def test_by_default_a_key_that_signed_nothing_leaves_at_once(clock: fk.Clock) -> None:
    minter = TokenMinter(algorithm="ES256", clock=clock)
    minter.rotate()
    assert _kids(minter) == [minter.kid]


def test_grace_zero_unpublishes_the_old_key_at_once(clock: fk.Clock) -> None:
    minter = TokenMinter(algorithm="ES256", clock=clock)
    token = minter.mint()
    minter.rotate(grace=0)
    assert _kids(minter) == [minter.kid]
    with pytest.raises(jwt.PyJWKClientError):
        minter.decode(token)


def test_rotating_an_hmac_minter_changes_the_secret_and_decode_accepts_both(
    clock: fk.Clock,
) -> None:
    minter = TokenMinter(algorithm="HS256", clock=clock)
    old_secret, old_token = minter.secret, minter.mint()
    minter.rotate(grace=60)
    assert minter.secret != old_secret
    assert minter.decode(old_token)["sub"] == minter.decode(minter.mint())["sub"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(old_token, minter.secret, algorithms=["HS256"], audience="api")


def test_rotation_is_on_the_timeline(clock: fk.Clock) -> None:
    minter = TokenMinter(algorithm="ES256", clock=clock)
    old_kid = minter.kid
    new_kid = minter.rotate(grace=timedelta(hours=1))
    (message,) = minter.timeline.messages()
    assert message == (
        f"rotated signing key to {new_kid!r}; {old_kid!r} stays published until "
        "2024-01-01T10:00:00+00:00"
    )


def test_negative_grace_is_refused(clock: fk.Clock) -> None:
    minter = TokenMinter(algorithm="ES256", clock=clock)
    with pytest.raises(ValueError, match=r"grace must not be negative, got -5"):
        minter.rotate(grace=-5)
    assert len(_kids(minter)) == 1
