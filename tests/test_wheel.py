"""The wheel `python -m build` makes installs into a new virtualenv and passes the
README's quickstart there: the install line the docs give for a checkout works."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART_FILES = ("trial.py", "test_trial.py", "test_trial_unittest.py")
_TITLED = re.compile(r'^```python title="(?P<title>[^"]+)"\n(?P<code>.*?)^```$', re.M | re.S)


def _clean_env() -> dict[str, str]:
    """This environment without what points Python or pytest at the checkout."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "PYTEST", "VIRTUAL_ENV", "FIXTUREKIT"))
    }


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


def _quickstart(into: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = {match["title"]: match["code"] for match in _TITLED.finditer(readme)}
    for name in QUICKSTART_FILES:
        (into / name).write_text(blocks[name])


@pytest.mark.slow
def test_the_built_wheel_installs_and_passes_the_readme_quickstart(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)], tmp_path)
    (wheel,) = dist.glob("fixturekit-*.whl")

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    # what getting-started.md gives: the wheel, and pytest to run the tests with
    _run([python, "-m", "pip", "install", "--quiet", str(wheel), "pytest"], tmp_path)

    project = tmp_path / "project"
    project.mkdir()
    _quickstart(project)
    where = _run([python, "-c", "import fixturekit; print(fixturekit.__file__)"], project)
    assert str(env_dir) in where.stdout  # the installed wheel, not the checkout

    result = _run([python, "-m", "pytest", "-p", "no:cacheprovider"], project)
    assert "2 passed" in result.stdout
    assert "fixturekit: run seed" in result.stdout  # the plugin came with the wheel

    script = _run([python, "test_trial_unittest.py"], project)
    assert "OK" in script.stderr
