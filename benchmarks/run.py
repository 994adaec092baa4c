"""fixturekit's Clock against freezegun and time-machine, measured side by side.

Usage::

    python benchmarks/run.py            # full run (a few minutes)
    python benchmarks/run.py --quick    # short run, fewer repetitions
    python benchmarks/run.py --only clock --levels 400,1000,2000

Two parts, each printed as a Markdown table:

1. **Freezing time.** One cycle is: construct, ``start()``, ``stop()``. Each level of
   loaded modules runs in a fresh interpreter that first imports modules until
   ``len(sys.modules)`` reaches the level (stdlib, then sqlalchemy, pydantic, pytest,
   Faker's providers, pygments lexers). The tools run in interleaved repetitions in
   that one process; the table shows median (min-max) microseconds per cycle and the
   median of the per-repetition ratios.
2. **Import cost.** ``python -X importtime -c "<stmt>"`` in fresh processes, the
   targets interleaved, median (min-max) of the runs.

Numbers depend on the machine; compare the ratios, which are measured in one run.
See benchmarks/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import pkgutil
import re
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))

# Modules whose import has side effects (prints, opens windows, starts things) or is
# slow and irrelevant; never imported to build up the module load.
_SKIP_STDLIB = {
    "__hello__",
    "__phello__",
    "antigravity",
    "this",
    "idlelib",
    "tkinter",
    "turtle",
    "turtledemo",
    "test",
    "ensurepip",
    "venv",
    "lib2to3",
    "pydoc_data",
}

# Shown as an en dash and a multiplication sign in the tables.
DASH, TIMES = "\u2013", "\u00d7"

_PACKAGES = ("sqlalchemy", "pydantic", "_pytest", "pytest", "faker")
_SKIP_PACKAGES = ("sqlalchemy.testing", "sqlalchemy.ext.mypy", "pydantic.v1", "pydantic.mypy")


# --- building up a module load ---------------------------------------------------------


def _try_import(name: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.import_module(name)
    except BaseException:  # any module that cannot load is skipped
        sys.modules.pop(name, None)


def _walk(package: str, skip: tuple[str, ...] = ()) -> Iterable[str]:
    """``package`` and its submodules (imported only when they come up)."""
    yield package
    try:
        module = importlib.import_module(package)
    except BaseException:
        return
    path = getattr(module, "__path__", None)
    if path is None:
        return
    for info in pkgutil.walk_packages(path, package + ".", onerror=lambda _: None):
        if not info.name.startswith(skip) and "._" not in info.name and ".test" not in info.name:
            yield info.name


def _candidates() -> Iterable[str]:
    """Module names in the order the load is built: stdlib, libraries, big trees."""
    stdlib = sorted(n for n in sys.stdlib_module_names if n not in _SKIP_STDLIB)
    yield from stdlib
    for name in stdlib:
        yield from _walk(name, skip=tuple(f"{s}." for s in _SKIP_STDLIB))
    for name in _PACKAGES:
        yield from _walk(
            name, skip=("sqlalchemy.testing", "sqlalchemy.ext.mypy", "pydantic.v1", "pydantic.mypy")
        )
    yield from _walk("faker.providers")
    try:
        from pygments.lexers import _mapping

        seen: set[str] = set()
        for module_name, *_ in _mapping.LEXERS.values():
            if module_name not in seen:
                seen.add(module_name)
                yield module_name
    except ImportError:
        pass


def load_modules(target: int) -> int:
    """Import modules until ``len(sys.modules) >= target``; returns the count reached."""
    for name in _candidates():
        if len(sys.modules) >= target:
            break
        if name not in sys.modules:
            _try_import(name)
    return len(sys.modules)


def count_attributes() -> int:
    total = 0
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            total += len(namespace)
    return total


# --- part 1: freezing time (runs inside a worker process) ------------------------------


def _timed(cycle: Callable[[], None], count: int) -> float:
    """Microseconds per call of ``cycle``, over ``count`` calls."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        for _ in range(count):
            cycle()
        elapsed = time.perf_counter() - started
    finally:
        if gc_was_enabled:
            gc.enable()
    return elapsed / count * 1e6


def _check_2024(tool: str, start: Callable[[], Any], stop: Callable[[Any], None]) -> None:
    handle = start()
    try:
        # Looked up after start(): freezegun swaps the module attributes, not the classes.
        import datetime

        seen = (
            datetime.datetime.now().year,
            datetime.date.today().year,
            time.gmtime(time.time()).tm_year,
        )
    finally:
        stop(handle)
    if seen != (2024, 2024, 2024):
        raise SystemExit(
            f"sanity check failed: under {tool}, (datetime.now(), date.today(), time.time()) "
            f"years were {seen}, expected 2024 for all three"
        )


