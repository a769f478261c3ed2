"""Check 1, DNS as served: every record set the zone file declares, asked of each authoritative server.

Values are compared in zonesync's canonical form (`zonesync.zonefile.rdata`), so `mx.example.com.` and a served
`mx.example.com.` with other letter case are equal, and TXT is compared as joined text. Proxied records are
answered with Cloudflare's proxy addresses, so only their presence is checked. A difference is reported as
"not yet served" when the servers disagree among themselves (a change still travelling to them, their SOA
serials shown), as drift when they all agree on something the file does not say.

CNAME flattening (Cloudflare docs, "CNAME flattening" and its "Setup" page): a DNS-only CNAME at the zone apex,
and one whose target is in the same zone, are never served as a CNAME; an A/AAAA question gets the target's
addresses, a dangling target gets an empty answer (NODATA). Such a CNAME is checked by asking A and AAAA of
the name and of its target: served as declared when the name gets exactly the target's addresses.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from zonesync.mail.expand import in_zone
from zonesync.model import Record
from zonesync.verify.context import ZoneContext
from zonesync.verify.resolver import Answer, Server
from zonesync.verify.result import Finding, Status
from zonesync.zonefile import rdata

TOPIC = "dns"


def _canonical(rdtype: str, text: str, zone: str) -> str:
    if rdtype == "TXT":
        return text
    try:
        return rdata.canonical_value(rdtype, text, zone)
    except ValueError:
        return text


def _show(rdtype: str, values: set[str] | list[str]) -> str:
    return ", ".join(rdata.display_value(rdtype, v) for v in sorted(values)) or "nothing"


async def soa_serials(ctx: ZoneContext, servers: tuple[Server, ...]) -> dict[str, Answer]:
    answers = await asyncio.gather(*(ctx.resolver.query(ctx.zone, "SOA", [s]) for s in servers))
    return {a.server or f"{s[0]}:{s[1]}": a for s, a in zip(servers, answers, strict=True)}


def _serial(answer: Answer) -> str:
    if answer.ok and answer.values:
        return answer.values[0].split()[2]
    return "?"


async def check_served(ctx: ZoneContext, servers: tuple[Server, ...]) -> list[Finding]:
    groups: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for rec in ctx.records:
        if rec.type == "NS" and rec.name == ctx.zone:
            continue  # Cloudflare serves the apex NS itself
        groups[(rec.name, rec.type)].append(rec)
    ctx.resolver.bulk()  # nothing waits for these answers: the mail checks' chains go first
    serials = await soa_serials(ctx, servers)
    serial_text = ", ".join(f"{_serial(a)} at {s}" for s, a in serials.items())
    results = await asyncio.gather(
        *(_check_group(ctx, servers, key, recs, serial_text) for key, recs in groups.items())
    )
    findings = [f for group in results for f in group]
    ok = len(groups) - len({f.subject for f in findings})
    summary = ctx.finding(
        TOPIC,
        ctx.zone,
        Status.PASS,
        f"{ok} of {len(groups)} declared record sets served as declared (SOA serial {serial_text})",
    )
    return [summary, *findings]


async def _check_group(
    ctx: ZoneContext, servers: tuple[Server, ...], key: tuple[str, str], recs: list[Record], serial: str
) -> list[Finding]:
    name, rdtype = key
    subject = f"{name} {rdtype}"
    proxied = any(r.proxied for r in recs)
    pending = any(r.pending for r in recs)
    if rdtype == "CNAME" and not proxied and flattened(name, recs[0].value, ctx.zone):
        return await _check_flattened(ctx, servers, subject, name, recs[0].value.rstrip(".").lower())
    ask = "A" if proxied and rdtype == "CNAME" else rdtype
    answers = await asyncio.gather(*(ctx.resolver.query(name, ask, [s]) for s in servers))
    errors = [a for a in answers if a.status == "error"]
    if errors:
        return [ctx.finding(TOPIC, subject, Status.ERROR, f"cannot check: {errors[0].error}")]
    if proxied:
        not_serving = [a.server for a in answers if not a.ok]
        if not not_serving:
            return []
        return [
            ctx.finding(
                TOPIC,
                subject,
                Status.FAIL,
                f"proxied {rdtype} not served by {', '.join(not_serving)} ({answers[0].describe()})",
                "run zonesync apply",
            )
        ]
    declared = {r.value for r in recs}
    served = [{_canonical(rdtype, v, ctx.zone) for v in a.values} for a in answers]
    if len({frozenset(s) for s in served}) == 1:
        ctx.served[subject] = tuple(rdata.display_value(rdtype, v) for v in sorted(served[0]))
    if pending:  # a DKIM key only apply will make: presence only
        if all(served):
            return []
        declared = set()
    if all(s == declared for s in served) and not pending:
        return []
    distinct = {frozenset(s) for s in served}
    if len(distinct) > 1:
        per = "; ".join(f"{a.server} serves {_show(rdtype, s)}" for a, s in zip(answers, served, strict=True))
        return [
            ctx.finding(
                TOPIC,
                subject,
                Status.WARN,
                f"not yet served by every nameserver: {per}",
                "a change is still reaching Cloudflare's nameservers (seconds, at most minutes): run verify again",
            )
        ]
    seen = served[0]
    missing, extra = declared - seen, seen - declared
    where = f" (SOA serial {serial})"
    if not seen:
        return [
            ctx.finding(
                TOPIC,
                subject,
                Status.FAIL,
                f"not served: {answers[0].describe()}{where}; the file declares {_show(rdtype, declared)}",
                "run zonesync apply; if you just did, the change is not yet served: run verify again in a minute",
            )
        ]
    parts = []
    if missing:
        parts.append(f"missing {_show(rdtype, missing)}")
    if extra:
        parts.append(f"served but not in the file {_show(rdtype, extra)}")
    return [
        ctx.finding(
            TOPIC,
            subject,
            Status.FAIL,
            "served differently from the file: " + "; ".join(parts) + where,
            "a change made outside zonesync (the dashboard?): `zonesync plan` shows it; apply restores the file's "
            "values, or add the change to the file",
        )
    ]


def flattened(name: str, target: str, zone: str) -> bool:
    """Does Cloudflare flatten a DNS-only CNAME `name` -> `target` in `zone` (whatever the zone's setting)?"""
    return name == zone or in_zone(target.rstrip(".").lower(), zone)


async def _addresses(
    ctx: ZoneContext, name: str, servers: list[Server] | None
) -> tuple[set[str], Answer | None, str]:
    """The A and AAAA values of `name` (asked of `servers`, or recursively), the first failed answer (or
    None), and the server that answered."""
    answers = await asyncio.gather(*(ctx.resolver.query(name, t, servers) for t in ("A", "AAAA")))
    failed = next((a for a in answers if a.status == "error" or a.refused), None)
    return {v for a in answers for v in a.values}, failed, answers[0].server


async def _check_flattened(
    ctx: ZoneContext, servers: tuple[Server, ...], subject: str, name: str, target: str
) -> list[Finding]:
    """A flattened CNAME: each server must answer `name` with the addresses it serves for `target` (a target
    outside the zone is asked recursively; when it cannot be resolved, any address at `name` passes)."""
    inside = in_zone(target, ctx.zone)
    outside: tuple[set[str], Answer | None, str] = (set(), None, "")
    if not inside:
        outside = await _addresses(ctx, target, None)
    for server in servers:
        got, failed, where = await _addresses(ctx, name, [server])
        if failed is not None:
            return [ctx.finding(TOPIC, subject, Status.ERROR, f"cannot check: {failed.describe()}")]
        want, target_failed, _ = await _addresses(ctx, target, [server]) if inside else outside
        if not want and target_failed is None:
            return [
                ctx.finding(
                    TOPIC,
                    subject,
                    Status.FAIL,
                    f"CNAME to {target} is flattened by Cloudflare, but {target} has no A or AAAA record: "
                    f"{name} is answered with nothing (NODATA) by {where}",
                    f"add an A or AAAA record at {target}, or point the CNAME at a name that has one",
                )
            ]
        if target_failed is not None:  # the target cannot be read: presence only
            if got:
                continue
            want = set()
        if got != want:
            return [
                ctx.finding(
                    TOPIC,
                    subject,
                    Status.FAIL,
                    f"CNAME to {target} is flattened by Cloudflare: {where} answers {name} with "
                    f"{', '.join(sorted(got)) or 'nothing'}, but {target} with {', '.join(sorted(want)) or 'nothing'}",
                    "run zonesync apply; if you just did, the change is not yet served: run verify again in a minute",
                )
            ]
    return []
