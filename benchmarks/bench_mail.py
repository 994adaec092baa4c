"""FakeMailer against what users pick instead, side by side in one run.

Usage::

    python benchmarks/bench_mail.py            # full run: 10,000 messages per SMTP case
    python benchmarks/bench_mail.py --quick    # 1,000 messages, fewer repetitions
    python benchmarks/bench_mail.py --json

Part 1, **SMTP throughput**: ``smtplib`` sends ``--messages`` small messages (text part,
one recipient) over one connection, to

* ``fixturekit server``: ``mailer.smtp_server()``; every message is parsed into a
  `SentMail`, validated, recorded on the timeline;
* ``fixturekit server, STARTTLS``: ``mailer.smtp_server(tls="starttls")``, the client
  verifying the certificate with ``mailer.ssl_context()`` (the cost of TLS);
* ``fixturekit patched smtplib``: the same client code to a hard-coded host under
  ``mailer.patch_smtplib()`` (a socket pair instead of TCP);
* ``bare aiosmtpd``: aiosmtpd's own ``Controller`` with a handler that appends the
  envelope to a list: what a hand-written conftest does (it needs a fixed port, picked
  here by binding and releasing one, the race ``smtp_server()`` avoids).

Part 2, **direct-send overhead**: ``mailer.send(to=, subject=, text=)`` against
``unittest.mock.MagicMock().send(...)`` with the same arguments (the mock a suite uses
when the app takes a mailer object), ``--calls`` calls per repetition. Target (issue 4):
the direct path within 5x of a bare MagicMock call.

Repetitions are interleaved, their order rotating, with the garbage collector off while
a batch is timed. Cells are median (min-max); ratios are medians of per-repetition
ratios. Compare ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import gc
import json
import smtplib
import socket
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any
from unittest.mock import MagicMock

from aiosmtpd.controller import Controller

from fixturekit.clock import Clock
from fixturekit.mail import FakeMailer

BODY = (
    b"From: app@example.com\r\nTo: ada@example.com\r\nSubject: Welcome\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Hello Ada, verify at https://app.test/verify?t=1\r\n"
)


class _ListHandler:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _send_over(client: smtplib.SMTP, count: int) -> None:
    for _ in range(count):
        client.sendmail("app@example.com", ["ada@example.com"], BODY)


def _timed(fn: Callable[[], None]) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def smtp_case_fixturekit(count: int) -> float:
    mailer = FakeMailer(clock=Clock(patch=False))
    with mailer.smtp_server() as (host, port), smtplib.SMTP(host, port) as client:
        elapsed = _timed(lambda: _send_over(client, count))
    assert len(mailer.outbox) == count, len(mailer.outbox)
    return elapsed


def smtp_case_starttls(count: int) -> float:
    mailer = FakeMailer(clock=Clock(patch=False))
    with mailer.smtp_server(tls="starttls") as (host, port), smtplib.SMTP(host, port) as client:
        client.starttls(context=mailer.ssl_context())
        elapsed = _timed(lambda: _send_over(client, count))
    assert len(mailer.outbox) == count
    return elapsed


def smtp_case_patched(count: int) -> float:
    mailer = FakeMailer(clock=Clock(patch=False))
    with mailer.patch_smtplib(), smtplib.SMTP("smtp.provider.example", 587) as client:
        elapsed = _timed(lambda: _send_over(client, count))
    assert len(mailer.outbox) == count
    return elapsed


def smtp_case_bare(count: int) -> float:
    handler = _ListHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with smtplib.SMTP(controller.hostname, controller.port) as client:
            elapsed = _timed(lambda: _send_over(client, count))
    finally:
        controller.stop()
    assert len(handler.envelopes) == count
    return elapsed


SMTP_CASES: dict[str, Callable[[int], float]] = {
    "fixturekit server": smtp_case_fixturekit,
    "fixturekit server, STARTTLS": smtp_case_starttls,
    "fixturekit patched smtplib": smtp_case_patched,
    "bare aiosmtpd Controller": smtp_case_bare,
}


def direct_case_mailer(calls: int) -> float:
    mailer = FakeMailer(clock=Clock(patch=False))
    send = mailer.send

    def run() -> None:
        for _ in range(calls):
            send(to="ada@example.com", subject="Welcome", text="Hello Ada")

    elapsed = _timed(run)
    assert len(mailer.outbox) == calls
    return elapsed


def direct_case_mock(calls: int) -> float:
    mock = MagicMock()
    send = mock.send

    def run() -> None:
        for _ in range(calls):
            send(to="ada@example.com", subject="Welcome", text="Hello Ada")

    elapsed = _timed(run)
    assert send.call_count == calls
    return elapsed


DIRECT_CASES: dict[str, Callable[[int], float]] = {
    "FakeMailer.send": direct_case_mailer,
    "MagicMock().send": direct_case_mock,
}


def _interleave(
    cases: dict[str, Callable[[int], float]], number: int, repeat: int
) -> dict[str, list[float]]:
    names = list(cases)
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repeat):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            times[name].append(cases[name](number))
    return times


def _cell(values: list[float]) -> str:
    return f"{statistics.median(values):,.1f} ({min(values):,.1f}-{max(values):,.1f})"


def _ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages and repetitions")
    parser.add_argument("--messages", type=int, default=None, help="messages per SMTP case")
    parser.add_argument("--calls", type=int, default=None, help="direct calls per repetition")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    args = parser.parse_args(argv)
    messages = args.messages or (1_000 if args.quick else 10_000)
    calls = args.calls or (5_000 if args.quick else 50_000)
    smtp_repeat = args.repeat or 3
    direct_repeat = args.repeat or (3 if args.quick else 9)

    for case in (*SMTP_CASES.values(), *DIRECT_CASES.values()):  # warm up every path
        case(50)

    smtp = _interleave(SMTP_CASES, messages, smtp_repeat)
    direct = _interleave(DIRECT_CASES, calls, direct_repeat)

    if args.json:
        print(json.dumps({"messages": messages, "calls": calls, "smtp": smtp, "direct": direct}))
        return 0

    print(f"Python {sys.version.split()[0]}")
    print(f"\n## SMTP: {messages:,} messages through smtplib, one connection, x{smtp_repeat}\n")
    print("| case | messages/s, median (min-max) | µs per message | vs bare aiosmtpd |")
    print("|---|---|---|---|")
    bare = smtp["bare aiosmtpd Controller"]
    for name, values in smtp.items():
        rates = [messages / value for value in values]
        per = [value / messages * 1e6 for value in values]
        print(
            f"| {name} | {_cell(rates)} | {statistics.median(per):,.0f} "
            f"| {_ratio(values, bare):.2f}x time |"
        )
    print(f"\n## Direct send: {calls:,} calls per repetition, x{direct_repeat}\n")
    print("| case | µs per call, median (min-max) |")
    print("|---|---|")
    for name, values in direct.items():
        print(f"| {name} | {_cell([value / calls * 1e6 for value in values])} |")
    ratio = _ratio(direct["FakeMailer.send"], direct["MagicMock().send"])
    verdict = "within" if ratio <= 5 else "NOT within"
    print(f"\nFakeMailer.send / MagicMock().send: **{ratio:.2f}x** ({verdict} the 5x target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
