"""verify's DNSSEC check against the emulator's signed zone: the chain from `--trust-anchor` (DS or DNSKEY),
positive answers, NODATA and compact denial validated; a wrong anchor, a tampered signature, no anchor and an
unsigned zone fail; TLSA without a valid chain fails with the DANE reason. Also the pure chain functions."""

from __future__ import annotations

import base64

import dns.message
import dns.rcode
import pytest
from verify_env import World, findings, world_fixture  # noqa: F401

from zonesync.verify.dnssec_chain import ChainError, parse_anchor, proven, trusted_keys

ZONE = """
zone: example.com
dnssec: true
records:
  "@": {type: A, value: 203.0.113.10}
  www: {type: A, value: 203.0.113.11}
"""


def signed(world: World) -> str:
    world.write(ZONE)
    world.add("example.com", "A", "example.com", "203.0.113.10")
    world.add("example.com", "A", "www.example.com", "203.0.113.11")
    world.emu.dnssec.edit(world.emu.store.zone_named("example.com"), {"status": "active"})
    return world.emu.dnssec_ds("example.com")


def test_chain_validates_from_the_ds_as_trust_anchor(world: World) -> None:
    ds = signed(world)
    code, doc = world.verify_json("--trust-anchor", ds, "example.com")
    found = findings(doc, "dnssec")
    assert [f["status"] for f in found] == ["pass", "pass", "pass"], found
    messages = " ".join(f["message"] for f in found)
    assert "compact denial, RFC 9824" in messages and "--trust-anchor: DS" in messages
    assert code == 0, found


def test_a_dnskey_works_as_anchor_too(world: World) -> None:
    signed(world)
    key = world.emu.store.zone_named("example.com").dnssec.keys.ksk_dnskey
    code, doc = world.verify_json("--trust-anchor", f"DNSKEY {key.to_text()}", "example.com")
    assert [f["status"] for f in findings(doc, "dnssec")] == ["pass"] * 3
    assert code == 0


def test_a_wrong_anchor_fails(world: World) -> None:
    ds = signed(world)
    parts = ds.split()
    wrong = " ".join([*parts[:-1], "00" * 32])
    code, doc = world.verify_json("--trust-anchor", wrong, "example.com")
    failed = findings(doc, "dnssec", "fail")
    assert failed and "matches the trust anchor" in failed[0]["message"]
    assert code == 5


def test_no_parent_and_no_anchor_fails_rather_than_skips(world: World) -> None:
    signed(world)
    code, doc = world.verify_json("example.com")
    failed = findings(doc, "dnssec", "fail")
    assert len(failed) == 3 and "no DS for example.com at its parent" in failed[0]["message"]
    assert code == 5


def test_a_tampered_signature_fails(world: World) -> None:
    ds = signed(world)
    world.emu.set_dnssec(tamper=True)
    code, doc = world.verify_json("--trust-anchor", ds, "example.com")
    failed = findings(doc, "dnssec", "fail")
    assert failed and "no RRSIGs validated" in failed[0]["message"]
    assert code == 5


def test_an_unsigned_zone_fails(world: World) -> None:
    world.write(ZONE)
    fake = "example.com. 3600 IN DS 2371 13 2 " + "ab" * 32
    code, doc = world.verify_json("--trust-anchor", fake, "example.com")
    failed = findings(doc, "dnssec", "fail")
    assert failed and "serves no DNSKEY" in failed[0]["message"]
    assert code == 5


def test_tlsa_without_a_chain_fails_with_the_dane_reason(world: World) -> None:
    world.write(
        """
        zone: example.com
        records:
          _25._tcp.mx: {type: TLSA, value: "3 1 1 %s"}
        """
        % ("ab" * 32)
    )
    code, doc = world.verify_json("example.com")
    failed = findings(doc, "dnssec", "fail")
    assert failed and "senders ignore DANE without DNSSEC" in failed[0]["message"]
    assert code == 5


def test_no_opinion_no_check(world: World) -> None:
    world.write("zone: example.com\n")
    _, doc = world.verify_json("example.com")
    assert findings(doc, "dnssec") == []


def test_a_bad_trust_anchor_is_a_clear_usage_error(world: World) -> None:
    world.write(ZONE)
    result = world.verify("--trust-anchor", "not a key", "example.com")
    assert result.exit_code != 0 and "--trust-anchor" in result.output and "Traceback" not in result.output


# -- the pure functions, on answers the emulator's signer made ------------------------------------------


def _signed_answers(world: World) -> tuple[dict[str, dns.message.Message], str]:
    ds = signed(world)
    authority = world.emu.dns.authority  # type: ignore[union-attr]
    out = {}
    for name, rdtype in (
        ("example.com", "DNSKEY"),
        ("www.example.com", "A"),
        ("www.example.com", "MX"),
        ("gone.example.com", "A"),
    ):
        query = dns.message.make_query(name, rdtype, want_dnssec=True)
        out[f"{name} {rdtype}"] = authority.resolve(query)
    return out, ds


def test_proven_names_what_each_answer_proves(world: World) -> None:
    answers, ds = _signed_answers(world)
    keys, via = trusted_keys("example.com", answers["example.com DNSKEY"], [parse_anchor(ds)])
    assert via.startswith("DS ")
    assert proven("example.com", "www.example.com", "A", answers["www.example.com A"], keys) == "an answer"
    assert "NODATA" in proven("example.com", "www.example.com", "MX", answers["www.example.com MX"], keys)
    gone = answers["gone.example.com A"]
    assert gone.rcode() == dns.rcode.NOERROR  # compact denial: not NXDOMAIN
    assert "compact denial" in proven("example.com", "gone.example.com", "A", gone, keys)


def test_a_denial_for_another_name_proves_nothing(world: World) -> None:
    answers, ds = _signed_answers(world)
    keys, _ = trusted_keys("example.com", answers["example.com DNSKEY"], [parse_anchor(ds)])
    with pytest.raises(ChainError, match="without an NSEC at the name"):
        proven("example.com", "other.example.com", "A", answers["gone.example.com A"], keys)
    with pytest.raises(ChainError, match="without an NSEC at the name"):  # NODATA for www is not for mail
        proven("example.com", "mail.example.com", "MX", answers["www.example.com MX"], keys)


def test_parse_anchor_forms() -> None:
    whole = parse_anchor("example.com. 3600 IN DS 2371 13 2 " + "AB" * 32)
    assert whole.owner == "example.com" and whole.kind == "DS"
    assert parse_anchor("2371 13 2 " + "ab" * 32).kind == "DS"
    key = base64.b64encode(b"\x01" * 64).decode()
    assert parse_anchor(f"257 3 13 {key}").kind == "DNSKEY"
    with pytest.raises(ValueError):
        parse_anchor("hello world")
