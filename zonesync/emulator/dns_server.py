"""The emulator as the zones' authoritative nameserver: DNS over UDP and TCP on loopback (dnspython wire format).

What a resolver sees from Cloudflare's nameservers, so `zonesync verify` (and dig, checkdmarc...) can be tested
against exactly what the API wrote:

* **SOA and NS at the apex are synthesised**, as Cloudflare serves them: NS ``ada.ns.cloudflare.com`` and
  ``bob.ns.cloudflare.com`` (the zone object's ``name_servers``), SOA ``<first ns> dns.cloudflare.com <serial>
  10000 2400 604800 1800`` with TTL 1800: the timers of Cloudflare's default SOA as real answers show them
  (``dig SOA`` transcripts of Cloudflare-hosted zones, 2024-2025; older ones, and Cloudflare's own docs of
  2013, show a minimum of 3600), see docs/cloudflare-api-facts.md row D3. The serial grows with every change
  to the zone (``SERIAL_BASE`` + the zone's change count), so a client can tell which version it was served.
* **CNAME flattening** (Cloudflare docs ``dns/cname-flattening/`` and its "Setup" page): a DNS-only CNAME at
  the apex, and one whose target is in the same zone ("Cloudflare proceeds with CNAME flattening and ignores
  the CNAME Flattening setting"), are never served as a CNAME: A/AAAA questions get the addresses at the end
  of the chain under the CNAME's own name (the lowest TTL along it; a proxied target's proxy addresses), a
  dangling target gives NODATA ("CNAME flattening returns an empty response (NODATA)"); other types are
  answered from the name's other records. Targets in another zone the emulator serves are followed; a target
  outside all of them counts as dangling (the emulator reaches no other nameserver). A CNAME below the apex
  to another zone is served as a CNAME (flattening all CNAMEs is a paid-plan setting, not modelled).
* **EDNS version > 0** gets BADVERS with an OPT of version 0 (RFC 6891 §6.1.3); **AXFR and IXFR** are REFUSED:
  Cloudflare transfers a zone out only when outgoing zone transfers are configured for it, to its peers, on
  a dedicated transfer address (docs ``dns/zone-setups/zone-transfers/cloudflare-as-primary/`` and
  ``.../access-control-lists/cloudflare-ip-addresses/``), which the emulator does not model.
* **Proxied A/AAAA/CNAME records** are answered, as Cloudflare answers them, with addresses of its proxy, never
  the origin. Here they come from ranges that are never routed: IPv4 ``198.18.0.0/15`` (RFC 2544 benchmarking)
  and IPv6 ``2001:db8:cf::/48`` (RFC 3849 documentation), two of each per name, derived from the name so
  answers are stable. A proxied CNAME answers A/AAAA like a proxied A (Cloudflare never shows the CNAME).
* Automatic TTL (``ttl`` 1) is served as 300 s, Cloudflare's automatic value; proxied records always 300 s.
* NXDOMAIN for names that do not exist (an empty non-terminal such as ``_domainkey.<zone>`` is NOERROR with no
  data), the SOA in the authority section of negative answers (RFC 2308), ``*`` wildcards for names that do not exist, referrals for delegated subdomains (NS below the apex),
  RFC 8482's HINFO answer to ANY, REFUSED for names outside every zone, FORMERR for unreadable queries,
  TC over UDP when the answer does not fit 512 bytes (or the EDNS size).
* Any zone can be served, reverse zones (``2.0.192.in-addr.arpa``, ``...ip6.arpa``) included, so PTR lookups
  work when such a zone is created with ``--zone``.

Records are read from the store, so a change through the API or the control endpoints is served at once: an
answer's bytes, kept for the same question bytes, are reused only while the zone's version (bumped by every
change) is the one they were computed from. UDP questions are read and answered by one thread; with `latency` set, each
answer is sent that long after its question arrived by a sender thread (a round trip's delay, not a sleeping
thread per question), so a burst of questions is answered like a real server's, concurrently. Like the rest of the emulator this models Cloudflare, not zonesync, and imports none of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import ipaddress
import itertools
import re
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from .dnssec import Signer, served_types, wants_dnssec
from .propagation import Propagation
from .store import NAME_SERVERS

if TYPE_CHECKING:
    from .store import Store, Zone

SERIAL_BASE = 2_300_000_000
"""SOA serials look like Cloudflare's (ten digits) and grow by one with every change to the zone."""
SOA_TIMERS = (10000, 2400, 604800, 1800)
"""refresh, retry, expire, minimum: the values Cloudflare's SOA carries by default."""
SOA_TTL = 1800
NS_TTL = 86400
AUTO_TTL_SECONDS = 300
PROXY_V4 = (ipaddress.IPv4Network("198.18.0.0/16"), ipaddress.IPv4Network("198.19.0.0/16"))
PROXY_V6 = (ipaddress.IPv6Network("2001:db8:cf::/64"), ipaddress.IPv6Network("2001:db8:cf:1::/64"))
MAX_CNAME_HOPS = 8
MAX_CACHED_ANSWERS = 100_000
"""Rendered answers kept (then all dropped): far above any zone a test or bench serves."""

