"""checkdmarc (an independent implementation) parses the SPF, DMARC, MTA-STS and TLS-RPT text zonesync
produces, offline: its DNS helpers are replaced by answers from the expansion itself."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

checkdmarc = pytest.importorskip("checkdmarc")
import checkdmarc.dmarc as cd_dmarc  # noqa: E402
import checkdmarc.mta_sts as cd_sts  # noqa: E402
import checkdmarc.smtp_tls_reporting as cd_tlsrpt  # noqa: E402
import checkdmarc.spf as cd_spf  # noqa: E402

from zonesync.mail import mail_records, policy_for  # noqa: E402
from zonesync.zonefile.load import load_zone_file  # noqa: E402

BLOCKS = {
    "maddy": """
        zone: example.com
        mail:
          preset: maddy
          mx: [{host: mx, priority: 10}]
          hosts: {mx: {ipv4: [203.0.113.25], ipv6: ["2001:db8::25"]}}
        """,
    "full": """
        zone: example.com
        records:
          "@": {type: A, value: 203.0.113.80}
        mail:
          mx: [{host: mx1, priority: 10}, {host: mx2, priority: 20}]
          hosts:
            mx1: {ipv4: [203.0.113.25]}
            mx2: {ipv6: ["2001:db8::26"]}
          spf:
            allow: [mx, a, "ip4:198.51.100.0/24", "ip6:2001:db8:1::/48", "include:_spf.example.net"]
            all: fail
            on_mx_hosts: true
          dmarc:
            policy: reject
            subdomain_policy: quarantine
            percent: 50
            adkim: strict
            aspf: relaxed
            rua: ["mailto:dmarc@example.com", "mailto:agg@example.com!10m"]
            ruf: ["mailto:forensic@example.com"]
            failure_options: "0:d"
          mta_sts: {mode: testing, max_age: 86400, mx: ["*.example.com"]}
          tls_rpt: {rua: ["mailto:tlsrpt@example.com", "https://reports.example.com/tls"]}
        """,
}


@pytest.fixture(params=sorted(BLOCKS))
def expansion(request, tmp_path: Path):
    zones = tmp_path / "zones"
    zones.mkdir()
    path = zones / "example.com.yaml"
    path.write_text(textwrap.dedent(BLOCKS[request.param]).lstrip())
    config = load_zone_file(path)
    result = mail_records(config, None, generate_keys=False)
    assert [d for d in result.diagnostics if d.level == "error"] == []
    return config, (*config.records, *result.records)


@pytest.fixture(autouse=True)
def offline(monkeypatch, expansion):
    """Answer checkdmarc's DNS questions from the expansion; anything else is a test failure."""
    _, records = expansion

    def a_records(domain, **_):
        return [r.value for r in records if r.name == domain.rstrip(".") and r.type in ("A", "AAAA")]

    def mx_records(domain, **_):
        return [
            {"preference": int(r.value.split()[0]), "hostname": r.value.split()[1].rstrip(".")}
            for r in records
            if r.name == domain.rstrip(".") and r.type == "MX"
        ]

    def query_dns(domain, rtype, **_):
        name = domain.rstrip(".")
        if rtype == "TXT":
            if name == "_spf.example.net":
                return ["v=spf1 ip4:192.0.2.0/24 -all"]
            return [r.value for r in records if r.name == name and r.type == "TXT"]
        return [r.value for r in records if r.name == name and r.type == rtype]

    for mod in (cd_spf, cd_dmarc):
        for attr, fn in (
            ("get_a_records", a_records),
            ("get_mx_records", mx_records),
            ("query_dns", query_dns),
        ):
            if hasattr(mod, attr):
                monkeypatch.setattr(mod, attr, fn)

    def no_network(*args, **kwargs):
        raise AssertionError(f"checkdmarc tried the network: {args}")

    import dns.resolver

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", no_network)


def txt(records, name):
    (value,) = [r.value for r in records if r.name == name and r.type == "TXT"]
    return value


def test_spf_parses(expansion):
    _, records = expansion
    spf_names = sorted({r.name for r in records if r.type == "TXT" and r.value.startswith("v=spf1")})
    assert "example.com" in spf_names and len(spf_names) >= 2  # the domain and each in-zone MX host
    for name in spf_names:
        parsed = cd_spf.parse_spf_record(txt(records, name), name)
        assert parsed["warnings"] == []
        assert parsed["dns_lookups"] <= 10
        assert parsed["parsed"]["all"] in ("softfail", "fail")
    parsed = cd_spf.parse_spf_record(txt(records, "example.com"), "example.com")
    mechanisms = [m["mechanism"] for m in parsed["parsed"]["mechanisms"]]
    assert mechanisms[0] == "mx"


def test_dmarc_parses(expansion):
    _, records = expansion
    parsed = cd_dmarc.parse_dmarc_record(txt(records, "_dmarc.example.com"), "example.com")
    tags = parsed["tags"]
    assert tags["p"]["value"] in ("quarantine", "reject")
    assert tags["v"]["value"] == "DMARC1"
    if "rua" in tags and tags["rua"]["explicit"]:
        assert all(u["scheme"] == "mailto" for u in tags["rua"]["value"])


def test_mta_sts_record_and_policy_parse(expansion):
    config, records = expansion
    rec = cd_sts.parse_mta_sts_record(txt(records, "_mta-sts.example.com"))
    assert rec["tags"]["v"] == "STSv1" and rec["warnings"] == []
    policy = policy_for(config)
    parsed = cd_sts.parse_mta_sts_policy(policy)
    assert parsed["warnings"] == []
    assert parsed["policy"]["version"] == "STSv1"
    mx_hosts = [r.value.split()[1].rstrip(".") for r in records if r.type == "MX"]
    for host in mx_hosts:  # checkdmarc agrees every MX host is covered
        assert cd_sts.mx_in_mta_sts_patterns(host, parsed["policy"]["mx"])


def test_tlsrpt_parses(expansion):
    _, records = expansion
    parsed = cd_tlsrpt.parse_smtp_tls_reporting_record(txt(records, "_smtp._tls.example.com"))
    assert parsed["tags"]["v"]["value"] == "TLSRPTv1"
    assert parsed["tags"]["rua"]["value"]
