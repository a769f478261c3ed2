"""checkdmarc (an independent implementation) asks the same loopback nameserver as `zonesync verify` and must
reach the same SPF and DMARC verdicts: lookup and void counts, the limits, the report-destination consent."""

from __future__ import annotations

import pytest
from verify_env import MAIL_ZONE, World, findings, world_fixture  # noqa: F401

checkdmarc = pytest.importorskip("checkdmarc")
import checkdmarc.dmarc as cd_dmarc  # noqa: E402
import checkdmarc.spf as cd_spf  # noqa: E402
import dns.nameserver  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_checkdmarc_cache() -> None:
    """checkdmarc keeps answers in a module-wide cache; every test here has a new world behind the same names."""
    import checkdmarc.utils

    checkdmarc.utils.DNS_CACHE.clear()


def _ns(world: World) -> list[dns.nameserver.Nameserver]:
    assert world.emu.dns is not None
    return [dns.nameserver.Do53Nameserver("127.0.0.1", world.emu.dns.port)]


def _nested(world: World) -> None:
    for i in range(4):
        world.add("other.example", "A", f"h{i}", f"192.0.2.{i + 1}")
    world.add("other.example", "TXT", "l1", "v=spf1 a:h0.other.example include:l2.other.example -all")
    world.add(
        "other.example", "TXT", "l2", "v=spf1 a:h1.other.example a:h2.other.example mx:other.example -all"
    )
    world.add("other.example", "MX", "@", "h3.other.example", priority=10)


@pytest.mark.parametrize(
    ("allow", "verdict"),
    [
        (["mx", "include:l1.other.example"], "pass"),  # 7 lookups
        (["mx", "include:l1.other.example", "a:h0.other.example", "a:h1.other.example", "a:h2.other.example",
          "a"], "lookups"),  # 11 lookups
        (["mx", "a:v1.other.example", "a:v2.other.example", "a:v3.other.example"], "void"),
        (["mx", "a:v1.other.example", "a:v2.other.example"], "pass"),  # 2 voids: the limit, allowed
    ],
)  # fmt: skip
def test_spf_verdicts_agree(world: World, allow: list[str], verdict: str) -> None:
    _nested(world)
    terms = ", ".join(repr(a) for a in allow)
    world.write(MAIL_ZONE + f"  spf:\n    allow: [{terms}]\n")
    world.apply()
    code, doc = world.verify_json()
    ours = next(f for f in findings(doc, "spf") if f["subject"] == "example.com")

    theirs = cd_spf.check_spf("example.com", nameservers=_ns(world), timeout=2, retries=0)
    if verdict == "pass":
        assert ours["status"] == "pass", ours
        assert theirs["valid"] is True, theirs
        lookups = int(ours["message"].split()[0])
        voids = int(ours["message"].split(", ")[1].split()[0])
        assert (lookups, voids) == (theirs["dns_lookups"], theirs["void_dns_lookups"])
    else:
        assert ours["status"] == "fail" and code == 5
        assert theirs["valid"] is False, theirs
        if verdict == "lookups":
            assert "11 DNS lookups" in ours["message"]
            assert "DNS lookups" in theirs["error"] and "11/10" in theirs["error"]
        else:
            assert "3 void lookups" in ours["message"]
            assert "void DNS lookups" in theirs["error"]


@pytest.mark.parametrize("consent", [True, False])
def test_dmarc_verdicts_agree(world: World, consent: bool) -> None:
    world.write(MAIL_ZONE.replace("mailto:dmarc@example.com", "mailto:reports@other.example"))
    world.apply()
    world.add("other.example", "MX", "@", "mx.other.example", priority=10)  # reports can be delivered
    world.add("other.example", "A", "mx", "192.0.2.80")
    if consent:
        world.add("other.example", "TXT", "example.com._report._dmarc", "v=DMARC1")
    code, doc = world.verify_json()
    theirs = cd_dmarc.check_dmarc("example.com", nameservers=_ns(world), timeout=2, retries=0)
    assert theirs["valid"] is True, theirs  # the record itself parses for both
    assert findings(doc, "dmarc")[0]["status"] == "pass" or not consent
    unverified = [w for w in theirs["warnings"] if "other.example" in w]
    ours_fail = [f for f in findings(doc, "dmarc", "fail") if "other.example" in f["message"]]
    if consent:
        assert code == 0 and not ours_fail and not unverified, (ours_fail, unverified)
    else:
        assert code == 5 and ours_fail and unverified, (ours_fail, theirs["warnings"])
