"""Checks 4, 5 (the `_mta-sts` record) and 6: DMARC, MTA-STS and TLS-RPT records as served.

The records are parsed by the checks zonesync already runs on the zone file (`zonesync.mail.dmarc`,
`mta_sts`, `tlsrpt`); what only DNS can tell is added here: the zone's organisational domain by RFC 9989's
DNS tree walk, DMARC reports to another organisational domain need that domain's consent record (RFC 7489
§7.1, kept by RFC 9990; a missing `rua=` is warned by the record check itself), where the DMARC rollout stands
(`zonesync.mail.rollout`), and the MTA-STS id must be the one of the policy zonesync publishes
(senders refetch the policy only when the id changes, RFC 8461 §3.1).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from zonesync.mail import dkim, dmarc, mta_sts, tlsrpt
from zonesync.mail.orgdomain import organizational_domain, stops_at, walk_names
from zonesync.mail.rollout import advice
from zonesync.mail.uri import split_uris
from zonesync.verify.context import ZoneContext
from zonesync.verify.resolver import Answer
from zonesync.verify.result import Finding, Status


def _tags(text: str) -> dict[str, str]:
    try:
        return dkim.parse_tags(text)  # DMARC, MTA-STS and TLS-RPT share DKIM's tag=value list syntax
    except dkim.DkimParseError:
        return {}


async def _served(
    ctx: ZoneContext, topic: str, name: str, is_kind: Callable[[str], bool], required: bool, what: str
) -> tuple[str | None, list[Finding]]:
    answer = await ctx.lookup(name, "TXT")
    if answer.status == "error":
        return None, [ctx.finding(topic, name, Status.ERROR, f"cannot check: {answer.error}")]
    texts = [v for v in answer.values if is_kind(v)]
    if not texts:
        if not required:
            return None, []
        return None, [
            ctx.finding(topic, name, Status.FAIL, f"no {what} record served at {name}", "run zonesync apply")
        ]
    if len(texts) > 1:
        return None, [
            ctx.finding(
                topic, name, Status.FAIL, f"{len(texts)} {what} records at {name}: receivers ignore them all",
                "keep exactly one",
            )
        ]  # fmt: skip
    return texts[0], []


def _declares(ctx: ZoneContext, name: str, is_kind: Callable[[str], bool]) -> bool:
    return any(r.name == name and r.type == "TXT" and is_kind(r.value) for r in ctx.records)


def _parse_findings(
    ctx: ZoneContext, topic: str, name: str, problems: list[tuple[str, str]]
) -> list[Finding]:
    return [
        ctx.finding(topic, name, Status.FAIL if level == "error" else Status.WARN, message)
        for level, message in problems
    ]


async def check_dmarc(ctx: ZoneContext) -> list[Finding]:
    topic, name = "dmarc", dmarc.record_name(ctx.zone)
    required = ctx.has_mail or _declares(ctx, name, dmarc.is_dmarc)
    text, findings = await _served(ctx, topic, name, dmarc.is_dmarc, required, "DMARC")
    if text is None:
        return findings
    problems = [p for p in dmarc.check_record(text, ctx.zone) if "go to another domain" not in p[1]]
    findings = _parse_findings(ctx, topic, name, problems)
    tags = dmarc.tags_of(text)
    org, walked = await organisational_domain(ctx, text)
    findings.append(
        ctx.finding(
            topic,
            ctx.zone,
            Status.PASS,
            f"organisational domain {org} (RFC 9989 DNS tree walk)",
            details=tuple(walked),
        )
    )
    uris = [u for tag in ("rua", "ruf") for u in split_uris(tags.get(tag, ""))]
    external = []
    for uri in uris:
        dom = dmarc.report_domain(uri)
        if dom and not (dom == org or dom.endswith("." + org)):
            external.append((uri, dom))
    answers = await asyncio.gather(
        *(ctx.lookup(f"{ctx.zone}._report._dmarc.{dom}", "TXT") for _, dom in external)
    )
    for (uri, dom), answer in zip(external, answers, strict=True):
        findings.append(_authorisation(ctx, topic, uri, dom, answer))
    if not any(f.status in (Status.FAIL, Status.ERROR) for f in findings):
        policy = tags.get("p", "?")
        findings.insert(0, ctx.finding(topic, name, Status.PASS, f"parses: p={policy}"))
        step = advice(ctx.zone, tags, ctx.aligned)
        if step is not None:
            findings.append(ctx.finding(topic, "rollout", Status.PASS, step))
    return findings


async def organisational_domain(ctx: ZoneContext, own: str | None) -> tuple[str, list[str]]:
    """The zone's organisational domain by RFC 9989's DNS tree walk (§4.10, §4.10.2), and one line per
    name asked (what was found there). `own` is the zone's own record, already read."""
    records: dict[str, str | None] = {ctx.zone: own}
    walked = [f"_dmarc.{ctx.zone}: {'a DMARC record' if own else 'none'}"]
    if stops_at(ctx.zone, ctx.zone, own):
        return organizational_domain(ctx.zone, records), walked
    for name in walk_names(ctx.zone)[1:]:
        answer = await ctx.lookup(dmarc.record_name(name), "TXT")
        texts = [v for v in answer.values if dmarc.is_dmarc(v)] if answer.ok else []
        records[name] = texts[0] if len(texts) == 1 else None  # several records: all discarded (§4.10)
        seen = (
            "a DMARC record" if records[name] else ("none" if answer.status != "error" else answer.describe())
        )
        walked.append(f"_dmarc.{name}: {seen}")
        if stops_at(name, ctx.zone, records[name]):
            break
    return organizational_domain(ctx.zone, records), walked


