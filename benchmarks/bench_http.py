"""Outbound HTTP: FakeHTTP against bare respx and httpx.MockTransport; NetworkGuard overhead.

Usage::

    python benchmarks/bench_http.py [--quick] [--repeat 7] [--number 2000]

Part 1, per-request cost. Each case sends ``GET https://api.test/rates`` through one
``httpx.Client`` and reads the same canned JSON body (``{"eur": 1.1, "usd": 1.0}``):

* ``FakeHTTP``: a running ``FakeHTTP()`` (patching httpcore, as the ``http`` fixture
  does) with one route ``http.get(url).respond(json=...)``: matching, recording the call,
  the timeline event at clock time.
* ``respx``: ``respx.mock()`` with the same route: what a respx user writes.
* ``MockTransport``: ``httpx.Client(transport=httpx.MockTransport(handler))`` returning
  the same response: no routing and no recording, the floor.

Part 2, NetworkGuard: ``socket.create_connection(("127.0.0.1", port))`` to a local
listening socket then ``close()``, unguarded vs inside an active ``NetworkGuard()``
(an allowed loopback connect: the path a test talking to a local database takes).

Repetitions are interleaved, the case order rotating each time; the garbage collector is
off while a batch is timed. Cells are median (min-max) µs per operation; ratios are
medians of per-repetition ratios.
"""

from __future__ import annotations

import argparse
import gc
import socket
import statistics
import sys
import time
from collections.abc import Callable

import httpx
import respx

from fixturekit.http import FakeHTTP, NetworkGuard

URL = "https://api.test/rates"
BODY = {"eur": 1.1, "usd": 1.0}


def _time(fn: Callable[[], object], number: int) -> float:
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        return (time.perf_counter() - start) / number * 1e6
    finally:
        gc.enable()


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def _interleave(
    cases: dict[str, Callable[[], Callable[[], object]]], repeat: int, number: int
) -> dict[str, list[float]]:
    """Per repetition, set each case up (entering its context), time it, tear it down."""
    results: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for rep in range(repeat):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            results[name].append(_time(cases[name](), number))
    return results


def _bench_requests(repeat: int, number: int) -> None:
    client = httpx.Client()
    stack: list[Callable[[], None]] = []

    def fake_http() -> Callable[[], object]:
        _close()
        http = FakeHTTP(strict=False).start()
        http.get(URL).respond(json=BODY)
        stack.append(http.stop)
        return lambda: client.get(URL).json()

    def bare_respx() -> Callable[[], object]:
        _close()
        router = respx.mock(assert_all_called=False)
        router.start()
        router.get(URL).respond(json=BODY)
        stack.append(router.stop)
        return lambda: client.get(URL).json()

    def mock_transport() -> Callable[[], object]:
        _close()
        transport_client = httpx.Client(
            transport=httpx.MockTransport(lambda request: httpx.Response(200, json=BODY))
        )
        stack.append(transport_client.close)
        return lambda: transport_client.get(URL).json()

    def _close() -> None:
        while stack:
            stack.pop()()

    for case in (fake_http, bare_respx, mock_transport):  # warm-up and sanity check
        assert case()() == BODY
    _close()
    results = _interleave(
        {"FakeHTTP": fake_http, "respx": bare_respx, "MockTransport": mock_transport},
        repeat,
        number,
    )
    _close()
    client.close()
    print("## Part 1: one GET with a canned JSON body, through httpx.Client\n")
    print("| case | µs per request, median (min-max) | ratio to FakeHTTP |")
    print("|---|---|---|")
    ours = results["FakeHTTP"]
    for name, values in results.items():
        ratio = statistics.median(o / v for o, v in zip(ours, values, strict=True))
        print(f"| {name} | {_fmt(values)} | FakeHTTP / {name} = {ratio:.2f}x |")
    print()


def _bench_guard(repeat: int, number: int) -> None:
    server = socket.create_server(("127.0.0.1", 0), backlog=4096)
    server.setblocking(False)
    address = server.getsockname()

    def drain() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except BlockingIOError:
                return
            conn.close()

    def connect() -> None:
        socket.create_connection(address).close()
        drain()

    guard = NetworkGuard()

    def unguarded() -> Callable[[], object]:
        if guard.running:
            guard.stop()
        return connect

    def guarded() -> Callable[[], object]:
        if not guard.running:
            guard.start()
        return connect

    results = _interleave({"unguarded": unguarded, "NetworkGuard": guarded}, repeat, number)
    if guard.running:
        guard.stop()
    server.close()
    assert guard.blocked == []
    base = results["unguarded"]
    ours = results["NetworkGuard"]
    ratio = statistics.median(o / b for o, b in zip(ours, base, strict=True))
    extra = statistics.median(o - b for o, b in zip(ours, base, strict=True))
    print("## Part 2: an allowed loopback connect + close (socket.create_connection)\n")
    print("| case | µs per connect, median (min-max) |")
    print("|---|---|")
    for name, values in results.items():
        print(f"| {name} | {_fmt(values)} |")
    print(f"\nNetworkGuard / unguarded = {ratio:.2f}x ({extra:+.1f} µs per connect)\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repetitions, fewer requests")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--number", type=int, default=None)
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)
    number = args.number or (300 if args.quick else 2000)
    print(f"Python {sys.version.split()[0]}, httpx {httpx.__version__}, respx {respx.__version__}")
    print(f"{repeat} interleaved repetitions of {number} operations per case\n")
    _bench_requests(repeat, number)
    _bench_guard(repeat, number)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
