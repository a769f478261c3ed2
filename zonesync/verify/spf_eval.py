"""SPF evaluated as a receiver does (RFC 7208 §4-§7): `check_host()` over DNS, with the lookup limits.

Two uses: `check_host(ip, domain)` says what a receiver answers for mail from `ip` (is the MX allowed to send
as the zone?); `audit(domain)` walks the whole tree the way an address that matches nothing makes a receiver
walk it, so the DNS-querying terms of every include are counted (limit 10, §4.6.4) along with void lookups
(limit 2), and the tree is kept for `-v`. Term syntax comes from `zonesync.mail.spf`; only evaluation is here.
DNS goes through a lookup function (the verify resolver), so this module does no I/O of its own.

The walk is sequential, as RFC 7208 orders it; the audit, which walks every term anyway, asks a record's
questions together as soon as the record is read (`_prefetch`: the include and redirect targets' records, and
through them their terms, the a/mx/exists names), so the walk then finds each answer already there and an
audit takes about as many round trips as the tree is deep, not as many as it has terms. The lookup function
asks each question once, so nothing is asked twice; a walk cut short by an error may leave some prefetched
answers unused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from zonesync.mail.spf import MAX_LOOKUPS, is_spf
from zonesync.verify.resolver import Answer

Lookup = Callable[[str, str], Awaitable[Answer]]
IP = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_VOID_LOOKUPS = 2
"""RFC 7208 §4.6.4: implementations SHOULD limit void lookups to two."""
MAX_MX_ADDRESSES = 10
"""RFC 7208 §4.6.4: an mx or ptr term looks at no more than 10 names."""
MAX_DEPTH = 20
"""Guard against include loops in the audit walk (a check_host walk stops at 10 lookups anyway)."""

RESULTS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
_MODIFIER = re.compile(r"^([a-z][a-z0-9_.-]*)=(.*)$", re.IGNORECASE)
_MACRO = re.compile(r"%\{([slodiphcrtv])(\d*)(r?)([.\-+,/_=]*)\}|%%|%_|%-", re.IGNORECASE)


class PermError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class _Term:
    """One term of an SPF record, read once for the walk and the prefetch alike."""

    text: str
    """As written (what the tree and the errors show)."""
    qualifier: str
    """+, -, ~ or ? for a mechanism; empty for a modifier (name=value)."""
    name: str
    """Lower case: all, include, a, mx, redirect..."""
    body: str
    """The mechanism without its qualifier; lower-cased unless it names a domain (`a:Mail.Example`)."""
    rest: str
    """What follows the mechanism's `:`, or the modifier's `=`."""


def _terms(text: str) -> list[_Term]:
    out = []
    for term in text.split()[1:]:
        mod = _MODIFIER.match(term)
        if mod and term[0] not in "+-~?":
            out.append(_Term(term, "", mod.group(1).lower(), term, mod.group(2)))
            continue
        body = term.lstrip("+-~?")
        body = body.lower() if ":" not in body else body
        name, _, rest = body.partition(":")
        qualifier = term[0] if term[0] in "+-~?" else "+"
        out.append(_Term(term, qualifier, re.split("/", name, maxsplit=1)[0].lower(), body, rest))
    return out


class TempError(Exception):
    pass


@dataclass
class Evaluation:
    """What one evaluation found: its result, why, and the counts and tree that show it."""

    result: str = "none"
    """pass | fail | softfail | neutral | none | permerror | temperror"""
    reason: str = ""
    lookups: int = 0
    voids: int = 0
    void_terms: list[str] = field(default_factory=list)
    over_limit_at: str = ""
    """The term that made the 11th lookup, if any."""
    tree: list[str] = field(default_factory=list)


def expand_macros(spec: str, ip: IP | None, domain: str, sender: str) -> str | None:
    """RFC 7208 §7 macro expansion; None when the spec needs the sender's address and there is none."""
    local, _, sender_domain = sender.rpartition("@")

    def letter_value(letter: str) -> str | None:
        if letter == "s":
            return sender
        if letter == "l":
            return local or "postmaster"
        if letter == "o":
            return sender_domain
        if letter in ("d", "h"):
            return domain
        if letter == "v":
            return "in-addr" if ip is None or ip.version == 4 else "ip6"
        if letter in ("i", "c"):
            if ip is None:
                return None
            if ip.version == 4:
                return str(ip)
            return ".".join(ip.exploded.replace(":", "")) if letter == "i" else str(ip)
        if letter == "p":
            return "unknown"
        return ""

    missing = False

    def sub(m: re.Match[str]) -> str:
        nonlocal missing
        whole = m.group(0)
        if whole == "%%":
            return "%"
        if whole == "%_":
            return " "
        if whole == "%-":
            return "%20"
        value = letter_value(m.group(1).lower())
        if value is None:
            missing = True
            return ""
        parts = re.split("[" + re.escape(m.group(4) or ".") + "]", value)
        if m.group(3):
            parts.reverse()
        if m.group(2):
            parts = parts[-int(m.group(2)) :] if int(m.group(2)) else parts
        return ".".join(parts)

    out = _MACRO.sub(sub, spec)
    return None if missing else out


