"""Tokens: JWTs for tests, ready-made bad tokens, key rotation and a fake OIDC issuer.

```python
from fixturekit.tokens import TokenMinter

minter = TokenMinter(issuer="https://issuer.test", audience="api")
headers = minter.auth_header("alice", scope="orders:read")
with minter.serve() as issuer_url:          # discovery, JWKS, token endpoint
    ...
```

Tokens follow the minter's clock (a fake's ``clock``): ``iat``, ``nbf`` and ``exp`` come
from ``clock.now()``, so a token minted now is expired once the clock passes ``exp``.
"""

from __future__ import annotations

from fixturekit.tokens._issuer import IssuerServer
from fixturekit.tokens._keys import ALGORITHMS
from fixturekit.tokens._minter import TokenMinter

__all__ = ["ALGORITHMS", "IssuerServer", "TokenMinter"]
