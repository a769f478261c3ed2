"""`zonesync verify` through the real CLI against the emulator's authoritative DNS on loopback: apply, then
verify passes; each failure provoked behind zonesync's back (the emulator's control endpoint, key files,
other domains' records) and its message asserted."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from emu_records import user_records
from verify_env import MAIL_ZONE, SilentServer, World, findings, policy_host, world_fixture  # noqa: F401

import zonesync

SCHEMA = Path(zonesync.__file__).parent / "schemas" / "verify.schema.json"


def _healthy(world: World) -> None:
    world.write(MAIL_ZONE)
    world.apply()
    world.ptr("203.0.113.25", "mx.example.com")
    world.ptr("2001:db8::25", "mx.example.com")


def test_apply_then_verify_passes(world: World) -> None:
    _healthy(world)
    world.add("example.com", "A", "mta-sts", "127.0.0.1")  # the policy host (reached through --connect-to)
    with policy_host(world) as flags:
        code, doc = world.verify_json(*flags, dns_only=False)
    assert code == 0, json.dumps(doc, indent=1)
    assert doc["not_checked"] == []
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    assert doc["passed"] is True
    assert doc["counts"]["fail"] == doc["counts"]["error"] == doc["counts"]["warn"] == 0
    topics = {f["topic"] for f in findings(doc, status="pass")}
    assert topics == {"dns", "spf", "dkim", "dmarc", "mta-sts", "tls-rpt", "mx"}
    urls = [f["subject"] for f in findings(doc, "mta-sts")]
    assert "https://mta-sts.example.com/.well-known/mta-sts.txt" in urls  # the policy fetched and compared
    dkim = findings(doc, "dkim")[0]["message"]
    assert "a signature made with" in dkim and "verifies against the key served" in dkim
    fcrdns = [f["message"] for f in findings(doc, "mx") if "FCrDNS" in f["message"]]
    assert len(fcrdns) == 2  # both addresses: PTR names mx.example.com, which resolves back
    authorised = [f["subject"] for f in findings(doc, "spf") if "is authorised" in f["message"]]
    assert "example.com for 203.0.113.25" in authorised and "example.com for 2001:db8::25" in authorised


def test_smtp_probes_every_mx_address_through_connect_to(world: World) -> None:
    import ssl

    import trustme
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink
    from netservers import closed_port

    _healthy(world)
    world.add("example.com", "A", "mta-sts", "127.0.0.1")
    ca = trustme.CA()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("mx.example.com").configure_cert(ctx)
    smtp = Controller(
        Sink(), hostname="127.0.0.1", port=closed_port(), tls_context=ctx, require_starttls=False
    )
    smtp.start()
    try:
        with policy_host(world, ca=ca) as flags:
            route = f"mx.example.com:25:127.0.0.1:{smtp.port}"
            code, doc = world.verify_json(*flags, "--smtp", "--connect-to", route, dns_only=False)
    finally:
        smtp.stop()
    assert code == 0, json.dumps(doc, indent=1)
    probed = {f["subject"]: f["message"] for f in findings(doc, "smtp", "pass")}
    assert set(probed) == {"mx.example.com (203.0.113.25)", "mx.example.com (2001:db8::25)"}
    assert all(m.startswith("STARTTLS with a certificate valid for mx.example.com") for m in probed.values())


def test_text_output_groups_by_zone_and_shows_the_spf_tree_with_v(world: World) -> None:
    _healthy(world)
    result = world.verify("-v")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "example.com"
    assert any(line.strip().startswith("| example.com: v=spf1 mx ~all") for line in lines)
    assert any("mx -> mx.example.com (203.0.113.25, 2001:db8::25)" in line for line in lines)
    assert lines[-1].startswith("Verification passed: ")
    assert lines[-1].endswith(
        "Not checked (--dns-only): the MTA-STS policy over HTTPS, which need the real hosts."
    )
    assert "\x1b[" not in result.output  # NO_COLOR / not a terminal
    markdown = world.verify("--format", "markdown")
    assert markdown.output.startswith("### zonesync verify: Verification passed")
    assert "| ✅ | spf | `example.com` |" in markdown.output


def test_dashboard_edit_is_drift(world: World) -> None:
    _healthy(world)
    # a record added behind zonesync's back, through the emulator's control endpoint (a dashboard edit)
    httpx.post(
        world.emu.url.replace("/client/v4", "/__emulator/records"),
        json={"zone": "example.com", "record": {"type": "A", "name": "@", "content": "198.51.100.7"}},
    ).raise_for_status()
    result = world.verify()
    assert result.exit_code == 5, result.output
    assert (
        "FAIL  example.com A: served differently from the file: served but not in the file 198.51.100.7"
        in result.output
    )
    assert "`zonesync plan` shows it" in result.output


def test_declared_record_not_served_names_the_soa_serial(world: World) -> None:
    _healthy(world)
    world.write(MAIL_ZONE + "  spf:\n    allow: [mx, 'ip4:192.0.2.0/24']\n")  # not applied
    code, doc = world.verify_json()
    assert code == 5
    (drift,) = findings(doc, "dns", "fail")
    assert drift["subject"] == "example.com TXT"
    assert 'missing "v=spf1 mx ip4:192.0.2.0/24 ~all"' in drift["message"]
    assert "SOA serial 23" in drift["message"]


def test_not_yet_served_when_nameservers_disagree(world: World) -> None:
    _healthy(world)
    from zonesync.emulator.server import Emulator

    stale = Emulator(tokens=("x",), zones=("example.com",), rate_limit=0, dns_port=0).start()
    try:
        for rec in user_records(world.emu, "example.com"):
            if not (rec["type"] == "TXT" and rec["name"] == "_dmarc.example.com"):
                stale.add_record("example.com", {k: rec[k] for k in ("type", "name", "content", "ttl", "proxied")}
                                 | ({"priority": rec["priority"]} if "priority" in rec else {}))  # fmt: skip
        assert stale.dns is not None
        result = world.verify("--nameserver", f"127.0.0.1:{stale.dns.port}")
    finally:
        stale.stop()
    assert "warn  _dmarc.example.com TXT: not yet served by every nameserver" in result.output, result.output


def test_spf_with_11_lookups_through_nested_includes(world: World) -> None:
    for i in range(6):
        world.add("other.example", "A", f"h{i}", f"192.0.2.{i + 1}")
    world.add(
        "other.example",
        "TXT",
        "l1",
        "v=spf1 a:h0.other.example a:h1.other.example include:l2.other.example -all",
    )
    world.add(
        "other.example",
        "TXT",
        "l2",
        "v=spf1 a:h2.other.example a:h3.other.example include:l3.other.example -all",
    )
    world.add(
        "other.example", "TXT", "l3", "v=spf1 a:h4.other.example a:h5.other.example a:h0.other.example -all"
    )
    world.write(MAIL_ZONE + "  spf:\n    allow: [mx, 'include:l1.other.example']\n")
    world.apply()
    code, doc = world.verify_json("-v")
    assert code == 5
    (fail,) = [f for f in findings(doc, "spf", "fail") if f["subject"] == "example.com"]
    assert fail["message"].startswith("permerror: 11 DNS lookups; RFC 7208 §4.6.4 allows 10")
    assert "the 11th is `a:h0.other.example`" in fail["message"]
    assert any("l3.other.example: v=spf1" in d for d in fail["details"])


def test_spf_with_3_void_lookups(world: World) -> None:
    world.write(
        MAIL_ZONE
        + "  spf:\n    allow: [mx, 'a:v1.other.example', 'a:v2.other.example', 'a:v3.other.example']\n"
    )
    world.apply()
    code, doc = world.verify_json()
    assert code == 5
    (fail,) = [f for f in findings(doc, "spf", "fail") if f["subject"] == "example.com"]
    assert "3 void lookups (a:v1.other.example, a:v2.other.example, a:v3.other.example)" in fail["message"]


def test_mx_address_not_authorised_by_spf(world: World) -> None:
    world.write(MAIL_ZONE + "  spf:\n    allow: ['ip4:192.0.2.0/24']\n    all: fail\n")
    world.apply()
    code, doc = world.verify_json()
    assert code == 5
    fails = {f["subject"]: f for f in findings(doc, "spf", "fail")}
    assert (
        "203.0.113.25 (mx.example.com, your MX) gets SPF fail"
        in fails["example.com for 203.0.113.25"]["message"]
    )
    assert "add `mx` or `ip6:2001:db8::25`" in fails["example.com for 2001:db8::25"]["fix"]


def test_ptr_missing_and_mismatched_are_warnings(world: World) -> None:
    world.write(MAIL_ZONE)
    world.apply()
    world.ptr("203.0.113.25", "host.other.example")  # resolves elsewhere: FCrDNS fails
    world.add("other.example", "A", "host", "198.51.100.1")
    code, doc = world.verify_json()
    assert code == 0  # warnings alone pass ...
    warns = {f["subject"]: f["message"] for f in findings(doc, "mx", "warn")}
    assert "does not resolve back to 203.0.113.25 (FCrDNS fails)" in warns["mx.example.com 203.0.113.25"]
    assert warns["mx.example.com 2001:db8::25"].startswith("no reverse DNS (PTR) for 2001:db8::25")
    assert world.verify("--strict").exit_code == 5  # ... unless --strict


def test_dkim_key_in_dns_is_not_the_key_file(world: World) -> None:
    _healthy(world)
    key = world.root / "keys" / "example.com_default.key"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (world.root / "keys" / "example.com_default.key.pub").unlink()
    code, doc = world.verify_json()
    assert code == 5
    (fail,) = findings(doc, "dkim", "fail")
    assert fail["message"].startswith(
        f"the key served at default._domainkey.example.com is not the key in {key}"
    )


def test_dmarc_external_rua_needs_the_other_domains_consent(world: World) -> None:
    world.write(MAIL_ZONE.replace("mailto:dmarc@example.com", "mailto:reports@other.example"))
    world.apply()
    code, doc = world.verify_json()
    assert code == 5
    (fail,) = findings(doc, "dmarc", "fail")
    assert "other.example does not publish example.com._report._dmarc.other.example" in fail["message"]
    world.add("other.example", "TXT", "example.com._report._dmarc", "v=DMARC1")
    code, doc = world.verify_json()
    assert code == 0
    assert any(
        "other.example accepts reports for example.com" in f["message"] for f in findings(doc, "dmarc")
    )


def test_dmarc_without_rua_is_warned(world: World) -> None:
    world.write(MAIL_ZONE.replace('  dmarc:\n    rua: ["mailto:dmarc@example.com"]\n', ""))
    world.apply()
    code, doc = world.verify_json()
    assert code == 0
    (warn,) = findings(doc, "dmarc", "warn")
    assert warn["message"].startswith(
        "no `rua=` report address: receivers send their daily aggregate reports"
    )


def test_mta_sts_id_not_the_published_policy(world: World) -> None:
    _healthy(world)
    world.write(MAIL_ZONE + "  mta_sts:\n    mode: testing\n")  # the policy changes, the record does not
    code, doc = world.verify_json()
    assert code == 5
    (fail,) = findings(doc, "mta-sts", "fail")
    assert "is not the id of the policy zonesync publishes" in fail["message"]


def test_unknown_zone_is_one_line_exit_1(world: World) -> None:
    result = world.verify("nosuch.example")
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "no such zone file" in result.output


def test_zone_the_nameserver_does_not_serve(world: World) -> None:
    world.write(
        "zone: elsewhere.example\nrecords:\n  '@': {type: A, value: 192.0.2.1}\n", "elsewhere.example"
    )
    result = world.verify("elsewhere.example")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: cannot verify elsewhere.example: elsewhere.example SOA: {world.nameserver} answered REFUSED "
        "(it does not serve that name)\n"
    )


def test_nameserver_that_never_answers(world: World) -> None:
    world.write(MAIL_ZONE)
    dead = SilentServer()
    try:
        result = world.verify(nameservers=(dead.address,), timeout="0.3")
    finally:
        dead.close()
    assert result.exit_code == 1, result.output
    assert result.output.startswith(
        "Error: cannot verify example.com: example.com SOA: no answer from 127.0.0.1:"
    )
    assert "within 0.3 s (timeout)" in result.output
    assert result.output.count("\n") == 1


def test_malformed_and_servfail_answers(world: World) -> None:
    world.write(MAIL_ZONE)
    for server, expected in (
        (SilentServer(reply=b"\x81\x80garbage"), "malformed answer from"),
        (SilentServer(rcode=2), "answered SERVFAIL"),
    ):
        try:
            result = world.verify(nameservers=(server.address,), timeout="0.5")
        finally:
            server.close()
        assert result.exit_code == 1, result.output
        assert expected in result.output
        assert "Traceback" not in result.output


def test_bad_nameserver_flag(world: World) -> None:
    world.write(MAIL_ZONE)
    result = world.verify("--nameserver", "ns.example.com")
    assert result.exit_code == 1
    assert "give the nameserver as an IP address" in result.output
