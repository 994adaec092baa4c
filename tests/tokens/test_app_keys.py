"""Minters that sign the way the application signs: its own secret or its own private key,
and tokens without ``aud`` / ``iss`` for applications that check neither.

The verifiers are the application's own calls: PyJWT the way FastAPI's tutorial decodes
(``jwt.decode(token, SECRET_KEY, algorithms=["HS256"])``, no audience), and joserfc.
"""

from __future__ import annotations

import secrets
import warnings
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from joserfc import jwt as jose_jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet, OctKey

import fixturekit as fk
from fixturekit.tokens import TokenMinter

#: What a FastAPI-tutorial application keeps in its settings.
SECRET_KEY = secrets.token_hex(32)


def tutorial_decode(token: str) -> dict[str, Any]:
    """The FastAPI tutorial's check: its secret, HS256, and nothing else."""
    claims: dict[str, Any] = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    return claims


@pytest.fixture
def app_minter() -> TokenMinter:
    return TokenMinter(secret=SECRET_KEY, audience=None, issuer=None, clock=fk.Clock(patch=False))


# --- the application's secret -------------------------------------------------------------


def test_a_tutorial_app_accepts_tokens_minted_with_its_own_secret(
    app_minter: TokenMinter,
) -> None:
    claims = tutorial_decode(app_minter.mint("johndoe", scope="me items"))

    assert claims["sub"] == "johndoe"
    assert claims["scope"] == "me items"
    assert "aud" not in claims
    assert "iss" not in claims
    assert app_minter.algorithm == "HS256"
    assert app_minter.secret == SECRET_KEY
    assert (app_minter.audience, app_minter.issuer) == (None, None)


def test_with_the_default_audience_the_tutorial_app_refuses_every_token() -> None:
    minter = TokenMinter(secret=SECRET_KEY)  # aud "api": the app passes no audience=

    with pytest.raises(jwt.InvalidAudienceError):
        tutorial_decode(minter.mint("johndoe"))


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ("expired", jwt.ExpiredSignatureError),
        ("not_yet_valid", jwt.ImmatureSignatureError),
        ("bad_signature", jwt.InvalidSignatureError),
        ("alg_none", jwt.InvalidAlgorithmError),
        ("tampered", jwt.InvalidSignatureError),
    ],
)
def test_bad_tokens_are_refused_by_the_tutorial_app_for_their_own_reason(
    app_minter: TokenMinter, bad: str, error: type[Exception]
) -> None:
    token = getattr(app_minter, bad)("johndoe")

    with pytest.raises(error):
        tutorial_decode(token)


def test_wrong_audience_without_an_audience_says_why_it_cannot(app_minter: TokenMinter) -> None:
    with pytest.raises(ValueError, match=r"wrong_audience\(\) needs a minter with an audience.*"):
        app_minter.wrong_audience()
    with pytest.raises(ValueError, match=r"audience=None"):
        app_minter.wrong_audience(audience="other")


def test_wrong_issuer_without_an_issuer_says_why_it_cannot(app_minter: TokenMinter) -> None:
    with pytest.raises(ValueError, match=r"wrong_issuer\(\) needs a minter with an issuer"):
        app_minter.wrong_issuer()


@pytest.mark.parametrize(("claim", "argument"), [("aud", "audience"), ("iss", "issuer")])
def test_missing_claim_of_a_claim_the_minter_leaves_out_says_so(
    app_minter: TokenMinter, claim: str, argument: str
) -> None:
    with pytest.raises(ValueError, match=rf"made with {argument}=None"):
        app_minter.missing_claim(claim)


def test_decode_of_a_minter_without_audience_and_issuer(app_minter: TokenMinter) -> None:
    assert app_minter.decode(app_minter.mint("ada"))["sub"] == "ada"
    with_aud = TokenMinter(secret=SECRET_KEY, issuer=None).mint("ada")
    with pytest.raises(jwt.InvalidAudienceError):
        app_minter.decode(with_aud)
    with_iss = TokenMinter(secret=SECRET_KEY, audience=None).mint("ada")
    with pytest.raises(jwt.InvalidIssuerError, match=r"no iss \(issuer=None\)"):
        app_minter.decode(with_iss)


