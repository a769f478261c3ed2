"""verify's relay checks (`mail.relay`): each relay DKIM record resolves to a key (through its CNAME, as a
receiver follows it), the return path exists where the provider needs it, and SPF at the envelope sender
authorises the provider within RFC 7208's limits."""

from __future__ import annotations

import asyncio

from zonesync.mail import dkim, spf
from zonesync.mail.relay import dkim_domain, spf_terms
from zonesync.mail.relay_providers import PROVIDERS
from zonesync.verify import spf_eval
from zonesync.verify.context import ZoneContext
from zonesync.verify.result import Finding, Status

TOPIC = "relay"


async def check_relay(ctx: ZoneContext) -> list[Finding]:
    if ctx.spec is None or ctx.spec.relay is None:
        return []
    spec = ctx.spec.relay
    signer = dkim_domain(spec, ctx.zone)
    jobs = [_dkim(ctx, f"{d.selector}._domainkey.{signer}", d.cname) for d in spec.dkim]
    jobs.append(_return_path(ctx))
    groups = await asyncio.gather(*jobs)
    return [f for group in groups for f in group]


async def _dkim(ctx: ZoneContext, name: str, cname: str | None) -> list[Finding]:
    where = name
    if cname is not None:
        answer = await ctx.lookup(name, "CNAME")
        served = [v.rstrip(".").lower() for v in answer.values]
        if answer.status == "error":
            return [ctx.finding(TOPIC, name, Status.ERROR, f"cannot check: {answer.error}")]
        if served != [cname]:
            return [
                ctx.finding(
                    TOPIC, name, Status.FAIL,
                    f"the relay's DKIM CNAME is {'missing' if not served else 'pointing at ' + ', '.join(served)}; "
                    f"it must point at {cname}: receivers cannot find the key the relay signs with",
                    "run zonesync apply",
                )
            ]  # fmt: skip
        where = cname
    answer = await ctx.lookup(where, "TXT")
    if answer.status == "error":
        return [ctx.finding(TOPIC, name, Status.ERROR, f"cannot check {where}: {answer.error}")]
    texts = [v for v in answer.values if dkim.is_dkim_text(v)]
    via = f" through the CNAME to {where}" if cname else ""
    if len(texts) != 1:
        return [
            ctx.finding(
                TOPIC, name, Status.FAIL,
                f"{len(texts) or 'no'} DKIM key record{'s' if len(texts) > 1 else ''}{via}: receivers cannot "
                "verify the relay's signatures",
                "check the selector/tokens against the provider's dashboard" if cname else "run zonesync apply",
            )
        ]  # fmt: skip
    try:
        key = dkim.public_key_from_record(texts[0])
    except dkim.DkimParseError as exc:
        return [ctx.finding(TOPIC, name, Status.FAIL, f"the key{via} does not parse ({exc})")]
    return [ctx.finding(TOPIC, name, Status.PASS, f"resolves to a DKIM key ({dkim.describe(key)}){via}")]


async def _return_path(ctx: ZoneContext) -> list[Finding]:
    assert ctx.spec is not None and ctx.spec.relay is not None
    spec = ctx.spec.relay
    title = PROVIDERS[spec.provider].title
    rp = spec.return_path_name(ctx.zone)
    if rp is None:
        return []
    out: list[Finding] = []
    if spec.return_path_cname is not None:
        answer = await ctx.lookup(rp, "CNAME")
        served = [v.rstrip(".").lower() for v in answer.values]
        if served != [spec.return_path_cname]:
            return [
                ctx.finding(
                    TOPIC, rp, Status.FAIL,
                    f"the return path is {'missing' if not served else 'a CNAME to ' + ', '.join(served)}; it must "
                    f"be a CNAME to {spec.return_path_cname}: {title} cannot use it and SPF aligns nothing",
                    "run zonesync apply",
                )
            ]  # fmt: skip
        out.append(ctx.finding(TOPIC, rp, Status.PASS, f"return path: CNAME to {spec.return_path_cname}"))
    if spec.provider == "ses":
        mx = await ctx.lookup(rp, "MX")
        if not mx.ok:
            out.append(
                ctx.finding(
                    TOPIC,
                    rp,
                    Status.FAIL,
                    f"no MX at the MAIL FROM domain {rp} ({mx.describe()}): SES falls back to its own domain",
                    "run zonesync apply",
                )
            )
        else:
            host = mx.values[0].split()[-1].rstrip(".")
            addrs, _ = await ctx.resolver.addresses(host)
            status = Status.PASS if addrs else Status.FAIL
            out.append(
                ctx.finding(
                    TOPIC, rp, status, f"bounce MX {host} " + ("resolves" if addrs else "does not resolve")
                )
            )
    # SPF where the envelope sender is: the return path (through its CNAME, as receivers follow it)
    target = spec.return_path_cname or rp
    ev = await spf_eval.audit(ctx.lookup, target)
    terms = spf_terms(spec)
    if ev.result in ("none", "permerror", "temperror"):
        status = Status.ERROR if ev.result == "temperror" else Status.FAIL
        why = ev.reason or f"no SPF record at {target}"
        out.append(
            ctx.finding(
                TOPIC,
                f"{rp} SPF",
                status,
                f"SPF for the envelope sender {rp}: {why}",
                "run zonesync apply",
                tuple(ev.tree),
            )
        )
        return out
    tree = " ".join(ev.tree).lower()
    missing = [t for t in terms if t.lower() not in tree]
    if missing and spec.return_path_cname is None:
        out.append(ctx.finding(TOPIC, f"{rp} SPF", Status.FAIL, f"SPF at {rp} does not authorise {title} "
                               f"({', '.join(missing)} is not in it)", "run zonesync apply", tuple(ev.tree)))  # fmt: skip
        return out
    out.append(
        ctx.finding(
            TOPIC, f"{rp} SPF", Status.PASS,
            f"SPF for the envelope sender {rp} authorises {title}: {ev.lookups} DNS lookup"
            f"{'' if ev.lookups == 1 else 's'} (limit {spf.MAX_LOOKUPS})",
            details=tuple(ev.tree),
        )
    )  # fmt: skip
    return out
