"""The mail module is cheap to import; its SMTP half needs the smtp extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_importing_the_mail_module_loads_neither_aiosmtpd_nor_sqlalchemy() -> None:
    result = run(
        """
        import sys
        import fixturekit.mail
        from fixturekit.mail import FakeMailer
        FakeMailer().send(to="ada@example.com", subject="direct needs no extra")
        heavy = [m for m in ("aiosmtpd", "sqlalchemy", "asyncio") if m in sys.modules]
        print(heavy)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_smtp_without_aiosmtpd_names_the_extra_to_install() -> None:
    result = run(
        """
        import sys
        sys.modules["aiosmtpd"] = None  # as if it were not installed
        from fixturekit.mail import FakeMailer
        mailer = FakeMailer()
        for entry in (mailer.smtp_server, mailer.patch_smtplib):
            try:
                entry().start()
            except ImportError as exc:
                print(exc)
        mailer.send(to="ada@example.com", subject="the direct way still works")
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert all("pip install 'fixturekit[smtp]'" in line for line in lines)
