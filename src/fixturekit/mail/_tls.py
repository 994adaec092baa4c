"""The certificates of the SMTP capture server's TLS, made in-process once per process.

A private certificate authority signs one server certificate for ``localhost``,
``127.0.0.1``, ``::1`` and the server's greeting name. Both are generated with
``cryptography`` (a dependency, through PyJWT's crypto extra) the first time a TLS
server starts or a test asks for `ca_file` / `client_context`, written to a private
temporary directory (removed when the process exits) and reused after that: a process
pays for one key pair per role, whatever the number of servers.

The validity window is fixed and wide (2000 to 2099), so a test clock set anywhere in
between, or a frozen one, never makes the certificates expired or not yet valid.
"""

from __future__ import annotations

import atexit
import ipaddress
import shutil
import ssl
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["Certificates", "certificates", "client_context", "server_context"]

#: The names the server certificate is valid for.
DNS_NAMES = ("localhost", "fixturekit.smtp.test")
IP_ADDRESSES = ("127.0.0.1", "::1")

_NOT_BEFORE = datetime(2000, 1, 1, tzinfo=timezone.utc)
_NOT_AFTER = datetime(2099, 12, 31, tzinfo=timezone.utc)

_lock = threading.Lock()
_made: Certificates | None = None
_server: ssl.SSLContext | None = None


@dataclass(frozen=True)
class Certificates:
    """Where this process's certificates are (PEM files)."""

    #: The certificate authority's certificate: what a verifying client trusts.
    ca_file: str
    #: The server certificate and its private key.
    cert_file: str
    key_file: str


def certificates() -> Certificates:
    """This process's certificates, generated on the first call."""
    global _made
    with _lock:
        if _made is None:
            _made = _generate()
        return _made


def server_context() -> ssl.SSLContext:
    """The server side's TLS context (shared by every server of the process)."""
    global _server
    made = certificates()
    with _lock:
        if _server is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(made.cert_file, made.key_file)
            _server = context
        return _server


def client_context() -> ssl.SSLContext:
    """A new client context that verifies the server against the authority, host name
    included, as ``ssl.create_default_context()`` does against public authorities."""
    return ssl.create_default_context(cafile=certificates().ca_file)


def _generate() -> Certificates:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fixturekit"),
                x509.NameAttribute(NameOID.COMMON_NAME, common),
            ]
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("fixturekit test mail CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    alternative: list[x509.GeneralName] = [x509.DNSName(host) for host in DNS_NAMES]
    alternative += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in IP_ADDRESSES]
    server = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    directory = Path(tempfile.mkdtemp(prefix="fixturekit-tls-"))  # mode 0700
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    pem = serialization.Encoding.PEM
    ca_file = directory / "ca.pem"
    cert_file = directory / "server.pem"
    key_file = directory / "server.key"
    ca_file.write_bytes(ca.public_bytes(pem))
    cert_file.write_bytes(server.public_bytes(pem))
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Certificates(str(ca_file), str(cert_file), str(key_file))
