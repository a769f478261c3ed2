"""A relay (smarthost) the way `mail.relay:` sets one up, with a real postfix: zonesync publishes an SES
relay zone to the emulator and prints postfix's side (`zonesync relay config --server postfix`); those lines
go into a test postfix's main.cf and its sasl_passwd map (`postmap`). swaks hands postfix a message; postfix
passes it to a test relay on port 587 with STARTTLS and a login (aiosmtpd, a trustme certificate postfix
trusts through `smtp_tls_CAfile`). The relay does what SES does: it signs with its own selector and key
(the public key reached through the zone's DKIM CNAME) and sends from its own IP with a return path at the
zone's MAIL FROM domain. Then dkimpy, a verifier nobody here wrote, checks the signature through the CNAME
as the emulator's DNS serves it, and SPF is evaluated for the relay's IP at the return-path domain with
zonesync's own evaluator (verify/spf_eval.py; pyspf is not a test dependency, and checkdmarc checks SPF
syntax and lookups but evaluates no IP).

The relay's host name exists in no DNS here: postfix resolves it from a private /etc/hosts (its own mount
namespace) with `smtp_host_lookup = native`, and the relay listens on an address of its own in 127/8, port 587.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import random
import re
import smtplib
import socket
import ssl
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from harness import free_port, tool
from servers import postfix
from world import ZONE, World, world

from zonesync.verify import spf_eval
from zonesync.verify.resolver import Resolver
from zonesync.verify.result import NetOptions

RELAY_HOST = "email-smtp.eu-west-1.amazonaws.com"
TOKENS = ("tok1aaaaaaaaaaaa", "tok2bbbbbbbbbbbb", "tok3cccccccccccc")
SIGNING_TOKEN = TOKENS[0]
RELAY_ZONE = f"""
zone: {ZONE}
mail:
  preset: maddy
  mx: [mx]
  hosts:
    mx: {{ipv4: [203.0.113.25]}}
  dmarc:
    rua: ["mailto:dmarc@{ZONE}"]
  relay:
    provider: ses
    region: eu-west-1
    dkim_tokens: [{", ".join(TOKENS)}]