Source = tuple[str, "Zone", int]
"""Where an answer came from: (question name, zone, the zone's version when it was answered)."""


def proxy_addresses(name: str, rdtype: str) -> list[str]:
    """The two proxy addresses a proxied name is answered with (stable per name)."""
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:2], "big") or 1
    nets = PROXY_V4 if rdtype == "A" else PROXY_V6
    return [str(net.network_address + digest) for net in nets]


def _rdata_text(rec: dict[str, Any]) -> str:
    """The record's presentation text (names relative to the root), from Cloudflare's content/priority."""
    rtype, content, prio = rec["type"], rec["content"], rec.get("priority")
    if rtype == "TXT":
        stripped = content.strip()
        if stripped.startswith('"'):  # sent quoted: served as the strings it lists, each split at 255 bytes
            strings = [_unescape(m) for m in _QUOTED.findall(stripped)]
        else:  # sent bare: one text
            strings = [content.encode("utf-8")]
        chunks = [s[i : i + 255] for s in strings for i in range(0, max(len(s), 1), 255)]
        return " ".join(_quote(c) for c in chunks)
    if rtype == "MX":
        return f"{prio} {content}"
    if rtype in ("SRV", "URI"):
        return f"{prio} {content}"
    return content


_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(rb"\\(\d{3}|.)", re.S)


def _unescape(text: str) -> bytes:
    """RFC 1035 §5.1 escapes in a quoted string: \\X is X, \\DDD is the byte DDD."""
    return _ESCAPE.sub(
        lambda m: bytes([int(m.group(1))]) if m.group(1).isdigit() else m.group(1), text.encode("utf-8")
    )


def _quote(data: bytes) -> str:
    out = []
    for byte in data:
        if byte in (0x22, 0x5C):
            out.append("\\" + chr(byte))
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


