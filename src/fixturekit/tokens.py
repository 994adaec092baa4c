"""TokenMinter: JWTs for tests, ready-made bad tokens, and a fake OIDC issuer.

```python
from fixturekit.tokens import TokenMinter

minter = TokenMinter(issuer="https://issuer.test", audience="api")
headers = minter.auth_header(sub="alice", scope="orders:read")
with minter.serve() as issuer_url:          # discovery, JWKS, token endpoint
    ...
```

Tokens follow the minter's clock (a fake's ``clock``): ``iat``, ``nbf`` and ``exp`` come
from ``clock.now()``, so a token minted now is expired once the clock passes ``exp``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import jwt

from fixturekit import _jwk
from fixturekit.harness import ServingFake
from fixturekit._oidc import DISCOVERY_PATH, JWKS_PATH, IssuerServer
from fixturekit.clock import Clock, to_delta
from fixturekit.harness import Fake, Timeline

if TYPE_CHECKING:
    from fixturekit.http import FakeHTTP

__all__ = ["ALGORITHMS", "IssuerServer", "TokenMinter"]

#: The algorithms a TokenMinter signs with.
ALGORITHMS: tuple[str, ...] = tuple(_jwk.KEY_TYPES)

#: Claims the minter fills itself; ``mint(**claims)`` may not set them.
REGISTERED_CLAIMS: tuple[str, ...] = ("iss", "aud", "iat", "nbf", "exp", "jti")

_WHERE_FROM = {
    "iss": "the minter's issuer= (or wrong_issuer() for a bad token)",
    "aud": "the minter's audience= (or wrong_audience() for a bad token)",
    "iat": "the clock (advance or set the clock; not_yet_valid() for a bad token)",
    "nbf": "the clock (advance or set the clock; not_yet_valid() for a bad token)",
    "exp": "expires_in= (or expired() for a bad token)",
    "jti": "a random value per token",
}

#: How far outside validity the expired and not-yet-valid tokens are: beyond the
#: leeway any verifier is likely to allow.
BAD_TIME_MARGIN = timedelta(minutes=10)

_ZERO = timedelta(0)
_DEFAULT_SUB = "test-user"


@dataclass(eq=False)
class _PublishedKey:
    material: _jwk.KeyMaterial
    signer: _jwk.Signer
    #: When the key leaves the JWKS; None while it is the signing key.
    retire_at: datetime | None = None
    #: The latest ``exp`` of a token signed with it (POSIX seconds).
    last_exp: int = 0

    def published_at(self, when: datetime) -> bool:
        return self.retire_at is None or when < self.retire_at


class TokenMinter(ServingFake):
    """Mints JWTs for tests, signed with fresh keys, on the shared clock.

    Arguments:
        issuer: the ``iss`` claim (while `serve` runs, the server's URL instead).
        audience: the ``aud`` claim: a string, or a list of strings.
        algorithm: one of ``HS256``, ``HS384``, ``HS512`` (a random secret per minter),
            ``RS256``, ``PS256`` (2048-bit RSA), ``ES256`` (P-256) or ``EdDSA`` (Ed25519).
        expires_in: the default lifetime of minted tokens (a timedelta or seconds).
        clock: the `fixturekit.Clock` tokens follow; without one the minter has
            a private virtual clock starting at the real time (see `Fake`).
        timeline: where mints are recorded; a harness sets it.

    Keys are generated in the process, never stored. RSA, EC and Ed25519 keys come from
    a per-process pool: two minters alive at the same time never share a key, and a
    key is handed to a new minter only after the minter holding it was garbage-collected
    (so a suite that creates a minter per test generates only a few keys).
    """

    name = "tokens"
    served_what = "issuer"
    serve_call = "minter.serve()"

    def __init__(
        self,
        *,
        issuer: str = "https://issuer.test",
        audience: str | Iterable[str] = "api",
        algorithm: str = "RS256",
        expires_in: timedelta | float = timedelta(hours=1),
        clock: Clock | None = None,
        timeline: Timeline | None = None,
    ) -> None:
        self._issuer = _check_issuer(issuer, "issuer")
        self._audience = _check_audience(audience)
        self._algorithm = _check_algorithm(algorithm)
        self._expires_in = _check_lifetime(expires_in, "expires_in")
        self._lifetime_seconds = int(self._expires_in.total_seconds())
        self._stranger: _jwk.KeyMaterial | None = None
        material = _jwk.lease(self._algorithm, self)
        self._keys: list[_PublishedKey] = [
            _PublishedKey(material, _jwk.Signer(material, self._algorithm))
        ]
        super().__init__(clock=clock, timeline=timeline)

    # --- what the minter is -----------------------------------------------------------

    @property
    def algorithm(self) -> str:
        return self._algorithm

    @property
    def issuer(self) -> str:
        """The ``iss`` of tokens minted now: the server URL while `serve` runs."""
        served = self._served
        return served.url if served is not None else self._issuer

    @property
    def audience(self) -> str | list[str]:
        aud = self._audience
        return list(aud) if isinstance(aud, tuple) else aud

    @property
    def expires_in(self) -> timedelta:
        """The default lifetime of minted tokens."""
        return self._expires_in

    @property
    def kid(self) -> str:
        """The key id (``kid`` header) new tokens are signed with."""
        return self._current.material.kid

    @property
    def _current(self) -> _PublishedKey:
        return self._keys[-1]

    def _published(self) -> list[_PublishedKey]:
        now = self.clock.now()
        return [key for key in self._keys if key.published_at(now)]

    @property
    def jwks(self) -> dict[str, Any]:
        """The public JSON Web Key Set: the signing key, plus rotated keys in their grace
        period. A new dict on each access."""
        self._require_asymmetric("jwks", "verify with minter.secret instead")
        keys = []
        for key in self._published():
            jwk: dict[str, Any] = dict(key.material.public_jwk)
            jwk.update(kid=key.material.kid, alg=self._algorithm, use="sig")
            keys.append(jwk)
        return {"keys": keys}

    @property
    def public_key_pem(self) -> str:
        """The signing key's public key, PEM-encoded (SubjectPublicKeyInfo)."""
        self._require_asymmetric("public_key_pem", "verify with minter.secret instead")
        return self._current.material.public_pem()

    @property
    def secret(self) -> str:
        """The HMAC secret new tokens are signed with (HS256/HS384/HS512 minters only).

        PyJWT and most libraries take it as is: the key is its UTF-8 bytes.
        """
        if not self._algorithm.startswith("HS"):
            raise AttributeError(
                f"this minter signs with {self._algorithm}, a key pair, so it has no shared "
                "secret; verify with minter.public_key_pem or minter.jwks, or create "
                "TokenMinter(algorithm='HS256') for a secret"
            )
        secret = self._current.material.secret
        assert secret is not None
        return secret

    def _require_asymmetric(self, what: str, instead: str) -> None:
        if self._algorithm.startswith("HS"):
            raise AttributeError(
                f"this minter signs with {self._algorithm}, a shared secret, so it has no "
                f"public key and no {what}; {instead}, or pick an asymmetric algorithm such "
                "as algorithm='RS256'"
            )

    # --- minting ------------------------------------------------------------------------

    def mint(
        self,
        sub: str = _DEFAULT_SUB,
        *,
        expires_in: timedelta | float | None = None,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A signed token for ``sub``, valid from now for ``expires_in``.

        ``iss``, ``aud``, ``iat``, ``nbf``, ``exp`` and ``jti`` are filled in; ``scope``
        (a space-separated string or a list of scopes) becomes the ``scope`` claim,
        ``roles`` a ``roles`` list, and every other keyword a claim of its own.
        """
        payload = self._claims(sub, expires_in, scope, roles, claims)
        return self._sign(payload, f"minted token for {sub!r}")

    def auth_header(
        self,
        sub: str = _DEFAULT_SUB,
        *,
        expires_in: timedelta | float | None = None,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> dict[str, str]:
        """``{"Authorization": "Bearer <token>"}`` for a token minted like `mint`."""
        token = self.mint(sub, expires_in=expires_in, scope=scope, roles=roles, **claims)
        return {"Authorization": f"Bearer {token}"}

    def _claims(
        self,
        sub: object,
        expires_in: object,
        scope: object,
        roles: object,
        claims: dict[str, Any],
        *,
        issued: int | None = None,
    ) -> dict[str, Any]:
        if type(sub) is not str or not sub:
            raise TypeError(f"sub must be a non-empty str such as 'alice', not {sub!r}")
        if expires_in is None:
            lifetime = self._lifetime_seconds
        else:
            lifetime = int(_check_lifetime(expires_in, "expires_in").total_seconds())
        if issued is None:
            issued = int(self.clock.now().timestamp())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": self.audience,
            "iat": issued,
            "nbf": issued,
            "exp": issued + lifetime,
            "jti": os.urandom(16).hex(),
        }
        if scope is not None:
            payload["scope"] = _check_scope(scope)
        if roles is not None:
            payload["roles"] = _check_roles(roles)
        if claims:
            _check_claims(claims)
            payload.update(claims)
        return payload

    def _sign(
        self, payload: dict[str, Any], message: str, signer: _jwk.Signer | None = None
    ) -> str:
        key = self._current
        try:
            token = (signer or key.signer).sign(payload)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"the claims are not JSON-serialisable ({exc}); pass str, int, float, bool, "
                "None, lists and dicts of those (datetimes as int(dt.timestamp()))"
            ) from None
        exp = payload.get("exp")
        if signer is None and type(exp) is int and exp > key.last_exp:
            key.last_exp = exp
        self.record(message, sub=payload.get("sub"), jti=payload.get("jti"), exp=exp)
        return token

    # --- ready-made bad tokens --------------------------------------------------------

    def expired(
        self,
        sub: str = _DEFAULT_SUB,
        *,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A token whose ``exp`` passed ten minutes ago (beyond the usual leeway).

        PyJWT: ``jwt.ExpiredSignatureError``.
        """
        lifetime = self._lifetime_seconds
        now = int(self.clock.now().timestamp())
        issued = now - int(BAD_TIME_MARGIN.total_seconds()) - lifetime
        payload = self._claims(sub, None, scope, roles, claims, issued=issued)
        return self._sign(payload, f"minted bad token (expired) for {sub!r}")

    def not_yet_valid(
        self,
        sub: str = _DEFAULT_SUB,
        *,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A token issued now whose ``nbf`` is ten minutes ahead.

        PyJWT: ``jwt.ImmatureSignatureError``.
        """
        payload = self._claims(sub, None, scope, roles, claims)
        margin = int(BAD_TIME_MARGIN.total_seconds())
        payload["nbf"] += margin
        payload["exp"] += margin
        return self._sign(payload, f"minted bad token (not yet valid) for {sub!r}")

    def wrong_audience(
        self,
        sub: str = _DEFAULT_SUB,
        *,
        audience: str | None = None,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A token for another audience: ``audience``, or the minter's with ``-other``
        appended (which also catches verifiers that compare prefixes).

        PyJWT: ``jwt.InvalidAudienceError``.
        """
        aud = self._audience
        first = aud[0] if isinstance(aud, tuple) else aud
        if audience is not None and (not isinstance(audience, str) or not audience.strip()):
            raise TypeError(
                f"audience must be a non-empty str such as 'other-api', not {audience!r}"
            )
        wrong = f"{first}-other" if audience is None else audience
        if wrong == first or (isinstance(aud, tuple) and wrong in aud):
            raise ValueError(
                f"wrong_audience(audience={wrong!r}) is an audience this minter's tokens "
                f"are for ({aud!r}); pass another value"
            )
        payload = self._claims(sub, None, scope, roles, claims)
        payload["aud"] = wrong
        return self._sign(payload, f"minted bad token (audience {wrong!r}) for {sub!r}")

    def wrong_issuer(
        self,
        sub: str = _DEFAULT_SUB,
        *,
        issuer: str | None = None,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A token from another issuer: ``issuer``, or the minter's with ``-other``
        appended (which also catches verifiers that compare prefixes).

        PyJWT: ``jwt.InvalidIssuerError``.
        """
        current = self.issuer
        wrong = f"{current}-other" if issuer is None else _check_issuer(issuer, "issuer")
        if wrong == current:
            raise ValueError(
                f"wrong_issuer(issuer={wrong!r}) is this minter's own issuer; pass another value"
            )
        payload = self._claims(sub, None, scope, roles, claims)
        payload["iss"] = wrong
        return self._sign(payload, f"minted bad token (issuer {wrong!r}) for {sub!r}")

    def bad_signature(
        self,
        sub: str = _DEFAULT_SUB,
        *,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A token with the signing key's ``kid`` but signed by a different key.

        PyJWT: ``jwt.InvalidSignatureError``.
        """
        payload = self._claims(sub, None, scope, roles, claims)
        signer = _jwk.Signer(self._stranger_key(), self._algorithm, kid=self.kid)
        return self._sign(payload, f"minted bad token (bad signature) for {sub!r}", signer)

    def alg_none(
        self,
        sub: str = _DEFAULT_SUB,
        *,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """An unsigned token: header ``alg`` is ``none`` (with the right ``kid``), and the
        signature is empty.

        PyJWT: ``jwt.InvalidAlgorithmError`` (when ``algorithms=`` does not list "none",
        as it never should).
        """
        payload = self._claims(sub, None, scope, roles, claims)
        header = {"alg": "none", "kid": self.kid, "typ": "JWT"}
        token = (_jwk.encode_segment(header) + b"." + _jwk.encode_segment(payload) + b".").decode(
            "ascii"
        )
        self.record(
            f"minted bad token (alg none) for {sub!r}",
            sub=sub,
            jti=payload["jti"],
            exp=payload["exp"],
        )
        return token

    def unknown_kid(
        self,
        sub: str = _DEFAULT_SUB,
        *,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A token whose ``kid`` is in no key set, signed by a key the minter never published.

        PyJWT: ``jwt.PyJWKClientError`` from ``PyJWKClient`` (after it refetched the
        JWKS once); a verifier with one fixed key gets ``jwt.InvalidSignatureError``.
        """
        payload = self._claims(sub, None, scope, roles, claims)
        kid = "unknown-" + os.urandom(8).hex()
        signer = _jwk.Signer(self._stranger_key(), self._algorithm, kid=kid)
        return self._sign(payload, f"minted bad token (unknown kid {kid!r}) for {sub!r}", signer)

    def missing_claim(
        self,
        name: str,
        /,
        sub: str = _DEFAULT_SUB,
        *,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A valid token without the claim ``name`` (``exp``, ``sub``, ``aud``...).

        PyJWT: ``jwt.MissingRequiredClaimError`` when the verifier requires the claim.
        ``aud`` and ``iss`` are required as soon as ``audience=``/``issuer=`` are passed;
        every other claim only when listed in ``options={"require": [...]}``. A verifier
        that does not require ``exp`` accepts a token without it, forever: that is the
        bug ``missing_claim("exp")`` finds.
        """
        if not isinstance(name, str):
            raise TypeError(f"missing_claim() takes a claim name such as 'exp', not {name!r}")
        payload = self._claims(sub, None, scope, roles, claims)
        if name not in payload:
            raise ValueError(
                f"missing_claim({name!r}): the token would not have that claim anyway; "
                f"it has {', '.join(payload)} (pass {name}=... to add a claim, then drop it)"
            )
        del payload[name]
        return self._sign(payload, f"minted bad token (no {name!r} claim) for {sub!r}")

    def tampered(
        self,
        sub: str = _DEFAULT_SUB,
        *,
        changes: Mapping[str, Any] | None = None,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A validly signed token whose payload was changed afterwards, keeping the signature.

        ``changes`` are the claims to overwrite; by default ``"admin"`` is added to
        ``roles`` (a privilege escalation).

        PyJWT: ``jwt.InvalidSignatureError``.
        """
        payload = self._claims(sub, None, scope, roles, claims)
        signed = self._sign(payload, f"minted bad token (tampered) for {sub!r}")
        header, _, signature = signed.split(".")
        if changes is None:
            changes = {"roles": [*payload.get("roles", ()), "admin"]}
        elif not isinstance(changes, Mapping) or not changes:
            raise TypeError(
                f"changes must be a non-empty dict of claims to overwrite, not {changes!r}"
            )
        altered = {**payload, **changes}
        if altered == payload:
            raise ValueError(
                f"tampered(changes={dict(changes)!r}) leaves the payload as it was; "
                "change a claim to a different value"
            )
        body = _jwk.encode_segment(altered).decode("ascii")
        return f"{header}.{body}.{signature}"

    def _stranger_key(self) -> _jwk.KeyMaterial:
        """A key of the right type that this minter never publishes."""
        if self._stranger is None:
            self._stranger = _jwk.lease(self._algorithm, self)
        return self._stranger

    # --- verifying (for assertions) ------------------------------------------------------

    def decode(self, token: str, *, leeway: timedelta | float = 0) -> dict[str, Any]:
        """Verify ``token`` as a strict verifier would, at the clock's time; return its claims.

        The signature must come from a key this minter publishes now (found by ``kid``),
        the algorithm must be the minter's, ``iss`` and ``aud`` must match, and
        ``iss``, ``sub``, ``aud``, ``iat``, ``nbf``, ``exp`` and ``jti`` must be present.
        Failures raise the PyJWT errors listed on the bad-token methods.
        """
        if not isinstance(token, str):
            raise TypeError(f"decode() takes the token as a str, not {type(token).__name__}")
        slack = to_delta(leeway, "leeway").total_seconds()
        if slack < 0:
            raise ValueError(f"leeway must not be negative, got {leeway!r}")
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        keys = {key.material.kid: key for key in self._published()}
        found = keys.get(kid) if isinstance(kid, str) else None
        if found is None:
            raise jwt.PyJWKClientError(
                f'Unable to find a signing key that matches: "{kid}" (this minter publishes '
                f"{', '.join(keys) or 'no keys'})"
            )
        material = found.material
        key = material.private if material.kty == "oct" else material.public
        payload: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[self._algorithm],
            audience=self._audience,
            issuer=self.issuer,
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "require": ["iss", "sub", "aud", "iat", "nbf", "exp", "jti"],
            },
        )
        now = self.clock.now().timestamp()
        if int(payload["exp"]) <= now - slack:
            raise jwt.ExpiredSignatureError("Signature has expired")
        if int(payload["nbf"]) > now + slack:
            raise jwt.ImmatureSignatureError("The token is not yet valid (nbf)")
        if int(payload["iat"]) > now + slack:
            raise jwt.ImmatureSignatureError("The token is not yet valid (iat)")
        return payload

    # --- rotation ----------------------------------------------------------------------

    def rotate(self, *, grace: timedelta | float | None = None) -> str:
        """Sign new tokens with a new key; returns its ``kid``.

        The old key stays in `jwks` (and `decode` accepts it) for ``grace``
        on the clock, by default until the last token it signed expires. ``grace=0``
        unpublishes it at once.
        """
        now = self.clock.now()
        old = self._current
        if grace is None:
            retire_at = max(now, datetime.fromtimestamp(old.last_exp, timezone.utc))
        else:
            step = to_delta(grace, "grace")
            if step < _ZERO:
                raise ValueError(f"grace must not be negative, got {grace!r}")
            retire_at = now + step
        material = _jwk.lease(self._algorithm, self)
        self._keys.append(_PublishedKey(material, _jwk.Signer(material, self._algorithm)))
        old.retire_at = retire_at
        self.record(
            f"rotated signing key to {material.kid!r}; {old.material.kid!r} stays published "
            f"until {retire_at.isoformat()}",
            kid=material.kid,
            old_kid=old.material.kid,
            retire_at=retire_at,
        )
        return material.kid

    # --- the fake OIDC issuer ----------------------------------------------------------

    def serve(
        self,
        *,
        clients: Mapping[str, str] | None = None,
        users: Mapping[str, str] | None = None,
    ) -> IssuerServer:
        """A fake OIDC issuer on 127.0.0.1: ``with minter.serve() as issuer_url:``.

        It serves ``/.well-known/openid-configuration``, the JWKS at
        ``/.well-known/jwks.json`` and a token endpoint at ``/token`` (``client_credentials``
        and ``password`` grants, form-encoded). While it runs, the minter's `issuer`
        is ``issuer_url``. ``clients`` (client id → secret) and ``users`` (username →
        password) make the token endpoint check credentials; without them it accepts any.
        """
        for what, given in (("clients", clients), ("users", users)):
            if given is not None and not (
                isinstance(given, Mapping)
                and all(isinstance(k, str) and isinstance(v, str) for k, v in given.items())
            ):
                raise TypeError(
                    f"serve()'s {what}= must map names to passwords (str to str), "
                    f"e.g. {{'svc': 's3cret'}}, not {given!r}"
                )
        return IssuerServer(self, clients=clients, users=users)

    def mock_jwks(self, fake_http: FakeHTTP) -> str:
        """Serve the discovery document and the JWKS through ``fake_http``; return the issuer.

        For applications that fetch the issuer's keys with httpx: ``fake_http`` (a running
        `fixturekit.FakeHTTP`, the ``http_mock`` fixture) answers
        ``GET <issuer>/.well-known/openid-configuration`` (whose ``jwks_uri`` points at the
        next one) and ``GET <issuer>/.well-known/jwks.json`` with the minter's current key
        set, computed per request, so `rotate` and the grace period show. Both routes are
        optional: an application may fetch only one. ``<issuer>`` is `issuer` now.
        """
        get = getattr(fake_http, "get", None)
        if not isinstance(fake_http, Fake) or not callable(get):
            raise TypeError(
                "mock_jwks() takes a fixturekit.FakeHTTP (the http_mock fixture), "
                f"not {fake_http!r}"
            )
        self._require_asymmetric("JWKS to serve", "verify with minter.secret instead")
        import httpx

        issuer = self.issuer.rstrip("/")
        jwks_uri = issuer + JWKS_PATH
        discovery = {
            "issuer": self.issuer,
            "jwks_uri": jwks_uri,
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self._algorithm],
        }

        def serve_discovery(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json=discovery, headers={"Cache-Control": "no-store"})

        def serve_jwks(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json=self.jwks, headers={"Cache-Control": "no-store"})

        get(issuer + DISCOVERY_PATH, optional=True).mock(side_effect=serve_discovery)
        get(jwks_uri, optional=True).mock(side_effect=serve_jwks)
        self.record(f"JWKS served through {fake_http!r} at {jwks_uri}", url=jwks_uri)
        return self.issuer

    def __repr__(self) -> str:
        state = " running" if self.running else ""
        return f"<TokenMinter {self.name!r} {self._algorithm} iss={self.issuer!r}{state}>"


# --- argument checks ------------------------------------------------------------------


def _check_issuer(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(
            f"{what} must be a non-empty str such as 'https://issuer.test', not {value!r}"
        )
    return value


def _check_audience(value: object) -> str | tuple[str, ...]:
    if isinstance(value, str):
        if value.strip():
            return value
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        items = tuple(value)
        if items and all(isinstance(item, str) and item.strip() for item in items):
            return items
    raise TypeError(
        f"audience must be a non-empty str such as 'api', or a non-empty list of them, "
        f"not {value!r}"
    )


def _check_algorithm(value: object) -> str:
    if isinstance(value, str) and value in _jwk.KEY_TYPES:
        return value
    hint = ""
    if isinstance(value, str):
        matches = [name for name in ALGORITHMS if name.lower() == value.lower()]
        if matches:
            hint = f" (did you mean {matches[0]!r}?)"
        elif value.lower() == "none":
            hint = " (for an unsigned token, use minter.alg_none())"
    raise ValueError(
        f"unknown algorithm {value!r}{hint}; TokenMinter signs with one of {', '.join(ALGORITHMS)}"
    )


def _check_lifetime(value: object, what: str) -> timedelta:
    step = to_delta(value, what)
    if step <= _ZERO:
        raise ValueError(
            f"{what} must be positive, got {value!r} ({step.total_seconds():g} seconds); "
            "for a token that is already expired "
            "use minter.expired(), for one valid later use minter.not_yet_valid()"
        )
    if step < timedelta(seconds=1):
        raise ValueError(
            f"{what} must be at least one second (JWT times are whole seconds), got {value!r}"
        )
    return step


def _check_scope(value: object) -> str:
    if isinstance(value, str):
        words = value.split()
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        words = list(value)
        for word in words:
            if not isinstance(word, str) or not word or word != word.strip() or " " in word:
                raise TypeError(
                    f"scope items must be single scopes (non-empty str without spaces), "
                    f"got {word!r} in {value!r}"
                )
    else:
        raise TypeError(
            f"scope must be a str such as 'orders:read orders:write' or a list of scopes, "
            f"not {value!r}"
        )
    if not words:
        raise ValueError(f"scope is empty ({value!r}); leave it out for a token without scope")
    return " ".join(words)


def _check_roles(value: object) -> list[str]:
    if isinstance(value, str):
        raise TypeError(
            f"roles must be a list of str, not the str {value!r}; write roles=[{value!r}]"
        )
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        roles = list(value)
        if all(isinstance(role, str) and role for role in roles):
            return roles
    raise TypeError(f"roles must be a list of non-empty str such as ['admin'], not {value!r}")


def _check_claims(claims: dict[str, Any]) -> None:
    for name in claims:
        if name in _WHERE_FROM:
            raise TypeError(
                f"the {name!r} claim is filled by the minter; it comes from {_WHERE_FROM[name]}"
            )
        close = difflib.get_close_matches(name, ("expires_in",), n=1, cutoff=0.75)
        if close:
            raise TypeError(
                f"{name}= looks like a misspelt {close[0]}=; mint() would have made it a claim "
                f"named {name!r}. Write {close[0]}=..."
            )
