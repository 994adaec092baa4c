"""fixturekit.errors: every public exception, under one root, with its standard base kept."""

from __future__ import annotations

import inspect
import pickle
import smtplib
import subprocess
import sys

import pytest

import fixturekit as fk
from fixturekit import errors

STANDARD_BASES = {
    "FakeAssertionError": AssertionError,
    "StrictModeError": AssertionError,
    "UnmatchedRequest": AssertionError,
    "RouteExhausted": AssertionError,
    "NetworkBlocked": ConnectionRefusedError,
    "PayloadError": TypeError,
    "MissingDriverError": ImportError,
    "PatternError": ValueError,
    "RunawayJobsError": RuntimeError,
}


def public_exceptions() -> dict[str, type[BaseException]]:
    return {
        name: value
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, BaseException) and not name.startswith("_")
    }


def test_all_lists_every_exception_the_module_defines() -> None:
    assert sorted(errors.__all__) == sorted(public_exceptions())


@pytest.mark.parametrize("name", sorted(public_exceptions()))
def test_every_exception_derives_from_the_one_root(name: str) -> None:
    assert issubclass(getattr(errors, name), errors.FixturekitError)


@pytest.mark.parametrize(("name", "base"), sorted(STANDARD_BASES.items()))
def test_standard_bases_are_kept(name: str, base: type[BaseException]) -> None:
    assert issubclass(getattr(errors, name), base)


def test_the_blocks_raise_the_same_classes_they_export() -> None:
    from fixturekit import db, factories, payments, queue

    assert fk.NetworkBlocked is errors.NetworkBlocked
    assert fk.JobFailed is queue.JobFailed is errors.JobFailed
    assert fk.SandboxEscapeError is db.SandboxEscapeError is errors.SandboxEscapeError
    assert fk.FactoryError is factories.FactoryError is errors.FactoryError
    assert payments.CardError is errors.CardError


def test_the_smtp_refusals_are_smtplib_errors_and_fixturekit_errors() -> None:
    mailer = fk.FakeMailer()
    mailer.fail_next(550, on="rcpt")
    with (
        mailer.patch_smtplib(),
        smtplib.SMTP("mail.test") as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as info,
    ):
        client.sendmail("app@example.com", ["ada@example.com"], b"Subject: x\r\n\r\nx")
    assert isinstance(info.value, errors.FixturekitError)


def test_network_blocked_survives_pickling() -> None:
    error = errors.NetworkBlocked("example.com", 443, ("127.0.0.1",), "connect")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error)
    assert again.errno == error.errno


def test_importing_errors_is_cheap() -> None:
    code = (
        "import sys\nimport fixturekit.errors\n"
        "print(sorted(m for m in ('smtplib', 'sqlalchemy', 'httpx', 'respx', 'ssl') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "[]"