class Authority:
    """Answers DNS questions from a Store (pure of sockets, so it is simple to test)."""

    def __init__(self, store: Store, propagation: Propagation | None = None) -> None:
        self.store = store
        self.propagation = propagation
        """With a propagation delay: zones are served as they were that long ago (``propagation``)."""
        self._names: dict[str, tuple[int, frozenset[str]]] = {}

    def _zones(self) -> dict[str, Any]:
        """Zone name -> the zone as served now: the store's, or its delayed copy."""
        if self.propagation is not None:
            return self.propagation.served()
        return self.store.zone_by_name

    # -- lookups -------------------------------------------------------------------------------------------
    def _zone_for(self, qname: str) -> Zone | None:
        best = None
        for name, zone in self._zones().items():
            if (qname == name or qname.endswith("." + name)) and (best is None or len(name) > len(best.name)):
                best = zone
        return best

    def _existing_names(self, zone: Zone) -> frozenset[str]:
        """Every owner name and every name between it and the apex (empty non-terminals exist too)."""
        hit = self._names.get(zone.id)
        if hit is not None and hit[0] == zone.version:
            return hit[1]
        out = {zone.name}
        suffix = "." + zone.name
        for name in zone.by_name:
            while name.endswith(suffix) and name not in out:
                out.add(name)
                name = name.split(".", 1)[1]
        names = frozenset(out)
        self._names[zone.id] = (zone.version, names)
        return names

    def _soa(self, zone: Zone) -> dns.rrset.RRset:
        serial = SERIAL_BASE + zone.version
        text = f"{NAME_SERVERS[0]}. dns.cloudflare.com. {serial} " + " ".join(map(str, SOA_TIMERS))
        return dns.rrset.from_text(zone.name + ".", SOA_TTL, "IN", "SOA", text)

    def _rrset(self, owner: str, rtype: str, texts: list[str], ttl: int) -> dns.rrset.RRset:
        rrset = dns.rrset.RRset(dns.name.from_text(owner), dns.rdataclass.IN, dns.rdatatype.from_text(rtype))
        for text in texts:
            rd = dns.rdata.from_text(
                dns.rdataclass.IN, rrset.rdtype, text, origin=dns.name.root, relativize=False
            )
            rrset.add(rd, ttl)
        return rrset

    def _records_at(self, zone: Zone, name: str) -> list[dict[str, Any]]:
        recs = list(zone.by_name.get(name, {}).values())
        if recs or name in self._existing_names(zone):
            return recs
        # RFC 4592: a wildcard answers names that do not exist, from the closest encloser down
        labels = name[: -len(zone.name) - 1].split(".") if name != zone.name else []
        for i in range(1, len(labels) + 1):
            parent = ".".join([*labels[i:], zone.name]) if i < len(labels) else zone.name
            wild = zone.by_name.get("*." + parent)
            if wild:
                return list(wild.values())
            if parent in self._existing_names(zone):
                break
        return recs

    def _delegation(self, zone: Zone, name: str) -> list[dict[str, Any]] | None:
        """NS records of a delegated subdomain at or above `name` (below the apex)."""
        while name != zone.name and name.endswith("." + zone.name):
            ns = [r for r in zone.by_name.get(name, {}).values() if r["type"] == "NS"]
            if ns:
                return ns
            name = name.split(".", 1)[1]
        return None

    def _answer_rrsets(
        self, zone: Zone, owner: str, recs: list[dict[str, Any]], qtype: str
    ) -> list[dns.rrset.RRset]:
        by_type: dict[str, list[dict[str, Any]]] = {}
        for rec in recs:
            if rec.get("proxied"):
                for served in ("A", "AAAA"):
                    by_type.setdefault(served, []).append({**rec, "_proxy": served})
            else:
                by_type.setdefault(rec["type"], []).append(rec)
        out = []
        for rtype, group in by_type.items():
            if qtype not in (rtype, "ANY"):
                continue
            texts, ttl = [], None
            for rec in group:
                if "_proxy" in rec:
                    texts.extend(proxy_addresses(owner, rtype))
                    rec_ttl = AUTO_TTL_SECONDS
                else:
                    texts.append(_rdata_text(rec))
                    rec_ttl = AUTO_TTL_SECONDS if rec["ttl"] == 1 else int(rec["ttl"])
                ttl = rec_ttl if ttl is None else min(ttl, rec_ttl)
            out.append(self._rrset(owner, rtype, list(dict.fromkeys(texts)), ttl or AUTO_TTL_SECONDS))
        return out

    def resolve(self, query: dns.message.Message) -> dns.message.Message:
        return self.resolve_from(query)[0]

    def current(self, source: Source) -> bool:
        """Would a question `resolve_from` answered from `source` be answered from the same zone version?"""
        qname, zone, version = source
        with self.store.lock:
            return zone.version == version and self._zone_for(qname) is zone

    def resolve_from(self, query: dns.message.Message) -> tuple[dns.message.Message, Source | None]:
        """The response, and where it came from when a zone answered: (name, zone, zone version)."""
        resp = dns.message.make_response(query)
        if query.opcode() != dns.opcode.QUERY:
            resp.set_rcode(dns.rcode.NOTIMP)
            return resp, None
        if query.edns > 0:  # RFC 6891 §6.1.3: a version not implemented gets BADVERS, with our version (0)
            resp.set_rcode(dns.rcode.BADVERS)
            return resp, None
        if len(query.question) != 1:
            resp.set_rcode(dns.rcode.FORMERR)
            return resp, None
        question = query.question[0]
        qname = question.name.to_text(omit_final_dot=True).lower()
        qtype = dns.rdatatype.to_text(question.rdtype)
        if qtype in ("AXFR", "IXFR"):  # no outgoing zone transfer is configured for any zone
            resp.set_rcode(dns.rcode.REFUSED)
            return resp, None
        with self.store.lock:
            zone = self._zone_for(qname) if question.rdclass == dns.rdataclass.IN else None
            if zone is None:
                resp.set_rcode(dns.rcode.REFUSED)
                resp.flags &= ~dns.flags.RA
                return resp, None
            signer = self._signer(zone)
            apex_signal = signer.parent_signal(qtype) if signer is not None and qname == zone.name else None
            if signer is not None and qname == zone.name and qtype == "DNSKEY":
                resp.flags |= dns.flags.AA
                resp.answer.append(signer.dnskey_rrset())
                cacheable = True
            elif apex_signal is not None:
                resp.flags |= dns.flags.AA
                resp.answer.append(apex_signal)
                cacheable = True
            else:
                cacheable = self._fill(resp, zone, qname, qtype)
            if signer is not None and wants_dnssec(query):
                self._sign(resp, signer, zone, qname)
            if not cacheable:
                return resp, None
            return resp, (qname, zone, zone.version)

    def _signer(self, zone: Zone) -> Signer | None:
        """A signer for a zone with DNSSEC keys (every state but deleted signs, see `emulator.dnssec`)."""
        if zone.dnssec is None:
            return None
        registry = self.store.dnssec
        return Signer(zone.name, zone.dnssec, tamper=bool(registry is not None and registry.tamper))

    def _sign(self, resp: dns.message.Message, signer: Signer, zone: Zone, qname: str) -> None:
        """RRSIGs for the answer, and compact denial of existence (RFC 9824) for a negative one."""
        if not resp.flags & dns.flags.AA:  # a referral: prove the child has no DS
            cut = resp.authority[0].name.to_text(omit_final_dot=True)
            resp.authority.append(signer.nsec(cut, ("NS", "RRSIG", "NSEC")))
        elif resp.rcode() == dns.rcode.NXDOMAIN:  # §3.1: the name "exists" with no data but NXNAME
            resp.set_rcode(dns.rcode.NOERROR)
            resp.authority.append(signer.nsec(qname, ("RRSIG", "NSEC", "NXNAME")))
        elif not resp.answer:  # §3.2 NODATA (§3.3 an empty non-terminal: no records, RRSIG and NSEC only)
            apex = qname == zone.name
            types = served_types(self._records_at(zone, qname), apex, apex and signer.signals)
            resp.authority.append(signer.nsec(qname, types))
        signer.sign_sections(resp)

    def _fill(self, resp: dns.message.Message, zone: Zone, qname: str, qtype: str) -> bool:
        """Answer `qname`/`qtype` from `zone` into `resp`; False when the answer must not be cached."""
        delegated = self._delegation(zone, qname)
        if delegated is not None and not (qtype == "DS" and delegated[0]["name"] == qname):
            cut = delegated[0]["name"]
            resp.authority.append(self._rrset(cut, "NS", [_rdata_text(r) for r in delegated], NS_TTL))
            return True  # a referral: not authoritative
        resp.flags |= dns.flags.AA
        if qtype == "ANY":  # RFC 8482, as Cloudflare answers
            resp.answer.append(dns.rrset.from_text(qname + ".", 3789, "IN", "HINFO", '"RFC8482" ""'))
            return True
        recs = self._records_at(zone, qname)
        if qname == zone.name:
            if qtype == "SOA":
                resp.answer.append(self._soa(zone))
                return True
            if qtype == "NS":
                resp.answer.append(self._rrset(qname, "NS", [n + "." for n in NAME_SERVERS], NS_TTL))
                return True
        cname = [r for r in recs if r["type"] == "CNAME" and not r.get("proxied")]
        cacheable = True
        if cname:
            target = cname[0]["content"].rstrip(".").lower()
            if qname == zone.name or _inside(target, zone.name):  # CNAME flattening
                if qtype in ("A", "AAAA"):
                    texts, ttl, cacheable = self._flatten(zone, target, qtype, _ttl(cname[0]))
                    if texts:
                        resp.answer.append(self._rrset(qname, qtype, texts, ttl))
                        return cacheable
                else:  # the CNAME itself is never shown; other records of the name are
                    rrsets = self._answer_rrsets(
                        zone, qname, [r for r in recs if r["type"] != "CNAME"], qtype
                    )
                    if rrsets:
                        resp.answer.extend(rrsets)
                        return True
                resp.authority.append(self._soa(zone))  # NODATA (a dangling target, or no such type)
                return cacheable
            if qtype != "CNAME":  # the resolver follows a CNAME out of the zone
                resp.answer.extend(self._answer_rrsets(zone, qname, cname, "CNAME"))
                return True
        rrsets = self._answer_rrsets(zone, qname, recs, qtype)
        if rrsets:
            resp.answer.extend(rrsets)
            return True
        if not recs and qname not in self._existing_names(zone):
            resp.set_rcode(dns.rcode.NXDOMAIN)
        resp.authority.append(self._soa(zone))
        return True

    def _flatten(self, zone: Zone, target: str, qtype: str, ttl: int) -> tuple[list[str], int, bool]:
        """CNAME flattening: the addresses `target` is served with, following CNAMEs through every zone the
        emulator serves; ``(texts, ttl, cacheable)``. TTL: the lowest along the chain (Cloudflare: "the lower
        value between the external record and the Cloudflare CNAME record"), 300 for proxied records. A
        target outside every zone served here is treated as dangling (the emulator resolves nothing on the
        Internet); an answer that read another zone is not cached (that zone's changes would not show)."""
        cacheable = True
        for _ in range(MAX_CNAME_HOPS):
            home = zone if _inside(target, zone.name) else self._zone_for(target)
            if home is None:
                return [], ttl, False
            cacheable = cacheable and home is zone
            recs = self._records_at(home, target)
            proxied = [r for r in recs if r.get("proxied") and r["type"] in ("A", "AAAA", "CNAME")]
            if proxied:
                return proxy_addresses(target, qtype), min(ttl, AUTO_TTL_SECONDS), cacheable
            nxt = [r for r in recs if r["type"] == "CNAME"]
            if nxt:
                ttl = min(ttl, _ttl(nxt[0]))
                target = nxt[0]["content"].rstrip(".").lower()
                continue
            found = [r for r in recs if r["type"] == qtype]
            if not found:
                return [], ttl, cacheable
            return list(dict.fromkeys(r["content"] for r in found)), min([ttl, *map(_ttl, found)]), cacheable
        return [], ttl, cacheable


