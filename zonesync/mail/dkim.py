"""DKIM TXT records and public keys (pure: bytes and text in, values out; files are `keys`' job).

The record is `v=DKIM1; k=<rsa|ed25519>; p=<base64>` (RFC 6376 §3.6.1; k=ed25519 from RFC 8463 §4).
For RSA, `p=` holds the DER SubjectPublicKeyInfo, as RFC 6376's own key-generation example produces
(`openssl rsa -pubout`, appendix C) and every verifier accepts; maddy before v0.1.0 wrote PKCS#1
RSAPublicKey instead (foxcpp/maddy commit 3593a0b, "Fix the wrong RSA key format being used for .dns
file"), so both forms are read as the same key. For Ed25519, `p=` is the raw 32-byte key (RFC 8463 §4.2).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zonesync.base.features import lazy

if TYPE_CHECKING:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
else:  # cryptography (about 15 ms) only when a DKIM key is read or made
    serialization = lazy("cryptography.hazmat.primitives.serialization")
    ed25519 = lazy("cryptography.hazmat.primitives.asymmetric.ed25519")
    rsa = lazy("cryptography.hazmat.primitives.asymmetric.rsa")

if TYPE_CHECKING:
    PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
    PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

MIN_RSA_BITS = 2048
"""RFC 8301 §3.2: signers MUST use RSA keys of at least 1024 bits; 2048 is what receivers (and maddy's
default `newkey_algo rsa2048`) expect today, so zonesync refuses anything smaller."""

PENDING_P = "<generated at apply>"

_SELECTOR = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")
_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def record_name(selector: str, zone: str) -> str:
    """`<selector>._domainkey.<zone>` (RFC 6376 §3.6.2.1)."""
    return f"{selector}._domainkey.{zone}"


def selector_problem(selector: str) -> str | None:
    """Why a selector is not valid (RFC 6376 §3.1: dot-separated sub-domain labels), or None."""
    if len(selector) > 200 or not _SELECTOR.fullmatch(selector):  # match() would let "x\n" through ($)
        return (
            f"selector {selector!r} is not a valid DNS label sequence (RFC 6376 §3.1): use letters, digits "
            "and hyphens, like `default` or `mail2026`"
        )
    return None


def key_type(key: PublicKey | PrivateKey) -> str:
    """The `k=` tag value."""
    return "ed25519" if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey) else "rsa"


def public_key_bytes(key: PublicKey) -> bytes:
    """The `p=` data: SPKI DER for RSA, the raw 32 bytes for Ed25519."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def txt_value(key: PublicKey) -> str:
    """The DKIM key record for a public key."""
    p = base64.b64encode(public_key_bytes(key)).decode("ascii")
    return f"v=DKIM1; k={key_type(key)}; p={p}"


def pending_value(algorithm: str) -> str:
    """Placeholder shown by `plan` for a key that `apply` will generate."""
    return f"v=DKIM1; k={'ed25519' if algorithm == 'ed25519' else 'rsa'}; p={PENDING_P}"


def key_bits(key: PublicKey | PrivateKey) -> int | None:
    return key.key_size if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey) else None


def describe(key: PublicKey | PrivateKey) -> str:
    bits = key_bits(key)
    return f"RSA {bits}-bit" if bits else "Ed25519"


class DkimParseError(ValueError):
    pass


EXCERPT_CHARS = 12
"""How much of a text that is not what it should be a message may quote: enough to recognise a wrong
format (`-----BEGIN CE`, `v=DKIM2`), too little to carry a secret from a file that is not a key."""


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first `limit` characters of `text`, quoted with every control character escaped."""
    return repr(text[:limit]) + ("..." if len(text) > limit else "")


@dataclass(frozen=True)
class DkimRecord:
    tags: dict[str, str]
    k: str
    p: bytes


def parse_tags(text: str) -> dict[str, str]:
    """`tag=value; ...` (RFC 6376 §3.2): whitespace around tags and values is not significant."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        if "=" not in part:
            raise DkimParseError(f"{excerpt(part.strip())} is not tag=value")
        name, value = part.split("=", 1)
        name = name.strip()
        if not _TAG.match(name):
            raise DkimParseError(f"{excerpt(name)} is not a valid tag name")
        if name in tags:
            raise DkimParseError(f"tag {excerpt(name)} appears twice")
        tags[name] = value.strip()
    return tags


