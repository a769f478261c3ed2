"""verify's resolver against the emulator's nameserver: identical questions go on the wire once, a dead
server costs one timeout, answers become plain values, SPF evaluation follows RFC 7208."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from verify_env import SilentServer

from zonesync.emulator.server import Emulator
from zonesync.verify import spf_eval
from zonesync.verify.resolver import Resolver, parse_server
from zonesync.verify.result import NetOptions


@pytest.fixture
def emu():
    emulator = Emulator(zones=("example.com",), rate_limit=0, dns_port=0).start()
    emulator.add_record("example.com", {"type": "A", "name": "mx", "content": "192.0.2.25"})
    emulator.add_record(
        "example.com", {"type": "TXT", "name": "@", "content": "v=spf1 a:mx.example.com -all"}
    )
    emulator.add_record(
        "example.com", {"type": "TXT", "name": "m", "content": "v=spf1 exists:%{ir}.x.example.com -all"}
    )
    emulator.add_record("example.com", {"type": "A", "name": "25.2.0.192.x", "content": "127.0.0.2"})
    try:
        yield emulator
    finally:
        emulator.stop()


def resolver_for(*servers: str, timeout: float = 2) -> Resolver:
    return Resolver(NetOptions(timeout=timeout, nameservers=tuple(parse_server(s) for s in servers)))


def test_identical_questions_are_asked_once(emu: Emulator) -> None:
    assert emu.dns is not None
    resolver = resolver_for(f"127.0.0.1:{emu.dns.port}")

    async def main():
        return await asyncio.gather(*(resolver.query("MX.example.com.", "A") for _ in range(20)))

    answers = asyncio.run(main())
    assert {a.values for a in answers} == {("192.0.2.25",)}
    assert resolver.sent == 1


def test_a_dead_server_costs_one_timeout_then_the_next_answers(emu: Emulator) -> None:
    assert emu.dns is not None
    dead = SilentServer()
    try:
        resolver = resolver_for(dead.address, f"127.0.0.1:{emu.dns.port}", timeout=0.3)

        async def main():
            return await asyncio.gather(*(resolver.query(f"n{i}.example.com", "A") for i in range(10)))

        answers = asyncio.run(main())
    finally:
        dead.close()
    assert all(a.status == "nxdomain" for a in answers)
    assert dead.asked <= 10  # questions already in flight when it timed out; none after


def test_parse_server() -> None:
    assert parse_server("127.0.0.1") == ("127.0.0.1", 53)
    assert parse_server("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_server("[::1]:5353") == ("::1", 5353)
    assert parse_server("::1") == ("::1", 53)
    with pytest.raises(ValueError, match="IP address"):
        parse_server("ns.example.com")
    with pytest.raises(ValueError, match="port"):
        parse_server("127.0.0.1:99999")


def test_check_host_results_and_macros(emu: Emulator) -> None:
    assert emu.dns is not None
    resolver = resolver_for(f"127.0.0.1:{emu.dns.port}")

    async def main():
        return await asyncio.gather(
            spf_eval.check_host(resolver.query, ipaddress.ip_address("192.0.2.25"), "example.com"),
            spf_eval.check_host(resolver.query, ipaddress.ip_address("192.0.2.26"), "example.com"),
            spf_eval.check_host(resolver.query, ipaddress.ip_address("192.0.2.25"), "m.example.com"),
            spf_eval.check_host(resolver.query, ipaddress.ip_address("192.0.2.26"), "m.example.com"),
            spf_eval.check_host(resolver.query, ipaddress.ip_address("192.0.2.25"), "nothing.example.com"),
        )

    results = [e.result for e in asyncio.run(main())]
    assert results == ["pass", "fail", "pass", "fail", "none"]


def test_macro_expansion() -> None:
    ip = ipaddress.ip_address("192.0.2.3")
    assert spf_eval.expand_macros("%{ir}.%{v}._spf.%{d}", ip, "example.com", "a@b.example") == (
        "3.2.0.192.in-addr._spf.example.com"
    )
    assert spf_eval.expand_macros("%{d2}", ip, "mail.example.com", "") == "example.com"
    assert spf_eval.expand_macros("%{l}-%%", ip, "example.com", "alice@example.com") == "alice-%"
    assert spf_eval.expand_macros("%{i}", None, "example.com", "") is None


class EchoServer(SilentServer):
    """Answers every question twice (a late duplicate, as after a retransmission), or with another question."""

    def __init__(self, other_question: bool = False) -> None:
        self.other_question = other_question
        super().__init__()

    def answer(self, data: bytes, peer: tuple[str, int]) -> None:
        import dns.message
        import dns.rrset

        query = dns.message.from_wire(data)
        if self.other_question:
            query.question[0] = dns.rrset.RRset(
                dns.name.from_text("other.example.com"),
                query.question[0].rdclass,
                query.question[0].rdtype,
            )
        resp = dns.message.make_response(query)
        name = query.question[0].name
        resp.answer.append(dns.rrset.from_text(name, 300, "IN", "A", "192.0.2.1"))
        for _ in range(2):
            self.sock.sendto(resp.to_wire(), peer)


def test_duplicate_answers_on_the_shared_socket_go_to_their_own_question() -> None:
    server = EchoServer()
    try:
        resolver = resolver_for(server.address)

        async def main():
            try:
                return await asyncio.gather(*(resolver.query(f"n{i}.example.com", "A") for i in range(300)))
            finally:
                resolver.close()

        answers = asyncio.run(main())
    finally:
        server.close()
    assert [a.status for a in answers] == ["ok"] * 300
    assert {a.values for a in answers} == {("192.0.2.1",)}
    assert resolver.sent == 300


def test_an_answer_to_another_question_is_malformed() -> None:
    server = EchoServer(other_question=True)
    try:
        resolver = resolver_for(server.address, timeout=1)

        async def main():
            try:
                return await resolver.query("n.example.com", "A")
            finally:
                resolver.close()

        answer = asyncio.run(main())
    finally:
        server.close()
    assert answer.status == "error"
    assert "malformed answer from 127.0.0.1:" in answer.error


class WaveDns:
    """A lookup function answering in waves: every question asked while a wave is out is answered together in
    the next, so `waves` counts round trips a walk needs (no clock involved). Each question is asked once."""

    def __init__(self, records: dict[tuple[str, str], tuple[str, ...]]) -> None:
        self.records = records
        self.asked: dict[tuple[str, str], asyncio.Future] = {}
        self.pending: list[tuple[tuple[str, str], asyncio.Future]] = []
        self.waves = 0

    async def lookup(self, name: str, rdtype: str):
        from zonesync.verify.resolver import Answer

        key = (name, rdtype)
        if key not in self.asked:
            self.asked[key] = asyncio.get_running_loop().create_future()
            self.pending.append((key, self.asked[key]))
        await self.asked[key]
        values = self.records.get(key, ())
        return Answer(name, rdtype, "ok" if values else "nxdomain", values)

    async def run(self, walk):
        task = asyncio.ensure_future(walk)
        while not task.done():
            for _ in range(20):  # let every coroutine that can go on ask its questions
                await asyncio.sleep(0)
            if self.pending:
                self.waves += 1
                wave, self.pending = self.pending, []
                for _, future in wave:
                    future.set_result(None)
        return task.result()


SPF_TREE = {
    ("example.com", "TXT"): ("v=spf1 mx a:web.example.com include:l1.example.net exists:e.example.com -all",),
    ("example.com", "MX"): ("10 mx.example.com.",),
    ("mx.example.com", "A"): ("192.0.2.25",),
    ("web.example.com", "A"): ("192.0.2.80",),
    ("l1.example.net", "TXT"): ("v=spf1 include:l2.example.net ~all",),
    ("l2.example.net", "TXT"): ("v=spf1 include:l3.example.net ~all",),
    ("l3.example.net", "TXT"): ("v=spf1 ip4:198.51.100.0/24 ~all",),
}


def test_the_audit_takes_as_many_round_trips_as_the_tree_is_deep() -> None:
    """root TXT; then MX, web A/AAAA, l1, exists together; then mx's A/AAAA and l2; then l3: four waves, where
    a term-by-term walk waits for each term in turn (ten). The counts and the tree are the walk's own."""
    dns_ = WaveDns(SPF_TREE)
    ev = asyncio.run(dns_.run(spf_eval.audit(dns_.lookup, "example.com")))
    assert dns_.waves == 4
    assert (ev.result, ev.lookups, ev.voids) == ("fail", 6, 1)
    assert ev.tree[0] == "example.com: " + SPF_TREE[("example.com", "TXT")][0]
    assert [line.strip().split(":")[0] for line in ev.tree[1:]] == [
        "mx -> mx.example.com (192.0.2.25)",
        "a",
        "l1.example.net",
        "l2.example.net",
        "l3.example.net",
    ]


