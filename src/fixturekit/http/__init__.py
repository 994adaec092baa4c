"""FakeHTTP: answers the application's httpx requests from routes; NetworkGuard: no stray
connections.

```python
import httpx
from fixturekit.http import FakeHTTP

with FakeHTTP() as http:
    http.get("https://api.test/rates").respond(json={"eur": 1.1})
    assert httpx.get("https://api.test/rates").json() == {"eur": 1.1}
    http.assert_called("GET", "https://api.test/rates")
```

`FakeHTTP` is built on respx: routes take respx's patterns (method, URL, ``params``,
``headers``, ``json``, ``data``, lookups such as ``path__regex``) and are respx routes,
so ``route.mock(side_effect=...)``, ``route.calls`` and ``route.pass_through()`` work as
in respx. On top of that it is strict (a request no route matches fails, and so do routes
never called), scripts sequences and failures (``respond(503, times=2)``, ``timeout()``,
``fail_next()``), records every request on the fake's timeline at the clock's time, and
asserts like the other fakes (``assert_called`` returns the latest matching call,
failures list what was called, closest first).

The HTTP fake's names are imported on first use, so that the network guard (standard
library only) costs the pytest plugin no httpx or respx import. respx comes with the
``http`` extra (``pip install 'fixturekit[http]'``); without it, `FakeHTTP` raises an
ImportError that says so, and `NetworkGuard` works all the same. Inside fixturekit this
package is always imported absolutely (``fixturekit.http``); it never shadows the
standard library's `http` package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fixturekit._internal.lazy import lazy_names
from fixturekit.errors import NetworkBlocked, RouteExhausted, UnmatchedRequest
from fixturekit.http._guard import BlockedConnection, NetworkGuard

if TYPE_CHECKING:
    from fixturekit.http._call import HTTPCall
    from fixturekit.http._fake import FakeHTTP
    from fixturekit.http._route import HTTPRoute

__all__ = [
    "BlockedConnection",
    "FakeHTTP",
    "HTTPCall",
    "HTTPRoute",
    "NetworkBlocked",
    "NetworkGuard",
    "RouteExhausted",
    "UnmatchedRequest",
]

_LAZY = {
    "FakeHTTP": "fixturekit.http._fake",
    "HTTPCall": "fixturekit.http._call",
    "HTTPRoute": "fixturekit.http._route",
}


_lazy_getattr, __dir__ = lazy_names("fixturekit.http", _LAZY, globals(), __all__)


def __getattr__(name: str) -> object:
    try:
        return _lazy_getattr(name)
    except ModuleNotFoundError as exc:
        if exc.name != "respx":
            raise
        raise ImportError(
            f"fixturekit.http.{name} is built on respx, which is not installed: "
            "pip install 'fixturekit[http]' (the http extra)",
            name="respx",
        ) from exc
