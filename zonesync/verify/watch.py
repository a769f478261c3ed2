"""`verify --wait`: poll until every declared record set, every DKIM key and the MTA-STS policy are served from
every authoritative nameserver, or the time is up.

The first round is a full verify. What it found not yet served (a `dns` finding that is not a pass, a `dkim` or
`mta-sts` finding that failed or could not run) is asked again, and only that, with a fresh resolver (no
answer is reused) after a pause that doubles from FIRST_PAUSE up to MAX_PAUSE and never passes the deadline.
Once nothing is missing (or the time is up) a last full verify makes the report, so every other check (SPF,
DMARC, MX...) sees the served zone; a zone still missing something then gets one FAIL finding naming it all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from zonesync.base.plural import duration
from zonesync.errors import ZonesyncError
from zonesync.plan.expiry import parse_duration as parse_lifetime
from zonesync.verify import dkim_check, served
from zonesync.verify.context import ZoneContext
from zonesync.verify.resolver import Resolver
from zonesync.verify.result import Finding, Status, WaitOutcome
from zonesync.verify.runner import (
    Report,
    VerifyOptions,
    check_sts,
    contexts_for,
    verify_async,
    verify_zone,
)
from zonesync.zonefile.config import ZoneConfig

FIRST_PAUSE = 1.0
MAX_PAUSE = 16.0
MAX_WAIT = 24 * 3600.0


def parse_duration(text: str) -> float:
    """`90s`, `10m`, `1h` or a bare number of seconds -> seconds (the units saved plans' lifetimes use).
    Raises ValueError (not a duration, or outside 1 second to MAX_WAIT)."""
    try:
        seconds = parse_lifetime(text, "--wait")
    except ZonesyncError as exc:
        raise ValueError(str(exc).removeprefix("--wait: ")) from None
    if seconds > MAX_WAIT:
        raise ValueError(f"{text.strip()!r}: a wait is at most {duration(MAX_WAIT)}")
    return float(seconds)


@dataclass
class _Pending:
    """What one zone still lacks: record sets (`name TYPE`), DKIM selectors, the MTA-STS policy, or all of it
    (the zone's nameservers did not answer at all)."""

    records: set[str] = field(default_factory=set)
    selectors: set[str] = field(default_factory=set)
    sts: bool = False
    whole: bool = False

    def __bool__(self) -> bool:
        return bool(self.records or self.selectors or self.sts or self.whole)

    def describe(self) -> list[str]:
        if self.whole:
            return ["the zone itself (its nameservers do not answer for it)"]
        out = sorted(self.records)
        out += [f"DKIM selector {s}" for s in sorted(self.selectors)]
        if self.sts:
            out.append("the MTA-STS record or policy")
        return out


def pending(findings: Sequence[Finding]) -> dict[str, _Pending]:
    """Zone -> what its findings say is not yet served (zones with nothing missing are left out)."""
    out: dict[str, _Pending] = {}
    for f in findings:
        waiting = _Pending()
        if f.topic == "dns" and f.status is not Status.PASS:
            if f.subject == f.zone:
                waiting.whole = True
            else:
                waiting.records.add(f.subject)
        elif f.topic == "dkim" and f.status in (Status.FAIL, Status.ERROR):
            waiting.selectors.add(f.subject)
        elif f.topic == "mta-sts" and f.status in (Status.FAIL, Status.ERROR):
            waiting.sts = True
        if waiting:
            into = out.setdefault(f.zone, _Pending())
            into.records |= waiting.records
            into.selectors |= waiting.selectors
            into.sts |= waiting.sts
            into.whole |= waiting.whole
    return out


def _narrow(ctx: ZoneContext, what: _Pending, resolver: Resolver) -> ZoneContext:
    """The zone's context holding only what is still pending, asking through `resolver`."""
    records = tuple(r for r in ctx.records if f"{r.name} {r.type}" in what.records)
    spec = ctx.spec
    if spec is not None:
        spec = replace(spec, dkim=tuple(d for d in spec.dkim if d.selector in what.selectors))
    return replace(ctx, records=records, spec=spec, resolver=resolver, served={}, memo={})


async def _recheck(ctx: ZoneContext, what: _Pending, opts: VerifyOptions) -> list[Finding]:
    servers = await ctx.resolver.zone_servers(ctx.zone)
    if isinstance(servers, str):
        return [ctx.finding("dns", ctx.zone, Status.ERROR, f"cannot verify {ctx.zone}: {servers}")]
    checks: list[Awaitable[list[Finding]]] = []
    if ctx.records:
        checks.append(served.check_served(ctx, servers))
    if ctx.spec is not None and ctx.spec.dkim:
        checks.append(dkim_check.check_dkim(ctx))
    if what.sts:
        checks.append(check_sts(ctx, opts))
    groups = await asyncio.gather(*checks)
    return [f for group in groups for f in group]


async def _recheck_all(
    contexts: Sequence[ZoneContext], missing: dict[str, _Pending], opts: VerifyOptions
) -> tuple[dict[str, _Pending], int]:
    """Ask again what is missing (a zone missing everything gets a full verify); returns what still is and
    the questions sent."""
    resolver = Resolver(opts.net)
    by_zone = {c.zone: c for c in contexts}
    whole = [
        replace(by_zone[z], resolver=resolver, served={}, memo={}) for z, w in missing.items() if w.whole
    ]
    parts = [(by_zone[z], w) for z, w in missing.items() if not w.whole]
    try:
        results = await asyncio.gather(
            *(_recheck(_narrow(ctx, w, resolver), w, opts) for ctx, w in parts),
            *(verify_zone(ctx, opts) for ctx in whole),
        )
    finally:
        resolver.close()
    return pending([f for group in results for f in group]), resolver.sent


async def _full_run(contexts: Sequence[ZoneContext], opts: VerifyOptions) -> Report:
    """A whole verify with a fresh resolver (nothing a previous round read is reused)."""
    resolver = Resolver(opts.net)
    fresh = [replace(c, resolver=resolver, served={}, memo={}) for c in contexts]
    return await verify_async(fresh, opts, resolver)


def _timeout_findings(
    contexts: Sequence[ZoneContext], missing: dict[str, _Pending], limit: float
) -> list[Finding]:
    out = []
    for ctx in contexts:
        what = missing.get(ctx.zone)
        if not what:
            continue
        out.append(
            ctx.finding(
                "dns",
                ctx.zone,
                Status.FAIL,
                f"still not served from every authoritative nameserver after waiting {duration(limit)}: "
                + ", ".join(what.describe()),
                "a change usually reaches Cloudflare's nameservers within seconds: if `zonesync plan` shows no "
                "change left, wait longer (--wait) or check the findings above",
            )
        )
    return out


async def watch_async(
    contexts: Sequence[ZoneContext],
    opts: VerifyOptions,
    limit: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Report:
    """Verify, waiting up to `limit` seconds for what is not yet served (see the module's docstring)."""
    start = clock()
    deadline = start + limit
    report = await _full_run(contexts, opts)
    missing = pending(report.findings)
    sent, rounds, pause = report.queries, 1, FIRST_PAUSE
    while missing and clock() < deadline:
        await sleep(max(0.0, min(pause, deadline - clock())))
        pause = min(pause * 2, MAX_PAUSE)
        missing, asked = await _recheck_all(contexts, missing, opts)
        sent, rounds = sent + asked, rounds + 1
    if rounds > 1:
        report = await _full_run(contexts, opts)
        sent += report.queries
        missing = pending(report.findings)
    waited = clock() - start
    extra = _timeout_findings(contexts, missing, limit) if missing else []
    outcome = WaitOutcome(
        limit,
        waited,
        rounds,
        tuple(f"{z}: {what}" for z, w in missing.items() for what in w.describe()),
    )
    return replace(report, findings=(*report.findings, *extra), queries=sent, wait=outcome)


def watch(configs: Sequence[ZoneConfig], opts: VerifyOptions, limit: float) -> Report:
    """`verify`, waiting up to `limit` seconds for the zones to be served (raises the zone files' errors)."""
    resolver = Resolver(opts.net)
    return asyncio.run(watch_async(contexts_for(configs, opts, resolver), opts, limit))
