"""The DNSSEC model (what a plan does, when it is unsafe), the provider's checks of Cloudflare's answer, and
the emulator's DNSSEC resource and signer (states, errors, unsigned answers without DO, referrals)."""

from __future__ import annotations

import cloudflare
import dns.flags
import dns.message
import dns.rdatatype
import pytest

from zonesync.cloudflare import schema
from zonesync.cloudflare.dnssec import parse_state
from zonesync.emulator.server import Emulator
from zonesync.plan.dnssec import DnssecPlan, DnssecState, DsRecord

DIGEST = "41600621c65065b09230ebc9556ced937eb7fd86e31635d0025326ccf09a7194"
ANSWER = {
    "algorithm": "13",
    "digest": DIGEST,
    "digest_algorithm": "SHA256",
    "digest_type": "2",
    "ds": f"example.com. 3600 IN DS 2371 13 2 {DIGEST}",
    "flags": 257,
    "key_tag": 2371,
    "key_type": "ECDSAP256SHA256",
    "modified_on": "2016-05-01T22:42:15.591158Z",
    "public_key": "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
    "status": "pending",
}


@pytest.mark.parametrize(
    ("wanted", "status", "parent", "action", "dangerous"),
    [
        (True, "disabled", "unknown", "enable", False),
        (True, "pending-disabled", "unknown", "enable", False),
        (True, "pending", "unknown", None, False),
        (True, "active", "unknown", None, False),
        (False, "active", "unknown", "disable", True),
        (False, "active", "present", "disable", True),
        (False, "active", "absent", "disable", False),
        (False, "pending", "unknown", "disable", False),  # the DS was never seen: nothing breaks
        (False, "disabled", "unknown", None, False),
    ],
)
def test_plan_action_and_danger(
    wanted: bool, status: str, parent: str, action: str | None, dangerous: bool
) -> None:
    plan = DnssecPlan(wanted, DnssecState(status), parent)  # type: ignore[arg-type]
    assert plan.action == action and plan.dangerous is dangerous
    assert (plan.refusal("example.com") is not None) is dangerous
    assert plan.refusal("example.com", force=True) is None
    assert DnssecPlan.from_json(plan.to_json()) == plan


def test_the_provider_accepts_cloudflares_answer() -> None:
    state = parse_state("example.com", ANSWER)
    assert state.status == "pending"
    assert state.ds == DsRecord(2371, 13, 2, DIGEST, f"example.com. 3600 IN DS 2371 13 2 {DIGEST}")
    assert parse_state("example.com", {**ANSWER, "status": "disabled", "ds": None}).ds is None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"status": "on"}, "`status`"),
        ({"ds": f"other.example. 3600 IN DS 2371 13 2 {DIGEST}"}, "not a DS record of example.com"),
        ({"key_tag": 9999}, "`key_tag`"),
        ({"digest": "ab" * 32}, "`digest`"),
        ({"ds": "example.com. 3600 IN DS 2371 13 2 zz\x1b[31m"}, "does not parse"),
        (None, "not an object"),
    ],
)
def test_the_provider_refuses_an_inconsistent_answer(change: dict | None, says: str) -> None:
    with pytest.raises(schema.AnswerError, match=says):
        parse_state("example.com", None if change is None else {**ANSWER, **change})


@pytest.fixture(name="emu")
def emu_fixture() -> Emulator:
    emu = Emulator(zones=("example.com",), dns_port=0, rate_limit=0).start()
    yield emu
    emu.stop()


def test_emulator_states_and_errors(emu: Emulator) -> None:
    cf = cloudflare.Cloudflare(api_token="test-token", base_url=emu.url, max_retries=0)
    zid = emu.zone_id("example.com")
    first = cf.dns.dnssec.get(zone_id=zid)
    assert first.status == "disabled" and first.modified_on is None and first.ds is None
    with pytest.raises(cloudflare.BadRequestError) as bad:
        cf.dns.dnssec.edit(zone_id=zid, extra_body={"status": "on"})
    assert bad.value.body["errors"][0]["code"] == 1007  # type: ignore[index]
    emu.set_dnssec(delay=600)
    assert cf.dns.dnssec.edit(zone_id=zid, status="active").status == "pending"
    with pytest.raises(cloudflare.BadRequestError):  # DELETE only once disabled
        cf.dns.dnssec.delete(zone_id=zid)
    emu.set_dnssec(delay=0)
    emu.dnssec.edit(emu.store.zone_named("example.com"), {"status": "active"})
    assert cf.dns.dnssec.get(zone_id=zid).status == "active"
    assert cf.dns.dnssec.edit(zone_id=zid, status="disabled").status == "pending-disabled"
    assert cf.dns.dnssec.get(zone_id=zid).status == "disabled"
    cf.dns.dnssec.delete(zone_id=zid)
    assert cf.dns.dnssec.get(zone_id=zid).modified_on is None


