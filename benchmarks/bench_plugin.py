"""The pytest plugin's cost to tests that use none of its fixtures.

Usage::

    python benchmarks/bench_plugin.py [--quick] [--tests 2000] [--repeat 9] [--ini LINE]
                                      [--plugin MODULE] [--instructions] [--json]

A temporary directory gets ``--tests`` trivial tests (``def test_n(): pass``, 100 per
file) and a ``pytest.ini`` of its own (plus any ``--ini`` lines, e.g.
``--ini "fixturekit_network_guard = true"`` to price the guard). pytest runs over it
in a fresh interpreter with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``, so only pytest's own
plugins load, in two cases:

* ``pytest``: nothing else;
* ``pytest -p empty``: an empty plugin module loaded with ``-p``. Naming a plugin with
  ``-p`` makes pytest look it up among the installed packages' entry points, which
  costs a few milliseconds whatever the plugin; a normal run (autoload on) reads the
  entry points anyway, so this case is the fair floor for the plugin's own cost;
* ``pytest + fixturekit``: ``-p fixturekit.pytest_plugin`` (or ``--plugin``, to
  compare another version of the plugin).

Each case runs once untimed (which also writes the bytecode caches: they are on, as
in an installed project), then ``--repeat`` times, the cases interleaved (the order
rotates from one repetition to the next). Measured per run: the CPU time (user +
system) of the pytest process, from the operating system's accounting of the finished
child, and the wall time. The whole run counts: start-up, collection and the tests.

Reported: median (min-max) CPU seconds per case; for fixturekit against each of the
other two cases, the CPU ratio (1.03 means 3% more) as the median of the
per-repetition ratios and as the ratio of the fastest runs (less sensitive to other
work on the machine), and the extra CPU per test in microseconds.

CPU time moves with whatever else the machine does. ``--instructions`` counts the
instructions of one run per case instead, under valgrind's callgrind (slow: about a
minute per case; hash randomization off), which repeats to within a fraction of a
percent on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PER_FILE = 100
PLAIN, EMPTY, OURS = "pytest", "pytest -p empty", "pytest + fixturekit"
CASES = (PLAIN, EMPTY, OURS)
EMPTY_PLUGIN = "fixturekit_bench_empty_plugin"


def write_tests(root: Path, count: int, ini: list[str]) -> None:
    """``count`` trivial tests in files of ``PER_FILE``, and an ini that makes ``root``
    the rootdir (so no other project's configuration is read)."""
    (root / "pytest.ini").write_text("\n".join(["[pytest]", *ini]) + "\n")
    (root / f"{EMPTY_PLUGIN}.py").write_text('"""An empty pytest plugin."""\n')
    for start in range(0, count, PER_FILE):
        names = range(start, min(start + PER_FILE, count))
        body = "".join(f"def test_{n}():\n    pass\n\n\n" for n in names)
        (root / f"test_trivial_{start // PER_FILE:03d}.py").write_text(body)


def run_once(root: Path, extra: tuple[str, ...], count: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one pytest run over ``root``."""
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, "."]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    text = output.decode(errors="replace")
    if process.returncode != 0 or f"{count} passed" not in text:
        raise SystemExit(f"pytest {' '.join(extra)} did not pass {count} tests:\n{text}")
    return usage.ru_utime + usage.ru_stime, wall


def _arguments(plugin: str) -> dict[str, tuple[str, ...]]:
    return {PLAIN: (), EMPTY: ("-p", EMPTY_PLUGIN), OURS: ("-p", plugin)}


def count_instructions(root: Path, extra: tuple[str, ...]) -> int:
    """Instructions executed by one pytest run over ``root``, counted by callgrind."""
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONHASHSEED="0")
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *extra,
        ".",
    ]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind pytest {' '.join(extra)} failed:\n{done.stdout}{done.stderr}")
    return int(found.group(1))


def measure_instructions(count: int, ini: list[str], plugin: str) -> dict[str, Any]:
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    arguments = _arguments(plugin)
    with tempfile.TemporaryDirectory(prefix="fixturekit-bench-plugin-") as tmp:
        root = Path(tmp)
        write_tests(root, count, ini)
        for name in CASES:  # warm-up: bytecode caches
            run_once(root, arguments[name], count)
        counted = {name: count_instructions(root, arguments[name]) for name in CASES}
    return {
        "plugin": plugin,
        "tests": count,
        "ini": ini,
        "instructions": counted,
        "against": {
            base: {
                "ratio": counted[OURS] / counted[base],
                "extra_per_test": (counted[OURS] - counted[base]) / count,
            }
            for base in (PLAIN, EMPTY)
        },
    }


def report_instructions(result: dict[str, Any]) -> str:
    ini = f"; ini: {'; '.join(result['ini'])}" if result["ini"] else ""
    lines = [
        f"{result['tests']} trivial tests, instructions counted by callgrind, "
        f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1, -p {result['plugin']}{ini}",
        "",
        "| case | instructions (millions) |",
        "|---|---|",
    ]
    lines += [f"| {name} | {result['instructions'][name] / 1e6:,.1f} |" for name in CASES]
    lines += ["", "| fixturekit against | ratio | extra per test |", "|---|---|---|"]
    for base, numbers in result["against"].items():
        lines.append(
            f"| {base} | {numbers['ratio']:.4f} | {numbers['extra_per_test']:,.0f} instructions |"
        )
    return "\n".join(lines)


def measure(count: int, repeat: int, ini: list[str], plugin: str) -> dict[str, Any]:
    arguments = _arguments(plugin)
    cpu: dict[str, list[float]] = {name: [] for name in CASES}
    wall: dict[str, list[float]] = {name: [] for name in CASES}
    with tempfile.TemporaryDirectory(prefix="fixturekit-bench-plugin-") as tmp:
        root = Path(tmp)
        write_tests(root, count, ini)
        for name in CASES:  # warm-up: bytecode and file system caches
            run_once(root, arguments[name], count)
        for rep in range(repeat):
            shift = rep % len(CASES)
            for name in CASES[shift:] + CASES[:shift]:
                spent, elapsed = run_once(root, arguments[name], count)
                cpu[name].append(spent)
                wall[name].append(elapsed)
    against = {}
    for base in (PLAIN, EMPTY):
        ratios = [ours / other for other, ours in zip(cpu[base], cpu[OURS], strict=True)]
        extra = [
            (ours - other) / count * 1e6 for other, ours in zip(cpu[base], cpu[OURS], strict=True)
        ]
        against[base] = {
            "cpu_ratio": statistics.median(ratios),
            "cpu_ratio_min_max": [min(ratios), max(ratios)],
            "cpu_ratio_fastest": min(cpu[OURS]) / min(cpu[base]),
            "extra_cpu_us_per_test": statistics.median(extra),
        }
    return {
        "plugin": plugin,
        "tests": count,
        "repeat": repeat,
        "ini": ini,
        "cpu_s": cpu,
        "wall_s": wall,
        "against": against,
    }


def _cell(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def report(result: dict[str, Any]) -> str:
    ini = f"; ini: {'; '.join(result['ini'])}" if result["ini"] else ""
    lines = [
        f"{result['tests']} trivial tests, {result['repeat']} interleaved repetitions, "
        f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1, -p {result['plugin']}{ini}",
        "",
        "| case | CPU s per run | wall s per run |",
        "|---|---|---|",
    ]
    for name in CASES:
        lines.append(
            f"| {name} | {_cell(result['cpu_s'][name])} | {_cell(result['wall_s'][name])} |"
        )
    lines += [
        "",
        "| fixturekit against | CPU ratio, median (min-max) | fastest runs | extra CPU per test |",
        "|---|---|---|---|",
    ]
    for base, numbers in result["against"].items():
        low, high = numbers["cpu_ratio_min_max"]
        lines.append(
            f"| {base} | {numbers['cpu_ratio']:.3f} ({low:.3f}-{high:.3f}) "
            f"| {numbers['cpu_ratio_fastest']:.3f} | {numbers['extra_cpu_us_per_test']:.1f} µs |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=2000, help="trivial tests (2000)")
    parser.add_argument("--repeat", type=int, default=9, help="timed runs per case (9)")
    parser.add_argument("--quick", action="store_true", help="3 repetitions")
    parser.add_argument(
        "--ini", action="append", default=[], metavar="LINE", help="an extra ini line"
    )
    parser.add_argument(
        "--plugin",
        default="fixturekit.pytest_plugin",
        help="the plugin module to load, to compare two versions of it "
        "(default: fixturekit.pytest_plugin)",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions under valgrind (one run per case) instead of timing",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args(argv)
    if args.instructions:
        counted = measure_instructions(args.tests, args.ini, args.plugin)
        print(json.dumps(counted, indent=2) if args.json else report_instructions(counted))
        return
    repeat = 3 if args.quick else args.repeat
    result = measure(args.tests, repeat, args.ini, args.plugin)
    print(json.dumps(result, indent=2) if args.json else report(result))


if __name__ == "__main__":
    main()
