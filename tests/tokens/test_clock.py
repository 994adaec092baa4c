from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

import fixturekit as fk
from fixturekit.tokens import TokenMinter


def test_token_verifies_now_and_expires_when_a_patching_clock_passes_exp() -> None:
    with fk.Clock("2024-01-01T09:00:00Z") as clock:
        minter = TokenMinter(algorithm="RS256", clock=clock)
        token = minter.mint("alice", expires_in=timedelta(minutes=30))
        key = minter.public_key_pem
        # PyJWT reads datetime.now(timezone.utc), which the running clock drives.
        assert jwt.decode(token, key, algorithms=["RS256"], audience="api")["sub"] == "alice"
        clock.advance(minutes=29, seconds=59)
        assert jwt.decode(token, key, algorithms=["RS256"], audience="api")["sub"] == "alice"
        clock.advance(seconds=1)
        with pytest.raises(jwt.ExpiredSignatureError):
            jwt.decode(token, key, algorithms=["RS256"], audience="api")


def test_decode_follows_a_virtual_clock_that_never_patches_time() -> None:
    clock = fk.Clock(patch=False)
    minter = TokenMinter(algorithm="HS256", clock=clock)
    token = minter.mint(expires_in=60)
    assert minter.decode(token)["sub"] == "test-user"
    clock.advance(seconds=60)
    with pytest.raises(jwt.ExpiredSignatureError):
        minter.decode(token)
    assert minter.decode(token, leeway=timedelta(seconds=1))["sub"] == "test-user"


def test_tokens_minted_later_carry_the_later_time() -> None:
    clock = fk.Clock("2024-01-01", patch=False)
    minter = TokenMinter(algorithm="HS256", clock=clock)
    first = minter.decode(minter.mint(), leeway=10**9)
    clock.advance(hours=5)
    second = minter.decode(minter.mint())
    assert second["iat"] - first["iat"] == 5 * 3600
    assert second["exp"] - first["exp"] == 5 * 3600


def test_a_token_from_the_clock_s_future_is_not_yet_valid_for_real_time_verifiers() -> None:
    # A fake on its own has a virtual clock; advancing it does not move real time, so
    # a verifier reading real time sees the token as issued in the future.
    minter = TokenMinter(algorithm="HS256")
    minter.clock.advance(hours=1)
    with pytest.raises(jwt.ImmatureSignatureError):
        jwt.decode(minter.mint(), minter.secret, algorithms=["HS256"], audience="api")


def test_inside_a_harness_the_minter_follows_the_harness_clock_and_timeline() -> None:
    minter = TokenMinter(algorithm="HS256")
    with fk.Harness(clock=fk.Clock("2024-03-01T12:00:00Z"), fakes=[minter]) as harness:
        assert harness.tokens is minter
        token = minter.mint("alice")
        assert minter.decode(token)["iat"] == int(harness.clock.timestamp())
        harness.clock.advance(hours=2)
        with pytest.raises(jwt.ExpiredSignatureError):
            jwt.decode(token, minter.secret, algorithms=["HS256"], audience="api")
    assert harness.timeline.messages("tokens") == ["minted token for 'alice'"]
    assert harness.timeline.events[0].at.isoformat() == "2024-03-01T12:00:00+00:00"


def test_iat_is_whole_seconds_rounded_down_like_pyjwt_does() -> None:
    clock = fk.Clock("2024-01-01T00:00:00.900Z", patch=False)
    minter = TokenMinter(algorithm="HS256", clock=clock, expires_in=1)
    token = minter.mint()
    claims = minter.decode(token)
    assert claims["iat"] == int(clock.timestamp())
    assert claims["exp"] == claims["iat"] + 1
    clock.advance(seconds=0.1)  # the clock reaches exp, a whole second
    with pytest.raises(jwt.ExpiredSignatureError):
        minter.decode(token)