def test_check_host_asks_only_what_the_walk_needs() -> None:
    """No prefetch for a receiver's check_host: it stops at the first match (here `mx`)."""
    dns_ = WaveDns(SPF_TREE)
    ev = asyncio.run(
        dns_.run(spf_eval.check_host(dns_.lookup, ipaddress.ip_address("192.0.2.25"), "example.com"))
    )
    assert ev.result == "pass"
    assert set(dns_.asked) == {("example.com", "TXT"), ("example.com", "MX"), ("mx.example.com", "A")}


def test_the_gate_lets_a_chain_pass_the_bulk_and_caps_the_bulk() -> None:
    from zonesync.verify.resolver import _Gate

    async def main():
        gate, order = _Gate(size=2, bulk_size=1), []

        async def ask(name: str, bulk: bool, hold: asyncio.Event):
            as_bulk = await gate.enter((("127.0.0.1", 53), name, "A"), bulk)
            order.append((name, as_bulk))
            await hold.wait()
            gate.leave(as_bulk)

        holds = {n: asyncio.Event() for n in ("b1", "b2", "b3", "c1", "c2")}
        tasks = [
            asyncio.ensure_future(ask(n, n.startswith("b"), holds[n])) for n in ("b1", "b2", "b3", "c1", "c2")
        ]
        await asyncio.sleep(0)
        assert order == [("b1", True), ("c1", False)]  # b2, b3: one bulk at a time; c2: two in all
        gate.promote((("127.0.0.1", 53), "b3", "A"))  # a chain asks b3 too: ahead of b2, as a chain question
        for name in ("c1", "b1", "c2", "b3"):
            holds[name].set()
            await asyncio.sleep(0)
        holds["b2"].set()
        await asyncio.gather(*tasks)
        return order

    order = asyncio.run(main())
    assert order == [("b1", True), ("c1", False), ("c2", False), ("b3", False), ("b2", True)]
