"""The rerun command a failing HarnessTestCase prints replays the failure, however its
file was run: as a script, with ``python -m unittest`` or with ``python -m package.module``."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """\
import random
import unittest

from fixturekit.testcase import HarnessTestCase


class SignupTest(HarnessTestCase):
    def test_fails(self):
        print("DRAWN", self.fixturekit_seed, random.random(), flush=True)
        self.assertEqual(1, 2)


if __name__ == "__main__":
    unittest.main()
"""

RERUN = re.compile(r"rerun with (FIXTUREKIT_SEED=\d+ python .+)$", re.MULTILINE)


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[str, str]:
    environment = {**os.environ, **(env or {})}
    environment.pop("FIXTUREKIT_SEED", None)
    environment.update(env or {})
    done = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stdout + done.stderr  # the test fails
    return done.stdout, done.stderr


def _drawn(stdout: str) -> str:
    (line,) = [line for line in stdout.splitlines() if line.startswith("DRAWN")]
    return line


def _replay(printed: str, cwd: Path) -> tuple[str, str]:
    """Run the printed command as a shell would: ``VAR=value python args...``."""
    assignment, *words = shlex.split(printed)
    variable, _, value = assignment.partition("=")
    assert words[0] == "python"
    return _run([sys.executable, *words[1:]], cwd, {variable: value})


def _first_run(command: list[str], cwd: Path) -> tuple[str, str]:
    stdout, stderr = _run(command, cwd)
    match = RERUN.search(stderr)
    assert match is not None, stderr
    return _drawn(stdout), match.group(1)


@pytest.mark.slow
def test_a_script_run_prints_a_command_that_replays_the_same_data(tmp_path: Path) -> None:
    (tmp_path / "test_signup.py").write_text(SCRIPT)
    drawn, printed = _first_run([sys.executable, "test_signup.py"], tmp_path)
    assert "__main__" not in printed
    assert printed.endswith("python test_signup.py SignupTest.test_fails")

    stdout, stderr = _replay(printed, tmp_path)
    assert _drawn(stdout) == drawn  # same test seed, same random data
    assert "Ran 1 test" in stderr


@pytest.mark.slow
def test_a_script_gets_the_seeds_it_gets_under_python_m_unittest(tmp_path: Path) -> None:
    (tmp_path / "test_signup.py").write_text(SCRIPT)
    env = {"FIXTUREKIT_SEED": "405539449"}
    as_script, _ = _run([sys.executable, "test_signup.py"], tmp_path, env)
    as_module, _ = _run([sys.executable, "-m", "unittest", "test_signup"], tmp_path, env)
    assert _drawn(as_script) == _drawn(as_module)


@pytest.mark.slow
def test_a_script_in_another_directory_replays_from_where_it_was_run(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_signup.py").write_text(SCRIPT)
    drawn, printed = _first_run([sys.executable, "tests/test_signup.py"], tmp_path)
    assert printed.endswith("python tests/test_signup.py SignupTest.test_fails")
    stdout, _ = _replay(printed, tmp_path)
    assert _drawn(stdout) == drawn


@pytest.mark.slow
def test_python_m_package_module_prints_the_modules_dotted_name(tmp_path: Path) -> None:
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "__init__.py").write_text("")
    (tmp_path / "suite" / "test_signup.py").write_text(SCRIPT)
    drawn, printed = _first_run([sys.executable, "-m", "suite.test_signup"], tmp_path)
    assert printed.endswith("python -m unittest suite.test_signup.SignupTest.test_fails")
    stdout, _ = _replay(printed, tmp_path)
    assert _drawn(stdout) == drawn


@pytest.mark.slow
def test_python_m_unittest_prints_the_dotted_name(tmp_path: Path) -> None:
    (tmp_path / "test_signup.py").write_text(SCRIPT)
    drawn, printed = _first_run([sys.executable, "-m", "unittest", "test_signup"], tmp_path)
    assert printed.endswith("python -m unittest test_signup.SignupTest.test_fails")
    stdout, _ = _replay(printed, tmp_path)
    assert _drawn(stdout) == drawn