def test_emulator_signs_only_for_do_and_proves_no_ds_at_a_referral(emu: Emulator) -> None:
    emu.add_record(
        "example.com",
        {"type": "NS", "name": "sub.example.com", "content": "ns.elsewhere.example", "ttl": 300},
    )
    emu.add_record(
        "example.com", {"type": "A", "name": "www.example.com", "content": "192.0.2.1", "ttl": 300}
    )
    authority = emu.dns.authority  # type: ignore[union-attr]

    def ask(name: str, rdtype: str, do: bool = True) -> dns.message.Message:
        return authority.resolve(dns.message.make_query(name, rdtype, want_dnssec=do))

    assert not any(
        r.rdtype == dns.rdatatype.RRSIG for r in ask("www.example.com", "A").answer
    )  # not signed yet
    assert ask("example.com", "DNSKEY").rcode() == 0 and not ask("example.com", "DNSKEY").answer
    emu.dnssec.edit(emu.store.zone_named("example.com"), {"status": "active"})
    plain = ask("www.example.com", "A", do=False)
    assert [r.rdtype for r in plain.answer] == [dns.rdatatype.A]
    assert [r.rdtype for r in ask("example.com", "DNSKEY", do=False).answer] == [dns.rdatatype.DNSKEY]
    gone = ask("nothing.example.com", "A", do=False)
    assert gone.rcode() == 3  # without DO an unsigned NXDOMAIN, as before
    referral = ask("host.sub.example.com", "A")
    assert not referral.flags & dns.flags.AA
    nsec = [r for r in referral.authority if r.rdtype == dns.rdatatype.NSEC]
    assert nsec and "NS RRSIG NSEC" in nsec[0].to_text()
    assert any(r.rdtype == dns.rdatatype.RRSIG and r.covers == dns.rdatatype.NSEC for r in referral.authority)
    assert not any(
        r.rdtype == dns.rdatatype.RRSIG and r.covers == dns.rdatatype.NS for r in referral.authority
    )


def test_emulator_publishes_cds_and_cdnskey_as_the_state_says(emu: Emulator) -> None:
    """RFC 7344 / RFC 8078 at the apex: the key-signing key's DS and DNSKEY while signing is on, signed by
    it and equal to the DS the API gives; the delete signal while it is turned off; nothing once off."""
    import dns.dnssec
    import dns.name

    authority = emu.dns.authority  # type: ignore[union-attr]
    zone = emu.store.zone_named("example.com")

    def ask(rdtype: str) -> dns.message.Message:
        return authority.resolve(dns.message.make_query("example.com", rdtype, want_dnssec=True))

    def only(rdtype: str) -> list[str]:
        return [
            rr.to_text()
            for s in ask(rdtype).answer
            if s.rdtype == dns.rdatatype.from_text(rdtype)
            for rr in s
        ]

    assert only("CDS") == [] and only("CDNSKEY") == []  # never signed
    emu.set_dnssec(delay=600)
    emu.dnssec.edit(zone, {"status": "active"})  # pending: signing is on, the registrar may take the DS now
    (cds,) = only("CDS")
    api_ds = emu.dnssec_ds("example.com")
    assert api_ds.endswith(" DS " + cds), (api_ds, cds)
    keys = next(s for s in ask("DNSKEY").answer if s.rdtype == dns.rdatatype.DNSKEY)
    ksk = [rr for rr in keys if rr.flags == 257]
    assert only("CDNSKEY") == [ksk[0].to_text()]
    origin = dns.name.from_text("example.com")
    answer = ask("CDS").answer
    rrset = next(s for s in answer if s.rdtype == dns.rdatatype.CDS)
    rrsig = next(s for s in answer if s.rdtype == dns.rdatatype.RRSIG)
    dns.dnssec.validate(rrset, rrsig, {origin: keys})  # raises if the signature does not verify
    apex_nodata = ask("TXT")
    nsec = [s for s in apex_nodata.authority if s.rdtype == dns.rdatatype.NSEC]
    assert nsec and "CDS" in nsec[0].to_text() and "CDNSKEY" in nsec[0].to_text()
    emu.set_dnssec(delay=0)
    emu.dnssec.edit(zone, {"status": "active"})
    emu.set_dnssec(delay=600)
    emu.dnssec.edit(zone, {"status": "disabled"})  # pending-disabled: the DS may still be at the registrar
    assert only("CDS") == ["0 0 0 00"] and only("CDNSKEY") == ["0 3 0 AA=="]
    emu.set_dnssec(delay=0)
    emu.dnssec.edit(zone, {"status": "disabled"})
    assert only("CDS") == [] and only("CDNSKEY") == []


def test_emulator_keeps_dnssec_keys_and_state_in_its_state_file(tmp_path) -> None:
    """A restarted emulator signs with the same keys (the DS at the registrar stays valid) and keeps the
    state; the state file holding private keys is written 0600, and a deleted state is gone from it."""
    import json
    import stat

    state = tmp_path / "state.json"
    with Emulator(zones=("example.com",), state_path=state, rate_limit=0) as first:
        cf = cloudflare.Cloudflare(api_token="test-token", base_url=first.url, max_retries=0)
        zid = first.zone_id("example.com")
        cf.dns.dnssec.edit(zone_id=zid, status="active")
        before = cf.dns.dnssec.get(zone_id=zid)
        assert before.status == "active" and before.ds
    saved = json.loads(state.read_text())
    (zone,) = saved["zones"]
    assert zone["dnssec"]["status"] in ("pending", "active")
    assert "BEGIN PRIVATE KEY" in zone["dnssec"]["keys"]["ksk"]
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    with Emulator(zones=(), state_path=state, rate_limit=0, dns_port=0) as second:
        cf = cloudflare.Cloudflare(api_token="test-token", base_url=second.url, max_retries=0)
        after = cf.dns.dnssec.get(zone_id=zid)
        assert (after.status, after.ds, after.key_tag) == ("active", before.ds, before.key_tag)
        answer = second.dns.authority.resolve(  # type: ignore[union-attr]
            dns.message.make_query("example.com", "DNSKEY", want_dnssec=True)
        )
        assert any(r.rdtype == dns.rdatatype.RRSIG for r in answer.answer)  # signing again, same keys
        cf.dns.dnssec.edit(zone_id=zid, status="disabled")
        cf.dns.dnssec.delete(zone_id=zid)
    assert "dnssec" not in json.loads(state.read_text())["zones"][0]
