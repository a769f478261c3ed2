"""verify's DNSSEC check (an I/O edge): does the zone's chain of trust validate, for its apex and for names?

`chain_validates(ctx, name, rdtype)` is the one question other checks ask (DANE's TLSA check: "senders
ignore DANE without DNSSEC"): a `ChainVerdict`, valid or not, with a one-line reason. The trust comes from,
in this order: `--trust-anchor` (DS or DNSKEY; a test zone has no real parent); else, with `--nameserver`,
that server's AD bit when it is a validating resolver; else the DS at the parent (asked of the recursive
resolvers, or of `--nameserver`), which must match a key of the zone's DNSKEY set. No anchor and no DS: the
chain does not validate (a fail, not a skip). Answers are then asked of the zone's servers with the DO bit
and checked by `zonesync.verify.dnssec_chain` (signatures with dnspython, NODATA and compact denial).

`check_dnssec(ctx)` makes the findings of topic "dnssec": for a zone whose file says `dnssec: true` or
that publishes TLSA records, the apex SOA, the DNSKEY set and a name that does not exist must validate.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from zonesync.base.features import lazy
from zonesync.verify.context import ZoneContext
from zonesync.verify.dnssec_chain import Anchor, ChainError, parse_anchor, proven, trusted_keys
from zonesync.verify.result import Finding, Status

asyncquery: Any = lazy("dns.asyncquery")

Server = tuple[str, int]
PAYLOAD = 1232
"""EDNS buffer size (DNS flag day 2020): larger answers come over TCP."""
FIX = (
    "give the registrar the DS record `zonesync plan` shows (docs/dnssec.md), or pass --trust-anchor "
    "'<DS or DNSKEY>' for a zone without a real parent"
)


@dataclass(frozen=True)
class ChainVerdict:
    valid: bool
    reason: str
    """One line: what validated (and through which anchor), or where the chain broke."""


@dataclass(frozen=True)
class _Trust:
    keys: Any  # the zone's DNSKEY RRset, trusted; None when only a resolver's AD bit vouches
    via: str
    error: str = ""


async def ask(servers: Sequence[Server], name: str, rdtype: str, timeout: float) -> dns.message.Message | str:
    """(name, type) with the DO bit (and AD, for a validating resolver), from the first server that answers;
    over TCP when truncated. The reason when none does."""
    reasons = []
    for host, port in servers:
        query = dns.message.make_query(name, rdtype, want_dnssec=True, payload=PAYLOAD)
        query.flags |= dns.flags.AD
        try:
            response = await asyncquery.udp(query, host, port=port, timeout=timeout)
            if response.flags & dns.flags.TC:
                response = await asyncquery.tcp(query, host, port=port, timeout=timeout)
            return response
        except (dns.exception.DNSException, OSError) as exc:
            reasons.append(f"{host}:{port}: {type(exc).__name__}")
    return "no answer (" + ", ".join(reasons or ["no server"]) + ")"


def anchors_of(ctx: ZoneContext) -> list[Anchor]:
    return [parse_anchor(text) for text in ctx.opts.trust_anchors]


async def _trust(ctx: ZoneContext) -> _Trust:
    """The zone's trusted DNSKEY set and where the trust came from (memoised per zone and run)."""
    task = ctx.memo.get("dnssec-trust")
    if task is None:
        task = ctx.memo["dnssec-trust"] = asyncio.ensure_future(_find_trust(ctx))
    return await task


