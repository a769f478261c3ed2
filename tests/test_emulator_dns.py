"""The emulator as authoritative nameserver, asked over UDP and TCP with dnspython as any resolver would."""

from __future__ import annotations

import ipaddress
import json

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import httpx
import pytest

from zonesync.emulator.dns_server import PROXY_V4, PROXY_V6, SERIAL_BASE
from zonesync.emulator.server import Emulator


@pytest.fixture
def emu():
    emulator = Emulator(zones=("example.com", "2.0.192.in-addr.arpa"), rate_limit=0, dns_port=0).start()
    z = "example.com"
    for rec in (
        {"type": "A", "name": "mx", "content": "192.0.2.25", "ttl": 3600},
        {"type": "MX", "name": "@", "content": "mx.example.com", "priority": 10},
        {"type": "TXT", "name": "@", "content": "v=spf1 mx -all"},
        {"type": "TXT", "name": "long._domainkey", "content": "v=DKIM1; k=rsa; p=" + "A" * 400},
        {"type": "A", "name": "www", "content": "203.0.113.1", "proxied": True},
        {"type": "CNAME", "name": "shop", "content": "shops.example.net", "proxied": True},
        {"type": "CNAME", "name": "alias", "content": "mx.example.com"},
        {"type": "A", "name": "*.wild", "content": "192.0.2.99"},
        {"type": "NS", "name": "sub", "content": "ns1.elsewhere.example"},
        {"type": "SRV", "name": "_sip._tcp", "content": "5 5060 sip.example.com", "priority": 10},
    ):
        emulator.add_record(z, rec)
    emulator.add_record("2.0.192.in-addr.arpa", {"type": "PTR", "name": "25", "content": "mx.example.com"})
    try:
        yield emulator
    finally:
        emulator.stop()


def ask(emu: Emulator, name: str, rdtype: str, tcp: bool = False, **kw) -> dns.message.Message:
    assert emu.dns is not None
    query = dns.message.make_query(name, rdtype, **kw)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, "127.0.0.1", port=emu.dns.port, timeout=3)


def texts(msg: dns.message.Message, rdtype: str) -> list[str]:
    want = dns.rdatatype.from_text(rdtype)
    return sorted(rd.to_text() for rrset in msg.answer if rrset.rdtype == want for rd in rrset)


def test_soa_and_ns_are_synthesised_as_cloudflare_does(emu: Emulator) -> None:
    soa = ask(emu, "example.com", "SOA")
    assert soa.flags & dns.flags.AA and soa.rcode() == dns.rcode.NOERROR
    mname, rname, serial, *timers = texts(soa, "SOA")[0].split()
    assert (mname, rname, timers) == (
        "ada.ns.cloudflare.com.",
        "dns.cloudflare.com.",
        ["10000", "2400", "604800", "1800"],
    )
    assert int(serial) > SERIAL_BASE
    assert texts(ask(emu, "example.com", "NS"), "NS") == ["ada.ns.cloudflare.com.", "bob.ns.cloudflare.com."]
    emu.add_record("example.com", {"type": "A", "name": "new", "content": "192.0.2.7"})
    assert int(texts(ask(emu, "example.com", "SOA"), "SOA")[0].split()[2]) == int(serial) + 1


def test_records_as_stored_with_auto_ttl_300(emu: Emulator) -> None:
    mx = ask(emu, "example.com", "MX")
    assert texts(mx, "MX") == ["10 mx.example.com."]
    assert mx.answer[0].ttl == 300
    assert ask(emu, "mx.example.com", "A").answer[0].ttl == 3600
    assert texts(ask(emu, "_sip._tcp.example.com", "SRV"), "SRV") == ["10 5 5060 sip.example.com."]
    assert texts(ask(emu, "25.2.0.192.in-addr.arpa", "PTR"), "PTR") == ["mx.example.com."]


