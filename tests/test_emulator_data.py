"""``content`` <-> ``data`` for every structured record type, both directions, through the SDK and raw HTTP.

Field names follow the SDK's ``cloudflare/types/dns/<type>_record.py``."""

from __future__ import annotations

import base64

import pytest

HEX64 = "ab" * 32
B64 = base64.b64encode(b"k" * 64).decode()

CASES = [
    # type, name, content sent, priority sent, canonical content, data, priority stored
    ("SRV", "_sip._tcp", "5 5060 sip.example.com.", 10, "5 5060 sip.example.com",
     {"priority": 10, "weight": 5, "port": 5060, "target": "sip.example.com"}, 10),
    ("CAA", "@", '0 issue "letsencrypt.org"', None, '0 issue "letsencrypt.org"',
     {"flags": 0, "tag": "issue", "value": "letsencrypt.org"}, None),
    ("TLSA", "_443._tcp.www", f"3 1 1 {HEX64}", None, f"3 1 1 {HEX64}",
     {"usage": 3, "selector": 1, "matching_type": 1, "certificate": HEX64}, None),
    ("SMIMEA", "x._smimecert", f"3 0 1 {HEX64}", None, f"3 0 1 {HEX64}",
     {"usage": 3, "selector": 0, "matching_type": 1, "certificate": HEX64}, None),
    ("SSHFP", "host", f"4 2 {HEX64}", None, f"4 2 {HEX64}",
     {"algorithm": 4, "type": 2, "fingerprint": HEX64}, None),
    ("LOC", "loc", "51 30 12.748 N 0 7 39.611 W 10.00m 1.00m 10000.00m 10.00m", None,
     "51 30 12.748 N 0 7 39.611 W 10.00m 1.00m 10000.00m 10.00m",
     {"lat_degrees": 51, "lat_minutes": 30, "lat_seconds": 12.748, "lat_direction": "N",
      "long_degrees": 0, "long_minutes": 7, "long_seconds": 39.611, "long_direction": "W",
      "altitude": 10.0, "size": 1.0, "precision_horz": 10000.0, "precision_vert": 10.0}, None),
    ("CERT", "cert", f"1 12345 8 {B64}", None, f"1 12345 8 {B64}",
     {"type": 1, "key_tag": 12345, "algorithm": 8, "certificate": B64}, None),
    ("DNSKEY", "sub", f"257 3 13 {B64}", None, f"257 3 13 {B64}",
     {"flags": 257, "protocol": 3, "algorithm": 13, "public_key": B64}, None),
    ("DS", "sub", f"12345 13 2 {HEX64}", None, f"12345 13 2 {HEX64}",
     {"key_tag": 12345, "algorithm": 13, "digest_type": 2, "digest": HEX64}, None),
    ("NAPTR", "sip", '100 10 "S" "SIP+D2U" "" _sip._udp.example.com.', None,
     '100 10 "S" "SIP+D2U" "" _sip._udp.example.com',
     {"order": 100, "preference": 10, "flags": "S", "service": "SIP+D2U", "regex": "",
      "replacement": "_sip._udp.example.com"}, None),
    ("HTTPS", "@", '1 . alpn="h3,h2"', None, '1 . alpn="h3,h2"',
     {"priority": 1, "target": ".", "value": 'alpn="h3,h2"'}, None),
    ("SVCB", "_dns", '1 dns.example.com. alpn="dot" port="853"', None, '1 dns.example.com alpn="dot" port="853"',
     {"priority": 1, "target": "dns.example.com", "value": 'alpn="dot" port="853"'}, None),
    ("URI", "_ftp._tcp", '1 "ftp://ftp.example.com/"', 10, '1 "ftp://ftp.example.com/"',
     {"target": "ftp://ftp.example.com/", "weight": 1}, 10),
]  # fmt: skip


@pytest.mark.parametrize(("rtype", "name", "content", "prio", "canonical", "data", "stored_prio"), CASES)
def test_content_gives_data(emulator, api, rtype, name, content, prio, canonical, data, stored_prio):
    body = {"type": rtype, "name": name, "content": content, "ttl": 1}
    if prio is not None:
        body["priority"] = prio
    rec = api.post(f"/zones/{emulator.zone_id('example.com')}/dns_records", json=body).json()["result"]
    assert rec["content"] == canonical
    assert rec["data"] == data
    assert rec.get("priority") == stored_prio
    assert ("priority" in rec) == (rtype in ("SRV", "URI"))


@pytest.mark.parametrize(("rtype", "name", "content", "prio", "canonical", "data", "stored_prio"), CASES)
def test_data_gives_content(emulator, cf, rtype, name, content, prio, canonical, data, stored_prio):
    kwargs = {"priority": prio} if rtype == "URI" else {}
    rec = cf.dns.records.create(
        zone_id=emulator.zone_id("example.com"), type=rtype, name=name, data=data, ttl=1, **kwargs
    )
    assert rec.content == canonical
    stored = emulator.records("example.com")[0]
    assert stored["data"] == data and stored["content"] == canonical
    assert stored.get("priority") == stored_prio


def test_patch_data_replaces_content(emulator, api):
    url = f"/zones/{emulator.zone_id('example.com')}/dns_records"
    rec = api.post(
        url, json={"type": "SRV", "name": "_x._tcp", "content": "1 2 a.example.com", "priority": 3}
    )
    rid = rec.json()["result"]["id"]
    new = {"priority": 7, "weight": 8, "port": 9, "target": "b.example.com"}
    patched = api.patch(f"{url}/{rid}", json={"data": new}).json()["result"]
    assert patched["content"] == "8 9 b.example.com" and patched["priority"] == 7 and patched["data"] == new
    patched = api.patch(f"{url}/{rid}", json={"priority": 1}).json()["result"]
    assert patched["priority"] == 1 and patched["data"]["priority"] == 1


def test_srv_four_field_content_and_missing_priority(emulator, api):
    url = f"/zones/{emulator.zone_id('example.com')}/dns_records"
    rec = api.post(url, json={"type": "SRV", "name": "_a._udp", "content": "10 5 53 ns.example.com"}).json()
    assert rec["result"]["content"] == "5 53 ns.example.com" and rec["result"]["priority"] == 10
    resp = api.post(url, json={"type": "SRV", "name": "_b._udp", "content": "5 53 ns.example.com"})
    assert resp.status_code == 400 and resp.json()["errors"][0]["error_chain"][0]["code"] == 9100


def test_identical_structured_record_from_data(emulator, api):
    url = f"/zones/{emulator.zone_id('example.com')}/dns_records"
    assert (
        api.post(url, json={"type": "CAA", "name": "@", "content": '0 issue "ca.example"'}).status_code == 200
    )
    resp = api.post(
        url, json={"type": "CAA", "name": "@", "data": {"flags": 0, "tag": "issue", "value": "ca.example"}}
    )
    assert resp.status_code == 400 and resp.json()["errors"][0]["code"] == 81058
