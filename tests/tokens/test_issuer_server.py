"""The issuer's loopback server: it stops while a client holds a connection, and it
answers a browser's CORS preflight (a single-page app fetching discovery or tokens)."""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

import httpx
import pytest

from fixturekit._internal.loopback import LoopbackHandler
from fixturekit.tokens import TokenMinter


@pytest.mark.parametrize("sent", [b"", b"POST /token HTTP/1.1\r\nContent-Len"])
def test_serve_stops_while_a_client_holds_an_idle_or_half_sent_connection(
    monkeypatch: pytest.MonkeyPatch, sent: bytes
) -> None:
    monkeypatch.setattr(LoopbackHandler, "timeout", 3600.0)  # a request thread would wait
    minter = TokenMinter(algorithm="RS256")
    served = minter.serve()
    url = served.__enter__()
    split = urlsplit(url)
    with socket.create_connection((split.hostname, split.port)) as held:
        held.sendall(sent)
        assert httpx.get(url + "/.well-known/openid-configuration").status_code == 200
        stopper = threading.Thread(target=served.__exit__, args=(None, None, None), daemon=True)
        stopper.start()
        stopper.join(60)  # a hang guard: stopping does not wait on the held connection
        assert not stopper.is_alive()
    assert not served.running


def test_options_preflight_is_answered_with_cors_headers() -> None:
    minter = TokenMinter(algorithm="RS256")
    origin = "http://localhost:5173"
    with minter.serve() as url:
        preflight = httpx.options(
            url + "/token",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        discovery = httpx.get(url + "/.well-known/openid-configuration", headers={"Origin": origin})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    methods = preflight.headers["Access-Control-Allow-Methods"].split(", ")
    assert {"GET", "POST", "OPTIONS"} <= set(methods)
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert discovery.status_code == 200
    assert discovery.headers["Access-Control-Allow-Origin"] == origin