def test_long_txt_is_split_into_255_byte_strings_over_udp_and_tcp(emu: Emulator) -> None:
    for tcp in (False, True):
        (rrset,) = ask(emu, "long._domainkey.example.com", "TXT", tcp=tcp, use_edns=0, payload=4096).answer
        strings = rrset[0].strings
        assert [len(s) for s in strings] == [255, 418 - 255]
        assert b"".join(strings) == b"v=DKIM1; k=rsa; p=" + b"A" * 400


def test_udp_answer_too_big_sets_tc(emu: Emulator) -> None:
    for i in range(40):
        emu.add_record(
            "example.com", {"type": "TXT", "name": "big", "content": f"value number {i:03d} " + "x" * 40}
        )
    udp = ask(emu, "big.example.com", "TXT")  # no EDNS: 512 bytes
    assert udp.flags & dns.flags.TC and not udp.answer
    assert len(texts(ask(emu, "big.example.com", "TXT", tcp=True), "TXT")) == 40


def test_proxied_records_answer_with_proxy_addresses(emu: Emulator) -> None:
    for name in ("www.example.com", "shop.example.com"):
        v4 = [ipaddress.ip_address(a) for a in texts(ask(emu, name, "A"), "A")]
        v6 = [ipaddress.ip_address(a) for a in texts(ask(emu, name, "AAAA"), "AAAA")]
        assert len(v4) == 2 and all(any(a in net for net in PROXY_V4) for a in v4)
        assert len(v6) == 2 and all(any(a in net for net in PROXY_V6) for a in v6)
    assert not texts(ask(emu, "shop.example.com", "CNAME"), "CNAME")  # Cloudflare never shows it


def test_cname_to_a_name_in_the_zone_is_flattened(emu: Emulator) -> None:
    """Cloudflare docs, CNAME flattening "Setup": a target in the same zone is always flattened; the answer
    is the target's addresses under the CNAME's name, the lower TTL of the two (here 300: auto vs 3600)."""
    msg = ask(emu, "alias.example.com", "A")
    assert texts(msg, "CNAME") == [] and texts(msg, "A") == ["192.0.2.25"]
    assert msg.answer[0].name.to_text() == "alias.example.com." and msg.answer[0].ttl == 300
    nodata = ask(emu, "alias.example.com", "AAAA")  # the target has no AAAA: NODATA
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
    assert nodata.authority[0].rdtype == dns.rdatatype.SOA
    assert ask(emu, "alias.example.com", "CNAME").answer == []


def test_edns_version_1_gets_badvers(emu: Emulator) -> None:
    """RFC 6891 §6.1.3: a version the responder does not implement gets BADVERS, with its own version."""
    for tcp in (False, True):
        answer = ask(emu, "example.com", "SOA", tcp=tcp, use_edns=1)
        assert answer.rcode() == dns.rcode.BADVERS and answer.edns == 0 and not answer.answer
    assert ask(emu, "example.com", "SOA", use_edns=0).rcode() == dns.rcode.NOERROR


def test_zone_transfers_are_refused(emu: Emulator) -> None:
    """No outgoing zone transfer is configured (Cloudflare serves AXFR/IXFR only to configured peers)."""
    assert ask(emu, "example.com", "AXFR", tcp=True).rcode() == dns.rcode.REFUSED
    ixfr = dns.message.make_query("example.com", "IXFR")
    assert emu.dns is not None
    answer = dns.query.tcp(ixfr, "127.0.0.1", port=emu.dns.port, timeout=3)
    assert answer.rcode() == dns.rcode.REFUSED and not answer.answer


def test_nxdomain_nodata_and_empty_non_terminals(emu: Emulator) -> None:
    missing = ask(emu, "nope.example.com", "A")
    assert missing.rcode() == dns.rcode.NXDOMAIN and missing.authority[0].rdtype == dns.rdatatype.SOA
    nodata = ask(emu, "mx.example.com", "TXT")
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer and nodata.authority
    ent = ask(emu, "_domainkey.example.com", "TXT")  # exists because long._domainkey does
    assert ent.rcode() == dns.rcode.NOERROR and not ent.answer