def test_audience_only_or_issuer_only() -> None:
    aud_only = TokenMinter(secret=SECRET_KEY, issuer=None, audience="items")
    claims = jwt.decode(aud_only.mint(), SECRET_KEY, algorithms=["HS256"], audience="items")
    assert "iss" not in claims
    iss_only = TokenMinter(secret=SECRET_KEY, audience=None, issuer="https://auth.test")
    claims = jwt.decode(
        iss_only.mint(), SECRET_KEY, algorithms=["HS256"], issuer="https://auth.test"
    )
    assert "aud" not in claims
    assert iss_only.wrong_issuer()  # the issuer check can still be tested


@pytest.mark.parametrize(("algorithm", "size"), [("HS256", 32), ("HS384", 48), ("HS512", 64)])
@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_each_hmac_algorithm_signs_with_the_given_secret(
    algorithm: str, size: int, as_bytes: bool
) -> None:
    secret: str | bytes = secrets.token_bytes(size) if as_bytes else secrets.token_hex(size)
    minter = TokenMinter(secret=secret, algorithm=algorithm, audience=None)

    claims = jwt.decode(minter.mint("ada"), secret, algorithms=[algorithm])
    key = OctKey.import_key(secret)
    joserfc_claims = jose_jwt.decode(minter.mint("ada"), key, algorithms=[algorithm]).claims

    assert claims["sub"] == joserfc_claims["sub"] == "ada"
    assert minter.secret == secret


@pytest.mark.parametrize(
    ("algorithm", "length"), [("HS256", 31), ("HS384", 47), ("HS512", 63), ("HS512", 32)]
)
def test_a_secret_below_pyjwt_s_minimum_is_refused(algorithm: str, length: int) -> None:
    with pytest.raises(
        ValueError, match=rf"secret= is too short for {algorithm}: .*{length} bytes"
    ):
        TokenMinter(secret="x" * length, algorithm=algorithm)


def test_secret_errors() -> None:
    with pytest.raises(ValueError, match=r"secret= signs HS256, HS384, HS512, not RS256"):
        TokenMinter(secret=SECRET_KEY, algorithm="RS256")
    with pytest.raises(TypeError, match=r"secret= must be the application's HMAC secret"):
        TokenMinter(secret=12345)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"secret= .* or private_key= .*not both"):
        TokenMinter(secret=SECRET_KEY, private_key=_rsa())


# --- the application's private key ---------------------------------------------------------


def _rsa(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _pem(key: Any) -> bytes:
    data: bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return data


def _public_pem(key: Any) -> bytes:
    data: bytes = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data


_KEYS = {
    "RS256": _rsa,
    "PS256": _rsa,
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "EdDSA": ed25519.Ed25519PrivateKey.generate,
}


def _joserfc_decode(token: str, jwks: dict[str, Any], algorithm: str) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "EdDSA is deprecated", SecurityWarning)
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        return dict(jose_jwt.decode(token, keys, algorithms=[algorithm]).claims)


@pytest.mark.parametrize("algorithm", list(_KEYS))
@pytest.mark.parametrize("form", ["pem-bytes", "pem-str", "key-object"])
def test_the_application_s_private_key_signs(algorithm: str, form: str) -> None:
    key = _KEYS[algorithm]()
    given: Any = {"pem-bytes": _pem(key), "pem-str": _pem(key).decode(), "key-object": key}[form]
    minter = TokenMinter(private_key=given, algorithm=algorithm, audience="shop")
    token = minter.mint("ada")

    claims = jwt.decode(token, _public_pem(key), algorithms=[algorithm], audience="shop")
    assert claims["sub"] == "ada"
    assert minter.public_key_pem.encode() == _public_pem(key)
    assert _joserfc_decode(token, minter.jwks, algorithm)["sub"] == "ada"


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [
        (_rsa, "RS256"),
        (lambda: ec.generate_private_key(ec.SECP256R1()), "ES256"),
        (ed25519.Ed25519PrivateKey.generate, "EdDSA"),
        (ed448.Ed448PrivateKey.generate, "EdDSA"),
    ],
    ids=["rsa", "p256", "ed25519", "ed448"],
)
def test_without_algorithm_the_key_s_own_algorithm_is_used(key: Any, algorithm: str) -> None:
    private = key()
    minter = TokenMinter(private_key=private, audience=None)

    assert minter.algorithm == algorithm
    assert jwt.decode(minter.mint("ada"), _public_pem(private), algorithms=[algorithm])


