"""The expansion: a parsed `mail:` block (plus the DKIM values `keys` found) -> DNS records. Pure.

Every record carries `Source(..., origin="mail:<section>")` so `plan` can say it came from `mail:`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from zonesync.mail import dkim, dmarc, mta_sts, relay, spf, tlsrpt
from zonesync.mail.dane import dane_records
from zonesync.mail.presets import NO_MAIL
from zonesync.mail.spec import MailSpec
from zonesync.model import Record, Source
from zonesync.zonefile import rdata

DMARC_DEFAULTS = frozenset(
    {("adkim", "r"), ("aspf", "r"), ("fo", "0"), ("t", "n"), ("psd", "u")}
    | {("pct", "100"), ("rf", "afrf"), ("ri", "86400")}
)
"""Default values (RFC 9989 §4.7; and the defaults of pct, rf, ri, which RFC 9989 removed, from RFC 7489
§6.3): writing them or not means the same."""

NO_MAIL_DKIM = "v=DKIM1; p="
"""`preset: no-mail`'s `*._domainkey` record: no key, so every signature claiming the domain fails."""


@dataclass(frozen=True)
class DkimValue:
    value: str
    pending: bool = False


def _src(source: Source, section: str, field: str | None = None) -> Source:
    return Source(source.path, source.line, field or source.field, f"mail:{section}")


def mx_hosts(spec: MailSpec | None, user_records: Iterable[Record], zone: str) -> list[str]:
    """The MX hosts (absolute, no dot): the block's, else the MX records declared at the apex."""
    if spec is not None and spec.mx:
        return list(dict.fromkeys(m.host for m in spec.mx))
    hosts = [r.value.split()[-1].rstrip(".") for r in user_records if r.name == zone and r.type == "MX"]
    return list(dict.fromkeys(hosts))


def in_zone(host: str, zone: str) -> bool:
    return host == zone or host.endswith("." + zone)


def sts_patterns(spec: MailSpec, user_records: Iterable[Record]) -> list[str]:
    """The policy's `mx:` lines: as given, else the MX hosts."""
    assert spec.mta_sts is not None
    if spec.mta_sts.mx:
        return [p.lower().rstrip(".") for p, _ in spec.mta_sts.mx]
    return mx_hosts(spec, user_records, spec.zone)


def sts_policy(spec: MailSpec, user_records: Iterable[Record]) -> str | None:
    """The MTA-STS policy file text, or None when the block has no `mta_sts`."""
    if spec.mta_sts is None:
        return None
    return mta_sts.policy_text(spec.mta_sts.mode, sts_patterns(spec, user_records), spec.mta_sts.max_age)