def clock_worker(level: int, reps: int, cycles: int, fg_warm: int) -> dict[str, Any]:
    warnings.simplefilter("ignore")
    # The tools themselves belong to the floor of every level.
    import freezegun
    import freezegun.api
    import time_machine

    from fixturekit.clock import Clock

    reached = load_modules(level)
    attrs = count_attributes()

    # time_machine is imported above, before any fixturekit Clock installs its
    # trampolines: imported after that, its first travel crashes (README: known
    # interaction). One untimed cycle, so its one-time set-up is not in the samples.
    traveller = time_machine.travel("2024-01-01", tick=False)
    traveller.start()
    traveller.stop()

    def ours_cycle() -> None:
        clock = Clock("2024-01-01")
        clock.start()
        clock.stop()

    def tm_cycle() -> None:
        traveller = time_machine.travel("2024-01-01", tick=False)
        traveller.start()
        traveller.stop()

    def fg_cycle() -> None:
        freezer = freezegun.freeze_time("2024-01-01")
        freezer.start()
        freezer.stop()

    cache = getattr(freezegun.api, "_GLOBAL_MODULES_CACHE", None)

    def fg_cold() -> float:
        if not isinstance(cache, dict):
            return float("nan")
        cache.clear()
        return _timed(fg_cycle, 1)

    # Our first enter installs the trampolines (one scan of the loaded modules).
    first_enter = _timed(ours_cycle, 1)
    second_enter = _timed(ours_cycle, 1)

    _check_2024("fixturekit.Clock", lambda: Clock("2024-01-01").start(), lambda c: c.stop())
    _check_tm(time_machine)
    _check_2024(
        "freezegun.freeze_time",
        lambda: _started(freezegun.freeze_time("2024-01-01")),
        lambda f: f.stop(),
    )

    samples: dict[str, list[float]] = {"ours": [], "tm": [], "fg_warm": [], "fg_cold": []}
    runners: list[tuple[str, Callable[[], float]]] = [
        ("ours", lambda: _timed(ours_cycle, cycles)),
        ("tm", lambda: _timed(tm_cycle, cycles)),
        ("fg_warm", lambda: _timed(fg_cycle, fg_warm)),
        ("fg_cold", fg_cold),
    ]
    _timed(fg_cycle, 1)  # fill freezegun's cache before the first warm sample
    for rep in range(reps):
        shift = rep % len(runners)
        for name, run in runners[shift:] + runners[:shift]:
            if name == "fg_warm":
                _timed(fg_cycle, 1)  # the cold sample emptied the cache: refill it
            samples[name].append(run())
        _check_2024("fixturekit.Clock", lambda: Clock("2024-01-01").start(), lambda c: c.stop())

    return {
        "level": level,
        "modules": reached,
        "attrs": attrs,
        "first_enter": first_enter,
        "second_enter": second_enter,
        "samples": samples,
        "cycles": cycles,
        "fg_warm_cycles": fg_warm,
        "python": sys.version.split()[0],
    }


def _started(freezer: Any) -> Any:
    freezer.start()
    return freezer


def _check_tm(time_machine: Any) -> None:
    traveller = time_machine.travel("2024-01-01", tick=False)
    _check_2024("time_machine.travel", lambda: traveller.start(), lambda _: traveller.stop())


# --- part 2: import cost -------------------------------------------------------------


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)\s*$")


