"""A loopback world for `zonesync verify` tests: the emulator (API + authoritative DNS) holding the zones,
reverse zones and other domains' records, zone files in a scratch folder, and the real CLI."""

from __future__ import annotations

import contextlib
import json
import socket
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.reversename
import pytest
from click.testing import CliRunner, Result

from zonesync.cli import cli
from zonesync.emulator.server import Emulator

TOKEN = "verify-token"
REVERSE_V4 = "113.0.203.in-addr.arpa"
REVERSE_V6 = "8.b.d.0.1.0.0.2.ip6.arpa"
MAIL_ZONE = """
zone: example.com
records:
  "@": {type: A, value: 203.0.113.10}
  www: {type: CNAME, value: example.com., proxied: true}
mail:
  preset: maddy
  mx:
    - host: mx
      priority: 10
  hosts:
    mx: {ipv4: [203.0.113.25], ipv6: ["2001:db8::25"]}
  dmarc:
    rua: ["mailto:dmarc@example.com"]
"""


def reverse_name(address: str) -> str:
    return dns.reversename.from_address(address).to_text(omit_final_dot=True)


@dataclass
class World:
    emu: Emulator
    root: Path

    @property
    def nameserver(self) -> str:
        assert self.emu.dns is not None
        return f"127.0.0.1:{self.emu.dns.port}"

    def write(self, text: str, name: str = "example.com") -> Path:
        path = self.root / "zones" / f"{name}.yaml"
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    def apply(self) -> Result:
        result = CliRunner().invoke(cli, ["apply", "--yes"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    def add(self, zone: str, rtype: str, name: str, content: str, **extra: object) -> None:
        self.emu.add_record(zone, {"type": rtype, "name": name, "content": content, "ttl": 1, **extra})

    def ptr(self, address: str, target: str) -> None:
        zone = REVERSE_V4 if "." in address else REVERSE_V6
        self.add(zone, "PTR", reverse_name(address), target)

    def verify(
        self,
        *args: str,
        nameservers: tuple[str, ...] | None = None,
        timeout: str = "2",
        dns_only: bool = True,
    ) -> Result:
        """The DNS checks (`--dns-only`) unless asked otherwise: the HTTPS side has its own world below."""
        servers = (self.nameserver,) if nameservers is None else nameservers
        flags = [x for ns in servers for x in ("--nameserver", ns)] + (["--dns-only"] if dns_only else [])
        return CliRunner().invoke(
            cli, ["verify", *flags, "--timeout", timeout, *args], catch_exceptions=False
        )

    def verify_json(self, *args: str, dns_only: bool = True) -> tuple[int, dict]:
        result = self.verify("--format", "json", *args, dns_only=dns_only)
        return result.exit_code, json.loads(result.output)


@contextlib.contextmanager
def policy_host(world: World, zone: str = "example.com", ca: object = None) -> Iterator[list[str]]:
    """`https://mta-sts.<zone>/.well-known/mta-sts.txt` on loopback with a certificate from a throwaway CA,
    serving the policy zonesync generates; yields the verify flags that reach it (--connect-to, --ca-file)."""
    import ssl

    import trustme
    from netservers import Answer, https_server

    from zonesync.mail import policy_for
    from zonesync.zonefile.load import load_configs

    policy = policy_for(load_configs([world.root / "zones" / f"{zone}.yaml"])[0])
    assert policy is not None
    ca = ca or trustme.CA()
    assert isinstance(ca, trustme.CA)
    ca_file = world.root / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(f"mta-sts.{zone}").configure_cert(ctx)
    with https_server(ctx, Answer(body=policy.encode())) as (port, _seen):
        yield ["--connect-to", f"mta-sts.{zone}:443:127.0.0.1:{port}", "--ca-file", str(ca_file)]


def findings(doc: dict, topic: str | None = None, status: str | None = None) -> list[dict]:
    return [
        f
        for z in doc["zones"]
        for f in z["findings"]
        if (topic is None or f["topic"] == topic) and (status is None or f["status"] == status)
    ]


@pytest.fixture(name="world")
def world_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Emulator with example.com, other.example (other people's records) and the reverse zones, DNS on."""
    emu = Emulator(
        tokens=(TOKEN,),
        zones=("example.com", "other.example", REVERSE_V4, REVERSE_V6),
        rate_limit=0,
        dns_port=0,
    ).start()
    (tmp_path / "zones").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
    monkeypatch.setenv("NO_COLOR", "1")
    try:
        yield World(emu, tmp_path)
    finally:
        emu.stop()


class SilentServer:
    """A UDP port that reads questions and answers none (a filtered or dead nameserver), or answers each with
    fixed bytes (a broken one)."""

    def __init__(self, reply: bytes | None = None, rcode: int | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.reply, self.rcode = reply, rcode
        self.asked = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            self.asked += 1
            self.answer(data, peer)

    def answer(self, data: bytes, peer: tuple[str, int]) -> None:
        """What this server sends back for one question (subclasses answer otherwise)."""
        import dns.message

        if self.rcode is not None:
            resp = dns.message.make_response(dns.message.from_wire(data))
            resp.set_rcode(self.rcode)
            self.sock.sendto(resp.to_wire(), peer)
        elif self.reply is not None:
            self.sock.sendto(data[:2] + self.reply, peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()
