"""dkimpy as an independent DKIM oracle: sign a message with a private key file, verify it against a TXT
value looked up by a test-supplied function (no DNS)."""

from __future__ import annotations

import base64
from collections.abc import Callable

import dkim as dkimpy
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

MESSAGE = (
    b"From: Alice <alice@example.com>\r\nTo: Bob <bob@example.net>\r\nSubject: DKIM test\r\n"
    b"Date: Wed, 25 Nov 2026 18:00:00 +0000\r\nMessage-ID: <test@example.com>\r\n\r\n"
    b"Signed by the key zonesync generated.\r\n"
)


def signature_verifies(
    private_pem: bytes,
    lookup: Callable[[str], str],
    selector: bytes = b"default",
    domain: bytes = b"example.com",
) -> bool:
    """True when a message signed with `private_pem` verifies against `lookup(<selector>._domainkey.<domain>)`."""
    key = serialization.load_pem_private_key(private_pem, None)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        # dkimpy needs PyNaCl for Ed25519 (the `dkimpy[ed25519]` extra)
        pytest.importorskip(
            "nacl", reason="dkimpy verifies Ed25519 only with PyNaCl: install dkimpy[ed25519]"
        )
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        sig = dkimpy.sign(
            MESSAGE, selector, domain, base64.b64encode(raw), signature_algorithm=b"ed25519-sha256"
        )
    else:
        sig = dkimpy.sign(MESSAGE, selector, domain, private_pem)

    def dnsfunc(name: bytes | str, timeout: int = 5) -> bytes:
        name = name.decode() if isinstance(name, bytes) else name
        return lookup(name.rstrip(".")).encode()

    return bool(dkimpy.verify(sig + MESSAGE, dnsfunc=dnsfunc))
