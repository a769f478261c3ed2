"""Every mail check that needs no network: records in, diagnostics out. Pure.

Runs over the whole desired set (the records the user declared and the expansion), so a hand-written
SPF or DMARC record is checked as strictly as a generated one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from zonesync.mail import dkim, dmarc, mta_sts, spf, tlsrpt
from zonesync.mail.check_scope import looks_like
from zonesync.mail.expand import in_zone, mx_hosts, sts_patterns
from zonesync.mail.presets import NO_MAIL, PRESET_INFO
from zonesync.mail.result import KeyState
from zonesync.mail.spec import MailSpec, MtaStsSpec
from zonesync.model import Diagnostic, Record, Source
from zonesync.zonefile import rdata
from zonesync.zonefile.relative_targets import meant_outside

KINDS = {
    "spf": "SPF",
    "dmarc": "DMARC",
    "dkim": "DKIM key",
    "sts": "MTA-STS",
    "tlsrpt": "TLS-RPT",
    "MX": "MX",
    "A": "A",
    "AAAA": "AAAA",
}


def kind(rec: Record) -> str | None:
    """What a record is, for mail: one of KINDS' keys, or None for records mail does not care about."""
    if rec.type in ("MX", "A", "AAAA"):
        return rec.type
    if rec.type != "TXT":
        return None
    if spf.is_spf(rec.value):
        return "spf"
    if dmarc.is_dmarc(rec.value):
        return "dmarc"
    if mta_sts.is_sts(rec.value):
        return "sts"
    if tlsrpt.is_tlsrpt(rec.value):
        return "tlsrpt"
    if "._domainkey." in rec.name or rec.value.lstrip().startswith("v=DKIM1"):
        return "dkim"
    return None


def record_problems(k: str, rec: Record, zone: str) -> list[tuple[str, str]]:
    """Syntax findings for a TXT record that `looks_like` kind `k` (prefix included in each message)."""
    if k == "spf":
        if not spf.is_spf(rec.value):
            return [
                (
                    "error",
                    "SPF: the record starts like SPF but not with `v=spf1` and a space (RFC 7208 §4.5): receivers "
                    "skip it, as if the name had no SPF at all",
                )
            ]
        return [(lvl, "SPF: " + msg) for lvl, msg in spf.check_record(rec.value)]
    if k == "dmarc":
        return [(lvl, "DMARC: " + msg) for lvl, msg in dmarc.check_record(rec.value, zone)]
    if k == "sts":
        if rec.name != mta_sts.record_name(zone):
            return []
        return [(lvl, "MTA-STS: " + msg) for lvl, msg in mta_sts.check_record(rec.value)]
    if k == "tlsrpt":
        return [(lvl, "TLS-RPT: " + msg) for lvl, msg in tlsrpt.check_record(rec.value)]
    if k == "dkim" and "._domainkey." in rec.name and not rec.pending:
        try:
            key = dkim.public_key_from_record(rec.value)
        except dkim.DkimParseError as exc:
            return [
                (
                    "error",
                    f"DKIM: the key record does not parse ({exc}): receivers cannot verify signatures with this "
                    "selector",
                )
            ]
        bits = dkim.key_bits(key)
        if bits is not None and bits < dkim.MIN_RSA_BITS:
            return [
                (
                    "error",
                    f"DKIM: RSA {bits}-bit key: receivers treat keys under 2048 bits as weak (RFC 8301 §3.2); "
                    "publish a 2048-bit key",
                )
            ]
    return []


def place(rec: Record) -> str:
    src = rec.source
    if src is None:
        return "?"
    where = f"{src.path}:{src.line}" if src.line else src.path
    if src.field:
        where += f" ({src.field})"
    return where


def _src(rec: Record) -> Source:
    return rec.source or Source("<zone>")


def _add(
    out: list[Diagnostic], source: Source, findings: Iterable[tuple[str, str]], prefix: str = ""
) -> None:
    for level, msg in findings:
        out.append(Diagnostic("error" if level == "error" else "warning", source, prefix + msg))


