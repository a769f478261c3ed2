"""Knot DNS serving the zone as Cloudflare would after `zonesync apply` (the served view, built from
`zonesync export`), and unbound resolving through it: `zonesync verify --nameserver` gives the same verdicts
as against the emulator's own DNS, on a healthy zone and on seeded faults."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from served_view import served_view
from servers import knot, unbound
from world import MAIL_ZONE, REVERSE_V4, REVERSE_V6, ZONE, World, world

ZONES = (ZONE, REVERSE_V4, REVERSE_V6)


@pytest.fixture
def healthy(tmp_path: Path, needs) -> Iterator[World]:
    needs("knot", "unbound")
    with world(tmp_path / "project") as w:
        w.write(MAIL_ZONE)
        w.apply()
        w.add(REVERSE_V4, "PTR", "25.113.0.203.in-addr.arpa", "mx.example.com")
        w.add(REVERSE_V6, "PTR", "5.2.0.0." + "0." * 20 + "8.b.d.0.1.0.0.2.ip6.arpa", "mx.example.com")
        yield w


def served_zones(w: World) -> dict[str, str]:
    return {zone: served_view(w.export(zone), zone) for zone in ZONES}


@contextlib.contextmanager
def knot_and_unbound(w: World, folder: Path) -> Iterator[tuple[int, int]]:
    """Knot serving the zones' served view and unbound resolving through it: (Knot's port, unbound's)."""
    with contextlib.ExitStack() as stack:
        knot_port = stack.enter_context(knot(folder / "knot", served_zones(w)))
        resolver_port = stack.enter_context(unbound(folder / "unbound", dict.fromkeys(ZONES, knot_port)))
        yield knot_port, resolver_port


def verdicts(doc: dict) -> list[tuple[str, str, str, str]]:
    """What verify concluded, without where it asked (server addresses and ports differ by design)."""
    scrub = re.compile(r"127\.0\.0\.1[:@#]\d+")
    return sorted(
        (f["topic"], f["subject"], f["status"], scrub.sub("SERVER", f["message"]))
        for z in doc["zones"]
        for f in z["findings"]
    )


def ask(port: int, name: str, rdtype: str) -> tuple[int, set[str]]:
    reply = dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=port, timeout=2)
    values = {
        f"{rrset.name} {rrset.ttl} {dns.rdatatype.to_text(rrset.rdtype)} {rd.to_text()}"
        for rrset in reply.answer
        for rd in rrset
    }
    return reply.rcode(), values


def test_knot_serves_what_the_emulator_serves(healthy: World, tmp_path: Path) -> None:
    zones = served_zones(healthy)
    with knot(tmp_path / "knot", zones) as port:
        questions = {
            (line.split("\t")[0], line.split("\t")[3])
            for text in zones.values()
            for line in text.splitlines()
        } | {("www.example.com.", "CNAME"), ("nothing.example.com.", "A"), ("_domainkey.example.com.", "TXT")}
        for name, rdtype in sorted(questions):
            assert ask(port, name, rdtype) == ask(healthy.dns_port, name, rdtype), (name, rdtype)
    assert any("198.18." in line for line in zones[ZONE].splitlines() if line.startswith("www."))


def test_verify_gives_the_same_verdicts_through_knot_and_unbound(healthy: World, tmp_path: Path) -> None:
    emulator_ns = f"127.0.0.1:{healthy.dns_port}"
    with knot_and_unbound(healthy, tmp_path) as (knot_port, resolver_port):
        results = {
            where: healthy.verify("--dns-only", nameserver=f"127.0.0.1:{port}")
            for where, port in (("knot", knot_port), ("unbound", resolver_port))
        }
    code, doc = healthy.verify("--dns-only", nameserver=emulator_ns)
    assert code == 0, doc
    assert {f["topic"] for z in doc["zones"] for f in z["findings"] if f["status"] == "pass"} >= {
        "dns", "spf", "dkim", "dmarc", "mta-sts", "tls-rpt", "mx",
    }  # fmt: skip
    for where, (other_code, other_doc) in results.items():
        assert other_code == code, (where, other_doc)
        assert verdicts(other_doc) == verdicts(doc), where


def _seed_dkim_fault(w: World) -> None:
    """The key file is not the key DNS serves (a key regenerated on the mail host, never published)."""
    key = w.root / "keys" / "example.com_default.key"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (w.root / "keys" / "example.com_default.key.pub").unlink()


def _seed_policy_id_fault(w: World) -> None:
    """The policy changes in the zone file, the published `_mta-sts` id does not (no apply)."""
    w.write(MAIL_ZONE + "  mta_sts:\n    mode: testing\n")


@pytest.mark.parametrize(
    ("seed", "topic", "message"),
    [
        (_seed_dkim_fault, "dkim", "is not the key in"),
        (_seed_policy_id_fault, "mta-sts", "is not the id of the policy zonesync publishes"),
    ],
)
def test_seeded_faults_get_the_same_verdicts(healthy: World, tmp_path: Path, seed, topic, message) -> None:
    seed(healthy)
    emulator_ns = f"127.0.0.1:{healthy.dns_port}"
    code, doc = healthy.verify("--dns-only", nameserver=emulator_ns)
    assert code == 5
    assert any(topic == t and s == "fail" and message in m for t, _, s, m in verdicts(doc)), verdicts(doc)
    with knot_and_unbound(healthy, tmp_path) as ports:
        for port in ports:
            other_code, other_doc = healthy.verify("--dns-only", nameserver=f"127.0.0.1:{port}")
            assert other_code == code
            assert verdicts(other_doc) == verdicts(doc)