def test_wildcard_delegation_refused_and_any(emu: Emulator) -> None:
    assert texts(ask(emu, "anything.wild.example.com", "A"), "A") == ["192.0.2.99"]
    referral = ask(emu, "host.sub.example.com", "A")
    assert not referral.flags & dns.flags.AA and not referral.answer
    assert [rd.to_text() for rd in referral.authority[0]] == ["ns1.elsewhere.example."]
    assert ask(emu, "example.org", "A").rcode() == dns.rcode.REFUSED
    assert texts(ask(emu, "example.com", "ANY"), "HINFO") == ['"RFC8482" ""']


def test_a_change_through_the_control_endpoint_is_served_at_once(emu: Emulator) -> None:
    base = emu.url.replace("/client/v4", "/__emulator")
    record = {"type": "TXT", "name": "_dmarc", "content": "v=DMARC1; p=none"}
    httpx.post(
        f"{base}/records", content=json.dumps({"zone": "example.com", "record": record})
    ).raise_for_status()
    assert [b"".join(rd.strings) for rd in ask(emu, "_dmarc.example.com", "TXT").answer[0]] == [
        b"v=DMARC1; p=none"
    ]


def test_garbage_gets_formerr_or_nothing(emu: Emulator) -> None:
    import socket

    assert emu.dns is not None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(
            b"\x12\x34" + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + b"\xff\xff",
            ("127.0.0.1", emu.dns.port),
        )
        data = sock.recv(512)
    reply = dns.message.from_wire(data)
    assert reply.id == 0x1234 and reply.rcode() == dns.rcode.FORMERR


def test_an_answer_served_before_a_change_is_not_served_after_it(emu: Emulator) -> None:
    assert ask(emu, "_dmarc.example.com", "TXT").rcode() == dns.rcode.NXDOMAIN
    assert texts(ask(emu, "mx.example.com", "A"), "A") == ["192.0.2.25"]
    emu.add_record("example.com", {"type": "TXT", "name": "_dmarc", "content": "v=DMARC1; p=none"})
    emu.add_record("example.com", {"type": "A", "name": "mx", "content": "192.0.2.26"})
    assert texts(ask(emu, "_dmarc.example.com", "TXT"), "TXT") == ['"v=DMARC1; p=none"']
    assert texts(ask(emu, "mx.example.com", "A"), "A") == ["192.0.2.25", "192.0.2.26"]
    soa = [texts(ask(emu, "example.com", "SOA"), "SOA")[0].split()[2] for _ in range(2)]
    emu.add_record("example.com", {"type": "A", "name": "new", "content": "192.0.2.27"})
    assert int(texts(ask(emu, "example.com", "SOA"), "SOA")[0].split()[2]) == int(soa[0]) + 1


def test_latency_delays_every_answer_over_udp_and_tcp(emu: Emulator) -> None:
    import time

    assert emu.dns is not None
    emu.dns.latency = 0.2
    for tcp in (False, True):
        start = time.monotonic()
        assert texts(ask(emu, "mx.example.com", "A", tcp=tcp), "A") == ["192.0.2.25"]
        assert time.monotonic() - start >= 0.2


def test_the_same_question_again_gets_its_own_id_and_case(emu: Emulator) -> None:
    assert emu.dns is not None
    for qid, name in ((1, "mx.example.com"), (2, "mx.example.com"), (3, "MX.Example.com")):
        query = dns.message.make_query(name, "A")
        query.id = qid
        reply = dns.query.udp(query, "127.0.0.1", port=emu.dns.port, timeout=3)
        assert reply.id == qid and query.is_response(reply)
        assert str(reply.question[0].name) == name + "."
        assert texts(reply, "A") == ["192.0.2.25"]
