"""The tokens block stands alone: minting loads no other block and no HTTP client."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

OTHER_BLOCKS = ("db", "factories", "http", "mail", "payments", "queue")


@pytest.mark.slow
def test_minting_and_serving_load_no_other_block_and_no_http_client() -> None:
    code = textwrap.dedent(
        """
        import json, sys, urllib.request
        from fixturekit.tokens import TokenMinter

        minter = TokenMinter(algorithm="ES256")
        minter.decode(minter.mint("alice"))
        with minter.serve() as url:
            urllib.request.urlopen(url + "/.well-known/jwks.json", timeout=10).close()
        print(json.dumps(sorted(sys.modules)))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert not {f"fixturekit.{block}" for block in OTHER_BLOCKS} & loaded
    assert not {"httpx", "respx"} & loaded