def expand(
    spec: MailSpec,
    dkim_values: Mapping[str, DkimValue],
    user_records: Iterable[Record] = (),
    dane_pins: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[Record, ...]:
    """All records the block asks for, in a fixed order (MX, hosts, SPF, DKIM, DMARC, MTA-STS, TLS-RPT,
    DANE). `dane_pins`: the pins to publish per MX host (default: the ones recorded in the block)."""
    user_records = tuple(user_records)
    zone, ttl = spec.zone, spec.ttl
    out: list[Record] = []
    if spec.preset == NO_MAIL:  # RFC 7505 null MX; an empty key revokes every selector (RFC 6376 §3.6.1)
        src = spec.source.at("mail.preset")
        out.append(
            Record(zone, "MX", rdata.canonical_value("MX", "0 .", zone), ttl, None, source=_src(src, "mx"))
        )
        out.append(Record(dkim.record_name("*", zone), "TXT", NO_MAIL_DKIM, ttl, source=_src(src, "dkim")))
    for mx in spec.mx:
        value = rdata.canonical_value("MX", f"{mx.priority} {mx.host}.", zone)
        out.append(Record(zone, "MX", value, ttl, None, source=_src(mx.source, "mx")))
    for host in spec.hosts:
        for rtype, addrs in (("A", host.ipv4), ("AAAA", host.ipv6)):
            for addr, asrc in addrs:
                out.append(Record(host.name, rtype, addr, ttl, False, source=_src(asrc, "hosts")))
    if spec.spf is not None:
        terms = [t for t, _ in spec.spf.allow]
        if spec.relay is not None:  # `custom` relay terms with no return path of their own
            terms += [t for t in relay.apex_spf_terms(spec.relay, zone) if t not in terms]
        out.append(
            Record(
                zone, "TXT", spf.record_text(terms, spec.spf.all), ttl, source=_src(spec.spf.source, "spf")
            )
        )
        if spec.spf.on_mx_hosts:
            # maddy's tutorial: "It is recommended to serve SPF record for both domain and MX hostname"
            for mx_host in mx_hosts(spec, user_records, zone):
                if mx_host != zone and in_zone(mx_host, zone):
                    out.append(
                        Record(
                            mx_host, "TXT", spf.record_text(["a"], spec.spf.host_all or spec.spf.all), ttl,
                            source=_src(spec.spf.source, "spf", "mail.spf.on_mx_hosts"),
                        )
                    )  # fmt: skip
    for d in spec.dkim:
        dv = dkim_values.get(d.selector) or DkimValue(dkim.pending_value(d.algorithm), True)
        out.append(
            Record(
                dkim.record_name(d.selector, zone), "TXT", dv.value, ttl,
                source=_src(d.source, "dkim"), pending=dv.pending,
            )
        )  # fmt: skip
    if spec.dmarc is not None:
        out.append(
            Record(
                dmarc.record_name(zone),
                "TXT",
                dmarc.record_text(spec.dmarc),
                ttl,
                source=_src(spec.dmarc.source, "dmarc"),
            )
        )
    if spec.mta_sts is not None:
        policy = sts_policy(spec, user_records)
        assert policy is not None
        out.append(
            Record(
                mta_sts.record_name(zone), "TXT", mta_sts.record_text(mta_sts.policy_id(policy)), ttl,
                source=_src(spec.mta_sts.source, "mta_sts"),
            )
        )  # fmt: skip
    if spec.tls_rpt is not None:
        out.append(
            Record(
                tlsrpt.record_name(zone),
                "TXT",
                tlsrpt.record_text(spec.tls_rpt),
                ttl,
                source=_src(spec.tls_rpt.source, "tls_rpt"),
            )
        )
    if spec.relay is not None:
        out.extend(r.record for r in relay.relay_records(spec.relay, zone, ttl))
    out.extend(dane_records(spec.dane, dane_pins or {}, ttl))
    return tuple(out)


def meaning(value: str) -> tuple[str, ...] | frozenset[tuple[str, str]] | None:
    """What a SPF, DMARC, MTA-STS or TLS-RPT record says, spelling aside: SPF's terms in order, the others'
    tags in any order, without the spaces around `;`, `=` and `,` that the RFCs allow. None for other text."""
    text = value.strip()
    if spf.is_spf(text):
        return tuple(t.lower() for t in text.split())
    if not (dmarc.is_dmarc(text) or mta_sts.is_sts(text) or tlsrpt.is_tlsrpt(text)):
        return None
    tags = []
    for part in text.split(";"):
        if part.strip():
            name, _, val = part.partition("=")
            tags.append((name.strip().lower(), ",".join(v.strip() for v in val.split(","))))
    if dmarc.is_dmarc(text):  # a tag written with its default value says nothing more (RFC 7489 §6.3)
        tags = [t for t in tags if t not in DMARC_DEFAULTS]
    return frozenset(tags)


def keep_live_spelling(records: Iterable[Record], live: Iterable[Record] | None) -> tuple[Record, ...]:
    """A generated record whose live twin says the same thing in other words (`v=DMARC1;p=reject` for
    `v=DMARC1; p=reject`) takes the live text, so a zone made by another tool plans without a change."""
    records = tuple(records)
    if not live:
        return records
    wanted = {r.name for r in records if r.type == "TXT"}
    by_name: dict[str, list[Record]] = {}
    for rec in live:
        if rec.type == "TXT" and rec.name in wanted:
            by_name.setdefault(rec.name, []).append(rec)
    out = []
    for rec in records:
        mine = meaning(rec.value) if rec.type == "TXT" and rec.name in by_name else None
        twin = next(
            (t for t in by_name.get(rec.name, ()) if mine is not None and meaning(t.value) == mine), None
        )
        out.append(rec if twin is None else replace(rec, value=twin.value))
    return tuple(out)
