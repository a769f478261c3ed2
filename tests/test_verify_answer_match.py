"""verify believes an answer only for the question asked: owner name, type, class, and the CNAME chain inside the
answer section, as a stub resolver matches them. A hostile nameserver on loopback (a proxy in front of the
emulator's DNS server that rewrites one answer, built with dnspython) answers `_dmarc.example.com TXT?` with
records of another owner, type or class; verify reports a failure naming that server, never "served"."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.update
import pytest
from verify_env import MAIL_ZONE, SilentServer, World, findings, world_fixture  # noqa: F401

from zonesync.verify.answer_match import Mismatch, match
from zonesync.verify.resolver import Resolver, parse_server
from zonesync.verify.result import NetOptions

DMARC = "_dmarc.example.com."
Rewrite = Callable[[dns.message.Message], None]


def _txt(owner: str, text: str, rdclass: str = "IN") -> dns.rrset.RRset:
    return dns.rrset.from_text(owner, 300, rdclass, "TXT", f'"{text}"')


def _served_value(resp: dns.message.Message) -> str:
    return b"".join(resp.answer[0][0].strings).decode()


REWRITES: dict[str, Rewrite] = {
    "another owner": lambda r: r.answer.__setitem__(0, _txt("evil.example.", _served_value(r))),
    "another owner beside the right one": lambda r: r.answer.append(
        _txt("evil.example.", "v=DMARC1; p=none")
    ),
    "another type at the owner": lambda r: r.answer.__setitem__(
        0, dns.rrset.from_text(DMARC, 300, "IN", "A", "192.0.2.66")
    ),
    "another class": lambda r: r.answer.__setitem__(0, _txt(DMARC, _served_value(r), "CH")),
    "a CNAME to a name whose records are not the chain's": lambda r: r.answer.__setitem__(
        slice(None),
        [
            dns.rrset.from_text(DMARC, 300, "IN", "CNAME", "dmarc.other.example."),
            _txt("evil.example.", "v=DMARC1; p=none"),
        ],
    ),
}


def _verify(world: World, nameserver: str) -> tuple[int, dict]:
    result = world.verify("--format", "json", nameservers=(nameserver,))
    return result.exit_code, json.loads(result.output)


class Hostile(SilentServer):
    """Forwards every question to `upstream` and rewrites the answer to `_dmarc.example.com TXT`."""

    def __init__(self, upstream: tuple[str, int], rewrite: Rewrite) -> None:
        self.upstream, self.rewrite = upstream, rewrite
        super().__init__()

    def answer(self, data: bytes, peer: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        resp = dns.query.udp(query, self.upstream[0], port=self.upstream[1], timeout=2)
        q = query.question[0]
        if q.name == dns.name.from_text(DMARC) and q.rdtype == dns.rdatatype.TXT and resp.answer:
            self.rewrite(resp)
        self.sock.sendto(resp.to_wire(), peer)


@pytest.mark.parametrize("case", list(REWRITES))
def test_an_answer_for_something_else_is_a_failure_naming_the_server(world: World, case: str) -> None:
    world.write(MAIL_ZONE)
    world.apply()
    assert world.emu.dns is not None
    hostile = Hostile(("127.0.0.1", world.emu.dns.port), REWRITES[case])
    address = hostile.address
    try:
        code, doc = _verify(world, address)
    finally:
        hostile.close()
    assert code in (1, 5)
    about = [f for f in findings(doc) if f["subject"].startswith("_dmarc.example.com")]
    assert about, doc
    assert all(f["status"] != "pass" for f in about), about
    assert any(f"the answer from {address} does not match the question" in f["message"] for f in about), about
    served = [f for f in findings(doc, "dns") if f["subject"] == "_dmarc.example.com TXT"]
    assert served and served[0]["status"] != "pass", served


def test_an_honest_server_passes_the_same_checks(world: World) -> None:
    """The control: the same proxy, rewriting nothing, is believed."""
    world.write(MAIL_ZONE)
    world.apply()
    assert world.emu.dns is not None
    honest = Hostile(("127.0.0.1", world.emu.dns.port), lambda r: None)
    try:
        _, doc = _verify(world, honest.address)
    finally:
        honest.close()
    served = [f for f in findings(doc, "dns") if f["subject"] == "_dmarc.example.com TXT"]
    assert served == [] or served[0]["status"] == "pass", served
    assert [f for f in findings(doc, "dmarc") if f["status"] == "pass"], doc


def _response(qname: str, qtype: str, *answer: dns.rrset.RRset) -> dns.message.Message:
    resp = dns.message.make_response(dns.message.make_query(qname, qtype))
    resp.answer.extend(answer)
    return dns.message.from_wire(resp.to_wire())  # as received


def test_a_cname_chain_inside_the_answer_is_followed() -> None:
    resp = _response(
        "a.example.",
        "TXT",
        dns.rrset.from_text("a.example.", 300, "IN", "CNAME", "b.example."),
        dns.rrset.from_text("b.example.", 300, "IN", "CNAME", "c.example."),
        _txt("c.example.", "hello"),
    )
    matched = match(resp)
    assert matched.rrset is not None and matched.rrset.name.to_text() == "c.example."
    assert matched.followed


def test_a_dname_above_the_chain_is_tolerated() -> None:
    resp = _response(
        "a.old.example.",
        "TXT",
        dns.rrset.from_text("old.example.", 300, "IN", "DNAME", "new.example."),
        dns.rrset.from_text("a.old.example.", 300, "IN", "CNAME", "a.new.example."),
        _txt("a.new.example.", "hello"),
    )
    assert match(resp).rrset is not None


def test_a_chain_ending_outside_the_answer_is_followed_elsewhere() -> None:
    resp = _response("a.example.", "TXT", dns.rrset.from_text("a.example.", 300, "IN", "CNAME", "b.other."))
    matched = match(resp)
    assert matched.rrset is None and matched.followed and matched.canonical.to_text() == "b.other."


def test_an_answer_with_nxdomain_is_refused() -> None:
    resp = dns.message.make_response(dns.message.make_query("a.example.", "TXT"))
    resp.answer.append(_txt("a.example.", "hello"))
    resp.set_rcode(dns.rcode.NXDOMAIN)
    resp = dns.message.from_wire(resp.to_wire())
    with pytest.raises(Mismatch, match="NXDOMAIN and gives an answer"):
        match(resp)


def test_a_message_of_another_opcode_is_refused() -> None:
    """An UPDATE response parses as `dns.update.UpdateMessage`, which has no CNAME chain to follow: refused
    as not an answer (it was an AttributeError, a traceback, before the check mypy asked for)."""
    update = dns.update.UpdateMessage("example.com.")
    update.flags |= dns.flags.QR
    resp = dns.message.from_wire(update.to_wire())
    assert not isinstance(resp, dns.message.QueryMessage)
    with pytest.raises(Mismatch, match="not a response to one question"):
        match(resp)


def test_the_resolver_names_the_server_and_what_it_sent() -> None:
    """Unit level: `Resolver.query` against a server answering every TXT question with evil.example."""

    class Evil(SilentServer):
        def answer(self, data: bytes, peer: tuple[str, int]) -> None:
            query = dns.message.from_wire(data)
            resp = dns.message.make_response(query)
            resp.answer.append(_txt("evil.example.", "v=DMARC1; p=none"))
            self.sock.sendto(resp.to_wire(), peer)

    evil = Evil()
    address = evil.address
    try:
        resolver = Resolver(NetOptions(timeout=2, nameservers=(parse_server(evil.address),)))

        async def ask():
            try:
                return await resolver.query("_dmarc.v.test", "TXT")
            finally:
                resolver.close()

        answer = asyncio.run(ask())
    finally:
        evil.close()
    assert answer.status == "error"
    assert answer.error == (
        f"_dmarc.v.test TXT: the answer from {address} does not match the question: it holds "
        "evil.example. IN TXT, which is not part of an answer to _dmarc.v.test. IN TXT"
    )
