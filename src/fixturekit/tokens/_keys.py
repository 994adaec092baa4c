"""Signing keys for the token minter: generation, a per-process pool, JWKs and signing.

Private to `fixturekit.tokens`; it imports nothing of the minter. Generating an RSA key
takes tens of milliseconds, so asymmetric keys are pooled per process: a minter
*leases* keys, and a key goes back to the pool only when the minter that leased it is
garbage-collected. Two minters that exist at the same time therefore never share a key,
while a test suite that creates one minter per test generates a handful of keys in all.
HMAC secrets are cheap and are never pooled: every minter gets fresh random bytes.

Tokens are signed through PyJWT's own algorithm objects with the key object loaded once
and the header segment encoded once per key, which is what ``jwt.encode`` does per call.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import weakref
from collections import Counter
from typing import Any

from jwt.algorithms import Algorithm, get_default_algorithms

#: Every algorithm the minter signs with, and the key type it needs.
KEY_TYPES: dict[str, str] = {
    "HS256": "oct",
    "HS384": "oct",
    "HS512": "oct",
    "RS256": "RSA",
    "PS256": "RSA",
    "ES256": "EC",
    "EdDSA": "OKP",
}

#: The algorithms a TokenMinter signs with, in the order errors and docs list them.
ALGORITHMS: tuple[str, ...] = tuple(KEY_TYPES)

#: HMAC secret sizes in bytes: the hash's output size, as RFC 7518 section 3.2 asks.
_HMAC_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}

RSA_KEY_BITS = 2048


def b64url(data: bytes) -> bytes:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def b64url_decode(text: str | bytes) -> bytes:
    raw = text.encode("ascii") if isinstance(text, str) else text
    return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))


def _int_b64(value: int, length: int | None = None) -> str:
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return b64url(value.to_bytes(size, "big")).decode("ascii")


class KeyMaterial:
    """One signing key: the loaded private key (or HMAC secret) and its public JWK."""

    __slots__ = ("__weakref__", "kid", "kty", "private", "public", "public_jwk", "secret")

    def __init__(
        self,
        kty: str,
        private: Any,
        public: Any,
        public_jwk: dict[str, str],
        *,
        kid: str | None = None,
    ) -> None:
        self.kty = kty
        self.private = private
        self.public = public
        self.public_jwk = public_jwk
        #: The HMAC secret as it was given (or generated): str or bytes.
        self.secret: str | bytes | None = None
        if kid is None:
            kid = thumbprint(public_jwk) if public_jwk else secrets.token_urlsafe(12)
        self.kid = kid

    def public_pem(self) -> str:
        from cryptography.hazmat.primitives import serialization

        data: bytes = self.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return data.decode("ascii")

    def __repr__(self) -> str:
        return f"<KeyMaterial {self.kty} kid={self.kid!r}>"


def thumbprint(jwk: dict[str, str]) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256), used as the key id."""
    required = {
        "RSA": ("e", "kty", "n"),
        "EC": ("crv", "kty", "x", "y"),
        "OKP": ("crv", "kty", "x"),
        "oct": ("k", "kty"),
    }
    members = {name: jwk[name] for name in required[jwk["kty"]]}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return b64url(hashlib.sha256(canonical).digest()).decode("ascii")


