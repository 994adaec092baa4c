"""What `TokenMinter.reset` keeps: keys, configuration and a running issuer."""

from __future__ import annotations

import json
import urllib.request

import pytest

import fixturekit as fk
from fixturekit.tokens import TokenMinter


def test_reset_keeps_the_configuration_and_every_published_key() -> None:
    clock = fk.Clock("2024-01-01T09:00:00Z", patch=False)
    minter = TokenMinter(issuer="https://id.test", audience=["api", "admin"], clock=clock)
    before = minter.mint("alice")
    old_kid = minter.kid
    new_kid = minter.rotate(grace=600)
    jwks = minter.jwks
    minter.reset()
    assert (minter.issuer, minter.audience, minter.algorithm) == (
        "https://id.test",
        ["api", "admin"],
        "RS256",
    )
    assert minter.kid == new_kid
    assert minter.jwks == jwks
    assert [key["kid"] for key in jwks["keys"]] == [old_kid, new_kid]
    assert minter.decode(before)["sub"] == "alice"


def test_reset_inside_a_harness_keeps_the_keys_and_the_timeline_wiring() -> None:
    with fk.Harness(clock=fk.Clock(patch=False), fakes=[TokenMinter(algorithm="ES256")]) as h:
        token = h.tokens.mint("bob")
        kid = h.tokens.kid
        h.tokens.reset()
        assert h.tokens.kid == kid
        assert h.tokens.decode(token)["sub"] == "bob"
        h.tokens.mint("carol")
    assert h.timeline.messages("tokens") == ["minted token for 'bob'", "minted token for 'carol'"]


@pytest.mark.slow
def test_reset_keeps_a_running_issuer() -> None:
    minter = TokenMinter()
    with minter.serve() as issuer_url:
        minter.reset()
        assert minter.issuer == issuer_url
        with urllib.request.urlopen(issuer_url + "/.well-known/jwks.json", timeout=10) as got:
            assert json.load(got) == minter.jwks