async def _find_trust(ctx: ZoneContext) -> _Trust:
    zone, timeout = ctx.zone, ctx.opts.timeout
    servers = await ctx.resolver.zone_servers(zone)
    if isinstance(servers, str):
        return _Trust(None, "", servers)
    anchors = anchors_of(ctx)
    via = "--trust-anchor"
    if not anchors:
        recursive = ctx.resolver.recursive_servers()
        parent = await ask(recursive, zone, "DS", timeout)
        if isinstance(parent, str):
            return _Trust(None, "", f"the DS of {zone} at its parent: {parent}")
        ds = [
            rr
            for rrset in parent.answer
            if rrset.rdtype == dns.rdatatype.DS and rrset.name.to_text(omit_final_dot=True).lower() == zone
            for rr in rrset
        ]
        if not ds:
            return _Trust(
                None,
                "",
                f"no DS for {zone} at its parent (asked {_servers(recursive)}) and no --trust-anchor: "
                "nothing anchors the chain of trust",
            )
        anchors = [Anchor(zone, rr) for rr in ds]
        checked = " (validated by the resolver: AD)" if parent.flags & dns.flags.AD else ""
        via = f"the DS at the parent{checked}"
    response = await ask(servers, zone, "DNSKEY", timeout)
    if isinstance(response, str):
        return _Trust(None, "", f"the DNSKEY set of {zone}: {response}")
    try:
        keys, matched = trusted_keys(zone, response, anchors)
    except ChainError as exc:
        return _Trust(None, "", str(exc))
    return _Trust(keys, f"{via}: {matched}")


async def chain_validates(ctx: ZoneContext, name: str, rdtype: str) -> ChainVerdict:
    """Does the answer for (name, type) of ctx's zone validate from a trust anchor? (Positive answers,
    NODATA and nonexistent names alike.) Never raises: a failure to ask is an invalid verdict with why."""
    name = name.rstrip(".").lower()
    if ctx.resolver.fixed and not ctx.opts.trust_anchors:
        # --nameserver without an anchor: a validating resolver vouches with its AD bit
        answer = await ask(ctx.resolver.fixed, name, rdtype, ctx.opts.timeout)
        if (
            not isinstance(answer, str)
            and answer.flags & dns.flags.AD
            and answer.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)
        ):
            return ChainVerdict(
                True, f"{name} {rdtype}: validated by the resolver {_servers(ctx.resolver.fixed)} (AD)"
            )
    trust = await _trust(ctx)
    if trust.keys is None:
        return ChainVerdict(False, trust.error)
    servers = await ctx.resolver.zone_servers(ctx.zone)
    assert not isinstance(servers, str)  # _trust succeeded with them
    response = await ask(servers, name, rdtype, ctx.opts.timeout)
    if isinstance(response, str):
        return ChainVerdict(False, f"{name} {rdtype}: {response}")
    try:
        what = proven(ctx.zone, name, rdtype, response, trust.keys)
    except ChainError as exc:
        return ChainVerdict(False, str(exc))
    return ChainVerdict(True, f"{name} {rdtype}: {what}, validated from {trust.via}")


def wanted(ctx: ZoneContext) -> bool:
    """The check runs for a zone whose file says `dnssec: true`, or that publishes TLSA records."""
    return ctx.config.dnssec is True or any(r.type == "TLSA" for r in ctx.records)


async def check_dnssec(ctx: ZoneContext) -> list[Finding]:
    """Findings of topic "dnssec": the apex SOA, the DNSKEY set and a missing name validate."""
    if not wanted(ctx):
        return []
    probe = f"zonesync-dnssec-{secrets.token_hex(4)}.{ctx.zone}"
    questions = [(ctx.zone, "SOA"), (ctx.zone, "DNSKEY"), (probe, "A")]
    verdicts = await asyncio.gather(*(chain_validates(ctx, n, t) for n, t in questions))
    tlsa = any(r.type == "TLSA" for r in ctx.records)
    out = []
    for (name, rdtype), verdict in zip(questions, verdicts, strict=True):
        subject = f"{name} {rdtype}" if name != probe else f"a missing name ({name})"
        if verdict.valid:
            out.append(ctx.finding("dnssec", subject, Status.PASS, verdict.reason))
            continue
        message = verdict.reason + (" — senders ignore DANE without DNSSEC" if tlsa else "")
        out.append(ctx.finding("dnssec", subject, Status.FAIL, message, FIX))
    return out


def _servers(servers: Sequence[Server]) -> str:
    return ", ".join(f"{h}:{p}" if p != 53 else h for h, p in servers) or "none"