"""
LOGIN = ("AKIARELAYTESTUSER", "relay-test-password")


def relay_address() -> str:
    """An address in 127/8 (not postfix's own 127.0.0.1) whose port 587 is free: the relay's own IP."""
    while True:
        ip = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
        with socket.socket() as probe:
            try:
                probe.bind((ip, 587))
            except OSError:
                continue
        return ip


@dataclass
class Arrived:
    peer: str
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class Inbox:
    """The receiving side past the relay: keeps each message with the IP it came from."""

    messages: list[Arrived] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(
            Arrived(
                session.peer[0],  # type: ignore[attr-defined]
                envelope.mail_from,  # type: ignore[attr-defined]
                list(envelope.rcpt_tos),  # type: ignore[attr-defined]
                envelope.original_content,  # type: ignore[attr-defined]
            )
        )
        self.arrived.set()
        return "250 OK"


@dataclass
class Relay:
    """What the provider does with a message it accepted from a logged-in client: sign it as the zone with
    its own selector and key, and send it from its own IP with a return path at the MAIL FROM domain."""

    ip: str
    key_pem: bytes
    inbox_port: int
    logins: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def authenticate(
        self, server: object, session: object, envelope: object, mechanism: str, auth_data: object
    ) -> object:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == tuple(
            part.encode() for part in LOGIN
        )
        if ok:
            self.logins.append((mechanism, auth_data.login.decode()))
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        import dkim as dkimpy

        message = envelope.original_content  # type: ignore[attr-defined]
        signature = dkimpy.sign(
            message, SIGNING_TOKEN.encode(), ZONE.encode(), self.key_pem,
            include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
        )  # fmt: skip
        return_path = f"{uuid.uuid4().hex}@bounce.{ZONE}"
        try:
            await asyncio.to_thread(self._send, return_path, list(envelope.rcpt_tos), signature + message)  # type: ignore[attr-defined]
        except (OSError, smtplib.SMTPException) as exc:
            self.problems.append(repr(exc))
            return "451 cannot pass the message on"
        return "250 OK queued"

    def _send(self, mail_from: str, rcpt_tos: list[str], message: bytes) -> None:
        with smtplib.SMTP("127.0.0.1", self.inbox_port, source_address=(self.ip, 0), timeout=10) as smtp:
            smtp.sendmail(mail_from, rcpt_tos, message)


@contextlib.contextmanager
def smtp_server(handler: object, host: str, port: int, **params: object) -> Iterator[int]:
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname=host, port=port, **params)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def dns_following_cnames(port: int, chain: list[str]):  # -> dkimpy's dnsfunc
    """TXT lookups on the emulator's DNS, following a CNAME out of the zone as a resolver does; each name
    asked is appended to `chain`."""

    def lookup(name: bytes | str, timeout: int = 5) -> bytes:
        name = (name.decode() if isinstance(name, bytes) else name).rstrip(".")
        for _ in range(8):
            chain.append(name)
            reply = dns.query.udp(dns.message.make_query(name, "TXT"), "127.0.0.1", port=port, timeout=2)
            txt = [rd for rrset in reply.answer if rrset.rdtype == dns.rdatatype.TXT for rd in rrset]
            if txt:
                return b"".join(txt[0].strings)
            cname = [rd for rrset in reply.answer if rrset.rdtype == dns.rdatatype.CNAME for rd in rrset]
            if not cname:
                return b""
            name = cname[0].target.to_text().rstrip(".")
        return b""

    return lookup


def spf_result(dns_port: int, ip: str, domain: str, sender: str) -> str:
    async def run() -> str:
        resolver = Resolver(NetOptions(timeout=2, nameservers=(("127.0.0.1", dns_port),)))
        try:
            evaluation = await spf_eval.check_host(resolver.query, ipaddress.ip_address(ip), domain, sender)
        finally:
            resolver.close()
        return evaluation.result

    return asyncio.run(run())


@pytest.fixture
def published(tmp_path: Path, needs) -> Iterator[tuple[World, bytes]]:
    """The relay zone applied to the emulator, and SES's side of it (its DKIM key behind the CNAME's
    target, its SPF); yields the world and the relay's private key."""
    needs("postfix", "swaks")
    with world(tmp_path / "project", ZONE, "amazonses.com") as w:
        w.write(RELAY_ZONE)
        w.apply()
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        w.add("amazonses.com", "TXT", f"{SIGNING_TOKEN}.dkim",
              f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}")  # fmt: skip
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        yield w, pem


def postfix_side(w: World, sasl_passwd: Path) -> str:
    """main.cf lines as `zonesync relay config --server postfix` prints them, with the sasl_passwd map at
    `sasl_passwd` (filled with the test login and `postmap`ped) instead of /etc/postfix/sasl_passwd."""
    done = w.run("relay", "config", ZONE, "--server", "postfix")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    main_cf = [line for line in lines if re.match(r"^[a-z_]+ = ", line)]
    (entry,) = [line for line in lines if line.startswith("[")]
    assert f"relayhost = [{RELAY_HOST}]:587" in main_cf, done.stdout
    assert entry == f"[{RELAY_HOST}]:587 <SMTP username>:<SMTP password>", entry
    sasl_passwd.write_text(entry.replace("<SMTP username>:<SMTP password>", ":".join(LOGIN)) + "\n")
    sasl_passwd.chmod(0o600)
    conf = sasl_passwd.parent / "postmap"  # postmap reads a main.cf; the host has none to lend
    conf.mkdir()
    (conf / "main.cf").write_text("compatibility_level = 3.6\n")
    made = subprocess.run(
        [tool("postmap"), "-c", conf, f"hash:{sasl_passwd}"], capture_output=True, text=True, check=False
    )
    assert made.returncode == 0, made.stderr
    return "\n".join(line.replace("/etc/postfix/sasl_passwd", str(sasl_passwd)) for line in main_cf)


