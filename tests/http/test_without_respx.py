"""respx is the ``http`` extra: without it FakeHTTP asks for the extra, and the network
guard works all the same."""

from __future__ import annotations

import subprocess
import sys

import pytest

WITHOUT_RESPX = """
import sys
sys.modules["respx"] = None  # as if respx were not installed

import fixturekit as fk
from fixturekit.http import NetworkGuard

with NetworkGuard():
    pass
for get in (lambda: fk.FakeHTTP, lambda: __import__("fixturekit.http").http.FakeHTTP):
    try:
        get()
    except ImportError as exc:
        print("ERROR", exc.name, exc)
"""


@pytest.mark.slow
def test_fake_http_without_respx_names_the_http_extra() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_RESPX], capture_output=True, text=True, check=True
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.startswith("ERROR respx fixturekit.http.FakeHTTP is built on respx")
        assert "pip install 'fixturekit[http]'" in line