class _Walk:
    def __init__(self, lookup: Lookup, ip: IP | None, sender: str) -> None:
        self.lookup = lookup
        self.ip = ip
        self.sender = sender
        self.ev = Evaluation()
        self._warming: set[str] = set()
        self._tasks: list[asyncio.Future[object]] = []
        """The prefetches under way (kept referenced until done; never cancelled: they share the resolver's
        questions with the walk)."""

    def line(self, depth: int, text: str) -> None:
        self.ev.tree.append("  " * depth + text)

    def count(self, term: str, depth: int) -> None:
        self.ev.lookups += 1
        if self.ev.lookups > MAX_LOOKUPS and not self.ev.over_limit_at:
            self.ev.over_limit_at = term
            if self.ip is not None:  # check_host stops here; the audit walk goes on to count them all
                raise PermError(f"more than {MAX_LOOKUPS} DNS lookups (the 11th is `{term}`)")

    def void(self, term: str, answer: Answer) -> None:
        if answer.status == "error":
            raise TempError(answer.error)
        if answer.void:
            self.ev.voids += 1
            self.ev.void_terms.append(term)
            if self.ev.voids > MAX_VOID_LOOKUPS and self.ip is not None:
                raise PermError(f"more than {MAX_VOID_LOOKUPS} void lookups (the 3rd is `{term}`)")

    async def record(self, domain: str) -> str | None:
        answer = await self.lookup(domain, "TXT")
        if answer.status == "error":
            raise TempError(answer.error)
        records = [v for v in answer.values if is_spf(v)]
        if len(records) > 1:
            raise PermError(f"{domain} publishes {len(records)} SPF records (RFC 7208 §4.5 allows one)")
        return records[0] if records else None

    def target(self, spec: str, domain: str, term: str) -> str | None:
        expanded = expand_macros(spec, self.ip, domain, self.sender) if spec else domain
        if expanded is None:
            return None
        return expanded.rstrip(".").lower()

    async def addresses(self, host: str, term: str, cidr4: int, cidr6: int) -> tuple[list[IP], Answer]:
        """The host's addresses, as networks to match (only the family of `ip`, or both in the audit)."""
        families = ["A", "AAAA"] if self.ip is None else ["A" if self.ip.version == 4 else "AAAA"]
        found: list[IP] = []
        for rdtype in families:
            answer = await self.lookup(host, rdtype)
            if answer.status == "error":
                raise TempError(answer.error)
            found.extend(ipaddress.ip_address(v) for v in answer.values)
        status = "ok" if found else "nodata"  # void only when no family has an address (as checkdmarc counts)
        return found, Answer(host, "/".join(families), status)

    def matches(self, addrs: list[IP], cidr4: int, cidr6: int) -> bool:
        if self.ip is None:
            return False
        for addr in addrs:
            prefix = cidr4 if addr.version == 4 else cidr6
            if addr.version == self.ip.version and self.ip in ipaddress.ip_network(
                f"{addr}/{prefix}", strict=False
            ):
                return True
        return False

    # -- prefetch (audit only) ------------------------------------------------------------------------------
    def _spawn(self, aw: Awaitable[object]) -> None:
        task = asyncio.ensure_future(aw)
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)

    async def _warm_record(self, domain: str, depth: int) -> None:
        if depth > MAX_DEPTH or domain in self._warming:
            return
        self._warming.add(domain)
        answer = await self.lookup(domain, "TXT")
        records = [v for v in answer.values if is_spf(v)]
        if len(records) == 1:
            self._prefetch(records[0], domain, depth)

    async def _warm_mx(self, host: str) -> None:
        answer = await self.lookup(host, "MX")
        hosts = _mx_hosts(answer)
        if len(hosts) <= MAX_MX_ADDRESSES:
            for mx in hosts:
                self._spawn(self.lookup(mx, "A"))
                self._spawn(self.lookup(mx, "AAAA"))

    def _prefetch(self, text: str, domain: str, depth: int) -> None:
        """Ask now what the audit walk of this record will ask (the same targets, through `target`)."""
        if self.ip is not None:
            return
        self._warming.add(domain)
        for t in _terms(text):
            try:
                if not t.qualifier:  # of the modifiers, only redirect= leads to another record
                    target = self.target(t.rest, domain, "redirect") if t.name == "redirect" else None
                    if target is not None:
                        self._spawn(self._warm_record(target, depth + 1))
                elif t.name == "include":
                    target = self.target(t.rest, domain, t.text)
                    if target is not None:
                        self._spawn(self._warm_record(target, depth + 1))
                elif t.name in ("a", "mx"):
                    host = self.target(_domain_cidr(t.body[len(t.name) :])[0], domain, t.text)
                    if host is not None and t.name == "a":
                        self._spawn(self.lookup(host, "A"))
                        self._spawn(self.lookup(host, "AAAA"))
                    elif host is not None:
                        self._spawn(self._warm_mx(host))
                elif t.name == "exists":
                    host = self.target(t.rest, domain, t.text)
                    if host is not None:
                        self._spawn(self.lookup(host, "A"))
            except (PermError, ValueError):
                continue  # the walk reports it when it gets there

    # -- the walk --------------------------------------------------------------------------------------------
    async def run(self, domain: str, depth: int) -> str:
        if depth > MAX_DEPTH:
            raise PermError(f"includes nested deeper than {MAX_DEPTH} (a loop?) at {domain}")
        text = await self.record(domain)
        if text is not None and domain not in self._warming:
            self._prefetch(text, domain, depth)
        if text is None:
            self.line(depth, f"{domain}: no SPF record")
            return "none"
        self.line(depth, f"{domain}: {text}")
        redirect = None
        for t in _terms(text):
            if not t.qualifier:
                if t.name == "redirect":
                    redirect = t.rest
                continue  # exp= and unknown modifiers do not change the result (§6.2)
            if await self.mechanism(t, domain, depth):
                return RESULTS[t.qualifier]
        if redirect is not None:
            self.count(f"redirect={redirect}", depth)
            target = self.target(redirect, domain, term="redirect")
            if target is None:
                self.line(depth + 1, f"redirect={redirect}: depends on the sender's address")
                return "neutral"
            result = await self.run(target, depth + 1)
            if result == "none":
                raise PermError(f"redirect={redirect}: {target} has no SPF record")
            return result
        return "neutral"

    async def mechanism(self, t: _Term, domain: str, depth: int) -> bool:
        body, term, name, rest = t.body, t.text, t.name, t.rest
        spec, cidr4, cidr6 = _domain_cidr(body[len(name) :]) if name in ("a", "mx", "ptr") else ("", 32, 128)
        note = depth + 1
        if name == "all":
            return True
        if name in ("ip4", "ip6"):
            net = ipaddress.ip_network(rest, strict=False)
            return self.ip is not None and self.ip.version == net.version and self.ip in net
        if name == "include":
            self.count(term, depth)
            target = self.target(rest, domain, term)
            if target is None:
                self.line(note, f"{term}: depends on the sender's address")
                return False
            result = await self.run(target, depth + 1)
            if result == "none":
                raise PermError(f"`{term}`: {target} has no SPF record, so receivers return permerror")
            if result in ("temperror", "permerror"):
                raise PermError(f"`{term}`: {result}")
            return result == "pass"
        if name in ("a", "mx", "exists", "ptr"):
            self.count(term, depth)
        if name == "a":
            host = self.target(spec, domain, term)
            if host is None:
                return False
            addrs, answer = await self.addresses(host, term, cidr4, cidr6)
            self.void(term, answer)
            self.line(note, f"{term} -> {', '.join(map(str, addrs)) or 'no address (void lookup)'}")
            return self.matches(addrs, cidr4, cidr6)
        if name == "mx":
            host = self.target(spec, domain, term)
            if host is None:
                return False
            answer = await self.lookup(host, "MX")
            self.void(term, answer)
            hosts = _mx_hosts(answer)
            if len(hosts) > MAX_MX_ADDRESSES:
                raise PermError(f"`{term}`: {host} has {len(hosts)} MX records; SPF looks at no more than 10")
            all_addrs: list[IP] = []
            for mx in hosts:
                addrs, _ = await self.addresses(mx, term, cidr4, cidr6)
                all_addrs.extend(addrs)
                self.line(note, f"{term} -> {mx} ({', '.join(map(str, addrs)) or 'no address'})")
            if not hosts:
                self.line(note, f"{term} -> no MX (void lookup)")
            return self.matches(all_addrs, cidr4, cidr6)
        if name == "exists":
            host = self.target(rest, domain, term)
            if host is None:
                self.line(note, f"{term}: depends on the sender's address")
                return False
            answer = await self.lookup(host, "A")
            self.void(term, answer)
            return answer.ok
        if name == "ptr":
            if self.ip is None:
                return False
            suffix = (self.target(spec, domain, term) or domain).lower()
            answer = await self.lookup(_reverse(self.ip), "PTR")
            self.void(term, answer)
            for ptr_name in [v.rstrip(".").lower() for v in answer.values][:MAX_MX_ADDRESSES]:
                addrs, _ = await self.addresses(ptr_name, term, 32, 128)
                if self.ip in addrs and (ptr_name == suffix or ptr_name.endswith("." + suffix)):
                    return True
            return False
        raise PermError(f"`{term}` is not an SPF mechanism")


