"""The expansion: a parsed `mail:` block (plus the DKIM values `keys` found) -> DNS records. Pure.

Every record carries `Source(..., origin="mail:<section>")` so `plan` can say it came from `mail:`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from zonesync import rdata
from zonesync.mail import dkim, dmarc, mta_sts, spf, tlsrpt
from zonesync.mail.spec import MailSpec
from zonesync.model import Record, Source


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
    spec: MailSpec, dkim_values: Mapping[str, DkimValue], user_records: Iterable[Record] = ()
) -> tuple[Record, ...]:
    """All records the block asks for, in a fixed order (MX, hosts, SPF, DKIM, DMARC, MTA-STS, TLS-RPT)."""
    user_records = tuple(user_records)
    zone, ttl = spec.zone, spec.ttl
    out: list[Record] = []
    for mx in spec.mx:
        value = rdata.canonical_value("MX", f"{mx.priority} {mx.host}.", zone)
        out.append(Record(zone, "MX", value, ttl, None, source=_src(mx.source, "mx")))
    for host in spec.hosts:
        for rtype, addrs in (("A", host.ipv4), ("AAAA", host.ipv6)):
            for addr, asrc in addrs:
                out.append(Record(host.name, rtype, addr, ttl, False, source=_src(asrc, "hosts")))
    if spec.spf is not None:
        terms = [t for t, _ in spec.spf.allow]
        out.append(
            Record(
                zone, "TXT", spf.record_text(terms, spec.spf.all), ttl, source=_src(spec.spf.source, "spf")
            )
        )
        if spec.spf.on_mx_hosts:
            # maddy's tutorial: "It is recommended to serve SPF record for both domain and MX hostname"
            for host in mx_hosts(spec, user_records, zone):
                if host != zone and in_zone(host, zone):
                    out.append(
                        Record(
                            host, "TXT", spf.record_text(["a"], spec.spf.all), ttl,
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
    return tuple(out)