def test_postfix_relays_through_a_provider_that_signs_through_the_cname(published, tmp_path: Path) -> None:
    import dkim as dkimpy
    import trustme

    w, relay_key = published
    ip = relay_address()
    w.add("amazonses.com", "TXT", "@", f"v=spf1 ip4:{ip} -all")
    folder = tmp_path / "relay"
    folder.mkdir()
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    leaf = ca.issue_cert(RELAY_HOST)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(server_tls)
    own = ca.issue_cert("mx.example.com")  # postfix's own smtpd certificate
    own.private_key_pem.write_to_path(str(folder / "key.pem"))
    (folder / "cert.pem").write_bytes(b"".join(blob.bytes() for blob in own.cert_chain_pems))
    hosts = folder / "hosts"
    hosts.write_text(f"127.0.0.1\tlocalhost\n{ip}\t{RELAY_HOST}\n")
    main_cf = postfix_side(w, folder / "sasl_passwd") + (
        f"\nsmtp_tls_CAfile = {folder / 'ca.pem'}\n"
        "smtp_host_lookup = native\n"  # the relay's name is in the private /etc/hosts only
        "smtp_tls_loglevel = 1\n"  # the test reads the TLS outcome from the log
    )
    inbox = Inbox()
    with smtp_server(inbox, "127.0.0.1", free_port()) as inbox_port:
        relay = Relay(ip, relay_key, inbox_port)
        with (
            smtp_server(relay, ip, 587, server_hostname=RELAY_HOST, tls_context=server_tls,
                        require_starttls=True, auth_required=True, authenticator=relay.authenticate),
            postfix(tmp_path / "postfix", "mx.example.com", None, free_port(), folder / "cert.pem",
                    folder / "key.pem", main_cf=main_cf, hosts=hosts) as (smtp_port, _),
        ):  # fmt: skip
            sent = subprocess.run(
                [tool("swaks"), "--server", f"127.0.0.1:{smtp_port}", "--from", f"alice@{ZONE}",
                 "--to", "bob@example.net", "--header", "Subject: through the relay",
                 "--body", "Port 25 is blocked; the relay delivers."],
                capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            assert sent.returncode == 0, sent.stdout + sent.stderr
            arrived = inbox.arrived.wait(30)
        maillog = (tmp_path / "postfix" / "maillog").read_text()
    assert arrived, f"{relay.problems}\n{maillog}"
    # postfix logged in over TLS it verified against the test CA, and the relay took the message
    assert f"Trusted TLS connection established to {RELAY_HOST}[{ip}]:587" in maillog, maillog
    assert re.search(rf"relay={re.escape(RELAY_HOST)}\[{re.escape(ip)}\]:587, .*status=sent", maillog), (
        maillog
    )
    assert [login for _, login in relay.logins] == [LOGIN[0]]
    (message,) = inbox.messages
    # the relay sent from its own IP with the provider's return path at the zone's MAIL FROM domain
    assert message.peer == ip
    assert message.mail_from.endswith(f"@bounce.{ZONE}") and message.rcpt_tos == ["bob@example.net"]
    assert f"s={SIGNING_TOKEN}".encode() in message.content and f"d={ZONE}".encode() in message.content
    chain: list[str] = []
    assert dkimpy.verify(message.content, dnsfunc=dns_following_cnames(w.dns_port, chain))
    assert chain == [f"{SIGNING_TOKEN}._domainkey.{ZONE}", f"{SIGNING_TOKEN}.dkim.amazonses.com"]
    tampered = message.content.replace(b"the relay delivers", b"someone else delivers")
    assert not dkimpy.verify(tampered, dnsfunc=dns_following_cnames(w.dns_port, []))
    # SPF at the return-path domain (include:amazonses.com) authorises the relay's IP, and nothing else
    domain = message.mail_from.rsplit("@", 1)[1]
    assert spf_result(w.dns_port, ip, domain, message.mail_from) == "pass"
    assert spf_result(w.dns_port, "127.0.0.1", domain, message.mail_from) == "softfail"  # ~all
