"""DANE's TLSA values (RFC 6698, RFC 7671, RFC 7672): the `3 1 1` pin of a mail server's key, and whether a
presented certificate matches a TLSA record. Pure: bytes in, strings and booleans out.

A `3 1 1` record is DANE-EE (usage 3), SubjectPublicKeyInfo (selector 1), SHA-256 (matching type 1): RFC 7672
§3.1.1 recommends it for SMTP, RFC 7671 §5.1 defines it. It pins the key, not the certificate, so a renewal
that keeps the key (certbot `--reuse-key`) keeps the record valid.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

SMTP_PORT = 25
DANE_EE, DANE_TA, PKIX_TA, PKIX_EE = 3, 2, 0, 1
SELECTOR_CERT, SELECTOR_SPKI = 0, 1
MATCH_FULL, MATCH_SHA256, MATCH_SHA512 = 0, 1, 2
_PIN = re.compile(r"[0-9a-f]{64}")
MAX_FILE_BYTES = 1 << 20
"""A certificate chain or key file is a few KB; more is not one."""


class KeyReadError(ValueError):
    """The bytes are no certificate, private key or public key this module can read (the message says why)."""


@dataclass(frozen=True)
class Tlsa:
    usage: int
    selector: int
    matching_type: int
    data: bytes

    @classmethod
    def from_text(cls, text: str) -> Tlsa:
        """`3 1 1 ab12...` (a TLSA record's presentation form) -> Tlsa; ValueError when it is not one."""
        parts = text.split()
        if len(parts) < 4:
            raise ValueError(f"not a TLSA value: {text!r}")
        usage, selector, mtype = (int(p) for p in parts[:3])
        return cls(usage, selector, mtype, bytes.fromhex("".join(parts[3:])))

    def text(self) -> str:
        return f"{self.usage} {self.selector} {self.matching_type} {self.data.hex()}"


def record_name(host: str, port: int = SMTP_PORT) -> str:
    """`_25._tcp.<host>`: where a sender looks for the TLSA records of an MX host (RFC 7672 §2.2.3)."""
    return f"_{port}._tcp.{host.rstrip('.').lower()}"


def record_value(pin: str) -> str:
    """The `3 1 1` TLSA value for a SHA-256 SPKI pin."""
    return f"{DANE_EE} {SELECTOR_SPKI} {MATCH_SHA256} {pin}"


def pin_problem(text: object) -> str | None:
    """Why `text` is not a pin (64 hex digits, the SHA-256 of a SubjectPublicKeyInfo), or None."""
    if not isinstance(text, str) or not _PIN.fullmatch(text.strip().lower()):
        return "must be a SHA-256 pin: 64 hexadecimal digits (`zonesync dane pin` writes it)"
    return None


def spki_pin(spki_der: bytes) -> str:
    """The SHA-256 of a DER SubjectPublicKeyInfo, lower-case hex: the data of a `3 1 1` record."""
    return hashlib.sha256(spki_der).hexdigest()


def cert_spki(cert_der: bytes) -> bytes:
    """The DER SubjectPublicKeyInfo of a DER certificate."""
    return _spki(x509.load_der_x509_certificate(cert_der).public_key())


def _spki(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def file_spki(data: bytes) -> tuple[bytes, str]:
    """The public key of a mail server's certificate or key file -> (DER SPKI, what the file held).

    Reads PEM or DER: a certificate (of a chain, the first: the server's own), a private key (unencrypted:
    the server reads it without a passphrase) or a public key. Raises KeyReadError with the reason.
    """
    if len(data) > MAX_FILE_BYTES:
        raise KeyReadError(f"is {len(data)} bytes: more than a certificate chain or key file")
    pem = b"-----BEGIN" in data
    if pem and b"CERTIFICATE-----" in data:
        try:
            return _spki(x509.load_pem_x509_certificates(data)[0].public_key()), "certificate"
        except ValueError as exc:
            raise KeyReadError(f"holds no readable certificate: {exc}") from None
    if pem and b"PRIVATE KEY-----" in data:
        if b"ENCRYPTED" in data:
            raise KeyReadError("holds an encrypted private key: give the certificate instead")
        try:
            return _spki(serialization.load_pem_private_key(data, None).public_key()), "private key"
        except (ValueError, TypeError) as exc:
            raise KeyReadError(f"holds no readable private key: {exc}") from None
    if pem and b"PUBLIC KEY-----" in data:
        try:
            return _spki(serialization.load_pem_public_key(data)), "public key"
        except ValueError as exc:
            raise KeyReadError(f"holds no readable public key: {exc}") from None
    if not pem:
        for load in (x509.load_der_x509_certificate, serialization.load_der_public_key):
            try:
                key = load(data)
            except ValueError:
                continue
            if isinstance(key, x509.Certificate):
                return _spki(key.public_key()), "certificate"
            return _spki(key), "public key"
    raise KeyReadError("holds no certificate, private key or public key (PEM or DER)")


def matches(tlsa: Tlsa, cert_der: bytes) -> bool:
    """Whether the certificate `cert_der` matches `tlsa` by its selector and matching type (RFC 6698 §2.1).

    Usage is the caller's: for DANE-EE (3) this is the whole check, with no name or expiry check (RFC 7672
    §3.1.1). An unknown selector or matching type never matches (RFC 6698 §4.1: unusable).
    """
    if tlsa.selector == SELECTOR_CERT:
        selected = cert_der
    elif tlsa.selector == SELECTOR_SPKI:
        selected = cert_spki(cert_der)
    else:
        return False
    if tlsa.matching_type == MATCH_FULL:
        return selected == tlsa.data
    if tlsa.matching_type == MATCH_SHA256:
        return hashlib.sha256(selected).digest() == tlsa.data
    if tlsa.matching_type == MATCH_SHA512:
        return hashlib.sha512(selected).digest() == tlsa.data
    return False


def digest_for(tlsa: Tlsa, cert_der: bytes) -> str:
    """What the certificate gives for `tlsa`'s selector and matching type, as hex (for a mismatch's message)."""
    selected = cert_der if tlsa.selector == SELECTOR_CERT else cert_spki(cert_der)
    if tlsa.matching_type == MATCH_SHA512:
        return hashlib.sha512(selected).hexdigest()
    if tlsa.matching_type == MATCH_FULL:
        return selected.hex()
    return hashlib.sha256(selected).hexdigest()
