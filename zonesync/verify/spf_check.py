"""Check 2, SPF as receivers evaluate it: the whole include tree within RFC 7208's limits, and every address of
every in-zone MX host authorised (the server sends the zone's mail; with `-all` a receiver rejects it)."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable

from zonesync.mail import spf
from zonesync.mail.expand import in_zone
from zonesync.verify import spf_eval
from zonesync.verify.context import ZoneContext
from zonesync.verify.result import Finding, Status

TOPIC = "spf"
_FIX_LOOKUPS = (
    "flatten includes you control into ip4:/ip6: ranges, or drop includes of services you no longer use"
)


def spf_names(ctx: ZoneContext) -> list[str]:
    """Names whose SPF is checked: the apex (when the zone has mail or declares SPF) and every declared one."""
    names = [r.name for r in ctx.records if r.type == "TXT" and spf.is_spf(r.value)]
    if ctx.has_mail and ctx.zone not in names:
        names.insert(0, ctx.zone)
    return list(dict.fromkeys(names))


def _ending(tree: list[str] | tuple[str, ...]) -> str:
    """The top record's `all` (what receivers do with everyone else)."""
    terms = tree[0].split(": ", 1)[-1].split() if tree else []
    last = [t for t in terms if t.lstrip("+-~?").lower() == "all" or t.lower().startswith("redirect=")]
    return last[0] if last else "no all (neutral)"


async def check_spf(ctx: ZoneContext, mx_addresses: Awaitable[dict[str, list[str]]]) -> list[Finding]:
    """`mx_addresses`: in-zone MX host -> its served addresses (from the MX check), awaited only once the SPF
    tree is read, so the tree's lookups run beside the MX check's instead of after it (a Task or Future, as
    every SPF name awaits it)."""
    results = await asyncio.gather(*(_check_name(ctx, name, mx_addresses) for name in spf_names(ctx)))
    return [f for group in results for f in group]


async def _check_name(
    ctx: ZoneContext, name: str, mx_addresses: Awaitable[dict[str, list[str]]]
) -> list[Finding]:
    ev = await spf_eval.audit(ctx.lookup, name)
    if ev.result == "none":
        return [
            ctx.finding(
                TOPIC,
                name,
                Status.FAIL,
                f"no SPF record served at {name}: receivers cannot tell your server from a forger",
                'publish "v=spf1 mx -all" (mail: spf: in the zone file) and run zonesync apply',
            )
        ]
    tree = tuple(ev.tree)
    if ev.result == "temperror":
        return [ctx.finding(TOPIC, name, Status.ERROR, f"cannot evaluate SPF: {ev.reason}", details=tree)]
    if ev.result == "permerror":
        fix = _FIX_LOOKUPS if "lookups" in ev.reason else "fix the record so receivers can evaluate it"
        if "void" in ev.reason:
            fix = "remove the terms that point at names without records"
        return [
            ctx.finding(
                TOPIC,
                name,
                Status.FAIL,
                f"permerror: {ev.reason}: receivers treat it as if SPF failed for all your mail",
                fix,
                tree,
            )
        ]
    findings = [
        ctx.finding(
            TOPIC,
            name,
            Status.PASS,
            f"{ev.lookups} DNS lookup{'' if ev.lookups == 1 else 's'} (limit {spf.MAX_LOOKUPS}), {ev.voids} void "
            f"(limit {spf_eval.MAX_VOID_LOOKUPS}); ends in {_ending(ev.tree)}",
            details=tree,
        )
    ]
    senders = {
        h: a
        for h, a in (await mx_addresses).items()
        if in_zone(h, ctx.zone) and (name == ctx.zone or h == name)
    }
    checks = [(host, addr) for host, addrs in senders.items() for addr in addrs]
    results = await asyncio.gather(
        *(spf_eval.check_host(ctx.lookup, ipaddress.ip_address(addr), name) for _, addr in checks)
    )
    for (host, addr), result in zip(checks, results, strict=True):
        subject = f"{name} for {addr}"
        if result.result == "pass":
            findings.append(ctx.finding(TOPIC, subject, Status.PASS, f"{addr} ({host}) is authorised"))
        elif result.result == "temperror":
            findings.append(ctx.finding(TOPIC, subject, Status.ERROR, f"cannot evaluate: {result.reason}"))
        else:
            why = f": {result.reason}" if result.reason else ""
            term = "ip6" if ":" in addr else "ip4"
            findings.append(
                ctx.finding(
                    TOPIC,
                    subject,
                    Status.FAIL,
                    f"{addr} ({host}, your MX) gets SPF {result.result}{why}: receivers may reject or "
                    "spam-file the mail it sends",
                    f"authorise it: add `mx` or `{term}:{addr}` to the SPF record at {name}",
                )
            )
    return findings