def is_dkim_text(text: str) -> bool:
    return text.lstrip().startswith("v=DKIM1") or bool(re.search(r"(^|;)\s*p=", text))


def parse_record(text: str) -> DkimRecord:
    """A DKIM key record -> its tags and decoded key data. Raises DkimParseError."""
    tags = parse_tags(text)
    if "v" in tags and tags["v"] != "DKIM1":
        raise DkimParseError(f"v={excerpt(tags['v'])} is not DKIM1")
    if "p" not in tags:
        raise DkimParseError("no p= tag (the public key)")
    raw = re.sub(r"\s+", "", tags["p"])
    try:
        p = base64.b64decode(raw, validate=True) if raw else b""
    except (binascii.Error, ValueError):
        raise DkimParseError("p= is not valid base64") from None
    return DkimRecord(tags, tags.get("k", "rsa").lower(), p)


def public_key_from_record(text: str) -> PublicKey:
    """The key a record publishes (RSA as SPKI or PKCS#1, or Ed25519). Raises DkimParseError."""
    rec = parse_record(text)
    if not rec.p:
        raise DkimParseError("p= is empty: the key is revoked (RFC 6376 §3.6.1)")
    return public_key_from_der(rec.p, rec.k)


def public_key_from_der(data: bytes, k: str = "rsa") -> PublicKey:
    if k == "ed25519":
        if len(data) != 32:
            raise DkimParseError(f"an Ed25519 key is 32 bytes (RFC 8463 §4.2), this one is {len(data)}")
        return ed25519.Ed25519PublicKey.from_public_bytes(data)
    if k != "rsa":
        raise DkimParseError(f"k={excerpt(k)} is not a key type DKIM defines (rsa, ed25519)")
    try:
        key = serialization.load_der_public_key(data)
    except ValueError:
        try:  # PKCS#1 RSAPublicKey, as maddy < 0.1.0 printed it
            key = serialization.load_der_public_key(_pkcs1_to_spki(data))
        except ValueError:
            raise DkimParseError("p= is neither an RSA SubjectPublicKeyInfo nor a PKCS#1 RSA key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise DkimParseError("k=rsa but p= holds another kind of key")
    return key


def public_key_from_text(text: str) -> PublicKey:
    """A public key file's text: PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`) or a DKIM record (maddy's .dns)."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        try:
            if "RSA PUBLIC KEY" in stripped.split("\n", 1)[0]:
                key = serialization.load_pem_public_key(_pem_to_spki_pem(stripped))
            else:
                key = serialization.load_pem_public_key(stripped.encode())
        except ValueError as exc:
            raise DkimParseError(f"not a readable PEM public key ({exc})") from None
        if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
            raise DkimParseError("DKIM keys are RSA or Ed25519; this is another kind of key")
        return key
    return public_key_from_record(stripped)


def same_key(a: PublicKey, b: PublicKey) -> bool:
    """The same key, whatever form each was written in."""
    if isinstance(a, rsa.RSAPublicKey) and isinstance(b, rsa.RSAPublicKey):
        return a.public_numbers() == b.public_numbers()
    if isinstance(a, ed25519.Ed25519PublicKey) and isinstance(b, ed25519.Ed25519PublicKey):
        return public_key_bytes(a) == public_key_bytes(b)
    return False


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _pkcs1_to_spki(pkcs1: bytes) -> bytes:
    """Wrap a PKCS#1 RSAPublicKey in SubjectPublicKeyInfo (RFC 3279 §2.3.1: rsaEncryption, NULL params)."""
    alg = bytes.fromhex("300d06092a864886f70d0101010500")
    bitstring = b"\x03" + _der_len(len(pkcs1) + 1) + b"\x00" + pkcs1
    body = alg + bitstring
    return b"\x30" + _der_len(len(body)) + body


def _pem_to_spki_pem(pem: str) -> bytes:
    b64 = "".join(line for line in pem.splitlines() if line and not line.startswith("-----"))
    try:
        der = base64.b64decode(b64)
    except (binascii.Error, ValueError):
        raise DkimParseError("PEM body is not base64") from None
    return serialization.load_der_public_key(_pkcs1_to_spki(der)).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
