"""The Clock shares a process with freezegun and time-machine (one at a time)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def run(script: str) -> str:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_time_machine_imported_after_the_first_clock_still_travels() -> None:
    pytest.importorskip("time_machine")
    out = run(
        """
        from datetime import datetime, timezone
        import fixturekit as fk
        with fk.Clock("2024-01-01"):
            pass
        import time_machine
        with time_machine.travel("2020-01-01", tick=False):
            print(datetime.now(timezone.utc).year)
        with fk.Clock("2024-01-01"):
            print(datetime.now(timezone.utc).year)
        print(datetime.now(timezone.utc).year > 2024)
        """
    )
    assert out.split() == ["2020", "2024", "True"]


def test_a_clock_refuses_to_start_while_time_machine_travels() -> None:
    pytest.importorskip("time_machine")
    out = run(
        """
        import time_machine
        import fixturekit as fk
        with time_machine.travel("2020-01-01", tick=False):
            try:
                fk.Clock("2024-01-01").start()
            except RuntimeError as error:
                print(error)
        """
    )
    assert "time-machine's travel() is active" in out


def test_freezegun_scanning_fixturekit_before_any_clock_breaks_nothing() -> None:
    pytest.importorskip("freezegun")
    out = run(
        """
        from datetime import datetime, timezone
        import fixturekit  # freezegun's scan reaches fixturekit's lazy names
        import freezegun
        with freezegun.freeze_time("2020-01-01"):
            print(datetime.now(timezone.utc).year)
        with fixturekit.Clock("2024-01-01"):
            print(datetime.now(timezone.utc).year, type(datetime.now()).__name__)
        with freezegun.freeze_time("2021-01-01"):
            print(datetime.now(timezone.utc).year)
        print(datetime.now(timezone.utc).year > 2024)
        """
    )
    assert out.split() == ["2020", "2024", "datetime", "2021", "True"]


def test_a_fresh_import_of_fixturekit_takes_over_the_installed_trampolines() -> None:
    # pytester's in-process runs drop modules imported during the run; a later import
    # of fixturekit must still control the time functions copied earlier.
    out = run(
        """
        import sys
        from datetime import datetime, timezone
        import fixturekit.clock
        fixturekit.clock.install()
        from time import time as copied
        for name in [name for name in sys.modules if name.startswith("fixturekit")]:
            del sys.modules[name]
        import fixturekit as fk
        with fk.Clock("2024-01-01"):
            print(int(copied()), datetime.now(timezone.utc).year)
        print(copied() > 1.75e9)
        """
    )
    assert out.split() == ["1704067200", "2024", "True"]
