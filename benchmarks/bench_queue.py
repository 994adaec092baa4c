"""FakeQueue: pushes and runs against unittest.mock.MagicMock doing the same calls.

Usage::

    python benchmarks/bench_queue.py [--quick] [--repeat 5] [--number 100000] [--json]

Each repetition pushes ``--number`` jobs (``push("send_welcome", {"user_id": i, ...})``)
and then runs them all, in each of these cases; repetitions are interleaved so that
machine noise hits every case alike:

* ``FakeQueue``: ``queue.push(...)`` (payload JSON-checked and copied, job recorded on
  the timeline), then ``queue.run_all()`` calling a registered handler for every job
  (each run recorded on the timeline).
* ``MagicMock``: ``mock.push(...)`` (the call recorded by mock), then a loop over
  ``mock.push.call_args_list`` calling the same handler with each payload: what a
  hand-rolled test with a mock queue does to "run" its jobs.
* ``list``: appending ``(name, payload)`` tuples to a list and looping over it: the
  floor, for reference.

Reported: jobs per second for the push phase, the run phase and both, the per-job
overhead in microseconds, and FakeQueue's time as a ratio of MagicMock's.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any
from unittest.mock import MagicMock

from fixturekit.clock import Clock
from fixturekit.queue import FakeQueue

Case = Callable[[int], tuple[float, float]]


def _payload(i: int) -> dict[str, Any]:
    return {"user_id": i, "template": "welcome", "locale": "en"}


def _handler(payload: dict[str, Any]) -> None:
    payload["user_id"]


def fake_queue(number: int) -> tuple[float, float]:
    queue = FakeQueue(clock=Clock("2024-01-01", patch=False))
    queue.handler("send_welcome", _handler)
    push = queue.push
    started = time.perf_counter()
    for i in range(number):
        push("send_welcome", _payload(i))
    pushed = time.perf_counter()
    queue.run_all(max_steps=number)
    done = time.perf_counter()
    assert len(queue.succeeded) == number
    return pushed - started, done - pushed


def magic_mock(number: int) -> tuple[float, float]:
    queue = MagicMock()
    push = queue.push
    started = time.perf_counter()
    for i in range(number):
        push("send_welcome", _payload(i))
    pushed = time.perf_counter()
    for call in queue.push.call_args_list:
        _handler(call.args[1])
    done = time.perf_counter()
    assert queue.push.call_count == number
    return pushed - started, done - pushed


def plain_list(number: int) -> tuple[float, float]:
    jobs: list[tuple[str, dict[str, Any]]] = []
    append = jobs.append
    started = time.perf_counter()
    for i in range(number):
        append(("send_welcome", _payload(i)))
    pushed = time.perf_counter()
    for _, payload in jobs:
        _handler(payload)
    done = time.perf_counter()
    return pushed - started, done - pushed


CASES: dict[str, Case] = {"FakeQueue": fake_queue, "MagicMock": magic_mock, "list": plain_list}


def measure(repeat: int, number: int) -> dict[str, dict[str, float]]:
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in CASES}
    for _ in range(repeat):
        for name, case in CASES.items():
            gc.collect()
            samples[name].append(case(number))
    results = {}
    for name, runs in samples.items():
        push = statistics.median(run[0] for run in runs)
        run = statistics.median(run[1] for run in runs)
        results[name] = {"push_s": push, "run_s": run, "total_s": push + run}
    return results


def report(results: dict[str, dict[str, float]], number: int) -> str:
    base = results["MagicMock"]
    lines = [
        f"{number:,} jobs pushed then run, median of the repetitions",
        "",
        "| case | push jobs/s | run jobs/s | push+run jobs/s | µs per job | vs MagicMock |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {number / r['push_s']:,.0f} | {number / r['run_s']:,.0f} | "
            f"{number / r['total_s']:,.0f} | {r['total_s'] / number * 1e6:.2f} | "
            f"{r['total_s'] / base['total_s']:.2f}x |"
        )
    fake = results["FakeQueue"]
    lines += [
        "",
        f"push alone: FakeQueue {fake['push_s'] / base['push_s']:.2f}x MagicMock's time; "
        f"run alone: {fake['run_s'] / base['run_s']:.2f}x",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--number", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="3 repetitions of 20,000 jobs")
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    args = parser.parse_args()
    repeat, number = (3, 20_000) if args.quick else (args.repeat, args.number)
    results = measure(repeat, number)
    if args.json:
        print(json.dumps({"number": number, "repeat": repeat, "results": results}, indent=2))
    else:
        print(report(results, number))


if __name__ == "__main__":
    main()
