"""TLS for verify: the client context a sender uses (system store plus `--ca-file`), and certificate
failures told apart (wrong name, expired, untrusted) with what the certificate really says.

OpenSSL verifies (chain, dates, host name); this module only names its verdict. The certificate's names and
dates, for the message, are read with `cryptography` from an unverified second handshake (`unverified()`).
"""

from __future__ import annotations

import _ssl
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from zonesync.verify.connect import NetFailure

# OpenSSL's X509_V_ERR_* codes (x509_vfy.h) for the failures verify names.
_EXPIRED = {10}
_NOT_YET_VALID = {9}
_NAME = {62}
_UNTRUSTED = {2, 18, 19, 20, 21}


def verifying_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system's trust store plus `ca_file`; TLS 1.2 or later, host names checked."""
    ctx = ssl.create_default_context()
    if ca_file is not None:
        try:
            ctx.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise NetFailure("ca-file", f"cannot read CA certificates from {ca_file}: {exc}") from exc
    return ctx


def unverified() -> ssl.SSLContext:
    """Only to read a certificate that failed verification, for the message; never to judge it."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


@dataclass(frozen=True)
class CertInfo:
    names: tuple[str, ...]
    """DNS names of the subjectAltName (else the subject's common name)."""
    not_after: datetime
    issuer: str


def cert_info(der: bytes) -> CertInfo:
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = tuple(str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME))
    return CertInfo(names=names, not_after=cert.not_valid_after_utc, issuer=cert.issuer.rfc4514_string())


def peer_certificate(tls: ssl.SSLSocket, host: str) -> CertInfo:
    """What the certificate `host` presented on `tls` says. Raises NetFailure ("tls") when it presented
    none, which only a context that does not verify lets through."""
    der = tls.getpeercert(binary_form=True)
    if der is None:
        raise NetFailure("tls", f"{host} sent no certificate")
    return cert_info(der)


MAX_CHAIN = 10
"""Certificates of a presented chain kept (the leaf first); a real chain holds two to four."""


def presented_chain(tls: ssl.SSLSocket | ssl.SSLObject) -> tuple[bytes, ...]:
    """The certificates the server sent (DER), the leaf first, at most MAX_CHAIN: what a DANE-TA check
    validates (RFC 7671 §5.2.2). Python 3.13 has `get_unverified_chain()`; 3.11 and 3.12 hold the same call
    on the socket's `_sslobj` (what 3.13's method wraps). Without it, the leaf alone. Empty: no certificate."""
    get = getattr(tls, "get_unverified_chain", None)
    if get is not None:
        chain = [bytes(der) for der in get() or ()]
    else:
        raw = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None)
        chain = [cert.public_bytes(_ssl.ENCODING_DER) for cert in (raw() or ())] if raw is not None else []
    if not chain:
        leaf = tls.getpeercert(binary_form=True)
        chain = [leaf] if leaf else []
    return tuple(chain[:MAX_CHAIN])


def describe(cert: CertInfo) -> str:
    return f"certificate for {', '.join(cert.names) or '(no names)'}, valid until {cert.not_after:%Y-%m-%d}"


def verify_failure(exc: ssl.SSLError, host: str, der: bytes | None) -> NetFailure:
    """Name OpenSSL's verdict on `host`'s certificate; `der` (from an unverified handshake, when one worked)
    adds what the certificate really is for and until when."""
    info = cert_info(der) if der else None
    code = getattr(exc, "verify_code", None)
    if code in _NAME:
        names = ", ".join(info.names) if info else "other names"
        return NetFailure("cert-name", f"the certificate is for {names}, not {host}")
    if code in _EXPIRED:
        when = f" on {info.not_after:%Y-%m-%d}" if info else ""
        return NetFailure("cert-expired", f"the certificate of {host} expired{when}")
    if code in _NOT_YET_VALID:
        return NetFailure("cert-expired", f"the certificate of {host} is not valid yet")
    if code in _UNTRUSTED:
        issuer = f" (issuer {info.issuer})" if info else ""
        return NetFailure(
            "cert-untrusted",
            f"the certificate of {host} is not signed by a trusted CA{issuer}: "
            f"{getattr(exc, 'verify_message', exc.reason)}",
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return NetFailure(
            "cert-untrusted", f"the certificate of {host} does not verify: {exc.verify_message}"
        )
    return NetFailure("tls", f"TLS handshake with {host} failed: {exc.reason or exc}")


def now() -> datetime:
    return datetime.now(UTC)
