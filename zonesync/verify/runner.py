"""`zonesync verify`'s orchestration: for each zone, the zone file's view, then every check concurrently on one
resolver (identical questions asked once across zones and checks). Returns a Report; prints nothing.

A zone whose nameservers do not answer its SOA gets one ERROR finding and no further checks, so a dead or
wrong `--nameserver` is one clear line, not a hundred timeouts. The network checks of verify-net (MTA-STS
policy over HTTPS, SMTP, outbound port 25) run in threads beside the DNS checks when their modules exist.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from zonesync.cloudflare.tokens import TOKEN_ENV, TokenError, check_token
from zonesync.mail.mta_sts import policy_host
from zonesync.verify import dkim_check, mx_check, policy_records, relay_check, served, spf_check
from zonesync.verify.context import ZoneContext
from zonesync.verify.resolver import Resolver
from zonesync.verify.result import Finding, NetOptions, Status
from zonesync.zonefile.config import ZoneConfig

TOPICS = ("dns", "spf", "dkim", "dmarc", "mta-sts", "tls-rpt", "mx", "relay", "smtp", "outbound")
"""The order topics are shown in: the issue's check order."""


@dataclass(frozen=True)
class VerifyOptions:
    net: NetOptions = field(default_factory=NetOptions)
    smtp: bool = False
    outbound: bool = False
    probe_domain: str = "gmail.com"
    dns_only: bool = False
    """Skip the MTA-STS policy fetch over HTTPS (and --smtp): where the real hosts cannot be reached."""


@dataclass(frozen=True)
class Report:
    zones: tuple[str, ...]
    findings: tuple[Finding, ...]
    queries: int = 0
    """DNS questions put on the wire."""
    not_checked: tuple[str, ...] = ()
    """Checks this run left out on purpose (--dns-only), said once in the output."""

    def counts(self, zone: str | None = None) -> dict[str, int]:
        seen = Counter(f.status for f in self.findings if zone is None or f.zone == zone)
        return {s.value: seen.get(s, 0) for s in Status}

    def passed(self, strict: bool = False) -> bool:
        bad = {Status.FAIL, Status.ERROR} | ({Status.WARN} if strict else set())
        return not any(f.status in bad for f in self.findings)

    def for_zone(self, zone: str) -> list[Finding]:
        order = {t: i for i, t in enumerate(TOPICS)}
        return sorted(
            (f for f in self.findings if f.zone == zone), key=lambda f: order.get(f.topic, len(order))
        )


def _optional(module: str, attr: str) -> Any:
    """A verify-net check, or None while its module is not there."""
    try:
        return getattr(importlib.import_module(f"zonesync.verify.{module}"), attr)
    except (ModuleNotFoundError, AttributeError):
        return None


async def _verify_zone(ctx: ZoneContext, opts: VerifyOptions) -> list[Finding]:
    servers = await ctx.resolver.zone_servers(ctx.zone)
    if isinstance(servers, str):
        return [ctx.finding("dns", ctx.zone, Status.ERROR, f"cannot verify {ctx.zone}: {servers}")]
    soa = await ctx.resolver.query(ctx.zone, "SOA", servers)
    if not soa.ok:
        why = (
            soa.describe() if soa.status == "error" else f"{soa.describe()}: the nameserver does not serve it"
        )
        return [ctx.finding("dns", ctx.zone, Status.ERROR, f"cannot verify {ctx.zone}: {why}")]

    async def mx_then_dependents() -> list[Finding]:
        # the SPF tree is read beside the MX check; only its last step waits for the MX addresses
        resolved = asyncio.ensure_future(mx_check.resolve_mx(ctx))
        addresses_only = asyncio.ensure_future(_first(resolved))
        spf_found = asyncio.ensure_future(spf_check.check_spf(ctx, addresses_only))
        addresses, found = await resolved
        found += await mx_check.check_reverse(ctx, addresses)
        found += await spf_found
        check_smtp = _optional("smtp", "check_smtp")
        if opts.smtp and not opts.dns_only and check_smtp is not None and addresses:
            patterns = _sts_patterns(ctx.policy)
            found += await asyncio.to_thread(check_smtp, ctx.zone, addresses, patterns, opts.net)
        return found

    async def sts() -> list[Finding]:
        found = await policy_records.check_mta_sts_record(ctx)
        check_policy = _optional("mta_sts", "check_policy")
        if check_policy is not None and not opts.dns_only and (ctx.policy is not None or found):
            mx = ctx.mx_hosts()
            cert = _worker_certificate(ctx, opts.net)
            found += await asyncio.to_thread(check_policy, ctx.zone, ctx.policy, mx, opts.net, cert)
        return found

    groups = await asyncio.gather(
        served.check_served(ctx, servers),
        mx_then_dependents(),
        dkim_check.check_dkim(ctx),
        policy_records.check_dmarc(ctx),
        sts(),
        policy_records.check_tlsrpt(ctx),
        relay_check.check_relay(ctx),
    )
    return [f for group in groups for f in group]


