"""What installing fixturekit adds to every pytest start.

Usage::

    python benchmarks/bench_startup.py [--repeat 9] [--wheel PATH] [--extra NAME] [--json]

Builds a wheel of this checkout (``python -m build --wheel``; or takes ``--wheel``),
then makes two virtualenvs in a temporary directory, as a user's project would have
them:

* ``pytest + httpx``: ``pip install pytest httpx``;
* ``pytest + httpx + fixturekit``: the same plus the wheel, default install (or with
  the extras named by ``--extra``, e.g. ``--extra faker --extra http``).

pytest then starts in each on a directory holding one empty test file and a
``pytest.ini`` of its own (``python -m pytest -q -p no:cacheprovider``; plugin
autoloading on, as in any project). Each case runs once untimed (which writes the
bytecode caches, as in an installed project), then ``--repeat`` times, the cases
interleaved. Measured: the CPU time (user + system) of the whole pytest process, from
the operating system's accounting of the finished child: on a busy machine it moves
far less than the wall time, which waits for other work too.

Reported, as medians (min-max) in milliseconds:

* each virtualenv's start, and what fixturekit's install adds (the difference of the
  medians);
* each pytest plugin that the fixturekit virtualenv registers through an entry point
  (fixturekit's own and any a dependency brings): its cost is a full start minus a
  start with ``-p no:NAME``, measured interleaved as well, from the medians and from
  the fastest runs (less sensitive to other work on the machine).

Not a test: nothing asserts a timing. Needs the package index (pip) and ``build``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASE, OURS = "pytest + httpx", "pytest + httpx + fixturekit"


def _env() -> dict[str, str]:
    """This environment without what would point Python or pytest elsewhere."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "PYTEST", "VIRTUAL_ENV", "FIXTUREKIT"))
    }


def _check(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build_wheel(into: Path) -> Path:
    _check([sys.executable, "-m", "build", "--wheel", "--outdir", str(into), str(ROOT)], into)
    (wheel,) = into.glob("fixturekit-*.whl")
    return wheel


def make_venv(where: Path, *requirements: str) -> Path:
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    _check([str(python), "-m", "pip", "install", "--quiet", *requirements], where)
    return python


def entry_point_plugins(python: Path) -> list[str]:
    """The names of the pytest11 entry points installed in that virtualenv."""
    code = (
        "from importlib.metadata import entry_points\n"
        "print('\\n'.join(sorted({e.name for e in entry_points(group='pytest11')})))\n"
    )
    return _check([str(python), "-c", code], Path.cwd()).split()


def time_start(python: Path, project: Path, *args: str) -> float:
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=project, env=_env(), capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 5):  # 5: no tests collected, as an empty file gives
        raise SystemExit(f"pytest failed: {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    return elapsed


def interleaved(cases: dict[str, tuple[Path, tuple[str, ...]]], project: Path, repeat: int) -> Any:
    names = list(cases)
    for name in names:  # untimed: bytecode caches
        python, args = cases[name]
        time_start(python, project, *args)
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repeat):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            python, args = cases[name]
            times[name].append(time_start(python, project, *args))
    return times


def _ms(values: list[float]) -> str:
    return (
        f"{statistics.median(values) * 1000:.0f} "
        f"({min(values) * 1000:.0f}-{max(values) * 1000:.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--wheel", type=Path, help="a fixturekit wheel (default: build one)")
    parser.add_argument("--extra", action="append", default=[], help="install with this extra")
    parser.add_argument("--json", action="store_true", help="print the raw times as JSON")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fixturekit-bench-startup-") as tmp:
        work = Path(tmp)
        wheel = options.wheel.resolve() if options.wheel else build_wheel(work)
        target = str(wheel) + (f"[{','.join(options.extra)}]" if options.extra else "")
        base = make_venv(work / "base", "pytest", "httpx")
        ours = make_venv(work / "ours", "pytest", "httpx", target)
        project = work / "project"
        project.mkdir()
        (project / "pytest.ini").write_text("[pytest]\n")
        (project / "test_empty.py").write_text("")

        plugins = entry_point_plugins(ours)
        cases: dict[str, tuple[Path, tuple[str, ...]]] = {BASE: (base, ()), OURS: (ours, ())}
        for name in plugins:
            cases[f"{OURS}, -p no:{name}"] = (ours, ("-p", f"no:{name}"))
        times = interleaved(cases, project, options.repeat)

    if options.json:
        print(json.dumps(times, indent=2))
        return
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"wheel: {wheel.name}{' with ' + ', '.join(options.extra) if options.extra else ''}")
    print(f"pytest start on one empty test file: CPU ms, median (min-max) of {options.repeat}\n")
    print("| case | start |")
    print("|---|---|")
    for name in (BASE, OURS):
        print(f"| {name} | {_ms(times[name])} |")
    fastest = {name: min(values) for name, values in times.items()}
    added = 1000 * (median[OURS] - median[BASE])
    print(f"\nfixturekit's install adds {added:.0f} ms (medians), ", end="")
    print(f"{1000 * (fastest[OURS] - fastest[BASE]):.0f} ms (fastest runs)\n")
    print("| pytest plugin (entry point) | its cost: full start minus -p no:NAME, ms |")
    print("|---|---|")
    for name in plugins:
        without = f"{OURS}, -p no:{name}"
        cost = 1000 * (median[OURS] - median[without])
        best = 1000 * (fastest[OURS] - fastest[without])
        print(f"| {name} | {cost:.0f} (fastest runs: {best:.0f}) |")


if __name__ == "__main__":
    main()
