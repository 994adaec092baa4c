"""Token minting: fixturekit's TokenMinter against bare PyJWT, side by side in one run.

Usage::

    python benchmarks/bench_tokens.py [--repeat 7] [--number 2000] [--json]

Cases, each run ``--number`` times per repetition, repetitions interleaved so that
machine noise hits every case alike:

* ``HS256 minter``: ``minter.mint(sub, scope=...)``, claims filled, recorded on the timeline.
* ``HS256 bare``: the same claims built by hand (time, random jti) and ``jwt.encode``
  with the same secret and ``kid`` header: what a hand-written conftest does.
* ``RS256 minter`` / ``RS256 bare``: the same with the minter's own loaded RSA key
  object passed to ``jwt.encode``.

Then the cost of creating a minter: the first RS256 minter of the process (which
generates its key), later ones (the key pool hands back keys of collected minters),
an HS256 minter, and a bare RSA key generation for reference.

The target (issue 6): the minter reaches at least 90% of bare PyJWT throughput.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from fixturekit.tokens import TokenMinter, _keys

AUDIENCE = "api"
ISSUER = "https://issuer.test"


def _bare(key: Any, algorithm: str, kid: str) -> Callable[[], str]:
    headers = {"kid": kid}

    def encode() -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": "alice",
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "jti": os.urandom(16).hex(),
            "scope": "orders:read",
        }
        return jwt.encode(claims, key, algorithm=algorithm, headers=headers)

    return encode


def _minted(minter: TokenMinter) -> Callable[[], str]:
    def mint() -> str:
        return minter.mint("alice", scope="orders:read")

    return mint


def _signing_key(minter: TokenMinter) -> Any:
    """The loaded key object (or secret) the minter signs with."""
    return minter._current.material.private


def _time(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def _creation_ms(make: Callable[[], object], number: int) -> list[float]:
    times = []
    for _ in range(number):
        gc.collect()
        start = time.perf_counter()
        made = make()
        times.append((time.perf_counter() - start) * 1000)
        del made
    return times


def run(repeat: int, number: int) -> dict[str, Any]:
    # Minter creation first, so that the first RS256 minter meets an empty pool.
    generated_before = _keys.POOL.generated["RSA"]
    start = time.perf_counter()
    first = TokenMinter(issuer=ISSUER, audience=AUDIENCE, algorithm="RS256")
    first_ms = (time.perf_counter() - start) * 1000
    del first
    creation = {
        "RS256 first minter (generates a key)": [first_ms],
        "RS256 later minters (pooled key)": _creation_ms(
            lambda: TokenMinter(issuer=ISSUER, audience=AUDIENCE, algorithm="RS256"), 200
        ),
        "HS256 minter": _creation_ms(
            lambda: TokenMinter(issuer=ISSUER, audience=AUDIENCE, algorithm="HS256"), 200
        ),
        "RSA-2048 key generation (reference)": _creation_ms(
            lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), 5
        ),
    }
    generated = _keys.POOL.generated["RSA"] - generated_before

    hs = TokenMinter(issuer=ISSUER, audience=AUDIENCE, algorithm="HS256")
    rs = TokenMinter(issuer=ISSUER, audience=AUDIENCE, algorithm="RS256")
    cases: dict[str, tuple[Callable[[], str], int]] = {
        "HS256 minter": (_minted(hs), number),
        "HS256 bare jwt.encode": (_bare(hs.secret, "HS256", hs.kid), number),
        "RS256 minter": (_minted(rs), max(1, number // 10)),
        "RS256 bare jwt.encode": (_bare(_signing_key(rs), "RS256", rs.kid), max(1, number // 10)),
    }
    # Both sides must produce tokens the same verifier accepts.
    for name, (fn, _) in cases.items():
        minter = hs if name.startswith("HS") else rs
        assert minter.decode(fn())["sub"] == "alice", name

    rates: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, (fn, count) in cases.items():
            rates[name].append(count / _time(fn, count))

    ratios = {
        alg: [
            m / b
            for m, b in zip(rates[f"{alg} minter"], rates[f"{alg} bare jwt.encode"], strict=True)
        ]
        for alg in ("HS256", "RS256")
    }
    return {
        "python": sys.version.split()[0],
        "pyjwt": jwt.__version__,
        "repeat": repeat,
        "rates": rates,
        "ratios": ratios,
        "creation_ms": creation,
        "rsa_keys_generated_for_201_minters": generated,
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        f"Token minting, Python {result['python']}, PyJWT {result['pyjwt']}, "
        f"{result['repeat']} interleaved repetitions",
        "",
        f"{'case':<24} {'tokens/s median':>16} {'(min-max)':>20} {'us/token':>9}",
    ]
    for name, values in result["rates"].items():
        med = statistics.median(values)
        span = f"({min(values):,.0f}-{max(values):,.0f})"
        lines.append(f"{name:<24} {med:>16,.0f} {span:>20} {1e6 / med:>9.1f}")
    lines.append("")
    for alg, values in result["ratios"].items():
        med = statistics.median(values)
        verdict = "meets" if med >= 0.9 else "MISSES"
        lines.append(
            f"{alg}: minter / bare = {med:.2f}x (min {min(values):.2f}, max {max(values):.2f}); "
            f"{verdict} the 0.90x target"
        )
    lines += ["", f"{'minter creation':<40} {'ms median':>10} {'(min-max)':>18}"]
    for name, values in result["creation_ms"].items():
        span = f"({min(values):.3f}-{max(values):.3f})"
        lines.append(f"{name:<40} {statistics.median(values):>10.3f} {span:>18}")
    lines.append(
        f"RSA keys generated for 201 RS256 minters created one after another: "
        f"{result['rsa_keys_generated_for_201_minters']}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="interleaved repetitions (7)")
    parser.add_argument(
        "--number",
        type=int,
        default=2000,
        help="HS256 tokens per case and repetition (2000); RS256 cases mint a tenth of that",
    )
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.number < 10:
        parser.error("--repeat must be >= 1 and --number >= 10")
    result = run(args.repeat, args.number)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
