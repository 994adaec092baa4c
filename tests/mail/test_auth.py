"""AUTH as providers offer it: the mechanisms advertised, and logins smtplib really makes."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from fixturekit.mail import FakeMailer

from .conftest import only

#: The two ways an smtplib client reaches the mailer over SMTP: the server, the patch.
Connect = Callable[[], smtplib.SMTP]


@pytest.fixture(params=["smtp_server", "patch_smtplib"])
def connect_with(
    request: pytest.FixtureRequest, mailer: FakeMailer
) -> Iterator[Callable[..., Connect]]:
    """``connect_with(**options)`` starts the server (or patch) with those options and
    returns a function opening an smtplib client to it."""
    with ExitStack() as stack:

        def start(**options: Any) -> Connect:
            if request.param == "smtp_server":
                host, port = stack.enter_context(mailer.smtp_server(**options))
                return lambda: smtplib.SMTP(host, port, timeout=10)
            stack.enter_context(mailer.patch_smtplib(**options))
            return lambda: smtplib.SMTP("smtp.provider.example", 587, timeout=10)

        yield start


def test_plain_and_login_are_advertised_by_default(connect_with: Callable[..., Connect]) -> None:
    connect = connect_with()
    with connect() as client:
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]


@pytest.mark.parametrize("password", [None, ""])
def test_login_without_a_password_does_not_crash_smtplib(
    mailer: FakeMailer, connect_with: Callable[..., Connect], password: str | None
) -> None:
    # Against a server advertising CRAM-MD5, smtplib picks it first and fails with
    # AttributeError: 'NoneType' object has no attribute 'encode'.
    connect = connect_with()
    with connect() as client:
        code, _ = client.login("apikey", password)  # type: ignore[arg-type]
        assert code == 235
        client.sendmail("app@example.com", ["ada@example.com"], b"Subject: x\r\n\r\nx")
    assert only(mailer).login == "apikey"


def test_mechanisms_are_configurable_and_listed_in_the_order_given(
    mailer: FakeMailer, connect_with: Callable[..., Connect]
) -> None:
    connect = connect_with(auth_mechanisms=["xoauth2", "CRAM-MD5", "LOGIN"])
    with connect() as client:
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["XOAUTH2", "CRAM-MD5", "LOGIN"]
        code, _ = client.login("ada", "pw")  # smtplib prefers CRAM-MD5
        assert code == 235
        client.sendmail("app@example.com", ["bob@example.com"], b"Subject: x\r\n\r\nx")
    assert only(mailer).login == "ada"


def test_a_mechanism_not_advertised_is_refused_like_a_real_server(
    connect_with: Callable[..., Connect],
) -> None:
    connect = connect_with(auth_mechanisms="LOGIN")
    with connect() as client:
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["LOGIN"]
        code, reply = client.docmd("AUTH", "PLAIN AGFkYQBwdw==")
        assert code == 504
        assert b"Unrecognized authentication type" in reply


def test_no_mechanisms_means_no_auth_extension(connect_with: Callable[..., Connect]) -> None:
    connect = connect_with(auth_mechanisms=())
    with connect() as client:
        client.ehlo()
        assert not client.has_extn("auth")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.login("ada", "pw")
        client.sendmail("app@example.com", ["bob@example.com"], b"Subject: x\r\n\r\nx")


@pytest.mark.parametrize("entry", ["smtp_server", "patch_smtplib"])
def test_unknown_mechanisms_are_refused_with_the_valid_ones(mailer: FakeMailer, entry: str) -> None:
    start = getattr(mailer, entry)
    with pytest.raises(ValueError, match=rf"{entry}\(auth_mechanisms=\) got 'NTLM'.*'CRAM-MD5'"):
        start(auth_mechanisms=["PLAIN", "NTLM"])
    with pytest.raises(TypeError, match=rf"{entry}\(auth_mechanisms=\) takes the mechanisms"):
        start(auth_mechanisms=42)
    with pytest.raises(TypeError, match="did you mean auth_mechanisms="):
        start(auth_mechanism=["PLAIN"])
