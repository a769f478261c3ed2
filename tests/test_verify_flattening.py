"""CNAME flattening as Cloudflare serves it (docs "CNAME flattening", "Setup"): the emulator's nameserver
answers a DNS-only CNAME at the apex, or one whose target is in the zone, with the target's addresses, and
`zonesync verify` (the real CLI, after a real apply) accepts that answer and names a dangling target."""

from __future__ import annotations

import dns.message
import dns.query
import dns.rcode
from verify_env import World, findings, world_fixture  # noqa: F401

ZONE = """
zone: example.com
records:
  "@": {{type: CNAME, value: web.example.com.}}
  web: {{type: A, value: 203.0.113.10}}
  docs: {{type: CNAME, value: {docs}}}
  help: {{type: CNAME, value: help.other.example.}}
"""


def ask(world: World, name: str, rdtype: str) -> dns.message.Message:
    assert world.emu.dns is not None
    return dns.query.udp(
        dns.message.make_query(name, rdtype), "127.0.0.1", port=world.emu.dns.port, timeout=2
    )


def test_flattened_apex_and_in_zone_cnames_are_served_and_verified(world: World) -> None:
    world.write(ZONE.format(docs="web.example.com."))
    world.apply()
    apex = ask(world, "example.com", "A")
    assert [r.to_text() for r in apex.answer] == ["example.com. 300 IN A 203.0.113.10"]  # no CNAME shown
    assert ask(world, "docs.example.com", "CNAME").answer == []  # the CNAME itself is never served
    assert [r.to_text() for r in ask(world, "help.example.com", "A").answer] == [
        "help.example.com. 300 IN CNAME help.other.example."  # a target in another zone: not flattened
    ]
    code, doc = world.verify_json()
    assert code == 0, doc
    assert findings(doc, "dns", "fail") == []
    assert "4 of 4 declared record sets served as declared" in findings(doc, "dns", "pass")[0]["message"]


def test_a_dangling_in_zone_target_is_nodata_and_named_by_verify(world: World) -> None:
    world.write(ZONE.format(docs="gone.example.com."))
    world.apply()
    answer = ask(world, "docs.example.com", "A")
    assert answer.rcode() == dns.rcode.NOERROR and answer.answer == []  # NODATA
    result = world.verify()
    assert result.exit_code == 5, result.output
    assert (
        "docs.example.com CNAME: CNAME to gone.example.com is flattened by Cloudflare, but gone.example.com "
        "has no A or AAAA record" in result.output
    )
    assert "example.com CNAME" not in result.output.replace("docs.example.com CNAME", "")