def _authorisation(ctx: ZoneContext, topic: str, uri: str, dom: str, answer: Answer) -> Finding:
    consent = f"{ctx.zone}._report._dmarc.{dom}"
    if answer.status == "error":
        return ctx.finding(topic, uri, Status.ERROR, f"cannot check {consent}: {answer.error}")
    if any(v.strip().startswith("v=DMARC1") for v in answer.values):
        return ctx.finding(topic, uri, Status.PASS, f"{dom} accepts reports for {ctx.zone} ({consent})")
    return ctx.finding(
        topic, uri, Status.FAIL,
        f"reports to {uri} are never sent: {dom} does not publish {consent} TXT \"v=DMARC1\" (RFC 7489 §7.1, RFC 9990)",
        f"ask the owner of {dom} to publish it, or send reports to an address at {ctx.zone}",
    )  # fmt: skip


async def check_mta_sts_record(ctx: ZoneContext) -> list[Finding]:
    topic, name = "mta-sts", mta_sts.record_name(ctx.zone)
    required = ctx.policy is not None or _declares(ctx, name, mta_sts.is_sts)
    text, findings = await _served(ctx, topic, name, mta_sts.is_sts, required, "MTA-STS")
    if text is None:
        return findings
    findings = _parse_findings(ctx, topic, name, mta_sts.check_record(text))
    if findings:
        return findings
    served_id = _tags(text).get("id", "")
    if ctx.policy is not None:
        expected = mta_sts.policy_id(ctx.policy)
        if served_id != expected:
            return [
                ctx.finding(
                    topic, name, Status.FAIL,
                    f"id={served_id} is not the id of the policy zonesync publishes ({expected}): senders that "
                    "cached the old policy keep it",
                    "run zonesync apply",
                )
            ]  # fmt: skip
    return [ctx.finding(topic, name, Status.PASS, f"parses, id={served_id}")]


async def check_tlsrpt(ctx: ZoneContext) -> list[Finding]:
    topic, name = "tls-rpt", tlsrpt.record_name(ctx.zone)
    required = _declares(ctx, name, tlsrpt.is_tlsrpt) or (
        ctx.spec is not None and ctx.spec.tls_rpt is not None
    )
    text, findings = await _served(ctx, topic, name, tlsrpt.is_tlsrpt, required, "TLS-RPT")
    if text is None:
        return findings
    findings = _parse_findings(ctx, topic, name, tlsrpt.check_record(text))
    return findings or [ctx.finding(topic, name, Status.PASS, f"parses: {_tags(text).get('rua', '')}")]