def test_a_private_jwk_signs_with_its_kid_and_alg() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(private, as_dict=True)
    jwk.update(kid="app-key-2024", alg="ES256")
    minter = TokenMinter(private_key=jwk)
    token = minter.mint("ada")

    assert minter.algorithm == "ES256"
    assert jwt.get_unverified_header(token)["kid"] == minter.kid == "app-key-2024"
    public = jwt.PyJWK({k: v for k, v in jwk.items() if k != "d"})
    assert jwt.decode(token, public, algorithms=["ES256"], audience="api")["sub"] == "ada"
    assert _joserfc_decode(token, minter.jwks, "ES256")["sub"] == "ada"


@pytest.mark.parametrize(
    ("key", "algorithm", "message"),
    [
        (_rsa, "ES256", r"is an RSA \(2048 bits\) key, which cannot sign ES256; pass "),
        (
            lambda: ec.generate_private_key(ec.SECP256R1()),
            "RS256",
            r"is an EC P-256 key, which cannot sign RS256; pass algorithm='ES256'",
        ),
        (
            lambda: ec.generate_private_key(ec.SECP384R1()),
            None,
            r"is an EC P-384 key, which no algorithm here signs with",
        ),
        (
            ed25519.Ed25519PrivateKey.generate,
            "PS256",
            r"is an OKP Ed25519 key, which cannot sign PS256; pass algorithm='EdDSA'",
        ),
        (lambda: _rsa(1024), "RS256", r"private_key= is too small for RS256: .*1024 bits"),
        (_rsa, "HS256", r"private_key= is for RS256.*not HS256; .*secret="),
    ],
    ids=["rsa-for-es256", "p256-for-rs256", "p384", "ed25519-for-ps256", "rsa-1024", "rsa-hs"],
)
def test_a_key_that_does_not_match_the_algorithm_is_refused(
    key: Any, algorithm: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        TokenMinter(private_key=key(), algorithm=algorithm)


def test_keys_that_cannot_sign_are_refused_with_what_to_pass() -> None:
    private = _rsa()
    public_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    encrypted = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    cases: list[tuple[object, type[Exception], str]] = [
        (_public_pem(private), ValueError, r"is a public key or a certificate"),
        (private.public_key(), ValueError, r"is a public key \(.*\); a minter signs"),
        (public_jwk, ValueError, r"is a public JWK \(no 'd'\)"),
        ({"kty": "oct", "k": "c2VjcmV0"}, ValueError, r"HMAC JWK .* secret="),
        ({"kty": "XYZ"}, ValueError, r"JWK with kty 'XYZ'"),
        (encrypted, ValueError, r"encrypted PEM key; decrypt it first"),
        ("my-secret", ValueError, r"must be a PEM private key .*secret="),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", ValueError, "PEM"),
        (42, TypeError, r"private_key= must be a private key: PEM text or bytes"),
    ]
    for given, error, message in cases:
        with pytest.raises(error, match=message):
            TokenMinter(private_key=given)


def test_a_jwk_whose_alg_disagrees_with_algorithm_is_refused() -> None:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(_rsa(), as_dict=True)
    jwk["alg"] = "PS256"
    with pytest.raises(ValueError, match=r"JWK for alg 'PS256', but algorithm='RS256'"):
        TokenMinter(private_key=jwk, algorithm="RS256")
    assert TokenMinter(private_key=jwk).algorithm == "PS256"


def test_mock_jwks_needs_an_issuer() -> None:
    minter = TokenMinter(issuer=None)
    with fk.FakeHTTP() as http, pytest.raises(ValueError, match=r"issuer=None"):
        minter.mock_jwks(http)