def _importtime(code: str) -> list[tuple[str, int]]:
    """Top-level (module, cumulative µs) lines of ``python -X importtime -c code``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},
    )
    top = []
    for line in result.stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match and len(match[3]) == 1:  # one space: not nested under another import
            top.append((match[4], int(match[2])))
    return top


def _modules_added(setup: str, stmt: str) -> int:
    code = (
        f"import sys\n{setup}\nbefore = set(sys.modules)\n{stmt}\n"
        "print(len(set(sys.modules) - before))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def import_costs(runs: int) -> list[dict[str, Any]]:
    targets = [
        ("import fixturekit", "import fixturekit"),
        ("import fixturekit; fixturekit.Clock", "import fixturekit; fixturekit.Clock"),
        ("import fixturekit.pytest_plugin", "import fixturekit.pytest_plugin"),
        ("import freezegun", "import freezegun"),
        ("import time_machine", "import time_machine"),
    ]
    startup = len(_importtime("pass"))
    after_pytest = "import pytest"
    # One untimed run each so .pyc files exist.
    for _, stmt in targets:
        _importtime(stmt)
        _importtime(f"{after_pytest}; {stmt}")
    alone: dict[str, list[float]] = {label: [] for label, _ in targets}
    marginal: dict[str, list[float]] = {label: [] for label, _ in targets}
    for _ in range(runs):
        for label, stmt in targets:
            lines = _importtime(stmt)[startup:]
            alone[label].append(sum(us for _, us in lines) / 1000)
            lines = _importtime(f"{after_pytest}; {stmt}")[startup:]
            names = [name for name, _ in lines]
            rest = lines[names.index("pytest") + 1 :] if "pytest" in names else lines
            marginal[label].append(sum(us for _, us in rest) / 1000)
    rows = []
    for label, stmt in targets:
        rows.append(
            {
                "label": label,
                "alone": alone[label],
                "marginal": marginal[label],
                "modules": _modules_added("", stmt),
                "modules_after_pytest": _modules_added(after_pytest, stmt),
            }
        )
    return rows


# --- reporting -----------------------------------------------------------------------


def _fmt(values: Sequence[float], digits: int = 1) -> str:
    med = statistics.median(values)
    return f"{med:,.{digits}f} ({min(values):,.{digits}f}{DASH}{max(values):,.{digits}f})"


def _ratio(top: Sequence[float], bottom: Sequence[float]) -> str:
    per_rep = [t / b for t, b in zip(top, bottom, strict=True) if b]
    if not per_rep:
        return DASH
    med = statistics.median(per_rep)
    return f"{med:,.2f}{TIMES}" if med < 10 else f"{med:,.0f}{TIMES}"


def print_clock_table(results: list[dict[str, Any]]) -> None:
    print(f"### Freezing time: µs per cycle (construct + start + stop), median (min{DASH}max)\n")
    print(
        "| sys.modules | module attrs | fixturekit first enter | fixturekit Clock "
        "| time-machine | freezegun warm | freezegun cold "
        "| ours / time-machine | freezegun warm / ours | freezegun cold / ours |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        s = r["samples"]
        print(
            f"| {r['modules']:,} | {r['attrs']:,} | {r['first_enter']:,.0f} "
            f"| {_fmt(s['ours'], 2)} | {_fmt(s['tm'], 2)} | {_fmt(s['fg_warm'], 0)} "
            f"| {_fmt(s['fg_cold'], 0)} | {_ratio(s['ours'], s['tm'])} "
            f"| {_ratio(s['fg_warm'], s['ours'])} | {_ratio(s['fg_cold'], s['ours'])} |"
        )
    r0 = results[0]
    reps = len(r0["samples"]["ours"])
    print(
        f"\n{reps} interleaved repetitions per level; per repetition {r0['cycles']} cycles of "
        f"fixturekit and of time-machine, {r0['fg_warm_cycles']} warm freezegun cycles and one "
        "cold one (freezegun's module cache cleared first). Ratios are medians of "
        "per-repetition ratios. 'first enter' is one cycle, the process's first fixturekit "
        f"Clock, which installs the trampolines. Python {r0['python']}."
    )
    if len(results) > 1:
        lo, hi = results[0], results[-1]
        growth = statistics.median(hi["samples"]["ours"]) / statistics.median(lo["samples"]["ours"])
        print(
            f"\nfixturekit per cycle at {hi['modules']:,} modules vs {lo['modules']:,}: "
            f"{growth:.2f}{TIMES} (1.00{TIMES} means flat)."
        )


def print_import_table(rows: list[dict[str, Any]], runs: int) -> None:
    print(f"\n### Import cost: `python -X importtime`, ms, median (min{DASH}max)\n")
    print(
        "| import | cumulative ms | modules loaded | marginal ms after `import pytest` "
        "| modules loaded after pytest |"
    )
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| `{row['label']}` | {_fmt(row['alone'])} | {row['modules']} "
            f"| {_fmt(row['marginal'])} | {row['modules_after_pytest']} |"
        )
    print(f"\n{runs} fresh processes per target, interleaved, after one untimed warm-up run.")


def run_clock_levels(levels: Sequence[int], reps: int, cycles: int, fg_warm: int) -> list[Any]:
    results = []
    for level in levels:
        cmd = [
            sys.executable,
            os.path.abspath(__file__),
            "--worker",
            str(level),
            "--reps",
            str(reps),
            "--cycles",
            str(cycles),
            "--fg-warm",
            str(fg_warm),
        ]
        print(f"… level {level}: fresh interpreter", file=sys.stderr, flush=True)
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"worker for level {level} failed:\n{out.stderr}")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", choices=("clock", "import"), help="run one part")
    parser.add_argument(
        "--levels", default="400,1000,2000", help="sys.modules levels, comma-separated"
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cycles", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--fg-warm", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    reps = args.reps or (3 if args.quick else 9)
    cycles = args.cycles or (500 if args.quick else 2000)
    fg_warm = args.fg_warm or (5 if args.quick else 20)

    if args.worker is not None:
        print(json.dumps(clock_worker(args.worker, reps, cycles, fg_warm)))
        return 0

    if args.only in (None, "clock"):
        levels = [int(x) for x in args.levels.split(",")]
        print_clock_table(run_clock_levels(levels, reps, cycles, fg_warm))
    if args.only in (None, "import"):
        runs = 3 if args.quick else 5
        print_import_table(import_costs(runs), runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
