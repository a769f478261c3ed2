"""Check 7, MX hosts: the MX served for the zone, each host's addresses, and forward-confirmed reverse DNS
(the address's PTR names a host that resolves back to the address; receivers spam-file mail from addresses
without it, so a gap is a warning)."""

from __future__ import annotations

import asyncio

from zonesync.verify.context import ZoneContext
from zonesync.verify.result import Finding, Status

TOPIC = "mx"


async def served_mx(ctx: ZoneContext) -> tuple[list[str], list[Finding]]:
    """The MX hosts served for the zone (absolute, no dot), or findings saying why there are none."""
    answer = await ctx.lookup(ctx.zone, "MX")
    if answer.status == "error":
        return [], [ctx.finding(TOPIC, ctx.zone, Status.ERROR, f"cannot check: {answer.error}")]
    hosts = [v.split()[-1].rstrip(".").lower() for v in answer.values]
    hosts = [h for h in dict.fromkeys(hosts) if h]  # "0 ." is RFC 7505's null MX: no mail
    if not hosts:
        if not ctx.mx_hosts():
            return [], []
        return [], [
            ctx.finding(
                TOPIC, ctx.zone, Status.FAIL, f"no MX served for {ctx.zone}: nobody can deliver mail to it",
                "run zonesync apply",
            )
        ]  # fmt: skip
    return hosts, []


async def check_mx(ctx: ZoneContext) -> tuple[dict[str, list[str]], list[Finding]]:
    """Findings, and the addresses of each MX host (for the SPF and SMTP checks)."""
    addresses, findings = await resolve_mx(ctx)
    return addresses, findings + await check_reverse(ctx, addresses)


async def resolve_mx(ctx: ZoneContext) -> tuple[dict[str, list[str]], list[Finding]]:
    """The served MX hosts' addresses (what the SPF check needs) and their findings, without reverse DNS."""
    hosts, findings = await served_mx(ctx)
    results = await asyncio.gather(*(ctx.resolver.addresses(h) for h in hosts))
    addresses: dict[str, list[str]] = {}
    for host, (addrs, answers) in zip(hosts, results, strict=True):
        errors = [a for a in answers if a.status == "error"]
        if errors and not addrs:
            findings.append(ctx.finding(TOPIC, host, Status.ERROR, f"cannot resolve: {errors[0].error}"))
            continue
        if not addrs:
            findings.append(
                ctx.finding(
                    TOPIC, host, Status.FAIL, f"MX host {host} has no A or AAAA record: mail cannot be delivered",
                    "add its address (mail: hosts: in the zone file) and run zonesync apply",
                )
            )  # fmt: skip
            continue
        addresses[host] = addrs
        findings.append(ctx.finding(TOPIC, host, Status.PASS, f"resolves to {', '.join(addrs)}"))
    return addresses, findings


async def check_reverse(ctx: ZoneContext, addresses: dict[str, list[str]]) -> list[Finding]:
    """Forward-confirmed reverse DNS of every address `resolve_mx` found."""
    return list(
        await asyncio.gather(
            *(_fcrdns(ctx, host, addr) for host, addrs in addresses.items() for addr in addrs)
        )
    )


async def _fcrdns(ctx: ZoneContext, host: str, addr: str) -> Finding:
    subject = f"{host} {addr}"
    answer = await ctx.resolver.ptr(addr)
    if answer.refused:  # an authoritative-only --nameserver: not a verdict, and not worth failing the run
        return ctx.finding(
            TOPIC, subject, Status.WARN, f"reverse DNS not checked: {answer.error}",
            "give a --nameserver that resolves any name (a recursive resolver) to check it",
        )  # fmt: skip
    if answer.status == "error":
        return ctx.finding(TOPIC, subject, Status.ERROR, f"cannot check reverse DNS: {answer.error}")
    fix = f"ask whoever runs {addr} (your hosting provider) to set its PTR to {host}"
    if not answer.values:
        return ctx.finding(
            TOPIC, subject, Status.WARN,
            f"no reverse DNS (PTR) for {addr}: many receivers reject or spam-file mail from an address without it",
            fix,
        )  # fmt: skip
    names = [v.rstrip(".").lower() for v in answer.values]
    forward = await asyncio.gather(*(ctx.resolver.addresses(n) for n in names))
    confirmed = [n for n, (addrs, _) in zip(names, forward, strict=True) if addr in addrs]
    if not confirmed:
        return ctx.finding(
            TOPIC, subject, Status.WARN,
            f"reverse DNS of {addr} is {', '.join(names)}, which does not resolve back to {addr} (FCrDNS fails): "
            "receivers treat it like no reverse DNS",
            fix + f" (and {host} to {addr})",
        )  # fmt: skip
    note = "" if host in confirmed else f" (not the MX name {host}; fine, but the same name is best)"
    return ctx.finding(TOPIC, subject, Status.PASS, f"FCrDNS: {addr} -> {confirmed[0]} -> {addr}{note}")