def _mx_hosts(answer: Answer) -> list[str]:
    """The exchanges of an MX answer (`10 mx.example.com.` -> `mx.example.com`)."""
    return [v.split()[-1].rstrip(".") for v in answer.values]


def _reverse(ip: IP) -> str:
    return ip.reverse_pointer


_DOMAIN_CIDR = re.compile(r"^(?::([^/]+))?(?:/(\d{1,2}))?(?://(\d{1,3}))?$")


def _domain_cidr(rest: str) -> tuple[str, int, int]:
    """`:domain/24//64` -> (domain, 24, 64); missing parts: no domain, whole addresses."""
    m = _DOMAIN_CIDR.match(rest)
    if m is None:
        raise PermError(f"cannot read {rest!r} as :domain/cidr")
    return m.group(1) or "", int(m.group(2) or 32), int(m.group(3) or 128)


async def check_host(lookup: Lookup, ip: IP, domain: str, sender: str = "") -> Evaluation:
    """RFC 7208 §4: the result a receiver computes for mail from `ip` claiming `domain`."""
    walk = _Walk(lookup, ip, sender or f"postmaster@{domain}")
    try:
        walk.ev.result = await walk.run(domain, 0)
    except PermError as exc:
        walk.ev.result, walk.ev.reason = "permerror", str(exc)
    except TempError as exc:
        walk.ev.result, walk.ev.reason = "temperror", str(exc)
    except ValueError as exc:  # an ip4:/ip6:/cidr value that does not parse
        walk.ev.result, walk.ev.reason = "permerror", str(exc)
    return walk.ev


