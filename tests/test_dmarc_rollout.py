"""The DMARC rollout advice and RFC 9989's organisational domain: pure rules, then `verify` through the real
CLI against the emulator's DNS (the tree walk asked of the nameserver, aggregate reports read with --reports)."""

from __future__ import annotations

import json
from pathlib import Path

from verify_env import World, findings, healthy, world_fixture  # noqa: F401

from zonesync.mail.orgdomain import organizational_domain, registrable_domain, walk_names
from zonesync.mail.rollout import Aligned, advice, next_policy

FIXTURE = Path(__file__).parent / "fixtures" / "reports" / "google.com!mail.example!1795996800!1796083199.xml"


def test_walk_names_follow_rfc_9989_example() -> None:
    # RFC 9989 §4.10: a.b.c.d.e.mail.example.com takes five queries
    assert walk_names("a.b.c.d.e.mail.example.com") == [
        "a.b.c.d.e.mail.example.com", "e.mail.example.com", "mail.example.com", "example.com", "com",
    ]  # fmt: skip
    assert walk_names("example.com") == ["example.com", "com"]


def test_organizational_domain_selection() -> None:
    rec = "v=DMARC1; p=none"
    # §4.10.2 examples: records at mail.example.com and example.com -> example.com
    assert (
        organizational_domain("a.mail.example.com", {"mail.example.com": rec, "example.com": rec})
        == "example.com"
    )
    # only _dmarc.com, with psd=y -> example.com
    assert organizational_domain("a.mail.example.com", {"com": rec + "; psd=y"}) == "example.com"
    # psd=n stops the selection where it is
    assert organizational_domain(
        "a.mail.example.com", {"mail.example.com": rec + "; psd=n", "example.com": rec}
    ) == ("mail.example.com")
    # no record anywhere: the starting name
    assert organizational_domain("a.mail.example.com", {}) == "a.mail.example.com"
    # offline: the public suffix list
    assert registrable_domain("mail.example.co.uk") == "example.co.uk"


def test_rollout_steps_and_advice() -> None:
    assert [next_policy(p) for p in ("none", "quarantine", "reject")] == ["quarantine", "reject", None]
    checklist = advice("example.com", {"p": "none"}, None)
    assert checklist is not None and "next: `policy: quarantine`" in checklist
    assert "No reports were given (--reports)" in checklist and "(1) every server" in checklist
    assert advice("example.com", {"p": "reject"}, None) is None
    testing = advice("example.com", {"p": "reject", "t": "y"}, None)
    assert testing is not None and "remove `testing: true`" in testing
    some = advice("example.com", {"p": "quarantine"}, Aligned(1000, 950))
    assert some is not None and "Reports show 95.0% of 1,000 messages aligned" in some and "not yours" in some
    every = advice("example.com", {"p": "quarantine"}, Aligned(10, 10))
    assert every is not None and "ready to step up" in every


def test_verify_shows_the_organisational_domain_and_the_rollout_checklist(world: World) -> None:
    healthy(world)
    code, doc = world.verify_json()
    assert code == 0, json.dumps(doc, indent=1)
    org = [f for f in findings(doc, "dmarc") if f["message"].startswith("organisational domain")]
    assert org[0]["message"] == "organisational domain example.com (RFC 9989 DNS tree walk)"
    assert org[0]["details"][0] == "_dmarc.example.com: a DMARC record"
    assert org[0]["details"][1].startswith("_dmarc.com: ")  # asked; the emulator serves no `com`
    (rollout,) = [f for f in findings(doc, "dmarc") if f["subject"] == "rollout"]
    assert "rollout at p=quarantine; next: `policy: reject`" in rollout["message"]
    assert "No reports were given" in rollout["message"]


def test_verify_with_reports_says_how_much_is_aligned(world: World) -> None:
    healthy(world)
    reports = world.root / "reports"
    reports.mkdir()
    text = FIXTURE.read_text().replace("mail.example", "example.com")
    (reports / "google.com!example.com!1795996800!1796083199.xml").write_text(text)
    code, doc = world.verify_json("--reports", str(reports))
    assert code == 0, json.dumps(doc, indent=1)
    (rollout,) = [f for f in findings(doc, "dmarc") if f["subject"] == "rollout"]
    assert "Reports show" in rollout["message"] and "messages aligned (DMARC pass)" in rollout["message"]


def test_report_address_in_the_organisational_domain_needs_no_consent(world: World) -> None:
    # mail.example.com is its own zone; its organisational domain (tree walk) is example.com, so reports to
    # an address at example.com need no consent record
    world.emu.store.create_zone("mail.example.com")
    world.add("example.com", "TXT", "_dmarc", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com")
    world.write(
        "zone: mail.example.com\nrecords:\n  _dmarc: {type: TXT, value: 'v=DMARC1; p=none; rua=mailto:agg@example.com'}\n",
        name="mail.example.com",
    )
    world.apply()
    code, doc = world.verify_json("mail.example.com")
    assert code == 0, json.dumps(doc, indent=1)
    org = [f for f in findings(doc, "dmarc") if f["message"].startswith("organisational domain")]
    assert org[0]["message"] == "organisational domain example.com (RFC 9989 DNS tree walk)"
    assert not [
        f for f in findings(doc, "dmarc") if "consent" in f["message"] or "_report._dmarc" in f["message"]
    ]