def check_all(
    spec: MailSpec | None,
    expansion: Sequence[Record],
    user_records: Sequence[Record],
    zone: str,
    key_states: Sequence[KeyState] = (),
    live: Sequence[Record] | None = None,
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    # with `no-mail`, an MX, SPF or DKIM record of the user contradicts the preset: check_preset says so
    skip = ("MX", "spf", "dkim") if spec is not None and spec.preset == NO_MAIL else ()
    out += check_collisions(expansion, user_records, skip)
    out += check_user_dkim(user_records, zone, live)
    everything = [*user_records, *expansion]
    out += check_single_per_name(everything)
    out += check_mx(spec, everything, zone)
    out += check_spf_targets(everything, zone)
    if spec is not None:
        out += check_preset(spec, user_records)
        out += check_spf_spec(spec, expansion)
        out += check_dkim_spec(spec, key_states)
        out += check_dmarc_spec(spec)
        out += check_mta_sts_spec(spec, everything, user_records)
        out += check_tlsrpt_spec(spec)
        out += check_relay_spec(spec, everything)
    return out


def check_relay_spec(spec: MailSpec, records: Sequence[Record]) -> list[Diagnostic]:
    """`mail.relay`: see `zonesync.mail.relay.check_relay`."""
    if spec.relay is None:
        return []
    from zonesync.mail.relay import check_relay

    apex = next((r for r in records if r.name == spec.zone and r.type == "TXT" and spf.is_spf(r.value)), None)
    dm = spec.dmarc
    return check_relay(
        spec.relay, spec.zone, records, apex, mx_hosts(spec, records, spec.zone),
        dm.aspf if dm else None, dm.adkim if dm else None,
    )  # fmt: skip


def check_collisions(
    expansion: Sequence[Record], user_records: Sequence[Record], skip: tuple[str, ...] = ()
) -> list[Diagnostic]:
    """A user record of the same kind at a name the block publishes: two sources for one thing."""
    out = []
    names = {gen.name for gen in expansion}  # index only those: a zone may hold 100,000 other records
    by_name: dict[str, list[Record]] = defaultdict(list)
    for rec in user_records:
        if rec.name in names:
            by_name[rec.name].append(rec)
    reported: set[tuple[int, str]] = set()
    for gen in expansion:
        gkind = kind(gen)
        if gkind is None or gkind in skip:
            continue
        for user in by_name.get(gen.name, ()):
            if kind(user) != gkind or (id(user), gkind) in reported:
                continue
            reported.add((id(user), gkind))
            section = (gen.source.origin or "mail").split(":", 1)[-1] if gen.source else "mail"
            out.append(
                Diagnostic(
                    "error",
                    _src(user),
                    f"this {KINDS[gkind]} record at {gen.name} collides with the one `mail:` generates "
                    f"({place(gen)}, mail.{section}): {_why(gkind)}; remove it from `records:`, or drop "
                    f"mail.{section} and keep yours",
                )
            )
    return out


def _why(k: str) -> str:
    return {
        "spf": "a name with two SPF records fails SPF for all its mail (RFC 7208 §4.5 permerror)",
        "dmarc": "receivers ignore DMARC entirely when they find two records (RFC 7489 §6.6.3)",
        "dkim": "a selector must publish exactly one key, or verification picks one at random",
        "sts": "senders ignore MTA-STS when they find two records (RFC 8461 §3.1)",
        "tlsrpt": "senders ignore TLS-RPT when they find two records (RFC 8460 §3)",
    }.get(k, "the same records would be declared twice, in two places that can drift apart")


def check_user_records(
    user_records: Sequence[Record], zone: str, live: Sequence[Record] | None = None
) -> list[Diagnostic]:
    """Hand-written mail records get the same syntax checks as generated ones.

    A broken record is an error when this plan would publish it (new or changed, or offline where the
    live zone is unknown), and a warning when it is live already and left as it is: an imported zone
    still plans, and the warning says what is wrong."""
    out: list[Diagnostic] = []
    published = {(r.name, r.value) for r in live or () if r.type == "TXT"}
    for rec in user_records:
        if rec.type != "TXT":  # the common case in a big zone: no call
            continue
        k = looks_like(rec)
        if k is None or k == "dkim":  # a DKIM key is checked with the other mail findings (check_user_dkim)
            continue
        findings = record_problems(k, rec, zone)
        if live is not None and (rec.name, rec.value) in published:
            findings = [
                ("warning", msg + " (the record is live as it is; this plan leaves it unchanged)")
                if lvl == "error"
                else (lvl, msg)
                for lvl, msg in findings
            ]
        _add(out, _src(rec), findings)
    return out


def check_user_dkim(
    user_records: Sequence[Record], zone: str, live: Sequence[Record] | None = None
) -> list[Diagnostic]:
    """Hand-written DKIM key records: the key must parse and be strong enough (a warning for a record that
    is live as it is, so an imported zone with a broken key still plans)."""
    out: list[Diagnostic] = []
    published = {(r.name, r.value) for r in live or () if r.type == "TXT"}
    for rec in user_records:
        if rec.type == "TXT" and looks_like(rec) == "dkim":
            findings = record_problems("dkim", rec, zone)
            if (rec.name, rec.value) in published:
                findings = [("warning", msg) for _, msg in findings]
            _add(out, _src(rec), findings)
    return out


def check_live_replacements(
    desired: Sequence[Record], live: Sequence[Record] | None, zone: str
) -> list[Diagnostic]:
    """A live mail record that does not parse, at a name where the zone file publishes the correct one of
    that kind: the plan replaces it (an update or a delete), and the warning says what was wrong."""
    if not live:
        return []
    wanted: dict[tuple[str, str], Record] = {}
    for rec in desired:
        k = looks_like(rec)
        if k is not None:
            wanted.setdefault((rec.name, k), rec)
    values = {(r.name, r.value) for r in desired if r.type == "TXT"}
    out: list[Diagnostic] = []
    for rec in live:
        k = looks_like(rec)
        if k is None or (rec.name, k) not in wanted or (rec.name, rec.value) in values:
            continue
        problems = [msg for lvl, msg in record_problems(k, rec, zone) if lvl == "error"]
        if k == "dkim":
            continue  # the key resolver reports an unusable live key itself, naming the key file
        if problems:
            target = wanted[(rec.name, k)]
            out.append(
                Diagnostic(
                    "warning",
                    _src(target),
                    f"the live {KINDS[k]} record at {rec.name} does not parse ({problems[0]}); this plan replaces "
                    f"it with {rdata.quote(target.value)}",
                )
            )
    return out


def check_single_per_name(records: Sequence[Record]) -> list[Diagnostic]:
    """One SPF, DMARC, MTA-STS, TLS-RPT record per name (among records declared by the user alone:
    collisions with the expansion are reported by check_collisions)."""
    out = []
    groups: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for rec in records:
        k = kind(rec)
        if k in ("spf", "dmarc", "sts", "tlsrpt"):
            groups[(rec.name, k)].append(rec)
    for (name, k), recs in groups.items():
        users = [r for r in recs if not (r.source and r.source.origin)]
        if len(recs) > 1 and len(users) > 1:
            out.append(
                Diagnostic(
                    "error",
                    _src(users[1]),
                    f"{name} has {len(recs)} {KINDS[k]} records (also {place(users[0])}): {_why(k)}; merge them "
                    "into one",
                )
            )
    return out


def check_mx(spec: MailSpec | None, records: Sequence[Record], zone: str) -> list[Diagnostic]:
    """Each in-zone MX host: exists, is not a CNAME (RFC 2181 §10.3), is not proxied, has A or AAAA."""
    out = []
    mxs = [r for r in records if r.name == zone and r.type == "MX"]
    hosts = {mx.value.split()[-1].rstrip(".") for mx in mxs}
    by_name: dict[str, list[Record]] = defaultdict(list)  # only the MX hosts' records
    for rec in records:
        if rec.name in hosts:
            by_name[rec.name].append(rec)
    for mx in mxs:
        host = mx.value.split()[-1].rstrip(".")
        if not host or not in_zone(host, zone):
            continue  # outside the zone (or a null MX, RFC 7505): nothing to check offline
        at_host = by_name.get(host, [])
        cname = next((r for r in at_host if r.type == "CNAME"), None)
        if cname is not None:
            out.append(
                Diagnostic(
                    "error",
                    _src(mx),
                    f"MX host {host} is a CNAME ({place(cname)}): an MX must point at a name with A/AAAA records, "
                    "not an alias (RFC 2181 §10.3), and many senders refuse it; give the host its own A/AAAA "
                    "(mail.hosts) instead",
                )
            )
            continue
        proxied = [r for r in at_host if r.type in ("A", "AAAA") and r.proxied]
        for rec in proxied:
            out.append(
                Diagnostic(
                    "error",
                    _src(rec),
                    f"MX host {host} is proxied by Cloudflare ({place(rec)}): the proxy carries only HTTP, so SMTP "
                    "to this name reaches Cloudflare and mail bounces; set `proxied: false`",
                )
            )
        if not any(r.type in ("A", "AAAA") for r in at_host) and (meant := meant_outside(host, zone)):
            out.append(
                Diagnostic(
                    "error",
                    _src(mx),
                    f"MX host {host} has no A or AAAA record: the target was written without a trailing dot, so "
                    f"it is a name inside {zone}; for the outside host write `{meant}` (with the trailing dot)",
                )
            )
        elif not any(r.type in ("A", "AAAA") for r in at_host):
            out.append(
                Diagnostic(
                    "error",
                    _src(mx),
                    f"MX host {host} has no A or AAAA record in this zone: senders cannot find the mail server "
                    f"and mail bounces; add it under `mail.hosts` ({host.removesuffix('.' + zone)}: "
                    "{ipv4: [...]}) or in `records:`",
                )
            )
    if (
        spec is not None
        and spec.preset != NO_MAIL
        and (spec.preset or spec.mta_sts is not None)
        and not mx_hosts(spec, records, zone)
    ):
        out.append(
            Diagnostic(
                "error",
                spec.source,
                "the mail block has no MX host (neither `mail.mx` nor an MX record at the zone): nobody can "
                "deliver mail to this domain; add `mx: [{host: mx, priority: 10}]`",
            )
        )
    return out


def check_spf_targets(records: Sequence[Record], zone: str) -> list[Diagnostic]:
    """A bare `a` / `mx` in an SPF record at a name of this zone that has no A/AAAA / MX: matches nothing."""
    out = []
    spf_records = [r for r in records if r.type == "TXT" and spf.is_spf(r.value) and in_zone(r.name, zone)]
    names = {r.name for r in spf_records}
    types: dict[str, set[str]] = defaultdict(set)  # only at names with SPF
    for rec in records:
        if rec.name in names:
            types[rec.name].add(rec.type)
    for rec in spf_records:
        for term in rec.value.split()[1:]:
            name = term.lstrip("+-~?").split("/")[0].lower()
            if name == "a" and not types[rec.name] & {"A", "AAAA"}:
                out.append(
                    Diagnostic(
                        "warning",
                        _src(rec),
                        f"SPF at {rec.name}: `{term}` allows this name's own "
                        f"addresses, but {rec.name} has no A or AAAA record, so it allows nobody "
                        "and costs a lookup; add the address or remove `a`",
                    )
                )
            elif name == "mx" and "MX" not in types[rec.name]:
                out.append(
                    Diagnostic(
                        "warning",
                        _src(rec),
                        f"SPF at {rec.name}: `{term}` allows this name's MX "
                        f"servers, but {rec.name} has no MX record, so it allows nobody; add `mx:` "
                        "to the mail block or remove `mx`",
                    )
                )
    return out


def check_spf_spec(spec: MailSpec, expansion: Sequence[Record]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if spec.spf is None:
        return out
    for term, src in spec.spf.allow:
        if term.lstrip("+-~?").lower() == "all":
            out.append(
                Diagnostic(
                    "error",
                    src,
                    f"`{term}` in allow: `all` is always written last, from `mail.spf.all` (fail | softfail | "
                    "neutral); remove it from the list",
                )
            )
            continue
        if "=" in term and term.split("=")[0].lower() in ("redirect", "exp"):
            continue
        _add(out, src, spf.check_term(term), "SPF: ")
    for rec in expansion:
        if rec.type == "TXT" and spf.is_spf(rec.value):
            findings = [f for f in spf.check_record(rec.value, with_terms=False) if "comes after" not in f[1]]
            _add(
                out, spec.spf.source if rec.name == spec.zone else _src(rec), findings, f"SPF at {rec.name}: "
            )
    return out


def check_dkim_spec(spec: MailSpec, key_states: Sequence[KeyState]) -> list[Diagnostic]:
    out = []
    seen: dict[str, Source] = {}
    for d in spec.dkim:
        problem = dkim.selector_problem(d.selector)
        if problem:
            out.append(Diagnostic("error", d.source, problem + "; receivers look the key up by this name"))
        if d.selector in seen:
            out.append(
                Diagnostic(
                    "error", d.source, f"selector {d.selector!r} is listed twice (also line {seen[d.selector].line}): "
                    "one selector publishes one key; give the second a new name"
                )
            )  # fmt: skip
        seen[d.selector] = d.source
    for state in key_states:
        out.extend(state.diagnostics)
    types = set()
    by_sel = {s.spec.selector: s for s in key_states}
    for d in spec.dkim:
        state = by_sel.get(d.selector)
        if state is not None and state.key is not None:
            types.add(dkim.key_type(state.key))
        else:
            types.add("ed25519" if d.algorithm == "ed25519" else "rsa")
    if types == {"ed25519"}:
        out.append(
            Diagnostic(
                "warning",
                spec.dkim[0].source,
                "only Ed25519 DKIM keys: many receivers do not verify Ed25519 yet (RFC 8463 is recent) and treat "
                "the mail as unsigned; add an rsa2048 selector as well and sign with both",
            )
        )
    return out


def check_dmarc_spec(spec: MailSpec) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    d = spec.dmarc
    if d is None:
        return out
    if d.percent is not None and not 0 <= d.percent <= 100:
        out.append(
            Diagnostic("error", d.source, f"DMARC: percent {d.percent} must be 0..100 (RFC 7489 §6.3 pct)")
        )
    if d.failure_options and not all(o in ("0", "1", "d", "s") for o in d.failure_options.split(":")):
        out.append(
            Diagnostic(
                "error", d.source, f"DMARC: failure_options {d.failure_options!r} must be 0, 1, d or s, joined by "
                "colons (RFC 7489 §6.3 fo), like \"1\" or \"0:d\""
            )
        )  # fmt: skip
    if not d.rua and spec.preset != NO_MAIL:  # a domain without mail may well not want reports
        out.append(Diagnostic("warning", d.source, "DMARC: " + dmarc.NO_RUA.format(zone=spec.zone)))
    for tag, uris in (("rua", d.rua), ("ruf", d.ruf)):
        for uri, src in uris:
            problem = dmarc.uri_problem(uri)
            if problem:
                out.append(Diagnostic("error", src, f"DMARC {tag}: {problem}; reports would never arrive"))
            elif warning := dmarc.external_report_warning(uri, spec.zone):
                out.append(Diagnostic("warning", src, f"DMARC {tag}: {warning}"))
    return out


def _worker_host_clashes(s: MtaStsSpec, records: Sequence[Record], host: str) -> list[Diagnostic]:
    """With `host: worker` the name belongs to the Worker custom domain: Cloudflare refuses it over an A,
    AAAA or CNAME record (409 100117), and its own read-only AAAA record takes the name."""
    return [
        Diagnostic(
            "error",
            r.source or s.source,
            f"MTA-STS: {host} {r.type} is declared, but mail.mta_sts.host: worker serves the policy from a Worker "
            f"custom domain at {host} (Cloudflare creates that name's record itself); remove this record",
        )
        for r in records
        if r.name == host and r.type in ("A", "AAAA", "CNAME")
    ]


def check_mta_sts_spec(
    spec: MailSpec, records: Sequence[Record], user_records: Sequence[Record]
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    s = spec.mta_sts
    if s is None:
        return out
    for pattern, src in s.mx:
        problem = mta_sts.pattern_problem(pattern)
        if problem:
            out.append(Diagnostic("error", src, f"MTA-STS: {problem}"))
    _add(out, s.max_age_source or s.source, mta_sts.check_max_age(s.max_age, s.mode), "MTA-STS: ")
    patterns = sts_patterns(spec, user_records)
    if s.host == "worker":
        out += _worker_host_clashes(s, records, mta_sts.policy_host(spec.zone))
    if s.mode != "none":
        for host in mx_hosts(spec, records, spec.zone):
            if any(mta_sts.pattern_matches(p, host) for p in patterns):
                continue
            level = "error" if s.mode == "enforce" else "warning"
            consequence = (
                "in enforce mode senders refuse to deliver to it, so mail would stop"
                if s.mode == "enforce"
                else "in testing mode senders report failures for it"
            )
            out.append(
                Diagnostic(
                    level,
                    s.source,
                    f"MTA-STS: MX host {host} matches no `mx` pattern of the policy ({', '.join(patterns) or 'none'}): "
                    f"{consequence} (RFC 8461 §4.1); add it to mail.mta_sts.mx or leave mx empty to use the MX hosts",
                )
            )
        host = mta_sts.policy_host(spec.zone)
        if s.host != "worker" and not any(
            r.name == host and r.type in ("A", "AAAA", "CNAME") for r in records
        ):
            out.append(
                Diagnostic(
                    "warning",
                    s.source,
                    f"MTA-STS: no record for {host}, the HTTPS host that must serve the policy at "
                    f"{mta_sts.policy_url(spec.zone)}: without it senders cannot fetch the policy and MTA-STS does "
                    f"nothing; point {host} at a static host (see `zonesync mta-sts policy`)",
                )
            )
        has_tlsrpt = spec.tls_rpt is not None or any(
            r.name == tlsrpt.record_name(spec.zone) and kind(r) == "tlsrpt" for r in records
        )
        if not has_tlsrpt:
            out.append(
                Diagnostic(
                    "warning",
                    s.source,
                    "MTA-STS without TLS-RPT: when senders fail to reach you over TLS nobody tells you, and with "
                    'MTA-STS that means mail silently stops; add `tls_rpt: {rua: ["mailto:..."]}` (RFC 8461 §8, RFC 8460)',
                )
            )
    return out


def check_tlsrpt_spec(spec: MailSpec) -> list[Diagnostic]:
    out = []
    if spec.tls_rpt is None:
        return out
    for uri, src in spec.tls_rpt.rua:
        problem = tlsrpt.uri_problem(uri)
        if problem:
            out.append(Diagnostic("error", src, f"TLS-RPT rua: {problem}"))
    return out


def check_preset(spec: MailSpec, user_records: Sequence[Record]) -> list[Diagnostic]:
    """What a preset needs that the block does not say, and, for `no-mail`, records that contradict it."""
    out: list[Diagnostic] = []
    if spec.preset is None:
        return out
    info = PRESET_INFO[spec.preset]
    if info.server_names_selectors and not spec.dkim:
        out.append(
            Diagnostic(
                "warning",
                spec.source.at("mail.preset"),
                f"{spec.preset} names its DKIM selectors itself (after the date it made the key), so the preset "
                "cannot: list them under `mail.dkim` (`zonesync import --mail` reads them from the live zone), or "
                "receivers find no key and DMARC relies on SPF alone",
            )
        )
    if spec.preset != NO_MAIL:
        return out
    for rec in user_records:
        why = _contradicts_no_mail(rec, spec.zone)
        if why:
            out.append(
                Diagnostic(
                    "error" if rec.name == spec.zone else "warning",
                    _src(rec),
                    f"{why}, but `preset: no-mail` says {spec.zone} has no mail: receivers get both answers; "
                    "remove the record, or drop the preset",
                )
            )
    return out


def _contradicts_no_mail(rec: Record, zone: str) -> str | None:
    if rec.type == "MX" and rec.value != "0 .":
        return f"the MX record at {rec.name} ({rec.value}) receives mail"
    if looks_like(rec) == "spf" and spf.is_spf(rec.value):
        terms = rec.value.split()[1:]
        if terms != ["-all"]:
            return f"the SPF record at {rec.name} (`{rec.value}`) allows senders"
    if (
        looks_like(rec) == "dkim"
        and "._domainkey." in rec.name
        and not rec.value.replace(" ", "").endswith("p=")
    ):
        return f"the DKIM key at {rec.name} lets mail signed with it pass"
    return None
