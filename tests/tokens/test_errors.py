"""Bad arguments fail at once, saying what was wrong, with the value, and what to do."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from fixturekit.tokens import TokenMinter


@pytest.fixture
def minter() -> TokenMinter:
    return TokenMinter(algorithm="HS256")


def test_unknown_algorithm_lists_the_valid_ones() -> None:
    with pytest.raises(
        ValueError,
        match=r"unknown algorithm 'RS512'; TokenMinter signs with one of "
        r"HS256, HS384, HS512, RS256, PS256, ES256, EdDSA$",
    ):
        TokenMinter(algorithm="RS512")


def test_algorithm_in_the_wrong_case_gets_a_suggestion() -> None:
    with pytest.raises(ValueError, match=r"unknown algorithm 'rs256' \(did you mean 'RS256'\?\)"):
        TokenMinter(algorithm="rs256")


def test_algorithm_none_points_at_alg_none() -> None:
    with pytest.raises(ValueError, match=r"use minter\.alg_none\(\)"):
        TokenMinter(algorithm="none")


@pytest.mark.parametrize("issuer", ["", "  ", 42])
def test_issuer_must_be_a_non_empty_str(issuer: object) -> None:
    with pytest.raises(TypeError, match=rf"issuer must be a non-empty str .*not {issuer!r}"):
        TokenMinter(issuer=issuer)  # type: ignore[arg-type]


@pytest.mark.parametrize("audience", ["", [], ["api", ""], [1], b"api"])
def test_audience_must_be_a_str_or_a_list_of_them(audience: object) -> None:
    with pytest.raises(TypeError, match=r"audience must be a non-empty str such as 'api'"):
        TokenMinter(audience=audience)  # type: ignore[arg-type]


@pytest.mark.parametrize("expires_in", [-1, timedelta(minutes=-5), 0, 0.5])
def test_expires_in_must_be_positive(minter: TokenMinter, expires_in: object) -> None:
    with pytest.raises(ValueError, match=rf"expires_in must .*got {re.escape(repr(expires_in))}"):
        minter.mint(expires_in=expires_in)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"expires_in must"):
        TokenMinter(expires_in=expires_in)  # type: ignore[arg-type]


def test_negative_expires_in_points_at_expired(minter: TokenMinter) -> None:
    with pytest.raises(ValueError, match=r"use minter\.expired\(\)"):
        minter.mint(expires_in=-60)


def test_expires_in_must_be_a_duration(minter: TokenMinter) -> None:
    with pytest.raises(
        TypeError, match=r"expires_in must be a timedelta or a number of seconds, not str \('1h'\)"
    ):
        minter.mint(expires_in="1h")  # type: ignore[arg-type]


@pytest.mark.parametrize("claim", ["iss", "aud", "iat", "nbf", "exp", "jti"])
def test_claims_the_minter_fills_cannot_be_passed(minter: TokenMinter, claim: str) -> None:
    with pytest.raises(
        TypeError, match=rf"the '{claim}' claim is filled by the minter; it comes from"
    ):
        minter.mint(**{claim: "x"})


def test_exp_claim_points_at_expires_in(minter: TokenMinter) -> None:
    with pytest.raises(TypeError, match=r"comes from expires_in="):
        minter.mint(exp=123)


def test_a_misspelt_expires_in_is_not_turned_into_a_claim(minter: TokenMinter) -> None:
    with pytest.raises(TypeError, match=r"expire_in= looks like a misspelt expires_in="):
        minter.mint(expire_in=60)


@pytest.mark.parametrize("sub", ["", None, 42])
def test_sub_must_be_a_non_empty_str(minter: TokenMinter, sub: object) -> None:
    with pytest.raises(
        TypeError, match=rf"sub must be a non-empty str such as 'alice', not {sub!r}"
    ):
        minter.mint(sub)  # type: ignore[arg-type]


def test_roles_given_as_a_str_says_how_to_write_a_list(minter: TokenMinter) -> None:
    with pytest.raises(
        TypeError,
        match=r"roles must be a list of str, not the str 'admin'; write roles=\['admin'\]",
    ):
        minter.mint(roles="admin")


def test_roles_must_be_strings(minter: TokenMinter) -> None:
    with pytest.raises(TypeError, match=r"roles must be a list of non-empty str .*not \[1\]"):
        minter.mint(roles=[1])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("scope", "error"), [("", ValueError), ([], ValueError), (["a b"], TypeError), (3, TypeError)]
)
def test_scope_must_hold_scopes(minter: TokenMinter, scope: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="scope"):
        minter.mint(scope=scope)  # type: ignore[arg-type]


def test_claims_must_be_json_serialisable(minter: TokenMinter) -> None:
    with pytest.raises(
        TypeError, match=r"not JSON-serialisable \(Object of type datetime.*datetimes as int"
    ):
        minter.mint(when=datetime(2024, 1, 1))
    assert minter.timeline.messages() == []


def test_secret_of_an_asymmetric_minter_says_what_to_use_instead() -> None:
    with pytest.raises(
        AttributeError,
        match=r"signs with ES256, a key pair, so it has no shared secret; "
        r"verify with minter\.public_key_pem",
    ):
        TokenMinter(algorithm="ES256").secret  # noqa: B018


@pytest.mark.parametrize("attribute", ["jwks", "public_key_pem"])
def test_public_key_of_an_hmac_minter_says_what_to_use_instead(
    minter: TokenMinter, attribute: str
) -> None:
    with pytest.raises(
        AttributeError,
        match=rf"signs with HS256, a shared secret, so it has no public key and no {attribute}; "
        r"verify with minter\.secret",
    ):
        getattr(minter, attribute)


def test_missing_claim_of_a_claim_the_token_lacks_lists_the_claims(minter: TokenMinter) -> None:
    with pytest.raises(
        ValueError, match=r"missing_claim\('tenant'\): .* it has iss, sub, aud, iat, nbf, exp, jti"
    ):
        minter.missing_claim("tenant")


def test_tampered_changes_must_change_something(minter: TokenMinter) -> None:
    with pytest.raises(ValueError, match=r"leaves the payload as it was"):
        minter.tampered("alice", changes={"sub": "alice"})
    with pytest.raises(TypeError, match=r"changes must be a non-empty dict"):
        minter.tampered(changes={})


def test_wrong_audience_and_issuer_refuse_the_right_values(minter: TokenMinter) -> None:
    with pytest.raises(ValueError, match=r"wrong_audience\(audience='api'\) is an audience"):
        minter.wrong_audience(audience="api")
    with pytest.raises(
        ValueError,
        match=r"wrong_issuer\(issuer='https://issuer\.test'\) is this minter's own issuer",
    ):
        minter.wrong_issuer(issuer="https://issuer.test")


def test_decode_checks_its_arguments(minter: TokenMinter) -> None:
    with pytest.raises(TypeError, match=r"decode\(\) takes the token as a str, not bytes"):
        minter.decode(b"x.y.z")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"leeway must not be negative, got -1"):
        minter.decode(minter.mint(), leeway=-1)


def test_clock_must_be_a_fixturekit_clock() -> None:
    with pytest.raises(TypeError, match=r"clock must be a fixturekit\.Clock, not str"):
        TokenMinter(clock="2024-01-01")  # type: ignore[arg-type]


def test_serve_checks_its_credential_maps(minter: TokenMinter) -> None:
    with pytest.raises(TypeError, match=r"serve\(\)'s clients= must map names to passwords"):
        minter.serve(clients=["svc"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"users="):
        minter.serve(users={"alice": 1})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("call", "wrong", "right"),
    [
        (lambda m: TokenMinter(audiance="api"), "audiance", "audience"),
        (lambda m: TokenMinter(expire_in=60), "expire_in", "expires_in"),
        (lambda m: m.decode(m.mint(), leway=5), "leway", "leeway"),
        (lambda m: m.rotate(graec=60), "graec", "grace"),
        (lambda m: m.serve(client={"svc": "pw"}), "client", "clients"),
    ],
    ids=["constructor", "constructor-expires_in", "decode", "rotate", "serve"],
)
def test_unknown_keywords_name_the_closest_valid_one_and_list_them_all(
    minter: TokenMinter, call: Any, wrong: str, right: str
) -> None:
    with pytest.raises(
        TypeError,
        match=rf"got an unexpected keyword argument '{wrong}' \(did you mean {right}=\?\); "
        r"its keyword arguments are: ",
    ):
        call(minter)


def test_a_sub_of_blanks_is_refused(minter: TokenMinter) -> None:
    with pytest.raises(TypeError, match=r"sub must be a non-empty str such as 'alice', not '  '"):
        minter.mint("  ")


def test_a_refused_tampered_token_leaves_nothing_on_the_timeline(minter: TokenMinter) -> None:
    with pytest.raises(ValueError, match=r"leaves the payload as it was"):
        minter.tampered("alice", changes={"sub": "alice"})
    with pytest.raises(TypeError, match=r"changes must be a non-empty dict"):
        minter.tampered(changes={})
    assert minter.timeline.messages() == []