def _inside(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


def _ttl(rec: dict[str, Any]) -> int:
    """The TTL a record is served with: automatic (1) and proxied records 300 s."""
    return AUTO_TTL_SECONDS if rec["ttl"] == 1 or rec.get("proxied") else int(rec["ttl"])


def _wire(resp: dns.message.Message, max_size: int) -> bytes:
    try:
        return resp.to_wire(max_size=max_size)
    except dns.exception.TooBig:
        resp.answer.clear()
        resp.authority.clear()
        resp.additional.clear()
        resp.flags |= dns.flags.TC
        return resp.to_wire(max_size=max_size)


class DnsServer:
    """UDP and TCP listeners on one port, answering from an Authority; `latency` seconds added per answer;
    with `propagation_delay`, API changes are served that many seconds late (``propagation``)."""

    def __init__(
        self,
        store: Store,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        propagation_delay: float = 0.0,
    ) -> None:
        self.propagation = Propagation(store, propagation_delay) if propagation_delay > 0 else None
        self.authority = Authority(store, self.propagation)
        self.host = host
        self.latency = latency
        self._requested_port = port
        self._udp: socketserver.UDPServer | None = None
        self._tcp: socketserver.ThreadingTCPServer | None = None
        self._threads: list[threading.Thread] = []
        self._sender: _DelayedSender | None = None
        self._rendered: dict[tuple[bytes, int | None], tuple[Source, bytes]] = {}
        """Answers as sent, by the question's bytes after its ID: a question asked again of an unchanged zone
        is answered with the same bytes under its own ID, without dnspython parsing and rendering it again."""
        self.questions = 0
        """Questions answered (for tests and the bench)."""
        self.first_question_at: float | None = None
        self.last_answer_at: float | None = None
        """time.monotonic() of the first question and the last answer sent since `reset_timing` (the bench's
        measure of a client's DNS phase, without its process start-up)."""

    def reset_timing(self) -> None:
        self.first_question_at = self.last_answer_at = None

    def _answered(self) -> None:
        self.last_answer_at = time.monotonic()

    @property
    def port(self) -> int:
        return self._udp.server_address[1] if self._udp else self._requested_port

    def handle(self, data: bytes, max_size: int | None) -> bytes | None:
        key = (data[2:], max_size)
        hit = self._rendered.get(key)
        if hit is not None and self.authority.current(hit[0]):  # the same question, the same zone version
            self._asked()
            return data[:2] + hit[1]
        try:
            query = dns.message.from_wire(data)
        except dns.message.ShortHeader:
            return None
        except dns.exception.DNSException:
            if len(data) < 12:
                return None
            (qid,) = struct.unpack("!H", data[:2])
            resp = dns.message.Message(qid)
            resp.flags = dns.flags.QR
            resp.set_rcode(dns.rcode.FORMERR)
            return resp.to_wire()
        self._asked()
        source = None
        try:
            resp, source = self.authority.resolve_from(query)
        except Exception:  # a record the wire format cannot carry: SERVFAIL, as a server does, never silence
            resp = dns.message.make_response(query)
            resp.set_rcode(dns.rcode.SERVFAIL)
        if max_size is None:
            out = _wire(resp, 65535)
        else:
            limit = max(512, query.payload) if query.edns >= 0 else 512
            out = _wire(resp, min(limit, max_size))
        if source is not None:
            if len(self._rendered) >= MAX_CACHED_ANSWERS:
                self._rendered.clear()
            self._rendered[key] = (source, out[2:])
        return out

    def _asked(self) -> None:
        self.questions += 1
        if self.first_question_at is None:
            self.first_question_at = time.monotonic()

    def start(self) -> DnsServer:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server = self
        if self.propagation is not None:
            self.propagation.start()

        sender = self._sender = _DelayedSender(self._answered)

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                arrived = time.monotonic()
                data, sock = self.request
                out = server.handle(data, 65535)
                if out is None:
                    return
                if server.latency > 0:
                    sender.send_at(arrived + server.latency, sock, out, self.client_address)
                else:
                    with contextlib.suppress(OSError):
                        sock.sendto(out, self.client_address)
                    server._answered()

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.settimeout(10)
                with contextlib.suppress(OSError, struct.error):
                    while True:
                        head = _recv_exact(conn, 2)
                        if head is None:
                            return
                        data = _recv_exact(conn, struct.unpack("!H", head)[0])
                        if data is None:
                            return
                        arrived = time.monotonic()
                        out = server.handle(data, None)
                        if out is None:
                            return
                        delay = arrived + server.latency - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                        conn.sendall(struct.pack("!H", len(out)) + out)
                        server._answered()

        class UdpServer(socketserver.UDPServer):
            address_family = family
            allow_reuse_address = True

            def server_bind(self) -> None:
                with contextlib.suppress(OSError):  # room for a burst of questions (the kernel may cap it)
                    self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
                super().server_bind()

        class TcpServer(socketserver.ThreadingTCPServer):
            address_family = family
            daemon_threads = True
            allow_reuse_address = True

        for attempt in range(50):  # port 0: a free UDP port whose TCP twin is free too
            udp = UdpServer((self.host, self._requested_port), Udp)
            try:
                tcp = TcpServer((self.host, udp.server_address[1]), Tcp)
                break
            except OSError:
                udp.server_close()
                if self._requested_port or attempt == 49:
                    raise
        self._udp, self._tcp = udp, tcp  # kept only once both are bound: stop() never meets a closed one
        for srv in (udp, tcp):
            thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self._threads.append(thread)
        thread = threading.Thread(target=sender.run, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        if self.propagation is not None:
            self.propagation.stop()
        for srv in (self._udp, self._tcp):
            if srv is not None:
                srv.shutdown()
        if self._sender is not None:
            self._sender.stop()
        for srv in (self._udp, self._tcp):
            if srv is not None:
                srv.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self._tcp = None
        self._requested_port = self.port
        self._udp = None


class _DelayedSender:
    """Sends UDP answers at their due time, in due order, from one thread."""

    def __init__(self, sent: Callable[[], None]) -> None:
        self._sent = sent
        self._due: list[tuple[float, int, socket.socket, bytes, Any]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False

    def send_at(self, due: float, sock: socket.socket, data: bytes, address: Any) -> None:
        with self._wake:
            heapq.heappush(self._due, (due, next(self._order), sock, data, address))
            self._wake.notify()

    def run(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._due or self._due[0][0] > time.monotonic()):
                    self._wake.wait(self._due[0][0] - time.monotonic() if self._due else None)
                if self._stopped:
                    return
                _, _, sock, data, address = heapq.heappop(self._due)
            with contextlib.suppress(OSError):
                sock.sendto(data, address)
            self._sent()

    def stop(self) -> None:
        """Answers not yet due are dropped (the server is going away)."""
        with self._wake:
            self._stopped = True
            self._wake.notify()


def _recv_exact(conn: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf
