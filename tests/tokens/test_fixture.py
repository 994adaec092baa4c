"""The plugin's `tokens` fixture, run in a nested pytest."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

TESTS = """
import threading

import jwt
import pytest


@pytest.mark.clock("2024-01-01T09:00:00Z")
def test_tokens_follow_the_clock_fixture(tokens, clock):
    token = tokens.mint("alice")
    key = tokens.public_key_pem
    assert jwt.decode(token, key, algorithms=["RS256"], audience="api")["sub"] == "alice"
    clock.advance(hours=2)
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, key, algorithms=["RS256"], audience="api")


def test_tokens_join_the_harness(tokens, harness):
    assert harness.tokens is tokens
    tokens.mint("bob")
    assert harness.timeline.messages("tokens") == ["minted token for 'bob'"]


@pytest.fixture
def no_issuer_thread_left():
    yield
    names = [t.name for t in threading.enumerate()]
    assert not [n for n in names if n.startswith("fixturekit-oidc-issuer")], names


def test_a_server_left_running_is_stopped_with_the_harness(no_issuer_thread_left, tokens):
    tokens.serve().__enter__()
    assert tokens.issuer.startswith("http://127.0.0.1:")
"""


@pytest.mark.slow
def test_tokens_fixture_runs_on_the_clock_and_joins_the_harness(inner_pytest: InnerPytest) -> None:
    inner_pytest.makepyfile(test_tokens_fixture=TESTS)
    result = inner_pytest.run()
    result.assert_outcomes(passed=3)