def from_private_key(private: Any, *, kid: str | None = None) -> KeyMaterial:
    """Key material for a loaded `cryptography` private key (RSA, EC or Ed25519/Ed448)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    public = private.public_key()
    jwk: dict[str, str]
    if isinstance(private, rsa.RSAPrivateKey):
        numbers = public.public_numbers()
        jwk = {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}
    elif isinstance(private, ec.EllipticCurvePrivateKey):
        point = public.public_numbers()
        size = (private.curve.key_size + 7) // 8
        jwk = {
            "kty": "EC",
            "crv": EC_CURVES.get(private.curve.name, private.curve.name),
            "x": _int_b64(point.x, size),
            "y": _int_b64(point.y, size),
        }
    elif isinstance(private, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        crv = "Ed25519" if isinstance(private, ed25519.Ed25519PrivateKey) else "Ed448"
        jwk = {"kty": "OKP", "crv": crv, "x": b64url(raw).decode("ascii")}
    else:
        raise TypeError(f"no JWK for key type {type(private).__name__}")  # pragma: no cover
    return KeyMaterial(jwk["kty"], private, public, jwk, kid=kid)


#: JWK curve names (RFC 7518 section 6.2.1.1) of the `cryptography` curve names.
EC_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


def generate(kty: str) -> KeyMaterial:
    """A fresh key of type ``kty`` ("RSA", "EC" or "OKP")."""
    if kty == "RSA":
        from cryptography.hazmat.primitives.asymmetric import rsa

        return from_private_key(
            rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
        )
    if kty == "EC":
        from cryptography.hazmat.primitives.asymmetric import ec

        return from_private_key(ec.generate_private_key(ec.SECP256R1()))
    if kty == "OKP":
        from cryptography.hazmat.primitives.asymmetric import ed25519

        return from_private_key(ed25519.Ed25519PrivateKey.generate())
    raise ValueError(f"no key generator for key type {kty!r}")  # pragma: no cover


def new_secret(algorithm: str) -> KeyMaterial:
    """A fresh random HMAC secret, as long as the algorithm's hash output."""
    text = secrets.token_urlsafe(_HMAC_BYTES[algorithm])
    material = KeyMaterial("oct", text.encode("utf-8"), None, {})
    material.secret = text
    return material


class KeyPool:
    """Asymmetric keys generated in this process, leased to one living owner at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._free: dict[str, list[KeyMaterial]] = {}
        #: How many keys of each type this process generated (for benchmarks and tests).
        self.generated: Counter[str] = Counter()

    def lease(self, kty: str, owner: object) -> KeyMaterial:
        """A key no other living owner holds; it returns to the pool when ``owner`` dies."""
        with self._lock:
            free = self._free.setdefault(kty, [])
            key = free.pop() if free else None
        if key is None:
            key = generate(kty)
            with self._lock:
                self.generated[kty] += 1
        weakref.finalize(owner, self._give_back, key)
        return key

    def _give_back(self, key: KeyMaterial) -> None:
        with self._lock:
            self._free.setdefault(key.kty, []).append(key)

    def free_count(self, kty: str) -> int:
        with self._lock:
            return len(self._free.get(kty, ()))


POOL = KeyPool()


def lease(algorithm: str, owner: object) -> KeyMaterial:
    """A key for ``algorithm``: a fresh secret for HMAC, a pooled key otherwise."""
    kty = KEY_TYPES[algorithm]
    if kty == "oct":
        return new_secret(algorithm)
    return POOL.lease(kty, owner)


_IMPLEMENTATIONS: dict[str, Algorithm] = {}


def algorithm_object(name: str) -> Algorithm:
    """PyJWT's implementation of ``name`` (shared, it holds no per-key state)."""
    found = _IMPLEMENTATIONS.get(name)
    if found is None:
        found = _IMPLEMENTATIONS[name] = get_default_algorithms()[name]
    return found


def encode_segment(value: dict[str, Any]) -> bytes:
    """A JSON object as a compact JWS segment (UTF-8 JSON, base64url)."""
    return b64url(json.dumps(value, separators=(",", ":"), allow_nan=False).encode("utf-8"))


class Signer:
    """Signs payloads with one key, one algorithm and a fixed header (kid, alg, typ)."""

    __slots__ = ("_algorithm", "_key", "_prefix", "alg", "kid")

    def __init__(
        self, material: KeyMaterial, alg: str, kid: str | None = None, *, typ: str = "JWT"
    ) -> None:
        self.alg = alg
        self.kid = material.kid if kid is None else kid
        self._algorithm = algorithm_object(alg)
        self._key = self._algorithm.prepare_key(material.private)
        header = {"alg": alg, "kid": self.kid, "typ": typ}
        self._prefix = encode_segment(header) + b"."

    def sign(self, claims: dict[str, Any]) -> str:
        signing_input = self._prefix + encode_segment(claims)
        signature = self._algorithm.sign(signing_input, self._key)
        return (signing_input + b"." + b64url(signature)).decode("ascii")
