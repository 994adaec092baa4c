"""Each ready-made bad token is rejected by PyJWT and by joserfc, with the documented error."""

from __future__ import annotations

import jwt
import pytest
from joserfc import errors as jose_errors

from fixturekit.tokens import TokenMinter

from .conftest import REQUIRED, Verify

#: method -> (PyJWT error with a fixed key, joserfc error with the key set)
BAD_TOKENS: dict[str, tuple[type[Exception], type[Exception]]] = {
    "expired": (jwt.ExpiredSignatureError, jose_errors.ExpiredTokenError),
    "not_yet_valid": (jwt.ImmatureSignatureError, jose_errors.InvalidClaimError),
    "wrong_audience": (jwt.InvalidAudienceError, jose_errors.InvalidClaimError),
    "wrong_issuer": (jwt.InvalidIssuerError, jose_errors.InvalidClaimError),
    "bad_signature": (jwt.InvalidSignatureError, jose_errors.BadSignatureError),
    "alg_none": (jwt.InvalidAlgorithmError, jose_errors.UnsupportedAlgorithmError),
    "unknown_kid": (jwt.InvalidSignatureError, jose_errors.InvalidKeyIdError),
    "tampered": (jwt.InvalidSignatureError, jose_errors.BadSignatureError),
}

#: What minter.decode() raises (like a verifier that picks keys by kid).
DECODE_ERRORS: dict[str, type[Exception]] = {
    **{name: errors[0] for name, errors in BAD_TOKENS.items()},
    "unknown_kid": jwt.PyJWKClientError,
}


@pytest.mark.parametrize("method", sorted(BAD_TOKENS))
def test_bad_token_is_rejected_by_pyjwt_with_the_documented_error(
    minter: TokenMinter, pyjwt_verify: Verify, method: str
) -> None:
    token = getattr(minter, method)("alice")
    with pytest.raises(BAD_TOKENS[method][0]):
        pyjwt_verify(minter, token)


@pytest.mark.parametrize("method", sorted(BAD_TOKENS))
def test_bad_token_is_rejected_by_joserfc_too(
    minter: TokenMinter, joserfc_verify: Verify, method: str
) -> None:
    token = getattr(minter, method)("alice")
    with pytest.raises(BAD_TOKENS[method][1]):
        joserfc_verify(minter, token)


@pytest.mark.parametrize("method", sorted(DECODE_ERRORS))
def test_decode_rejects_bad_token_with_the_documented_error(
    minter: TokenMinter, method: str
) -> None:
    with pytest.raises(DECODE_ERRORS[method]):
        minter.decode(getattr(minter, method)("alice"))


@pytest.mark.parametrize("method", sorted(BAD_TOKENS))
def test_bad_token_is_otherwise_a_normal_token_for_the_given_user(method: str) -> None:
    minter = TokenMinter(algorithm="HS256")
    token = getattr(minter, method)("alice", scope="a:read", roles=["staff"], tenant="acme")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "alice"
    assert claims["scope"] == "a:read"
    assert claims["tenant"] == "acme"
    assert "admin" in claims["roles"] if method == "tampered" else claims["roles"] == ["staff"]


@pytest.mark.parametrize("claim", REQUIRED)
def test_missing_claim_is_rejected_by_both_libraries_when_required(
    minter: TokenMinter, pyjwt_verify: Verify, joserfc_verify: Verify, claim: str
) -> None:
    token = minter.missing_claim(claim)
    assert claim not in jwt.decode(token, options={"verify_signature": False})
    with pytest.raises(jwt.MissingRequiredClaimError, match=claim):
        pyjwt_verify(minter, token)
    with pytest.raises(jose_errors.MissingClaimError, match=claim):
        joserfc_verify(minter, token)
    with pytest.raises(jwt.MissingRequiredClaimError, match=claim):
        minter.decode(token)


@pytest.mark.parametrize("claim", ["aud", "iss"])
def test_missing_aud_or_iss_is_rejected_once_audience_and_issuer_are_checked(claim: str) -> None:
    minter = TokenMinter(algorithm="HS256")
    with pytest.raises(jwt.MissingRequiredClaimError, match=claim):
        jwt.decode(
            minter.missing_claim(claim),
            minter.secret,
            algorithms=["HS256"],
            audience="api",
            issuer=minter.issuer,
        )


def test_a_lax_verifier_accepts_a_token_without_exp_which_is_the_bug_it_finds() -> None:
    minter = TokenMinter(algorithm="HS256")
    lax = jwt.decode(
        minter.missing_claim("exp"), minter.secret, algorithms=["HS256"], audience="api"
    )
    assert "exp" not in lax


def test_missing_claim_can_drop_a_custom_claim() -> None:
    minter = TokenMinter(algorithm="HS256")
    token = minter.missing_claim("tenant", tenant="acme", plan="pro")
    claims = minter.decode(token)
    assert "tenant" not in claims
    assert claims["plan"] == "pro"


def test_tampered_token_applies_the_given_changes_to_the_signed_payload() -> None:
    minter = TokenMinter(algorithm="ES256")
    token = minter.tampered("alice", changes={"sub": "mallory"})
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == "mallory"
    with pytest.raises(jwt.InvalidSignatureError):
        minter.decode(token)


def test_tampered_by_default_adds_admin_even_when_the_user_has_it() -> None:
    minter = TokenMinter(algorithm="HS256")
    claims = jwt.decode(minter.tampered(roles=["admin"]), options={"verify_signature": False})
    assert claims["roles"] == ["admin", "admin"]


def test_wrong_audience_and_issuer_extend_the_right_ones_by_default() -> None:
    minter = TokenMinter(issuer="https://id.test", audience="api", algorithm="HS256")
    wrong_aud = jwt.decode(minter.wrong_audience(), options={"verify_signature": False})
    wrong_iss = jwt.decode(minter.wrong_issuer(), options={"verify_signature": False})
    assert wrong_aud["aud"] == "api-other"
    assert wrong_iss["iss"] == "https://id.test-other"


def test_wrong_audience_and_issuer_take_the_value_to_use() -> None:
    minter = TokenMinter(algorithm="HS256")
    claims = jwt.decode(
        minter.wrong_audience(audience="billing"), options={"verify_signature": False}
    )
    assert claims["aud"] == "billing"
    claims = jwt.decode(
        minter.wrong_issuer(issuer="https://evil.test"), options={"verify_signature": False}
    )
    assert claims["iss"] == "https://evil.test"


def test_alg_none_token_has_an_empty_signature_and_the_signing_kid() -> None:
    minter = TokenMinter(algorithm="RS256")
    token = minter.alg_none()
    assert token.endswith(".")
    assert jwt.get_unverified_header(token) == {"alg": "none", "kid": minter.kid, "typ": "JWT"}


def test_unknown_kid_is_not_in_the_jwks() -> None:
    minter = TokenMinter(algorithm="ES256")
    kid = jwt.get_unverified_header(minter.unknown_kid())["kid"]
    assert kid not in {key["kid"] for key in minter.jwks["keys"]}


def test_bad_signature_keeps_the_signing_kid() -> None:
    minter = TokenMinter(algorithm="EdDSA")
    assert jwt.get_unverified_header(minter.bad_signature())["kid"] == minter.kid
