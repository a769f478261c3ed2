"""A real mail server signs with the key zonesync generated: postfix hands a message sent with swaks to
opendkim, whose KeyFile is the private key where `zonesync apply` put it (keys/<zone>_<selector>.key,
PKCS#8 PEM, as the README tells users); dkimpy, a verifier nobody here wrote, checks the signature against
the record Knot serves from the served view. `zonesync verify --smtp` then probes that postfix, STARTTLS
and certificate included."""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.query
import pytest
from harness import free_port, tool
from served_view import served_view
from servers import knot, opendkim, postfix
from world import MAIL_ZONE, ZONE, World, world

KEY = Path("keys") / "example.com_default.key"


class Inbox:
    """An SMTP server (aiosmtpd) that keeps what postfix relays to it."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(envelope.original_content)  # type: ignore[attr-defined]
        self.arrived.set()
        return "250 OK"


@contextlib.contextmanager
def inbox() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield box, controller.port
    finally:
        controller.stop()


@pytest.fixture
def applied(tmp_path: Path, needs) -> Iterator[World]:
    needs("knot", "postfix", "opendkim", "swaks")
    with world(tmp_path / "project") as w:
        w.write(MAIL_ZONE)
        w.apply()
        yield w


@pytest.fixture
def tls(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A certificate for mx.example.com from a test CA: (CA file, certificate chain, key)."""
    import trustme

    ca = trustme.CA()
    folder = tmp_path / "tls"
    folder.mkdir()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    leaf = ca.issue_cert("mx.example.com")
    leaf.private_key_pem.write_to_path(str(folder / "key.pem"))
    (folder / "cert.pem").write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    return folder / "ca.pem", folder / "cert.pem", folder / "key.pem"


def txt_from(port: int):  # -> dkimpy's dnsfunc
    def lookup(name: bytes | str, timeout: int = 5) -> bytes:
        name = name.decode() if isinstance(name, bytes) else name
        reply = dns.query.udp(dns.message.make_query(name, "TXT"), "127.0.0.1", port=port, timeout=2)
        return b"".join(s for rrset in reply.answer for rd in rrset for s in rd.strings)

    return lookup


def test_postfix_and_opendkim_sign_with_the_generated_key(applied: World, tls, tmp_path: Path) -> None:
    import dkim as dkimpy

    _ca, cert, key = tls
    key_file = applied.root / KEY
    assert key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, as documented
    zone = served_view(applied.export(), ZONE)
    with (
        knot(tmp_path / "knot", {ZONE: zone}) as dns_port,
        inbox() as (box, sink_port),
        opendkim(tmp_path / "opendkim", ZONE, "default", key_file) as milter_port,
        postfix(tmp_path / "postfix", "mx.example.com", milter_port, sink_port, cert, key) as (smtp_port, _),
    ):
        sent = subprocess.run(
            [tool("swaks"), "--server", f"127.0.0.1:{smtp_port}", "--from", "alice@example.com",
             "--to", "bob@example.net", "--header", "Subject: signed by opendkim",
             "--body", "The key zonesync generated, used by a real signer."],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert box.arrived.wait(30), (tmp_path / "postfix" / "maillog").read_text()
        (message,) = box.messages
        assert b"DKIM-Signature:" in message and b"d=example.com" in message and b"s=default" in message
        assert dkimpy.verify(message, dnsfunc=txt_from(dns_port))
        tampered = message.replace(b"a real signer", b"a fake signer")
        assert not dkimpy.verify(tampered, dnsfunc=txt_from(dns_port))


def test_verify_smtp_against_postfix_with_starttls(applied: World, tls, tmp_path: Path) -> None:
    ca, cert, key = tls
    zone = served_view(applied.export(), ZONE)
    closed = free_port()  # the policy host is not part of this test: refused at once
    with (
        knot(tmp_path / "knot", {ZONE: zone}) as dns_port,
        inbox() as (_box, sink_port),
        postfix(tmp_path / "postfix", "mx.example.com", None, sink_port, cert, key) as (smtp_port, _),
    ):
        code, doc = applied.verify(
            "--smtp", "--connect-to", f"mx.example.com:25:127.0.0.1:{smtp_port}",
            "--connect-to", f"mta-sts.example.com:443:127.0.0.1:{closed}", "--ca-file", ca,
            nameserver=f"127.0.0.1:{dns_port}",
        )  # fmt: skip
    smtp = {f["subject"]: f for z in doc["zones"] for f in z["findings"] if f["topic"] == "smtp"}
    assert set(smtp) == {"mx.example.com (203.0.113.25)", "mx.example.com (2001:db8::25)"}, doc
    for finding in smtp.values():
        assert finding["status"] == "pass", finding
        assert finding["message"].startswith("STARTTLS with a certificate valid for mx.example.com"), finding
    assert code == 5  # the policy host was refused; everything else passed
