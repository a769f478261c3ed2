"""Verify's DNS client (an I/O edge): concurrent questions, each asked once, answers as plain values.

Every check asks through one `Resolver`, so a question several checks need (the MX hosts' addresses, an SPF
include shared by two zones) goes on the wire once. Questions run concurrently on asyncio, each with the
per-query timeout; a server that did not answer within it is not asked again in the same run, so a dead
nameserver costs one timeout, not one per question. Over UDP every question to one server shares one connected
socket (`_Channel`): dnspython renders and parses the messages, answers are matched to questions by ID and
`Message.is_response`, and their records to the question's name, type, class and CNAME chain
(`zonesync.verify.answer_match`: an answer holding anything else is an error naming the server); a socket and its event-loop plumbing per question cost more than the question itself
(a 1,000-record zone asks 1,000). Truncated answers are asked again over TCP (`dns.asyncquery.tcp`). Failures (timeout,
SERVFAIL, REFUSED, an unreadable answer) become an `Answer` with status "error" and a one-line reason: a
check reports them, nothing raises.

Servers: with `--nameserver`, every question goes to those (in order until one answers). Without, names are
resolved recursively through the system's resolvers (/etc/resolv.conf), and a zone's own records are asked of
its authoritative servers, found by an NS lookup, as a sender's view right after a change would see them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ipaddress
import socket
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dns.entropy
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.reversename

from zonesync.base.features import lazy
from zonesync.verify import answer_match
from zonesync.verify.result import NetOptions

# dns.query (which dns.asyncquery and dns.resolver import) loads httpx/httpcore and ssl for DNS over HTTPS:
# ~0.1 s that a run only pays for a truncated answer (TCP), a malformed one, or the system's resolvers
asyncquery: Any = lazy("dns.asyncquery")
query_module: Any = lazy("dns.query")
system_resolver: Any = lazy("dns.resolver")

Server = tuple[str, int]
MAX_IN_FLIGHT = 256
"""Questions on the wire at once (all on one socket per server): a 1,000-record zone in four round trips, within
what a server's receive buffer takes in one burst (a lost datagram is sent again, see RETRANSMIT_AFTER)."""
MAX_BULK_IN_FLIGHT = 224
"""Of them, questions whose answers nothing waits for (see `_Gate`): enough to keep the client's CPU busy over
a round trip, few enough that a chain's answer is not stuck behind hundreds of others in the event loop
(docs/performance.md, verify)."""
RECEIVE_BUFFER = 1 << 20
"""Bytes of answers the UDP socket holds while the client is busy (the system's default is too small for
MAX_IN_FLIGHT answers arriving together)."""
RETRANSMIT_AFTER = 0.5
"""Seconds before a UDP question without an answer is sent again (doubling each time, within the timeout)."""
MAX_CNAME_HOPS = 8


@dataclass(frozen=True)
class Answer:
    """One question's outcome. `values` are presentation texts (TXT: the joined text of its strings)."""

    name: str
    rdtype: str
    status: str
    """ok | nxdomain | nodata | error"""
    values: tuple[str, ...] = ()
    error: str = ""
    server: str = ""
    refused: bool = False
    """The server said REFUSED: it does not serve that name (an authoritative-only `--nameserver`)."""
    soa_serial: int | None = None
    """The serial of the SOA an authoritative server put in a negative answer (RFC 2308), if any."""

    @property
    def void(self) -> bool:
        """RFC 7208 §4.6.4: NXDOMAIN, or NOERROR with no answer."""
        return self.status in ("nxdomain", "nodata")

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe(self) -> str:
        if self.status == "error":
            return self.error
        if self.status == "nxdomain":
            said = f" according to {self.server}" if self.server else ""
            return f"{self.name} does not exist (NXDOMAIN){said}"
        if self.status == "nodata":
            return f"no {self.rdtype} record at {self.name}"
        return ", ".join(self.values)


def _server_text(server: Server) -> str:
    host, port = server
    host = f"[{host}]" if ":" in host else host
    return host if port == 53 else f"{host}:{port}"


