"""Test helpers for DANE: key pairs and self-signed certificates for an MX host, written as PEM files."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import ssl
from collections.abc import Iterator
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from netservers import closed_port


def new_key(kind: str = "ec") -> object:
    return ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, 2048)


def self_signed(key: object, host: str) -> x509.Certificate:
    """A certificate for `host` signed by its own key (as DANE-EE allows: no CA needed)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )


def key_pem(key: object) -> bytes:
    return key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def pin_of(key: object) -> str:
    """The SHA-256 SPKI pin, computed here independently of zonesync.mail.tlsa."""
    spki = key.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def write_pair(folder: Path, host: str, kind: str = "ec", stem: str = "mx") -> tuple[Path, Path, object]:
    """`<stem>.key` and `<stem>.pem` (certificate) in `folder` -> (key path, cert path, key)."""
    key = new_key(kind)
    folder.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = folder / f"{stem}.key", folder / f"{stem}.pem"
    key_path.write_bytes(key_pem(key))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert_pem(self_signed(key, host)))
    return key_path, cert_path, key


PIN_SHAPE = "0123456789abcdef" * 4
"""A well-formed pin no key has."""


def private_ca(name: str = "DANE test CA") -> tuple[object, x509.Certificate]:
    """A CA of its own (a key and its self-signed CA certificate), as a DANE-TA operator runs one."""
    key = new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)  # type: ignore[attr-defined]
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return key, cert


def issued(
    ca: tuple[object, x509.Certificate], key: object, host: str, days: tuple[int, int] = (-1, 30)
) -> x509.Certificate:
    """A certificate for `host` and `key` issued by `ca`, valid from `days[0]` to `days[1]` days from now."""
    ca_key, ca_cert = ca
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=days[0]))
        .not_valid_after(now + datetime.timedelta(days=days[1]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),  # type: ignore[attr-defined]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )


@contextlib.contextmanager
def dane_server(
    tmp_path: Path,
    key: object,
    names: tuple[str, ...] = ("mx.example.com",),
    starttls: bool = True,
    chain: tuple[x509.Certificate, ...] = (),
) -> Iterator[int]:
    """aiosmtpd on loopback presenting, after STARTTLS, `chain` (the leaf first, for `key`) or else a
    self-signed certificate for `key`."""
    kwargs = {}
    if starttls:
        tmp_path.mkdir(parents=True, exist_ok=True)
        cert = tmp_path / "cert.pem"
        keyfile = tmp_path / "key.pem"
        certs = chain or (self_signed(key, names[0]),)
        cert.write_bytes(b"".join(cert_pem(c) for c in certs))
        keyfile.write_bytes(key_pem(key))
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, keyfile)
        kwargs = {"tls_context": ctx, "require_starttls": False}
    controller = Controller(Sink(), hostname="127.0.0.1", port=closed_port(), **kwargs)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()