async def audit(lookup: Lookup, domain: str) -> Evaluation:
    """The whole tree, every DNS-querying term counted (what an address matching nothing costs)."""
    walk = _Walk(lookup, None, f"postmaster@{domain}")
    try:
        walk.ev.result = await walk.run(domain, 0)
        if walk.ev.lookups > MAX_LOOKUPS:
            walk.ev.result = "permerror"
            walk.ev.reason = (
                f"{walk.ev.lookups} DNS lookups; RFC 7208 §4.6.4 allows {MAX_LOOKUPS} "
                f"(the 11th is `{walk.ev.over_limit_at}`)"
            )
        elif walk.ev.voids > MAX_VOID_LOOKUPS:
            walk.ev.result = "permerror"
            walk.ev.reason = (
                f"{walk.ev.voids} void lookups ({', '.join(walk.ev.void_terms)}); RFC 7208 §4.6.4 allows "
                f"{MAX_VOID_LOOKUPS}"
            )
    except PermError as exc:
        walk.ev.result, walk.ev.reason = "permerror", str(exc)
    except TempError as exc:
        walk.ev.result, walk.ev.reason = "temperror", str(exc)
    except ValueError as exc:
        walk.ev.result, walk.ev.reason = "permerror", str(exc)
    return walk.ev
