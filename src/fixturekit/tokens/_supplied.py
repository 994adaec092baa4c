"""Keys the application brings: ``TokenMinter(secret=...)`` and ``TokenMinter(private_key=...)``.

Private to `fixturekit.tokens`. A minter signs with the application's own HMAC secret
(its ``SECRET_KEY``) or its own private key (PEM text or bytes, a `cryptography` key
object, or a private JWK dict) instead of a generated one. Every check here turns a key
that cannot sign for the algorithm into an error that names the argument, the key and
the way out; the HMAC and RSA minimum sizes are PyJWT's own (``check_key_length``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fixturekit.tokens._checks import check_algorithm
from fixturekit.tokens._keys import (
    ALGORITHMS,
    KEY_TYPES,
    KeyMaterial,
    algorithm_object,
    b64url,
    from_private_key,
    thumbprint,
)

__all__ = ["supplied_key"]

#: The one algorithm each elliptic curve / Edwards curve signs with here.
_CURVE_ALGORITHMS = {"P-256": "ES256", "Ed25519": "EdDSA", "Ed448": "EdDSA"}

_HMAC = tuple(name for name in ALGORITHMS if KEY_TYPES[name] == "oct")
_ASYMMETRIC = tuple(name for name in ALGORITHMS if KEY_TYPES[name] != "oct")


def supplied_key(
    algorithm: object, secret: object, private_key: object
) -> tuple[str, KeyMaterial | None]:
    """The minter's algorithm and, when the application brings its key, that key.

    ``algorithm`` None picks HS256 for a secret, the key's own algorithm for a private
    key (``alg`` of a JWK, else RS256 for RSA, ES256 for P-256, EdDSA for Ed25519), and
    RS256 with a generated key otherwise.
    """
    if secret is not None and private_key is not None:
        raise TypeError(
            "pass secret= (an HMAC secret, for HS256/HS384/HS512) or private_key= (for "
            f"{', '.join(_ASYMMETRIC)}), not both"
        )
    if secret is not None:
        return _secret(algorithm, secret)
    if private_key is not None:
        return _private(algorithm, private_key)
    return check_algorithm("RS256" if algorithm is None else algorithm), None


def _secret(algorithm: object, secret: object) -> tuple[str, KeyMaterial]:
    name = "HS256" if algorithm is None else check_algorithm(algorithm)
    if KEY_TYPES[name] != "oct":
        raise ValueError(
            f"secret= signs {', '.join(_HMAC)}, not {name}; for {name} pass the application's "
            "private key as private_key=, or pick algorithm='HS256'"
        )
    if isinstance(secret, str):
        raw = secret.encode("utf-8")
    elif isinstance(secret, (bytes, bytearray)):
        raw = bytes(secret)
    else:
        raise TypeError(
            f"secret= must be the application's HMAC secret as str or bytes (its SECRET_KEY), "
            f"not {type(secret).__name__}"
        )
    too_short = algorithm_object(name).check_key_length(raw)
    if too_short is not None:
        raise ValueError(
            f"secret= is too short for {name}: {too_short} Use a secret of at least "
            f"{_hmac_bytes(name)} bytes (e.g. secrets.token_hex(32)), in the application too"
        )
    # The kid is the secret's RFC 7638 thumbprint: minters given one secret agree on it.
    kid = thumbprint({"kty": "oct", "k": b64url(raw).decode("ascii")})
    material = KeyMaterial("oct", raw, None, {}, kid=kid)
    material.secret = secret if isinstance(secret, str) else raw
    return name, material


def _hmac_bytes(name: str) -> int:
    return int(name[2:]) // 8


def _private(algorithm: object, given: object) -> tuple[str, KeyMaterial]:
    wanted = None if algorithm is None else check_algorithm(algorithm)
    kid: str | None = None
    jwk_alg: str | None = None
    if isinstance(given, Mapping):
        key, kid, jwk_alg = _from_jwk(given)
    elif isinstance(given, (str, bytes, bytearray)):
        key = _from_pem(given)
    else:
        key = given
    kind, curve_or_bits = _describe(key)
    natural = "RS256" if kind == "RSA" else _CURVE_ALGORITHMS.get(str(curve_or_bits))
    if jwk_alg is not None:
        if wanted is not None and wanted != jwk_alg:
            raise ValueError(
                f"private_key= is a JWK for alg {jwk_alg!r}, but algorithm={wanted!r}; "
                "drop one of them or make them agree"
            )
        wanted = check_algorithm(jwk_alg)
    name = wanted or natural
    what = f"RSA ({curve_or_bits} bits)" if kind == "RSA" else f"{kind} {curve_or_bits}"
    if name is None:
        raise ValueError(
            f"private_key= is an {what} key, which no algorithm here signs with "
            f"({', '.join(_ASYMMETRIC)}); use an RSA key, an EC P-256 key or an Ed25519 key"
        )
    if KEY_TYPES[name] == "oct":
        raise ValueError(
            f"private_key= is for {', '.join(_ASYMMETRIC)}, not {name}; for {name} pass the "
            "application's secret as secret="
        )
    fits = (kind == "RSA" and KEY_TYPES[name] == "RSA") or (
        kind != "RSA" and _CURVE_ALGORITHMS.get(str(curve_or_bits)) == name
    )
    if not fits:
        suggestion = f"algorithm={natural!r}" if natural else "another key"
        raise ValueError(
            f"private_key= is an {what} key, which cannot sign {name}; "
            f"pass {suggestion}, or a key for {name} ({_KEY_FOR[name]})"
        )
    too_short = algorithm_object(name).check_key_length(key)
    if too_short is not None:
        raise ValueError(f"private_key= is too small for {name}: {too_short}")
    return name, from_private_key(key, kid=kid)


_KEY_FOR = {
    "RS256": "an RSA key of 2048 bits or more",
    "PS256": "an RSA key of 2048 bits or more",
    "ES256": "an EC key on P-256",
    "EdDSA": "an Ed25519 or Ed448 key",
}


def _describe(key: object) -> tuple[str, str | int]:
    """("RSA", bits), ("EC", JWK curve name) or ("OKP", "Ed25519"/"Ed448")."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    from fixturekit.tokens._keys import EC_CURVES

    if isinstance(key, rsa.RSAPrivateKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "EC", EC_CURVES.get(key.curve.name, key.curve.name)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "OKP", "Ed25519"
    if isinstance(key, ed448.Ed448PrivateKey):
        return "OKP", "Ed448"
    public = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)
    if isinstance(key, (*public, ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        raise ValueError(
            f"private_key= is a public key ({type(key).__name__}); a minter signs, so it "
            "needs the private key (the application verifies with the public one)"
        )
    raise TypeError(
        "private_key= must be a private key: PEM text or bytes, a cryptography private key "
        f"object, or a private JWK dict; not {type(key).__name__}"
    )


def _from_pem(given: str | bytes | bytearray) -> Any:
    from cryptography.hazmat.primitives import serialization

    data = given.encode("utf-8") if isinstance(given, str) else bytes(given)
    if b"-----BEGIN" not in data:
        raise ValueError(
            "private_key= as str or bytes must be a PEM private key "
            "('-----BEGIN PRIVATE KEY-----...'); for an HMAC secret pass secret="
        )
    if b"PUBLIC KEY-----" in data or b"CERTIFICATE-----" in data:
        raise ValueError(
            "private_key= is a public key or a certificate; a minter signs, so it needs "
            "the private key (the application verifies with the public one)"
        )
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise ValueError(
            "private_key= is an encrypted PEM key; decrypt it first with "
            "cryptography's load_pem_private_key(data, password=...) and pass the key object"
        ) from None
    except ValueError as exc:
        raise ValueError(
            f"private_key= is not a PEM private key cryptography can load: {exc}"
        ) from None


def _from_jwk(jwk: Mapping[str, Any]) -> tuple[Any, str | None, str | None]:
    from jwt.algorithms import Algorithm, ECAlgorithm, OKPAlgorithm, RSAAlgorithm
    from jwt.exceptions import InvalidKeyError

    kty = jwk.get("kty")
    loaders: dict[str, type[Algorithm]] = {
        "RSA": RSAAlgorithm,
        "EC": ECAlgorithm,
        "OKP": OKPAlgorithm,
    }
    if kty == "oct":
        raise ValueError("private_key= is an HMAC JWK (kty 'oct'); pass its secret as secret=")
    loader = loaders.get(kty) if isinstance(kty, str) else None
    if loader is None:
        raise ValueError(f"private_key= is a JWK with kty {kty!r}; it must be 'RSA', 'EC' or 'OKP'")
    if "d" not in jwk:
        raise ValueError(
            "private_key= is a public JWK (no 'd'); a minter signs, so it needs the private "
            "JWK (the application verifies with the public one)"
        )
    try:
        key = loader.from_jwk(dict(jwk))
    except (InvalidKeyError, ValueError, KeyError) as exc:
        raise ValueError(f"private_key= is a JWK PyJWT cannot load: {exc}") from None
    kid = jwk.get("kid")
    alg = jwk.get("alg")
    if kid is not None and not (isinstance(kid, str) and kid):
        raise ValueError(f"private_key=: the JWK's kid must be a non-empty str, not {kid!r}")
    if alg is not None and not isinstance(alg, str):
        raise ValueError(f"private_key=: the JWK's alg must be a str, not {alg!r}")
    return key, kid, alg
