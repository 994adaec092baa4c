"""The ready-made bad tokens, one method each, mixed into `TokenMinter`.

Each returns a token valid in every way but one, for the user and claims ``mint()``
takes, and names in its docstring the PyJWT error a strict verifier raises.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fixturekit._internal.checks import check_name
from fixturekit.tokens._checks import DEFAULT_SUB, check_issuer
from fixturekit.tokens._keys import KeyMaterial, Signer, encode_segment

if TYPE_CHECKING:
    from fixturekit.clock import Clock
    from fixturekit.harness import Event

__all__ = ["BAD_TIME_MARGIN", "BadTokens"]

#: How far outside validity the expired and not-yet-valid tokens are: beyond the
#: leeway any verifier is likely to allow.
BAD_TIME_MARGIN = timedelta(minutes=10)

_MARGIN = int(BAD_TIME_MARGIN.total_seconds())


class BadTokens:
    """``expired()``, ``not_yet_valid()``, ``wrong_audience()``, ``wrong_issuer()``,
    ``bad_signature()``, ``alg_none()``, ``unknown_kid()``, ``missing_claim()`` and
    ``tampered()``, over what the minter provides (declared below for type checkers)."""

    if TYPE_CHECKING:
        _algorithm: str
        _audience: str | tuple[str, ...] | None
        _lifetime_seconds: int

        @property
        def clock(self) -> Clock: ...

        @property
        def issuer(self) -> str | None: ...

        @property
        def kid(self) -> str: ...

        def record(self, message: str, /, **data: Any) -> Event: ...

        def _claims(
            self,
            sub: object,
            expires_in: object,
            scope: object,
            roles: object,
            claims: dict[str, Any],
            *,
            issued: int | None = None,
        ) -> dict[str, Any]: ...

        def _sign(
            self, payload: dict[str, Any], message: str, signer: Signer | None = None
        ) -> str: ...

        def _stranger_key(self) -> KeyMaterial: ...

    def expired(
        self,
        sub: str = DEFAULT_SUB,
        *,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A token whose ``exp`` passed ten minutes ago (beyond the usual leeway).

        PyJWT: ``jwt.ExpiredSignatureError``.
        """
        now = int(self.clock.now().timestamp())
        issued = now - _MARGIN - self._lifetime_seconds
        payload = self._claims(sub, None, scope, roles, claims, issued=issued)
        return self._sign(payload, f"minted bad token (expired) for {sub!r}")

    def not_yet_valid(
        self,
        sub: str = DEFAULT_SUB,
        *,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A token issued now whose ``nbf`` is ten minutes ahead.

        PyJWT: ``jwt.ImmatureSignatureError``.
        """
        payload = self._claims(sub, None, scope, roles, claims)
        payload["nbf"] += _MARGIN
        payload["exp"] += _MARGIN
        return self._sign(payload, f"minted bad token (not yet valid) for {sub!r}")

    def wrong_audience(
        self,
        sub: str = DEFAULT_SUB,
        *,
        audience: str | None = None,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A token for another audience: ``audience``, or the minter's with ``-other``
        appended (which also catches verifiers that compare prefixes).

        PyJWT: ``jwt.InvalidAudienceError``. A minter made with ``audience=None`` refuses:
        its tokens carry no ``aud``, so the application does not check one.
        """
        aud = self._audience
        if aud is None:
            raise ValueError(
                "wrong_audience() needs a minter with an audience: this one has "
                "audience=None, so its tokens carry no aud and the application checks none. "
                "Create the minter with audience='<what the application expects>' to test "
                "the audience check"
            )
        first = aud[0] if isinstance(aud, tuple) else aud
        if audience is not None:
            check_name(audience, "audience", example="'other-api'")
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
        sub: str = DEFAULT_SUB,
        *,
        issuer: str | None = None,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A token from another issuer: ``issuer``, or the minter's with ``-other``
        appended (which also catches verifiers that compare prefixes).

        PyJWT: ``jwt.InvalidIssuerError``. A minter made with ``issuer=None`` refuses
        (unless `serve` runs): its tokens carry no ``iss``, so the application checks none.
        """
        current = self.issuer
        if current is None:
            raise ValueError(
                "wrong_issuer() needs a minter with an issuer: this one has issuer=None, so "
                "its tokens carry no iss and the application checks none. Create the minter "
                "with issuer='<what the application expects>' to test the issuer check"
            )
        wrong = f"{current}-other" if issuer is None else check_issuer(issuer)
        if wrong == current:
            raise ValueError(
                f"wrong_issuer(issuer={wrong!r}) is this minter's own issuer; pass another value"
            )
        payload = self._claims(sub, None, scope, roles, claims)
        payload["iss"] = wrong
        return self._sign(payload, f"minted bad token (issuer {wrong!r}) for {sub!r}")

    def bad_signature(
        self,
        sub: str = DEFAULT_SUB,
        *,
        scope: str | Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        **claims: Any,
    ) -> str:
        """A token with the signing key's ``kid`` but signed by a different key.

        PyJWT: ``jwt.InvalidSignatureError``.
        """
        payload = self._claims(sub, None, scope, roles, claims)
        signer = Signer(self._stranger_key(), self._algorithm, kid=self.kid)
        return self._sign(payload, f"minted bad token (bad signature) for {sub!r}", signer)

    def alg_none(
        self,
        sub: str = DEFAULT_SUB,
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
        unsigned = encode_segment(header) + b"." + encode_segment(payload) + b"."
        self.record(
            f"minted bad token (alg none) for {sub!r}",
            sub=sub,
            jti=payload["jti"],
            exp=payload["exp"],
        )
        return unsigned.decode("ascii")

    def unknown_kid(
        self,
        sub: str = DEFAULT_SUB,
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
        signer = Signer(self._stranger_key(), self._algorithm, kid=kid)
        return self._sign(payload, f"minted bad token (unknown kid {kid!r}) for {sub!r}", signer)

    def missing_claim(
        self,
        name: str,
        /,
        sub: str = DEFAULT_SUB,
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
        if name not in payload and name in ("iss", "aud"):
            made = "issuer=None" if name == "iss" else "audience=None"
            raise ValueError(
                f"missing_claim({name!r}): this minter was made with {made}, so none of its "
                f"tokens has {name!r}; a token without it is an ordinary mint()"
            )
        if name not in payload:
            raise ValueError(
                f"missing_claim({name!r}): the token would not have that claim anyway; "
                f"it has {', '.join(payload)} (pass {name}=... to add a claim, then drop it)"
            )
        del payload[name]
        return self._sign(payload, f"minted bad token (no {name!r} claim) for {sub!r}")

    def tampered(
        self,
        sub: str = DEFAULT_SUB,
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
        signed = self._sign(payload, f"minted bad token (tampered) for {sub!r}")
        header, _, signature = signed.split(".")
        body = encode_segment(altered).decode("ascii")
        return f"{header}.{body}.{signature}"
