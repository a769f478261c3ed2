"""`zonesync import`: live zone or BIND file -> v1 zone file whose plan is empty."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from clirun import run
from emu_records import user_records
from hypothesis import given
from hypothesis import strategies as st

from zonesync.run.import_zone import import_records, records_from_bind, scalar
from zonesync.zonefile.load import load_zone_file

ZONE = "example.com"
LONG_TXT = "v=DKIM1; k=rsa; p=" + "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" * 12 + "IDAQAB"

# Every record type Cloudflare's API manages, as the API takes them (structured types in `data`).
LIVE = [
    {"type": "A", "name": ZONE, "content": "203.0.113.10", "ttl": 3600, "comment": "web: the apex", "tags": ["env:prod", "team:web"]},
    {"type": "A", "name": ZONE, "content": "203.0.113.11", "ttl": 3600, "comment": "web: the apex", "tags": ["env:prod", "team:web"]},
    {"type": "AAAA", "name": ZONE, "content": "2001:db8::10", "ttl": 3600},
    {"type": "CNAME", "name": f"www.{ZONE}", "content": ZONE, "ttl": 1, "proxied": True, "comment": "proxied"},
    {"type": "A", "name": f"app.{ZONE}", "content": "192.0.2.7", "ttl": 1, "proxied": True},
    {"type": "A", "name": f"*.dev.{ZONE}", "content": "192.0.2.8", "ttl": 300},
    {"type": "MX", "name": ZONE, "content": f"mx.{ZONE}", "priority": 10, "ttl": 3600},
    {"type": "MX", "name": ZONE, "content": "mx2.example.net", "priority": 20, "ttl": 3600},
    {"type": "A", "name": f"mx.{ZONE}", "content": "203.0.113.25", "ttl": 3600},
    {"type": "TXT", "name": ZONE, "content": '"v=spf1 mx ~all"', "ttl": 3600},
    {"type": "TXT", "name": ZONE, "content": '"google-site-verification=abc: #1"', "ttl": 3600},
    {"type": "TXT", "name": f"_dmarc.{ZONE}", "content": '"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"', "ttl": 3600},
    {"type": "TXT", "name": f"default._domainkey.{ZONE}", "content": " ".join(f'"{LONG_TXT[i : i + 255]}"' for i in range(0, len(LONG_TXT), 255)), "ttl": 3600},
    {"type": "TXT", "name": f"quote.{ZONE}", "content": '"say \\"hi\\" it\'s yes"', "ttl": 120},
    {"type": "TXT", "name": f"yes.{ZONE}", "content": '"true"', "ttl": 3600},
    {"type": "SRV", "name": f"_sip._tcp.{ZONE}", "data": {"priority": 10, "weight": 60, "port": 5060, "target": f"sip.{ZONE}"}, "ttl": 3600},
    {"type": "CAA", "name": ZONE, "data": {"flags": 0, "tag": "issue", "value": "letsencrypt.org"}, "ttl": 3600},
    {"type": "NS", "name": f"sub.{ZONE}", "content": "ns1.other.net", "ttl": 3600},
    {"type": "PTR", "name": f"ptr.{ZONE}", "content": f"host.{ZONE}", "ttl": 3600},
    {"type": "TLSA", "name": f"_443._tcp.www.{ZONE}", "data": {"usage": 3, "selector": 1, "matching_type": 1, "certificate": "0123456789abcdef" * 4}, "ttl": 3600},
    {"type": "SSHFP", "name": f"host.{ZONE}", "data": {"algorithm": 4, "type": 2, "fingerprint": "0123456789abcdef" * 4}, "ttl": 3600},
    {"type": "HTTPS", "name": f"svc.{ZONE}", "data": {"priority": 1, "target": ".", "value": 'alpn="h2,h3"'}, "ttl": 3600},
    {"type": "SVCB", "name": f"svc2.{ZONE}", "data": {"priority": 1, "target": f"svc.{ZONE}", "value": 'port="8443"'}, "ttl": 3600},
    {"type": "LOC", "name": f"loc.{ZONE}", "data": {"lat_degrees": 52, "lat_minutes": 22, "lat_seconds": 23, "lat_direction": "N", "long_degrees": 4, "long_minutes": 53, "long_seconds": 32, "long_direction": "E", "altitude": -2, "size": 1, "precision_horz": 10000, "precision_vert": 10}, "ttl": 3600},
    {"type": "DS", "name": f"ds.{ZONE}", "data": {"key_tag": 12345, "algorithm": 13, "digest_type": 2, "digest": "0123456789abcdef" * 4}, "ttl": 3600},
    {"type": "NAPTR", "name": f"naptr.{ZONE}", "data": {"order": 100, "preference": 10, "flags": "u", "service": "E2U+sip", "regex": "!^.*$!sip:info@example.com!", "replacement": "."}, "ttl": 3600},
    {"type": "URI", "name": f"_ftp._tcp.{ZONE}", "priority": 10, "data": {"weight": 1, "target": "ftp://ftp.example.com/"}, "ttl": 3600},
    {"type": "CERT", "name": f"cert.{ZONE}", "data": {"type": 1, "key_tag": 0, "algorithm": 0, "certificate": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A"}, "ttl": 3600},
    {"type": "DNSKEY", "name": f"dnskey.{ZONE}", "data": {"flags": 257, "protocol": 3, "algorithm": 13, "public_key": "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="}, "ttl": 3600},
    {"type": "SMIMEA", "name": f"smimea.{ZONE}", "data": {"usage": 3, "selector": 1, "matching_type": 1, "certificate": "0123456789abcdef" * 4}, "ttl": 3600},
]  # fmt: skip


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Not conftest's: import creates zones/ itself."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def live_set(emulator) -> set[tuple]:
    return {
        (r["name"], r["type"], r.get("content"), r["ttl"], r.get("proxied"), r.get("comment"), tuple(r.get("tags") or ()))
        for r in user_records(emulator, ZONE)
    }  # fmt: skip


def test_live_import_then_plan_is_empty(emulator, workdir: Path) -> None:
    for body in LIVE:
        emulator.add_record(ZONE, body)
    emulator.add_record(
        ZONE,
        {"type": "A", "name": f"ro.{ZONE}", "content": "192.0.2.1", "ttl": 60, "meta": {"read_only": True}},
    )
    result = run("import", ZONE)
    assert result.exit_code == 0, result.output
    text = Path("zones/example.com.yaml").read_text()
    assert "Wrote zones/example.com.yaml: 30 records" in result.output
    assert "has mail records (MX, SPF, DMARC, DKIM (selector default))" in result.output
    assert "`zonesync import example.com --mail` writes them as a `mail:` block" in result.output
    # grouped, comments and tags kept, proxied kept, long TXT as one string
    assert (
        "  '@':\n"
        "    - type: A\n"
        "      values:\n"
        "        - 203.0.113.10\n"
        "        - 203.0.113.11\n"
        "      comment: 'web: the apex'\n"
        "      tags: [env:prod, team:web]\n"
    ) in text
    assert (
        "  www:\n    type: CNAME\n    value: example.com.\n    proxied: true\n    comment: proxied\n" in text
    )
    assert f"value: {LONG_TXT}\n" in text
    assert "#   ro A 192.0.2.1  (managed by Cloudflare (read only))" in text
    before = live_set(emulator)

    result = run("plan", "--exit-code")
    assert result.exit_code == 0, result.output
    assert "no changes (31 live records, 1 skipped)" in result.output
    # and re-importing gives the same file
    assert run("import", ZONE, "-o", "-").stdout == text
    assert live_set(emulator) == before


def test_bind_import_round_trip(emulator, workdir: Path) -> None:
    Path("db.example.com").write_text(BIND)
    result = run("import", ZONE, "--from-bind", "db.example.com")
    assert result.exit_code == 0, result.output
    assert "hinfo.example.com HINFO: type not supported" in result.output
    assert "TTL 10 is outside Cloudflare's range; using 60" in result.output
    assert "2 apex NS records are served by Cloudflare itself" in result.output
    text = Path("zones/example.com.yaml").read_text()
    assert "ignore:\n  - {name: '@', type: [NS]}\n" in text
    # the file holds exactly the BIND records (SOA, apex NS and HINFO aside)
    records, _ = records_from_bind("db.example.com", ZONE)
    expected = {r for r in records if not (r.name == ZONE and r.type == "NS")}
    assert set(load_zone_file("zones/example.com.yaml").records) == expected
    assert len(expected) == 27

    assert run("apply", "--yes").exit_code == 0
    result = run("plan", "--exit-code")
    assert result.exit_code == 0, result.output
    # live import of what the BIND import applied: the same records
    result = run("import", ZONE, "-o", "live/example.com.yaml")
    assert result.exit_code == 0, result.output
    assert set(load_zone_file("live/example.com.yaml").records) == expected


def test_import_refuses_to_overwrite(emulator, workdir: Path) -> None:
    Path("zones").mkdir()
    Path("zones/example.com.yaml").write_text("zone: example.com\n")
    result = run("import", ZONE)
    assert result.exit_code == 1 and "--force" in result.output
    assert Path("zones/example.com.yaml").read_text() == "zone: example.com\n"
    assert run("import", ZONE, "--force").exit_code == 0
    assert "records: {}" in Path("zones/example.com.yaml").read_text()


def test_import_unknown_zone(emulator, workdir: Path) -> None:
    result = run("import", "nope.example")
    assert result.exit_code == 1 and "zone nope.example does not exist" in result.output
    assert not Path("zones").exists()


def test_bind_errors(workdir: Path) -> None:
    Path("bad.zone").write_text("$ORIGIN example.com.\n@ IN A not-an-address\n")
    result = run("import", ZONE, "--from-bind", "bad.zone", "-o", "-")
    assert result.exit_code == 1 and "bad.zone: cannot read the BIND zone file" in result.output


@given(st.text(max_size=40))
def test_scalar_reads_back_as_the_same_string(value: str) -> None:
    text = scalar(value)
    assert yaml.safe_load(f"k: {text}\n") == {"k": value}


def test_pure_import_reports_no_differences() -> None:
    records, _ = records_from_bind_text(BIND)
    result = import_records(ZONE, records)
    assert result.differences == []


def records_from_bind_text(text: str, tmp: Path | None = None):
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".zone", delete=False) as fh:
        fh.write(text)
    try:
        return records_from_bind(fh.name, ZONE)
    finally:
        Path(fh.name).unlink()


BIND = """\
$ORIGIN example.com.
$TTL 3600
@   IN SOA ns1.old.net. hostmaster.example.com. 1 7200 3600 1209600 300
@   IN NS ns1.old.net.
@   IN NS ns2.old.net.
@   IN A 203.0.113.10
@   IN AAAA 2001:db8::10
@   IN MX 10 mx
@   IN MX 20 mx2.example.net.
@   IN TXT "v=spf1 mx ~all"
@   IN CAA 0 issue "letsencrypt.org"
_dmarc IN TXT "v=DMARC1; p=quarantine; rua=mailto:postmaster@example.com"
default._domainkey 300 IN TXT ( "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx7g0abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678"
  "9abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789IDAQAB" )
www IN CNAME @
mx  IN A 203.0.113.25
short 10 IN A 203.0.113.26
_sip._tcp IN SRV 10 60 5060 sip
sub IN NS ns1.other.net.
ptr IN PTR host
_443._tcp.www IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
host IN SSHFP 4 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
svc IN HTTPS 1 . alpn="h2,h3"
svc2 IN SVCB 1 svc port=8443
loc IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 1m 10000m 10m
ds IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
naptr IN NAPTR 100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .
_ftp._tcp IN URI 10 1 "ftp://ftp.example.com/"
cert IN CERT 1 0 0 MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A
dnskey IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
smimea IN SMIMEA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
*.dev IN A 192.0.2.8
yes IN TXT "x: y # z" "and more"
hinfo IN HINFO "PC" "Linux"
"""
