"""Record <-> Cloudflare JSON for every supported type: what zonesync writes, it reads back equal."""

from __future__ import annotations

import pytest

from zonesync.cloudflare.records import Skipped, from_api, to_api
from zonesync.model import PROXIABLE_TYPES, Record
from zonesync.zonefile.rdata import canonical_value

VALUES = {
    "A": "203.0.113.10",
    "AAAA": "2001:db8::10",
    "CNAME": "target.example.net.",
    "MX": "10 mx",
    "TXT": "v=DKIM1; k=rsa; p=" + "B" * 400,
    "SRV": "10 5 5060 sip",
    "CAA": '0 issue "letsencrypt.org"',
    "NS": "ns1.other.net.",
    "PTR": "host.example.com.",
    "TLSA": "3 1 1 " + "ab" * 32,
    "SSHFP": "4 2 " + "cd" * 32,
    "HTTPS": '1 . alpn="h2,h3"',
    "SVCB": "1 svc port=8443",
    "CERT": "1 0 0 AAAA",
    "DNSKEY": "257 3 13 " + "A" * 88,
    "DS": "12345 13 2 " + "ab" * 32,
    "LOC": "52 22 23.000 N 4 53 32.000 E -2.00m 1m 10000m 10m",
    "NAPTR": '100 10 "S" "SIP+D2U" "" _sip._udp',
    "SMIMEA": "3 1 1 " + "cd" * 32,
    "URI": '10 1 "https://example.com/"',
}


@pytest.mark.parametrize("rtype", sorted(VALUES))
def test_round_trip(rtype: str) -> None:
    proxied = False if rtype in ("A", "AAAA", "CNAME") else None
    record = Record(
        "x.example.com",
        rtype,
        canonical_value(rtype, VALUES[rtype], "example.com"),
        300,
        proxied,
        "a comment",
        ("env:prod",),
    )
    body = to_api(record)
    assert ("data" in body) == (rtype not in {"A", "AAAA", "CNAME", "MX", "TXT", "NS", "PTR"})
    assert "." not in body["name"][-1:]
    back = from_api({**body, "id": "abc"}, "example.com")
    assert back == record


def test_managed_records_are_skipped() -> None:
    item = {
        "id": "1",
        "name": "example.com",
        "type": "MX",
        "content": "route1.mx.cloudflare.net",
        "priority": 1,
        "ttl": 1,
        "meta": {"read_only": True},
    }
    skipped = from_api(item, "example.com")
    assert isinstance(skipped, Skipped) and "read only" in skipped.reason


def test_unsupported_type_is_skipped() -> None:
    item = {"id": "1", "name": "example.com", "type": "OPENPGPKEY", "content": "abc", "ttl": 1}
    assert isinstance(from_api(item, "example.com"), Skipped)


def test_unquoted_txt_content_is_literal() -> None:
    item = {"id": "1", "name": "example.com", "type": "TXT", "content": "v=spf1 mx ~all", "ttl": 1}
    rec = from_api(item, "example.com")
    assert isinstance(rec, Record) and rec.value == "v=spf1 mx ~all"


def test_the_listing_converts_to_the_records_it_would_without_the_fast_paths() -> None:
    """`from_api` builds the same Record as the dataclass constructor for the values of every type."""
    for rtype, text in VALUES.items():
        record = Record("x.example.com", rtype, canonical_value(rtype, text, "example.com"), 300, None)
        body = {**to_api(record), "id": "abc"}
        back = from_api(body, "example.com")
        assert isinstance(back, Record)
        proxied = False if rtype in PROXIABLE_TYPES else None  # not sent: Cloudflare's default
        expected = Record(record.name, rtype, record.value, 300, proxied, None, (), "abc")
        assert (back, back.id, back.source, back.pending) == (expected, "abc", None, False), rtype
