"""TokenMinter: JWTs for tests on the shared clock, with rotation and a fake OIDC issuer.

The bad tokens live in `fixturekit.tokens._bad`, the keys in `fixturekit.tokens._keys`
(the application's own in `fixturekit.tokens._supplied`), the issuer in
`fixturekit.tokens._issuer` and its login flows in `fixturekit.tokens._flows`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import jwt

from fixturekit._internal.checks import check_bool, keywords
from fixturekit.clock import Clock
from fixturekit.harness import Fake, ServingFake, Timeline
from fixturekit.tokens import _checks
from fixturekit.tokens._bad import BadTokens
from fixturekit.tokens._checks import DEFAULT_SUB
from fixturekit.tokens._issuer import HTTPRoutes, IssuerServer, route_documents
from fixturekit.tokens._keys import KeyMaterial, Signer, lease
from fixturekit.tokens._supplied import supplied_key

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

__all__ = ["TokenMinter"]

_REQUIRED = ("iss", "sub", "aud", "iat", "nbf", "exp", "jti")


@dataclass(eq=False)
class _PublishedKey:
    material: KeyMaterial
    signer: Signer
    #: When the key leaves the JWKS; None while it is the signing key.
    retire_at: datetime | None = None
    #: The latest ``exp`` of a token signed with it (POSIX seconds).
    last_exp: int = 0

    def published_at(self, when: datetime) -> bool:
        return self.retire_at is None or when < self.retire_at


class TokenMinter(ServingFake, BadTokens):
    """Mints JWTs for tests, signed with fresh keys, on the shared clock.

    ```python
    from fixturekit.tokens import TokenMinter

    minter = TokenMinter(issuer="https://issuer.test", audience="api")
    headers = minter.auth_header(sub="alice", scope="orders:read")
    with minter.serve() as issuer_url:          # discovery, JWKS, token endpoint
        ...
    ```

    Tokens follow the minter's clock: ``iat``, ``nbf`` and ``exp`` come from
    ``clock.now()``, so a token minted now is expired once the clock passes ``exp``.
    Ready-made bad tokens (`expired`, `wrong_audience`, `alg_none`...) test the
    verifier's refusals.

    Arguments:
        issuer: the ``iss`` claim (while `serve` runs, the server's URL instead);
            None leaves ``iss`` out.
        audience: the ``aud`` claim: a string, or a list of strings; None leaves ``aud``
            out (for applications that verify without ``audience=``).
        algorithm: one of ``HS256``, ``HS384``, ``HS512`` (a random secret per minter),
            ``RS256``, ``PS256`` (2048-bit RSA), ``ES256`` (P-256) or ``EdDSA`` (Ed25519).
            By default HS256 with ``secret=``, the key's algorithm with
            ``private_key=``, RS256 otherwise.
        secret: the application's own HMAC secret (str or bytes), for HS256/384/512;
            at least as long as the hash (PyJWT's minimum), or a ValueError says so.
        private_key: the application's own private key for the asymmetric algorithms:
            PEM text or bytes, a `cryptography` private key, or a private JWK dict (whose
            ``kid`` and ``alg`` are used). A key that cannot sign ``algorithm`` is a
            ValueError.
        expires_in: the default lifetime of minted tokens (a timedelta or seconds).
        clock: the `fixturekit.Clock` tokens follow; without one the minter has
            a private virtual clock starting at the real time (see `Fake`).
        timeline: where mints are recorded; a harness sets it.

    Keys are generated in the process, never stored. RSA, EC and Ed25519 keys come from
    a per-process pool: two minters alive at the same time never share a key, and a
    key is handed to a new minter only after the minter holding it was garbage-collected
    (so a suite that creates a minter per test generates only a few keys).

    `reset` keeps everything the minter holds: its configuration (issuer, audience,
    algorithm, lifetime), its keys (the signing key, rotated keys still in their grace
    period, and so the ``kid`` and `jwks`) and a running issuer (`serve`) or JWKS routes
    (`mock_jwks`). Tokens already handed out stay valid. What a minter did is recorded
    on the timeline only, which forgets with the harness.
    """

    name = "tokens"
    served_what = "issuer"
    serve_call = "minter.serve()"

    @keywords
    def __init__(
        self,
        *,
        issuer: str | None = "https://issuer.test",
        audience: str | Iterable[str] | None = "api",
        algorithm: str | None = None,
        secret: str | bytes | None = None,
        private_key: str | bytes | Mapping[str, Any] | PrivateKeyTypes | None = None,
        expires_in: timedelta | float = timedelta(hours=1),
        clock: Clock | None = None,
        timeline: Timeline | None = None,
    ) -> None:
        self._issuer = _checks.check_optional_issuer(issuer)
        self._audience = _checks.check_audience(audience)
        self._algorithm, own = supplied_key(algorithm, secret, private_key)
        self._expires_in = _checks.check_lifetime(expires_in)
        self._lifetime_seconds = int(self._expires_in.total_seconds())
        self._stranger: KeyMaterial | None = None
        self._typed: dict[str, Signer] = {}
        self._id_key: tuple[KeyMaterial, Signer] | None = None
        material = own if own is not None else lease(self._algorithm, self)
        self._keys: list[_PublishedKey] = [
            _PublishedKey(material, Signer(material, self._algorithm))
        ]
        super().__init__(clock=clock, timeline=timeline)

    def reset(self) -> None:
        """Keep the keys, the configuration and a running issuer; the minter records
        nothing but timeline events, so there is nothing of its own to forget."""
        super().reset()

    # --- what the minter is -----------------------------------------------------------

    @property
    def algorithm(self) -> str:
        return self._algorithm

    @property
    def issuer(self) -> str | None:
        """The ``iss`` of tokens minted now: the server URL while `serve` runs; None when
        tokens carry no ``iss`` (``issuer=None``)."""
        served = self._served
        return served.url if served is not None else self._issuer

    @property
    def audience(self) -> str | list[str] | None:
        """The ``aud`` of minted tokens; None when they carry none (``audience=None``)."""
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
    def secret(self) -> str | bytes:
        """The HMAC secret new tokens are signed with (HS256/HS384/HS512 minters only).

        A generated secret is a str; ``secret=`` comes back as it was given. PyJWT and
        most libraries take it as is: the key of a str is its UTF-8 bytes.
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
        sub: str = DEFAULT_SUB,
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
        sub: str = DEFAULT_SUB,
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
        _checks.check_sub(sub)
        if expires_in is None:
            lifetime = self._lifetime_seconds
        else:
            lifetime = int(_checks.check_lifetime(expires_in).total_seconds())
        if issued is None:
            issued = int(self.clock.now().timestamp())
        payload: dict[str, Any] = {"iss": self.issuer, "sub": sub, "aud": self.audience}
        for absent in [name for name in ("iss", "aud") if payload[name] is None]:
            del payload[absent]
        payload.update(
            iat=issued,
            nbf=issued,
            exp=issued + lifetime,
            jti=os.urandom(16).hex(),
        )
        if scope is not None:
            payload["scope"] = _checks.check_scope(scope)
        if roles is not None:
            payload["roles"] = _checks.check_roles(roles)
        if claims:
            _checks.check_claims(claims)
            payload.update(claims)
        return payload

    def issue_token(
        self,
        sub: str,
        *,
        claims: Mapping[str, Any],
        audience: str | list[str] | None = None,
        typ: str = "JWT",
        id_token: bool = False,
    ) -> str:
        """A token as the issuer (`serve`) hands it out: `mint`'s claims plus ``claims``
        (which may include ``scope``, ``client_id``, ``nonce``...), for ``audience``
        instead of the minter's when given (an ID token's ``aud`` is the client id), with
        header ``typ`` (``at+jwt`` for RFC 9068 access tokens). ``id_token`` signs with
        RS256, the ID token algorithm every OpenID client accepts: with the signing key
        of an RS256 minter, with a key of the issuer's own (published in
        `served_jwks`) otherwise."""
        payload = self._claims(sub, None, None, None, {})
        if audience is not None:
            payload["aud"] = audience
        payload.update(claims)
        if id_token and self._algorithm != "RS256":
            _, id_signer = self._id_signer()
            return self._sign(payload, f"issued ID token for {sub!r}", id_signer)
        if typ == "JWT":
            return self._sign(payload, f"issued token for {sub!r}")
        typed = self._typed.get(typ)
        if typed is None or typed.kid != self.kid:
            material = self._current.material
            typed = self._typed[typ] = Signer(material, self._algorithm, typ=typ)
        return self._sign(payload, f"issued {typ} token for {sub!r}", typed, track=True)

    def _id_signer(self) -> tuple[KeyMaterial, Signer]:
        """The RS256 key of a minter that signs with another algorithm (leased once)."""
        if self._id_key is None:
            material = lease("RS256", self)
            self._id_key = (material, Signer(material, "RS256"))
        return self._id_key

    def served_jwks(self) -> dict[str, Any]:
        """The key set the issuer (`serve`) publishes: `jwks` (nothing of an HMAC minter,
        whose secret is never published) plus, for a minter that signs with another
        algorithm than RS256, the RS256 key its ID tokens are signed with."""
        keys = [] if self._algorithm.startswith("HS") else self.jwks["keys"]
        if self._algorithm != "RS256":
            material, _ = self._id_signer()
            jwk: dict[str, Any] = dict(material.public_jwk)
            jwk.update(kid=material.kid, alg="RS256", use="sig")
            keys.append(jwk)
        return {"keys": keys}

    def _sign(
        self,
        payload: dict[str, Any],
        message: str,
        signer: Signer | None = None,
        *,
        track: bool = False,
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
        if (signer is None or track) and type(exp) is int and exp > key.last_exp:
            key.last_exp = exp
        self.record(message, sub=payload.get("sub"), jti=payload.get("jti"), exp=exp)
        return token

    def _stranger_key(self) -> KeyMaterial:
        """A key of the right type that this minter never publishes."""
        if self._stranger is None:
            self._stranger = lease(self._algorithm, self)
        return self._stranger

    # --- verifying (for assertions) ------------------------------------------------------

    @keywords
    def decode(self, token: str, *, leeway: timedelta | float = 0) -> dict[str, Any]:
        """Verify ``token`` as a strict verifier would, at the clock's time; return its claims.

        The signature must come from a key this minter publishes now (found by ``kid``),
        the algorithm must be the minter's, ``iss`` and ``aud`` must match, and
        ``iss``, ``sub``, ``aud``, ``iat``, ``nbf``, ``exp`` and ``jti`` must be present
        (``iss`` and ``aud`` only when the minter has an issuer and an audience; without
        one, a token that carries the claim is refused).
        Failures raise the PyJWT errors listed on the bad-token methods.
        """
        if not isinstance(token, str):
            raise TypeError(f"decode() takes the token as a str, not {type(token).__name__}")
        slack = _checks.check_duration(leeway, "leeway").total_seconds()
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
        issuer = self.issuer
        absent = {"iss"} if issuer is None else set()
        if self._audience is None:
            absent.add("aud")
        payload: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[self._algorithm],
            audience=self._audience,
            issuer=issuer,
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "require": [name for name in _REQUIRED if name not in absent],
            },
        )
        if issuer is None and "iss" in payload:
            raise jwt.InvalidIssuerError(
                f"this minter's tokens carry no iss (issuer=None), this one has {payload['iss']!r}"
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

    @keywords
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
            retire_at = now + _checks.check_duration(grace, "grace")
        material = lease(self._algorithm, self)
        self._keys.append(_PublishedKey(material, Signer(material, self._algorithm)))
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

    @keywords
    def serve(
        self,
        *,
        clients: Mapping[str, str | None] | None = None,
        users: Mapping[str, str] | None = None,
        at_jwt: bool = False,
    ) -> IssuerServer:
        """A fake OIDC issuer on 127.0.0.1: ``with minter.serve() as issuer_url:``.

        It serves ``/.well-known/openid-configuration`` (OpenID Connect Discovery), the
        JWKS at ``/.well-known/jwks.json``, ``/authorize`` (the authorization-code flow
        with PKCE for the user set with `IssuerServer.login_as`), a token endpoint at
        ``/token`` (``authorization_code``, ``refresh_token``, ``client_credentials`` and
        ``password`` grants, form-encoded) and ``/userinfo``. While it runs, the
        minter's `issuer` is ``issuer_url``. ID tokens are signed with RS256, as OpenID
        Connect requires every provider to offer (see `served_jwks`).

        ``clients`` (client id → secret, or None for a public client that sends no
        secret) registers the clients: any other client id is refused with 401
        ``invalid_client``, secrets are compared in constant time. ``users`` (username →
        password) checks the ``password`` grant. Without them any client and any
        password is accepted. ``at_jwt=True`` hands out RFC 9068 access tokens (header
        ``typ`` ``at+jwt``).
        """
        return IssuerServer(
            self,
            clients=_checks.check_credentials(clients, "clients", public=True),
            users=_checks.check_credentials(users, "users"),
            at_jwt=check_bool(at_jwt, "at_jwt"),
        )

    def mock_jwks(self, fake_http: HTTPRoutes) -> str:
        """Serve the discovery document and the JWKS through ``fake_http``; return the issuer.

        For applications that fetch the issuer's keys with httpx: ``fake_http`` (a running
        `fixturekit.FakeHTTP`, the ``http`` fixture) answers
        ``GET <issuer>/.well-known/openid-configuration`` (whose ``jwks_uri`` points at the
        next one) and ``GET <issuer>/.well-known/jwks.json`` with the minter's current key
        set, computed per request, so `rotate` and the grace period show. Both routes are
        optional: an application may fetch only one. ``<issuer>`` is `issuer` now.
        """
        if not (isinstance(fake_http, Fake) and isinstance(fake_http, HTTPRoutes)):
            raise TypeError(
                f"mock_jwks() takes a fixturekit.FakeHTTP (the http fixture), not {fake_http!r}"
            )
        self._require_asymmetric("JWKS to serve", "verify with minter.secret instead")
        issuer = self.issuer
        if issuer is None:
            raise ValueError(
                "mock_jwks() serves the keys under the issuer's URL, and this minter has "
                "issuer=None; create it with issuer='https://...' (the URL the application "
                "fetches the keys from), or use minter.serve()"
            )
        jwks_uri = route_documents(fake_http, issuer, self._algorithm, lambda: self.jwks)
        self.record(f"JWKS served through {fake_http!r} at {jwks_uri}", url=jwks_uri)
        return issuer

    def __repr__(self) -> str:
        state = " running" if self.running else ""
        return f"<TokenMinter {self.name!r} {self._algorithm} iss={self.issuer!r}{state}>"