def _worker_certificate(ctx: ZoneContext, net: NetOptions) -> Callable[[], str | None] | None:
    """For a policy a Worker serves (`mta_sts.host: worker`): how to read its custom domain's certificate
    status with the API token, when one is set (verify needs none: without it, nothing is read)."""
    sts = ctx.spec.mta_sts if ctx.spec is not None else None
    token = os.environ.get(TOKEN_ENV, "").strip()
    if sts is None or sts.host != "worker":
        return None
    if not token:
        return lambda: None

    def status() -> str | None:
        from zonesync.cloudflare.certificates import custom_domain_certificate  # the SDK: only when asked

        try:
            checked = check_token(token)
        except TokenError:
            return None
        return custom_domain_certificate(checked, ctx.zone, policy_host(ctx.zone), net.timeout)

    return status


async def _first(pair: Awaitable[tuple[dict[str, list[str]], list[Finding]]]) -> dict[str, list[str]]:
    return (await pair)[0]


def _sts_patterns(policy: str | None) -> list[str]:
    if policy is None:
        return []
    return [line.split(":", 1)[1].strip() for line in policy.splitlines() if line.startswith("mx:")]


async def _outbound(
    resolver: Resolver, opts: VerifyOptions, contexts: Sequence[ZoneContext] = ()
) -> list[Finding]:
    """Port 25 to another domain's MX; when it is blocked, the way out: each zone's `mail.relay` submission
    port, or the advice to add one."""
    if not opts.outbound:
        return []
    found = await _port25(resolver, opts)
    if not any(f.status is Status.FAIL for f in found):
        return found
    from zonesync.verify.outbound import with_relay_advice
    from zonesync.verify.relay_port import check_relay_port

    relays = [(c.zone, c.spec.relay) for c in contexts if c.spec is not None and c.spec.relay is not None]
    found = with_relay_advice(found, [zone for zone, _ in relays])
    checks = [asyncio.to_thread(check_relay_port, zone, relay, opts.net) for zone, relay in relays]
    return found + list(await asyncio.gather(*checks))


async def _port25(resolver: Resolver, opts: VerifyOptions) -> list[Finding]:
    check_outbound = _optional("outbound", "check_outbound")
    if check_outbound is None:
        return []
    domain = opts.probe_domain.rstrip(".").lower()
    mx = await resolver.query(domain, "MX")
    if not mx.ok:
        return [
            Finding(
                domain, "outbound", domain, Status.ERROR, f"cannot find the MX of {domain}: {mx.describe()}"
            )
        ]
    hosts = [v.split()[-1].rstrip(".") for v in sorted(mx.values, key=lambda v: int(v.split()[0]))]
    resolved = await asyncio.gather(*(resolver.addresses(h) for h in hosts))
    targets = [(h, a) for h, (addrs, _) in zip(hosts, resolved, strict=True) for a in addrs]
    return await asyncio.to_thread(check_outbound, targets, opts.net)


async def verify_async(contexts: Sequence[ZoneContext], opts: VerifyOptions, resolver: Resolver) -> Report:
    try:
        results = await asyncio.gather(
            *(_verify_zone(ctx, opts) for ctx in contexts), _outbound(resolver, opts, contexts)
        )
    finally:
        resolver.close()
    findings = [f for group in results for f in group]
    skipped = []
    if opts.dns_only:
        skipped.append("the MTA-STS policy over HTTPS" + (" and SMTP" if opts.smtp else ""))
    return Report(tuple(c.zone for c in contexts), tuple(findings), resolver.sent, tuple(skipped))


def build_context(config: ZoneConfig, resolver: Resolver, opts: NetOptions) -> ZoneContext:
    """The zone file's view of one zone (raises the zone file's errors, as validate does)."""
    from zonesync.mail import mail_spec, policy_for
    from zonesync.plan.desired import build_desired

    desired = build_desired(config, None)
    return ZoneContext(config, desired.records, mail_spec(config), policy_for(config), resolver, opts)


def verify(configs: Sequence[ZoneConfig], opts: VerifyOptions) -> Report:
    resolver = Resolver(opts.net)
    contexts = [build_context(cfg, resolver, opts.net) for cfg in configs]
    return asyncio.run(verify_async(contexts, opts, resolver))