def parse_server(text: str) -> Server:
    """`HOST[:PORT]`, `[IPv6]:PORT` or a bare IPv6 address -> (address, port). Raises ValueError."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, "53"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{text!r}: give the nameserver as an IP address, optionally with :PORT") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r}: the port must be a number 1..65535")
    return host, int(port)


def _values(rrset: dns.rrset.RRset) -> list[str]:
    if rrset.rdtype == dns.rdatatype.TXT:
        return [b"".join(rd.strings).decode("utf-8", "surrogateescape") for rd in rrset]
    return [rd.to_text() for rd in rrset]


class _Channel:
    """One connected UDP socket to one server, carrying every question of the run to it.

    Its reader drains every datagram waiting in the socket at once, before the event loop runs any timer, so an
    answer that has arrived is never taken for a lost one (a retransmission) while the loop was busy. An answer
    goes to the question with its ID if it is a response to it (`is_response`: ID, QR, opcode and question),
    else that question fails as malformed, as `dns.asyncquery.udp` does; datagrams for no waiting question (a
    late duplicate after a retransmission) are dropped. No ID is used twice on one socket (until half of them
    have been), so such a late answer can never be taken for another question's. An ICMP error (nothing
    listens: ConnectionRefusedError) fails every waiting question."""

    def __init__(self, server: Server) -> None:
        family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self.sock.setblocking(False)
            with contextlib.suppress(OSError):  # room for a burst of answers (the kernel may cap it)
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            self.sock.connect(server)
        except OSError:
            self.sock.close()
            raise
        self.loop = asyncio.get_running_loop()
        self.loop.add_reader(self.sock.fileno(), self._drain)
        self.waiting: dict[int, tuple[dns.message.Message, asyncio.Future[dns.message.Message], bool]] = {}
        """ID -> (question, its answer to come, whether it is of the bulk)."""
        self.used: set[int] = set()

    def _drain(self) -> None:
        later: list[bytes] = []
        while True:
            try:
                data = self.sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                self._fail(exc)
                break
            entry = self.waiting.get(int.from_bytes(data[:2], "big")) if len(data) >= 2 else None
            if entry is not None and entry[2]:
                later.append(data)
            else:
                self._received(data)
        if later:  # a chain's next questions go out before the bulk's answers are read
            self.loop.call_soon(self._received_all, later)

    def _received_all(self, answers: list[bytes]) -> None:
        for data in answers:
            self._received(data)

    def _received(self, data: bytes) -> None:
        entry = self.waiting.get(int.from_bytes(data[:2], "big")) if len(data) >= 2 else None
        if entry is None or entry[1].done():
            return
        query, future, _ = entry
        try:
            msg = dns.message.from_wire(data)
        except Exception as exc:  # any parse failure is this answer's, reported as malformed by the caller
            future.set_exception(exc)
            return
        if query.is_response(msg):
            future.set_result(msg)
        else:
            future.set_exception(query_module.BadResponse())

    def _fail(self, exc: Exception) -> None:
        for _, future, _ in self.waiting.values():
            if not future.done():
                future.set_exception(exc)

    def close(self) -> None:
        if not self.loop.is_closed():
            self.loop.remove_reader(self.sock.fileno())
        self.sock.close()
        self._fail(ConnectionResetError("the resolver was closed"))

    async def ask(
        self, query: dns.message.Message, deadline: float, first_wait: float, bulk: bool = False
    ) -> dns.message.Message:
        """Send `query` (again after `first_wait`, then doubling, as resolvers do) until answered or
        `deadline`. Raises dns.exception.Timeout, OSError, or what parsing the answer raised."""
        if len(self.used) >= 32768:
            self.used = set(self.waiting)
        while query.id in self.used:
            query.id = dns.entropy.random_16()
        self.used.add(query.id)
        future: asyncio.Future[dns.message.Message] = self.loop.create_future()
        self.waiting[query.id] = (query, future, bulk)
        wire = query.to_wire()
        wait = first_wait
        try:
            while True:
                remaining = deadline - self.loop.time()
                if remaining <= 0:
                    raise dns.exception.Timeout
                with contextlib.suppress(BlockingIOError):  # the send buffer is full: as if lost, sent again
                    self.sock.send(wire)
                done, _ = await asyncio.wait((future,), timeout=min(wait, remaining))
                if done:
                    return future.result()
                wait *= 2
        finally:
            del self.waiting[query.id]


_BULK: contextvars.ContextVar[bool] = contextvars.ContextVar("zonesync_verify_bulk", default=False)
"""Set (by `Resolver.bulk`) in a check whose answers no further question waits for."""


class _Gate:
    """At most `size` questions on the wire, of them at most `bulk_size` of the bulk (the declared record sets,
    whose answers no further question waits for); those waiting go in order, every question of a chain (whose
    answer leads to further questions: the mail checks) before the bulk. A bulk question that a chain then
    asks too is moved up (`promote`). The client's one event loop parses every answer: with fewer bulk answers
    arriving at once, a chain's answer waits less for its turn, so with a thousand records queued the chain
    still takes about one round trip per link."""

    def __init__(self, size: int, bulk_size: int) -> None:
        self.size, self.bulk_size = size, bulk_size
        self.in_flight = self.bulk_in_flight = 0
        self.chain: deque[asyncio.Future[bool]] = deque()  # each set to whether it went as bulk
        self.bulk: deque[tuple[tuple[Server, str, str], asyncio.Future[bool]]] = deque()

    def _may(self, bulk: bool) -> bool:
        return self.in_flight < self.size and (not bulk or self.bulk_in_flight < self.bulk_size)

    async def enter(self, key: tuple[Server, str, str], bulk: bool) -> bool:
        """Wait for a place; returns whether it was taken as bulk (give it to `leave`)."""
        if not self.chain and (not bulk or not self.bulk) and self._may(bulk):
            self._take(bulk)
            return bulk
        turn: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        entry = (key, turn)
        (self.bulk.append(entry) if bulk else self.chain.append(turn))
        try:
            await turn  # set by `_wake` once a place is taken for it; True when it went as bulk
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.leave(turn.result())
            else:
                self._forget(turn)
            raise
        return turn.result()

    def _take(self, bulk: bool) -> None:
        self.in_flight += 1
        self.bulk_in_flight += bulk

    def leave(self, bulk: bool) -> None:
        self.in_flight -= 1
        self.bulk_in_flight -= bulk
        self._wake()

    def _wake(self) -> None:
        while self.chain and self._may(False):
            turn = self.chain.popleft()
            if not turn.done():
                self._take(False)
                turn.set_result(False)
        while self.bulk and self._may(True):
            turn = self.bulk.popleft()[1]
            if not turn.done():
                self._take(True)
                turn.set_result(True)

    def promote(self, key: tuple[Server, str, str]) -> None:
        for entry in list(self.bulk):
            if entry[0] == key:
                self.bulk.remove(entry)
                self.chain.append(entry[1])
        self._wake()

    def _forget(self, turn: asyncio.Future[bool]) -> None:
        with contextlib.suppress(ValueError):
            self.chain.remove(turn)
        for entry in list(self.bulk):
            if entry[1] is turn:
                self.bulk.remove(entry)


class Resolver:
    """Asks DNS questions concurrently, each (servers, name, type) once per run."""

    def __init__(self, opts: NetOptions) -> None:
        self.timeout = opts.timeout
        self.fixed: tuple[Server, ...] = tuple(opts.nameservers)
        self._cache: dict[tuple[tuple[Server, ...], str, str], asyncio.Task[Answer]] = {}
        self._dead: dict[Server, str] = {}
        self._gate = _Gate(MAX_IN_FLIGHT, MAX_BULK_IN_FLIGHT)
        self._channels: dict[Server, _Channel] = {}
        self._system: tuple[Server, ...] | None = None
        self._authority: dict[str, asyncio.Task[tuple[Server, ...] | str]] = {}
        self.sent = 0
        """Questions put on the wire (for tests and the bench: identical questions count once)."""

    # -- servers -------------------------------------------------------------------------------------------
    def recursive_servers(self) -> tuple[Server, ...]:
        if self.fixed:
            return self.fixed
        if self._system is None:
            try:
                found = system_resolver.Resolver().nameservers
            except dns.exception.DNSException:
                found = []
            self._system = tuple((str(ns), 53) for ns in found)
        return self._system

    async def zone_servers(self, zone: str) -> tuple[Server, ...] | str:
        """The servers authoritative for `zone` (the `--nameserver`s if given), or why they are unknown."""
        if self.fixed:
            return self.fixed
        task = self._authority.get(zone)
        if task is None:
            task = asyncio.ensure_future(self._find_authority(zone))
            self._authority[zone] = task
        return await task

    def _system_hint(self) -> str:
        """Without `--nameserver`, questions go to the system's resolver, which may not resolve public
        names from here (a sandbox, a split-horizon office resolver): say which one, and what to do."""
        if self.fixed:
            return ""
        asked = ", ".join(_server_text(s) for s in self.recursive_servers()) or "none"
        return (
            f" (asked the system resolver, {asked}, from /etc/resolv.conf; if it does not resolve public "
            "names from here, give --nameserver ADDRESS of a resolver that does, or of the zone's nameserver)"
        )

    async def _find_authority(self, zone: str) -> tuple[Server, ...] | str:
        ns = await self.query(zone, "NS")
        if not ns.ok:
            return f"cannot find the nameservers of {zone}: {ns.describe()}{self._system_hint()}"
        hosts = [v.rstrip(".") for v in ns.values]
        answers = await asyncio.gather(*(self.addresses(h) for h in hosts))
        servers = tuple((addr, 53) for addrs in answers for addr in addrs[0])
        if not servers:
            return f"the nameservers of {zone} ({', '.join(hosts)}) have no addresses"
        return servers

    # -- questions ---------------------------------------------------------------------------------------
    @staticmethod
    def bulk() -> None:
        """Mark the questions the current task (and the tasks it starts) asks as bulk: no question waits for
        their answers, so the questions of a chain go first (see `_Gate`)."""
        _BULK.set(True)

    async def query(self, name: str, rdtype: str, servers: Sequence[Server] | None = None) -> Answer:
        """The answer for (name, type), following CNAMEs; asked once per run."""
        name = name.rstrip(".").lower()
        key = (tuple(servers) if servers else self.recursive_servers(), name, rdtype)
        task = self._cache.get(key)
        if task is None:
            task = asyncio.ensure_future(self._resolve(key[0], name, rdtype))
            self._cache[key] = task
        elif not task.done() and not _BULK.get():
            for server in key[0]:  # a chain waits for it now: ahead of the bulk
                self._gate.promote((server, name, rdtype))
        return await task

    async def query_zone(self, zone: str, name: str, rdtype: str) -> Answer:
        """A record of `zone`, asked of its authoritative servers."""
        servers = await self.zone_servers(zone)
        if isinstance(servers, str):
            return Answer(name, rdtype, "error", error=servers)
        return await self.query(name, rdtype, servers)

    async def addresses(self, host: str) -> tuple[list[str], list[Answer]]:
        """A and AAAA of a host: the addresses, and the answers (to report errors)."""
        a, aaaa = await asyncio.gather(self.query(host, "A"), self.query(host, "AAAA"))
        return [*a.values, *aaaa.values], [a, aaaa]

    async def ptr(self, address: str) -> Answer:
        return await self.query(dns.reversename.from_address(address).to_text(omit_final_dot=True), "PTR")

    async def _resolve(self, servers: tuple[Server, ...], name: str, rdtype: str) -> Answer:
        owner, hops = name, 0
        while True:
            answer, msg = await self._ask_any(servers, owner, rdtype)
            if msg is None:
                return answer
            try:
                matched = answer_match.match(msg)
            except answer_match.Mismatch as exc:
                reason = (
                    f"{owner} {rdtype}: the answer from {answer.server} does not match the question: {exc}"
                )
                return Answer(name, rdtype, "error", error=reason, server=answer.server)
            if matched.rrset is not None:
                values = tuple(dict.fromkeys(_values(matched.rrset)))
                return Answer(name, rdtype, "ok", values, server=answer.server)
            if not matched.followed:
                return answer if not answer.ok else Answer(name, rdtype, "nodata", server=answer.server)
            hops += 1  # an authoritative server does not follow a CNAME out of its zone: we do
            if hops > MAX_CNAME_HOPS:
                return Answer(
                    name, rdtype, "error", error=f"{name}: CNAME chain longer than {MAX_CNAME_HOPS}"
                )
            owner = matched.canonical.to_text(omit_final_dot=True).lower()

    async def _ask_any(
        self, servers: tuple[Server, ...], name: str, rdtype: str
    ) -> tuple[Answer, dns.message.Message | None]:
        if not servers:
            return Answer(
                name, rdtype, "error", error="no nameserver to ask (none in /etc/resolv.conf)"
            ), None
        problems, refused = [], True
        for server in servers:
            answer, msg = await self._ask(server, name, rdtype)
            if msg is not None or answer.status != "error":
                return answer, msg
            problems.append(answer.error)
            refused = refused and answer.refused
        return Answer(name, rdtype, "error", error="; ".join(dict.fromkeys(problems)), refused=refused), None

    def _channel(self, server: Server) -> _Channel:
        channel = self._channels.get(server)
        if channel is None:
            channel = self._channels[server] = _Channel(server)
        return channel

    async def _udp(
        self, query: dns.message.Message, server: Server, bulk: bool = False
    ) -> dns.message.Message:
        """UDP with retransmission, as resolvers do (a datagram lost in a burst is sent again after 0.5 s,
        then 1 s, 2 s...), never longer than the timeout in all. Raises dns.exception.Timeout."""
        deadline = asyncio.get_running_loop().time() + self.timeout
        return await self._channel(server).ask(query, deadline, RETRANSMIT_AFTER, bulk)

    def close(self) -> None:
        """Close the UDP sockets (inside the event loop, once every question is answered)."""
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()

    async def _ask(self, server: Server, name: str, rdtype: str) -> tuple[Answer, dns.message.Message | None]:
        where = _server_text(server)

        def fail(reason: str) -> tuple[Answer, None]:
            return Answer(name, rdtype, "error", error=f"{name} {rdtype}: {reason}", server=where), None

        if server in self._dead:
            return fail(self._dead[server])
        as_bulk = await self._gate.enter((server, name, rdtype), _BULK.get())
        try:
            if server in self._dead:
                return fail(self._dead[server])
            # made once its turn comes (a thousand made at once would hold up the answers of a chain);
            # make_query sets RD: recursive servers need it, authoritative ones ignore it
            query = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
            self.sent += 1
            try:
                msg = await self._udp(query, server, as_bulk)
                if msg.flags & dns.flags.TC:
                    msg = await asyncquery.tcp(query, server[0], port=server[1], timeout=self.timeout)
            except dns.exception.Timeout:
                self._dead[server] = f"no answer from {where} within {self.timeout:g} s (timeout)"
                return fail(self._dead[server])
            except ConnectionRefusedError:
                self._dead[server] = f"{where} refused the connection (nothing listens there)"
                return fail(self._dead[server])
            except OSError as exc:
                return fail(f"cannot reach {where}: {exc.strerror or exc}")
            except dns.exception.DNSException as exc:
                return fail(f"malformed answer from {where}: {exc}")
            except (ValueError, EOFError) as exc:
                return fail(f"malformed answer from {where}: {exc}")
        finally:
            self._gate.leave(as_bulk)
        rcode = msg.rcode()
        serial = None
        for rrset in msg.authority:
            if rrset.rdtype == dns.rdatatype.SOA:
                serial = rrset[0].serial
        if rcode == dns.rcode.NXDOMAIN:
            return Answer(name, rdtype, "nxdomain", server=where, soa_serial=serial), msg
        if rcode == dns.rcode.REFUSED:
            reason = f"{name} {rdtype}: {where} answered REFUSED (it does not serve that name)"
            return Answer(name, rdtype, "error", error=reason, server=where, refused=True), None
        if rcode != dns.rcode.NOERROR:
            return fail(f"{where} answered {dns.rcode.to_text(rcode)}")
        if not msg.answer:
            return Answer(name, rdtype, "nodata", server=where, soa_serial=serial), msg
        return Answer(name, rdtype, "ok", server=where), msg
